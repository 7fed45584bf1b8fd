"""The ``.eln`` use cases: export the caller's selection, import an archive into a scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Unpack

from cryoprotect.services.actor import Actor
from cryoprotect.services.bundle import Services
from cryoprotect.services.eln.archive import read_archive, write_archive
from cryoprotect.services.eln.export import collect
from cryoprotect.services.eln.importer import Importer, ImportReport
from cryoprotect.services.owned import Scope, author


@dataclass(frozen=True)
class ElnService:
    """Export and import ``.eln`` (RO-Crate) archives under the caller's identity, through
    the app's services (the mixtures' and experiments' checks, the molecule index)."""

    services: Services

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
        with self.services.db.transaction(actor.identity) as session:
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
        **scope: Unpack[Scope],
    ) -> ImportReport:
        """Create the archive's records in the caller's chosen scope, all or nothing."""
        owner = author(actor, **scope)
        records = read_archive(blob)
        svc = self.services
        with svc.db.transaction(actor.identity) as session:
            report = Importer(session, owner, svc.mixtures, svc.experiments).run(records)
        if any(r.kind == "molecule" and r.created for r in report.records):
            svc.molecules.index.sync()
        return report
