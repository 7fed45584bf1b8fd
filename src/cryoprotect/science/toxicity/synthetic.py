"""Synthetic-truth check of the toxicity fitting (issue 16, "Synthetic truth").

Exposure experiments are simulated from a known :class:`KineticToxicityModel` — each
experiment group measures every condition of a design at every exposure time, viability
= exp(−k t) + Gaussian noise (the error model the fit assumes) — and fitted back with
:func:`fit_kinetic_model`. :func:`coverage_study` counts how often the reported 90 %
intervals contain the true values over many simulated data sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.science.toxicity.fitting import ExposureObservation, ModelSpec, fit_kinetic_model
from cryoprotect.science.toxicity.kinetic import KineticToxicityModel


def simulate_observations(
    truth: KineticToxicityModel,
    conditions: Sequence[tuple[Mapping[str, float], float]],
    times_s: Sequence[float],
    *,
    n_groups: int,
    noise_sd: float,
    rng: np.random.Generator,
) -> list[ExposureObservation]:
    """One simulated data set: ``n_groups`` experiments × conditions (molality, T) × times."""
    observations = []
    for g in range(n_groups):
        for molality, temperature in conditions:
            rate = float(truth.rate_per_s(molality, temperature))
            for t in times_s:
                value = np.exp(-rate * t) + rng.normal(0.0, noise_sd)
                observations.append(
                    ExposureObservation(
                        group=f"experiment {g + 1}",
                        molality=dict(molality),
                        time_s=float(t),
                        temperature_k=float(temperature),
                        viability=float(np.clip(value, 0.0, 1.5)),
                    )
                )
    return observations


@dataclass(frozen=True)
class CoverageResult:
    """How often the 90 % intervals held the truth."""

    n_datasets: int
    parameter_names: tuple[str, ...]
    covered: tuple[int, ...]  # per parameter
    bounded: tuple[int, ...]  # data sets in which the parameter got a finite interval
    pooled: float  # covered / bounded over all parameters

    def per_parameter(self) -> dict[str, float]:
        """Coverage of each parameter over the data sets where it had an interval."""
        return {
            n: c / b if b else float("nan")
            for n, c, b in zip(self.parameter_names, self.covered, self.bounded, strict=True)
        }


def coverage_study(
    truth: KineticToxicityModel,
    spec: ModelSpec,
    conditions: Sequence[tuple[Mapping[str, float], float]],
    times_s: Sequence[float],
    *,
    n_datasets: int = 100,
    n_groups: int = 8,
    noise_sd: float = 0.04,
    n_bootstrap: int = 200,
    seed: int = 0,
) -> CoverageResult:
    """Fit ``n_datasets`` simulated data sets and count interval coverage of the true values."""
    names = spec.parameter_names()
    if names != truth.parameter_names:
        raise ValidationError("the spec and the true model have different parameters", field="spec")
    rng = np.random.default_rng(seed)
    covered = np.zeros(len(names), dtype=int)
    bounded = np.zeros(len(names), dtype=int)
    for d in range(n_datasets):
        data = simulate_observations(
            truth, conditions, times_s, n_groups=n_groups, noise_sd=noise_sd, rng=rng
        )
        fit = fit_kinetic_model(data, spec, n_bootstrap=n_bootstrap, seed=seed + d, held_out=False)
        for k, parameter in enumerate(fit.parameters):
            if parameter.fixed or parameter.low is None or parameter.high is None:
                continue
            bounded[k] += 1
            covered[k] += int(parameter.low <= truth.values[k] <= parameter.high)
    total = int(bounded.sum())
    return CoverageResult(
        n_datasets=n_datasets,
        parameter_names=names,
        covered=tuple(int(c) for c in covered),
        bounded=tuple(int(b) for b in bounded),
        pooled=float(covered.sum() / total) if total else float("nan"),
    )
