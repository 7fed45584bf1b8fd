"""Membrane transport of water and cryoprotectants during stepwise CPA addition and removal.

This module owns the cell-volume model: how a cell's water volume and its content of
permeating cryoprotectants (CPAs) change while it sits in a sequence of extracellular
solutions (:class:`Step`), each at its own temperature.

**Two-parameter model** (``model="2p"``, the default), in the formulation of Kleinhans,
"Membrane permeability modeling: Kedem–Katchalsky vs a two-parameter formalism",
Cryobiology 37:271–289 (1998)::

    dV_w/dt = Lp(T) · A · R·T · (π_i − π_e)                 water (µm³/s)
    dn_s/dt = Ps(T) · A · (m_e,s − m_i,s)                   each permeating CPA s (fmol/s)
    V       = V_w + Σ_s n_s · v̄_s + V_b                     cell volume

* π_e, π_i — extra- and intracellular osmolality (osmol/kg water), both from the
  multisolute osmotic virial equation of :mod:`cryoprotect.science.thermo` (reused, not
  re-implemented). Inside the cell the non-permeating solutes are one ideal solute whose
  amount is fixed by the isotonic state, N = π_iso · V_w,iso, so that the cell is at rest
  in its isotonic medium; the permeating CPAs inside use their own virial coefficients and
  the Elliott et al. (2007) combining rules with it.
* Solute flux in **molal form**: the driving force is the difference of molalities
  m = n/V_w (mol per kg water) rather than of molar concentrations, as in Kleinhans' use of
  osmolal driving forces; Ps then has the usual unit of velocity.
* Units: volumes in µm³, time in s, amounts in fmol. With water taken at 1 kg/L, 1 µm³ of
  water is 1e-15 kg, so n [fmol] / V_w [µm³] is a molality in mol/kg exactly. (The 0.2 %
  difference from the true density of water only rescales amounts; it cancels in every
  molality and volume.)
* Lp conversion: Lp is tabulated in µm/min/atm. The osmotic pressure difference is
  ΔΠ = R·T·ρ_w·Δπ with R = 0.0820574 L·atm/(mol·K) (= 8.314462618 J/(mol·K) / 101325 Pa/atm
  × 1000 L/m³) and ρ_w = 1 kg/L, so Lp/60 [µm/(s·atm)] × A [µm²] × R·T [atm·kg/osmol]
  × Δπ [osmol/kg] is a volume flow in µm³/s.
* A is the (constant) isotonic membrane area; v̄_s is the CPA's molar volume as a pure
  liquid, M/ρ° (from :mod:`cryoprotect.science.composition`), an approximation of its partial
  molar volume in the cell; V_b = vb · V_iso.
* Facilitated (saturable) solute flux: where a permeability records a half-saturation
  constant K (:attr:`Permeability.saturation_molality_mol_per_kg`, e.g. glycerol through the
  red-cell aquaglyceroporin), the flux is that of a symmetric carrier (Widdas 1952;
  Carlsen & Wieth 1976 for red-cell glycerol),
  dn_s/dt = Ps0 · A · (m_e − m_i) / ((1 + m_e/K)(1 + m_i/K)), i.e. an effective
  Ps = Ps0/((1 + m_e/K)(1 + m_i/K)) that falls as the carrier saturates; Ps0 (the ``ps``
  value) is the low-concentration limit. Solutes without K keep the two-parameter flux.
* Temperature: Lp and Ps follow Arrhenius, X(T) = X(T_ref) · exp(−Ea/R · (1/T − 1/T_ref)),
  from the temperature each was measured at.

**Kedem–Katchalsky** (``model="kk"``) adds each CPA's reflection coefficient σ in the
solvent-drag form commonly used in cryobiology (Kleinhans 1998 discusses the relation
between the formalisms)::

    dV_w/dt = Lp·A·R·T · [(π_i − π_e) − Σ_s (1 − σ_s)(π_i,s − π_e,s)]
    dn_s/dt = Ps·A·(m_e,s − m_i,s) + (1 − σ_s) · m̄_s · dV_w/dt,   m̄_s = (m_e,s + m_i,s)/2

where π_·,s is CPA s's share of the osmolality (the osmolality minus that of the
non-permeating part, split between CPAs in proportion to their molalities — an
approximation needed because virial cross terms belong to no single solute). With σ = 1
the equations are exactly the two-parameter model. A CPA without σ uses σ = 1 and a
warning says so.

**Numerics**: each step is integrated with ``scipy.integrate.solve_ivp`` using LSODA
(switches automatically between non-stiff Adams and stiff BDF methods), relative tolerance
1e-8 and absolute tolerances of 1e-10 × the isotonic volume (µm³, fmol). Volume extrema
inside a step are bracketed by the solver's accepted points and located on its dense
interpolant (bounded scalar minimisation), then added to the returned points, so the
reported minimum and maximum volumes are not limited by the sampling.

**Carrier**: :func:`isotonic_carrier` describes the isotonic medium as the sodium chloride
molality whose osmolality (virial equation) equals the cell's isotonic osmolality, so a
step is "carrier + CPA" or "carrier + CPA + sucrose".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

from cryoprotect.errors import InvalidCompositionError, OutOfDomainError, ValidationError
from cryoprotect.science import composition, thermo, thermo_validity
from cryoprotect.science.cells import CellType, Permeability

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Model = Literal["2p", "kk"]

GAS_CONSTANT_L_ATM_PER_MOL_K = thermo.GAS_CONSTANT_J_PER_MOL_K / 101325.0 * 1000.0
"""R in L·atm/(mol·K): 8.314462618 J/(mol·K) / 101325 Pa/atm × 1000 L/m³ = 0.0820574."""
WATER_DENSITY_KG_PER_L = 1.0
"""Water taken at 1 kg/L, so that 1 µm³ of water is 1e-15 kg (see the module docstring)."""
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
        return {
            "solutes": {name: float(value) for name, value in self.solutes.items()},
            "duration_s": self.duration_s,
            "temperature_c": self.temperature_c,
            "label": self.label,
        }


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


# --- parameters at temperature ------------------------------------------------------------


def arrhenius(
    value: float, energy_kj_per_mol: float, reference_c: float, temperature_c: float
) -> float:
    """Arrhenius temperature correction of a rate coefficient.

    Args:
        value: the coefficient at ``reference_c``.
        energy_kj_per_mol: activation energy Ea, kJ/mol.
        reference_c: temperature of ``value``, °C.
        temperature_c: the wanted temperature, °C.

    Returns:
        value · exp(−Ea/R · (1/T − 1/T_ref)).
    """
    t = temperature_c + ZERO_CELSIUS_K
    t_ref = reference_c + ZERO_CELSIUS_K
    exponent = (
        -energy_kj_per_mol * 1000.0 / thermo.GAS_CONSTANT_J_PER_MOL_K * (1.0 / t - 1.0 / t_ref)
    )
    return value * math.exp(exponent)


def lp_at(cell: CellType, temperature_c: float) -> float:
    """The cell's hydraulic conductivity at ``temperature_c``, µm/min/atm."""
    return arrhenius(
        cell.lp_um_per_min_atm,
        cell.lp_activation_energy_kj_per_mol,
        cell.reference_temperature_c,
        temperature_c,
    )


def ps_at(cell: CellType, permeability: Permeability, temperature_c: float) -> float:
    """A permeability at ``temperature_c``, µm/s."""
    reference = permeability.reference_temperature_c
    return arrhenius(
        permeability.ps_um_per_s,
        permeability.activation_energy_kj_per_mol,
        cell.reference_temperature_c if reference is None else reference,
        temperature_c,
    )


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


# --- osmolality helpers ---------------------------------------------------------------------


def _osmolality_of(
    solutes: Mapping[str, float], parameters: Mapping[str, thermo.VirialParameters] | None
) -> tuple[float, tuple[str, ...]]:
    present = {name: value for name, value in solutes.items() if value > 0.0}
    if not present:
        return 0.0, ()
    result = thermo.osmolality(list(present.values()), list(present), parameters=parameters)
    return float(result.osmolality_osmol_per_kg), result.warnings


def extracellular_osmolality(
    step: Step, *, osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None
) -> float:
    """Osmolality of a step's solution (osmotic virial equation), osmol/kg water."""
    return _osmolality_of(step.solutes, osmotic_parameters)[0]


def isotonic_carrier(
    cell: CellType, *, osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None
) -> dict[str, float]:
    """The isotonic medium as a sodium chloride solution.

    Args:
        cell: supplies the isotonic osmolality.
        osmotic_parameters: virial table (default: the shipped one).

    Returns:
        ``{"Sodium chloride": m}`` with m (mol/kg) such that the solution's osmolality equals
        the cell's isotonic osmolality.
    """
    target = cell.isotonic_osmolality_osmol_per_kg

    def excess(m: float) -> float:
        return _osmolality_of({CARRIER_SOLUTE: m}, osmotic_parameters)[0] - target

    molality = brentq(excess, 1e-9, 10.0 * target, xtol=1e-14, rtol=1e-12)
    return {CARRIER_SOLUTE: float(molality)}


def boyle_vant_hoff_volume_fraction(cell: CellType, osmolality_osmol_per_kg: float) -> float:
    """Equilibrium volume in a solution of non-permeating solutes (Boyle–van 't Hoff).

    V/V_iso = vb + (1 − vb) · π_iso/π, exact for the model's ideal intracellular solute.

    Raises:
        ValidationError: a non-positive or non-finite osmolality.
    """
    if not (math.isfinite(osmolality_osmol_per_kg) and osmolality_osmol_per_kg > 0):
        raise ValidationError("osmolality must be a positive number", field="osmolality")
    vb = cell.inactive_volume_fraction
    return vb + (1.0 - vb) * cell.isotonic_osmolality_osmol_per_kg / osmolality_osmol_per_kg


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Solutes:
    """The permeating solutes of one simulation, in state-vector order."""

    names: tuple[str, ...]
    permeabilities: tuple[Permeability, ...]
    molar_volume: FloatArray  # µm³/fmol
    saturation: FloatArray  # half-saturation molality K per solute (inf: simple diffusion)
    k: FloatArray  # intracellular virial arrays: [ideal non-permeating, CPA...]
    b: FloatArray
    c: FloatArray


@dataclass(frozen=True)
class _StepSetup:
    """Everything constant during one step."""

    lp_term: float  # Lp·A·R·T, µm³/s per osmol/kg
    ps_area: FloatArray  # Ps·A, µm³/s
    m_e: FloatArray  # extracellular molality of each permeating solute
    pi_e: float
    pi_e_cpa: FloatArray  # each CPA's share of π_e (KK only)
    sigma: FloatArray  # reflection coefficients (1 for 2p)
    kk: bool


def _canonical(cell: CellType, name: str) -> str | None:
    permeability = cell.permeability(name)
    return permeability.solute if permeability is not None else None


def _solutes(
    cell: CellType,
    steps: Sequence[Step],
    initial: State,
    parameters: Mapping[str, thermo.VirialParameters] | None,
    notes: list[str],
) -> _Solutes:
    names: list[str] = []
    for source in [*[s.solutes for s in steps], initial.solute_amount_fmol]:
        for name in source:
            canonical = _canonical(cell, name)
            if canonical is not None and canonical not in names:
                names.append(canonical)
    permeabilities = tuple(p for p in (cell.permeability(n) for n in names) if p is not None)
    volumes = []
    for name in names:
        volume, note = _molar_volume_um3_per_fmol(name)
        volumes.append(volume)
        if note:
            notes.append(note)
    params = (
        thermo.ideal_parameters(INTRACELLULAR_SOLUTE),
        *thermo.resolve_solutes(names, parameters=parameters),
    )
    return _Solutes(
        names=tuple(names),
        permeabilities=permeabilities,
        molar_volume=np.array(volumes, dtype=np.float64),
        saturation=np.array(
            [
                np.inf
                if p.saturation_molality_mol_per_kg is None
                else p.saturation_molality_mol_per_kg
                for p in permeabilities
            ],
            dtype=np.float64,
        ),
        k=np.array([p.k_diss for p in params], dtype=np.float64),
        b=np.array([p.b_kg_per_mol for p in params], dtype=np.float64),
        c=np.array([p.c_kg2_per_mol2 for p in params], dtype=np.float64),
    )


def _check_steps(steps: Sequence[Step]) -> None:
    if not steps:
        raise ValidationError("at least one step is required", field="steps")
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not (math.isfinite(step.duration_s) and step.duration_s > 0):
            raise ValidationError(
                "duration_s must be a positive number", field=f"{where}.duration_s"
            )
        if not math.isfinite(step.temperature_c) or step.temperature_c > MAX_TEMPERATURE_C:
            raise ValidationError(
                f"temperature_c must be finite and ≤ {MAX_TEMPERATURE_C:g} °C",
                field=f"{where}.temperature_c",
            )
        for name, value in step.solutes.items():
            if not isinstance(name, str) or not name.strip():
                raise ValidationError("solute names must be non-empty", field=f"{where}.solutes")
            if not (math.isfinite(value) and value >= 0):
                raise ValidationError(
                    f"molality of {name} must be a finite number ≥ 0",
                    field=f"{where}.solutes.{name}",
                )


def effective_ps(permeability: Permeability, ps_um_per_s: float, m_e: float, m_i: float) -> float:
    """Effective permeability of a (possibly saturable) flux at given molalities, µm/s.

    Args:
        permeability: supplies the half-saturation constant K (``None``: no saturation).
        ps_um_per_s: Ps0 at the temperature wanted (see :func:`ps_at`).
        m_e: extracellular molality of the solute, mol/kg.
        m_i: intracellular molality, mol/kg.

    Returns:
        Ps0 / ((1 + m_e/K)(1 + m_i/K)), or Ps0 without K.
    """
    k = permeability.saturation_molality_mol_per_kg
    if k is None:
        return ps_um_per_s
    return ps_um_per_s / ((1.0 + m_e / k) * (1.0 + m_i / k))


@dataclass(frozen=True)
class MeltingGuard:
    """What may be said of a solution's ice melting point, for the "not frozen" guard.

    Attributes:
        melting_point_c: the model's value where it is validated (else ``None``).
        upper_bound_c: the highest temperature at which ice (or a crystallising solute) may
            form, when the value cannot be given (else ``None``).
        status: the validity status (:mod:`cryoprotect.science.thermo_validity`).
        reason: "unknown, because …" when the value cannot be given.
    """

    melting_point_c: float | None
    upper_bound_c: float | None
    status: str
    reason: str | None


@lru_cache(maxsize=4096)
def _melting_guard_cached(solutes: tuple[tuple[str, float], ...]) -> MeltingGuard:
    return _melting_guard(dict(solutes), None)


def _molar_mass(name: str) -> float | None:
    try:
        found = composition.get_solute(name)
    except InvalidCompositionError:
        return None
    return None if found is None else found.molar_mass_g_per_mol


def _melting_guard(
    solutes: Mapping[str, float], parameters: Mapping[str, thermo.VirialParameters] | None
) -> MeltingGuard:
    present = {n: float(v) for n, v in solutes.items() if v > 0.0}
    if not present:
        return MeltingGuard(0.0, None, "within_range", None)
    answer = thermo_validity.assess(
        list(present.values()),
        list(present),
        [_molar_mass(n) for n in present],
        parameters=parameters,
    ).melting_point[0]
    if answer.value is not None:
        return MeltingGuard(float(answer.value) - ZERO_CELSIUS_K, None, answer.status, None)
    bound = answer.bound
    bounds: list[float | None]
    if answer.status in ("solute_crystallises", "eutectic_region"):
        # An ice bound says nothing of the solute crystallising: only a published solute
        # liquidus bounds where the solution is liquid.
        solute = bound is not None and bound.quantity == "solute_liquidus"
        bounds = [bound.value, bound.value_high] if solute and bound is not None else []
    else:
        bounds = [answer.ice_upper_bound_c]
        if bound is not None and bound.unit == "°C":
            bounds += [bound.value, bound.value_high]
    known = [float(b) for b in bounds if b is not None]
    return MeltingGuard(None, max(known) if known else None, answer.status, answer.reason)


def melting_guard(
    solutes: Mapping[str, float],
    *,
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> MeltingGuard:
    """The melting point of a solution as far as we stand behind it.

    Uses :func:`cryoprotect.science.thermo_validity.assess`: its value where the model is
    validated; otherwise no value, the reason, and the highest of the bounds it gives (the
    upper bound on the ice melting point, a published solute liquidus).

    Args:
        solutes: molality per solute name, mol/kg water.
        osmotic_parameters: virial table (default: the shipped one).
    """
    if osmotic_parameters is None:
        key = tuple(sorted((n, round(float(v), 12)) for n, v in solutes.items()))
        return _melting_guard_cached(key)
    return _melting_guard(solutes, osmotic_parameters)


def _check_not_frozen(
    step: Step, index: int, parameters: Mapping[str, thermo.VirialParameters] | None
) -> None:
    """Refuse a step whose solution may be frozen (or crystallising) at its temperature.

    Every aqueous solution melts at or below 0 °C (solutes lower the water activity), so a
    step at ≥ 0 °C needs no model number. Below 0 °C the melting point is used only where
    :mod:`~cryoprotect.science.thermo_validity` stands behind it; elsewhere the step is
    accepted only above the bound it gives, and otherwise refused with its reason.
    """
    if step.temperature_c >= 0.0:
        return
    guard = melting_guard(step.solutes, osmotic_parameters=parameters)
    where = f"steps[{index}].temperature_c"
    if guard.melting_point_c is not None:
        if step.temperature_c < guard.melting_point_c - 1e-9:
            raise OutOfDomainError(
                f"step {index}: at {step.temperature_c:g} °C the solution (melting point "
                f"{guard.melting_point_c:.2f} °C) would freeze; the transport model covers "
                "unfrozen solutions only",
                details={"field": where, "melting_point_c": guard.melting_point_c},
            )
        return
    if guard.upper_bound_c is not None and step.temperature_c >= guard.upper_bound_c:
        return
    bound = (
        ""
        if guard.upper_bound_c is None
        else f" (it may freeze below {guard.upper_bound_c:.2f} °C)"
    )
    raise OutOfDomainError(
        f"step {index}: whether the solution is liquid at {step.temperature_c:g} °C is unknown"
        f"{bound}, because {guard.reason}; the transport model covers unfrozen solutions only",
        details={
            "field": where,
            "melting_point_c": None,
            "upper_bound_c": guard.upper_bound_c,
            "status": guard.status,
        },
    )


def _setup_step(
    cell: CellType,
    step: Step,
    solutes: _Solutes,
    model: Model,
    parameters: Mapping[str, thermo.VirialParameters] | None,
    notes: list[str],
) -> _StepSetup:
    temperature_k = step.temperature_c + ZERO_CELSIUS_K
    area = cell.surface_area_um2
    lp_um_per_s_atm = lp_at(cell, step.temperature_c) / 60.0
    rt = GAS_CONSTANT_L_ATM_PER_MOL_K * temperature_k * WATER_DENSITY_KG_PER_L
    m_e = np.zeros(len(solutes.names))
    non_permeating: dict[str, float] = {}
    for name, value in step.solutes.items():
        canonical = _canonical(cell, name)
        if canonical is None:
            non_permeating[name] = non_permeating.get(name, 0.0) + float(value)
        else:
            m_e[solutes.names.index(canonical)] += float(value)
    everything = {**non_permeating, **dict(zip(solutes.names, m_e.tolist(), strict=True))}
    pi_e, warnings = _osmolality_of(everything, parameters)
    notes.extend(warnings)
    kk = model == "kk"
    sigma = np.ones(len(solutes.names))
    pi_e_cpa = np.zeros(len(solutes.names))
    if kk:
        for i, permeability in enumerate(solutes.permeabilities):
            if permeability.reflection_coefficient is None:
                notes.append(f"{permeability.solute}: no reflection coefficient; σ = 1 used")
            else:
                sigma[i] = permeability.reflection_coefficient
        pi_np = _osmolality_of(non_permeating, parameters)[0]
        total = float(m_e.sum())
        if total > 0:
            pi_e_cpa = (pi_e - pi_np) * m_e / total
    ps = np.array([ps_at(cell, p, step.temperature_c) for p in solutes.permeabilities])
    return _StepSetup(
        lp_term=lp_um_per_s_atm * area * rt,
        ps_area=ps * area if ps.size else np.zeros(0),
        m_e=m_e,
        pi_e=pi_e,
        pi_e_cpa=pi_e_cpa,
        sigma=sigma,
        kk=kk,
    )


class _Rates:
    """Right-hand side of the ODEs for one step (and dV/dt for the extremum event)."""

    def __init__(
        self,
        cell: CellType,
        solutes: _Solutes,
        setup: _StepSetup,
        powers: FloatArray | None = None,
    ) -> None:
        self.n_np = cell.isotonic_osmolality_osmol_per_kg * cell.isotonic_water_volume_um3
        self.solutes = solutes
        self.setup = setup
        self.n = len(solutes.names)
        self.x = np.empty(1 + self.n)
        # Optional running integral of Σ_j w_j · m_j^p_j, appended to the state vector.
        self.powers = powers
        self.weights = None if powers is None else (powers > 0).astype(np.float64)
        # Facilitated flux: the outside factor (1 + m_e/K) is constant within a step.
        self.saturable = bool(np.any(np.isfinite(solutes.saturation)))
        self.inv_k = np.where(np.isfinite(solutes.saturation), 1.0 / solutes.saturation, 0.0)
        self.ps_eff = setup.ps_area / (1.0 + setup.m_e * self.inv_k)

    def osmolality(self, water: float, amounts: FloatArray) -> tuple[float, FloatArray]:
        x = self.x
        x[0] = self.n_np / water
        m_i = amounts / water
        x[1:] = m_i
        pi = float(thermo.virial_osmolality(x, self.solutes.k, self.solutes.b, self.solutes.c))
        return pi, m_i

    def __call__(self, _t: float, y: FloatArray) -> FloatArray:
        water = max(float(y[0]), 1e-12)
        amounts = np.maximum(y[1 : 1 + self.n], 0.0)
        s = self.setup
        pi_i, m_i = self.osmolality(water, amounts)
        out = np.empty_like(y)
        ps_area = self.ps_eff / (1.0 + m_i * self.inv_k) if self.saturable else s.ps_area
        if not s.kk:
            out[0] = s.lp_term * (pi_i - s.pi_e)
            out[1 : 1 + self.n] = ps_area * (s.m_e - m_i)
        else:
            total = float(m_i.sum())
            share = (pi_i - self.x[0]) * m_i / total if total > 0 else np.zeros_like(m_i)
            drag = 1.0 - s.sigma
            water_rate = s.lp_term * ((pi_i - s.pi_e) - float(np.dot(drag, share - s.pi_e_cpa)))
            out[0] = water_rate
            out[1 : 1 + self.n] = ps_area * (s.m_e - m_i) + drag * 0.5 * (s.m_e + m_i) * water_rate
        if self.powers is not None and self.weights is not None:
            out[-1] = float(np.dot(self.weights, m_i**self.powers))
        return out

    def volume_fraction(self, cell: CellType, y: FloatArray) -> float:
        cpa = float(np.dot(self.solutes.molar_volume, y[1 : 1 + self.n]))
        return (float(y[0]) + cpa + cell.inactive_volume_um3) / cell.isotonic_volume_um3


def _initial_vector(cell: CellType, initial: State, solutes: _Solutes) -> FloatArray:
    y0 = np.zeros(1 + len(solutes.names))
    if not (math.isfinite(initial.water_volume_um3) and initial.water_volume_um3 > 0):
        raise ValidationError(
            "the initial water volume must be > 0", field="initial.water_volume_um3"
        )
    y0[0] = initial.water_volume_um3
    for name, amount in initial.solute_amount_fmol.items():
        canonical = _canonical(cell, name)
        if canonical is None:
            if amount != 0:
                raise ValidationError(
                    f"the cell is not permeable to {name}; it cannot be inside initially",
                    field="initial.solute_amount_fmol",
                )
            continue
        if not (math.isfinite(amount) and amount >= 0):
            raise ValidationError("initial amounts must be ≥ 0", field="initial.solute_amount_fmol")
        y0[1 + solutes.names.index(canonical)] += amount
    return y0


StopCondition = Callable[[FloatArray], float]


@dataclass(frozen=True)
class _Solved:
    """One integrated step: accepted points, the dense interpolant and when it stopped."""

    t: FloatArray
    y: FloatArray
    sol: Any
    stopped_at: float | None


def _integrate(
    rates: _Rates,
    y0: FloatArray,
    duration_s: float,
    atol: float,
    *,
    stop: StopCondition | None = None,
    rtol: float = RTOL,
) -> _Solved:
    """Integrate one step (LSODA); with ``stop``, end where ``stop(y)`` first reaches 0."""
    events: list[Any] | None = None
    if stop is not None:

        def reached(_t: float, y: FloatArray) -> float:
            return stop(y)

        reached.terminal = True  # type: ignore[attr-defined]
        events = [reached]
    options: dict[str, Any] = {"method": "LSODA", "rtol": rtol, "atol": atol, "dense_output": True}
    try:
        solution = solve_ivp(rates, (0.0, duration_s), y0, events=events, **options)
    except ValueError:
        # scipy's event root-finder can meet a sign mismatch between the step ends and its
        # interpolant when the condition hovers at zero; locate the crossing ourselves.
        solution = solve_ivp(rates, (0.0, duration_s), y0, **options)
        return _stop_by_hand(solution, stop)
    if solution.status < 0:
        raise OutOfDomainError(f"the ODE solver failed: {solution.message}")
    stopped = None
    if stop is not None and solution.t_events[0].size:
        stopped = float(solution.t_events[0][0])
    return _Solved(solution.t, solution.y, solution.sol, stopped)


def _stop_by_hand(solution: Any, stop: StopCondition | None) -> _Solved:
    if solution.status < 0:
        raise OutOfDomainError(f"the ODE solver failed: {solution.message}")
    if stop is None:
        return _Solved(solution.t, solution.y, solution.sol, None)
    values = np.array([stop(solution.y[:, i]) for i in range(solution.t.size)])
    crossed = np.flatnonzero(values >= 0)
    if not crossed.size:
        return _Solved(solution.t, solution.y, solution.sol, None)
    i = int(crossed[0])
    t_hit = float(solution.t[i])
    if i > 0 and stop(solution.sol(solution.t[i - 1])) < 0 <= stop(solution.sol(t_hit)):
        t_hit = float(brentq(lambda t: stop(solution.sol(t)), solution.t[i - 1], t_hit, xtol=1e-9))
    keep = solution.t < t_hit
    t = np.append(solution.t[keep], t_hit)
    y = np.column_stack([solution.y[:, keep], solution.sol(t_hit)])
    return _Solved(t, y, solution.sol, t_hit)


def _extremum_times(solved: _Solved, rates: _Rates, cell: CellType) -> list[float]:
    """Times of the local volume extrema inside a step, refined on the interpolant.

    Local extrema are bracketed by the accepted solver points and located by a bounded
    scalar minimisation of ±V(t) on the dense output (no event root-finding, so the result
    does not depend on the sign noise of dV/dt near equilibrium).
    """
    t = solved.t
    if t.size < 3:
        return []
    molar_volume = rates.solutes.molar_volume
    n = rates.n

    def volume(time: float) -> float:
        y = solved.sol(time)
        return float(y[0] + molar_volume @ y[1 : 1 + n])

    v = solved.y[0] + molar_volume @ solved.y[1 : 1 + n]
    rising = np.diff(v)
    scale = max(float(np.max(np.abs(v))), 1e-300)
    times: list[float] = []
    for i in range(1, t.size - 1):
        if rising[i - 1] * rising[i] >= 0 or abs(rising[i - 1]) + abs(rising[i]) < 1e-13 * scale:
            continue
        sign = 1.0 if rising[i - 1] < 0 else -1.0  # minimum: minimise V; maximum: minimise −V
        found = minimize_scalar(
            lambda time, sign=sign: sign * volume(time),
            bounds=(float(t[i - 1]), float(t[i + 1])),
            method="bounded",
            options={"xatol": 1e-9 * max(float(t[-1]), 1.0)},
        )
        times.append(float(found.x))
    return times


@dataclass
class _Pieces:
    """Accumulates the sampled points of consecutive steps."""

    time: list[FloatArray] = field(default_factory=list)
    y: list[FloatArray] = field(default_factory=list)
    pi_i: list[FloatArray] = field(default_factory=list)
    pi_e: list[FloatArray] = field(default_factory=list)
    step: list[IntArray] = field(default_factory=list)


def _sample(
    solution: _Solved,
    extrema: Sequence[float],
    rates: _Rates,
    end: float,
    points: int,
    offset: float,
    index: int,
    pieces: _Pieces,
) -> None:
    grid = np.linspace(0.0, end, max(points, 2))
    extra = np.array(extrema, dtype=np.float64)
    times = np.unique(np.concatenate([grid, extra[(extra > 0) & (extra < end)]]))
    values = solution.sol(times)
    values[0] = np.maximum(values[0], 1e-12)
    values[1:] = np.maximum(values[1:], 0.0)
    pi_i = np.array([rates.osmolality(float(v[0]), v[1:])[0] for v in values.T])
    pieces.time.append(times + offset)
    pieces.y.append(values)
    pieces.pi_i.append(pi_i)
    pieces.pi_e.append(np.full(times.size, rates.setup.pi_e))
    pieces.step.append(np.full(times.size, index, dtype=np.int64))


def simulate(
    cell: CellType,
    steps: Sequence[Step],
    *,
    model: Model = "2p",
    initial: State | None = None,
    points_per_step: int = 200,
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> Trajectory:
    """Simulate a cell through a sequence of extracellular solutions.

    Args:
        cell: the cell's membrane and osmotic parameters.
        steps: the solutions, in order; the state carries over from one step to the next.
        model: ``"2p"`` (two-parameter, Kleinhans 1998) or ``"kk"`` (Kedem–Katchalsky).
        initial: the starting state (default: isotonic, no CPA).
        points_per_step: evenly spaced samples per step (volume extrema are added).
        osmotic_parameters: virial table for osmolalities (default: the shipped one; an
            empty mapping makes every solute ideal-dilute).

    Returns:
        The trajectory.

    Raises:
        ValidationError: an empty protocol, a bad duration, temperature or molality, or an
            unknown model.
        OutOfDomainError: a step below the melting point of its solution.
    """
    if model not in ("2p", "kk"):
        raise ValidationError("model must be '2p' or 'kk'", field="model")
    _check_steps(steps)
    state = initial if initial is not None else State.isotonic(cell)
    notes: list[str] = []
    solutes = _solutes(cell, steps, state, osmotic_parameters, notes)
    y = _initial_vector(cell, state, solutes)
    atol = ATOL_FRACTION * cell.isotonic_volume_um3
    pieces = _Pieces()
    offset = 0.0
    for index, step in enumerate(steps):
        setup = _setup_step(cell, step, solutes, model, osmotic_parameters, notes)
        _check_not_frozen(step, index, osmotic_parameters)
        rates = _Rates(cell, solutes, setup)
        solution = _integrate(rates, y, step.duration_s, atol)
        extrema = _extremum_times(solution, rates, cell)
        _sample(solution, extrema, rates, step.duration_s, points_per_step, offset, index, pieces)
        y = pieces.y[-1][:, -1].copy()
        offset += step.duration_s
    return _trajectory(cell, solutes, pieces, model, notes, tuple(steps))


def _trajectory(
    cell: CellType,
    solutes: _Solutes,
    pieces: _Pieces,
    model: Model,
    notes: list[str],
    steps: tuple[Step, ...],
) -> Trajectory:
    values = np.concatenate(pieces.y, axis=1)
    water = values[0]
    amounts = values[1:]
    cpa_volume = solutes.molar_volume @ amounts if amounts.size else np.zeros_like(water)
    volume = water + cpa_volume + cell.inactive_volume_um3
    v_iso = cell.isotonic_volume_um3
    return Trajectory(
        time_s=np.concatenate(pieces.time),
        volume_fraction=volume / v_iso,
        water_volume_fraction=water / v_iso,
        intracellular_molality={name: amounts[i] / water for i, name in enumerate(solutes.names)},
        intracellular_osmolality=np.concatenate(pieces.pi_i),
        extracellular_osmolality=np.concatenate(pieces.pi_e),
        step_index=np.concatenate(pieces.step),
        method=METHOD_KK if model == "kk" else METHOD_2P,
        warnings=tuple(dict.fromkeys(notes)),
        isotonic_volume_um3=v_iso,
        steps=steps,
    )


# --- equilibria and first-passage times -----------------------------------------------------


def equilibrium_state(
    cell: CellType,
    step: Step,
    *,
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> State:
    """The state a cell reaches after infinite time in a step's solution.

    Permeating CPAs equalise (m_i = m_e) and the water volume makes π_i = π_e; without
    permeating solutes this is the Boyle–van 't Hoff volume.

    Raises:
        OutOfDomainError: the solution has no non-permeating solute (the cell would swell
            without bound).
    """
    notes: list[str] = []
    solutes = _solutes(cell, [step], State.isotonic(cell), osmotic_parameters, notes)
    setup = _setup_step(cell, step, solutes, "2p", osmotic_parameters, notes)
    rates = _Rates(cell, solutes, setup)
    cpa_only = float(
        thermo.virial_osmolality(
            np.concatenate([[0.0], setup.m_e]), solutes.k, solutes.b, solutes.c
        )
    )
    if setup.pi_e <= cpa_only * (1 + 1e-12):
        raise OutOfDomainError(
            "the solution has no non-permeating solute: the cell would swell without bound",
            details={"field": "step.solutes"},
        )

    def excess(log_water: float) -> float:
        water = math.exp(log_water)
        return rates.osmolality(water, setup.m_e * water)[0] - setup.pi_e

    guess = math.log(rates.n_np / max(setup.pi_e - cpa_only, 1e-300))
    low, high = guess - 5.0, guess + 5.0
    while excess(low) < 0:
        low -= 5.0
    while excess(high) > 0:
        high += 5.0
    water = math.exp(brentq(excess, low, high, xtol=1e-14, rtol=1e-14))
    return State(
        water, {name: float(m) * water for name, m in zip(solutes.names, setup.m_e, strict=True)}
    )


def time_to_condition(
    cell: CellType,
    step: Step,
    initial: State,
    condition: Callable[[State], float],
    *,
    model: Model = "2p",
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> float | None:
    """The first time within ``step`` at which ``condition(state)`` crosses zero.

    Args:
        cell: the cell.
        step: the solution; its ``duration_s`` is the horizon searched.
        initial: the state at the start of the step.
        condition: negative before the event, positive after (e.g. "intracellular molality
            minus 95 % of the target").
        model: as in :func:`simulate`.
        osmotic_parameters: as in :func:`simulate`.

    Returns:
        The time in s, or ``None`` if the condition is not met within the horizon.
    """
    _check_steps([step])
    notes: list[str] = []
    solutes = _solutes(cell, [step], initial, osmotic_parameters, notes)
    setup = _setup_step(cell, step, solutes, model, osmotic_parameters, notes)
    _check_not_frozen(step, 0, osmotic_parameters)
    rates = _Rates(cell, solutes, setup)
    y0 = _initial_vector(cell, initial, solutes)

    def stop(y: FloatArray) -> float:
        water = max(float(y[0]), 1e-12)
        return condition(State(water, dict(zip(solutes.names, y[1:].tolist(), strict=True))))

    if stop(y0) >= 0:
        return 0.0
    solution = _integrate(
        rates, y0, step.duration_s, ATOL_FRACTION * cell.isotonic_volume_um3, stop=stop
    )
    return solution.stopped_at


# --- fast summaries for optimisers ------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What an optimiser needs from a simulated protocol, without the sampled series.

    Attributes:
        final_state: the state at the end.
        min_volume_fraction: smallest V/V_iso reached (extrema located on the interpolant).
        max_volume_fraction: largest V/V_iso reached.
        power_integral: ∫ Σ_j m_j(t)^p_j dt over the solutes given ``powers`` (0 if none).
        duration_s: total simulated time, s.
        last_step_duration_s: duration of the last step; with ``until``, the time the
            condition was met, or ``None`` if it was not met within the step's duration.
    """

    final_state: State
    min_volume_fraction: float
    max_volume_fraction: float
    power_integral: float
    duration_s: float
    last_step_duration_s: float | None


def summarize(
    cell: CellType,
    steps: Sequence[Step],
    *,
    initial: State | None = None,
    model: Model = "2p",
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
    until: Callable[[State], float] | None = None,
    powers: Mapping[str, float] | None = None,
    rtol: float = 1e-6,
) -> Summary:
    """Integrate a protocol for its extrema, end state and a power-law integral only.

    The same equations as :func:`simulate`, without sampling, for use inside optimisers.

    Args:
        cell: the cell.
        steps: the solutions in order.
        initial: starting state (default: isotonic, no CPA).
        model: ``"2p"`` or ``"kk"``.
        osmotic_parameters: virial table (default: the shipped one).
        until: ends the last step early when ``until(state)`` becomes ≥ 0 (its
            ``duration_s`` is then the horizon searched).
        powers: solute → exponent p_j of the running integral ∫ Σ_j m_j^p_j dt (solutes
            the cell does not let in are ignored).
        rtol: relative tolerance of the integrator (looser than :func:`simulate`'s).

    Returns:
        The summary.
    """
    if model not in ("2p", "kk"):
        raise ValidationError("model must be '2p' or 'kk'", field="model")
    _check_steps(steps)
    state = initial if initial is not None else State.isotonic(cell)
    notes: list[str] = []
    solutes = _solutes(cell, steps, state, osmotic_parameters, notes)
    power_array = np.zeros(len(solutes.names))
    for name, exponent in (powers or {}).items():
        canonical = _canonical(cell, name)
        if canonical in solutes.names:
            power_array[solutes.names.index(canonical)] = exponent
    y = np.append(_initial_vector(cell, state, solutes), 0.0)
    atol = ATOL_FRACTION * cell.isotonic_volume_um3
    low = high = _Rates(
        cell, solutes, _setup_step(cell, steps[0], solutes, model, osmotic_parameters, notes)
    ).volume_fraction(cell, y)
    elapsed = 0.0
    last: float | None = steps[-1].duration_s
    for index, step in enumerate(steps):
        setup = _setup_step(cell, step, solutes, model, osmotic_parameters, notes)
        _check_not_frozen(step, index, osmotic_parameters)
        rates = _Rates(cell, solutes, setup, powers=power_array)
        stop = None
        if until is not None and index == len(steps) - 1:
            if until(_state_of(solutes, y)) >= 0:
                last = 0.0
                break

            def stop(v: FloatArray, rates: _Rates = rates) -> float:
                return until(_state_of(solutes, v))

        solution = _integrate(rates, y, step.duration_s, atol, stop=stop, rtol=rtol)
        extremes = [
            rates.volume_fraction(cell, solution.sol(t))
            for t in _extremum_times(solution, rates, cell)
        ]
        y = solution.y[:, -1].copy()
        extremes.append(rates.volume_fraction(cell, y))
        low, high = min(low, *extremes), max(high, *extremes)
        elapsed += float(solution.t[-1])
        if stop is not None:
            last = solution.stopped_at
    return Summary(
        final_state=_state_of(solutes, y),
        min_volume_fraction=low,
        max_volume_fraction=high,
        power_integral=float(y[-1]),
        duration_s=elapsed,
        last_step_duration_s=last,
    )


def _state_of(solutes: _Solutes, y: FloatArray) -> State:
    water = max(float(y[0]), 1e-12)
    amounts = np.maximum(y[1 : 1 + len(solutes.names)], 0.0)
    return State(water, dict(zip(solutes.names, amounts.tolist(), strict=True)))
