"""Acquisition functions, batch selection, candidate sampling and constraint checks
(issue 14, item 4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cryoprotect.errors import ValidationError
from cryoprotect.ml import acquisition as acq
from cryoprotect.services import suggestions as sug

pytestmark = pytest.mark.unit


def test_expected_improvement_matches_the_closed_form() -> None:
    # Jones et al. 1998: EI = (mu - best) Phi(u) + sigma phi(u), u = (mu - best)/sigma.
    mean, std, best = np.array([1.0, 0.0, -1.0]), np.array([0.5, 2.0, 0.1]), 0.2
    s = acq.expected_improvement(mean, std, best)
    u = (mean - best) / std
    expected = (mean - best) * stats.norm.cdf(u) + std * stats.norm.pdf(u)
    np.testing.assert_allclose(s.value, expected, rtol=1e-12)
    np.testing.assert_allclose(s.exploit + s.explore, expected, rtol=1e-12)
    # a Monte-Carlo check of the first entry: E[max(Y - best, 0)]
    draws = np.random.default_rng(0).normal(1.0, 0.5, 400_000)
    assert s.value[0] == pytest.approx(np.maximum(draws - best, 0).mean(), rel=5e-3)


def test_ei_labels_exploit_for_a_sure_gain_and_explore_for_a_wide_guess() -> None:
    s = acq.expected_improvement(np.array([2.0, -1.0]), np.array([0.1, 3.0]), 0.0)
    assert acq.label(s.exploit[0], s.explore[0]) == "exploit"
    assert acq.label(s.exploit[1], s.explore[1]) == "explore"


def test_ucb_terms() -> None:
    s = acq.upper_confidence_bound(np.array([1.0]), np.array([0.5]), 0.25, kappa=2.0)
    assert s.value[0] == pytest.approx(2.0)
    assert s.exploit[0] == pytest.approx(0.75) and s.explore[0] == pytest.approx(1.0)


def test_local_penalisation_spreads_the_batch() -> None:
    # A cluster of five close candidates with the highest acquisition and one slightly
    # worse candidate far away, all below the best measured value (so each pick excludes a
    # ball of radius (M - mu_j)/L around it). Greedy takes two of the cluster; local
    # penalisation must take the far one second.
    Z = np.array([[0.0], [0.1], [0.2], [0.3], [0.4], [5.0]])
    mean = np.array([1.0, 1.0, 0.99, 0.98, 0.97, 0.9])
    std = np.full(6, 0.3)
    scores = acq.expected_improvement(mean, std, 1.2)
    assert scores.value[5] < scores.value[:5].min()
    assert acq.greedy_batch(mean, 2).tolist() == [0, 1]
    batch = acq.select_batch(scores, mean, std, Z, 2, best=1.2, rule="expected_improvement")
    assert batch.indices.tolist() == [0, 5]
    assert batch.lipschitz == pytest.approx(0.1)  # nearest-neighbour slopes: 0, 0.1, 0.1, 0.1


def test_batch_respects_eligibility_and_size() -> None:
    Z = np.arange(10, dtype=float)[:, None]
    mean = np.linspace(0, 1, 10)
    std = np.full(10, 0.2)
    scores = acq.upper_confidence_bound(mean, std, 0.5)
    eligible = np.zeros(10, dtype=bool)
    eligible[[1, 3, 5]] = True
    batch = acq.select_batch(
        scores, mean, std, Z, 5, best=0.5, rule="upper_confidence_bound", eligible=eligible
    )
    assert sorted(batch.indices.tolist()) == [1, 3, 5]


def test_sobol_candidates_stay_in_the_space() -> None:
    space = acq.CandidateSpace(
        (
            acq.IngredientRange("A", "mol/L", 0.5, 2.0),
            acq.IngredientRange("B", "% w/v", 0.0, 10.0),
            acq.IngredientRange("C", "mol/L", 0.1, 0.3),
            acq.IngredientRange("D", "mol/L", 0.0, 1.0),
        ),
        max_ingredients=2,
    )
    for method in acq.SAMPLERS:
        x = acq.sample_candidates(space, 300, seed=3, method=method)
        assert x.shape == (300, 4)
        present = x > 0
        assert present.sum(axis=1).min() >= 1 and present.sum(axis=1).max() <= 2
        for j, ing in enumerate(space.ingredients):
            col = x[present[:, j], j]
            assert col.min() >= ing.low and col.max() <= ing.high
        # every ingredient is used, and both counts occur
        assert present.any(axis=0).all()
        assert set(present.sum(axis=1).tolist()) == {1, 2}
    again = acq.sample_candidates(space, 300, seed=3)
    np.testing.assert_array_equal(again, acq.sample_candidates(space, 300, seed=3))


def test_space_rejects_bad_ranges() -> None:
    with pytest.raises(ValidationError) as caught:
        acq.CandidateSpace((acq.IngredientRange("A", "mol/L", 2.0, 1.0),), max_ingredients=1)
    assert caught.value.field == "ingredients[0]"


def test_uncertainty_sources_of_real_estimators() -> None:
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline

    from cryoprotect.ml.conformal import fit_cv_plus

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (40, 2))
    y = X[:, 0] * 2 + rng.normal(0, 0.05, 40)

    class Model:
        level = 0.9

        def __init__(self, estimator):
            self.estimator = Pipeline([("model", estimator)]).fit(X, y)
            folds = [
                (np.flatnonzero(np.arange(40) % 4 != k), np.flatnonzero(np.arange(40) % 4 == k))
                for k in range(4)
            ]
            self.conformal = fit_cv_plus(lambda: Pipeline([("model", Ridge())]), X, y, folds, 0.9)

    gp = acq.predictive(Model(GaussianProcessRegressor(optimizer=None)), X[:3])
    assert gp.uncertainty_source == "gaussian_process_std"
    rf_model = Model(RandomForestRegressor(n_estimators=20, random_state=0))
    rf = acq.predictive(rf_model, X[:3])
    assert rf.uncertainty_source == "random_forest_tree_spread"
    trees = np.vstack([t.predict(X[:3]) for t in rf_model.estimator[-1].estimators_])
    np.testing.assert_allclose(rf.std, trees.std(axis=0))
    ridge_model = Model(Ridge())
    ridge = acq.predictive(ridge_model, X[:3])
    assert ridge.uncertainty_source == "conformal_half_width"
    lower, upper = ridge_model.conformal.interval(X[:3])
    np.testing.assert_allclose(ridge.std, (upper - lower) / (2 * stats.norm.ppf(0.95)))


def test_melting_point_limit_needs_a_value_or_a_proving_bound() -> None:
    assert sug.satisfies_max_melting_point({"value": -5.0}, -3.0)[0] is True
    assert sug.satisfies_max_melting_point({"value": -1.0}, -3.0)[0] is False
    below = {"quantity": "ice_melting_point", "relation": "below", "value": -4.0}
    assert sug.satisfies_max_melting_point({"value": None, "bound": below}, -3.0)[0] is True
    weak = {"quantity": "ice_melting_point", "relation": "below", "value": -2.0}
    assert sug.satisfies_max_melting_point({"value": None, "bound": weak}, -3.0)[0] is False
    # a lower bound (e.g. a solute liquidus 'above') never proves a maximum
    above = {"quantity": "solute_liquidus", "relation": "above", "value": -40.0}
    assert sug.satisfies_max_melting_point({"value": None, "bound": above}, -3.0)[0] is False
    ok, text = sug.satisfies_max_melting_point({"value": None, "bound": None, "reason": "r"}, -3.0)
    assert ok is False and "not proven" in text


def test_osmolality_limit_unproven_is_not_satisfied() -> None:
    assert sug.satisfies_max_osmolality({"value": 1.0}, 2.0)[0] is True
    assert sug.satisfies_max_osmolality({"value": 3.0}, 2.0)[0] is False
    above = {"relation": "above", "value": 0.5}
    ok, text = sug.satisfies_max_osmolality({"value": None, "bound": above, "reason": "r"}, 2.0)
    assert ok is False and "not proven" in text
    ok, text = sug.satisfies_max_osmolality(
        {"value": None, "bound": {"relation": "above", "value": 3.0}}, 2.0
    )
    assert ok is False and "bound" in text


def test_physics_of_a_known_binary_and_of_a_solute_without_molar_mass() -> None:
    from cryoprotect.ml.components import default_library

    lib = default_library()
    glycerol = lib.get("Glycerol")
    answer = sug.physics([glycerol], [1.0], [8.4])
    assert answer["melting_point"]["value"] is not None
    # glycerol 1 mol/kg: about -1.9 °C x 1 osmol/kg (CRC: -1.96 °C at 8.5 % w/w)
    assert -2.3 < answer["melting_point"]["value"] < -1.7
    fbs = lib.get("Fetal bovine serum")
    unknown = sug.physics([glycerol, fbs], [1.0, math.nan], [8.0, 10.0])
    assert unknown["melting_point"]["value"] is None
    assert "no defined molar mass" in unknown["melting_point"]["reason"]
