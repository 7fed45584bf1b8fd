"""The ``.eln`` use cases: export the caller's selection, import an archive into a scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from cryoprotect.db.database import Database
from cryoprotect.services.actor import Actor
from cryoprotect.services.eln.archive import read_archive, write_archive
from cryoprotect.services.eln.export import collect
from cryoprotect.services.eln.importer import Importer, ImportReport, Scope
from cryoprotect.services.experiments import ExperimentService
from cryoprotect.services.mixtures import MixtureService
from cryoprotect.services.molecules import MoleculeService, check_scope


class ElnService:
    """Export and import ``.eln`` (RO-Crate) archives under the caller's identity."""

    def __init__(
        self,
        db: Database,
        *,
        mixtures: MixtureService,
        experiments: ExperimentService,
        molecules: MoleculeService,
    ) -> None:
        self.db = db
        self.mixtures = mixtures
        self.experiments = experiments
        self.molecules = molecules

    def export(
        self,
        actor: Actor,
        *,
        experiments: Sequence[uuid.UUID] = (),
        mixtures: Sequence[uuid.UUID] = (),
        protocols: Sequence[uuid.UUID] = (),
    ) -> tuple[str, bytes]:
        """``(file name, archive bytes)`` of the selection and everything it cites that the
        caller can see (RLS decides; a selected record the caller cannot see is NotFound)."""
        with self.db.transaction(actor.identity) as session:
            records = collect(
                session, experiments=experiments, mixtures=mixtures, protocols=protocols
            )
        stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M%S")
        root = f"cryoprotect-{stamp}"
        blob = write_archive(
            records,
            root=root,
            description=f"CryoProtect records exported on {stamp} (UTC): "
            + ", ".join(f"{r.kind} {r.name}" for r in records if r.kind == "experiment")[:500],
        )
        return f"{root}.eln", blob

    def import_archive(
        self,
        actor: Actor,
        blob: bytes,
        *,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
    ) -> ImportReport:
        """Create the archive's records in the caller's chosen scope, all or nothing."""
        user_id = actor.require_user()
        check_scope(visibility, team_id)
        records = read_archive(blob)
        with self.db.transaction(actor.identity) as session:
            importer = Importer(
                session, Scope(user_id, visibility, team_id), self.mixtures, self.experiments
            )
            report = importer.run(records)
        if any(r.kind == "molecule" and r.created for r in report.records):
            self.molecules.index.sync()
        return report
