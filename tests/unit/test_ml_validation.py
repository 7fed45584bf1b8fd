"""Metrics on known values, baseline comparison with a grouped bootstrap, prospective tests."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.ml.synthetic import SYNTHETIC_TARGET, make_synthetic_dataset
from cryoprotect.ml.validation import (
    compare_to_baselines,
    interval_coverage,
    mae,
    mean_interval_width,
    prospective,
    r2,
    rmse,
    spearman,
)

pytestmark = pytest.mark.unit


def test_metrics_on_hand_computed_values() -> None:
    y = [1.0, 2.0, 3.0, 4.0]
    p = [1.0, 2.0, 4.0, 2.0]
    assert mae(y, p) == pytest.approx(0.75)
    assert rmse(y, p) == pytest.approx(math.sqrt(5 / 4))
    assert r2(y, p) == pytest.approx(1 - 5 / 5)
    assert r2(y, y) == 1.0
    assert spearman(y, [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman(y, [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman(y, [5, 5, 5, 5]))  # constant predictions: undefined
    assert math.isnan(r2([2.0, 2.0], [1.0, 3.0]))
    assert interval_coverage(y, [0, 0, 5, 3], [2, 2, 6, 5]) == pytest.approx(0.75)
    assert mean_interval_width([0, 1], [2, 5]) == pytest.approx(3.0)
    with pytest.raises(ValidationError):
        mae([1.0, 2.0], [1.0])


def test_compare_to_baselines_claims_only_what_the_bootstrap_supports() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(50, 10, 120)
    groups = [f"g{i // 6}" for i in range(120)]
    good = y + rng.normal(0, 2, 120)
    noisy = y + rng.normal(0, 2.1, 120)
    mean = np.full(120, y.mean())
    result = compare_to_baselines(
        y, {"model": good, "mean": mean, "twin": noisy}, groups=groups, n_boot=500
    )
    assert result.n_groups == 20
    assert result.verdicts["mean"] == "better"
    assert result.verdicts["twin"] == "not distinguishable"
    delta, low, high = result.differences["mean"]["mae"]
    assert low <= delta <= high < 0
    assert result.metrics["model"]["mae"] < result.metrics["mean"]["mae"]
    assert result.as_dict()["verdicts"]["mean"] == "better"


def test_prospective_trains_on_one_set_and_reports_baselines_on_the_other() -> None:
    data = make_synthetic_dataset(n_groups=30, rows_per_group=8, seed=4)
    train_ds = data.subset(range(0, 160), name="train part")
    test_ds = data.subset(range(160, 240), name="test part")
    report = prospective(train_ds, test_ds, "ridge", target=SYNTHETIC_TARGET, n_boot=200)
    assert report.n_train == 160 and report.n_test == 80
    metrics = report.comparison.metrics
    assert set(metrics) == {"model", "baseline_mean", "baseline_one_feature"}
    assert metrics["model"]["mae"] < metrics["baseline_mean"]["mae"]
    assert 0.75 <= report.coverage <= 1.0
    assert report.comparison.n_groups == 10
    assert len(report.predictions) == 80
    assert report.summary()["test"] == "test part"
