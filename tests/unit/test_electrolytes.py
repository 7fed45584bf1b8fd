"""Electrolytes and buffers: ions by stoichiometry, Pitzer osmotic coefficient, carriers.

Reference data:
* CRC Handbook of Chemistry and Physics, 102nd ed. (2021), "Concentrative properties of
  aqueous solutions" (freezing-point depressions from Wolf, Aqueous Solutions and Body
  Fluids, 1966): the shipped copy ``science/params/crc_freezing_points.csv``, read here with
  the csv module. The Pitzer parameters were not fitted to these data (they are Pitzer &
  Mayorga's 25 °C values), so the comparison is out of sample.
* The shipped carriers against their cited osmolality: ``tests/unit/test_carrier_osmolality.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cryoprotect.errors import NotFound
from cryoprotect.science import electrolytes, thermo
from cryoprotect.services import solutions

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "src" / "cryoprotect" / "science" / "params"
MOLECULES = ROOT / "src" / "cryoprotect" / "db" / "reference" / "molecules.csv"


def crc_series(crc_name: str) -> tuple[np.ndarray, np.ndarray]:
    molality, delta_t = [], []
    with (PARAMS / "crc_freezing_points.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            if row["solute"] == crc_name and row["freezing_point_depression_c"]:
                molality.append(float(row["molality_mol_per_kg"]))
                delta_t.append(float(row["freezing_point_depression_c"]))
    return np.array(molality), np.array(delta_t)


def test_salts_dissociate_into_their_ions_by_stoichiometry() -> None:
    disodium = electrolytes.salt("Na2HPO4")
    assert disodium.name == "Disodium hydrogen phosphate"
    assert disodium.species == (("Na+", 2), ("HPO4 2-", 1)) and disodium.particles == 3
    assert electrolytes.salt("KH2PO4").species == (("K+", 1), ("H2PO4-", 1))
    assert electrolytes.salt("NaHCO3").species == (("Na+", 1), ("HCO3-", 1))
    assert electrolytes.salt("MgCl2").species == (("Mg2+", 1), ("Cl-", 2))
    assert electrolytes.salt("CaCl2").particles == 3
    # HEPES free acid is a zwitterion: one uncharged particle; its sodium salt gives two ions.
    assert electrolytes.salt("HEPES").species == (("HEPES", 1),)
    assert electrolytes.salt("HEPES sodium salt").particles == 2
    # The virial table's CRC name for K2HPO4 is a synonym.
    assert electrolytes.salt("Potassium hydrogen phosphate").name == (
        "Dipotassium hydrogen phosphate"
    )
    assert not electrolytes.is_electrolyte("Glycerol")
    with pytest.raises(NotFound):
        electrolytes.salt("Glycerol")


def test_phosphate_species_molalities_follow_the_recipe() -> None:
    result = electrolytes.ionic_osmolality([0.010, 0.0018], ["Na2HPO4", "KH2PO4"])
    species = dict(zip(result.species, result.species_molality, strict=True))
    assert species == pytest.approx(
        {"Na+": 0.020, "HPO4 2-": 0.010, "K+": 0.0018, "H2PO4-": 0.0018}
    )
    # I = ½ Σ z² m = ½ (0.020 + 4·0.010 + 0.0018 + 0.0018)
    assert float(result.ionic_strength_mol_per_kg) == pytest.approx(0.0318)


def test_the_hepes_zwitterion_counts_once_and_interacts_with_nothing() -> None:
    result = electrolytes.ionic_osmolality([0.025], ["HEPES"])
    assert float(result.osmolality_osmol_per_kg) == pytest.approx(0.025)
    assert float(result.ionic_strength_mol_per_kg) == 0.0
    # Its sodium salt has no ion-interaction parameters: Debye–Hückel only, and it says so.
    salt = electrolytes.ionic_osmolality([0.01], ["HEPES sodium salt"])
    assert any("Debye–Hückel term only" in w for w in salt.warnings)
    assert salt.provenance == "estimated"


def test_sodium_chloride_osmotic_coefficient_at_physiological_strength() -> None:
    # Single 1-1 salt form of Pitzer's equation (Pitzer & Mayorga 1973):
    # φ = 1 − A_φ √m/(1 + b√m) + m (β0 + β1 e^{−2√m}) + m² C^φ, NaCl at 25 °C.
    m = 0.155
    s = np.sqrt(m)
    expected = (
        1 - 0.3915 * s / (1 + 1.2 * s) + m * (0.0765 + 0.2664 * np.exp(-2 * s)) + m**2 * 0.00127
    )
    phi = float(electrolytes.ionic_osmolality([m], ["Sodium chloride"]).osmotic_coefficient)
    assert phi == pytest.approx(expected, rel=1e-12)
    # φ ≈ 0.93 for NaCl at the concentration of extracellular fluid (osmotic-coefficient
    # table of physiological solutes, zoology.ubc.ca biomania tutorial, after Robinson &
    # Stokes, Electrolyte Solutions).
    assert phi == pytest.approx(0.93, abs=0.01)


# CRC name -> largest acceptable mean relative bias of the predicted freezing-point
# depression at ionic strength ≤ the validated range (the data are rounded to 0.01 °C).
CRC_SALTS = {
    "Sodium chloride": 0.03,
    "Potassium chloride": 0.03,
    "Potassium dihydrogen phosphate": 0.03,
    "Sodium dihydrogen phosphate": 0.03,
    "Sodium hydrogen phosphate": 0.03,  # Na2HPO4
    "Sodium hydrogen carbonate": 0.03,
    "Potassium hydrogen carbonate": 0.03,
    "Calcium chloride": 0.03,
    "Magnesium chloride": 0.03,
    "Magnesium sulfate": 0.03,
    "Sodium sulfate": 0.03,
    # K2HPO4: Pitzer & Mayorga's parameters give freezing points 6 % deeper than the CRC
    # table at 0.03–0.15 mol/kg — the weakest of the buffer salts, recorded here.
    "Potassium hydrogen phosphate": 0.07,
}


@pytest.mark.parametrize("crc_name", list(CRC_SALTS))
def test_ion_model_reproduces_measured_freezing_points_of_single_salts(crc_name: str) -> None:
    m, dt = crc_series(crc_name)
    result = electrolytes.ionic_osmolality(m[:, np.newaxis], [crc_name])
    inside = result.within_range
    assert inside.sum() >= 2
    predicted = thermo.freezing_point_depression_c(result.osmolality_osmol_per_kg)[inside]
    measured = dt[inside]
    assert np.mean(np.abs(predicted - measured)) <= 0.03  # °C
    assert abs(np.mean((predicted - measured) / measured)) <= CRC_SALTS[crc_name]


def test_disodium_phosphate_is_no_longer_one_particle() -> None:
    # CRC: Na2HPO4 0.5 % w/w = 0.035 mol/kg freezes at −0.17 °C, i.e. 0.091 osmol/kg —
    # 2.6 particles per formula unit, where the ideal-dilute fallback counted one.
    m, dt = crc_series("Sodium hydrogen phosphate")
    measured = float(thermo.osmolality_from_melting_point(thermo.WATER_MELTING_POINT_K - dt[0]))
    ions = thermo.solution_thermo([m[0]], ["Disodium hydrogen phosphate"], ions=True)
    virial = thermo.solution_thermo([m[0]], ["Disodium hydrogen phosphate"])
    assert float(ions.osmolality_osmol_per_kg) == pytest.approx(measured, rel=0.03)
    assert float(virial.osmolality_osmol_per_kg) < 0.5 * measured


def _library() -> dict[str, dict[str, str]]:
    with MOLECULES.open(encoding="utf-8") as handle:
        return {row["name"]: row for row in csv.DictReader(handle)}


def _molar_mass(smiles: str) -> float:
    from rdkit import Chem

    from cryoprotect.science.molecules import molecular_weight

    return molecular_weight(Chem.MolFromSmiles(smiles))


def carrier_properties(carrier: str) -> solutions.SolutionProperties:
    """The solution-properties answer for a carrier alone, as the API computes it."""
    library = _library()
    definition = solutions.carrier_definition(carrier)
    assert definition is not None
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


# Each shipped carrier against its cited osmolality: tests/unit/test_carrier_osmolality.py.


def test_pbs_names_its_ions_and_how_the_number_was_obtained() -> None:
    osmolality = carrier_properties("PBS").osmolality
    assert isinstance(osmolality, dict)
    ions = osmolality["electrolytes"]
    species = {s["species"]: s["molality_mol_per_kg"] for s in ions["species"]}
    assert set(species) == {"Na+", "K+", "Cl-", "HPO4 2-", "H2PO4-"}
    # electroneutral: Na⁺ + K⁺ = Cl⁻ + 2 HPO₄²⁻ + H₂PO₄⁻
    assert species["Na+"] + species["K+"] == pytest.approx(
        species["Cl-"] + 2 * species["HPO4 2-"] + species["H2PO4-"]
    )
    assert 0.90 < ions["osmotic_coefficient"] < 0.93
    assert "Pitzer" in osmolality["method"]
    assert all("ions" in p["model"] for p in osmolality["parameters"])
    assert all(p["source"] for p in ions["parameters"])


def test_virial_cross_terms_with_a_cpa_are_kept() -> None:
    # 1.4 mol/kg DMSO in 0.155 mol/kg NaCl: the ion model replaces only the salt's own term.
    m = [1.4, 0.155]
    names = ["Dimethyl sulfoxide", "Sodium chloride"]
    virial = thermo.solution_thermo(m, names)
    ions = thermo.solution_thermo(m, names, ions=True)
    salt_virial = float(
        thermo.solution_thermo([0.155], ["Sodium chloride"]).osmolality_osmol_per_kg
    )
    salt_ions = float(
        electrolytes.ionic_osmolality([0.155], ["Sodium chloride"]).osmolality_osmol_per_kg
    )
    assert float(ions.osmolality_osmol_per_kg) == pytest.approx(
        float(virial.osmolality_osmol_per_kg) - salt_virial + salt_ions, rel=1e-12
    )
    assert ions.ionic is not None and "ion model" in ions.osmolality.method


def test_above_the_validated_ionic_strength_the_virial_answer_is_kept() -> None:
    strong = thermo.solution_thermo([[0.155], [3.0]], ["Sodium chloride"], ions=True)
    plain = thermo.solution_thermo([[0.155], [3.0]], ["Sodium chloride"])
    assert strong.ionic is not None
    assert list(strong.ionic.within_range) == [True, False]
    assert float(strong.osmolality_osmol_per_kg[1]) == float(plain.osmolality_osmol_per_kg[1])
    assert any("ionic strength above" in w for w in strong.warnings)
