"""Featurising candidates with the model's own unit conversion, leaving out the ones it
cannot make (bisecting around impossible compositions)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryoprotect.errors import InvalidCompositionError
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml.features import CompositionPhysicsFeaturizer, RowQuantities


@dataclass(frozen=True)
class Featurized:
    """Candidates the model's conversion accepts, with what the checks need of each."""

    rows: list[ml_datasets.DatasetRow]
    X: np.ndarray
    unseen: list[tuple[str, ...]]
    molality: list[dict[str, float]]
    mass_percent: list[dict[str, float]]
    impossible: int


Piece = tuple[list[ml_datasets.DatasetRow], RowQuantities]


def _accepted(
    featurizer: CompositionPhysicsFeaturizer, rows: list[ml_datasets.DatasetRow]
) -> tuple[list[Piece], int]:
    """Converted pieces of ``rows`` (bisecting around impossible rows) and the impossible count."""
    try:
        return [(rows, featurizer.quantities(rows))], 0
    except InvalidCompositionError:
        if len(rows) == 1:
            return [], 1
    half = len(rows) // 2
    left, bad_left = _accepted(featurizer, rows[:half])
    right, bad_right = _accepted(featurizer, rows[half:])
    return left + right, bad_left + bad_right


FULL_BATCH_ATTEMPTS = 8
"""Conversions of the whole candidate set tried (each drops the impossible rows the error
names) before falling back to one conversion per ingredient set."""


def _one_pass(
    featurizer: CompositionPhysicsFeaturizer, rows: list[ml_datasets.DatasetRow]
) -> tuple[list[Piece], int]:
    """Convert all rows at once, dropping the rows each conversion error names."""
    impossible = 0
    for _ in range(FULL_BATCH_ATTEMPTS):
        if not rows:
            return [], impossible
        try:
            return [(rows, featurizer.quantities(rows))], impossible
        except InvalidCompositionError as exc:
            named = set(exc.details.get("row_ids") or ())
            bad = {
                r.row_id for r in rows if r.row_id in named and not _accepted(featurizer, [r])[0]
            }
            bad = bad or named
            if not bad:
                break
            impossible += len(bad)
            rows = [r for r in rows if r.row_id not in bad]
    groups: dict[tuple[tuple[str, str], ...], list[ml_datasets.DatasetRow]] = {}
    for r in rows:
        groups.setdefault(tuple((c.name, c.unit) for c in r.composition), []).append(r)
    pieces: list[Piece] = []
    for members in groups.values():
        got, bad_count = _accepted(featurizer, members)
        pieces += got
        impossible += bad_count
    return pieces, impossible


def featurize(
    featurizer: CompositionPhysicsFeaturizer, rows: list[ml_datasets.DatasetRow]
) -> Featurized:
    """Features of the candidates the model's conversion accepts (see :func:`_one_pass`)."""
    pieces, impossible = _one_pass(featurizer, rows)
    kept: list[ml_datasets.DatasetRow] = []
    blocks: list[np.ndarray] = []
    unseen: list[tuple[str, ...]] = []
    molality: list[dict[str, float]] = []
    mass_percent: list[dict[str, float]] = []
    for piece_rows, q in pieces:
        kept += piece_rows
        blocks.append(featurizer.assemble(q))
        unseen += featurizer.unseen_components(q)
        for i in range(len(piece_rows)):
            present = [k for k in range(len(q.components)) if q.present[i, k]]
            molality.append({q.components[k]: float(q.molality[i, k]) for k in present})
            mass_percent.append(
                {q.components[k]: 100.0 * float(q.mass_fraction[i, k]) for k in present}
            )
    X = np.vstack(blocks) if blocks else np.zeros((0, len(featurizer.feature_names)))
    return Featurized(kept, X, unseen, molality, mass_percent, impossible)
