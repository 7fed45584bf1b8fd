"""Literature numbers keep the precision their source writes them with (issue 18, "Numbers":
literature values with their published precision): the one parser in science/tables.py and
the shipped tables read through it."""

from __future__ import annotations

import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.science import glass, thermo
from cryoprotect.science.tables import published_number
from cryoprotect.services import reference_data


@pytest.mark.parametrize(
    ("text", "value", "decimals", "significant"),
    [
        ("1.100", 1.1, 3, 4),
        ("0.0050", 0.005, 4, 2),
        ("-5.46", -5.46, 2, 3),
        ("1200", 1200.0, 0, 4),
        ("1.2e3", 1200.0, None, 2),
        ("1.2E-3", 0.0012, 4, 2),
        ("-0.30", -0.3, 2, 2),
        (" 40 ", 40.0, 0, 2),
        ("0", 0.0, 0, 1),
        (".5", 0.5, 1, 1),
    ],
)
def test_digits_as_written(text: str, value: float, decimals: int | None, significant: int) -> None:
    number = published_number(text)
    assert number.value == value
    assert number.decimals == decimals
    assert number.significant == significant


@pytest.mark.parametrize("text", ["", " ", "about 1.26", "nan", "inf", "1.2.3", "-", "1e", "e3"])
def test_a_cell_that_is_not_a_number_is_refused_with_its_row(text: str) -> None:
    with pytest.raises(ValidationError, match="table.csv:7"):
        published_number(text, "table.csv:7")


def test_shipped_measured_properties_keep_their_trailing_zeros() -> None:
    names = {row["name"] for row in reference_data._read("molecules.csv")}
    grouped = reference_data._measured_rows(names)
    dmso = {p["property_name"]: p for p in grouped["Dimethyl sulfoxide"]}
    assert dmso["density"]["value"] == pytest.approx(1.1)
    assert dmso["density"]["published_decimals"] == 3  # "1.100" in measured_properties.csv
    ethanol = {p["property_name"]: p for p in grouped["Ethanol"]}
    assert ethanol["logp_experimental"]["published_decimals"] == 2  # "-0.30"
    glycerol = {p["property_name"]: p for p in grouped["Glycerol"]}
    assert glycerol["boiling_point"]["published_decimals"] == 0  # "290"
    density = dmso["density"]
    assert (
        reference_data.published_decimals(
            "density", density["method"], density["source"], density["value"]
        )
        == 3
    )
    # Another method or value is not the shipped row: no published precision.
    assert reference_data.published_decimals("density", "my own", density["source"], 1.1) is None
    assert reference_data.published_decimals("density", density["method"], None, None) is None


def test_named_solution_and_crc_tables_keep_their_digits() -> None:
    by_key = {(m.solution, m.property): m for m in glass.load_measured_solution_properties()}
    assert by_key[("VS55", "critical_cooling_rate")].published_decimals == 1  # "2.5"
    assert by_key[("DP6", "critical_warming_rate")].published_decimals == 0  # "189"
    assert by_key[("M22", "critical_cooling_rate")].published_decimals == 1  # "0.1"
    crc = thermo.measured_freezing_points("Glycerol")
    assert crc is not None
    assert len(crc.delta_t_decimals) == len(crc.delta_t_c)
    at_20 = int(list(crc.mass_percent).index(20.0))
    assert crc.delta_t_c[at_20] == pytest.approx(5.46)
    assert crc.delta_t_decimals[at_20] == 2
