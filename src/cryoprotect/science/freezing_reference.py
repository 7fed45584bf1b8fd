"""Published freezing-point curves of binary aqueous CPA solutions, kept as a shipped table.

This module owns ``science/params/freezing_points_reference.csv``: freezing points of
aqueous propylene glycol, ethylene glycol, glycerol, methanol and ethanol sampled from
Melinder's fits of measured data for secondary working fluids, as shipped (MIT licence) by
the CoolProp library's incompressible-mixture backend (fluids ``MPG``, ``MEG``, ``MGL``,
``MMA``, ``MEA``, reference key ``Melinder2010``):

    Melinder Å., Properties of Secondary Working Fluids for Indirect Systems, 2nd ed.,
    International Institute of Refrigeration (IIR), Paris, 2010.

The table is generated once (``cryoprotect params reference``, which needs CoolProp) so
that the application and the fitting code never need CoolProp at run time; the CoolProp
version and the exact query are written into the table's header. It is read by
:func:`read_reference_freezing_points`, which the osmotic virial fitting in
:mod:`cryoprotect.science.thermo` uses alongside the CRC Handbook table.

The sampling function takes CoolProp's ``PropsSI`` as an argument, so this module imports
nothing outside the standard library and numpy.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.science.tables import read_rows

FloatArray = NDArray[np.float64]

REFERENCE_TABLE = Path(__file__).resolve().parent / "params" / "freezing_points_reference.csv"

MELINDER_SOURCE_KEY = "melinder2010"
MELINDER_CITATION = (
    "Melinder Å., Properties of Secondary Working Fluids for Indirect Systems, 2nd ed., "
    "International Institute of Refrigeration (IIR), Paris, 2010 — freezing-point curve "
    "(fit of measured data) as shipped by CoolProp's incompressible backend (MIT licence)"
)
SOURCE_CITATIONS: dict[str, str] = {MELINDER_SOURCE_KEY: MELINDER_CITATION}
"""Source key in the reference table → full citation."""

ICE_MELTING_POINT_K = 273.15
"""ΔT_f = 273.15 K − T_freeze (the pure-water reference of the melting-point relation)."""

REFERENCE_COLUMNS = (
    "solute",
    "source",
    "mass_percent",
    "molality_mol_per_kg",
    "freezing_point_c",
    "freezing_point_depression_c",
)


@dataclass(frozen=True)
class MelinderFluid:
    """One of Melinder's aqueous solutions as CoolProp names it.

    Attributes:
        solute: the molecule library's name of the solute.
        coolprop_fluid: CoolProp's incompressible-mixture code (mass-fraction based).
        description: CoolProp's description of the fluid.
        molar_mass_g_per_mol: the solute's molar mass (CRC Handbook values).
        max_mass_fraction: the upper end of the fit's composition range (CoolProp ``xmax``).
    """

    solute: str
    coolprop_fluid: str
    description: str
    molar_mass_g_per_mol: float
    max_mass_fraction: float


MELINDER_FLUIDS: tuple[MelinderFluid, ...] = (
    MelinderFluid("Propylene glycol", "MPG", "Propylene Glycol - aq", 76.094, 0.60),
    MelinderFluid("Ethylene glycol", "MEG", "Ethylene Glycol - aq", 62.068, 0.60),
    MelinderFluid("Glycerol", "MGL", "Glycerol - aq", 92.094, 0.60),
    MelinderFluid("Methanol", "MMA", "Methyl Alcohol (Methanol) - aq", 32.042, 0.60),
    MelinderFluid("Ethanol", "MEA", "Ethyl Alcohol (Ethanol) - aq", 46.069, 0.60),
)
"""The five CPAs whose freezing curves Melinder (2010) gives and CoolProp ships (all with
composition range 0–0.6 mass fraction in CoolProp 8.0.0)."""

DEFAULT_MASS_PERCENT_STEP = 2.0
"""Sampling step of the generated table (% w/w), like the CRC table's spacing."""

PropsSI = Callable[..., float]


def molality_from_mass_fraction(
    mass_fraction: FloatArray, molar_mass_g_per_mol: float
) -> FloatArray:
    """mol solute per kg water of a binary solution with the given solute mass fraction."""
    result: FloatArray = mass_fraction / (1.0 - mass_fraction) * 1000.0 / molar_mass_g_per_mol
    return result


def coolprop_query(fluid: MelinderFluid, mass_fraction: float) -> str:
    """The exact CoolProp call that gives the freezing temperature (K) at a mass fraction.

    ``T`` and ``P`` are required inputs of the incompressible backend; the freezing
    temperature depends on the composition only.
    """
    return f"PropsSI('T_freeze', 'T', 293.15, 'P', 101325, 'INCOMP::{fluid.coolprop_fluid}[{mass_fraction:g}]')"


def sample_melinder_curves(
    props_si: PropsSI,
    *,
    fluids: Sequence[MelinderFluid] = MELINDER_FLUIDS,
    step_percent: float = DEFAULT_MASS_PERCENT_STEP,
) -> list[dict[str, str | float]]:
    """Sample Melinder's freezing curves through CoolProp's ``PropsSI``.

    Args:
        props_si: ``CoolProp.CoolProp.PropsSI``.
        fluids: the fluids to sample.
        step_percent: spacing in % w/w, from ``step_percent`` to each fluid's ``xmax``.

    Returns:
        Rows in the :data:`REFERENCE_COLUMNS` layout, sorted by solute then concentration.
    """
    rows: list[dict[str, str | float]] = []
    for fluid in fluids:
        n = int(round(fluid.max_mass_fraction * 100.0 / step_percent))
        for i in range(1, n + 1):
            w = round(i * step_percent / 100.0, 6)
            t_k = float(
                props_si(
                    "T_freeze", "T", 293.15, "P", 101325.0, f"INCOMP::{fluid.coolprop_fluid}[{w}]"
                )
            )
            m = float(molality_from_mass_fraction(np.array(w), fluid.molar_mass_g_per_mol))
            rows.append(
                {
                    "solute": fluid.solute,
                    "source": MELINDER_SOURCE_KEY,
                    "mass_percent": round(w * 100.0, 4),
                    "molality_mol_per_kg": round(m, 5),
                    "freezing_point_c": round(t_k - ICE_MELTING_POINT_K, 4),
                    "freezing_point_depression_c": round(ICE_MELTING_POINT_K - t_k, 4),
                }
            )
    return rows


def write_reference_table(
    rows: Iterable[dict[str, str | float]],
    path: Path | str,
    *,
    coolprop_version: str,
    fluids: Sequence[MelinderFluid] = MELINDER_FLUIDS,
) -> None:
    """Write sampled rows with a header recording the source, CoolProp version and query."""
    header = [
        "Freezing points of binary aqueous CPA solutions from published fits of measurements.",
        f"Source '{MELINDER_SOURCE_KEY}': {MELINDER_CITATION}.",
        f"Generated by `cryoprotect params reference` with CoolProp {coolprop_version}:",
        "  T_freeze = PropsSI('T_freeze', 'T', 293.15, 'P', 101325, 'INCOMP::<code>[w]') (K),",
        "  <code> = the fluid's CoolProp code below, w = mass fraction (T and P do not affect T_freeze);",
        "  freezing_point_c = T_freeze - 273.15; freezing_point_depression_c = 273.15 - T_freeze;",
        "  molality = w / (1 - w) * 1000 / M (M = CRC Handbook molar mass).",
        "Fluids (CoolProp code, description, fit range in mass fraction): "
        + "; ".join(
            f"{f.solute} = {f.coolprop_fluid} ('{f.description}', 0-{f.max_mass_fraction:g})"
            for f in fluids
        )
        + ".",
        "These are points ON Melinder's smooth fit, not individual measurements; the fit's own",
        "value at w = 0 differs from 0 °C by up to 0.05 K (part of the fit's error).",
    ]
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        for line in header:
            handle.write(f"# {line}\n")
        writer = csv.DictWriter(handle, fieldnames=REFERENCE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


@dataclass(frozen=True)
class ReferenceSeries:
    """Freezing points of one solute from one source of the reference table."""

    solute: str
    source: str
    mass_percent: FloatArray
    molality: FloatArray
    delta_t_c: FloatArray

    @property
    def citation(self) -> str:
        """The full citation of the series' source."""
        return SOURCE_CITATIONS.get(self.source, self.source)


def read_reference_freezing_points(
    path: Path | str = REFERENCE_TABLE,
) -> dict[tuple[str, str], ReferenceSeries]:
    """Read the reference freezing-point table.

    Args:
        path: a CSV in the :data:`REFERENCE_COLUMNS` layout (``#`` lines are comments).

    Returns:
        Series keyed by (solute, source key), each sorted by concentration.

    Raises:
        ValidationError: a column is missing or a value is not a number.
    """
    grouped: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    path = Path(path)
    for row in read_rows(path, REFERENCE_COLUMNS, comments=True):
        try:
            point = (
                float(row["mass_percent"]),
                float(row["molality_mol_per_kg"]),
                float(row["freezing_point_depression_c"]),
            )
        except ValueError as exc:
            raise ValidationError(f"{path.name}: {exc}") from exc
        grouped.setdefault((row["solute"].strip(), row["source"].strip()), []).append(point)
    series: dict[tuple[str, str], ReferenceSeries] = {}
    for (solute, source), points in grouped.items():
        data = np.array(sorted(points), dtype=np.float64)
        series[(solute, source)] = ReferenceSeries(
            solute, source, data[:, 0], data[:, 1], data[:, 2]
        )
    return series
