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

Layout: state (constants, Step, State, Trajectory), media (Arrhenius parameters,
media osmolality, isotonic carrier), setup (solutes and per-step constants), melting
(the melting-point guard), integrate (the ODEs and :func:`simulate`), equilibria
(equilibrium states, first-passage times) and summary (fast summaries for optimisers).
The private names _solutes, _initial_vector, _setup_step and _Rates stay
importable here for benchmarks/protocol_design.py.
"""

from __future__ import annotations

from cryoprotect.science.transport.equilibria import (
    equilibrium_state,
    time_to_condition,
)
from cryoprotect.science.transport.integrate import (
    StopCondition,
    simulate,
)
from cryoprotect.science.transport.integrate import (
    _initial_vector as _initial_vector,
)
from cryoprotect.science.transport.integrate import (
    _Rates as _Rates,
)
from cryoprotect.science.transport.media import (
    arrhenius,
    boyle_vant_hoff_volume_fraction,
    extracellular_osmolality,
    isotonic_carrier,
    lp_at,
    ps_at,
)
from cryoprotect.science.transport.melting import (
    MeltingGuard,
    melting_guard,
)
from cryoprotect.science.transport.setup import (
    _setup_step as _setup_step,
)
from cryoprotect.science.transport.setup import (
    _solutes as _solutes,
)
from cryoprotect.science.transport.setup import (
    effective_ps,
)
from cryoprotect.science.transport.state import (
    ATOL_FRACTION,
    BUFFER_SOLUTE,
    CARRIER_SOLUTE,
    GAS_CONSTANT_L_ATM_PER_MOL_K,
    INTRACELLULAR_SOLUTE,
    MAX_TEMPERATURE_C,
    METHOD_2P,
    METHOD_KK,
    RTOL,
    WATER_DENSITY_KG_PER_L,
    ZERO_CELSIUS_K,
    FloatArray,
    IntArray,
    Model,
    State,
    Step,
    Trajectory,
)
from cryoprotect.science.transport.summary import (
    Summary,
    summarize,
)

__all__ = [
    "ATOL_FRACTION",
    "BUFFER_SOLUTE",
    "CARRIER_SOLUTE",
    "FloatArray",
    "GAS_CONSTANT_L_ATM_PER_MOL_K",
    "INTRACELLULAR_SOLUTE",
    "IntArray",
    "MAX_TEMPERATURE_C",
    "METHOD_2P",
    "METHOD_KK",
    "MeltingGuard",
    "Model",
    "RTOL",
    "State",
    "Step",
    "StopCondition",
    "Summary",
    "Trajectory",
    "WATER_DENSITY_KG_PER_L",
    "ZERO_CELSIUS_K",
    "arrhenius",
    "boyle_vant_hoff_volume_fraction",
    "effective_ps",
    "equilibrium_state",
    "extracellular_osmolality",
    "isotonic_carrier",
    "lp_at",
    "melting_guard",
    "ps_at",
    "simulate",
    "summarize",
    "time_to_condition",
]
