"""Pure vitrification functions: Tg′ from published values, critical rates, verdict, headline.

Published values used: ethylene glycol CCR 569 K/min (40 % w/w) and 11 K/min (50 % w/w), CWR
1.08e10 and 853 K/min (Baudot & Odagescu, Cryobiology 48:283, 2004, abstract); glycerol Tg′
164 K at W′g 76 % w/w (Inaba & Andersson, Thermochim Acta 461:44, 2007) and 170 K (Zhao,
Cao & Wang, Sci Rep 5:15714, 2015); glycerol forms an ice-free glass above 55 % w/w (Inaba).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryoprotect.errors import ValidationError
from cryoprotect.science import vitrification as v

pytestmark = pytest.mark.unit


def test_tg_prime_mean_and_spread_of_published_values() -> None:
    found = v.tg_prime("glycerol")
    assert found is not None
    assert found.value_k == pytest.approx(167.0)
    assert (found.low_k, found.high_k) == (164.0, 170.0)
    assert found.wg_prime_mass_fraction == pytest.approx(0.76)
    assert found.provenance == "fitted" and len(found.published) == 2
    assert v.tg_prime("Dimethyl sulfoxide") is None


def test_critical_rate_reproduces_published_points_and_interpolates_in_log() -> None:
    assert v.critical_rate("Ethylene glycol", v.CCR, 0.40).value_c_per_min == 569.0
    assert v.critical_rate("ethylene glycol", v.CCR, 0.50).value_c_per_min == 11.0
    mid = v.critical_rate("Ethylene glycol", v.CCR, 0.45)
    assert mid.value_c_per_min == pytest.approx(math.sqrt(569.0 * 11.0))
    assert mid.status == "within_range" and mid.valid_range_mass_fraction == (0.40, 0.50)
    assert v.critical_rate("Ethylene glycol", v.CWR, 0.50).value_c_per_min == 853.0


def test_critical_rate_outside_the_data_is_null_with_a_bound() -> None:
    low = v.critical_rate("Ethylene glycol", v.CCR, 0.30)
    assert low.value_c_per_min is None and low.status == "outside_range"
    assert low.bound is not None and (low.bound.relation, low.bound.value_c_per_min) == (
        "above",
        569.0,
    )
    high = v.critical_rate("Ethylene glycol", v.CWR, 0.60)
    assert high.bound is not None and (high.bound.relation, high.bound.value_c_per_min) == (
        "below",
        853.0,
    )
    none = v.critical_rate("Glycerol", v.CCR, 0.5)
    assert none.status == "no_data" and none.value_c_per_min is None
    assert none.reason is not None and "Glycerol" in none.reason


@given(st.floats(min_value=0.40, max_value=0.50))
def test_interpolated_rates_stay_between_the_published_points(w: float) -> None:
    rate = v.critical_rate("Ethylene glycol", v.CCR, w).value_c_per_min
    assert rate is not None and 11.0 - 1e-9 <= rate <= 569.0 + 1e-9


def test_verdict_margin_and_bound_decisions() -> None:
    ccr = v.critical_rate("Ethylene glycol", v.CCR, 0.50)
    fast = v.verdict(ccr, 33.0)
    assert fast.outcome == "ice_free" and fast.margin == pytest.approx(3.0)
    slow = v.verdict(ccr, 5.5)
    assert slow.outcome == "ice_forms" and slow.margin == pytest.approx(0.5)
    above = v.critical_rate("Ethylene glycol", v.CCR, 0.30)  # CCR > 569
    assert v.verdict(above, 100.0).outcome == "ice_forms"
    undecided = v.verdict(above, 1000.0)
    assert undecided.outcome == "unknown" and undecided.margin is None
    with pytest.raises(ValidationError):
        v.verdict(ccr, 0.0)


def test_named_solutions_recognised_by_composition() -> None:
    vs55 = v.match_named_solution(
        [
            (("DMSO", "Dimethyl sulfoxide"), 3.1),
            (("Formamide",), 3.05),
            (("Propylene glycol",), 2.2),
        ]
    )
    assert vs55 is not None and vs55.name == "VS55"
    assert v.match_named_solution([(("Dimethyl sulfoxide",), 3.1), (("Formamide",), 3.1)]) is None
    off = [(("Dimethyl sulfoxide",), 3.1), (("Formamide",), 3.1), (("Propylene glycol",), 3.0)]
    assert v.match_named_solution(off) is None
    rate = v.named_solution_rate("VS55", v.CCR)
    assert rate.value_c_per_min == 2.5 and rate.verified is False and rate.warnings


GLYCEROL_MIN = 0.55


def _glycerol(w: float) -> v.SoluteGlassInput:
    return v.SoluteGlassInput("Glycerol", w, GLYCEROL_MIN, "Inaba & Andersson 2007")


def test_headline_is_tg_prime_below_the_ice_free_concentration() -> None:
    head = v.headline_glass(
        [_glycerol(0.20)], tg_homogeneous_k=145.0, tg_method="GT", tg_provenance="fitted"
    )
    assert head.applies == "freeze_concentrated"
    assert head.value_k == pytest.approx(167.0) and head.spread_k == (164.0, 170.0)


def test_headline_is_homogeneous_above_it_or_when_cooling_beats_the_ccr() -> None:
    head = v.headline_glass(
        [_glycerol(0.70)], tg_homogeneous_k=160.0, tg_method="GT", tg_provenance="fitted"
    )
    assert head.applies == "homogeneous" and head.value_k == 160.0 and head.within_range is True
    ccr = v.critical_rate("Ethylene glycol", v.CCR, 0.50)
    eg = v.SoluteGlassInput("Ethylene glycol", 0.50)
    fast = v.headline_glass(
        [eg], tg_homogeneous_k=None, tg_method="GT", tg_provenance=None, cooling=v.verdict(ccr, 100)
    )
    assert fast.applies == "homogeneous" and fast.value_k is None and fast.reason


def test_headline_multi_solute_without_evidence_is_null_with_reason() -> None:
    head = v.headline_glass(
        [v.SoluteGlassInput("Dimethyl sulfoxide", 0.2), v.SoluteGlassInput("Formamide", 0.12)],
        tg_homogeneous_k=None,
        tg_method="GT",
        tg_provenance=None,
    )
    assert head.applies == "unknown" and head.value_k is None
    assert head.reason is not None and "Tg′" in head.reason


def test_nucleation_curve_without_data_says_so() -> None:
    curve = v.nucleation_curve("Glycerol")
    assert curve.at(0.3) is None and curve.reason and "Glycerol" in curve.reason
