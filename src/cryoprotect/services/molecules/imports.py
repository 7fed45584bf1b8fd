"""Molecule file import as a use case: read an upload, import it into the caller's scope.

The rules (batches, per-row rejections, duplicates) are :mod:`cryoprotect.services.molecule_io`'s;
the API (in the request or as a job) and the ``cryoprotect import`` command both come here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Unpack

# A module import: molecule_io imports this package (check_scope) while it loads.
from cryoprotect.services import molecule_io
from cryoprotect.services.actor import Actor

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cryoprotect.db.database import Database
    from cryoprotect.services.molecule_index import MoleculeIndex
    from cryoprotect.services.molecule_io import ImportReport, ImportScope, InputRecord


class MoleculeImports:
    """Import use cases of :class:`~cryoprotect.services.molecules.MoleculeService`."""

    db: Database
    index: MoleculeIndex

    @staticmethod
    def read_import(
        data: bytes,
        filename: str | None,
        fmt: str | None = None,
        *,
        smiles_column: str | None = None,
        name_column: str | None = None,
    ) -> Iterator[InputRecord]:
        """The records of an uploaded SMILES, CSV or SDF file, read lazily.

        Raises:
            ValidationError: the format is neither given nor told by the file name (now), or
                a CSV lacks the named column (when reading starts).
        """
        fmt = molecule_io.detect_format(filename, fmt)
        return molecule_io.read_records(
            data, fmt, smiles_column=smiles_column, name_column=name_column
        )

    def import_records(
        self,
        actor: Actor,
        records: Iterable[InputRecord],
        *,
        progress: Callable[[int], None] | None = None,
        cancel: Any = None,
        sync_index: bool = True,
        **scope: Unpack[ImportScope],
    ) -> ImportReport:
        """Import records into the caller's scope: good rows land, rejected rows are reported.

        Args:
            cancel: a job's cancel token, checked after every batch.
            progress: called with the number of rows of every batch written.
            sync_index: bring this process's search indexes up to date after each batch
                (the server does; a one-off command has no indexes to keep).
            scope: ``visibility``, ``team_id`` and ``processes``
                (:class:`~cryoprotect.services.molecule_io.ImportScope`).
        """

        def step(rows: int) -> None:
            if cancel is not None:
                cancel.check()
            if progress is not None:
                progress(rows)

        return molecule_io.import_molecules(
            self.db,
            actor,
            records,
            progress=step if cancel is not None or progress is not None else None,
            after_write=self.index.sync if sync_index else None,
            **scope,
        )
