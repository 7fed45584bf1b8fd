"""CV+ intervals equal MAPIE's CrossConformalRegressor (method "plus") on the same folds."""

from __future__ import annotations

import numpy as np
import pytest
from mapie.regression import CrossConformalRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import PredefinedSplit

from cryoprotect.errors import ValidationError
from cryoprotect.ml.conformal import cv_plus_bounds, fit_cv_plus, min_rows_for_level
from cryoprotect.ml.train import grouped_folds

pytestmark = pytest.mark.unit


def test_cv_plus_matches_mapie_cross_conformal_plus() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + rng.normal(size=120)
    groups = [f"g{i // 4}" for i in range(120)]
    splits = grouped_folds(groups, 5, seed=0)
    test_fold = np.empty(120, dtype=int)
    for k, (_, test) in enumerate(splits):
        test_fold[test] = k
    X_new = rng.normal(size=(25, 3))
    lower, upper = fit_cv_plus(lambda: Ridge(alpha=1.0), X, y, splits, 0.9).interval(X_new)
    mapie = CrossConformalRegressor(
        Ridge(alpha=1.0), confidence_level=0.9, method="plus", cv=PredefinedSplit(test_fold)
    )
    mapie.fit_conformalize(X, y)
    _, intervals = mapie.predict_interval(X_new)
    np.testing.assert_allclose(lower, intervals[:, 0, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(upper, intervals[:, 1, 0], rtol=1e-12, atol=1e-12)


def test_too_few_rows_for_the_level_is_an_error() -> None:
    assert min_rows_for_level(0.9) == 9
    predictions = np.zeros((2, 1))
    with pytest.raises(ValidationError, match="too few"):
        cv_plus_bounds(predictions, np.ones(5), np.array([0, 0, 1, 1, 1]), 0.9)
