"""Material forms (issue 18): formulas and molar masses computed by RDKit, and what a
weighed form puts into a solution (parent moles, water of crystallisation).

Reference values: trehalose C12H22O11 342.30 g/mol, dihydrate C12H22O11·2H2O
378.33 g/mol (The Merck Index monograph "Trehalose", CAS 99-20-7 / 6138-23-4);
trisodium citrate dihydrate C6H5Na3O7·2H2O 294.10 g/mol (Merck Index "Sodium citrate",
CAS 6132-04-3); L-proline hydrochloride C5H10ClNO2 151.59 g/mol; choline chloride
C5H14ClNO 139.62 g/mol (CAS 67-48-1).
"""

from __future__ import annotations

import numpy as np
import pytest

from cryoprotect.errors import InvalidCompositionError, InvalidStructureError
from cryoprotect.science import composition
from cryoprotect.science.material_forms import (
    FormComponent,
    canonical_components,
    components_key,
    form_formula,
    form_kind,
    form_label,
    hill_formula,
    parent_amount,
    stripped_components,
    weighed,
)
from cryoprotect.science.standardize import parse_structure, standardize

pytestmark = pytest.mark.unit

TREHALOSE = "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O"
WATER2 = (FormComponent("O", 2),)


def test_trehalose_dihydrate_formula_and_molar_mass() -> None:
    anhydrous = form_formula(TREHALOSE, ())
    assert (anhydrous.formula, round(anhydrous.molar_mass_g_per_mol, 2)) == ("C12H22O11", 342.30)
    dihydrate = form_formula(TREHALOSE, WATER2)
    assert dihydrate.formula == "C12H26O13"
    assert dihydrate.molar_mass_g_per_mol == pytest.approx(378.33, abs=0.01)
    assert dihydrate.water_per_parent == 2
    assert dihydrate.protons_adjusted == 0


@pytest.mark.parametrize(
    ("parent", "components", "formula", "molar_mass", "kind", "label"),
    [
        # Three Na+ on neutral citric acid take three protons off it.
        (
            "OC(=O)CC(O)(CC(=O)O)C(=O)O",
            [("[Na+]", 3), ("O", 2)],
            "C6H9Na3O9",
            294.10,
            "salt hydrate",
            "trisodium dihydrate",
        ),
        ("OC(=O)[C@@H]1CCCN1", [("Cl", 1)], "C5H10ClNO2", 151.59, "salt", "hydrochloride"),
        ("OC(=O)[C@@H]1CCCN1", [("[Cl-]", 1)], "C5H10ClNO2", 151.59, "salt", "chloride"),
        ("C[N+](C)(C)CCO", [("[Cl-]", 1)], "C5H14ClNO", 139.62, "salt", "chloride"),
    ],
)
def test_salts_balance_charge_with_protons(
    parent: str,
    components: list[tuple[str, int]],
    formula: str,
    molar_mass: float,
    kind: str,
    label: str,
) -> None:
    canonical = canonical_components(components)
    result = form_formula(parent, canonical)
    assert result.formula == formula
    assert result.molar_mass_g_per_mol == pytest.approx(molar_mass, abs=0.01)
    assert form_kind(canonical) == kind
    assert form_label(canonical) == label


def test_hill_order_without_carbon_is_alphabetical() -> None:
    from collections import Counter

    assert hill_formula(Counter({"O": 1, "H": 2})) == "H2O"
    assert hill_formula(Counter({"Na": 1, "Cl": 1})) == "ClNa"
    assert hill_formula(Counter({"O": 2, "C": 1, "H": 4, "N": 1})) == "CH4NO2"


def test_components_are_canonical_and_merged() -> None:
    merged = canonical_components([("[OH2]", 1), ("O", 1), ("[Na+]", 1)])
    assert merged == (FormComponent("O", 2), FormComponent("[Na+]", 1))
    assert components_key(merged) == "O*2.[Na+]*1"
    with pytest.raises(InvalidStructureError) as bad:
        canonical_components([("O", 1), ("C1CC", 1)])
    assert bad.value.details["field"] == "components[1].smiles"
    with pytest.raises(InvalidStructureError):
        canonical_components([("O.O", 1)])
    with pytest.raises(InvalidCompositionError) as zero:
        canonical_components([("O", 0)])
    assert zero.value.details["field"] == "components[0].count"


def test_stripped_components_of_registered_structures() -> None:
    def stripped(smiles: str) -> tuple[FormComponent, ...]:
        mol = parse_structure(smiles)
        return stripped_components(mol, standardize(mol).mol)

    assert stripped(TREHALOSE + ".O.O") == WATER2
    assert stripped("OC(=O)[C@@H]1CCCN1.Cl") == (FormComponent("Cl", 1),)
    assert stripped(TREHALOSE) == ()
    # The ChEMBL pipeline keeps a salt whose every fragment is on its salt list.
    assert stripped("C[N+](C)(C)CCO.[Cl-]") == ()
    # Two parents and one water: not a whole number per parent, so no form is recorded.
    assert stripped("OCC(O)CO.OCC(O)CO.O") == ()


def test_ten_grams_of_dihydrate_in_one_hundred_grams_of_solution() -> None:
    form_mass = form_formula(TREHALOSE, WATER2).molar_mass_g_per_mol
    parent_mass = form_formula(TREHALOSE, ()).molar_mass_g_per_mol
    split = weighed(
        10.0, form_molar_mass=form_mass, parent_molar_mass=parent_mass, water_per_parent=2
    )
    assert split.parent_mol == pytest.approx(10.0 / 378.33, rel=1e-4)
    assert split.parent_mol == pytest.approx(0.02643, abs=5e-6)
    assert split.water_g == pytest.approx(10.0 * 36.03 / 378.33, rel=1e-4)
    assert split.water_g == pytest.approx(0.952, abs=5e-4)
    assert split.parent_g + split.water_g == pytest.approx(10.0, rel=1e-12)

    # 10 % w/w of the form is 9.048 % w/w of trehalose; the solution's water is the
    # 90 g added plus the 0.952 g of hydration, so the molality counts both.
    w_parent = parent_amount(
        10.0, "% w/w", form_molar_mass=form_mass, parent_molar_mass=parent_mass
    )
    assert w_parent == pytest.approx(100.0 * split.parent_g / 100.0, rel=1e-12)
    solute = composition.Solute(name="trehalose", molar_mass_g_per_mol=parent_mass)
    state = composition.to_molality(np.array([[w_parent]]), ["% w/w"], [solute])
    expected = split.parent_mol / ((90.0 + split.water_g) / 1000.0)
    assert state.molality_mol_per_kg[0, 0] == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.2906, abs=5e-4)


def test_mole_units_count_formula_units_and_v_v_is_refused() -> None:
    kwargs = {"form_molar_mass": 378.33, "parent_molar_mass": 342.30}
    assert parent_amount(0.5, "mol/L", **kwargs) == 0.5
    assert parent_amount(10.0, "g/L", **kwargs) == pytest.approx(10.0 * 342.30 / 378.33)
    with pytest.raises(InvalidCompositionError) as volume:
        parent_amount(5.0, "% v/v", **kwargs)
    assert volume.value.details["field"] == "unit"
    with pytest.raises(InvalidCompositionError):
        parent_amount(5.0, "g/L", form_molar_mass=100.0, parent_molar_mass=342.30)
