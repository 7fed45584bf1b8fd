"""Training: grouped nested CV, baselines in the same folds, conformal coverage, prediction.

The synthetic data (:mod:`cryoprotect.ml.synthetic`) have a known noise level
(y = f(x) + N(0, 3²)), so the 90 % CV+ intervals must cover about 90 % of held-out rows
and be about 2 × 1.645 × 3 ≈ 9.9 wide.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.pipeline import Pipeline

from cryoprotect.errors import ValidationError
from cryoprotect.ml.datasets import Component, DatasetRow
from cryoprotect.ml.synthetic import SYNTHETIC_TARGET, make_synthetic_dataset
from cryoprotect.ml.train import (
    ALGORITHMS,
    PREDICTORS,
    AlgorithmSpec,
    TrainedModel,
    gp_kernels,
    grouped_folds,
    predict,
    train,
)
from tests.conftest import interval

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic_dataset(n_groups=40, rows_per_group=10, noise_sd=3.0, seed=0)


@pytest.fixture(scope="module")
def ridge_model(synthetic) -> TrainedModel:
    return train(synthetic, SYNTHETIC_TARGET, "ridge", level=0.9, seed=0)


def test_algorithms_are_registered_with_grids() -> None:
    for name in ("ridge", "random_forest", "gradient_boosting", "gaussian_process"):
        spec = ALGORITHMS.get(name)
        assert spec.param_grid and all(len(v) >= 2 for v in spec.param_grid.values())
        assert isinstance(spec.build(0, None), Pipeline)
    with pytest.raises(ValidationError, match="unknown algorithm"):
        ALGORITHMS.get("deep_magic")


def test_conformal_coverage_on_held_out_groups(ridge_model: TrainedModel) -> None:
    report = ridge_model.report
    assert report is not None
    assert 0.85 <= report.coverage <= 0.95
    assert all(0.75 <= f.coverage <= 1.0 for f in report.folds)
    # width close to the oracle 2·1.645·σ = 9.87 for Gaussian noise with σ = 3
    assert 8.5 <= report.mean_width <= 12.0
    # the model beats both baselines on data with signal
    pooled = report.pooled
    assert pooled["model"]["mae"] < pooled["baseline_one_feature"]["mae"]
    assert pooled["model"]["mae"] < pooled["baseline_mean"]["mae"]
    assert pooled["model"]["mae"] == pytest.approx(3.0 * np.sqrt(2 / np.pi), rel=0.15)


def test_no_group_on_both_sides_of_any_split(ridge_model: TrainedModel) -> None:
    report = ridge_model.report
    assert report is not None
    groups = np.asarray(report.groups)
    seen_test: list[int] = []
    for fold in report.folds:
        train_groups = set(groups[fold.train_index])
        test_groups = set(groups[fold.test_index])
        assert not train_groups & test_groups
        assert sorted(test_groups) == fold.test_groups
        assert set(fold.train_index).isdisjoint(fold.test_index)
        seen_test.extend(fold.test_index.tolist())
        for inner_train, inner_test in fold.inner_splits:
            assert not set(groups[inner_train]) & set(groups[inner_test])
    assert sorted(seen_test) == list(range(len(groups)))  # every row tested exactly once


def test_inner_search_stays_inside_the_outer_training_rows(ridge_model: TrainedModel) -> None:
    report = ridge_model.report
    assert report is not None
    for fold in report.folds:
        train_set = set(fold.train_index.tolist())
        covered: set[int] = set()
        for inner_train, inner_test in fold.inner_splits:
            assert set(inner_train.tolist()) <= train_set
            assert set(inner_test.tolist()) <= train_set
            covered |= set(inner_test.tolist())
        assert covered == train_set


class _SpyRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Records the target values of every fit (each synthetic row's y is unique)."""

    calls: list[tuple[str, frozenset[float]]] = []
    stage = "start"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, X: NDArray[np.float64], y: NDArray[np.float64]) -> _SpyRegressor:
        _SpyRegressor.calls.append((_SpyRegressor.stage, frozenset(np.round(y, 9).tolist())))
        self.mean_ = float(np.mean(y))
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.full(X.shape[0], self.mean_ + 0.0 * self.alpha)


def _spy(seed: int, n_jobs: int | None) -> Any:
    return Pipeline([("model", _SpyRegressor())])


def test_every_fit_of_an_outer_fold_sees_only_its_training_rows() -> None:
    ALGORITHMS.add(
        "spy_test", AlgorithmSpec("spy_test", "test spy", _spy, {"model__alpha": [1.0, 2.0]})
    )
    try:
        _check_spy_fits()
    finally:
        ALGORITHMS.remove("spy_test")
    assert "spy_test" not in ALGORITHMS


def _check_spy_fits() -> None:
    data = make_synthetic_dataset(n_groups=12, rows_per_group=5, seed=3)
    _SpyRegressor.calls.clear()

    def progress(message: str, fraction: float) -> None:
        _SpyRegressor.stage = message

    model = train(
        data, SYNTHETIC_TARGET, "spy_test", outer_folds=3, inner_folds=3, progress=progress
    )
    assert model.report is not None
    y = np.round(data.target(SYNTHETIC_TARGET), 9)
    for k, fold in enumerate(model.report.folds):
        allowed = set(y[fold.train_index].tolist())
        held_out = set(y[fold.test_index].tolist())
        fits = [values for stage, values in _SpyRegressor.calls if stage == f"outer fold {k + 1}/3"]
        # 2 grid points × 3 inner folds + refit + 3 CV+ fold models
        assert len(fits) == 2 * 3 + 1 + 3
        for values in fits:
            assert values <= allowed
            assert not values & held_out
    final = [v for stage, v in _SpyRegressor.calls if stage == "refitting on all rows"]
    assert frozenset(y.tolist()) in final  # the final model is refitted on every row


def test_baselines_are_measured_in_the_same_folds(ridge_model: TrainedModel, synthetic) -> None:
    report = ridge_model.report
    assert report is not None
    assert report.row_ids == synthetic.row_ids
    y = synthetic.target(SYNTHETIC_TARGET)
    for fold in report.folds:
        assert set(fold.predictions) == set(PREDICTORS)
        for values in fold.predictions.values():
            assert values.shape == fold.test_index.shape
        np.testing.assert_allclose(fold.y_true, y[fold.test_index])
        np.testing.assert_allclose(fold.predictions["baseline_mean"], np.mean(y[fold.train_index]))
        assert fold.one_feature in ridge_model.feature_names
        assert set(fold.metrics) == set(PREDICTORS)
    assert all(m["n"] == 400 for m in report.pooled.values())


def test_coverage_holds_when_rows_of_a_group_share_an_offset() -> None:
    # y = f(x) + group offset N(0, 2²) + N(0, 2²): rows of a group are correlated
    data = make_synthetic_dataset(n_groups=40, rows_per_group=10, noise_sd=2.0, group_sd=2.0)
    report = train(data, SYNTHETIC_TARGET, "ridge").report
    assert report is not None
    assert 0.85 <= report.coverage <= 0.95


def test_predictions_carry_interval_domain_and_nearest_rows(ridge_model: TrainedModel) -> None:
    inside = DatasetRow(
        "q1", (Component("Glycerol", 1.5, "mol/kg"), Component("Sucrose", 0.25, "mol/kg"))
    )
    far = DatasetRow(
        "q2", (Component("Glycerol", 9.0, "mol/kg"), Component("Sucrose", 3.0, "mol/kg"))
    )
    unseen = DatasetRow(
        "q3", (Component("Glycerol", 1.0, "mol/kg"), Component("Trehalose", 0.1, "mol/kg"))
    )
    p_in, p_far, p_new = predict(ridge_model, [inside, far, unseen])
    lower, value, upper = interval(p_in)
    assert lower <= value <= upper
    assert p_in.level == 0.9
    assert p_in.in_domain and not p_in.warnings
    assert len(p_in.nearest) == ridge_model.domain.k
    assert all(n.row_id.startswith("syn:") for n in p_in.nearest)
    distances = [n.distance for n in p_in.nearest]
    assert distances == sorted(distances)
    assert not p_far.in_domain and p_far.value is None and p_far.reason
    assert any("applicability domain" in w for w in p_far.warnings)
    assert not p_new.in_domain and p_new.value is None
    assert any("Trehalose" in w for w in p_new.warnings)
    assert p_in.as_dict()["nearest"][0]["row_id"] == p_in.nearest[0].row_id


def test_bounds_clip_predictions_and_intervals(synthetic) -> None:
    model = train(synthetic, SYNTHETIC_TARGET, "ridge", bounds=(20.0, 50.0), nested=False)
    assert model.report is None and model.metrics == {}
    for p in predict(model, synthetic.rows[:50]):
        lower, value, upper = interval(p)
        assert 20.0 <= lower <= value <= upper <= 50.0


def test_training_input_errors(synthetic) -> None:
    with pytest.raises(ValidationError, match="level"):
        train(synthetic, SYNTHETIC_TARGET, "ridge", level=1.5)
    with pytest.raises(ValidationError, match="no row has a value"):
        train(synthetic, "viability_percent", "ridge")
    one_group = synthetic.subset(range(10))
    with pytest.raises(ValidationError, match="at least 2 groups"):
        train(one_group, SYNTHETIC_TARGET, "ridge")


@pytest.mark.parametrize(
    ("algorithm", "params", "grid"),
    [
        ("random_forest", {"model__n_estimators": 20}, {"model__min_samples_leaf": [1, 5]}),
        ("gradient_boosting", {"model__n_estimators": 30}, {"model__max_depth": [2, 3]}),
        ("gaussian_process", {"model__n_restarts_optimizer": 0}, "two kernels"),
    ],
)
def test_every_algorithm_trains_and_predicts(
    algorithm: str, params: dict[str, Any], grid: dict[str, list[Any]] | str
) -> None:
    if grid == "two kernels":  # the default grid has three; two keep the test fast
        grid = {"model__kernel": gp_kernels()[:2]}
    assert isinstance(grid, dict)
    data = make_synthetic_dataset(n_groups=12, rows_per_group=6, seed=1)
    model = train(
        data,
        SYNTHETIC_TARGET,
        algorithm,
        params=params,
        param_grid=grid,
        outer_folds=3,
        inner_folds=3,
    )
    assert model.report is not None and len(model.report.folds) == 3
    assert set(model.hyperparameters) == set(grid)
    predictions = predict(model, data.rows[:5])
    assert all(lower <= value <= upper for lower, value, upper in map(interval, predictions))
    assert model.report.pooled["model"]["mae"] < model.report.pooled["baseline_mean"]["mae"]


def test_grouped_folds_are_balanced_disjoint_and_seeded() -> None:
    groups = [f"g{i}" for i in range(30) for _ in range(1 + i % 3)]  # sizes 1, 2, 3
    folds = grouped_folds(groups, 5, seed=0)
    sizes = [te.size for _, te in folds]
    assert sum(sizes) == len(groups) and max(sizes) - min(sizes) <= 1
    labels = np.asarray(groups)
    for train_index, test_index in folds:
        assert not set(labels[train_index]) & set(labels[test_index])
    other = grouped_folds(groups, 5, seed=1)
    assert [set(te) for _, te in other] != [set(te) for _, te in folds]
    assert [te.tolist() for _, te in grouped_folds(groups, 5, seed=0)] == [
        te.tolist() for _, te in folds
    ]
    with pytest.raises(ValidationError, match="at least 2 groups"):
        grouped_folds(["only"] * 5, 5, seed=0)


def test_validation_plots_are_json_safe_and_consistent(ridge_model: TrainedModel) -> None:
    import json

    plots = ridge_model.metrics["validation_plots"]
    json.dumps(plots, allow_nan=False)
    rows = plots["out_of_fold"]["rows"]
    assert len(rows) == ridge_model.n_rows == ridge_model.metrics["n_rows"]
    assert len({r["row_id"] for r in rows}) == len(rows)
    keys = {"row_id", "fold", "measured", "predicted", "lower", "upper", "baseline_mean"}
    assert all(keys <= set(r) for r in rows)
    assert all(r["lower"] <= r["predicted"] <= r["upper"] for r in rows)
    assert {r["fold"] for r in rows} == set(range(ridge_model.metrics["outer_folds"]))

    imp = plots["permutation_importance"]
    assert 1 <= len(imp["features"]) <= 20
    means = [f["mean"] for f in imp["features"]]
    assert means == sorted(means, reverse=True)
    assert all(f["feature"] in ridge_model.feature_names and f["std"] >= 0 for f in imp["features"])

    cov = plots["coverage"]
    assert cov["method"]
    levels = [c["nominal"] for c in cov["levels"]]
    assert levels == sorted(levels) and levels[0] == pytest.approx(0.5) and 0.9 in levels
    assert all(0 <= c["empirical"] <= 1 for c in cov["levels"])
    # the 90 % point agrees with the pooled coverage reported in the interval summary
    at_90 = next(c for c in cov["levels"] if c["nominal"] == pytest.approx(0.9))
    assert at_90["empirical"] == pytest.approx(ridge_model.metrics["interval"]["coverage"])
    # honest coverage tracks nominal on the synthetic data (known Gaussian noise)
    assert all(abs(c["empirical"] - c["nominal"]) <= 0.1 for c in cov["levels"])
    widths = [c["mean_width"] for c in cov["levels"]]
    assert widths == sorted(widths)


def test_no_validation_plots_without_nested_cv(synthetic) -> None:
    model = train(synthetic, SYNTHETIC_TARGET, "ridge", seed=0, nested=False)
    assert "validation_plots" not in model.metrics
