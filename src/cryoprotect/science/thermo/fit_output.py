"""Fitting the solutes missing from the published table and writing the results: the fitted
coefficient table (``osmotic_virial_fitted.csv``) and the fit record
(``osmotic_virial_fits.json``, data, residuals and held-out errors).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cryoprotect.errors import NotFound
from cryoprotect.science import freezing_reference
from cryoprotect.science.thermo.parameters import (
    CRC_NAME_TO_LIBRARY,
    FITS_JSON,
    FITTED_TABLE,
    LITERATURE_TABLE,
    MELTING_POINT_METHOD,
    PARAMS_DIR,
    VIRIAL_COLUMNS,
    load_virial_table,
    reload_default_parameters,
)
from cryoprotect.science.thermo.published import (
    CRC_SOURCE,
    PUBLISHED_FIT_PLAN,
    CrcFit,
    PublishedFitPlan,
    fit_crc_series,
    fit_published_curves,
    published_series,
    read_crc_freezing_points,
)


def fit_missing_from_crc(
    crc_path: Path | str,
    *,
    output_dir: Path | str | None = None,
    literature_path: Path | str | None = None,
    solutes: Iterable[str] | None = None,
    max_mass_percent: float = 40.0,
    min_points: int = 8,
    reference_path: Path | str | None = freezing_reference.REFERENCE_TABLE,
    plan: Sequence[PublishedFitPlan] = PUBLISHED_FIT_PLAN,
) -> list[CrcFit]:
    """Fit osmotic virial coefficients to published freezing points for solutes that lack them.

    A solute "lacks" coefficients when the literature table has no row for it that was
    verified against its source. The CPAs in ``plan`` are fitted to every published curve
    available for them (the CRC table and the reference table of
    :mod:`cryoprotect.science.freezing_reference`) up to the plan's range, C free in sign
    (:func:`fit_published_curves`); every other CRC solute to its CRC rows up to
    ``max_mass_percent`` with C ≥ 0 (:func:`fit_crc_series`). Writes
    ``osmotic_virial_fitted.csv`` (one row per solute, provenance ``fitted``) and
    ``osmotic_virial_fits.json`` (data, predictions, residuals, held-out errors) into
    ``output_dir``. Deterministic: the same input gives the same files.

    Args:
        crc_path: the CRC table (``crc_aqueous_solutions_20c.csv``).
        output_dir: where to write (default: the package's ``science/params``).
        literature_path: the published-coefficients table (default: the shipped one).
        solutes: solutes to fit, by CRC name or by a planned CPA's name (default: all).
        max_mass_percent: use CRC rows up to this mass percent (solutes not in ``plan``).
        min_points: skip CRC series with fewer usable rows.
        reference_path: the reference freezing-point table (``None``: CRC data only, every
            solute fitted as before issue 13, ``plan`` ignored).
        plan: the CPAs fitted to several published curves, with their ranges.

    Returns:
        The fits, sorted by solute name.

    Raises:
        NotFound: a requested solute has no published freezing points.
    """
    series = read_crc_freezing_points(crc_path, max_mass_percent=max_mass_percent)
    all_crc = read_crc_freezing_points(crc_path, max_mass_percent=100.0)
    reference = (
        freezing_reference.read_reference_freezing_points(reference_path)
        if reference_path is not None
        else {}
    )
    literature = load_virial_table(literature_path or LITERATURE_TABLE)
    verified = {key for key, p in literature.items() if p.verified}
    if reference_path is None:
        plan = ()
    planned = {p.solute.lower(): p for p in plan}
    planned_crc = {p.crc_name: p for p in plan if p.crc_name}
    if solutes is None:
        wanted_crc = [c for c in sorted(series) if c not in planned_crc]
        wanted_plans = list(plan)
    else:
        requested = list(solutes)
        wanted_plans = [
            planned_crc.get(s) or planned[s.lower()]
            for s in requested
            if s in planned_crc or s.lower() in planned
        ]
        wanted_crc = [s for s in requested if s in series and s not in planned_crc]
        unknown = [
            s
            for s in requested
            if s not in series and s not in planned_crc and s.lower() not in planned
        ]
        if unknown:
            raise NotFound(f"no published freezing points to fit: {unknown}")
    fits: list[CrcFit] = []
    for crc_name in wanted_crc:
        name = CRC_NAME_TO_LIBRARY.get(crc_name, crc_name)
        if name.lower() in verified:
            continue
        result = fit_crc_series(series[crc_name], min_points=min_points)
        if result is not None:
            fits.append(result)
    for entry in wanted_plans:
        if entry.solute.lower() in verified:
            continue
        data = published_series(entry, crc=all_crc, reference=reference)
        if data:
            fits.append(fit_published_curves(entry, data))
    fits.sort(key=lambda f: f.parameters.solute.lower())
    out = Path(output_dir) if output_dir is not None else PARAMS_DIR
    out.mkdir(parents=True, exist_ok=True)
    write_fitted_table(fits, out / FITTED_TABLE.name)
    write_fit_record(
        fits,
        out / FITS_JSON.name,
        crc_path=Path(crc_path),
        reference_path=Path(reference_path) if reference_path is not None else None,
    )
    reload_default_parameters()
    return fits


def _round(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def _round_up(value: float, digits: int = 6) -> float:
    """Round to ``digits`` significant digits, never below ``value`` (a range's upper end
    must keep its own end point inside)."""
    rounded = _round(value, digits)
    if rounded >= value or not math.isfinite(value) or value == 0.0:
        return rounded
    step = 10.0 ** (math.floor(math.log10(abs(rounded))) - digits + 1)
    return _round(rounded + step, digits)


FITTED_EXTRA_COLUMNS = ("valid_max_mass_percent",)
"""Columns the fitted table adds to :data:`VIRIAL_COLUMNS` (the range in % w/w, for people)."""


def write_fitted_table(fits: Sequence[CrcFit], path: Path) -> None:
    """Write fitted coefficients in the :data:`VIRIAL_COLUMNS` format (+ the range in % w/w)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(VIRIAL_COLUMNS + FITTED_EXTRA_COLUMNS)
        for f in fits:
            p = f.parameters
            writer.writerow(
                [
                    p.solute,
                    _round(p.b_kg_per_mol),
                    _round(p.c_kg2_per_mol2),
                    _round(p.k_diss),
                    _round_up(p.valid_max_molality or math.nan),
                    p.source,
                    p.provenance,
                    "true" if p.verified else "false",
                    _round(f.max_mass_percent),
                ]
            )


def _fit_entry(f: CrcFit) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "solute": f.parameters.solute,
        "crc_name": f.crc_name,
        "B_kg_per_mol": _round(f.fit.b_kg_per_mol),
        "C_kg2_per_mol2": _round(f.fit.c_kg2_per_mol2),
        "k_diss": _round(f.fit.k_diss),
        "k_diss_fitted": f.fit.fitted_k_diss,
        "n_points": f.fit.n_points,
        "max_mass_percent": f.max_mass_percent,
        "valid_min_molality": f.fit.valid_min_molality,
        "valid_max_molality": f.fit.valid_max_molality,
        "rmse_c": round(f.fit.rmse_c, 4),
        "held_out": {
            "alternate_points_mae_c": round(f.held_out.alternate_mae_c, 4),
            "alternate_points_max_c": round(f.held_out.alternate_max_c, 4),
            "leave_one_out_mae_c": round(f.held_out.loo_mae_c, 4),
            "leave_one_out_max_c": round(f.held_out.loo_max_c, 4),
        },
        "data": {
            "molality_mol_per_kg": [float(v) for v in f.fit.molality],
            "delta_t_measured_c": [float(v) for v in f.fit.delta_t_c],
            "delta_t_predicted_c": [round(float(v), 4) for v in f.fit.predicted_delta_t_c],
            "residual_c": [round(float(v), 4) for v in f.fit.residuals_c],
        },
    }
    if not f.by_source:
        return entry
    entry["third_coefficient"] = "free in sign" if not f.fit.c_nonnegative else "C ≥ 0"
    entry["range_reason"] = f.range_reason
    entry["held_out_by_source"] = [
        {
            "source": s.source,
            "citation": s.citation,
            "n_points": s.n_points,
            "mass_percent_range": [s.min_mass_percent, s.max_mass_percent],
            "alternate_points_mae_c": round(s.alternate_mae_c, 4),
            "alternate_points_max_c": round(s.alternate_max_c, 4),
            "leave_one_out_mae_c": round(s.loo_mae_c, 4),
            "leave_one_out_max_c": round(s.loo_max_c, 4),
            "fit_residual_mae_c": round(s.fit_residual_mae_c, 4),
        }
        for s in f.by_source
    ]
    entry["data"]["source"] = list(f.point_sources)
    if f.mass_percent is not None:
        entry["data"]["mass_percent"] = [float(v) for v in f.mass_percent]
    return entry


def write_fit_record(
    fits: Sequence[CrcFit], path: Path, *, crc_path: Path, reference_path: Path | None = None
) -> None:
    """Write each fit's data, predictions, residuals and held-out errors as JSON."""
    record: dict[str, Any] = {
        "description": (
            "Osmotic virial coefficients fitted to published freezing points (the CRC Handbook "
            "table; for the common CPAs also the reference table of published curves) by "
            "cryoprotect.science.thermo.fit_missing_from_crc; residuals = predicted − measured "
            "freezing-point depression (°C)."
        ),
        "data_source": CRC_SOURCE,
        "data_file": crc_path.name,
    }
    if reference_path is not None:
        record["reference_data_file"] = reference_path.name
        record["reference_sources"] = dict(freezing_reference.SOURCE_CITATIONS)
    record["melting_point_relation"] = MELTING_POINT_METHOD
    record["fits"] = [_fit_entry(f) for f in fits]
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
