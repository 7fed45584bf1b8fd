"""A Gaussian process with per-source observation noise (registered ``gaussian_process_source_noise``).

This module owns :class:`SourceNoiseGP` and its registration in
:data:`cryoprotect.ml.train.ALGORITHMS`.

Rows from different sources are not equally reliable: a literature viability (another
lab, another assay, another cell line) scatters more around "the" viability of a
formulation than a repeated measurement in one lab. A Gaussian process can say so
directly: its likelihood is y_i = f(x_i) + ε_i with ε_i ~ N(0, σ_i²), and
``GaussianProcessRegressor(alpha=...)`` takes one noise variance per training row.

* σ_i is the row's source noise — the **last column** of X, which the featurizer
  ``composition_conditions_v2`` writes when given ``noise_condition`` (for CryoMN v2:
  the curators' per-source standard deviation, literature 50, wet-lab 5, feedback 1
  viability points; their choice, not a measurement). It is never an input of the
  kernel, and predicting needs no noise value (the GP mean does not depend on it).
* Because those σ_i are a stated prior, not a fitted quantity, one overall factor
  ``noise_scale`` multiplies them: α_i = (noise_scale · σ_i / sd(y))² (``normalize_y``
  works on standardised targets). It is chosen with the kernel by the grouped inner
  cross-validation of :func:`cryoprotect.ml.train.train`, like every hyperparameter.
  The *ratios* between sources are the curators'; the data choose the overall level.
* Inputs: arcsinh, then standardised with the training mean and standard deviation (as
  the plain ``gaussian_process``); kernel amplitude and length scales by marginal
  likelihood.

A dataset in which every row has the same source reduces this to a GP with one fixed
noise level; the plain ``gaussian_process`` (learned white noise) stays registered for
comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Kernel, Matern

from cryoprotect.errors import ValidationError
from cryoprotect.ml.train import ALGORITHMS, GAUSSIAN_PROCESS_MAX_ROWS, AlgorithmSpec

FloatArray = NDArray[np.float64]
NAME = "gaussian_process_source_noise"
NOISE_SCALES = (0.1, 0.3, 1.0)


def source_noise_kernels() -> list[Kernel]:
    """Kernel grid without a white-noise term (the noise is the rows' own): RBF, Matérn 3/2."""
    return [
        ConstantKernel(1.0, (1e-3, 1e3)) * RBF(length_scale=3.0, length_scale_bounds=(1e-2, 1e3)),
        ConstantKernel(1.0, (1e-3, 1e3))
        * Matern(length_scale=3.0, length_scale_bounds=(1e-2, 1e3), nu=1.5),
    ]


class SourceNoiseGP(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """GP regression whose per-row noise standard deviation is the last column of X.

    Args:
        kernel: the signal kernel (no white-noise term needed).
        noise_scale: multiplies every row's noise standard deviation.
        n_restarts_optimizer: restarts of the marginal-likelihood optimiser.
        random_state: seed of the restarts.
    """

    def __init__(
        self,
        kernel: Kernel | None = None,
        noise_scale: float = 1.0,
        n_restarts_optimizer: int = 2,
        random_state: int | None = None,
    ) -> None:
        self.kernel = kernel
        self.noise_scale = noise_scale
        self.n_restarts_optimizer = n_restarts_optimizer
        self.random_state = random_state

    def _inputs(self, X: FloatArray) -> FloatArray:
        Z = np.arcsinh(np.asarray(X, dtype=np.float64)[:, :-1])
        return np.asarray((Z - self.mean_) / self.scale_, dtype=np.float64)

    def fit(self, X: FloatArray, y: FloatArray) -> SourceNoiseGP:
        """Fit on X (last column: each row's noise standard deviation, target units) and y."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] < 2:
            raise ValidationError(
                f"{NAME} needs the noise column: train it with featurizer "
                "composition_conditions_v2 and a noise_condition",
                field="featurizer",
            )
        sigma = X[:, -1]
        if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0):
            raise ValidationError(
                f"{NAME}: every training row needs a positive noise standard deviation "
                "(the last feature column)",
                field="featurizer",
            )
        Z = np.arcsinh(X[:, :-1])
        self.mean_ = Z.mean(axis=0)
        scale = Z.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        sd_y = float(np.std(y)) or 1.0
        self.alpha_ = (float(self.noise_scale) * sigma / sd_y) ** 2
        kernel = self.kernel if self.kernel is not None else source_noise_kernels()[0]
        self.gp_ = GaussianProcessRegressor(
            kernel=kernel,
            alpha=self.alpha_,
            normalize_y=True,
            n_restarts_optimizer=self.n_restarts_optimizer,
            random_state=self.random_state,
        )
        self.gp_.fit(self._inputs(X), y)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: FloatArray, return_std: bool = False) -> Any:
        """Posterior mean (and, with ``return_std``, the latent function's standard deviation)."""
        return self.gp_.predict(self._inputs(X), return_std=return_std)


def _build(seed: int, n_jobs: int | None) -> Any:
    from sklearn.pipeline import Pipeline

    del n_jobs
    return Pipeline([("model", SourceNoiseGP(kernel=source_noise_kernels()[0], random_state=seed))])


SPEC = AlgorithmSpec(
    NAME,
    "Gaussian process with per-source noise (each row's noise from its source; needs "
    "featurizer composition_conditions_v2 with a noise_condition)",
    _build,
    {"model__kernel": source_noise_kernels(), "model__noise_scale": list(NOISE_SCALES)},
    max_rows=GAUSSIAN_PROCESS_MAX_ROWS,
)
if NAME not in ALGORITHMS:
    ALGORITHMS.add(NAME, SPEC)
