"""The kinetic toxicity model along a protocol: a fast rate function for the ODE integrand,
and the surviving fraction (with its parameter-uncertainty band) of a simulated path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.science.toxicity import (
    KineticToxicityModel,
    log_survival,
    log_survival_draws,
    parameter_kind,
    toxicity_parameter,
)
from cryoprotect.science.transport import ZERO_CELSIUS_K, FloatArray, Trajectory
from cryoprotect.science.transport.summary import IntegrandFactory

GAS_CONSTANT_J_PER_MOL_K = 8.314462618
BAND_LEVEL = 0.90
BAND_METHOD = (
    "every parameter draw of the toxicity model (its bootstrap/profile/published-SE draws) "
    "integrated along the same simulated intracellular molality path; equal-tailed "
    f"{BAND_LEVEL:.0%} interval of exp(-integral of k dt); the transport parameters are not varied"
)
NO_BAND = "no band: the model has no parameter uncertainty"


_Terms = tuple[
    list[tuple[int, float, float]], tuple[bool, float, float], list[tuple[int, int, float]], float
]


def _terms(model: KineticToxicityModel, position: dict[str, int]) -> _Terms:
    """The model's terms indexed by position in the molality vector (absent CPAs dropped)."""
    spec: dict[int, list[float]] = {}
    ns: list[float] = [0.0, 1.0]
    has_ns = False
    pairs: list[tuple[int, int, float]] = []
    ea = 0.0
    for name, value in zip(model.parameter_names, model.values, strict=True):
        kind, cpas = parameter_kind(name)
        index = [position.get(c.casefold(), -1) for c in cpas]
        if kind in ("k_spec", "beta_spec"):
            if index[0] >= 0:
                spec.setdefault(index[0], [0.0, 1.0])[0 if kind == "k_spec" else 1] = value
        elif kind == "k_ns":
            ns[0], has_ns = value, True
        elif kind == "beta_ns":
            ns[1] = value
        elif kind == "c_int":
            if min(index) >= 0:
                pairs.append((index[0], index[1], value))
        else:
            ea = value
    spec_terms = [(i, k, beta) for i, (k, beta) in sorted(spec.items())]
    return spec_terms, (has_ns, ns[0], ns[1]), pairs, ea


def compile_rate(
    model: KineticToxicityModel, solutes: Sequence[str], temperature_k: float
) -> Callable[[FloatArray], float]:
    """k(m) at a fixed temperature as a fast function of a molality vector in ``solutes`` order.

    The same rate as :meth:`KineticToxicityModel.rate_per_s` (a unit test checks it),
    assembled once from the model's parameters so that the ODE right-hand side can call it
    thousands of times (``rate_per_s`` validates its input on every call).

    Raises:
        ValidationError: a permeating solute the model does not know, or a temperature the
            model does not answer at (``field = "temperature_c"``).
    """
    try:
        model.rate_per_s({}, temperature_k)
    except ValidationError as error:
        raise ValidationError(str(error), field="temperature_c") from error
    position = {name.casefold(): i for i, name in enumerate(solutes)}
    unknown = [s for s in solutes if s.casefold() not in {c.casefold() for c in model.cpas}]
    if unknown:
        raise ValidationError(
            f"the toxicity model {model.name!r} knows {list(model.cpas)}, not {unknown}",
            field="candidates",
        )
    spec_terms, (has_ns, k_ns, beta_ns), pairs, ea = _terms(model, position)
    theta = math.exp(
        -ea * 1000.0 / GAS_CONSTANT_J_PER_MOL_K * (1.0 / temperature_k - 1.0 / model.t_ref_k)
    )

    def rate(molality: FloatArray) -> float:
        # Plain floats: for ≤ 5 CPAs this is several times faster than numpy on tiny arrays.
        x = [v if v > 0.0 else 0.0 for v in molality.tolist()]
        total = 0.0
        for i, k, beta in spec_terms:
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


def rate_integrand(model: KineticToxicityModel) -> IntegrandFactory:
    """The integrand factory for :func:`~cryoprotect.science.transport.summarize`:
    ∫ k dt over a protocol is then −ln(surviving fraction)."""

    def factory(solutes: tuple[str, ...], temperature_c: float) -> Callable[[FloatArray], float]:
        return compile_rate(model, solutes, temperature_c + ZERO_CELSIUS_K)

    return factory


@dataclass(frozen=True)
class Survival:
    """Predicted surviving fraction of a protocol with its uncertainty band.

    Attributes:
        log_survival: −∫ k dt along the simulated path (trapezoidal rule on its points).
        surviving_fraction: exp(log_survival).
        band: (low, high) surviving fraction at :data:`BAND_LEVEL`, or None.
        band_reason: why there is no band (None when there is one).
        n_draws: parameter draws used.
        extrapolation: why the toxicity model's answer is an extrapolation (empty: inside
            its data).
    """

    log_survival: float
    surviving_fraction: float
    band: tuple[float, float] | None
    band_reason: str | None
    n_draws: int
    extrapolation: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "log_survival": self.log_survival,
            "surviving_fraction": self.surviving_fraction,
            "band": None
            if self.band is None
            else {"low": self.band[0], "high": self.band[1], "level": BAND_LEVEL},
            "band_method": BAND_METHOD if self.band is not None else None,
            "band_reason": self.band_reason,
            "n_draws": self.n_draws,
            "extrapolation": list(self.extrapolation),
        }


def path_survival(model: KineticToxicityModel, trajectory: Trajectory) -> Survival:
    """The surviving fraction along a simulated protocol, with the band from the draws."""
    temperature_k = (
        np.array([trajectory.steps[i].temperature_c for i in trajectory.step_index])
        + ZERO_CELSIUS_K
        if trajectory.steps
        else ZERO_CELSIUS_K + 20.0
    )
    path = trajectory.intracellular_molality
    value = log_survival(model, trajectory.time_s, path, temperature_k)
    extrapolation = tuple(model.applicability(path, temperature_k))
    if model.parameter_draws is None or len(model.parameter_draws) < 2:
        return Survival(value, math.exp(value), None, NO_BAND, 0, extrapolation)
    draws = np.exp(log_survival_draws(model, trajectory.time_s, path, temperature_k))
    tail = 50.0 * (1.0 - BAND_LEVEL)
    low, high = np.percentile(draws, [tail, 100.0 - tail])
    return Survival(
        value, math.exp(value), (float(low), float(high)), None, len(draws), extrapolation
    )


BENSON_RATE_NOTE = (
    "the Benson, Kearsley & Higgins (2012) cost written as a first-order rate "
    "k = sum_i 1/s x (m_i / 1 mol/kg)^alpha_i with the shipped exponents (params/toxicity.csv, "
    "verified=false): the rate scale is arbitrary, so only ratios of -ln S between protocols "
    "mean anything (they equal ratios of the Benson cost J); surviving fractions do not"
)


def benson_rate_model(cpas: Sequence[str], *, t_ref_k: float = 295.15) -> KineticToxicityModel:
    """The shipped Benson cost as a :class:`KineticToxicityModel` (see :data:`BENSON_RATE_NOTE`).

    No temperature dependence (Benson et al. worked at one temperature): the model answers
    only at ``t_ref_k``.
    """
    names: list[str] = []
    values: list[float] = []
    sources = []
    for cpa in cpas:
        parameter = toxicity_parameter(cpa)
        names += [f"k_spec[{cpa}]", f"beta_spec[{cpa}]"]
        values += [1.0, parameter.exponent]
        sources.append(parameter.source)
    return KineticToxicityModel(
        name="Benson 2012 cost as a rate (unit scale)",
        cpas=tuple(cpas),
        parameter_names=tuple(names),
        values=tuple(values),
        t_ref_k=t_ref_k,
        source="; ".join(dict.fromkeys(sources)) + " — " + BENSON_RATE_NOTE,
        provenance="estimated",
        verified=False,
    )
