"""Kinetic multi-CPA toxicity model and its fitting (issue 16, item 1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.science.toxicity import (
    ExposureObservation,
    KineticToxicityModel,
    ModelSpec,
    fit_kinetic_model,
    held_out_errors,
    likelihood_ratio_test,
    log_survival,
    log_survival_draws,
    standard_parameter_names,
    surviving_fraction,
    toxicity_cost,
)
from cryoprotect.science.toxicity.fitting import cluster_inflation
from cryoprotect.science.toxicity.kinetic import GAS_CONSTANT_J_PER_MOL_K
from cryoprotect.science.toxicity.synthetic import simulate_observations

T_REF = 295.15
GLY, FA = "Glycerol", "Formamide"


def model(
    *, k=(2e-5, 1e-4), beta=(1.5, 1.2), c=None, ns=None, ea=None, draws=None
) -> KineticToxicityModel:
    names = standard_parameter_names(
        (GLY, FA),
        nonspecific=ns is not None,
        interactions=((GLY, FA),) if c is not None else (),
        temperature=ea is not None,
    )
    values = [k[0], beta[0], k[1], beta[1]]
    if ns is not None:
        values += list(ns)
    if c is not None:
        values.append(c)
    if ea is not None:
        values.append(ea)
    return KineticToxicityModel(
        "test", (GLY, FA), names, tuple(values), T_REF, parameter_draws=draws
    )


def test_zero_concentration_gives_zero_rate() -> None:
    m = model(c=-1e-5, ns=(1e-6, 2.0), ea=60.0)
    assert m.rate_per_s({}, T_REF) == 0.0
    assert m.rate_per_s({GLY: 0.0, FA: 0.0}, 280.0) == 0.0


def test_power_law_of_one_cpa() -> None:
    m = model()
    for molality in (0.5, 1.0, 3.0, 7.0):
        assert m.rate_per_s({GLY: molality}, T_REF) == pytest.approx(
            2e-5 * molality**1.5, rel=1e-12
        )
    # names match case-insensitively
    assert m.rate_per_s({"glycerol": 2.0}, T_REF) == pytest.approx(2e-5 * 2.0**1.5)


def test_nonspecific_term_acts_on_the_total_load() -> None:
    m = model(ns=(1e-6, 2.0))
    mixed = m.rate_per_s({GLY: 2.0, FA: 1.0}, T_REF)
    parts = 2e-5 * 2.0**1.5 + 1e-4 * 1.0**1.2
    assert mixed == pytest.approx(parts + 1e-6 * 3.0**2.0, rel=1e-12)


def test_arrhenius_temperature_dependence() -> None:
    m = model(ea=60.0)
    cold, warm = m.rate_per_s({GLY: 3.0}, 277.15), m.rate_per_s({GLY: 3.0}, T_REF)
    expected = math.exp(-60e3 / GAS_CONSTANT_J_PER_MOL_K * (1 / 277.15 - 1 / T_REF))
    assert cold / warm == pytest.approx(expected, rel=1e-12)
    assert cold < warm
    assert m.rate_per_s({GLY: 3.0}, T_REF) == pytest.approx(2e-5 * 3.0**1.5)


def test_model_without_activation_energy_answers_only_at_its_temperature() -> None:
    with pytest.raises(ValidationError) as error:
        model().rate_per_s({GLY: 3.0}, 277.15)
    assert error.value.field == "temperature_k"


def test_interaction_sign() -> None:
    composition = {GLY: 3.0, FA: 2.0}
    alone = model().rate_per_s(composition, T_REF)
    assert model(c=-1e-5).rate_per_s(composition, T_REF) == pytest.approx(alone - 6e-5)
    assert model(c=+1e-5).rate_per_s(composition, T_REF) == pytest.approx(alone + 6e-5)
    # a strongly antagonistic pair cancels toxicity but never creates viability
    assert model(c=-1.0).rate_per_s(composition, T_REF) == 0.0


def test_vectorised_rate_and_survival_of_piecewise_exposure() -> None:
    m = model()
    rates = m.rate_per_s({GLY: np.array([0.0, 2.0, 4.0])}, np.full(3, T_REF))
    assert np.allclose(rates, [0.0, 2e-5 * 2**1.5, 2e-5 * 4**1.5])
    # two steps, each given by its two ends: exact
    times = np.array([0.0, 600.0, 600.0, 1500.0])
    gly = np.array([2.0, 2.0, 4.0, 4.0])
    expected = -(2e-5 * 2**1.5 * 600 + 2e-5 * 4**1.5 * 900)
    assert log_survival(m, times, {GLY: gly}, T_REF) == pytest.approx(expected, rel=1e-12)
    assert surviving_fraction(m, times, {GLY: gly}, T_REF) == pytest.approx(math.exp(expected))


def test_draws_propagate() -> None:
    values = np.array(model().values)
    draws = np.array([values, values * [2, 1, 1, 1], values * [0.5, 1, 1, 1]])
    m = model(draws=draws)
    per_draw = log_survival_draws(m, np.array([0.0, 1000.0]), {GLY: np.array([3.0, 3.0])}, T_REF)
    assert per_draw == pytest.approx(-1000 * 2e-5 * 3**1.5 * np.array([1.0, 2.0, 0.5]))
    assert m.rate_per_s_draws({GLY: 3.0}, T_REF).shape == (3, 1)
    described = m.as_dict()
    assert "Warner" in described["citations"] and "max(0" in described["equations"]
    assert described["parameters"][0]["unit"].startswith("1/s")
    assert described["parameters"][0]["interval"] is not None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m: m.rate_per_s({"Sucrose": 1.0}, T_REF), "molality"),
        (lambda m: m.rate_per_s({GLY: -1.0}, T_REF), "molality"),
        (lambda m: m.rate_per_s({GLY: 1.0}, -3.0), "temperature_k"),
        (lambda m: log_survival(m, np.array([-5.0, 10.0]), {GLY: 1.0}, T_REF), "times_s"),
        (lambda m: log_survival(m, np.array([10.0, 5.0]), {GLY: 1.0}, T_REF), "times_s"),
    ],
)
def test_bad_model_input_names_the_field(call, field) -> None:
    with pytest.raises(ValidationError) as error:
        call(model())
    assert error.value.field == field


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValidationError, match="k_spec"):
        KineticToxicityModel(
            "x", (GLY,), ("k_spec[Glycerol]", "beta_spec[Glycerol]"), (-1.0, 1.0), T_REF
        )
    with pytest.raises(ValidationError, match="not a CPA"):
        KineticToxicityModel(
            "x", (GLY,), ("k_spec[Ethanol]", "beta_spec[Ethanol]"), (1.0, 1.0), T_REF
        )


def test_benson_cost_still_importable_from_the_package() -> None:
    from cryoprotect.science import toxicity

    assert toxicity.toxicity_cost is toxicity_cost
    assert toxicity.toxicity_parameter("Glycerol").exponent == pytest.approx(1.6)


# --- fitting -----------------------------------------------------------------------------

CONDITIONS = [
    ({GLY: g, FA: f}, T_REF)
    for g, f in [(2, 0), (4, 0), (6, 0), (0, 1), (0, 2), (0, 3), (3, 1.5), (4, 2)]
]
TIMES = (300.0, 900.0, 1800.0)
SPEC = ModelSpec(cpas=(GLY, FA), interactions=((GLY, FA),))


def observation(**changes: object) -> ExposureObservation:
    base: dict[str, object] = {
        "group": "plate 1",
        "molality": {GLY: 2.0},
        "time_s": 600.0,
        "temperature_k": T_REF,
        "viability": 0.8,
    }
    base.update(changes)
    return ExposureObservation(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_s": -1.0}, "time_s"),
        ({"viability": 1.6}, "viability"),
        ({"viability": -0.01}, "viability"),
        ({"molality": {"Ethanol": 1.0}}, "molality"),
        ({"temperature_k": 0.0}, "temperature_k"),
    ],
)
def test_bad_observations_name_the_field(changes: dict[str, object], field: str) -> None:
    good = [observation(group=f"plate {i}", time_s=300.0 * (i + 1)) for i in range(6)]
    with pytest.raises(ValidationError) as error:
        fit_kinetic_model([*good, observation(**changes)], SPEC, n_bootstrap=0)
    assert error.value.field == field


def test_noise_free_data_are_fitted_back_exactly() -> None:
    truth = model(c=-1e-5)
    data = simulate_observations(
        truth, CONDITIONS, TIMES, n_groups=3, noise_sd=0.0, rng=np.random.default_rng(0)
    )
    fit = fit_kinetic_model(data, SPEC, n_bootstrap=0, held_out=False)
    assert np.allclose(fit.model.values, truth.values, rtol=1e-4)
    assert max(abs(r) for r in fit.residuals) < 1e-8


def test_noisy_fit_reports_intervals_model_comparison_and_held_out_error() -> None:
    truth = model(c=-2e-5)
    data = simulate_observations(
        truth, CONDITIONS, TIMES, n_groups=8, noise_sd=0.03, rng=np.random.default_rng(3)
    )
    with_pair = fit_kinetic_model(data, SPEC, n_bootstrap=100)
    without = fit_kinetic_model(data, ModelSpec(cpas=(GLY, FA)), n_bootstrap=100)
    assert with_pair.aic < without.aic and with_pair.bic < without.bic
    assert likelihood_ratio_test(without, with_pair) < 1e-3
    assert with_pair.held_out_rmse is not None and with_pair.held_out_rmse < without.held_out_rmse  # type: ignore[operator]
    assert len(with_pair.held_out) == 8 and all(e.informed for e in with_pair.held_out)
    assert with_pair.model.parameter_draws is not None
    assert with_pair.model.parameter_draws.shape == (100, 5)
    for parameter in with_pair.parameters:
        assert parameter.low is not None and parameter.high is not None
        assert parameter.low < parameter.estimate < parameter.high
    assert with_pair.sigma == pytest.approx(0.03, rel=0.25)
    by_condition = held_out_errors(data, SPEC, by="condition")
    assert len(by_condition) == len(CONDITIONS)


def test_unidentifiable_parameters_are_reported_not_hidden() -> None:
    # one concentration per CPA: k_spec and beta_spec cannot be separated
    conditions = [({GLY: 3.0}, T_REF), ({FA: 2.0}, T_REF)]
    truth = model()
    data = simulate_observations(
        truth, conditions, TIMES, n_groups=6, noise_sd=0.02, rng=np.random.default_rng(1)
    )
    fit = fit_kinetic_model(data, ModelSpec(cpas=(GLY, FA)), n_bootstrap=60, held_out=False)
    sloppy = {p.name for p in fit.parameters if p.sloppy}
    assert {"k_spec[Glycerol]", "beta_spec[Glycerol]"} <= sloppy
    assert any("sloppy direction" in w or "correlated" in w for w in fit.warnings)


def test_cluster_inflation_shrinks_towards_one_with_many_groups() -> None:
    assert cluster_inflation(8) > cluster_inflation(30) > 1.0
    assert cluster_inflation(10_000) == pytest.approx(1.0, abs=1e-3)
