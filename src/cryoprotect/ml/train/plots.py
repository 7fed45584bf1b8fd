"""Data of the model page's validation plots: out-of-fold rows, importances, coverage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.inspection import permutation_importance

from cryoprotect.ml.targets import Link
from cryoprotect.ml.train.common import FloatArray
from cryoprotect.ml.train.report import CVReport
from cryoprotect.ml.train.target_scale import target_unit

#: Features kept in the permutation-importance plot.
TOP_IMPORTANCES = 20
#: Shuffles per feature in the permutation importance (kept small: it adds to training time).
IMPORTANCE_REPEATS = 3


def validation_plots(
    report: CVReport,
    estimator: Any,
    link: Link,
    X: FloatArray,
    y: FloatArray,
    names: Sequence[str],
    target: str,
    seed: int,
    blocks: Sequence[tuple[str, Sequence[int]]] | None = None,
) -> dict[str, Any]:
    """Data for the model page's validation plots (JSON-ready after :func:`json_safe`).

    ``blocks`` (``(name, columns)``): permute these column blocks together instead of every
    column on its own — the molecule featurizer's fingerprint is one block (a thousand
    single bits would cost a thousand refits' worth of predictions and say little)."""

    def neg_mae_on_target_scale(est: Any, X_: FloatArray, y_: FloatArray) -> float:
        predicted = link.inverse(np.asarray(est.predict(X_), dtype=np.float64))
        return -float(np.mean(np.abs(y_ - predicted)))

    if blocks is None:
        result = permutation_importance(
            estimator,
            X,
            y,
            scoring=neg_mae_on_target_scale,
            n_repeats=IMPORTANCE_REPEATS,
            random_state=seed,
        )
        means, stds = result.importances_mean, result.importances_std
    else:
        names = [name for name, _ in blocks]
        means, stds = block_permutation_importance(
            estimator, X, y, neg_mae_on_target_scale, blocks, seed
        )
    order = np.argsort(-means, kind="stable")[:TOP_IMPORTANCES]
    return {
        "target": target,
        "unit": target_unit(target),
        "out_of_fold": {
            "source": "outer folds of the nested grouped cross-validation",
            "rows": report.oof_rows(),
        },
        "permutation_importance": {
            "method": "sklearn permutation_importance of the final model on its training rows "
            "(increase in MAE, on the target's own scale)",
            "scoring": "mae",
            "n_repeats": IMPORTANCE_REPEATS,
            "features": [
                {
                    "feature": names[int(j)],
                    "mean": float(means[j]),
                    "std": float(stds[j]),
                }
                for j in order
            ],
        },
        "coverage": {
            "method": "CV+ intervals calibrated on the inner folds of each outer training set, "
            "evaluated on the held-out outer groups",
            "levels": report.coverage_by_level(),
        },
    }


def block_permutation_importance(
    estimator: Any,
    X: FloatArray,
    y: FloatArray,
    score: Callable[[Any, FloatArray, FloatArray], float],
    blocks: Sequence[tuple[str, Sequence[int]]],
    seed: int,
) -> tuple[FloatArray, FloatArray]:
    """Permutation importance of column blocks (rows of a block shuffled together)."""
    rng = np.random.default_rng(seed)
    base = score(estimator, X, y)
    means, stds = np.zeros(len(blocks)), np.zeros(len(blocks))
    for b, (_, columns) in enumerate(blocks):
        cols = np.asarray(columns, dtype=np.intp)
        drops = []
        for _ in range(IMPORTANCE_REPEATS):
            shuffled = X.copy()
            shuffled[:, cols] = X[rng.permutation(X.shape[0])][:, cols]
            drops.append(base - score(estimator, shuffled, y))
        means[b], stds[b] = float(np.mean(drops)), float(np.std(drops))
    return means, stds
