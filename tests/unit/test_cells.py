"""Cell types: the shipped parameter table, the JSON shape users post, and its validation."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import cells
from cryoprotect.science.cells import CellType, builtin_cell_types, get_cell_type

pytestmark = pytest.mark.unit

REQUIRED = {
    "human_rbc",
    "mouse_mii_oocyte",
    "rhesus_mii_oocyte",
    "human_msc",
    "rat_hepatocyte",
    "human_sperm",
    "generic_mammalian",
}


def user_cell(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "My cells",
        "species": "Homo sapiens",
        "lp_um_per_min_atm": 0.5,
        "lp_activation_energy_kj_per_mol": 50.0,
        "reference_temperature_c": 22.0,
        "inactive_volume_fraction": 0.3,
        "isotonic_volume_um3": 1767.0,
        "surface_area_um2": 706.9,
        "isotonic_osmolality_osmol_per_kg": 0.29,
        "min_volume_fraction": 0.6,
        "max_volume_fraction": 1.4,
        "permeabilities": [
            {
                "solute": "Dimethyl sulfoxide",
                "ps_um_per_s": 0.3,
                "activation_energy_kj_per_mol": 90.0,
            }
        ],
    }
    data.update(changes)
    return data


# --- the shipped table --------------------------------------------------------------------


def test_the_required_cell_types_are_shipped() -> None:
    assert set(builtin_cell_types()) >= REQUIRED


def test_every_row_has_a_source_a_provenance_and_a_verified_flag() -> None:
    with cells.CELL_TABLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        assert row["source"].strip(), row
        assert row["provenance"] in cells.TABLE_PROVENANCES, row
        assert row["verified"] in {"true", "false"}, row
        if row["provenance"] == "estimated" and row["parameter"] not in cells.TEXT_PARAMETERS:
            # An estimate must say so (and why) in its source text.
            assert "estimat" in row["source"].lower(), row


def test_cpa_names_match_the_osmotic_tables() -> None:
    from cryoprotect.science import thermo

    for cell in builtin_cell_types().values():
        for name in cell.permeabilities:
            assert thermo.virial_parameters(name).solute == name


def test_rbc_lp_is_the_published_osmotic_permeability_converted() -> None:
    # Mlekoday et al. 1983: Pf = 2.0e-2 cm/s at 23 °C. Lp = Pf·Vw/(R·T).
    pf_m_per_s = 2.0e-4
    molar_volume_m3 = 18.015e-3 / 997.54  # water at 23 °C
    lp_si = pf_m_per_s * molar_volume_m3 / (8.314462618 * 296.15)
    lp = lp_si * 1e6 * 60 * 101325  # m/(Pa s) -> µm/min/atm
    assert get_cell_type("human_rbc").lp_um_per_min_atm == pytest.approx(lp, rel=1e-3)


def test_published_oocyte_values_are_pinned() -> None:
    # Karlsson et al., Mol Reprod Dev 76:321 (2009): rhesus MII oocytes at 23.5 °C.
    rhesus = get_cell_type("rhesus_mii_oocyte")
    assert rhesus.lp_um_per_min_atm == 0.55
    assert rhesus.inactive_volume_fraction == 0.197
    dmso = rhesus.permeability("Dimethyl sulfoxide")
    assert dmso is not None and dmso.ps_um_per_s == 0.24 and dmso.reference_temperature_c == 23.5
    assert rhesus.provenance["lp_um_per_min_atm"] == "fitted"
    assert rhesus.verified["lp_um_per_min_atm"] is True
    # Litkouhi et al. 1997: Lp 0.64 µm/min/atm fitted jointly with the shipped Vb 0.247
    # (Leibo 1980's 0.44 at 20 °C is in the literature table); Ea 14.5 kcal/mol (Leibo).
    mouse = get_cell_type("mouse_mii_oocyte")
    assert mouse.lp_um_per_min_atm == 0.64 and mouse.inactive_volume_fraction == 0.247
    assert mouse.reference_temperature_c == 20
    assert mouse.lp_activation_energy_kj_per_mol == pytest.approx(14.5 * 4.184, abs=0.05)


def test_generic_cell_is_entirely_estimated() -> None:
    generic = get_cell_type("generic_mammalian")
    assert set(generic.provenance.values()) == {"estimated"}
    for permeability in generic.permeabilities.values():
        assert permeability.provenance["ps_um_per_s"] == "estimated"


def test_get_cell_type_unknown_is_not_found() -> None:
    with pytest.raises(NotFound):
        get_cell_type("martian_cell")


def test_permeability_lookup_is_case_insensitive() -> None:
    cell = get_cell_type("rhesus_mii_oocyte")
    assert cell.permeability("dimethyl SULFOXIDE") is cell.permeabilities["Dimethyl sulfoxide"]
    assert cell.permeability("Glycerol") is None


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_builtin_cell_types_round_trip_through_json(key: str) -> None:
    cell = get_cell_type(key)
    text = json.dumps(cell.as_dict())
    assert CellType.from_dict(json.loads(text)) == cell


def test_table_errors_name_the_row(tmp_path: Path) -> None:
    source = cells.CELL_TABLE.read_text(encoding="utf-8").splitlines()
    bad_unit = [line.replace(",0.55,um/min/atm,", ",0.55,cm/s,") for line in source]
    path = tmp_path / "cells.csv"
    path.write_text("\n".join(bad_unit) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="um/min/atm"):
        cells.load_cell_table(path)
    duplicated = [*source, next(line for line in source if ",lp," in line)]
    path.write_text("\n".join(duplicated) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="twice"):
        cells.load_cell_table(path)


# --- user cell types ----------------------------------------------------------------------


def test_user_values_get_user_provenance_and_source() -> None:
    cell = CellType.from_dict(user_cell())
    assert cell.key == "my_cells"
    assert cell.provenance["lp_um_per_min_atm"] == "user"
    assert cell.sources["lp_um_per_min_atm"] == cells.USER_SOURCE
    dmso = cell.permeability("Dimethyl sulfoxide")
    assert dmso is not None and dmso.provenance["ps_um_per_s"] == "user"
    assert dmso.reference_temperature_c is None and dmso.reflection_coefficient is None


def test_user_sources_and_provenance_are_kept() -> None:
    cell = CellType.from_dict(
        user_cell(
            sources={"lp_um_per_min_atm": "Doe 2020"}, provenance={"lp_um_per_min_atm": "measured"}
        )
    )
    assert cell.sources["lp_um_per_min_atm"] == "Doe 2020"
    assert cell.provenance["lp_um_per_min_atm"] == "measured"


def test_permeabilities_may_be_given_as_a_mapping() -> None:
    cell = CellType.from_dict(
        user_cell(
            permeabilities={"Glycerol": {"ps_um_per_s": 0.1, "activation_energy_kj_per_mol": 48.5}}
        )
    )
    assert cell.permeability("glycerol") is not None


BAD_FIELDS = [
    ({"lp_um_per_min_atm": None}, "parameters.lp_um_per_min_atm"),
    ({"lp_um_per_min_atm": math.nan}, "parameters.lp_um_per_min_atm"),
    ({"lp_um_per_min_atm": math.inf}, "parameters.lp_um_per_min_atm"),
    ({"lp_um_per_min_atm": -0.5}, "parameters.lp_um_per_min_atm"),
    ({"lp_um_per_min_atm": "0.5"}, "parameters.lp_um_per_min_atm"),
    ({"lp_um_per_min_atm": True}, "parameters.lp_um_per_min_atm"),
    ({"isotonic_volume_um3": 0}, "parameters.isotonic_volume_um3"),
    ({"surface_area_um2": -1}, "parameters.surface_area_um2"),
    ({"isotonic_osmolality_osmol_per_kg": 0}, "parameters.isotonic_osmolality_osmol_per_kg"),
    ({"lp_activation_energy_kj_per_mol": -1}, "parameters.lp_activation_energy_kj_per_mol"),
    ({"reference_temperature_c": 300}, "parameters.reference_temperature_c"),
    ({"inactive_volume_fraction": 0}, "parameters.inactive_volume_fraction"),
    ({"inactive_volume_fraction": 1}, "parameters.inactive_volume_fraction"),
    ({"min_volume_fraction": 1.0}, "parameters.min_volume_fraction"),
    ({"min_volume_fraction": 0}, "parameters.min_volume_fraction"),
    ({"max_volume_fraction": 1.0}, "parameters.max_volume_fraction"),
    ({"name": ""}, "parameters.name"),
    ({"key": "Has Spaces"}, "parameters.key"),
    ({"provenance": {"lp_um_per_min_atm": "guessed"}}, "parameters.provenance.lp_um_per_min_atm"),
    ({"sources": ["not", "a", "mapping"]}, "parameters.sources"),
    (
        {
            "permeabilities": [
                {"solute": "Glycerol", "ps_um_per_s": 0, "activation_energy_kj_per_mol": 1}
            ]
        },
        "parameters.permeabilities[0].ps_um_per_s",
    ),
    (
        {
            "permeabilities": [
                {
                    "solute": "Glycerol",
                    "ps_um_per_s": 0.1,
                    "activation_energy_kj_per_mol": 1,
                    "reflection_coefficient": 1.5,
                }
            ]
        },
        "parameters.permeabilities[0].reflection_coefficient",
    ),
    (
        {
            "permeabilities": [
                {"solute": "Glycerol", "ps_um_per_s": 0.1, "activation_energy_kj_per_mol": 1},
                {"solute": "glycerol", "ps_um_per_s": 0.2, "activation_energy_kj_per_mol": 1},
            ]
        },
        "parameters.permeabilities[1].solute",
    ),
    ({"permeabilities": "DMSO"}, "parameters.permeabilities"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_FIELDS)
def test_from_dict_names_the_bad_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        CellType.from_dict(user_cell(**changes))
    assert raised.value.field == field


def test_missing_field_is_reported() -> None:
    data = user_cell()
    del data["surface_area_um2"]
    with pytest.raises(ValidationError) as raised:
        CellType.from_dict(data)
    assert raised.value.field == "parameters.surface_area_um2"


def test_from_dict_rejects_a_non_object() -> None:
    with pytest.raises(ValidationError) as raised:
        CellType.from_dict([1, 2, 3])  # type: ignore[arg-type]
    assert raised.value.field == "parameters"


positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    lp=positive,
    energy=st.floats(min_value=0, max_value=300),
    vb=st.floats(min_value=0.01, max_value=0.99),
    volume=positive,
    low=st.floats(min_value=0.01, max_value=0.99),
    high=st.floats(min_value=1.01, max_value=5),
    ps=positive,
    sigma=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
)
def test_valid_user_cells_round_trip(
    lp: float,
    energy: float,
    vb: float,
    volume: float,
    low: float,
    high: float,
    ps: float,
    sigma: float | None,
) -> None:
    data = user_cell(
        lp_um_per_min_atm=lp,
        lp_activation_energy_kj_per_mol=energy,
        inactive_volume_fraction=vb,
        isotonic_volume_um3=volume,
        min_volume_fraction=low,
        max_volume_fraction=high,
        permeabilities=[
            {
                "solute": "Ethylene glycol",
                "ps_um_per_s": ps,
                "activation_energy_kj_per_mol": energy,
                "reflection_coefficient": sigma,
            }
        ],
    )
    cell = CellType.from_dict(data)
    again = CellType.from_dict(json.loads(json.dumps(cell.as_dict())))
    assert again == cell
    assert again.isotonic_water_volume_um3 + again.inactive_volume_um3 == pytest.approx(volume)
