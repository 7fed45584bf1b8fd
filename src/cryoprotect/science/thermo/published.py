"""Published freezing points: reading the CRC Handbook table, the fit plan of the common CPAs
over several published curves, gathering those curves and fitting each solute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from cryoprotect.errors import ValidationError
from cryoprotect.science import freezing_reference
from cryoprotect.science.tables import published_number, read_rows
from cryoprotect.science.thermo.fitting import (
    FitResult,
    FreezingSeries,
    HeldOutError,
    SourceHeldOut,
    fit_virial_from_freezing_points,
    held_out_error,
    held_out_error_by_source,
    pool_series,
)
from cryoprotect.science.thermo.melting import osmolality_from_melting_point
from cryoprotect.science.thermo.parameters import (
    CRC_NAME_TO_LIBRARY,
    FITTED_TABLE,
    PARAMS_DIR,
    WATER_MELTING_POINT_K,
    FloatArray,
    VirialParameters,
)

# --- the CRC Handbook table ---------------------------------------------------------------

CRC_SOURCE = (
    "CRC Handbook of Chemistry and Physics, 102nd ed. (2021), 'Concentrative properties of "
    "aqueous solutions' (20 °C; freezing-point depressions from Wolf, Aqueous Solutions and "
    "Body Fluids, 1966)"
)
DISSOCIATION_THRESHOLD = 1.1
"""Apparent van 't Hoff factor (π/m at m ≤ 0.5 mol/kg) above which k is fitted (electrolyte)."""


@dataclass(frozen=True)
class CrcSeries:
    """Freezing-point data of one solute from the CRC table (rows with a ΔT_f value)."""

    crc_name: str
    mass_percent: FloatArray
    molality: FloatArray
    delta_t_c: FloatArray
    delta_t_decimals: tuple[int | None, ...] = ()
    """Decimals of each ΔT_f as the table writes it (same order; empty when not read)."""


def read_crc_freezing_points(
    path: Path | str, *, max_mass_percent: float = 40.0
) -> dict[str, CrcSeries]:
    """Read the CRC aqueous-solutions table's freezing-point depressions.

    Args:
        path: ``crc_aqueous_solutions_20c.csv`` (columns ``solute``, ``mass_percent``,
            ``molality_mol_per_kg``, ``freezing_point_depression_c``).
        max_mass_percent: keep rows up to this mass percent.

    Returns:
        Series keyed by the CRC solute name, rows without ΔT_f or molality dropped.
    """
    grouped: dict[str, list[tuple[float, float, float, int | None]]] = {}
    for row in read_rows(Path(path), comments=True):
        w, m, dt = (
            row.get("mass_percent", ""),
            row.get("molality_mol_per_kg", ""),
            row.get("freezing_point_depression_c", ""),
        )
        if not (w and m and dt) or float(w) > max_mass_percent:
            continue
        depression = published_number(dt, f"{Path(path).name}: {row['solute']}")
        point = (float(w), float(m), depression.value, depression.decimals)
        grouped.setdefault(row["solute"], []).append(point)
    series: dict[str, CrcSeries] = {}
    for name, points in grouped.items():
        points.sort(key=lambda p: p[:3])
        data = np.array([p[:3] for p in points], dtype=np.float64)
        decimals = tuple(p[3] for p in points)
        series[name] = CrcSeries(name, data[:, 0], data[:, 1], data[:, 2], decimals)
    return series


CRC_FREEZING_POINTS = PARAMS_DIR / "crc_freezing_points.csv"


@lru_cache(maxsize=1)
def _shipped_crc_series() -> dict[str, CrcSeries]:
    return read_crc_freezing_points(CRC_FREEZING_POINTS, max_mass_percent=100.0)


def measured_freezing_points(crc_name: str) -> CrcSeries | None:
    """The CRC table's measured freezing points of one binary solution (shipped copy), or
    ``None`` when the table has none for ``crc_name`` (see :data:`CRC_SOURCE`)."""
    return _shipped_crc_series().get(crc_name)


def is_dissociating(molality: ArrayLike, delta_t_c: ArrayLike) -> bool:
    """Whether a solute's dilute freezing points show dissociation (k should be fitted).

    The apparent van 't Hoff factor is the median of π_meas/m over points with
    m ≤ 0.5 mol/kg (all points if none); above :data:`DISSOCIATION_THRESHOLD` the solute is
    treated as an electrolyte. The decision is made from the data, not from the name.
    """
    m = np.asarray(molality, dtype=np.float64)
    dt = np.asarray(delta_t_c, dtype=np.float64)
    dilute = m <= 0.5 if np.any(m <= 0.5) else np.ones_like(m, dtype=bool)
    pi = osmolality_from_melting_point(WATER_MELTING_POINT_K - dt[dilute])
    return bool(np.median(pi / m[dilute]) > DISSOCIATION_THRESHOLD)


@dataclass(frozen=True)
class CrcFit:
    """One solute's fit to published freezing points, as written to the fitted table.

    A fit to the CRC table alone leaves the last four attributes empty; a fit to several
    published sources (:func:`fit_published_curves`) fills them.

    Attributes:
        parameters: the coefficients as a parameter-table row.
        crc_name: the solute's CRC name ("" when the CRC table has no freezing points for it).
        fit: the fit (pooled over every source).
        held_out: pooled held-out errors.
        max_mass_percent: the highest concentration fitted (% w/w).
        by_source: held-out errors of each source's points.
        point_sources: the source key of each data point (same order as ``fit.molality``).
        mass_percent: each data point's concentration in % w/w.
        range_reason: why the fitted range ends where it does.
    """

    parameters: VirialParameters
    crc_name: str
    fit: FitResult
    held_out: HeldOutError
    max_mass_percent: float
    by_source: tuple[SourceHeldOut, ...] = ()
    point_sources: tuple[str, ...] = ()
    mass_percent: FloatArray | None = None
    range_reason: str = ""


def fit_crc_series(series: CrcSeries, *, min_points: int = 8) -> CrcFit | None:
    """Fit one CRC series; ``None`` when it has fewer than ``min_points`` usable rows."""
    if series.molality.size < min_points:
        return None
    electrolyte = is_dissociating(series.molality, series.delta_t_c)
    fit = fit_virial_from_freezing_points(
        series.molality, series.delta_t_c, fit_k_diss=electrolyte, fit_c=True
    )
    held = held_out_error(series.molality, series.delta_t_c, fit_k_diss=electrolyte, fit_c=True)
    max_w = float(series.mass_percent.max())
    name = CRC_NAME_TO_LIBRARY.get(series.crc_name, series.crc_name)
    k_text = (
        f"k fitted (apparent van 't Hoff factor > {DISSOCIATION_THRESHOLD:g})"
        if electrolyte
        else "k = 1 (non-electrolyte)"
    )
    source = (
        f"fit to CRC Handbook freezing points ({CRC_SOURCE}; solute '{series.crc_name}'): "
        f"n = {fit.n_points} points, {float(series.mass_percent.min()):g}–{max_w:g} % w/w, "
        f"{fit.valid_min_molality:g}–{fit.valid_max_molality:g} mol/kg; {k_text}; C ≥ 0; "
        f"RMSE {fit.rmse_c:.3f} °C (in-sample), leave-one-out MAE {held.loo_mae_c:.3f} °C"
    )
    return CrcFit(_fitted_parameters(name, fit, source), series.crc_name, fit, held, max_w)


def _fitted_parameters(solute: str, fit: FitResult, source: str) -> VirialParameters:
    """The fitted-table row of a fit (provenance ``fitted``, checked against its data)."""
    return VirialParameters(
        solute=solute,
        b_kg_per_mol=fit.b_kg_per_mol,
        c_kg2_per_mol2=fit.c_kg2_per_mol2,
        k_diss=fit.k_diss,
        valid_max_molality=fit.valid_max_molality,
        source=source,
        provenance="fitted",
        verified=True,
        table=FITTED_TABLE.name,
    )


# --- published freezing curves of the common CPAs (several sources) ------------------------

CRC_SOURCE_KEY = "crc"
"""Source key of the CRC Handbook table in multi-source fits."""


@dataclass(frozen=True)
class PublishedFitPlan:
    """Which published freezing points one CPA's coefficients are fitted to, and up to where.

    Attributes:
        solute: the molecule library's name.
        crc_name: the CRC table's name of the solute, or ``None`` when the CRC has none.
        max_mass_percent: the highest concentration fitted; the coefficients' valid range.
        reason: why the range ends there (eutectic, end of the published data, or where two
            coefficients stop describing the curve to the target accuracy).
    """

    solute: str
    crc_name: str | None
    max_mass_percent: float
    reason: str


PUBLISHED_FIT_PLAN: tuple[PublishedFitPlan, ...] = (
    PublishedFitPlan(
        "Propylene glycol",
        None,
        60.0,
        "the end of Melinder's published curve (0–60 % w/w); no ice–propylene glycol "
        "eutectic is reported in this range (concentrated solutions vitrify)",
    ),
    PublishedFitPlan(
        "Ethylene glycol",
        "1,2-Ethanediol",
        60.0,
        "the end of both published ice lines (CRC to 60 % w/w, −51.2 °C; Melinder 0–60 % w/w)",
    ),
    PublishedFitPlan(
        "Glycerol",
        "Glycerol",
        60.0,
        "the end of Melinder's curve (0–60 % w/w, below the ice–glycerol eutectic reported "
        "near 67 % w/w); the CRC table gives freezing points only to 40 % w/w",
    ),
    PublishedFitPlan(
        "Methanol",
        "Methanol",
        60.0,
        "the end of Melinder's curve (0–60 % w/w); the CRC ice line continues to 68 % w/w "
        "but fitted to 68 % the held-out MAE is 0.6 °C",
    ),
    PublishedFitPlan(
        "Ethanol",
        "Ethanol",
        50.0,
        "the ethanol ice line flattens above about 50 % w/w (−37.7 °C; CRC to 68 % w/w, "
        "Melinder to 60 % w/w), a shape two virial coefficients cannot follow (fitted to "
        "55 % the osmolality already falls inside the data)",
    ),
)
"""The CPAs fitted to several published freezing curves (CRC Handbook and Melinder 2010),
each over the widest range the data and the two-coefficient equation support."""


def published_series(
    plan: PublishedFitPlan,
    *,
    crc: Mapping[str, CrcSeries],
    reference: Mapping[tuple[str, str], freezing_reference.ReferenceSeries],
) -> list[FreezingSeries]:
    """The published freezing points a plan names, cut at its range (CRC first)."""
    found: list[FreezingSeries] = []
    crc_series = crc.get(plan.crc_name) if plan.crc_name else None
    if crc_series is not None:
        keep = crc_series.mass_percent <= plan.max_mass_percent
        found.append(
            FreezingSeries(
                CRC_SOURCE_KEY,
                f"{CRC_SOURCE}; solute '{plan.crc_name}'",
                crc_series.mass_percent[keep],
                crc_series.molality[keep],
                crc_series.delta_t_c[keep],
            )
        )
    for (solute, _), ref in sorted(reference.items()):
        if solute.lower() != plan.solute.lower():
            continue
        keep = ref.mass_percent <= plan.max_mass_percent
        found.append(
            FreezingSeries(
                ref.source,
                ref.citation,
                ref.mass_percent[keep],
                ref.molality[keep],
                ref.delta_t_c[keep],
            )
        )
    return [f for f in found if f.molality.size > 0]


def fit_published_curves(plan: PublishedFitPlan, series: Sequence[FreezingSeries]) -> CrcFit:
    """Fit B and C (either sign; k = 1) to one CPA's freezing points pooled over sources.

    Args:
        plan: the solute and the range fitted.
        series: its published freezing points (see :func:`published_series`).

    Returns:
        The fit, its pooled and per-source held-out errors and the parameter-table row.

    Raises:
        ValidationError: no data, or a fit that fails :func:`fit_virial_from_freezing_points`.
    """
    if not series:
        raise ValidationError(f"no published freezing points for {plan.solute}")
    m, dt, w, group = pool_series(series)
    fit = fit_virial_from_freezing_points(m, dt, fit_k_diss=False, fit_c=True, c_nonnegative=False)
    held, by_source = held_out_error_by_source(series, c_nonnegative=False)
    data_text = "; ".join(
        f"{s.citation} [{s.source}: n = {s.n_points}, {s.min_mass_percent:g}–{s.max_mass_percent:g} % w/w]"
        for s in by_source
    )
    source = (
        f"fit to published freezing points of {plan.solute}, 0–{float(w.max()):g} % w/w "
        f"(0–{fit.valid_max_molality:g} mol/kg): {data_text}; k = 1 (non-electrolyte); "
        f"C free in sign; RMSE {fit.rmse_c:.3f} °C (in-sample); held-out MAE "
        f"{held.alternate_mae_c:.3f} °C (alternate points), {held.loo_mae_c:.3f} °C "
        f"(leave-one-out); range ends at {plan.max_mass_percent:g} % w/w: {plan.reason}"
    )
    return CrcFit(
        parameters=_fitted_parameters(plan.solute, fit, source),  # k = 1: fit_k_diss=False
        crc_name=plan.crc_name or "",
        fit=fit,
        held_out=held,
        max_mass_percent=float(w.max()),
        by_source=by_source,
        point_sources=tuple(series[int(g)].source for g in group),
        mass_percent=w,
        range_reason=plan.reason,
    )
