"""The molecule service: records, search and import behind one object per app."""

from __future__ import annotations

import threading

from cryoprotect.db.database import Database
from cryoprotect.services.molecule_index import MoleculeIndex
from cryoprotect.services.molecules.imports import MoleculeImports
from cryoprotect.services.molecules.registry import MoleculeRegistry
from cryoprotect.services.molecules.search import MoleculeSearch, SearchBudget


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
