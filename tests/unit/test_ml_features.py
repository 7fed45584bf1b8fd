"""Features: stable names, unit conversion through the science modules, errors naming inputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.ml.datasets import Component, Dataset, DatasetRow, load_cryomn_literature
from cryoprotect.ml.features import (
    DESCRIPTOR_NAMES,
    FEATURIZERS,
    featurizer_from_state,
    make_featurizer,
)
from cryoprotect.science import composition, glass, thermo

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
NAME = "composition_physics_v1"


def _row(row_id: str, *components: tuple[str, float, str], **conditions: float) -> DatasetRow:
    return DatasetRow(
        row_id=row_id,
        composition=tuple(Component(*c) for c in components),
        targets={"y": 1.0},
        group=row_id,
        conditions=dict(conditions),
    )


def _training_rows() -> list[DatasetRow]:
    return [
        _row("a", ("Glycerol", 1.0, "mol/kg"), ("Sucrose", 0.2, "mol/kg")),
        _row("b", ("Glycerol", 2.0, "mol/kg")),
        _row("c", ("Glycerol", 0.5, "mol/kg"), ("DMSO", 5.0, "% v/v")),
        _row("d", ("Sucrose", 0.1, "mol/kg"), ("DMSO", 10.0, "% v/v")),
        _row("e", ("Sucrose", 0.3, "mol/kg"), ("Dimethyl sulfoxide", 1.0, "mol/L")),
    ]


def test_registered_by_name() -> None:
    assert NAME in FEATURIZERS
    with pytest.raises(ValidationError, match="unknown featurizer"):
        make_featurizer("no_such_featurizer")


def test_feature_names_are_stable_across_fit_transform_and_state() -> None:
    rows = _training_rows()
    featurizer = make_featurizer(NAME, min_count=2)
    X, names = featurizer.fit_transform(rows)
    assert X.shape == (5, len(names))
    assert len(set(names)) == len(names)
    # the vocabulary is learned at fit time, sorted, and synonyms are resolved ("DMSO")
    assert names[:3] == [
        "molality[Dimethyl sulfoxide]",
        "molality[Glycerol]",
        "molality[Sucrose]",
    ]
    assert "mass_fraction[other]" in names and "tg_k_missing" in names
    assert [n for n in names if n.startswith("x_weighted")] == [
        f"x_weighted[{d}]" for d in DESCRIPTOR_NAMES
    ]
    X2, names2 = featurizer.transform(rows[::-1])
    assert names2 == names
    np.testing.assert_array_equal(X2, X[::-1])
    # the state is plain JSON and rebuilds the same featurizer
    state = featurizer.get_state()
    rebuilt = featurizer_from_state(state)
    assert rebuilt.feature_names == names == state["feature_names"]
    np.testing.assert_array_equal(rebuilt.transform(rows)[0], X)


def test_molality_mass_fraction_and_physics_come_from_the_science_modules() -> None:
    rows = _training_rows()
    featurizer = make_featurizer(NAME, min_count=1)
    X, names = featurizer.fit_transform(rows)
    col = {n: i for i, n in enumerate(names)}
    # mol/kg passes straight through
    assert X[0, col["molality[Glycerol]"]] == pytest.approx(1.0)
    # row c: % v/v DMSO with glycerol in mol/kg, converted together by composition.to_molality
    dmso = composition.get_solute("DMSO")
    glycerol = composition.get_solute("Glycerol")
    both = composition.to_molality([[0.5, 5.0]], ["mol/kg", "% v/v"], [glycerol, dmso])
    assert X[2, col["molality[Dimethyl sulfoxide]"]] == pytest.approx(
        both.molality_mol_per_kg[0, 1], rel=1e-12
    )
    # row d is Sucrose (mol/kg) + DMSO (% v/v): a mixed-unit conversion of both together
    sucrose = composition.get_solute("Sucrose")
    state = composition.to_molality([[0.1, 10.0]], ["mol/kg", "% v/v"], [sucrose, dmso])
    assert X[3, col["molality[Dimethyl sulfoxide]"]] == pytest.approx(
        state.molality_mol_per_kg[0, 1], rel=1e-12
    )
    grams = state.solute_mass_g_per_kg_water[0]
    assert X[3, col["mass_fraction[Sucrose]"]] == pytest.approx(grams[0] / (1000 + grams.sum()))
    # osmolality and melting point: thermo.solution_thermo on the same molalities
    th = thermo.solution_thermo([[2.0]], ["Glycerol"])
    assert X[1, col["osmolality_osmol_per_kg"]] == pytest.approx(
        float(th.osmolality_osmol_per_kg[0])
    )
    assert X[1, col["melting_point_c"]] == pytest.approx(float(th.melting_point_c[0]))
    # Tg: Gordon-Taylor for glycerol-water; missing (imputed, flagged) when DMSO is present
    w = 2.0 * 92.09382 / (1000 + 2.0 * 92.09382)
    tg = glass.solution_tg([[w]], ["Glycerol"]).tg_k[0]
    assert X[1, col["tg_k"]] == pytest.approx(float(tg), rel=1e-4)
    assert X[1, col["tg_k_missing"]] == 0.0
    assert X[2, col["tg_k_missing"]] == 1.0
    assert X[2, col["tg_k"]] == pytest.approx(featurizer.tg_fill_k)
    finite = [X[i, col["tg_k"]] for i in (0, 1)]
    assert featurizer.tg_fill_k == pytest.approx(float(np.median(finite)))


def test_descriptors_are_mole_fraction_weighted() -> None:
    rows = [_row("a", ("DMSO", 1.0, "mol/kg")), _row("b", ("Glycerol", 1.0, "mol/kg"))]
    featurizer = make_featurizer(NAME, min_count=1)
    X, names = featurizer.fit_transform(rows)
    col = {n: i for i, n in enumerate(names)}
    x = 1.0 / (1000.0 / composition.WATER_MOLAR_MASS_G_PER_MOL + 1.0)
    assert X[0, col["x_weighted[sulfoxide_groups]"]] == pytest.approx(x)
    assert X[0, col["x_weighted[hydroxyl_groups]"]] == 0.0
    assert X[1, col["x_weighted[hydroxyl_groups]"]] == pytest.approx(3 * x)


def test_structureless_components_count_in_mass_but_not_in_descriptors() -> None:
    rows = [
        _row("a", ("DMSO", 10.0, "% v/v"), ("FBS", 90.0, "% v/v")),  # 10 % DMSO in serum
        _row("b", ("PVP", 5.0, "% w/v"), ("Glycerol", 1.0, "mol/L")),
    ]
    featurizer = make_featurizer(NAME, min_count=1)
    X, names = featurizer.fit_transform(rows)
    col = {n: i for i, n in enumerate(names)}
    assert "molality[Fetal bovine serum]" not in col  # no molar mass, no molality feature
    assert X[0, col["mass_fraction[Fetal bovine serum]"]] > 0.8
    assert X[1, col["mass_fraction[Polyvinylpyrrolidone (unspecified grade)]"]] > 0.04
    assert X[0, col["total_mass_fraction"]] <= 1.0
    # serum takes no part in the osmolality: only DMSO's contributes
    dmso_m = X[0, col["molality[Dimethyl sulfoxide]"]]
    th = thermo.solution_thermo([[dmso_m]], ["Dimethyl sulfoxide"])
    assert X[0, col["osmolality_osmol_per_kg"]] == pytest.approx(
        float(th.osmolality_osmol_per_kg[0])
    )


def test_unknown_component_is_a_validation_error_naming_it() -> None:
    featurizer = make_featurizer(NAME, min_count=1).fit(_training_rows())
    with pytest.raises(ValidationError) as err:
        featurizer.transform([_row("x", ("Glycerol", 1.0, "mol/kg"), ("Unobtainium", 1, "mol/L"))])
    assert not isinstance(err.value, InvalidCompositionError)
    assert "Unobtainium" in err.value.message
    assert err.value.field == "rows[0].composition[1].name"
    assert err.value.details["component"] == "Unobtainium"


def test_unsupported_unit_is_a_validation_error() -> None:
    featurizer = make_featurizer(NAME, min_count=1).fit(_training_rows())
    with pytest.raises(ValidationError) as err:
        featurizer.transform([_row("x", ("Glycerol", 1.0, "furlongs"))])
    assert err.value.field == "rows[0].composition[0].unit"
    assert "furlongs" in err.value.message


def test_molar_unit_without_molar_mass_is_refused() -> None:
    featurizer = make_featurizer(NAME, min_count=1)
    with pytest.raises(ValidationError, match="no defined molar mass"):
        featurizer.fit([_row("x", ("PVP", 0.1, "mol/L"))])
    with pytest.raises(ValidationError, match="% v/v"):
        featurizer.fit([_row("x", ("FBS", 10.0, "% w/v"))])


def test_impossible_composition_names_the_row() -> None:
    featurizer = make_featurizer(NAME, min_count=1).fit(_training_rows())
    rows = [
        _row("fine", ("DMSO", 10.0, "% v/v")),
        _row("overfull", ("DMSO", 60.0, "% v/v"), ("FBS", 60.0, "% v/v")),
    ]
    with pytest.raises(InvalidCompositionError) as err:
        featurizer.transform(rows)
    assert "overfull" in err.value.message
    assert err.value.details["row_ids"] == ["overfull"]


def test_unseen_component_goes_to_other_bucket_and_is_reported() -> None:
    featurizer = make_featurizer(NAME, min_count=1).fit(_training_rows())
    row = _row("x", ("Glycerol", 1.0, "mol/kg"), ("Trehalose", 0.2, "mol/kg"))
    q = featurizer.quantities([row])
    X = featurizer.assemble(q)
    col = {n: i for i, n in enumerate(featurizer.feature_names)}
    assert X[0, col["molality[other]"]] == pytest.approx(0.2)
    assert featurizer.unseen_components(q) == [("Trehalose",)]


def test_numeric_conditions_with_missing_indicator() -> None:
    rows = [
        _row("a", ("Glycerol", 1.0, "mol/kg"), cooling_rate=1.0),
        _row("b", ("Glycerol", 2.0, "mol/kg"), cooling_rate=3.0),
    ]
    rows.append(_row("c", ("Glycerol", 1.5, "mol/kg")))
    featurizer = make_featurizer(NAME, min_count=1, conditions=["cooling_rate"])
    X, names = featurizer.fit_transform(rows)
    col = {n: i for i, n in enumerate(names)}
    assert list(X[:, col["condition[cooling_rate]"]]) == [1.0, 3.0, 2.0]
    assert list(X[:, col["condition[cooling_rate]_missing"]]) == [0.0, 0.0, 1.0]


def test_cryomn_literature_featurizes_without_nan() -> None:
    data = load_cryomn_literature(ROOT / "data" / "cryomn" / "literature_formulations.csv")
    X, names = make_featurizer(NAME).fit_transform(data)
    assert X.shape == (198, len(names))
    assert np.all(np.isfinite(X))
    assert isinstance(data, Dataset)
    assert not math.isnan(float(X.sum()))
