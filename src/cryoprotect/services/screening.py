"""Library screening: rank an external SMILES/SDF library by CPA score, without the database.

Streaming with bounded memory: records are read lazily and scored on worker processes
(``imap`` over chunks, so at most a few chunks are in flight); each scored row is written
at once to a temporary file while only its score and byte offset are kept (16 bytes per
molecule in typed arrays). The ranked output is then produced by an index sort and a
pass over the temporary file. With ``top`` only a bounded heap is kept.

With a molecule model (``model``, a structure–property model of
:mod:`cryoprotect.ml.molecule_features`) every scored molecule also gets the model's
prediction and its CV+ interval as columns (predicted in chunks in the parent process);
outside the model's applicability domain those cells are empty and ``prediction_note``
says why — never a number the model cannot stand behind.

Every scored molecule also gets its structural alerts (:mod:`cryoprotect.science.alerts`:
RDKit's Brenk, NIH and PAINS catalogues on the standardised parent) and the
alert-adjusted score (CPA score × one penalty factor per matched alert family). The list
is ranked by ``rank_by``: ``alert_adjusted`` (default) or ``cpa_score`` (the plain score,
always kept as a column). A molecule model's prediction does not enter the ranking.
"""

from __future__ import annotations

import array
import csv
import gzip
import heapq
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any

import numpy as np

from cryoprotect.errors import CryoprotectError, ValidationError
from cryoprotect.ml import train as ml_train
from cryoprotect.ml.datasets import DatasetRow
from cryoprotect.science.alerts import alerts_for_smiles
from cryoprotect.science.cpa_score import cpa_score
from cryoprotect.science.descriptors import DESCRIPTORS, compute_descriptors
from cryoprotect.science.formats import sdf_records
from cryoprotect.science.standardize import register_structure
from cryoprotect.services.chemistry import PreparedMolecule, prepared_from

DESCRIPTOR_COLUMNS = [spec.name for spec in DESCRIPTORS]
COLUMNS = [
    "rank",
    "input_row",
    "name",
    "input",
    "smiles",
    "inchikey",
    "cpa_score",
    "alert_adjusted_score",
    "alerts_count",
    "alert_catalogues",
    "alert_descriptions",
    *DESCRIPTOR_COLUMNS,
    "error",
]
RANK_BY = ("alert_adjusted", "cpa_score")
"""What ``screen_file`` can rank by (the first is the default)."""
_CHUNK = 256


def prediction_columns(target: str) -> list[str]:
    """The columns a molecule model adds (value, interval bounds, domain, note)."""
    return [
        f"predicted_{target}",
        f"predicted_{target}_lower",
        f"predicted_{target}_upper",
        "prediction_in_domain",
        "prediction_note",
    ]


def _prediction_cells(p: ml_train.Prediction | None, error: str = "") -> list[object]:
    if p is None:
        return ["", "", "", "", error]
    if p.value is None or p.lower is None or p.upper is None:
        note = (
            f"{p.reason}: distance {p.domain_score:.3g} to the nearest training molecules "
            f"> threshold {p.domain_threshold:.3g}"
        )
        return ["", "", "", "false", note]
    return [round(p.value, 4), round(p.lower, 4), round(p.upper, 4), "true", ""]


def predict_chunk(
    items: list[tuple[float, list[object]]], model: Any
) -> Iterator[tuple[float, list[object]]]:
    """``items`` (scored rows of :func:`score_record`) with the model's prediction cells
    appended (:func:`prediction_columns`); one batch prediction, one by one on a bad row."""
    usable = [i for i, (score, row) in enumerate(items) if score != float("-inf") and row[3]]
    rows = [DatasetRow(f"screen-{i}", (), smiles=str(items[i][1][3])) for i in usable]
    found: dict[int, tuple[ml_train.Prediction | None, str]] = {}
    try:
        predictions = ml_train.predict(model, rows) if rows else []
        found = {i: (p, "") for i, p in zip(usable, predictions, strict=True)}
    except CryoprotectError:  # one bad structure in the chunk: predict one by one
        for i, query in zip(usable, rows, strict=True):
            try:
                found[i] = (ml_train.predict(model, [query])[0], "")
            except CryoprotectError as exc:
                found[i] = (None, f"no prediction: {exc.message}")
    for i, (score, row) in enumerate(items):
        p, error = found.get(i, (None, ""))
        yield score, [*row, *_prediction_cells(p, error)]


def _with_predictions(
    stream: Iterator[tuple[float, list[object]]], model: Any
) -> Iterator[tuple[float, list[object]]]:
    buffer: list[tuple[float, list[object]]] = []
    for item in stream:
        buffer.append(item)
        if len(buffer) >= _CHUNK:
            yield from predict_chunk(buffer, model)
            buffer = []
    if buffer:
        yield from predict_chunk(buffer, model)


@dataclass(frozen=True)
class ScreenSummary:
    total: int
    scored: int
    failed: int
    output: str


def open_text(path: Path) -> IO[str]:
    """A SMILES/CSV file as text lines (``.gz`` decompressed on the fly)."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def input_suffix(path: Path) -> str:
    """The format suffix of ``path`` (``.smi``, ``.csv``, ``.sdf``, ...), ``.gz`` looked through."""
    name = path.name.lower()
    return Path(name[: -len(".gz")] if name.endswith(".gz") else name).suffix


def parse_line(number: int, line: str, is_csv: bool) -> tuple[int, str, str, str | None] | None:
    """One SMILES/CSV line as a record ``(row, text, "smiles", name)``; None for a blank line,
    a comment or the header (line 1 starting with ``smiles``)."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    parts = stripped.replace(",", " ").split(None, 1) if is_csv else stripped.split(None, 1)
    if number == 1 and parts[0].lower() in ("smiles", "smi"):
        return None
    return number, parts[0], "smiles", parts[1].strip() if len(parts) > 1 else None


def iter_input(path: Path) -> Iterator[tuple[int, str, str, str | None]]:
    """Yield ``(row, text, fmt, name)`` from a SMILES (.smi/.txt/.csv first column) or SDF
    file, gzip-compressed or not."""
    suffix = input_suffix(path)
    if suffix in (".sdf", ".sd"):
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
        for number, block, title in sdf_records(data):
            yield number, block, "molblock", title
        return
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            record = parse_line(number, line, suffix == ".csv")
            if record is not None:
                yield record


def score_record(
    record: tuple[int, str, str, str | None], rank_by: str = RANK_BY[0]
) -> tuple[float, list[object]]:
    """Score one record; failures get score -inf and the reason in the error column.

    The returned key is the alert-adjusted score or the CPA score (``rank_by``).
    """
    key, row, _ = score_and_register(record, rank_by, register=False)
    return key, row


def score_and_register(
    record: tuple[int, str, str, str | None], rank_by: str = RANK_BY[0], *, register: bool = True
) -> tuple[float, list[object], PreparedMolecule | None]:
    """:func:`score_record`, plus (``register``) the molecule as registration would store it
    (:func:`cryoprotect.services.chemistry.prepared_from`, the same standardised parent and
    descriptors); None for a failed row."""
    number, text, fmt, name = record
    preview = text.strip().splitlines()[0][:200] if fmt != "molblock" else (name or "")
    try:
        std = register_structure(text, fmt)
        descriptors = compute_descriptors(std.mol)
        score = cpa_score(descriptors).score
        alerts = alerts_for_smiles(std.smiles)  # cached per parent SMILES in each worker
        prepared = prepared_from(std, descriptors, fmt) if register else None
    except CryoprotectError as exc:
        return (
            float("-inf"),
            [
                number,
                name or "",
                preview,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                *([""] * len(DESCRIPTOR_COLUMNS)),
                exc.message,
            ],
            None,
        )
    adjusted = alerts.adjusted(score)
    row: list[object] = [number, name or "", preview, std.smiles, std.inchikey, round(score, 5)]
    row += [
        round(adjusted, 5),
        alerts.count,
        ";".join(alerts.catalogues),
        "; ".join(alerts.descriptions),
    ]
    row += [round(float(descriptors[c]), 5) for c in DESCRIPTOR_COLUMNS]
    row.append("")
    return (adjusted if rank_by == "alert_adjusted" else score), row, prepared


def _scored(
    records: Iterator[tuple[int, str, str, str | None]], processes: int, rank_by: str
) -> Iterator[tuple[float, list[object]]]:
    score = partial(score_record, rank_by=rank_by)
    if processes <= 1:
        yield from map(score, records)
        return
    with get_context("forkserver").Pool(processes) as pool:
        yield from pool.imap(score, records, chunksize=_CHUNK)


def csv_line(row: list[object]) -> str:
    """``row`` as one line of the ranked CSV (``csv.writer``, ``\\n``)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def screen_file(
    source: Path,
    output: Path,
    *,
    processes: int | None = None,
    top: int | None = None,
    progress: Callable[[int], None] | None = None,
    model: Any = None,
    rank_by: str = RANK_BY[0],
) -> ScreenSummary:
    """Rank ``source`` (best first) into the CSV ``output``.

    ``rank_by``: ``alert_adjusted`` (CPA score × structural-alert penalty, the default) or
    ``cpa_score``. ``model``: a loaded molecule model
    (:class:`cryoprotect.ml.train.TrainedModel`) whose predictions are added as columns
    (:func:`prediction_columns`).
    """
    if rank_by not in RANK_BY:
        raise ValidationError(f"rank_by must be one of {', '.join(RANK_BY)}.", field="rank_by")
    workers = processes or os.cpu_count() or 1
    columns = COLUMNS + (prediction_columns(model.target) if model is not None else [])
    stream = _scored(iter_input(source), workers, rank_by)
    if model is not None:
        stream = _with_predictions(stream, model)
    total = failed = 0
    scores = array.array("d")
    offsets = array.array("q")
    heap: list[tuple[float, int, str]] = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for score, row in stream:
            total += 1
            failed += score == float("-inf")
            line = csv_line(row)
            if top is not None:
                item = (score, -total, line)
                if len(heap) < top:
                    heapq.heappush(heap, item)
                elif item > heap[0]:
                    heapq.heapreplace(heap, item)
            else:
                offsets.append(spool.tell())
                scores.append(score)
                spool.write(line)
            if progress is not None and total % 1000 == 0:
                progress(1000)
        if progress is not None:
            progress(total % 1000)
        with output.open("w", encoding="utf-8", newline="") as out:
            out.write(",".join(columns) + "\n")
            if top is not None:
                for rank, (_, _, line) in enumerate(sorted(heap, reverse=True), start=1):
                    out.write(f"{rank},{line}")
            else:
                _write_ranked(spool, out, np.frombuffer(scores, dtype=np.float64), offsets)
    return ScreenSummary(total=total, scored=total - failed, failed=failed, output=str(output))


def _write_ranked(spool: IO[str], out: IO[str], scores: np.ndarray, offsets: array.array) -> None:  # type: ignore[type-arg]
    # Stable: equal scores keep input order.
    order = np.argsort(-scores, kind="stable")
    for rank, index in enumerate(order, start=1):
        spool.seek(offsets[int(index)])
        out.write(f"{rank},{spool.readline()}")
