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


# --- serving the Mondrian interval (issue 14, item 3; helper R) ---------------------------

POOLED = "pooled CV+"


def calibration_groups(
    data: Dataset,
    level: float,
    *,
    keys: Sequence[str] = GROUP_KEYS,
    min_group_calibration: int = MIN_GROUP_CALIBRATION,
) -> dict[str, Any]:
    """What a saved model needs to form a Mondrian CV+ interval at prediction time.

    The final model's CV+ calibration residuals (on the link scale the estimator is fitted
    on) are one per training row, in ``data``'s order; this records, per key and group,
    the calibration row count ``n`` and — for a group with at least
    ``max(min_group_calibration, min_rows_for_level(level))`` rows — the indices of its
    rows in those residuals (``rows``) and its residual quantile at ``level`` on the link
    scale (``residual_quantile``, the ⌈level·(n+1)⌉-th smallest; for information: the
    interval itself is the CV+ order statistic over the group's rows).
    """
    need = max(min_group_calibration, min_rows_for_level(level))
    out: dict[str, Any] = {
        "method": "Mondrian CV+: the final model's CV+ order statistics over the calibration "
        "rows of the query's group only (Vovk et al. 2005, ch. 4; Barber et al. 2021)",
        "level": level,
        "min_group_calibration": need,
        "keys": {},
    }
    for key in keys:
        if not has_groups(data, key):
            continue
        lab = np.asarray(labels(data, key), dtype=object)
        groups: dict[str, Any] = {}
        for group in sorted(set(lab.tolist())):
            rows = np.flatnonzero(lab == group)
            entry: dict[str, Any] = {"n": int(rows.size)}
            if rows.size >= need:
                entry["rows"] = [int(i) for i in rows]
            groups[group] = entry
        out["keys"][key] = groups
    return out


def _closer(a: float | None, b: float | None, level: float) -> bool:
    """Whether coverage ``a`` is strictly nearer the nominal ``level`` than ``b``."""
    if a is None or b is None:
        return False
    return abs(a - level) < abs(b - level)


def choose_interval(
    group_coverage: Mapping[str, Any] | None,
    calibration: Mapping[str, Any] | None,
    requested: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Which interval to serve for a query whose groups the caller gave.

    The Mondrian interval of group ``g`` of key ``k`` is served when, in the model's
    stored per-group coverage (measured on held-out outer folds): ``g`` had at least
    ``min_rows`` held-out rows, the pooled interval's coverage of them lay outside the
    85–95 % target, the Mondrian variant's coverage of them was nearer the nominal level,
    and the final model has at least ``min_group_calibration`` calibration rows of ``g``.
    When several given keys qualify, the one whose pooled coverage was furthest from the
    nominal level wins. Otherwise the pooled interval, and ``reason`` says why.

    Returns:
        ``{"method": "pooled" | "mondrian", "interval_method": text, "reason": text,
        "key", "group", "rows" (calibration row indices, Mondrian only), "coverage"
        (the group's measured coverage: n_held_out, pooled, mondrian, served, status; None
        without a usable group)}``.
    """
    given = {str(k): str(v) for k, v in (requested or {}).items() if v is not None}
    pooled: dict[str, Any] = {
        "method": "pooled",
        "interval_method": POOLED,
        "key": None,
        "group": None,
        "coverage": None,
    }
    if not given:
        return {**pooled, "reason": "no group given: the interval pooled over all groups"}
    stored = (group_coverage or {}).get("keys") or {}
    level = float((group_coverage or {}).get("level") or 0.9)
    target = (group_coverage or {}).get("target_coverage") or list(TARGET)
    min_rows = int((group_coverage or {}).get("min_rows") or MIN_ROWS)
    cal_keys = (calibration or {}).get("keys") or {}
    candidates: list[tuple[float, dict[str, Any]]] = []
    reasons: list[str] = []
    first_coverage: dict[str, Any] | None = None
    first_key: tuple[str, str] | None = None
    for key in [k for k in GROUP_KEYS if k in given] + [k for k in given if k not in GROUP_KEYS]:
        group = given[key]
        label = f"{key}={group}"
        if key not in stored:
            reasons.append(f"{label}: the model's training rows have no {key}")
            continue
        pooled_rows = {r["group"]: r for r in stored[key].get("pooled", [])}
        mond_rows = {r["group"]: r for r in stored[key].get("mondrian", [])}
        if group not in pooled_rows:
            reasons.append(f"{label}: no training row is of this group")
            continue
        p, m = pooled_rows[group], mond_rows.get(group, {})
        n_cal = int(((cal_keys.get(key) or {}).get(group) or {}).get("n", 0))
        coverage = {
            "key": key,
            "group": group,
            "n_held_out": int(p["n"]),
            "n_calibration": n_cal,
            "pooled": p.get("coverage"),
            "mondrian": m.get("coverage"),
            "served": p.get("coverage"),
            "target": list(target),
            "status": p.get("status"),
        }
        if first_coverage is None:
            first_coverage, first_key = coverage, (key, group)
        pc = p.get("coverage")
        if int(p["n"]) < min_rows:
            reasons.append(
                f"{label}: {p['n']} held-out rows, fewer than the {min_rows} needed to judge "
                "its coverage"
            )
            continue
        if pc is not None and target[0] <= pc <= target[1]:
            reasons.append(
                f"{label}: the pooled interval covered {pc:.1%} of its {p['n']} held-out rows, "
                f"within the {target[0]:.0%}–{target[1]:.0%} target"
            )
            continue
        if calibration is None:
            reasons.append(f"{label}: the model was stored without per-group calibration data")
            continue
        rows = ((cal_keys.get(key) or {}).get(group) or {}).get("rows")
        if not rows:
            reasons.append(
                f"{label}: {n_cal} calibration rows, fewer than the "
                f"{calibration.get('min_group_calibration', MIN_GROUP_CALIBRATION)} a "
                "group's own interval needs"
            )
            continue
        if not _closer(m.get("coverage"), pc, level):
            reasons.append(
                f"{label}: the Mondrian interval's measured coverage "
                f"({m.get('coverage') or float('nan'):.1%}) was no nearer {level:.0%} than the "
                f"pooled one's ({pc if pc is not None else float('nan'):.1%})"
            )
            continue
        chosen = {
            "method": "mondrian",
            "interval_method": f"mondrian CV+ (group {label}, n={len(rows)})",
            "key": key,
            "group": group,
            "rows": rows,
            "coverage": {**coverage, "served": m.get("coverage"), "status": m.get("status")},
            "reason": (
                f"{label}: the pooled interval covered {pc:.1%} of its {p['n']} held-out rows, "
                f"outside the {target[0]:.0%}–{target[1]:.0%} target; the group's own "
                f"(Mondrian) interval covered {m['coverage']:.1%}"
            ),
        }
        candidates.append((abs(float(pc) - level) if pc is not None else 0.0, chosen))
    if candidates:
        return max(candidates, key=lambda c: c[0])[1]
    return {
        **pooled,
        "key": first_key[0] if first_key else None,
        "group": first_key[1] if first_key else None,
        "coverage": first_coverage,
        "reason": "; ".join(reasons) + " — the interval pooled over all groups",
    }


def mondrian_interval(
    fold_predictions: FloatArray,
    residuals: FloatArray,
    fold_of_row: IntArray,
    rows: Sequence[int],
    level: float,
) -> tuple[FloatArray, FloatArray]:
    """CV+ bounds (link scale) over the calibration rows ``rows`` of one group only."""
    idx = np.asarray(rows, dtype=np.intp)
    return cv_plus_bounds(fold_predictions, residuals[idx], fold_of_row[idx], level)
