"""Kinetic multi-CPA toxicity model: first-order loss of viability at a composition-dependent rate.

Cells exposed to a CPA solution lose viability with first-order kinetics (the model of the
Higgins group for BPAEC, e.g. Warner RM, Ampo E, Nelson D, Benson JD, Eroglu A, Higgins AZ,
"Rapid quantification of multi-cryoprotectant
toxicity using an automated liquid handling method", Cryobiology (2021) pp. 219–232,
doi:10.1016/j.cryobiol.2020.10.017; Benson JD, Kearsley AJ, Higgins AZ, Cryobiology
64:144–151 (2012))::

    dN/dt = −k(m, T) · N          ⇒   N(t)/N(0) = exp(−∫ k dt)

Warner RM et al. (2022; full author list not seen), "Multiple
cryoprotectant toxicity model for vitrification solution optimization", Cryobiology
108:1–9 (volume and pages as cited in issue 16; abstract read at PMC9529850)
made k a function of a mixture's composition with three kinds of term:
*specific* toxicity of each CPA, *non-specific* toxicity shared by all CPAs, and
*interactions* between CPA pairs (e.g. glycerol neutralising formamide). Only that paper's
abstract could be read here, so the functional form below is **our own parameterisation of
those three kinds of term**, not a transcription of the paper's equations, and no published
parameter values are shipped (see ``validation/toxicity.py``).

The rate (x_i = m_i / (1 mol/kg), the molality of CPA i made dimensionless; X = Σ_i x_i)::

    k(m, T) = θ(T) · max(0, S(m))
    S(m)    = Σ_i k_i · x_i^β_i                    specific toxicity of each CPA (power law)
            + k_ns · X^β_ns                         non-specific toxicity of the total CPA load
            + Σ_{i<j} c_ij · x_i · x_j              pairwise interactions (c_ij < 0: antagonism)
    θ(T)    = exp(−(E_a / R) · (1/T − 1/T_ref))     Arrhenius temperature dependence

* k_i, k_ns, c_ij are rates in 1/s at T_ref (k_i is CPA i's rate at 1 mol/kg alone),
  β_i, β_ns dimensionless exponents (the power law of Benson et al. 2012 is the one-CPA
  case, there with a fixed β = α = 1.6 and arbitrary units); E_a in kJ/mol.
* A term is present when its parameter is: ``k_spec[<cpa>]`` with ``beta_spec[<cpa>]``,
  ``k_ns`` with ``beta_ns``, ``c_int[<cpa>|<cpa>]``, ``ea_kj_per_mol``. Without
  ``ea_kj_per_mol`` the model has no temperature dependence and answers only at T_ref.
* The max(0, ·) is a modelling choice: interactions may cancel toxicity but not create
  viability.
* Zero concentration of every CPA gives zero rate (no CPA, no CPA toxicity).

Concentrations are molalities (mol per kg of water): intracellular during a protocol
(:mod:`cryoprotect.science.transport`), the exposure solution's in an exposure experiment
(the cells are assumed equilibrated with it; the loading transient is ignored there).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import trapezoid

from cryoprotect.errors import ValidationError
from cryoprotect.science.toxicity.terms import (
    is_positive,
    parameter_meaning,
    parameter_unit,
    term_structure,
)

FloatArray = NDArray[np.float64]

GAS_CONSTANT_J_PER_MOL_K = 8.314462618
"""Molar gas constant (CODATA 2018 exact value)."""

T_REF_TOLERANCE_K = 0.5
"""A model without E_a answers only within this distance of its T_ref."""

EQUATIONS = (
    "N(t)/N0 = exp(-integral of k dt); "
    "k(m,T) = theta(T) * max(0, sum_i k_i x_i^beta_i + k_ns X^beta_ns + sum_{i<j} c_ij x_i x_j); "
    "x_i = m_i / (1 mol/kg), X = sum_i x_i; theta(T) = exp(-(Ea/R)(1/T - 1/T_ref))"
)
CITATIONS = (
    "First-order toxicity kinetics and the three kinds of term (specific, non-specific, "
    "interaction): Warner RM et al., Multiple cryoprotectant toxicity model for vitrification "
    "solution optimization, Cryobiology 108:1-9 (2022; volume and pages as cited, not seen), "
    "PMC9529850 (abstract read; the "
    "functional form here is CryoProtect's own parameterisation of those terms); Warner RM "
    "et al., Cryobiology (2021) pp. 219-232, doi:10.1016/j.cryobiol.2020.10.017; power-law "
    "concentration dependence: Benson JD, Kearsley AJ, Higgins AZ, Cryobiology 64:144-151 "
    "(2012); Arrhenius temperature dependence: a modelling assumption."
)


def _dimensionless(
    cpas: tuple[str, ...], molality: Mapping[str, Any], n_points: int | None = None
) -> tuple[FloatArray, int]:
    """Stack the model's CPA molalities into an (n_cpas, n) array of x_i = m_i/(1 mol/kg)."""
    keys = {c.casefold(): i for i, c in enumerate(cpas)}
    columns: dict[int, FloatArray] = {}
    for name, values in molality.items():
        array = np.atleast_1d(np.asarray(values, dtype=float))
        if not np.all(np.isfinite(array)):
            raise ValidationError(f"molality of {name!r} is not finite", field="molality")
        if np.any(array < 0):
            raise ValidationError(f"molality of {name!r} is negative", field="molality")
        index = keys.get(str(name).casefold())
        if index is None:
            if np.any(array > 0):
                raise ValidationError(
                    f"{name!r} is not a CPA of this toxicity model (it knows {list(cpas)})",
                    field="molality",
                )
            continue
        columns[index] = array
    sizes = {a.size for a in columns.values() if a.size != 1}
    if n_points is not None:
        sizes.add(n_points)
    if len(sizes) > 1:
        raise ValidationError("molality arrays of different lengths", field="molality")
    n = sizes.pop() if sizes else 1
    x = np.zeros((len(cpas), n))
    for index, array in columns.items():
        x[index] = np.broadcast_to(array, (n,))
    return x, n


def rates_and_jacobian(
    cpas: tuple[str, ...],
    parameter_names: tuple[str, ...],
    values: FloatArray,
    x: FloatArray,
    temperature_k: FloatArray,
    t_ref_k: float,
    *,
    jacobian: bool = False,
) -> tuple[FloatArray, FloatArray | None]:
    """k for a batch of parameter vectors, and optionally dk/d(value).

    Args:
        values: (D, p) parameter vectors in natural units.
        x: (n_cpas, n) dimensionless molalities.
        temperature_k: (n,) temperatures.

    Returns:
        k (D, n) in 1/s and, with ``jacobian``, dk/dvalues (D, n, p).
    """
    s = term_structure(cpas, parameter_names)
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n_draws, n_params = values.shape
    n = x.shape[1]
    total = np.zeros((n_draws, n))
    grad = np.zeros((n_draws, n, n_params)) if jacobian else None
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), 0.0)
    for i in range(s.n_cpas):
        ik, ib = s.spec_k[i], s.spec_beta[i]
        if ik < 0:
            continue
        power = np.where(x[i] > 0, np.exp(values[:, ib, None] * log_x[i]), 0.0)
        term = values[:, ik, None] * power
        total += term
        if grad is not None:
            grad[:, :, ik] += power
            grad[:, :, ib] += term * log_x[i]
    if s.ns_k >= 0:
        load = x.sum(axis=0)
        log_load = np.where(load > 0, np.log(np.where(load > 0, load, 1.0)), 0.0)
        power = np.where(load > 0, np.exp(values[:, s.ns_beta, None] * log_load), 0.0)
        term = values[:, s.ns_k, None] * power
        total += term
        if grad is not None:
            grad[:, :, s.ns_k] += power
            grad[:, :, s.ns_beta] += term * log_load
    for index, i, j in s.pairs:
        product = x[i] * x[j]
        total += values[:, index, None] * product
        if grad is not None:
            grad[:, :, index] += product
    positive = total > 0
    clipped = np.where(positive, total, 0.0)
    temperature = np.broadcast_to(np.asarray(temperature_k, dtype=float), (n,))
    if s.ea >= 0:
        inverse = (1.0 / temperature - 1.0 / t_ref_k) * 1000.0 / GAS_CONSTANT_J_PER_MOL_K
        theta = np.exp(-values[:, s.ea, None] * inverse)
    else:
        theta = np.ones((n_draws, n))
    rate = theta * clipped
    if grad is not None:
        grad *= (theta * positive)[:, :, None]
        if s.ea >= 0:
            grad[:, :, s.ea] = -inverse * rate
    return rate, grad


@dataclass(frozen=True)
class KineticToxicityModel:
    """First-order viability loss dN/dt = −k(m, T)·N with the multi-CPA rate of this module.

    See the module docstring for the equations and citations.

    Attributes:
        name: a label.
        cpas: the CPAs the model knows (solute names as in ``science/params``, matched
            case-insensitively).
        parameter_names: e.g. ``k_spec[Glycerol]``; see :func:`~cryoprotect.science.toxicity.terms.parameter_kind`.
        values: the estimates, same order as ``parameter_names``.
        t_ref_k: reference temperature of the rates.
        parameter_draws: (n_draws, n_params) draws for uncertainty propagation, or None.
        source, provenance, verified: where the values come from.
        valid_temperature_k: (min, max) temperatures of the data the model was fitted to.
        valid_max_total_molality: the highest total CPA molality of those data.
        interval_level: the two-sided level of the intervals :meth:`as_dict` reports.
    """

    name: str
    cpas: tuple[str, ...]
    parameter_names: tuple[str, ...]
    values: tuple[float, ...]
    t_ref_k: float
    parameter_draws: FloatArray | None = field(default=None, compare=False)
    source: str = ""
    provenance: str = "fitted"
    verified: bool = False
    valid_temperature_k: tuple[float, float] | None = None
    valid_max_total_molality: float | None = None
    interval_level: float = 0.90

    def __post_init__(self) -> None:
        if len(self.values) != len(self.parameter_names):
            raise ValidationError("one value per parameter name", field="values")
        if not (math.isfinite(self.t_ref_k) and self.t_ref_k > 0):
            raise ValidationError("t_ref_k must be a positive temperature in K", field="t_ref_k")
        term_structure(self.cpas, self.parameter_names)
        for name, value in zip(self.parameter_names, self.values, strict=True):
            if not math.isfinite(value) or (is_positive(name) and value <= 0):
                raise ValidationError(
                    f"{name} must be {'> 0' if is_positive(name) else 'finite'}", field=name
                )
        draws = self.parameter_draws
        if draws is not None and (draws.ndim != 2 or draws.shape[1] != len(self.parameter_names)):
            raise ValidationError(
                "parameter_draws must be (n_draws, n_params)", field="parameter_draws"
            )

    @property
    def has_temperature_dependence(self) -> bool:
        """Whether the model has an activation energy."""
        return "ea_kj_per_mol" in self.parameter_names

    def value(self, name: str) -> float:
        """One parameter's estimate."""
        return self.values[self.parameter_names.index(name)]

    def _temperature(self, temperature_k: float | FloatArray, n: int) -> FloatArray:
        temperature = np.broadcast_to(np.asarray(temperature_k, dtype=float), (n,)).astype(float)
        if not np.all(np.isfinite(temperature)) or np.any(temperature <= 0):
            raise ValidationError(
                "temperature must be a positive number of K", field="temperature_k"
            )
        if not self.has_temperature_dependence and np.any(
            np.abs(temperature - self.t_ref_k) > T_REF_TOLERANCE_K
        ):
            raise ValidationError(
                f"model {self.name!r} has no temperature dependence: it answers only at "
                f"{self.t_ref_k:.2f} K",
                field="temperature_k",
            )
        return temperature

    def rate_per_s(
        self, molality: Mapping[str, FloatArray | float], temperature_k: float | FloatArray
    ) -> FloatArray | float:
        """k(m, T) in 1/s, vectorised over points (a float for scalar input).

        Raises:
            ValidationError: an unknown CPA with non-zero molality, a negative molality, a
                bad temperature (field named).
        """
        scalar = all(np.ndim(v) == 0 for v in molality.values()) and np.ndim(temperature_k) == 0
        rate = self._rates(np.asarray(self.values), molality, temperature_k)
        return float(rate[0, 0]) if scalar else rate[0]

    def rate_per_s_draws(
        self, molality: Mapping[str, FloatArray | float], temperature_k: float | FloatArray
    ) -> FloatArray:
        """k for every parameter draw: (n_draws, n). Raises ValidationError without draws."""
        if self.parameter_draws is None:
            raise ValidationError(
                f"model {self.name!r} has no parameter draws", field="parameter_draws"
            )
        return self._rates(self.parameter_draws, molality, temperature_k)

    def _rates(
        self,
        values: FloatArray,
        molality: Mapping[str, FloatArray | float],
        temperature_k: float | FloatArray,
    ) -> FloatArray:
        """k for each parameter vector (rows of ``values``) at each point: (n_sets, n)."""
        x, n = _dimensionless(self.cpas, molality)
        if n == 1 and np.ndim(temperature_k) == 1:
            n = int(np.size(temperature_k))
            x = np.broadcast_to(x, (x.shape[0], n))
        temperature = self._temperature(temperature_k, n)
        rate, _ = rates_and_jacobian(
            self.cpas, self.parameter_names, values, x, temperature, self.t_ref_k
        )
        return rate

    def compiled_rate(
        self, solutes: Sequence[str], temperature_k: float
    ) -> Callable[[FloatArray], float]:
        """k(m) at one temperature as a fast function of a molality vector in ``solutes`` order.

        The rate of :meth:`rate_per_s` (a unit test checks they agree to 1e-12), assembled once
        from the parameters so that an ODE right-hand side can call it thousands of times:
        :meth:`rate_per_s` checks its input and goes through numpy on every call, which costs
        more than the arithmetic for ≤ 5 CPAs. Negative entries count as 0 (a solver's
        undershoot); the model's CPAs missing from ``solutes`` count as 0.

        Raises:
            ValidationError: a solute the model does not know (``field = "molality"``), or a
                temperature the model does not answer at (``field = "temperature_k"``).
        """
        self._temperature(temperature_k, 1)
        keys = [c.casefold() for c in self.cpas]
        unknown = [name for name in solutes if name.casefold() not in keys]
        if unknown:
            raise ValidationError(
                f"{unknown} not CPAs of the toxicity model {self.name!r} (it knows "
                f"{list(self.cpas)})",
                field="molality",
            )
        s = term_structure(self.cpas, self.parameter_names)
        at = {keys.index(name.casefold()): i for i, name in enumerate(solutes)}
        v = self.values
        specific = [
            (at[c], v[s.spec_k[c]], v[s.spec_beta[c]])
            for c in range(s.n_cpas)
            if s.spec_k[c] >= 0 and c in at
        ]
        pairs = [(at[i], at[j], v[index]) for index, i, j in s.pairs if i in at and j in at]
        has_ns = s.ns_k >= 0
        k_ns, beta_ns = (v[s.ns_k], v[s.ns_beta]) if has_ns else (0.0, 1.0)
        ea = v[s.ea] if s.ea >= 0 else 0.0
        theta = math.exp(
            -ea * 1000.0 / GAS_CONSTANT_J_PER_MOL_K * (1.0 / temperature_k - 1.0 / self.t_ref_k)
        )

        def rate(molality: FloatArray) -> float:
            # Plain floats: for ≤ 5 CPAs several times faster than numpy on tiny arrays.
            x = [m if m > 0.0 else 0.0 for m in molality.tolist()]
            total = 0.0
            for i, k, beta in specific:
                if x[i] > 0.0:
                    total += k * x[i] ** beta
            if has_ns:
                load = sum(x)
                if load > 0.0:
                    total += k_ns * load**beta_ns
            for i, j, c in pairs:
                total += c * x[i] * x[j]
            return theta * total if total > 0.0 else 0.0

        return rate

    def with_values(self, values: Sequence[float]) -> KineticToxicityModel:
        """The same model with other parameter values (draws dropped)."""
        return replace(self, values=tuple(float(v) for v in values), parameter_draws=None)

    def intervals(self) -> dict[str, tuple[float, float]] | None:
        """Equal-tailed intervals at ``interval_level`` from the draws (None without draws)."""
        if self.parameter_draws is None or len(self.parameter_draws) < 2:
            return None
        tail = 50.0 * (1.0 - self.interval_level)
        low = np.percentile(self.parameter_draws, tail, axis=0)
        high = np.percentile(self.parameter_draws, 100.0 - tail, axis=0)
        return {
            n: (float(a), float(b)) for n, a, b in zip(self.parameter_names, low, high, strict=True)
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description: equations, parameters with units and intervals, citation."""
        intervals = self.intervals()
        return {
            "name": self.name,
            "kind": "kinetic_multi_cpa",
            "cpas": list(self.cpas),
            "equations": EQUATIONS,
            "citations": CITATIONS,
            "t_ref_k": self.t_ref_k,
            "temperature_dependence": self.has_temperature_dependence,
            "parameters": [
                {
                    "name": name,
                    "value": value,
                    "unit": parameter_unit(name),
                    "meaning": parameter_meaning(name),
                    "interval": list(intervals[name]) if intervals else None,
                    "interval_level": self.interval_level if intervals else None,
                }
                for name, value in zip(self.parameter_names, self.values, strict=True)
            ],
            "n_draws": 0 if self.parameter_draws is None else int(len(self.parameter_draws)),
            "valid_temperature_k": list(self.valid_temperature_k)
            if self.valid_temperature_k
            else None,
            "valid_max_total_molality": self.valid_max_total_molality,
            "source": self.source,
            "provenance": self.provenance,
            "verified": self.verified,
        }

    def applicability(
        self, molality: Mapping[str, FloatArray | float], temperature_k: float | FloatArray
    ) -> list[str]:
        """Why the model's answer at these points is an extrapolation (empty: inside its data)."""
        reasons: list[str] = []
        x, _ = _dimensionless(self.cpas, molality)
        total = float(x.sum(axis=0).max())
        if self.valid_max_total_molality is not None and total > self.valid_max_total_molality * (
            1 + 1e-9
        ):
            reasons.append(
                f"total CPA molality {total:.3g} mol/kg exceeds the highest fitted "
                f"({self.valid_max_total_molality:.3g} mol/kg)"
            )
        if self.valid_temperature_k is not None:
            temperature = np.atleast_1d(np.asarray(temperature_k, dtype=float))
            low, high = self.valid_temperature_k
            if (
                temperature.min() < low - T_REF_TOLERANCE_K
                or temperature.max() > high + T_REF_TOLERANCE_K
            ):
                reasons.append(f"temperature outside the fitted range {low:.2f}–{high:.2f} K")
        return reasons


def _path(
    model: KineticToxicityModel,
    times_s: FloatArray,
    molality: Mapping[str, FloatArray | float],
    temperature_k: FloatArray | float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    times = np.atleast_1d(np.asarray(times_s, dtype=float))
    if times.ndim != 1 or times.size == 0 or not np.all(np.isfinite(times)):
        raise ValidationError(
            "times must be a non-empty 1-D array of finite seconds", field="times_s"
        )
    if np.any(times < 0):
        raise ValidationError("times must not be negative", field="times_s")
    if np.any(np.diff(times) < 0):
        raise ValidationError("times must not decrease", field="times_s")
    x, _ = _dimensionless(model.cpas, molality, times.size)
    temperature = model._temperature(temperature_k, times.size)
    return times, x, temperature


def log_survival(
    model: KineticToxicityModel,
    times_s: FloatArray,
    molality: Mapping[str, FloatArray | float],
    temperature_k: FloatArray | float,
) -> float:
    """ln N(t_end)/N(t_0) = −∫ k dt by the trapezoidal rule over the given path.

    Exact for piecewise-constant exposure when each step is given by its two ends (the
    step's concentration at both its start and end time).
    """
    times, x, temperature = _path(model, times_s, molality, temperature_k)
    rate, _ = rates_and_jacobian(
        model.cpas, model.parameter_names, np.asarray(model.values), x, temperature, model.t_ref_k
    )
    return -float(trapezoid(rate[0], times)) if times.size > 1 else 0.0


def log_survival_draws(
    model: KineticToxicityModel,
    times_s: FloatArray,
    molality: Mapping[str, FloatArray | float],
    temperature_k: FloatArray | float,
) -> FloatArray:
    """:func:`log_survival` for every parameter draw: (n_draws,)."""
    if model.parameter_draws is None:
        raise ValidationError(
            f"model {model.name!r} has no parameter draws", field="parameter_draws"
        )
    times, x, temperature = _path(model, times_s, molality, temperature_k)
    rate, _ = rates_and_jacobian(
        model.cpas, model.parameter_names, model.parameter_draws, x, temperature, model.t_ref_k
    )
    if times.size == 1:
        return np.zeros(len(model.parameter_draws))
    return -np.asarray(trapezoid(rate, times, axis=1), dtype=float)


def surviving_fraction(
    model: KineticToxicityModel,
    times_s: FloatArray,
    molality: Mapping[str, FloatArray | float],
    temperature_k: FloatArray | float,
) -> float:
    """exp(:func:`log_survival`)."""
    return math.exp(log_survival(model, times_s, molality, temperature_k))
