"""Coverage that holds per group: per-group CV+ coverage and the Mondrian (group-conditional) CV+.

This module owns the per-group calibration report of a training run.

A conformal interval's guarantee is *marginal*: 90 % of held-out rows on average, which
can hide a group covered 70 % of the time next to one covered 99 %. Groups here are the
values of a categorical row condition (``cell_type``, ``source_type`` — literature vs
wet-lab; :data:`GROUP_KEYS`).

* **Per-group coverage** of the intervals the model serves: the outer-fold CV+ intervals
  of the nested grouped cross-validation, split by group.
* **Mondrian CV+** (Vovk et al., *Algorithmic Learning in a Random World*, 2005, ch. 4;
  CV+ of Barber et al., Ann Stat 49:486, 2021): the order statistics of
  :func:`cryoprotect.ml.conformal.cv_plus_bounds` are taken over the calibration rows *of
  the test row's own group* only, so each group gets its own residual scale. A group with
  fewer calibration rows than a finite interval needs at this level
  (:func:`~cryoprotect.ml.conformal.min_rows_for_level`) or fewer than
  ``min_group_calibration`` falls back to the pooled interval, and the report says so.

Every group is reported with its held-out row count; a group with fewer than
``min_rows`` (20) held-out rows is ``too_few_rows`` — its coverage is shown but not
judged. The target is 85–95 % coverage in each judged group at the 90 % level
(:data:`TARGET`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.ml.conformal import cv_plus_bounds, fit_cv_plus, min_rows_for_level
from cryoprotect.ml.datasets import Dataset
from cryoprotect.ml.features import RowQuantities, make_featurizer
from cryoprotect.ml.metrics import interval_coverage, mean_interval_width

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Serve = Callable[[FloatArray, FloatArray, FloatArray], tuple[FloatArray, FloatArray, FloatArray]]

GROUP_KEYS = ("cell_type", "source_type")
"""Categorical conditions whose groups are reported (when the rows have them)."""
TARGET = (0.85, 0.95)
"""Wanted empirical coverage in each group at the 90 % level."""
MIN_ROWS = 20
"""Held-out rows a group needs before its coverage is judged."""
MIN_GROUP_CALIBRATION = 20
"""Calibration rows a group needs for its own (Mondrian) interval."""
UNKNOWN = "unknown"


def labels(dataset: Dataset, key: str) -> list[str]:
    """The value of condition ``key`` for every row (``unknown`` where absent or not text)."""
    out = []
    for row in dataset.rows:
        value = row.conditions.get(key)
        out.append(value if isinstance(value, str) and value.strip() else UNKNOWN)
    return out


def has_groups(dataset: Dataset, key: str) -> bool:
    """Whether any row carries condition ``key`` as text."""
    return any(isinstance(r.conditions.get(key), str) for r in dataset.rows)


def mondrian_bounds(
    fold_predictions: FloatArray,
    residuals: FloatArray,
    fold_of_row: IntArray,
    calibration_labels: Sequence[str],
    test_labels: Sequence[str],
    level: float,
    *,
    min_group_calibration: int = MIN_GROUP_CALIBRATION,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Group-conditional CV+ bounds.

    Args:
        fold_predictions: (K, M) predictions of the K fold models at the M test rows.
        residuals: (n,) out-of-fold absolute residuals of the calibration rows.
        fold_of_row: (n,) fold that held each calibration row out.
        calibration_labels: group of each calibration row, length n.
        test_labels: group of each test row, length M.
        level: nominal coverage.
        min_group_calibration: fewest calibration rows for a group's own interval.

    Returns:
        lower, upper (M,), and ``own`` (M,): True where the row's own group calibrated it,
        False where the pooled interval was used.
    """
    cal = np.asarray(calibration_labels, dtype=object)
    test = np.asarray(test_labels, dtype=object)
    if cal.size != residuals.size or test.size != fold_predictions.shape[1]:
        raise ValidationError("labels do not match the rows", field="labels")
    lower, upper = cv_plus_bounds(fold_predictions, residuals, fold_of_row, level)
    own = np.zeros(test.size, dtype=bool)
    need = max(min_group_calibration, min_rows_for_level(level))
    for group in sorted(set(test.tolist())):
        members = cal == group
        if int(members.sum()) < need:
            continue
        cols = np.flatnonzero(test == group)
        lo, hi = cv_plus_bounds(
            fold_predictions[:, cols], residuals[members], fold_of_row[members], level
        )
        lower[cols], upper[cols], own[cols] = lo, hi, True
    return lower, upper, own


def _status(n: int, coverage: float, min_rows: int) -> str:
    if n < min_rows:
        return "too_few_rows"
    if coverage < TARGET[0]:
        return "below_target"
    if coverage > TARGET[1]:
        return "above_target"
    return "within_target"


def coverage_table(
    y: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    groups: Sequence[str],
    *,
    min_rows: int = MIN_ROWS,
) -> list[dict[str, Any]]:
    """Per group: held-out rows, empirical coverage, mean width and a status."""
    g = np.asarray(groups, dtype=object)
    out = []
    for group in sorted(set(g.tolist())):
        m = g == group
        n = int(m.sum())
        cov = interval_coverage(y[m], lower[m], upper[m])
        out.append(
            {
                "group": group,
                "n": n,
                "coverage": cov,
                "mean_width": mean_interval_width(lower[m], upper[m]),
                "status": _status(n, cov, min_rows),
            }
        )
    return out


def _grid_value(value: Any, candidates: Sequence[Any]) -> Any:
    from cryoprotect.ml.train import json_safe

    for c in candidates:
        if json_safe(c) == value:
            return c
    return value


def group_coverage_report(
    report: Any,
    data: Dataset,
    quantities: RowQuantities,
    make_estimator: Callable[[Mapping[str, Any]], Any],
    *,
    featurizer: str,
    featurizer_options: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]],
    target: str,
    fit_values: FloatArray | None = None,
    serve: Serve | None = None,
    bounds: tuple[float, float] | None = None,
    keys: Sequence[str] = GROUP_KEYS,
    min_rows: int = MIN_ROWS,
    min_group_calibration: int = MIN_GROUP_CALIBRATION,
) -> dict[str, Any]:
    """Per-group coverage of the served CV+ intervals and of the Mondrian variant.

    Re-runs each outer fold's CV+ calibration (same inner folds, same chosen
    hyperparameters, same featurizer fitted on the outer training rows) to get the
    calibration residuals, then forms pooled and group-conditional intervals for the
    outer test rows.

    Args:
        report: the :class:`~cryoprotect.ml.train.CVReport` of the run.
        data: the rows trained on (those with the target), in the report's order.
        quantities: their precomputed quantities.
        make_estimator: hyperparameters → a fresh estimator.
        featurizer, featurizer_options: as given to ``train``.
        grid: the hyperparameter grid (to map stored values back to objects).
        target: the target name.
        fit_values: what the estimator was fitted on, per row (the target through the
            model's link; default: the target itself).
        serve: ``(point, lower, upper)`` on the fitted scale → ``(point, lower, upper)``
            on the target's scale, exactly as the served intervals are formed (default:
            widen to contain the point, clip to ``bounds``).
        bounds: used by the default ``serve``.
        keys: condition keys to group by (those no row has are skipped).
        min_rows, min_group_calibration: see the module docstring.

    Returns:
        ``{"level", "target", "min_rows", "keys": {key: {"pooled": [...], "mondrian":
        [...], "mondrian_own_fraction": ...}}}``; empty ``keys`` when no row has any key.
    """
    present = [k for k in keys if has_groups(data, k)]
    out: dict[str, Any] = {
        "level": report.level,
        "target_coverage": list(TARGET),
        "min_rows": min_rows,
        "min_group_calibration": min_group_calibration,
        "method": (
            "outer-fold CV+ intervals of the nested grouped cross-validation, split by group "
            "(pooled); Mondrian CV+: the same fold models with residual order statistics "
            "taken over the test row's own group (pooled where the group has too few "
            "calibration rows)"
        ),
        "keys": {},
    }
    if not present:
        return out
    y_all = data.target(target)
    z_all = y_all if fit_values is None else np.asarray(fit_values, dtype=np.float64)

    def clip_serve(
        point: FloatArray, lo: FloatArray, hi: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        lo, hi = np.minimum(lo, point), np.maximum(hi, point)
        if bounds is None:
            return point, lo, hi
        return np.clip(point, *bounds), np.clip(lo, *bounds), np.clip(hi, *bounds)

    to_target = serve or clip_serve
    label_sets = {k: np.asarray(labels(data, k), dtype=object) for k in present}
    ys, pooled_lo, pooled_hi = [], [], []
    mond: dict[str, tuple[list[FloatArray], list[FloatArray], list[NDArray[np.bool_]]]] = {
        k: ([], [], []) for k in present
    }
    test_labels: dict[str, list[Any]] = {k: [] for k in present}
    for f in report.folds:
        tr, te = f.train_index, f.test_index
        q_tr, q_te = quantities.take(tr), quantities.take(te)
        fz = make_featurizer(featurizer, **featurizer_options).fit_quantities(
            q_tr, [data.rows[i] for i in tr]
        )
        X_tr, X_te = fz.assemble(q_tr), fz.assemble(q_te)
        inner = [(np.searchsorted(tr, a), np.searchsorted(tr, b)) for a, b in f.inner_splits]
        params = {k: _grid_value(v, grid.get(k, ())) for k, v in f.best_params.items()}
        conformal = fit_cv_plus(
            functools.partial(make_estimator, params), X_tr, z_all[tr], inner, report.level
        )
        point_z = np.asarray(
            make_estimator(params).fit(X_tr, z_all[tr]).predict(X_te), dtype=np.float64
        )
        preds = conformal.fold_predictions(X_te)
        ys.append(y_all[te])
        pooled_lo.append(f.lower)  # the served intervals, as the report holds them
        pooled_hi.append(f.upper)
        for k in present:
            mlo, mhi, own = mondrian_bounds(
                preds,
                conformal.residuals,
                conformal.fold_of_row,
                label_sets[k][tr].tolist(),
                label_sets[k][te].tolist(),
                report.level,
                min_group_calibration=min_group_calibration,
            )
            _, slo, shi = to_target(point_z, mlo, mhi)
            mond[k][0].append(slo)
            mond[k][1].append(shi)
            mond[k][2].append(own)
            test_labels[k] += label_sets[k][te].tolist()
    y = np.concatenate(ys)
    plo, phi = np.concatenate(pooled_lo), np.concatenate(pooled_hi)
    for k in present:
        mlo, mhi = np.concatenate(mond[k][0]), np.concatenate(mond[k][1])
        own = np.concatenate(mond[k][2])
        out["keys"][k] = {
            "pooled": coverage_table(y, plo, phi, test_labels[k], min_rows=min_rows),
            "mondrian": coverage_table(y, mlo, mhi, test_labels[k], min_rows=min_rows),
            "mondrian_own_fraction": float(own.mean()) if own.size else 0.0,
        }
    return out
