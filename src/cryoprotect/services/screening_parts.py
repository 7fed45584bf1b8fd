"""The worker side of distributed screening: plan a file into partitions, score a partition.

Runs inside Dask worker processes (:mod:`cryoprotect.services.screening_dask` submits these
functions); it is plain Python over files, so the same functions also run in the caller's
process. A partition is read from the file by the worker itself (a byte position for plain
SMILES/CSV, a line range for gzip, a record range for SDF, a row range for Parquet), each
record goes through :func:`cryoprotect.services.screening.score_record` — the registration
standardisation, descriptors, CPA score and structural alerts — and, with a molecule model,
:func:`cryoprotect.services.screening.predict_chunk`. The scored rows are written as one
Parquet file (for a Parquet output) and/or as their CSV lines, formatted here as the local
engine formats them (for a CSV output: the caller only copies the lines out in rank order),
under names fixed by (file, partition), through a temporary name and an atomic rename: a
partition computed again after a worker died replaces its own files, so every input row is
in the output exactly once.
"""

from __future__ import annotations

import gzip
import json
import os
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cryoprotect.science.alerts import alerts_key, encode_alerts
from cryoprotect.science.formats import sdf_records
from cryoprotect.services.chemistry import PreparedMolecule
from cryoprotect.services.screening import (
    COLUMNS,
    DESCRIPTOR_COLUMNS,
    csv_line,
    input_suffix,
    open_text,
    parse_line,
    predict_chunk,
    prediction_columns,
    score_and_register,
)

Record = tuple[int, str, str, str | None]
TEXT_SUFFIXES = (".smi", ".smiles", ".txt", ".csv")
SDF_SUFFIXES = (".sdf", ".sd")
PARQUET_SUFFIXES = (".parquet", ".pq")
_INT_COLUMNS = {"rank", "input_row", "alerts_count"}
_STRING_COLUMNS = {
    "name",
    "input",
    "smiles",
    "inchikey",
    "alert_catalogues",
    "alert_descriptions",
    "error",
    "prediction_note",
    "source",
}


REGISTRATION_KEY = b"cryoprotect.screen.registration"
"""Parquet schema metadata key marking a screen output that carries registration columns."""
REGISTRATION_VERSION = b"2"
"""2: ``registration_alerts`` added (the structural alerts stored with the descriptors)."""
ALERTS_KEY = b"cryoprotect.screen.alerts_key"
"""Schema metadata: the :func:`~cryoprotect.science.alerts.alerts_key` the alerts were found under."""
REGISTRATION_SCHEMA = pa.schema(
    [
        pa.field("registration_inchi", pa.string()),
        pa.field("registration_formula", pa.string()),
        pa.field("registration_molecular_weight", pa.float64()),
        pa.field("registration_morgan_fp", pa.binary()),
        pa.field("registration_standardization", pa.string()),  # JSON
        # Unrounded, in DESCRIPTOR_COLUMNS order (the screen's own columns are rounded).
        pa.field("registration_descriptors", pa.list_(pa.float64())),
        pa.field("registration_alerts", pa.string()),  # JSON (encode_alerts)
    ]
)
"""After ``source``: the molecule as registration stores it (empty for a failed row)."""


def registration_metadata() -> dict[bytes, bytes]:
    """The marker (and the descriptor order) written into every partition's schema."""
    return {
        REGISTRATION_KEY: REGISTRATION_VERSION,
        b"cryoprotect.screen.descriptors": ",".join(DESCRIPTOR_COLUMNS).encode(),
        ALERTS_KEY: alerts_key().encode(),
    }


def _registration_columns(prepared: Sequence[PreparedMolecule | None]) -> list[pa.Array]:
    cells: list[list[Any]] = [[] for _ in REGISTRATION_SCHEMA]
    for item in prepared:
        if item is None:
            for column in cells:
                column.append(None)
            continue
        values = item.values
        props = {p["property_name"]: p["value"] for p in item.properties}
        row = [
            values["inchi"],
            values["formula"],
            values["molecular_weight"],
            values["morgan_fp"],
            json.dumps(values["standardization"], sort_keys=True),
            [float(props[c]) for c in DESCRIPTOR_COLUMNS],
            None if item.alerts is None else json.dumps(encode_alerts(item.alerts)),
        ]
        for column, cell in zip(cells, row, strict=True):
            column.append(cell)
    return [
        pa.array(column, type=f.type) for column, f in zip(cells, REGISTRATION_SCHEMA, strict=True)
    ]


class ScreenInputError(Exception):
    """A file that cannot be screened (the message names it); picklable across processes."""


@dataclass(frozen=True)
class Partition:
    """One slice of one input file. ``kind``: text | text.gz | sdf | parquet.

    ``first_row`` is the 1-based number of its first line (text), record (SDF) or row
    (Parquet), ``count`` how many it holds. text: ``start`` is the file position of the first
    line; sdf: bytes ``start`` .. ``end`` of the (decompressed) file hold its records; gzip
    text and Parquet are read from the beginning of the file (``start``/``end`` unused).
    """

    source: str
    file_index: int
    index: int
    kind: str
    start: int
    first_row: int
    count: int
    end: int = -1


@dataclass(frozen=True)
class PartResult:
    """What a scored partition sends back: its ranking keys in input order and its rejects."""

    file_index: int
    index: int
    path: str  # the staged Parquet file ("" when no Parquet was asked for)
    keys: np.ndarray  # float64, -inf for a failed row
    rejects: list[tuple[str, int, str, str]]  # (source, row, input, reason)
    lines: str = ""  # the staged CSV lines (UTF-8, no rank; "" when no CSV was asked for)
    line_ends: np.ndarray | None = None  # int64: the byte offset just past each row's line


def columns(target: str | None) -> list[str]:
    """The output columns: the local engine's (rank first), the model's, then ``source``."""
    return [*COLUMNS, *(prediction_columns(target) if target else []), "source"]


def arrow_schema(target: str | None) -> pa.Schema:
    """Typed columns: integers, floats, strings and a nullable prediction_in_domain flag."""
    fields = []
    for name in columns(target):
        if name in _INT_COLUMNS:
            kind: pa.DataType = pa.int64()
        elif name in _STRING_COLUMNS:
            kind = pa.string()
        elif name == "prediction_in_domain":
            kind = pa.bool_()
        else:
            kind = pa.float64()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _file_kind(path: Path) -> str:
    suffix = input_suffix(path)
    gz = path.name.lower().endswith(".gz")
    if suffix in PARQUET_SUFFIXES and not gz:
        return "parquet"
    if suffix in SDF_SUFFIXES:
        return "sdf"
    if suffix in TEXT_SUFFIXES:
        return "text.gz" if gz else "text"
    raise ScreenInputError(
        f"{path}: unknown format '{path.name}' (use .smi/.smiles/.txt/.csv or .sdf/.sd, "
        "optionally .gz, or .parquet)"
    )


def plan_file(source: str, file_index: int, size: int) -> list[Partition]:
    """Split ``source`` into partitions of at most ``size`` rows (records for SDF).

    Reads the whole file once (a gzip file is fully decompressed, so a truncated or corrupt
    one fails here, before any scoring); raises :class:`ScreenInputError` naming the file.
    """
    path = Path(source)
    kind = _file_kind(path)
    try:
        if kind == "parquet":
            return _plan_parquet(path, file_index, size)
        if kind == "sdf":
            return _plan_sdf(path, file_index, size)
        return _plan_text(path, file_index, size, kind)
    except ScreenInputError:
        raise
    except (OSError, EOFError, zlib.error, pa.ArrowException, UnicodeError) as exc:
        raise ScreenInputError(f"{path}: cannot be read ({exc})") from exc


def _plan_text(path: Path, file_index: int, size: int, kind: str) -> list[Partition]:
    parts: list[Partition] = []
    start, first, number = 0, 1, 0
    with open_text(path) as handle:
        while line := handle.readline():
            number += 1
            if "\x00" in line:
                raise ScreenInputError(f"{path}: line {number} holds a NUL byte (not a text file)")
            if number - first + 1 == size:
                parts.append(Partition(str(path), file_index, len(parts), kind, start, first, size))
                first, start = number + 1, (handle.tell() if kind == "text" else 0)
    if number >= first:
        count = number - first + 1
        parts.append(Partition(str(path), file_index, len(parts), kind, start, first, count))
    return parts


def _sdf_bytes(path: Path, start: int = 0, end: int = -1) -> bytes:
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(path.read_bytes())
        return data[start:] if end < 0 else data[start:end]
    with path.open("rb") as handle:
        handle.seek(start)
        return handle.read() if end < 0 else handle.read(end - start)


def _plan_sdf(path: Path, file_index: int, size: int) -> list[Partition]:
    # Cut right after the "$$$$" that closes every size-th non-blank record: the slices split
    # into exactly the records (and numbers) sdf_records() finds in the whole file.
    data = _sdf_bytes(path)
    cuts: list[tuple[int, int, int, int]] = []  # (start, end, first record, count)
    start, first, count, position = 0, 1, 0, 0
    while (found := data.find(b"$$$$", position)) >= 0:
        count += bool(data[position:found].decode("utf-8-sig", errors="replace").strip())
        position = found + 4
        if count == size:
            cuts.append((start, position, first, count))
            start, first, count = position, first + count, 0
    count += bool(data[position:].decode("utf-8-sig", errors="replace").strip())
    if count:
        cuts.append((start, len(data), first, count))
    return [
        Partition(str(path), file_index, i, "sdf", lo, first, n, end=hi)
        for i, (lo, hi, first, n) in enumerate(cuts)
    ]


def _plan_parquet(path: Path, file_index: int, size: int) -> list[Partition]:
    schema = pq.read_schema(path)
    if "smiles" not in schema.names:
        raise ScreenInputError(f"{path}: no 'smiles' column (columns: {', '.join(schema.names)})")
    total = pq.ParquetFile(path).metadata.num_rows
    return [
        Partition(str(path), file_index, i, "parquet", 0, first, min(size, total - first + 1))
        for i, first in enumerate(range(1, total + 1, size))
    ]


def read_partition(part: Partition) -> Iterator[Record]:
    """The records of ``part``, numbered as :func:`screening.iter_input` numbers them."""
    path = Path(part.source)
    if part.kind == "parquet":
        yield from _read_parquet(path, part)
    elif part.kind == "sdf":
        for number, block, title in sdf_records(_sdf_bytes(path, part.start, part.end)):
            yield part.first_row + number - 1, block, "molblock", title
    else:
        is_csv = input_suffix(path) == ".csv"
        with open_text(path) as handle:
            if part.kind == "text":
                handle.seek(part.start)
                lines: Iterator[str] = iter(handle)
            else:
                lines = islice(handle, part.first_row - 1, None)
            for number, line in enumerate(islice(lines, part.count), start=part.first_row):
                record = parse_line(number, line, is_csv)
                if record is not None:
                    yield record


def _read_parquet(path: Path, part: Partition) -> Iterator[Record]:
    handle = pq.ParquetFile(path)
    names = ["smiles", "name"] if "name" in handle.schema_arrow.names else ["smiles"]
    offset = 0  # first row (0-based) of the current row group
    for group in range(handle.metadata.num_row_groups):
        rows = handle.metadata.row_group(group).num_rows
        lo, hi = (
            max(part.first_row - 1, offset),
            min(part.first_row - 1 + part.count, offset + rows),
        )
        if lo < hi:
            table = handle.read_row_group(group, columns=names).slice(lo - offset, hi - lo)
            smiles = table.column("smiles").to_pylist()
            titles = table.column("name").to_pylist() if "name" in names else [None] * len(smiles)
            for i, (text, title) in enumerate(zip(smiles, titles, strict=True)):
                yield lo + i + 1, str(text or ""), "smiles", (str(title) if title else None)
        offset += rows


def _cell(value: object, name: str) -> object:
    if name in _STRING_COLUMNS:
        return "" if value is None else str(value)
    if value == "" or value is None:
        return None
    if name == "prediction_in_domain":
        return value == "true"
    return value


def _table(rows: Sequence[list[object]], source: str, target: str | None) -> pa.Table:
    schema = arrow_schema(target)
    names = schema.names[1:]  # no rank yet
    data = {
        name: [_cell(row[i], name) for row in rows]
        for i, name in enumerate(names)
        if name != "source"
    }
    data["source"] = [source] * len(rows)
    return pa.Table.from_pydict(data, schema=pa.schema([schema.field(n) for n in names]))


def write_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` through a temporary name in the same directory."""
    _atomically(path, lambda temporary: pq.write_table(table, temporary))


def _atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` a temporary file beside ``path``, then rename it to ``path``."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    write(temporary)
    os.replace(temporary, path)


def part_name(file_index: int, index: int) -> str:
    return f"part-{file_index:04d}-{index:06d}.parquet"


def csv_lines(rows: Sequence[list[object]], source: str) -> list[bytes]:
    """Each row as the local engine writes it (:func:`csv_line`; rank not included),
    followed by ``source``: one UTF-8 line per row."""
    return [csv_line([*row, source]).encode("utf-8") for row in rows]


def score_partition(
    part: Partition,
    staging: str,
    rank_by: str,
    model: Any = None,
    *,
    parquet: bool = True,
    lines: bool = False,
) -> PartResult:
    """Score every record of ``part`` and write them (input order, no rank) under ``staging``:
    a Parquet file with the registration columns (``parquet``) and/or the rows' CSV lines
    (``lines``)."""
    triples = [score_and_register(r, rank_by, register=parquet) for r in read_partition(part)]
    scored = [(key, row) for key, row, _ in triples]
    if model is not None:
        scored = list(predict_chunk(scored, model))
    target = model.target if model is not None else None
    name = Path(part.source).name
    path = Path(staging) / part_name(part.file_index, part.index)
    if parquet:
        table = _table([row for _, row in scored], name, target)
        for field, column in zip(
            REGISTRATION_SCHEMA, _registration_columns([p for _, _, p in triples]), strict=True
        ):
            table = table.append_column(field, column)
        table = table.replace_schema_metadata(registration_metadata())
        write_atomic(table, path)
    lines_path, ends = "", None
    if lines:
        encoded = csv_lines([row for _, row in scored], name)
        ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        lines_path = str(path.with_suffix(".csv"))
        _atomically(Path(lines_path), lambda temporary: temporary.write_bytes(b"".join(encoded)))
    error_at = len(COLUMNS) - 2  # the row has no rank: error is its last local-engine cell
    rejects = [
        (name, int(str(row[0])), str(row[2]), str(row[error_at]))
        for key, row in scored
        if key == float("-inf")
    ]
    keys = np.fromiter((key for key, _ in scored), dtype=np.float64, count=len(scored))
    return PartResult(
        part.file_index,
        part.index,
        str(path) if parquet else "",
        keys,
        rejects,
        lines_path,
        ends,
    )


def finish_partition(staged: str, ranks: np.ndarray, final: str) -> str:
    """Add the global ``rank`` column to a staged partition and write it to ``final``."""
    table = pq.read_table(staged)
    table = table.add_column(0, pa.field("rank", pa.int64()), pa.array(ranks, type=pa.int64()))
    write_atomic(table, Path(final))
    return final
