"""Fitting virial coefficients to measured freezing points: least-squares fit, predicted
freezing-point depression and held-out errors (alternate points, leave-one-out, by source).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict, Unpack

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import lsq_linear

from cryoprotect.errors import ValidationError
from cryoprotect.science.thermo.melting import (
    freezing_point_depression_c,
    osmolality_from_melting_point,
)
from cryoprotect.science.thermo.parameters import WATER_MELTING_POINT_K, FloatArray
from cryoprotect.science.thermo.virial import virial_osmolality

# --- fitting to freezing points -----------------------------------------------------------


@dataclass(frozen=True)
class FitResult:
    """Osmotic virial coefficients fitted to freezing-point depressions of one solute.

    Attributes:
        b_kg_per_mol: fitted B.
        c_kg2_per_mol2: fitted C (≥ 0; 0 when not fitted).
        k_diss: fitted dissociation constant (1 when not fitted).
        molality: the data's molalities (mol/kg).
        delta_t_c: the data's measured freezing-point depressions (°C, positive).
        predicted_delta_t_c: the fit's freezing-point depressions at the data.
        residuals_c: predicted − measured (°C).
        valid_min_molality: lowest molality in the data.
        valid_max_molality: highest molality in the data (the coefficients' valid range).
        rmse_c: root-mean-square residual (°C).
        fitted_k_diss: whether k was fitted (electrolyte) or fixed at 1.
        fitted_c: whether C was fitted or fixed at 0.
        c_nonnegative: whether C was constrained to C ≥ 0 (otherwise free in sign).
    """

    b_kg_per_mol: float
    c_kg2_per_mol2: float
    k_diss: float
    molality: FloatArray
    delta_t_c: FloatArray
    predicted_delta_t_c: FloatArray
    residuals_c: FloatArray
    valid_min_molality: float
    valid_max_molality: float
    rmse_c: float
    fitted_k_diss: bool
    fitted_c: bool
    c_nonnegative: bool = True

    @property
    def n_points(self) -> int:
        """Number of data points fitted."""
        return int(self.molality.size)

    @property
    def mae_c(self) -> float:
        """Mean absolute residual (°C)."""
        return float(np.mean(np.abs(self.residuals_c)))


def predict_delta_t_c(
    molality: ArrayLike, b: float, c: float = 0.0, k_diss: float = 1.0
) -> FloatArray:
    """Freezing-point depression (°C, positive) of a single-solute solution.

    Args:
        molality: mol/kg water, any shape.
        b: B in kg/mol.
        c: C in kg²/mol² (negative only for fits made with ``c_nonnegative=False``, whose
            osmolality stays positive inside their fitted range).
        k_diss: dissociation constant.
    """
    m = np.asarray(molality, dtype=np.float64)[..., np.newaxis]
    pi = virial_osmolality(m, np.array([k_diss]), np.array([b]), np.array([c]))
    return freezing_point_depression_c(pi)


class FitOptions(TypedDict, total=False):
    """The keyword options of :func:`fit_virial_from_freezing_points` (its defaults apply),
    passed on by the held-out error functions."""

    fit_k_diss: bool
    fit_c: bool
    c_nonnegative: bool


def fit_virial_from_freezing_points(
    molality: ArrayLike,
    delta_t_c: ArrayLike,
    *,
    fit_k_diss: bool = False,
    fit_c: bool = True,
    c_nonnegative: bool = True,
) -> FitResult:
    """Fit B (and C, and k for an electrolyte) to measured freezing-point depressions.

    Each ΔT_f is converted to the osmolality the melting-point relation assigns to it,
    π_meas = (ΔH_fus/(R M_w))·(1/T_m − 1/T_m0), and π = k m + B (k m)² + C (k m)³ is fitted
    by linear least squares in the coefficients a1 = k, a2 = B k², a3 = C k³ (a1 ≡ 1 for a
    non-electrolyte, the exact ideal-dilute limit), with C ≥ 0 (bounded least squares)
    unless ``c_nonnegative`` is false.

    Concentrated CPA solutions (30–60 % w/w) need C < 0: their measured π/m − 1 grows more
    slowly than linearly in m. A negative C makes π(m) reach a maximum at some molality
    above the data, so such a fit is accepted only when π still increases at the highest
    molality fitted; above that molality the coefficients are outside their valid range.

    Args:
        molality: mol/kg water (> 0), 1-D.
        delta_t_c: measured ΔT_f in °C (positive), same length.
        fit_k_diss: fit the dissociation constant (electrolytes) instead of fixing k = 1.
        fit_c: fit C; otherwise C = 0.
        c_nonnegative: constrain C ≥ 0 (the default); false lets C take either sign.

    Returns:
        The coefficients, the data, predictions, residuals, valid range and RMSE.

    Raises:
        ValidationError: mismatched or too few points, non-positive molalities, or (C free)
            a fit whose osmolality decreases within the data's range.
    """
    m = np.asarray(molality, dtype=np.float64).ravel()
    dt = np.asarray(delta_t_c, dtype=np.float64).ravel()
    n_free = 1 + int(fit_c) + int(fit_k_diss)
    if m.shape != dt.shape:
        raise ValidationError("molality and delta_t_c must have the same length")
    if m.size < n_free + 1:
        raise ValidationError(f"need at least {n_free + 1} points to fit {n_free} coefficients")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(dt))) or np.any(m <= 0.0):
        raise ValidationError("molalities must be finite and > 0; ΔT finite")
    pi_measured = osmolality_from_melting_point(WATER_MELTING_POINT_K - dt)
    columns = [m] if fit_k_diss else []
    columns.append(m**2)
    if fit_c:
        columns.append(m**3)
    design = np.column_stack(columns)
    target = pi_measured if fit_k_diss else pi_measured - m
    lower = np.full(design.shape[1], -np.inf)
    if fit_c and c_nonnegative:
        lower[-1] = 0.0
    if fit_k_diss:
        lower[0] = 1e-6
    solution = lsq_linear(
        design, target, bounds=(lower, np.full_like(lower, np.inf)), method="bvls"
    )
    coef = np.asarray(solution.x, dtype=np.float64)
    k = float(coef[0]) if fit_k_diss else 1.0
    a2 = float(coef[1 if fit_k_diss else 0])
    a3 = float(coef[-1]) if fit_c else 0.0
    if c_nonnegative and a3 < 1e-12:
        a3 = 0.0  # the solver stops a hair above the C ≥ 0 bound; report the bound exactly
    b = a2 / k**2
    c = a3 / k**3
    x_max = k * float(m.max())
    if c < 0.0 and 1.0 + 2.0 * b * x_max + 3.0 * c * x_max**2 <= 0.0:
        raise ValidationError(
            "the fitted osmolality decreases within the data's range (C < 0 too large); "
            "fit a narrower concentration range"
        )
    predicted = predict_delta_t_c(m, b, c, k)
    residuals = predicted - dt
    return FitResult(
        b_kg_per_mol=b,
        c_kg2_per_mol2=c,
        k_diss=k,
        molality=m,
        delta_t_c=dt,
        predicted_delta_t_c=predicted,
        residuals_c=residuals,
        valid_min_molality=float(m.min()),
        valid_max_molality=float(m.max()),
        rmse_c=float(np.sqrt(np.mean(residuals**2))),
        fitted_k_diss=fit_k_diss,
        fitted_c=fit_c,
        c_nonnegative=c_nonnegative,
    )


@dataclass(frozen=True)
class HeldOutError:
    """Prediction error of a fitted parameter set on data it was not fitted to.

    Attributes:
        alternate_mae_c: fit on every other point (even indices), mean |error| on the rest.
        alternate_max_c: the largest |error| of that split.
        loo_mae_c: leave-one-out mean |error| (each point predicted by a fit to all others).
        loo_max_c: the largest leave-one-out |error| (usually the extrapolated end point).
        fit_residual_mae_c: the in-sample mean |residual|, for comparison only.
        n_points: number of data points.
    """

    alternate_mae_c: float
    alternate_max_c: float
    loo_mae_c: float
    loo_max_c: float
    fit_residual_mae_c: float
    n_points: int


def _cross_validated(
    m: FloatArray, dt: FloatArray, train: NDArray[np.bool_], options: FitOptions
) -> tuple[FloatArray, FloatArray, FitResult]:
    """The absolute errors of the points outside ``train`` predicted by a fit to those in it
    (NaN at the ``train`` points), the leave-one-out absolute errors, and the fit to all
    points; every fit by :func:`fit_virial_from_freezing_points` with ``options``."""
    split = fit_virial_from_freezing_points(m[train], dt[train], **options)
    alternate = np.full(m.size, np.nan)
    alternate[~train] = np.abs(
        predict_delta_t_c(m[~train], split.b_kg_per_mol, split.c_kg2_per_mol2, split.k_diss)
        - dt[~train]
    )
    loo = np.empty(m.size)
    for index in range(m.size):
        keep = np.arange(m.size) != index
        fit = fit_virial_from_freezing_points(m[keep], dt[keep], **options)
        loo[index] = abs(
            float(predict_delta_t_c(m[index], fit.b_kg_per_mol, fit.c_kg2_per_mol2, fit.k_diss))
            - dt[index]
        )
    return alternate, loo, fit_virial_from_freezing_points(m, dt, **options)


def held_out_error(
    molality: ArrayLike,
    delta_t_c: ArrayLike,
    **options: Unpack[FitOptions],
) -> HeldOutError:
    """Cross-validated error of :func:`fit_virial_from_freezing_points` on one data series.

    Args:
        molality: mol/kg water, 1-D, sorted or not.
        delta_t_c: measured ΔT_f (°C).
        options: ``fit_k_diss``, ``fit_c``, ``c_nonnegative``, as in
            :func:`fit_virial_from_freezing_points` (with its defaults).

    Returns:
        Alternate-point and leave-one-out errors, with the in-sample residual for contrast.
    """
    m = np.asarray(molality, dtype=np.float64).ravel()
    dt = np.asarray(delta_t_c, dtype=np.float64).ravel()
    order = np.argsort(m)
    m, dt = m[order], dt[order]
    train = np.arange(m.size) % 2 == 0
    alternate, loo_errors, full = _cross_validated(m, dt, train, options)
    split_errors = alternate[~train]
    return HeldOutError(
        alternate_mae_c=float(split_errors.mean()),
        alternate_max_c=float(split_errors.max()),
        loo_mae_c=float(loo_errors.mean()),
        loo_max_c=float(loo_errors.max()),
        fit_residual_mae_c=full.mae_c,
        n_points=int(m.size),
    )


@dataclass(frozen=True)
class FreezingSeries:
    """Freezing points of one solute from one published source."""

    source: str
    citation: str
    mass_percent: FloatArray
    molality: FloatArray
    delta_t_c: FloatArray


@dataclass(frozen=True)
class SourceHeldOut:
    """Held-out melting-point error of a multi-source fit on one source's points.

    Attributes:
        source: the source key (``crc``, ``melinder2010``).
        citation: the source's full citation.
        n_points: the source's points in the fit.
        min_mass_percent: lowest concentration of those points (% w/w).
        max_mass_percent: highest concentration of those points (% w/w).
        alternate_mae_c: mean |error| on this source's odd-indexed points, coefficients
            fitted to the even-indexed points of every source.
        alternate_max_c: largest |error| of that split.
        loo_mae_c: leave-one-out mean |error| on this source's points.
        loo_max_c: largest leave-one-out |error|.
        fit_residual_mae_c: in-sample mean |residual| of the pooled fit on this source.
    """

    source: str
    citation: str
    n_points: int
    min_mass_percent: float
    max_mass_percent: float
    alternate_mae_c: float
    alternate_max_c: float
    loo_mae_c: float
    loo_max_c: float
    fit_residual_mae_c: float


def pool_series(
    series: Sequence[FreezingSeries],
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int_]]:
    """Concatenate series sorted by molality within each; returns m, ΔT, % w/w, series index."""
    parts = []
    for index, one in enumerate(series):
        order = np.argsort(one.molality, kind="stable")
        parts.append(
            (
                one.molality[order],
                one.delta_t_c[order],
                one.mass_percent[order],
                np.full(order.size, index),
            )
        )
    m = np.concatenate([p[0] for p in parts])
    dt = np.concatenate([p[1] for p in parts])
    w = np.concatenate([p[2] for p in parts])
    group = np.concatenate([p[3] for p in parts]).astype(np.int_)
    return m, dt, w, group


def held_out_error_by_source(
    series: Sequence[FreezingSeries], *, c_nonnegative: bool = False
) -> tuple[HeldOutError, tuple[SourceHeldOut, ...]]:
    """Cross-validated error of a non-electrolyte fit pooled over several sources.

    Alternate split: within each source (sorted by concentration) the even-indexed points
    are fitted together and the odd-indexed ones predicted. Leave-one-out: each point is
    predicted by a fit to all other points of every source.

    Args:
        series: one solute's freezing points, one entry per source.
        c_nonnegative: as in :func:`fit_virial_from_freezing_points`.

    Returns:
        The pooled errors and each source's share of them.
    """
    m, dt, _, group = pool_series(series)
    rank = np.concatenate([np.arange(int(np.sum(group == g))) for g in range(len(series))])
    train = rank % 2 == 0
    options: FitOptions = {"fit_k_diss": False, "fit_c": True, "c_nonnegative": c_nonnegative}
    alternate, loo, full = _cross_validated(m, dt, train, options)
    residual = np.abs(full.residuals_c)
    pooled = HeldOutError(
        alternate_mae_c=float(np.nanmean(alternate)),
        alternate_max_c=float(np.nanmax(alternate)),
        loo_mae_c=float(loo.mean()),
        loo_max_c=float(loo.max()),
        fit_residual_mae_c=full.mae_c,
        n_points=int(m.size),
    )
    per_source = []
    for index, one in enumerate(series):
        mine = group == index
        held = mine & ~train
        per_source.append(
            SourceHeldOut(
                source=one.source,
                citation=one.citation,
                n_points=int(mine.sum()),
                min_mass_percent=float(one.mass_percent.min()),
                max_mass_percent=float(one.mass_percent.max()),
                alternate_mae_c=float(alternate[held].mean()),
                alternate_max_c=float(alternate[held].max()),
                loo_mae_c=float(loo[mine].mean()),
                loo_max_c=float(loo[mine].max()),
                fit_residual_mae_c=float(residual[mine].mean()),
            )
        )
    return pooled, tuple(per_source)
