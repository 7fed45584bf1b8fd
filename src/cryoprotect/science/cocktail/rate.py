"""The kinetic toxicity model along a protocol: the ODE integrand (the model's compiled rate),
and the surviving fraction (with its parameter-uncertainty band) of a simulated path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryoprotect.science.toxicity import (
    KineticToxicityModel,
    log_survival,
    log_survival_draws,
    toxicity_parameter,
)
from cryoprotect.science.transport import ZERO_CELSIUS_K, FloatArray, Trajectory
from cryoprotect.science.transport.summary import IntegrandFactory

BAND_LEVEL = 0.90
BAND_METHOD = (
    "every parameter draw of the toxicity model (its bootstrap/profile/published-SE draws) "
    "integrated along the same simulated intracellular molality path; equal-tailed "
    f"{BAND_LEVEL:.0%} interval of exp(-integral of k dt); the transport parameters are not varied"
)
NO_BAND = "no band: the model has no parameter uncertainty"


def rate_integrand(model: KineticToxicityModel) -> IntegrandFactory:
    """The integrand factory for :func:`~cryoprotect.science.transport.summarize`:
    ∫ k dt over a protocol is then −ln(surviving fraction). The rate is the model's own
    :meth:`~cryoprotect.science.toxicity.KineticToxicityModel.compiled_rate`."""

    def factory(solutes: tuple[str, ...], temperature_c: float) -> Callable[[FloatArray], float]:
        return model.compiled_rate(solutes, temperature_c + ZERO_CELSIUS_K)

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
