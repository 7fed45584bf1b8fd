"""Cocktail designer (issue 16, item 3): feasibility, Pareto dominance, binding constraints,
the uncertainty band, and the one-CPA reduction.

The toxicity parameters below are ILLUSTRATIVE, made up for these tests only (no published
multi-CPA parameters could be read here); they are never shipped. They only need to make
the CPAs differ in toxicity so that the designer has something to choose.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cryoprotect.errors import InfeasibleProtocolError, ValidationError
from cryoprotect.science.cells import get_cell_type
from cryoprotect.science.cocktail import (
    NO_BAND,
    VitrificationTarget,
    design_cocktail,
    design_for_composition,
    fraction_grid,
    path_survival,
    rate_integrand,
)
from cryoprotect.science.protocols import Limits
from cryoprotect.science.toxicity import (
    KineticToxicityModel,
    log_survival,
    standard_parameter_names,
)
from cryoprotect.science.transport import summarize

CPAS = ("Glycerol", "Dimethyl sulfoxide", "Propylene glycol", "Ethylene glycol")
NAMES = standard_parameter_names(
    CPAS, nonspecific=True, interactions=[("Glycerol", "Dimethyl sulfoxide")], temperature=True
)
# ILLUSTRATIVE values (test only): k_spec/beta_spec per CPA, k_ns/beta_ns, c_int, Ea.
VALUES = (2e-5, 1.6, 6e-5, 1.6, 8e-5, 1.6, 3e-5, 1.6, 1e-6, 2.0, -5e-6, 60.0)
T_REF_K = 295.15


def _model(draws: bool = True) -> KineticToxicityModel:
    sample = None
    if draws:
        rng = np.random.default_rng(0)
        sample = np.array(VALUES) * np.exp(rng.normal(0.0, 0.1, (40, len(VALUES))))
    return KineticToxicityModel(
        "illustrative (test only)", CPAS, NAMES, VALUES, T_REF_K, parameter_draws=sample
    )


CELL = get_cell_type("generic_mammalian")
TARGET = VitrificationTarget(min_total_molality_mol_per_kg=3.0)


@pytest.fixture(scope="module")
def two_cpa():
    return design_cocktail(
        CELL,
        ["Dimethyl sulfoxide", "Propylene glycol"],
        _model(),
        temperature_c=22.0,
        vitrification=TARGET,
        max_steps=2,
        composition_step=0.5,
        pareto_levels=3,
    )


def test_compiled_rate_is_the_models_rate():
    model = _model(draws=False)
    names = ("Glycerol", "Dimethyl sulfoxide", "Propylene glycol")
    rng = np.random.default_rng(1)
    for temperature_k in (277.15, 295.15, 310.15):
        rate = model.compiled_rate(names, temperature_k)
        for _ in range(20):
            m = rng.uniform(0.0, 6.0, 3) * (rng.uniform(size=3) > 0.3)
            expected = model.rate_per_s(dict(zip(names, m, strict=True)), temperature_k)
            assert rate(m) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    with pytest.raises(ValidationError) as unknown:
        model.compiled_rate(("Glycerol", "Formamide"), 295.15)
    assert unknown.value.field == "molality"


def test_fraction_grid_covers_the_simplex():
    grid = fraction_grid(3, 0.1)
    assert len(grid) == 66
    assert all(math.isclose(sum(v), 1.0) for v in grid)
    assert fraction_grid(1, 0.1) == [(1.0,)]


def test_design_meets_every_constraint(two_cpa):
    best = two_cpa.best
    assert best.feasible
    assert best.vitrification.met
    assert sum(best.molality.values()) == pytest.approx(3.0, rel=1e-3)
    assert best.protocol.within_limits
    assert CELL.min_volume_fraction <= best.protocol.min_volume_fraction
    assert best.protocol.max_volume_fraction <= CELL.max_volume_fraction
    assert 0.0 < best.survival.surviving_fraction < 1.0
    # The chosen design is the best feasible point found.
    assert all(
        p.survival.surviving_fraction <= best.survival.surviving_fraction for p in two_cpa.pareto
    )
    document = two_cpa.as_dict()
    assert document["best"]["steps"] and document["pareto"]


def test_pareto_front_has_no_dominated_point(two_cpa):
    front = two_cpa.pareto
    assert len(front) >= 2
    for p in front:
        for q in front:
            if p is q:
                continue
            qm, pm = q.vitrification.margin, p.vitrification.margin
            qs, ps = q.survival.surviving_fraction, p.survival.surviving_fraction
            assert not (qm >= pm and qs >= ps and (qm > pm or qs > ps))
    margins = [p.vitrification.margin for p in front]
    assert margins == sorted(margins)


def test_binding_constraints_are_at_their_limits(two_cpa):
    binding = {b.constraint: b for b in two_cpa.best.binding}
    assert "vitrification.min_total_molality" in binding
    for b in binding.values():
        if b.constraint.startswith("vitrification"):
            assert b.value == pytest.approx(b.limit, abs=1e-3)
        elif b.constraint.endswith("volume_fraction"):
            assert abs(b.value - b.limit) <= 0.01


def test_time_limit_binds_or_fails_by_name():
    with pytest.raises(InfeasibleProtocolError) as caught:
        design_cocktail(
            CELL,
            ["Dimethyl sulfoxide"],
            _model(),
            temperature_c=22.0,
            vitrification=TARGET,
            max_steps=1,
            max_total_time_s=5.0,
            pareto_levels=1,
            limits=Limits(0.2, 3.0),
        )
    assert caught.value.details["constraint"] == "max_total_time_s"


def test_band_from_draws_and_none_without(two_cpa):
    best = two_cpa.best
    band = best.survival.band
    assert band is not None and band[0] < band[1]
    assert band[0] <= best.survival.surviving_fraction <= band[1]
    assert best.survival.n_draws == 40
    # One draw recomputed by hand lies where the band says draws lie.
    model = _model()
    trajectory = best.protocol.trajectory
    temperature = np.array([trajectory.steps[i].temperature_c for i in trajectory.step_index])
    assert model.parameter_draws is not None
    values = [
        math.exp(
            log_survival(
                model.with_values(d),
                trajectory.time_s,
                trajectory.intracellular_molality,
                temperature + 273.15,
            )
        )
        for d in model.parameter_draws
    ]
    tail = np.percentile(values, [5.0, 95.0])
    assert band == pytest.approx(tuple(tail), rel=1e-9)
    plain = path_survival(_model(draws=False), trajectory)
    assert plain.band is None and plain.band_reason == NO_BAND
    assert plain.surviving_fraction == pytest.approx(best.survival.surviving_fraction)


def test_fine_path_agrees_with_the_optimisers_integral(two_cpa):
    # Trapezoidal rule on the fine simulation vs the ODE-integrated -ln S of design_steps.
    best = two_cpa.best
    steps = [*best.protocol.addition, *best.protocol.removal]
    exact = summarize(CELL, steps, integrand=rate_integrand(_model()), rtol=1e-9).power_integral
    assert -best.survival.log_survival == pytest.approx(exact, rel=0.02)


def test_single_candidate_reduces_to_a_one_cpa_design():
    design = design_cocktail(
        CELL,
        ["dimethyl sulfoxide"],
        _model(),
        temperature_c=22.0,
        vitrification=TARGET,
        max_steps=2,
        pareto_levels=1,
    )
    assert design.candidates == ("Dimethyl sulfoxide",)
    assert list(design.best.molality) == ["Dimethyl sulfoxide"]
    assert design.best.molality["Dimethyl sulfoxide"] == pytest.approx(3.0, rel=1e-3)
    fixed = design_for_composition(
        CELL,
        {"Dimethyl sulfoxide": 3.0},
        _model(),
        temperature_c=22.0,
        vitrification=TARGET,
        max_steps=2,
    )
    assert fixed.survival.surviving_fraction == pytest.approx(
        design.best.survival.surviving_fraction, rel=1e-3
    )


def test_infeasible_and_invalid_requests_name_the_constraint():
    with pytest.raises(InfeasibleProtocolError) as caught:
        design_cocktail(
            CELL,
            ["Dimethyl sulfoxide"],
            _model(),
            temperature_c=22.0,
            vitrification=VitrificationTarget(min_total_mass_percent=95.0),
            pareto_levels=1,
        )
    assert caught.value.details["constraint"] == "vitrification.min_total_mass_percent"
    with pytest.raises(InfeasibleProtocolError) as caught:
        design_cocktail(
            CELL,
            ["Dimethyl sulfoxide"],
            _model(),
            temperature_c=22.0,
            vitrification=TARGET,
            limits=Limits(0.98, 1.02),
            max_steps=1,
            pareto_levels=1,
        )
    assert caught.value.details["constraint"] in ("min_volume_fraction", "max_volume_fraction")
    with pytest.raises(ValidationError) as invalid:
        design_cocktail(CELL, ["Formamide"], _model(), temperature_c=22.0, vitrification=TARGET)
    assert invalid.value.field == "candidates"
    with pytest.raises(ValidationError) as invalid:
        design_cocktail(
            CELL,
            ["Dimethyl sulfoxide"],
            _model(),
            temperature_c=22.0,
            vitrification=VitrificationTarget(),
        )
    assert invalid.value.field == "vitrification"
    # Rates alone cannot judge DMSO + glycerol (no critical-rate data, no named solution).
    with pytest.raises(ValidationError) as invalid:
        design_cocktail(
            CELL,
            ["Dimethyl sulfoxide", "Glycerol"],
            _model(),
            temperature_c=22.0,
            vitrification=VitrificationTarget(cooling_rate_c_per_min=100.0),
            composition_step=0.5,
        )
    assert invalid.value.field == "vitrification"
    no_temperature = KineticToxicityModel("no Ea", CPAS, NAMES[:-1], VALUES[:-1], T_REF_K)
    with pytest.raises(ValidationError) as invalid:
        design_cocktail(
            CELL, ["Dimethyl sulfoxide"], no_temperature, temperature_c=4.0, vitrification=TARGET
        )
    assert invalid.value.field == "temperature_c"


def test_rates_alone_find_the_named_solution_they_know():
    # DMSO + propylene glycol at equal proportions: the only composition the critical-rate
    # models judge is DP6 (published CCR 40 degC/min), recognised by its molarities.
    design = design_cocktail(
        CELL,
        ["Dimethyl sulfoxide", "Propylene glycol"],
        _model(),
        temperature_c=22.0,
        vitrification=VitrificationTarget(cooling_rate_c_per_min=100.0),
        composition_step=0.5,
        max_steps=2,
        pareto_levels=1,
        limits=Limits(0.3, 3.0),
    )
    best = design.best
    assert best.vitrification.criterion == "critical_rates"
    assert any("Han" in s for s in best.vitrification.sources)
    assert best.vitrification.margin == pytest.approx(math.log10(100.0 / 40.0), rel=1e-6)
    assert set(best.molality) == {"Dimethyl sulfoxide", "Propylene glycol"}
