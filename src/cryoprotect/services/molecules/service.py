"""The molecule service: records, search and import behind one object per app."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Database
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page
from cryoprotect.services.molecule_index import MoleculeIndex
from cryoprotect.services.molecules.imports import MoleculeImports
from cryoprotect.services.molecules.records import MoleculeRecord
from cryoprotect.services.molecules.registry import MoleculeRegistry
from cryoprotect.services.molecules.search import MoleculeSearch, SearchBudget, molecule_page


class MoleculeService(MoleculeRegistry, MoleculeSearch, MoleculeImports):
    """Molecules under the caller's identity: register, read, edit, delete, search, import."""

    def __init__(
        self,
        db: Database,
        index: MoleculeIndex | None = None,
        budget: SearchBudget | None = None,
    ) -> None:
        self.db = db
        self.index = index or MoleculeIndex(db)
        self.budget = budget or SearchBudget()
        # Process-wide in production (one service per app, one app per worker process).
        self.scan_slots = threading.BoundedSemaphore(self.budget.concurrent)

    def _page(
        self, actor: Actor, query: sa.Select[Any], page: int, per_page: int
    ) -> Page[MoleculeRecord]:
        """The list's page through :func:`molecule_page` (exact total without a table scan)."""
        with self.db.transaction(actor.identity) as session:
            result = molecule_page(
                session, query, page, per_page, deadline_s=self.budget.list_deadline_s
            )
            return Page(
                self.records(session, result.items), result.total, result.page, result.per_page
            )
