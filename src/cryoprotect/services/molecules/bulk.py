"""Bulk import of the screen's Parquet output with PostgreSQL ``COPY``.

``cryoprotect screen --parquet DIR`` writes every molecule as registration stores it (the
``registration_*`` columns of :mod:`cryoprotect.services.screening_parts`, marked in each
file's schema metadata). Those rows are already standardised, so importing them skips
RDKit: each batch is copied (``COPY … FROM STDIN``) into a temporary staging table, then
written with one ``INSERT … SELECT`` into ``molecules`` and one into
``molecule_descriptors`` (the computed descriptors, one array per molecule, and the
structural alerts the screen found, migration 0022), in one
transaction on the caller's identity. PostgreSQL refuses
``COPY`` into tables under row-level security; the staging table has none, and the two
``INSERT … SELECT`` statements are ordinary inserts: every row passes the RLS policies as the
caller, and the audit trigger (and so the search indexes' change feed) sees each of them
(one statement-level trigger writes the audit rows of the whole INSERT, migration 0021).

The identity rules are the file import's (:mod:`cryoprotect.services.molecule_io`): a row
whose parent InChIKey already exists in the target scope (as the caller sees it), or earlier
in the same import, is counted as a duplicate and skipped; rows the screen could not
standardise, or whose registration cells fail the checks here, are reported with the reason.
Repeats within the import are found while reading (the file order decides which row is
kept), so batches share no InChIKey and ``connections`` of them are written at once, each
in its own transaction: a batch that fails leaves nothing of itself behind, the batches
committed before stay, and importing the same files again resumes.

Where the time goes (``benchmarks/bulk_import_parquet.py``; ``EXPLAIN (ANALYZE, BUFFERS)``
at 5,000 rows): before migration 0021 the 19 computed ``molecular_properties`` rows per
molecule (six index entries, two foreign-key checks and a parent lookup each) took ~83 % of
a batch and the per-row audit trigger ~56 % of the molecules INSERT (RLS itself was not the
cost: the same INSERTs as the BYPASSRLS owner took as long). Since 0021 a molecule's
descriptors are one ``molecule_descriptors`` row and its audit row is written by one
statement per batch; what remains is mostly the molecules INSERT (its ~12 indexes, two
trigram GIN indexes among them) and reading and staging the rows.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cryoprotect.db.database import Database
from cryoprotect.errors import ValidationError
from cryoprotect.science.alerts import alerts_key, decode_alerts
from cryoprotect.science.fingerprints import FP_BYTES
from cryoprotect.services.actor import Actor
from cryoprotect.services.chemistry import DESCRIPTOR_NAMES, property_rows, split_descriptors
from cryoprotect.services.molecule_io import MAX_REPORTED_REJECTIONS, ImportReport, RejectedRow
from cryoprotect.services.molecules.records import check_scope
from cryoprotect.services.screening import DESCRIPTOR_COLUMNS
from cryoprotect.services.screening_parts import (
    ALERTS_KEY,
    REGISTRATION_KEY,
    REGISTRATION_SCHEMA,
    REGISTRATION_VERSION,
)

BATCH_ROWS = 5000
"""Rows per COPY and transaction (the file import writes 500 per batch)."""
CONNECTIONS = 2
"""Batches written at once, each on its own connection and transaction."""
_NEEDED = ("input_row", "name", "input", "smiles", "inchikey", "error", "source")
_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")
_STAGE = "cp_bulk_stage"
_STAGE_DDL = f"""
CREATE TEMPORARY TABLE {_STAGE} (
    ord integer NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text,
    smiles text NOT NULL,
    inchi text NOT NULL,
    inchikey text NOT NULL,
    formula text NOT NULL,
    molecular_weight float8 NOT NULL,
    morgan_fp bytea NOT NULL,
    standardization jsonb NOT NULL,
    descriptors float8[] NOT NULL,
    alerts jsonb
) ON COMMIT DROP
"""
_COPY = (
    f"COPY {_STAGE} (ord, name, smiles, inchi, inchikey, formula, molecular_weight, "
    "morgan_fp, standardization, descriptors, alerts) FROM STDIN"
)
# The batch's rows not already in the target scope (as the caller sees it: the SELECT runs
# under RLS, as the file import's duplicate query does). Repeats within the import were
# counted before staging (:class:`_Batcher`), so each InChIKey is staged once.
_INSERT_MOLECULES = f"""
INSERT INTO molecules (id, kind, name, synonyms, smiles, inchi, inchikey, formula,
                       molecular_weight, sources, standardization, morgan_fp,
                       visibility, team_id, created_by)
SELECT s.id, 'structure', s.name, '{{}}'::text[], s.smiles, s.inchi, s.inchikey, s.formula,
       s.molecular_weight, '[]'::jsonb, s.standardization, s.morgan_fp,
       CAST(%(visibility)s AS text), CAST(%(team_id)s AS uuid), CAST(%(owner)s AS uuid)
FROM {_STAGE} s
WHERE NOT EXISTS (
    SELECT 1 FROM molecules m
    WHERE m.inchikey = s.inchikey AND m.visibility = CAST(%(visibility)s AS text) AND {{scope}}
)
ORDER BY s.ord
RETURNING id
"""
_SCOPES = {
    "public": "true",
    "team": "m.team_id = CAST(%(team_id)s AS uuid)",
    "private": "m.created_by = CAST(%(owner)s AS uuid)",
}
# Computed descriptors of the molecules just inserted: one molecule_descriptors row each, the
# staged array as is (a separate statement: the policy on molecule_descriptors looks its
# parent up, which must already be visible). The new ids come from the INSERT's RETURNING,
# not from a join with ``molecules`` (a scan of the whole visible library per batch).
_INSERT_DESCRIPTORS = f"""
INSERT INTO molecule_descriptors (molecule_id, computed_by, descriptor_values, alerts, alerts_key)
SELECT s.id, CAST(%(computed_by)s AS text), s.descriptors, s.alerts,
       CASE WHEN s.alerts IS NULL THEN NULL ELSE CAST(%(alerts_key)s AS text) END
FROM {_STAGE} s
JOIN unnest(CAST(%(ids)s AS uuid[])) AS new(id) ON new.id = s.id
"""
# Positions of the catalogue's descriptors in the screen's registration_descriptors.
_ORDER = [DESCRIPTOR_COLUMNS.index(name) for name in DESCRIPTOR_NAMES]
_IN_ORDER = tuple(DESCRIPTOR_COLUMNS) == DESCRIPTOR_NAMES


@dataclass(frozen=True)
class ScreenFile:
    """A Parquet file of the screen's output, checked for the registration columns.

    ``alerts_current``: its structural alerts were found under this version's
    :func:`~cryoprotect.science.alerts.alerts_key` (else they are not stored, and are
    found on read).
    """

    path: Path
    rows: int
    alerts_current: bool = False


def is_screen_output(path: Path) -> bool:
    """Whether ``path`` is meant for :func:`import_screen_parquet` (a directory or .parquet)."""
    return path.is_dir() or path.suffix.lower() in (".parquet", ".pq")


def screen_files(path: Path) -> list[ScreenFile]:
    """The screen's Parquet files at ``path`` (a file, or a directory of ``part-*.parquet``),
    each checked before anything is written.

    Raises:
        ValidationError: naming the file that is not the screen's output with registration
            columns (unreadable, no marker, another version, missing columns).
    """
    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    if not files:
        raise ValidationError(f"{path}: no part-*.parquet files in this directory.", field="path")
    return [_check_file(f) for f in files]


def _check_file(path: Path) -> ScreenFile:
    try:
        schema = pq.read_schema(path)
        rows = pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise ValidationError(
            f"{path}: not a readable Parquet file ({exc}).", field="path"
        ) from exc
    marker = (schema.metadata or {}).get(REGISTRATION_KEY)
    if marker is None:
        raise ValidationError(
            f"{path}: not the output of `cryoprotect screen --parquet` with registration "
            "columns (no marker in its schema); import SMILES, CSV or SDF files instead, or "
            "screen again.",
            field="path",
        )
    if marker != REGISTRATION_VERSION:
        raise ValidationError(
            f"{path}: screen output version {marker.decode(errors='replace')}, "
            f"this import reads version {REGISTRATION_VERSION.decode()}.",
            field="path",
        )
    order = (schema.metadata or {}).get(b"cryoprotect.screen.descriptors", b"").decode()
    if order.split(",") != DESCRIPTOR_COLUMNS:
        raise ValidationError(
            f"{path}: its descriptors ({order or 'none'}) are not this version's "
            f"({','.join(DESCRIPTOR_COLUMNS)}); screen again.",
            field="path",
        )
    missing = [n for n in (*_NEEDED, *REGISTRATION_SCHEMA.names) if n not in schema.names]
    if missing:
        raise ValidationError(f"{path}: missing columns {', '.join(missing)}.", field="path")
    key = (schema.metadata or {}).get(ALERTS_KEY, b"").decode(errors="replace")
    return ScreenFile(path, rows, alerts_current=key == alerts_key())


def _row_problem(row: dict[str, Any]) -> str | None:
    """Why a registration row cannot be stored (None: it can)."""
    if row["error"]:
        return str(row["error"])
    if not _INCHIKEY.match(row["inchikey"] or ""):
        return f"not an InChIKey: {row['inchikey']!r}"
    if not row["smiles"] or not row["registration_inchi"] or not row["registration_formula"]:
        return "registration cells empty (smiles, InChI or formula)"
    weight = row["registration_molecular_weight"]
    if weight is None or not weight > 0:
        return f"molecular weight {weight!r} is not positive"
    fp = row["registration_morgan_fp"]
    if fp is None or len(fp) != FP_BYTES:
        return f"fingerprint of {0 if fp is None else len(fp)} bytes, not {FP_BYTES}"
    values = row["registration_descriptors"]
    if values is None or len(values) != len(DESCRIPTOR_COLUMNS):
        return "descriptor values missing"
    try:
        json.loads(row["registration_standardization"] or "")
    except ValueError:
        return "standardization record is not JSON"
    alerts = row["registration_alerts"]
    if alerts is not None:
        try:
            readable = decode_alerts(json.loads(alerts)) is not None
        except ValueError:
            readable = False
        if not readable:
            return "structural alerts record is not the screen's"
    return None


class _Batcher:
    """Reads the files' rows in order into batches of at most ``size`` rows to store.

    Rows the screen could not standardise or that fail :func:`_row_problem` are counted as
    rejected; a row whose parent InChIKey came earlier in this import is counted as a
    duplicate here (``seen``), so batches never share an InChIKey and may be written in any
    order or at the same time. Duplicates of rows already in the scope are found by the
    INSERT (``NOT EXISTS`` under RLS).
    """

    def __init__(self, report: ImportReport, size: int) -> None:
        self.report = report
        self.size = size
        self.seen: set[str] = set()

    def batches(self, files: list[ScreenFile]) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Yield ``(rows to store, input rows read for them)``."""
        columns = [*_NEEDED, *REGISTRATION_SCHEMA.names]
        pending: list[dict[str, Any]] = []
        read = 0
        for item in files:
            handle = pq.ParquetFile(item.path)
            for chunk in handle.iter_batches(batch_size=self.size, columns=columns):
                for row in chunk.to_pylist():
                    read += 1
                    if not item.alerts_current:
                        row["registration_alerts"] = None
                    if self._keep(row):
                        pending.append(row)
                    if len(pending) >= self.size:
                        yield pending, read
                        pending, read = [], 0
        if pending or read:
            yield pending, read

    def _keep(self, row: dict[str, Any]) -> bool:
        report = self.report
        report.total += 1
        problem = _row_problem(row)
        if problem is not None:
            report.rejected_count += 1
            if len(report.rejected) < MAX_REPORTED_REJECTIONS:
                reason = f"{row['source']}: {problem}"
                report.rejected.append(
                    RejectedRow(int(row["input_row"]), str(row["input"])[:200], reason)
                )
            return False
        if row["inchikey"] in self.seen:
            report.duplicates += 1
            return False
        self.seen.add(row["inchikey"])
        return True


def import_screen_parquet(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    visibility: str = "private",
    team_id: uuid.UUID | None = None,
    batch_rows: int = BATCH_ROWS,
    connections: int = CONNECTIONS,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the screen's Parquet output at ``path`` into the caller's scope.

    Counts as :func:`cryoprotect.services.molecule_io.import_molecules` does: ``total`` rows,
    ``created``, ``duplicates`` (in scope already, or earlier in this import), ``rejected``
    (the screen's failures and rows failing the checks, with the reason). Batches of
    ``batch_rows`` are written by up to ``connections`` database connections at once, each
    batch in its own transaction (all or nothing). If one fails, the batches already
    running finish, no new one starts and its error is raised with a note of what was
    committed; importing the same files again resumes (committed rows count as duplicates).

    Raises:
        ValidationError: a file is not the screen's output (named, before anything is written).
    """
    user_id = actor.require_user()
    check_scope(visibility, team_id)
    if batch_rows < 1:
        raise ValidationError("batch_rows must be at least 1.", field="batch_rows")
    if connections < 1:
        raise ValidationError("connections must be at least 1.", field="connections")
    files = screen_files(path)
    report = ImportReport()
    stored, _ = split_descriptors(property_rows(dict.fromkeys(DESCRIPTOR_COLUMNS, 0.0)))
    assert stored is not None  # the catalogue expresses its own rows
    writer = _Writer(
        db,
        actor,
        insert=_INSERT_MOLECULES.replace("{scope}", _SCOPES[visibility]),
        params={
            "visibility": visibility,
            "team_id": team_id,
            "owner": user_id,
            "computed_by": stored.computed_by,
            "alerts_key": alerts_key(),
        },
    )
    running: deque[tuple[Future[list[uuid.UUID]], int, int]] = deque()

    def finish_one() -> None:
        future, staged, read = running.popleft()
        ids = future.result()
        report.created += len(ids)
        report.duplicates += staged - len(ids)
        report.created_ids.extend(str(i) for i in ids)
        if progress is not None:
            progress(read)

    with ThreadPoolExecutor(max_workers=connections, thread_name_prefix="bulk-import") as pool:
        try:
            for rows, read in _Batcher(report, batch_rows).batches(files):
                running.append((pool.submit(writer.write, rows), len(rows), read))
                while len(running) > connections or (running and running[0][0].done()):
                    finish_one()
            while running:
                finish_one()
        except Exception as exc:
            for future, _, _ in running:
                future.cancel()
            wait([future for future, _, _ in running])
            exc.add_note(
                f"Batches committed before the failure: {report.created} molecules added; "
                "import the same files again to resume (rows already stored count as duplicates)."
            )
            raise
    return report


@dataclass(frozen=True)
class _Writer:
    """Writes one batch in one transaction on the caller's identity."""

    db: Database
    actor: Actor
    insert: str
    params: dict[str, Any]

    def write(self, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
        """Store ``rows``; return the ids of the molecules added (in row order)."""
        if not rows:
            return []
        with self.db.transaction(self.actor.identity) as session:
            connection: Any = session.connection().connection.driver_connection
            with connection.cursor() as cursor:
                _stage(cursor, rows)
                cursor.execute(self.insert, self.params)
                ids = [row[0] for row in cursor.fetchall()]
                if ids:
                    cursor.execute(_INSERT_DESCRIPTORS, {**self.params, "ids": ids})
            return ids


def _stage(cursor: Any, rows: list[dict[str, Any]]) -> None:
    """COPY ``rows`` into this transaction's staging table (dropped at commit)."""
    cursor.execute(_STAGE_DDL)
    with cursor.copy(_COPY) as copy:
        for order, row in enumerate(rows):
            values = row["registration_descriptors"]
            copy.write_row(
                (
                    order,
                    row["name"] or None,
                    row["smiles"],
                    row["registration_inchi"],
                    row["inchikey"],
                    row["registration_formula"],
                    row["registration_molecular_weight"],
                    row["registration_morgan_fp"],
                    row["registration_standardization"],
                    values if _IN_ORDER else [values[i] for i in _ORDER],
                    row["registration_alerts"],
                )
            )
