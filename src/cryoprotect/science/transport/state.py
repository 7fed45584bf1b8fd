"""Inputs and outputs of the transport model: constants, :class:`Step`, :class:`State`,
:class:`Trajectory`, and a CPA's molar volume inside the cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import InvalidCompositionError
from cryoprotect.science import composition, thermo
from cryoprotect.science.cells import CellType
from cryoprotect.science.records import fields_dict

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Model = Literal["2p", "kk"]

GAS_CONSTANT_L_ATM_PER_MOL_K = thermo.GAS_CONSTANT_J_PER_MOL_K / 101325.0 * 1000.0
"""R in L·atm/(mol·K): 8.314462618 J/(mol·K) / 101325 Pa/atm × 1000 L/m³ = 0.0820574."""
WATER_DENSITY_KG_PER_L = 1.0
"""Water taken at 1 kg/L, so that 1 µm³ of water is 1e-15 kg (see the package docstring)."""
ZERO_CELSIUS_K = 273.15
CARRIER_SOLUTE = "Sodium chloride"
BUFFER_SOLUTE = "Sucrose"
INTRACELLULAR_SOLUTE = "intracellular non-permeating solutes"
MAX_TEMPERATURE_C = 45.0
"""Highest step temperature accepted: above it membranes and proteins denature (the
transport parameters are measured at ≤ 37 °C)."""
RTOL = 1e-8
ATOL_FRACTION = 1e-10
"""Absolute tolerance as a fraction of the isotonic volume (µm³ for V_w, fmol for n)."""
METHOD_2P = (
    "two-parameter membrane transport (Kleinhans, Cryobiology 37:271-289, 1998), molal solute "
    "flux; osmolality by the multisolute osmotic virial equation; Arrhenius Lp(T), Ps(T); "
    "scipy solve_ivp LSODA, rtol 1e-8, atol 1e-10 x isotonic volume"
)
METHOD_KK = METHOD_2P.replace(
    "two-parameter membrane transport", "Kedem-Katchalsky membrane transport (solvent-drag form)"
)


# --- inputs and outputs -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One extracellular solution the cell is held in.

    Attributes:
        solutes: extracellular molality (mol/kg water) per solute name, names as in the
            osmotic virial tables (``"Sodium chloride"``, ``"Sucrose"``,
            ``"Dimethyl sulfoxide"``, ...). Solutes the cell has no permeability for are
            non-permeating.
        duration_s: how long the cell is held, s (> 0).
        temperature_c: temperature of the step, °C.
        label: free text, e.g. ``"add 1"``.
    """

    solutes: Mapping[str, float]
    duration_s: float
    temperature_c: float
    label: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The step as a JSON-ready dict."""
        return fields_dict(
            self, solutes={name: float(value) for name, value in self.solutes.items()}
        )


@dataclass(frozen=True)
class State:
    """The cell's osmotically active content at one instant.

    Attributes:
        water_volume_um3: intracellular water volume V_w, µm³.
        solute_amount_fmol: amount of each permeating CPA inside, fmol (absent = 0).
    """

    water_volume_um3: float
    solute_amount_fmol: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def isotonic(cls, cell: CellType) -> State:
        """The cell at rest in its isotonic medium, without CPA."""
        return cls(cell.isotonic_water_volume_um3, {})

    def molality(self, solute: str) -> float:
        """Intracellular molality of ``solute``, mol/kg water."""
        return self.solute_amount_fmol.get(solute, 0.0) / self.water_volume_um3

    def volume_fraction(self, cell: CellType) -> float:
        """Cell volume / isotonic volume, including the CPA's own volume."""
        cpa_volume = sum(
            amount * _molar_volume_um3_per_fmol(name)[0]
            for name, amount in self.solute_amount_fmol.items()
        )
        volume = self.water_volume_um3 + cpa_volume + cell.inactive_volume_um3
        return volume / cell.isotonic_volume_um3


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The simulated response of a cell to a sequence of steps.

    Attributes:
        time_s: time from the start of the first step, s (non-decreasing; a step boundary
            appears twice, once with each step's extracellular osmolality).
        volume_fraction: cell volume / isotonic volume (water + CPA + inactive volume).
        water_volume_fraction: intracellular water volume / isotonic cell volume.
        intracellular_molality: permeating solute → its intracellular molality, mol/kg.
        intracellular_osmolality: osmol/kg water.
        extracellular_osmolality: osmol/kg water (constant within a step).
        step_index: index of the step each point belongs to.
        method: the model and solver.
        warnings: caveats (ideal-dilute osmolality, missing σ or molar volume, ...).
        isotonic_volume_um3: the cell's isotonic volume (to rebuild states).
        steps: the steps simulated.
    """

    time_s: FloatArray
    volume_fraction: FloatArray
    water_volume_fraction: FloatArray
    intracellular_molality: dict[str, FloatArray]
    intracellular_osmolality: FloatArray
    extracellular_osmolality: FloatArray
    step_index: IntArray
    method: str
    warnings: tuple[str, ...]
    isotonic_volume_um3: float = 1.0
    steps: tuple[Step, ...] = ()

    @property
    def duration_s(self) -> float:
        """Total simulated time, s."""
        return float(self.time_s[-1]) if self.time_s.size else 0.0

    def final_state(self) -> State:
        """The state at the last point, to continue a protocol from it."""
        water = float(self.water_volume_fraction[-1]) * self.isotonic_volume_um3
        amounts = {name: float(m[-1]) * water for name, m in self.intracellular_molality.items()}
        return State(water, amounts)

    def as_dict(self, max_points: int | None = None) -> dict[str, Any]:
        """Chart data as JSON-ready lists.

        Args:
            max_points: thin the series to about this many points; the first and last
                point, each step's first and last point and the volume extrema are always
                kept. ``None`` keeps every point.
        """
        index = _thin(self, max_points)
        return {
            "time_s": _floats(self.time_s[index]),
            "volume_fraction": _floats(self.volume_fraction[index]),
            "water_volume_fraction": _floats(self.water_volume_fraction[index]),
            "intracellular_molality": {
                name: _floats(values[index]) for name, values in self.intracellular_molality.items()
            },
            "intracellular_osmolality": _floats(self.intracellular_osmolality[index]),
            "extracellular_osmolality": _floats(self.extracellular_osmolality[index]),
            "step_index": [int(i) for i in self.step_index[index]],
            "steps": [s.as_dict() for s in self.steps],
            "method": self.method,
            "warnings": list(self.warnings),
        }


def _floats(values: FloatArray) -> list[float]:
    return [round(float(v), 9) for v in values]


def _thin(trajectory: Trajectory, max_points: int | None) -> IntArray:
    n = trajectory.time_s.size
    if max_points is None or n <= max_points:
        return np.arange(n, dtype=np.int64)
    keep = {0, n - 1, int(np.argmin(trajectory.volume_fraction))}
    keep.add(int(np.argmax(trajectory.volume_fraction)))
    steps = trajectory.step_index
    boundaries = np.flatnonzero(np.diff(steps)) if n > 1 else np.array([], dtype=np.int64)
    keep.update(int(i) for i in boundaries)
    keep.update(int(i) + 1 for i in boundaries)
    spread = max(max_points - len(keep), 2)
    keep.update(int(i) for i in np.linspace(0, n - 1, spread).round())
    return np.array(sorted(keep), dtype=np.int64)


@lru_cache(maxsize=64)
def _molar_volume_um3_per_fmol(solute: str) -> tuple[float, str | None]:
    """Molar volume M/ρ° of a pure liquid CPA in µm³/fmol, with a warning when unknown."""
    try:
        found = composition.get_solute(solute)
    except InvalidCompositionError:
        found = None
    if found is None or found.pure_density_g_per_ml is None:
        return 0.0, f"{solute}: no pure-liquid density; its own volume inside the cell is neglected"
    molar_volume_ml_per_mol = found.molar_mass_g_per_mol / found.pure_density_g_per_ml
    return molar_volume_ml_per_mol * 1e-3, None  # 1 mL/mol = 1e12 µm³ / 1e15 fmol
