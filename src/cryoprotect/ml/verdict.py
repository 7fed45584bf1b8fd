"""Is a model better than its baselines? The comparison and the verdict.

This module owns :func:`compare_to_baselines` (every predictor's metrics on the same rows,
and the difference in MAE and RMSE between the model and each baseline with a 95 %
interval from a bootstrap over *groups*: rows of one source move together) and
:func:`baseline_verdict`, the rule the registry, the API and the pages apply:

    A model is **not better than its baselines** unless, for *every* baseline, the 95 %
    group-bootstrap interval of ΔMAE = MAE(model) − MAE(baseline) lies entirely below 0.

The baselines are those of :mod:`cryoprotect.ml.train` (the training mean, and least
squares on the one feature most rank-correlated with the target), fitted in the same
outer folds and predicting the same held-out rows as the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.ml.metrics import regression_metrics
from cryoprotect.science.records import fields_dict

FloatArray = NDArray[np.float64]

RULE = (
    "better than a baseline only when the 95 % bootstrap interval over groups of "
    "MAE(model) − MAE(baseline) lies entirely below 0; not better than the baselines "
    "unless better than every one"
)
BASELINE_LABELS = {
    "baseline_mean": "the mean of the training data",
    "baseline_one_feature": "a straight line on its single most correlated feature",
}


@dataclass(frozen=True)
class BaselineComparison:
    """Metrics of a model and its baselines on the same rows.

    Attributes:
        reference: the name of the model's predictions.
        metrics: predictor → ``{"mae", "rmse", "r2", "spearman", "n"}``.
        differences: baseline → ``{"mae": (Δ, low, high), "rmse": (Δ, low, high)}`` with
            Δ = model − baseline (negative: the model is better) and a 95 % bootstrap
            interval over groups.
        verdicts: baseline → ``"better"``, ``"worse"`` or ``"not distinguishable"`` (MAE).
        n_groups: groups resampled in the bootstrap.
    """

    reference: str
    metrics: dict[str, dict[str, float]]
    differences: dict[str, dict[str, tuple[float, float, float]]]
    verdicts: dict[str, str]
    n_groups: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return fields_dict(
            self,
            differences={
                b: {m: list(v) for m, v in d.items()} for b, d in self.differences.items()
            },
            verdicts=dict(self.verdicts),
        )


def compare_to_baselines(
    y_true: ArrayLike,
    predictions: Mapping[str, ArrayLike],
    *,
    reference: str = "model",
    groups: Sequence[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> BaselineComparison:
    """Compare a model's predictions with baselines' on the same rows.

    Each bootstrap replicate draws as many groups as there are, with replacement, and
    pools every row of the drawn groups (a group drawn twice counts twice).

    Args:
        y_true: the measured values.
        predictions: predictor name → predictions (must include ``reference``).
        reference: the model's key in ``predictions``.
        groups: group of every row (bootstrap resamples groups); ``None``: rows.
        n_boot: bootstrap replicates.
        seed: bootstrap seed.

    Returns:
        Metrics, differences with 95 % intervals, and verdicts.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    preds = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in predictions.items()}
    if reference not in preds:
        raise ValidationError(f"no predictions called {reference!r}", field="predictions")
    for name, values in preds.items():
        if values.shape != y.shape:
            raise ValidationError(f"{name}: {values.size} predictions for {y.size} rows")
    labels = np.asarray(groups if groups is not None else np.arange(y.size).astype(str))
    if labels.shape != y.shape:
        raise ValidationError("one group per row is needed", field="groups")
    unique, inverse = np.unique(labels, return_inverse=True)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, unique.size, size=(n_boot, unique.size))
    # times[b, g]: how often group g is drawn in replicate b; sums per group make every
    # replicate's pooled mean a matrix product (the same value as concatenating the rows).
    times = np.zeros((n_boot, unique.size))
    np.add.at(times, (np.repeat(np.arange(n_boot), unique.size), draws.ravel()), 1.0)
    count = times @ np.bincount(inverse, minlength=unique.size).astype(np.float64)

    def per_group(values: FloatArray) -> FloatArray:
        return np.asarray(
            np.bincount(inverse, weights=values, minlength=unique.size), dtype=np.float64
        )

    metrics = {k: regression_metrics(y, v) for k, v in preds.items()}
    differences: dict[str, dict[str, tuple[float, float, float]]] = {}
    verdicts: dict[str, str] = {}
    model = preds[reference]
    abs_m = times @ per_group(np.abs(y - model)) / count
    sq_m = times @ per_group((y - model) ** 2) / count
    for name, values in preds.items():
        if name == reference:
            continue
        abs_b = times @ per_group(np.abs(y - values)) / count
        sq_b = times @ per_group((y - values) ** 2) / count
        d_abs = abs_m - abs_b
        d_rmse = np.sqrt(sq_m) - np.sqrt(sq_b)
        delta_mae = metrics[reference]["mae"] - metrics[name]["mae"]
        delta_rmse = metrics[reference]["rmse"] - metrics[name]["rmse"]
        lo, hi = np.percentile(d_abs, [2.5, 97.5])
        rlo, rhi = np.percentile(d_rmse, [2.5, 97.5])
        differences[name] = {
            "mae": (delta_mae, float(lo), float(hi)),
            "rmse": (delta_rmse, float(rlo), float(rhi)),
        }
        verdicts[name] = "better" if hi < 0 else "worse" if lo > 0 else "not distinguishable"
    return BaselineComparison(reference, metrics, differences, verdicts, int(unique.size))


def baseline_verdict(comparison: BaselineComparison) -> dict[str, Any]:
    """The registry's verdict from a comparison (see the module docstring for the rule).

    Returns:
        ``{"not_better_than_baseline": bool, "statement": str, "rule": str,
        "comparison": {...}}``; ``statement`` is the plain sentence the pages show.
    """
    failing = [b for b, v in comparison.verdicts.items() if v != "better"]
    if failing:
        worst = failing[0] if "baseline_mean" not in failing else "baseline_mean"
        delta, low, high = comparison.differences[worst]["mae"]
        statement = (
            f"This model does not predict better than {BASELINE_LABELS.get(worst, worst)}: "
            f"its cross-validated MAE differs by {delta:+.2f} (95 % CI {low:+.2f} to "
            f"{high:+.2f} over {comparison.n_groups} groups)."
        )
    else:
        statement = (
            "This model predicts better than each baseline (the mean of the training data and "
            "a one-feature line): the 95 % CI of its MAE difference over "
            f"{comparison.n_groups} groups is below 0 for both."
        )
    return {
        "not_better_than_baseline": bool(failing),
        "statement": statement,
        "rule": RULE,
        "comparison": comparison.as_dict(),
    }
