"""Shipped carriers against their cited osmolality, and the buffers' speciation (issue 13, item 3).

Cited values (``science/params/measured_carrier_osmolality.csv``):
* isotonic saline: 286 mOsm/kg by freezing-point osmometry (Williams, Anesth Analg 1999);
* PBS: the manufacturer's specification range 280–315 mOsm/kg (a range, tested as one);
* Euro-Collins: "355 mOsm/L" as reported by Zheng et al., Chin Med J 2008, method not
  stated — compared as an osmolarity. The model is +4.3 % there, outside the 3 % target; the
  CSV's header records why (no composition error; K2HPO4's Pitzer parameters against the
  CRC freezing points), and the test below pins the miss inside 5 % rather than hiding it.

pKa values (``science/params/buffer_pka.csv``): HEPES 7.565 at 25 °C (Vega & Bates, Anal Chem
48:1293, 1976); phosphate pKa2 7.207 and carbonate pKa1 6.352 / pKa2 10.329 from the logK of
USGS PHREEQC's phreeqc.dat.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.science import electrolytes
from cryoprotect.services import solutions

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
MOLECULES = ROOT / "src" / "cryoprotect" / "db" / "reference" / "molecules.csv"

MEASURED = electrolytes.measured_carrier_osmolalities()
SHIPPED = sorted({c["name"] for c in solutions.carriers().values()})
# Euro-Collins' cited value is a reported osmolarity without a method; the model misses the
# 3 % target there (+4.3 %, see the module docstring). Every other carrier must meet it.
KNOWN_MISSES = {"Euro-Collins": 0.05}


def _library() -> dict[str, dict[str, str]]:
    with MOLECULES.open(encoding="utf-8") as handle:
        return {row["name"]: row for row in csv.DictReader(handle)}


def _molar_mass(smiles: str) -> float:
    from rdkit import Chem

    from cryoprotect.science.molecules import molecular_weight

    return molecular_weight(Chem.MolFromSmiles(smiles))


def properties(definition: dict[str, Any]) -> solutions.SolutionProperties:
    """The solution-properties answer for a carrier definition alone, as the API computes it."""
    library = _library()
    components = [
        solutions.SolutionComponent(
            name=c["name"],
            synonyms=tuple(s for s in library[c["name"]]["synonyms"].split("|") if s),
            molar_mass_g_per_mol=_molar_mass(library[c["name"]]["smiles"]),
            amount=c["amount"],
            unit=c["unit"],
            origin="carrier",
        )
        for c in definition["components"]
    ]
    return solutions.solution_properties(components)


def agreement(definition: dict[str, Any], carrier: str) -> dict[str, Any]:
    answer = properties(definition)
    amounts = answer.composition["amounts"]
    water_kg_per_litre = float(amounts["mol/L"][0] / amounts["mol/kg"][0])
    value = answer.osmolality["value"]
    assert value is not None, answer.osmolality
    return electrolytes.agreement_with_cited(value, water_kg_per_litre, MEASURED[carrier.lower()])


def shipped(carrier: str) -> dict[str, Any]:
    definition = solutions.carrier_definition(carrier)
    assert definition is not None
    return definition


def test_every_shipped_carrier_has_a_cited_value_with_its_method() -> None:
    assert SHIPPED == ["Euro-Collins", "isotonic saline", "phosphate-buffered saline"]
    for carrier in SHIPPED:
        cited = MEASURED[carrier.lower()]
        assert cited.source and cited.method and cited.unit_reported
        if cited.low_osmol_per_kg is not None:
            # a range: the value is its midpoint
            assert cited.value_osmol_per_kg == pytest.approx(
                (cited.low_osmol_per_kg + (cited.high_osmol_per_kg or 0.0)) / 2
            )


@pytest.mark.parametrize("carrier", SHIPPED)
def test_shipped_carrier_meets_its_cited_osmolality(carrier: str) -> None:
    result = agreement(shipped(carrier), carrier)
    if carrier in KNOWN_MISSES:
        assert not result["target_met"]
        assert abs(result["relative_error"]) <= KNOWN_MISSES[carrier]
    else:
        assert result["target_met"], result


def test_the_numbers_reported_for_each_carrier() -> None:
    saline = agreement(shipped("isotonic saline"), "isotonic saline")
    pbs = agreement(shipped("PBS"), "phosphate-buffered saline")
    collins = agreement(shipped("Euro-Collins"), "Euro-Collins")
    assert saline["basis"] == "measured osmolality"
    assert saline["computed"] == pytest.approx(0.2865, abs=0.0005)  # measured 0.286
    assert pbs["basis"] == "specification range"
    assert pbs["computed"] == pytest.approx(0.288, abs=0.001)  # spec 0.280–0.315
    assert collins["basis"] == "reported osmolarity (per litre)"
    assert collins["computed"] == pytest.approx(0.370, abs=0.001)  # reported 0.355 osmol/L
    assert collins["relative_error"] == pytest.approx(0.043, abs=0.002)


def _scaled(definition: dict[str, Any], factor: float) -> dict[str, Any]:
    wrong = copy.deepcopy(definition)
    for component in wrong["components"]:
        component["amount"] *= factor
    return wrong


@pytest.mark.parametrize("carrier", SHIPPED)
@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_a_composition_ten_percent_off_fails_the_check(carrier: str, factor: float) -> None:
    result = agreement(_scaled(shipped(carrier), factor), carrier)
    tolerance = KNOWN_MISSES.get(carrier)
    if tolerance is None:
        assert not result["target_met"], result
    else:
        assert abs(result["relative_error"]) > tolerance


def test_a_wrong_salt_or_solute_fails_the_check() -> None:
    # PBS without its phosphate salts falls below the specification.
    pbs = copy.deepcopy(shipped("PBS"))
    pbs["components"] = [c for c in pbs["components"] if "phosphate" not in c["name"]]
    assert not agreement(pbs, "phosphate-buffered saline")["target_met"]
    # Euro-Collins with the glucose of the original Collins solution (25 g/L = 139 mmol/L).
    collins = copy.deepcopy(shipped("Euro-Collins"))
    for component in collins["components"]:
        if component["name"] == "D-Glucose":
            component["amount"] = 139.0
    assert abs(agreement(collins, "Euro-Collins")["relative_error"]) > KNOWN_MISSES["Euro-Collins"]


def test_the_euro_collins_check_is_too_coarse_for_a_wrong_phosphate_salt() -> None:
    # Recorded limitation: K2HPO4 entered as KH2PO4 (2 particles instead of 3) moves the
    # result from +4.3 % to −3.3 % — still outside 3 %, but inside the 5 % band the reported
    # (method-less) value allows, so only a measured osmolality would catch it.
    wrong = copy.deepcopy(shipped("Euro-Collins"))
    merged: dict[str, dict[str, Any]] = {}
    for component in wrong["components"]:
        if component["name"] == "Dipotassium hydrogen phosphate":
            component["name"] = "Potassium dihydrogen phosphate"
        if component["name"] in merged:
            merged[component["name"]]["amount"] += component["amount"]
        else:
            merged[component["name"]] = component
    wrong["components"] = list(merged.values())
    result = agreement(wrong, "Euro-Collins")
    assert not result["target_met"]
    assert result["relative_error"] == pytest.approx(-0.033, abs=0.002)


def test_each_carrier_answer_says_how_it_was_obtained() -> None:
    for carrier in SHIPPED:
        osmolality = properties(shipped(carrier)).osmolality
        ions = osmolality["electrolytes"]
        assert "Pitzer" in ions["method"] and "Pitzer" in osmolality["method"]
        assert all(p["source"] for p in ions["parameters"])
        assert ions["within_range"] is True
    pbs = properties(shipped("PBS")).osmolality["electrolytes"]
    assert [b["acid"] for b in pbs["buffers"]] == ["H2PO4-"]
    assert pbs["buffers"][0]["pka_25c"] == pytest.approx(7.207)
    collins = properties(shipped("Euro-Collins")).osmolality["electrolytes"]
    assert {b["acid"] for b in collins["buffers"]} == {"H2PO4-", "CO2(aq)"}
    assert all(b["source"] and b["counted_as"] for b in collins["buffers"])
    saline = properties(shipped("saline")).osmolality["electrolytes"]
    assert saline["buffers"] == []


# --- buffers --------------------------------------------------------------------------------


def test_pka_values_are_the_cited_ones() -> None:
    assert electrolytes.buffer_pka("HEPES").pka_25c == 7.565  # Vega & Bates 1976
    assert electrolytes.buffer_pka("HEPES").base == "HEPES-"
    # PHREEQC phreeqc.dat logK differences
    assert electrolytes.buffer_pka("H2PO4-").pka_25c == pytest.approx(19.553 - 12.346)
    assert electrolytes.buffer_pka("CO2(aq)").pka_25c == pytest.approx(16.681 - 10.329)
    assert electrolytes.buffer_pka("HCO3-").pka_25c == pytest.approx(10.329)
    assert all(b.verified and b.source for b in electrolytes.buffer_pkas().values())
    charges = electrolytes.species_charges()
    for b in electrolytes.buffer_pkas().values():
        for species in (b.acid, b.base):
            assert species in charges or species in {"CO2(aq)", "CO3 2-"}


def test_hepes_titrated_with_naoh_splits_by_its_pka() -> None:
    # at pH = pKa half is HEPES⁻
    half = electrolytes.hepes_at_ph(0.010, 7.565)
    assert half.amounts == pytest.approx([0.005, 0.005])
    # at pH 7.4: f = 1/(1 + 10^(7.565 − 7.4)) = 0.406
    split = electrolytes.hepes_at_ph(0.010, 7.4)
    assert float(split.base_fraction) == pytest.approx(0.4061, abs=1e-4)
    assert split.amounts.sum() == pytest.approx(0.010)
    assert split.salts == ("HEPES", "HEPES sodium salt")
    # vectorised over totals and pH
    many = electrolytes.hepes_at_ph([0.01, 0.02], [7.0, 8.0])
    assert many.amounts.shape == (2, 2)
    assert many.amounts[0, 1] < many.amounts[0, 0] and many.amounts[1, 1] > many.amounts[1, 0]
    with pytest.raises(ValidationError):
        electrolytes.hepes_at_ph(-1.0, 7.4)
    with pytest.raises(ValidationError):
        electrolytes.hepes_at_ph(0.01, float("nan"))


def test_hepes_buffered_saline_counts_the_sodium_of_the_titration() -> None:
    # 140 mM NaCl, 5 mM KCl, 10 mM HEPES titrated to pH 7.4 (per kg water here).
    split = electrolytes.hepes_at_ph(0.010, 7.4)
    salts = ["NaCl", "KCl", *split.salts]
    result = electrolytes.ionic_osmolality([0.140, 0.005, *split.amounts], salts)
    species = dict(zip(result.species, result.species_molality, strict=True))
    assert species["HEPES"] == pytest.approx(0.010 * (1 - 0.4061), abs=1e-6)
    assert species["HEPES-"] == pytest.approx(0.010 * 0.4061, abs=1e-6)
    assert species["Na+"] == pytest.approx(0.140 + 0.010 * 0.4061, abs=1e-6)
    # electroneutral
    assert species["Na+"] + species["K+"] == pytest.approx(species["Cl-"] + species["HEPES-"])
    # the HEPES adds its 10 mmol/kg of particles plus the Na⁺ (less a little non-ideality)
    without = electrolytes.ionic_osmolality([0.140, 0.005], ["NaCl", "KCl"])
    added = float(result.osmolality_osmol_per_kg - without.osmolality_osmol_per_kg)
    assert 0.0125 < added < 0.0141
    assert {b["acid"] for b in result.describe()["buffers"]} == {"HEPES"}


def test_carbonate_speciation_at_physiological_ph() -> None:
    fractions = electrolytes.carbonate_fractions(7.4)
    total = sum(float(v) for v in fractions.values())
    assert total == pytest.approx(1.0)
    assert float(fractions["HCO3-"]) == pytest.approx(0.917, abs=0.001)
    assert float(fractions["CO2(aq)"]) == pytest.approx(0.082, abs=0.001)
    assert float(fractions["CO3 2-"]) == pytest.approx(0.0011, abs=0.0001)
    # at pH = pKa1 CO2(aq) and HCO3- are (almost) equal
    at_pka1 = electrolytes.carbonate_fractions(6.352)
    assert float(at_pka1["CO2(aq)"]) == pytest.approx(float(at_pka1["HCO3-"]), rel=1e-3)
    grid = electrolytes.carbonate_fractions(np.array([6.0, 7.0, 8.0, 9.0]))
    assert np.all(np.diff(grid["CO2(aq)"]) < 0) and np.all(np.diff(grid["CO3 2-"]) > 0)


def test_phosphate_ratio_uses_the_tabulated_pka() -> None:
    # PBS: 10 mM Na2HPO4 + 1.8 mM KH2PO4 → ratio 5.6 ↔ pH = 7.207 + log10(5.56) = 7.95
    assert electrolytes.phosphate_ratio_at_ph(7.207) == pytest.approx(1.0)
    assert electrolytes.phosphate_ratio_at_ph(7.4) == pytest.approx(10 ** (7.4 - 7.207))
