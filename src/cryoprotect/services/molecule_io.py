"""Bulk import and export of molecules.

Import reads SMILES, CSV (a chosen column) or SDF, prepares each record through the one
chemistry path (standardise, identifiers, descriptors, fingerprint), and writes in batches
— one transaction per batch, multi-row INSERTs (PostgreSQL does not allow COPY FROM on
tables under row-level security). Rejected rows are reported by row number with the
reason while good rows land; rows whose identity already exists in the target scope (or
earlier in the same file) are counted as duplicates, so re-importing a file adds nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, Unpack

import sqlalchemy as sa

from cryoprotect.db.database import Database
from cryoprotect.db.models import MolecularProperty, Molecule
from cryoprotect.db.models.molecules import MoleculeDescriptors
from cryoprotect.errors import CryoprotectError, LimitExceeded, ValidationError
from cryoprotect.science.formats import sdf_records
from cryoprotect.services.actor import Actor
from cryoprotect.services.chemistry import (
    PreparedMolecule,
    alert_columns,
    prepare_structure,
    split_descriptors,
)
from cryoprotect.services.owned import Scope, author

FORMATS = ("smiles", "csv", "sdf")
EXPORT_FORMATS = ("csv", "sdf", "json")
BATCH_SIZE = 500
MAX_REPORTED_REJECTIONS = 1000
MAX_EXPORT_ROWS = 10_000  # one export request; beyond it, narrow it with q or ids


class ImportScope(Scope, total=False):
    """Where an import lands (``visibility``, ``team_id``) and how many worker processes
    prepare its structures; defaults as :func:`import_molecules` declares them."""

    processes: int


@dataclass(frozen=True)
class InputRecord:
    row: int
    text: str
    fmt: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported: its number, the start of its input, and why."""

    row: int
    input: str
    reason: str | None


@dataclass
class ImportReport:
    """What an import did (filled in batch by batch): counts and the first rejected rows."""

    total: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    rejected_count: int = 0
    created_ids: list[str] = field(default_factory=list)


def detect_format(filename: str | None, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ValidationError(f"format must be one of {', '.join(FORMATS)}.", field="format")
        return fmt
    ext = os.path.splitext(filename or "")[1].lower()
    guessed = {
        ".smi": "smiles",
        ".smiles": "smiles",
        ".txt": "smiles",
        ".csv": "csv",
        ".sdf": "sdf",
        ".sd": "sdf",
        ".mol": "sdf",
    }.get(ext)
    if guessed is None:
        raise ValidationError(
            "Cannot tell the file format from its name; give format (smiles, csv or sdf).",
            field="format",
        )
    return guessed


def read_records(
    data: bytes, fmt: str, *, smiles_column: str | None = None, name_column: str | None = None
) -> Iterator[InputRecord]:
    """Yield input records with their 1-based row (line or SDF record) numbers."""
    if fmt == "sdf":
        for number, block, name in sdf_records(data):
            yield InputRecord(number, block, "molblock", name)
        return
    text = data.decode("utf-8-sig", errors="replace")
    if fmt == "smiles":
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            parts = stripped.split(None, 1)
            if number == 1 and parts[0].lower() in ("smiles", "smi"):
                continue  # a header line
            yield InputRecord(
                number, parts[0], "smiles", parts[1].strip() if len(parts) > 1 else None
            )
        return
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    column = smiles_column or next(
        (c for c in columns if c.strip().lower() in ("smiles", "smi", "structure")), None
    )
    if column is None or column not in columns:
        raise ValidationError(
            f"CSV has no column {smiles_column or 'smiles'!r}; columns are {', '.join(columns)}.",
            field="smiles_column",
        )
    if name_column is not None and name_column not in columns:
        raise ValidationError(f"CSV has no column {name_column!r}.", field="name_column")
    name_col = name_column or next((c for c in columns if c.strip().lower() == "name"), None)
    for number, record in enumerate(reader, start=2):  # row 1 is the header
        yield InputRecord(
            number,
            (record.get(column) or "").strip(),
            "smiles",
            (record.get(name_col) or "").strip() or None if name_col else None,
        )


def _prepare(record: InputRecord) -> tuple[InputRecord, PreparedMolecule | None, str | None]:
    try:
        prepared = prepare_structure(record.text, record.fmt)
        # Only the rows and alerts travel back from a worker process, not the RDKit molecule.
        return (
            record,
            PreparedMolecule(prepared.values, prepared.properties, alerts=prepared.alerts),
            None,
        )
    except CryoprotectError as exc:
        return record, None, exc.message


def prepare_records(
    records: Iterable[InputRecord], processes: int = 1
) -> Iterator[tuple[InputRecord, PreparedMolecule | None, str | None]]:
    """Prepare records in order, on ``processes`` worker processes when > 1."""
    if processes <= 1:
        yield from map(_prepare, records)
        return
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("forkserver")) as pool:
        yield from pool.map(_prepare, records, chunksize=64)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _input_preview(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:200]


def _insert_properties_batch(
    session: Any, ids: Sequence[uuid.UUID], prepared: list[PreparedMolecule], owner: uuid.UUID
) -> None:
    """The batch's computed descriptors and structural alerts: one ``molecule_descriptors``
    row per molecule (one multi-row INSERT); rows the catalogue does not express go to
    ``molecular_properties`` (:func:`~cryoprotect.services.chemistry.split_descriptors`).
    RLS still checks every row."""
    stored_rows: list[dict[str, Any]] = []
    other_rows: list[dict[str, Any]] = []
    for molecule_id, item in zip(ids, prepared, strict=True):
        stored, rest = split_descriptors(item.properties)
        if stored is not None:
            stored_rows.append(
                {
                    "molecule_id": molecule_id,
                    "computed_by": stored.computed_by,
                    "descriptor_values": list(stored.values),
                    **alert_columns(item.alerts),
                }
            )
        other_rows.extend({**row, "molecule_id": molecule_id, "created_by": owner} for row in rest)
    if stored_rows:
        session.execute(sa.insert(MoleculeDescriptors), stored_rows)
    if other_rows:
        session.execute(sa.insert(MolecularProperty), other_rows)


def import_molecules(
    db: Database,
    actor: Actor,
    records: Iterable[InputRecord],
    *,
    processes: int = 1,
    progress: Callable[[int], None] | None = None,
    after_write: Callable[[], Any] | None = None,
    **scope: Unpack[Scope],
) -> ImportReport:
    """Import records into the caller's scope; see the module docstring for the rules."""
    owner = author(actor, **scope)
    visibility, team_id, user_id = owner.visibility, owner.team_id, owner.user_id
    report = ImportReport()
    seen: set[str] = set()

    def write(batch: list[tuple[InputRecord, PreparedMolecule | None, str | None]]) -> None:
        report.total += len(batch)
        good: list[tuple[InputRecord, PreparedMolecule]] = []
        for record, prepared, reason in batch:
            if prepared is None:
                report.rejected_count += 1
                if len(report.rejected) < MAX_REPORTED_REJECTIONS:
                    report.rejected.append(
                        RejectedRow(record.row, _input_preview(record.text), reason)
                    )
            else:
                good.append((record, prepared))
        with db.transaction(actor.identity) as session:
            keys = [p.values["inchikey"] for _, p in good]
            scope = sa.select(Molecule.inchikey).where(Molecule.inchikey.in_(keys))
            if visibility == "public":
                scope = scope.where(Molecule.visibility == "public")
            elif visibility == "team":
                scope = scope.where(Molecule.visibility == "team", Molecule.team_id == team_id)
            else:
                scope = scope.where(
                    Molecule.visibility == "private", Molecule.created_by == user_id
                )
            seen.update(session.scalars(scope))
            rows, props = [], []
            for record, prepared in good:
                key = prepared.values["inchikey"]
                if key in seen:
                    report.duplicates += 1
                    continue
                seen.add(key)
                rows.append(
                    {
                        **prepared.values,
                        "name": record.name,
                        "synonyms": [],
                        "sources": [],
                        **owner.columns(),
                    }
                )
                props.append(prepared)
            if rows:
                ids = session.scalars(
                    sa.insert(Molecule).returning(Molecule.id, sort_by_parameter_order=True), rows
                ).all()
                _insert_properties_batch(session, ids, props, user_id)
                report.created += len(ids)
                report.created_ids.extend(str(i) for i in ids)
        if progress is not None:
            progress(len(batch))

    # One writer thread: while PostgreSQL stores batch n (the GIL is released while the
    # driver waits), the next batch is being prepared. Batches are written strictly in order,
    # so the duplicate check sees every earlier row.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cp-import") as writer:
        pending: Future[None] | None = None
        for batch in _batches(prepare_records(records, processes), BATCH_SIZE):
            if pending is not None:
                pending.result()
            pending = writer.submit(write, batch)
        if pending is not None:
            pending.result()
    if after_write is not None and report.created:
        after_write()
    return report


# ---------------------------------------------------------------------- export
EXPORT_COLUMNS = (
    "id",
    "name",
    "smiles",
    "inchi",
    "inchikey",
    "formula",
    "molecular_weight",
    "average_molar_mass",
    "pubchem_cid",
    "molecule_class",
    "kind",
    "visibility",
)


def export_molecules(
    db: Database, actor: Actor, fmt: str, ids: list[uuid.UUID] | None = None, q: str | None = None
) -> tuple[str, str]:
    """Visible molecules (all, by ids, or matching text) as CSV, SDF or JSON.

    Returns:
        ``(content, mimetype)``.

    Raises:
        LimitExceeded: more than ``MAX_EXPORT_ROWS`` molecules would be exported.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"format must be one of {', '.join(EXPORT_FORMATS)}.", field="format")
    query = sa.select(Molecule).order_by(Molecule.name.asc().nulls_last(), Molecule.id)
    if ids:
        query = query.where(Molecule.id.in_(ids))
    if q:
        query = query.where(sa.or_(Molecule.name.ilike(f"%{q}%"), Molecule.inchikey == q.upper()))
    with db.transaction(actor.identity) as session:
        found = list(session.scalars(query.limit(MAX_EXPORT_ROWS + 1)))
        if len(found) > MAX_EXPORT_ROWS:
            raise LimitExceeded(
                f"The export would hold more than {MAX_EXPORT_ROWS:,} molecules; narrow it "
                "with q (text) or ids.",
                field="q",
                details={"limit": MAX_EXPORT_ROWS},
            )
        rows = [{c: getattr(m, c) for c in EXPORT_COLUMNS} for m in found]
    for row in rows:
        row["id"] = str(row["id"])
    if fmt == "json":
        return json.dumps(rows, indent=1), "application/json"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue(), "text/csv"
    from cryoprotect.science.formats import to_sdf

    return to_sdf([r for r in rows if r["smiles"]], title_key="name"), "chemical/x-mdl-sdfile"
