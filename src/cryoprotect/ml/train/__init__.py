"""Training with honest validation: grouped nested cross-validation, baselines, CV+ intervals.

The package re-exports the public names of the former ``cryoprotect.ml.train`` module;
each job lives in its own submodule:

* :mod:`~cryoprotect.ml.train.algorithms` — the algorithm registry (:data:`ALGORITHMS`:
  ``ridge``, ``random_forest``, ``gradient_boosting``, ``gaussian_process``, each a
  scikit-learn estimator with a small hyperparameter grid and the most rows it may be
  trained on), :func:`check_row_limit`, :func:`json_safe`;
* :mod:`~cryoprotect.ml.train.folds` — :func:`grouped_folds`;
* :mod:`~cryoprotect.ml.train.baselines` — :class:`OneFeatureModel`;
* :mod:`~cryoprotect.ml.train.report` — :class:`FoldResult`, :class:`CVReport`;
* :mod:`~cryoprotect.ml.train.model` — :class:`TrainedModel`, :func:`library_versions`;
* :mod:`~cryoprotect.ml.train.target_scale` — link scale → target scale, bounds, units;
* :mod:`~cryoprotect.ml.train.plots` — the validation plots' data;
* :mod:`~cryoprotect.ml.train.training` — :func:`train` (what it does, in order, is
  written there);
* :mod:`~cryoprotect.ml.train.prediction` — :class:`Prediction`, :func:`predict`;
* :mod:`~cryoprotect.ml.train.common` — shared types and :class:`CancelSignal`.
"""

from cryoprotect.ml.train.algorithms import (
    ALGORITHMS,
    GAUSSIAN_PROCESS_MAX_ROWS,
    MAX_TRAINING_ROWS,
    AlgorithmSpec,
    check_row_limit,
    gp_kernels,
    json_safe,
)
from cryoprotect.ml.train.baselines import OneFeatureModel
from cryoprotect.ml.train.common import CancelSignal, FloatArray, IntArray, Progress, Split
from cryoprotect.ml.train.folds import grouped_folds
from cryoprotect.ml.train.model import TrainedModel, library_versions
from cryoprotect.ml.train.plots import IMPORTANCE_REPEATS, TOP_IMPORTANCES
from cryoprotect.ml.train.prediction import OUTSIDE_DOMAIN, Prediction, predict
from cryoprotect.ml.train.report import COVERAGE_LEVELS, PREDICTORS, CVReport, FoldResult
from cryoprotect.ml.train.target_scale import choose_link, target_unit
from cryoprotect.ml.train.training import DEFAULT_FEATURIZER, DEFAULT_MOLECULE_FEATURIZER, train

__all__ = [
    "ALGORITHMS",
    "COVERAGE_LEVELS",
    "DEFAULT_FEATURIZER",
    "DEFAULT_MOLECULE_FEATURIZER",
    "GAUSSIAN_PROCESS_MAX_ROWS",
    "IMPORTANCE_REPEATS",
    "MAX_TRAINING_ROWS",
    "OUTSIDE_DOMAIN",
    "PREDICTORS",
    "TOP_IMPORTANCES",
    "AlgorithmSpec",
    "CVReport",
    "CancelSignal",
    "FloatArray",
    "FoldResult",
    "IntArray",
    "OneFeatureModel",
    "Prediction",
    "Progress",
    "Split",
    "TrainedModel",
    "check_row_limit",
    "choose_link",
    "gp_kernels",
    "grouped_folds",
    "json_safe",
    "library_versions",
    "predict",
    "target_unit",
    "train",
]
