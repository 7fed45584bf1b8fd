"""Honest model evaluation: metrics, comparison with baselines, prospective tests.

This module owns how a model's numbers are reported next to the numbers a trivial
predictor gets on the same rows:

* the metrics (:func:`mae`, :func:`rmse`, :func:`r2`, :func:`spearman`,
  :func:`interval_coverage`, :func:`mean_interval_width`; from :mod:`cryoprotect.ml.metrics`);
* :func:`compare_to_baselines` (in :mod:`cryoprotect.ml.verdict`) — every predictor's
  metrics on the same rows, and the difference in MAE and RMSE between the model and each
  baseline with a 95 % interval from a bootstrap over *groups* (rows of one source move
  together), so that "better than the baseline" is only claimed when the interval excludes
  zero;
* :func:`prospective` — train on one dataset (the literature), predict another that played
  no part in training (the wet-lab rows), and report the model beside two baselines fitted
  on the training data only: its mean, and the one-feature model of
  :class:`cryoprotect.ml.train.OneFeatureModel`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.ml.datasets import Dataset
from cryoprotect.ml.metrics import (
    interval_coverage,
    mae,
    mean_interval_width,
    r2,
    regression_metrics,
    rmse,
    spearman,
)
from cryoprotect.ml.train import OneFeatureModel, Prediction, Progress, TrainedModel, predict, train
from cryoprotect.ml.verdict import BaselineComparison, compare_to_baselines
from cryoprotect.science.records import field_keys, keys_dict

FloatArray = NDArray[np.float64]

__all__ = [
    "BaselineComparison",
    "ProspectiveReport",
    "compare_to_baselines",
    "interval_coverage",
    "mae",
    "mean_interval_width",
    "prospective",
    "r2",
    "regression_metrics",
    "rmse",
    "spearman",
]


@dataclass(frozen=True)
class ProspectiveReport:
    """A model trained on one dataset and tested on another.

    Attributes:
        algorithm: the model's algorithm.
        train_name: training dataset name.
        test_name: test dataset name.
        n_train: training rows.
        n_test: test rows.
        comparison: model vs baselines on all test rows (bootstrap over test groups).
        coverage: empirical coverage of the intervals on the test rows.
        mean_width: mean interval width on the test rows.
        level: nominal coverage.
        in_domain_fraction: fraction of test rows inside the applicability domain.
        in_domain_metrics: model metrics on the in-domain test rows only.
        one_feature: the baseline's chosen feature.
        predictions: the model's predictions of the test rows.
    """

    algorithm: str
    train_name: str
    test_name: str
    n_train: int
    n_test: int
    comparison: BaselineComparison
    coverage: float
    mean_width: float
    level: float
    in_domain_fraction: float
    in_domain_metrics: dict[str, float]
    one_feature: str
    predictions: list[Prediction]

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: the fields but the per-row predictions, ``train_name`` and
        ``test_name`` as ``train`` and ``test``."""
        renamed = {"train_name": "train", "test_name": "test"}
        keys = field_keys(self, renamed=renamed, omit={"predictions"})
        return keys_dict(
            self,
            keys,
            train=self.train_name,
            test=self.test_name,
            comparison=self.comparison.as_dict(),
        )


def prospective(
    train_ds: Dataset,
    test_ds: Dataset,
    algorithm: str = "random_forest",
    *,
    target: str,
    model: TrainedModel | None = None,
    level: float = 0.9,
    seed: int = 0,
    bounds: tuple[float, float] | None = None,
    progress: Progress | None = None,
    n_boot: int = 2000,
    **train_options: Any,
) -> ProspectiveReport:
    """Train on ``train_ds`` (or take ``model``), predict ``test_ds``, report vs baselines.

    Args:
        train_ds: training data (e.g. the literature formulations).
        test_ds: data that played no part in training (e.g. the wet-lab rows).
        algorithm: registered algorithm (ignored when ``model`` is given).
        target: target name, present in both datasets.
        model: an already trained model; it must have been trained on ``train_ds``.
        level: interval level when training here.
        seed: training and bootstrap seed.
        bounds: target bounds when training here.
        progress: progress callback for training.
        n_boot: bootstrap replicates of the comparison.
        **train_options: passed to :func:`cryoprotect.ml.train.train` (default
            ``nested=False``: the prospective test is the evaluation here).

    Returns:
        The report; baselines are fitted on the training rows only.
    """
    if model is None:
        train_options.setdefault("nested", False)
        model = train(
            train_ds,
            target,
            algorithm,
            level=level,
            seed=seed,
            bounds=bounds,
            progress=progress,
            **train_options,
        )
    elif model.dataset_hash != train_ds.content_hash:
        raise ValidationError("the model was not trained on train_ds", field="model")
    if model.target != target:
        raise ValidationError(
            f"the model predicts {model.target!r}, not {target!r}", field="target"
        )
    train_rows = train_ds.with_target(target)
    test_rows = test_ds.with_target(target)
    if len(test_rows) == 0:
        raise ValidationError(f"no test row has {target!r}", field="target")
    y_train = train_rows.target(target)
    y_test = test_rows.target(target)

    X_train, names = model.featurizer.transform(train_rows)
    X_test, _ = model.featurizer.transform(test_rows)
    one = OneFeatureModel.fit(X_train, y_train, names)
    lo_b, hi_b = model.bounds if model.bounds is not None else (-np.inf, np.inf)

    # Every test row is scored (out-of-domain rows too, as extrapolations): the in-domain
    # rows are reported separately below.
    results = predict(model, test_rows, extrapolate=True)
    point = np.array([p.value for p in results], dtype=np.float64)
    lower = np.array([p.lower for p in results], dtype=np.float64)
    upper = np.array([p.upper for p in results], dtype=np.float64)
    inside = np.array([p.in_domain for p in results], dtype=bool)
    comparison = compare_to_baselines(
        y_test,
        {
            "model": point,
            "baseline_mean": np.clip(np.full(y_test.size, y_train.mean()), lo_b, hi_b),
            "baseline_one_feature": np.clip(one.predict(X_test), lo_b, hi_b),
        },
        groups=test_rows.groups,
        n_boot=n_boot,
        seed=seed,
    )
    return ProspectiveReport(
        algorithm=model.algorithm,
        train_name=train_ds.name,
        test_name=test_ds.name,
        n_train=len(train_rows),
        n_test=len(test_rows),
        comparison=comparison,
        coverage=interval_coverage(y_test, lower, upper),
        mean_width=mean_interval_width(lower, upper),
        level=model.level,
        in_domain_fraction=float(inside.mean()),
        in_domain_metrics=regression_metrics(y_test[inside], point[inside]),
        one_feature=one.name,
        predictions=results,
    )
