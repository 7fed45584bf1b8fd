"""The CPA-likeness score is transparent: documented components that add up to the score."""

from __future__ import annotations

import inspect
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem

from cryoprotect.science.cpa_score import FEATURES, METHOD, cpa_score
from cryoprotect.science.descriptors import DESCRIPTORS_BY_NAME, compute_descriptors

pytestmark = pytest.mark.unit

GLYCEROL = "OCC(O)CO"


def score_of(smiles: str) -> float:
    return cpa_score(compute_descriptors(Chem.MolFromSmiles(smiles))).score


def test_components_sum_to_the_score() -> None:
    result = cpa_score(compute_descriptors(Chem.MolFromSmiles(GLYCEROL)))
    assert result.score == pytest.approx(sum(c.contribution for c in result.components), abs=1e-12)
    assert 0.0 <= result.score <= 1.0
    assert [c.name for c in result.components] == [f.name for f in FEATURES]
    assert result.method == METHOD
    for component in result.components:
        assert 0.0 <= component.contribution <= component.weight + 1e-12
        assert component.unit and component.rationale and component.citation


def test_weights_sum_to_one() -> None:
    assert math.fsum(f.weight for f in FEATURES) == pytest.approx(1.0)


def test_glycerol_outscores_benzene_and_a_long_alkane() -> None:
    glycerol = score_of(GLYCEROL)
    assert glycerol > score_of("c1ccccc1")
    assert glycerol > score_of("CCCCCCCCCCCCCCCC")  # hexadecane
    assert glycerol > 0.8


def test_a_net_charge_lowers_the_score() -> None:
    assert score_of("CC(=O)[O-]") < score_of("CC(=O)O")


def test_no_component_uses_the_name() -> None:
    # The score's only input is the descriptor mapping...
    assert list(inspect.signature(cpa_score).parameters) == ["descriptors"]
    # ...of which it reads only documented numeric descriptors.
    inputs = {name for feature in FEATURES for name in feature.inputs}
    assert inputs <= set(DESCRIPTORS_BY_NAME)
    full = compute_descriptors(Chem.MolFromSmiles(GLYCEROL))
    only_inputs = {name: full[name] for name in inputs}
    assert cpa_score(only_inputs) == cpa_score(full)
    # Enantiomers have identical descriptors, hence identical scores.
    assert score_of("OC(=O)[C@@H]1CCCN1") == score_of("OC(=O)[C@H]1CCCN1")


def test_missing_descriptor_is_an_error() -> None:
    with pytest.raises(KeyError):
        cpa_score({"molecular_weight": 92.0})


NUMBER = st.floats(min_value=0, max_value=2000, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    mw=st.floats(min_value=1, max_value=5000),
    hbd=NUMBER,
    hba=NUMBER,
    carbons=NUMBER,
    polar=NUMBER,
    charge=st.integers(min_value=-10, max_value=10),
    logp=st.floats(min_value=-50, max_value=50),
)
def test_score_is_bounded_for_any_descriptors(
    mw: float, hbd: float, hba: float, carbons: float, polar: float, charge: int, logp: float
) -> None:
    result = cpa_score(
        {
            "molecular_weight": mw,
            "hbd": hbd,
            "hba": hba,
            "carbon_atoms": carbons,
            "polar_atoms": polar,
            "formal_charge": float(charge),
            "clogp_crippen": logp,
        }
    )
    assert 0.0 <= result.score <= 1.0
    assert all(math.isfinite(c.value) for c in result.components)
    assert result.score == pytest.approx(math.fsum(c.contribution for c in result.components))
