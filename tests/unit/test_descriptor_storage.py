"""Computed descriptors stored as one array per molecule (migration 0021): the catalogue in
``services/chemistry.py`` turns a registration's property rows into the stored array and
back into the same rows, and leaves every row it cannot express exactly as a row."""

from __future__ import annotations

import pytest

from cryoprotect.science.descriptors import DESCRIPTOR_METHOD, DESCRIPTORS
from cryoprotect.services.chemistry import (
    DESCRIPTOR_NAMES,
    descriptor_rows,
    prepare_structure,
    property_rows,
    split_descriptors,
)
from cryoprotect.services.screening import DESCRIPTOR_COLUMNS

pytestmark = pytest.mark.unit


def test_catalogue_is_the_descriptor_set_in_the_screens_order() -> None:
    assert tuple(d.name for d in DESCRIPTORS) == DESCRIPTOR_NAMES
    # The bulk import stages the screen's registration_descriptors array as it is.
    assert tuple(DESCRIPTOR_COLUMNS) == DESCRIPTOR_NAMES


def test_registration_rows_round_trip_through_the_array() -> None:
    rows = prepare_structure("OCC(O)CO", "smiles").properties  # glycerol
    assert len(rows) == len(DESCRIPTOR_NAMES) == 19
    stored, rest = split_descriptors(rows)
    assert rest == []
    assert stored is not None and stored.computed_by == DESCRIPTOR_METHOD
    assert len(stored.values) == 19 and None not in stored.values
    back = descriptor_rows(stored.computed_by, stored.values)
    assert back == [{**row, "text_value": None} for row in rows]


def test_rows_the_catalogue_cannot_express_stay_rows() -> None:
    rows = property_rows({"tpsa": 40.46, "hbd": 3.0, "molecular_weight": 92.094})
    measured = {
        "property_name": "density",
        "value": 1.261,
        "unit": "g/mL",
        "method": "pycnometer",
        "provenance": "measured",
        "source": "CRC Handbook",
    }
    other_unit = {**rows[0], "unit": "nm²"}  # tpsa in another unit
    other_method = {**rows[1], "method": "RDKit 2020.03.1: another counting rule"}
    second_version = {**rows[2], "method": rows[2]["method"].replace(DESCRIPTOR_METHOD, "RDKit 1")}
    stored, rest = split_descriptors([*rows, measured, other_unit, other_method, second_version])
    assert stored is not None
    assert rest == [measured, other_unit, other_method, second_version]
    # Only the three catalogue rows are stored; the other positions are empty.
    assert sum(v is not None for v in stored.values) == 3
    assert descriptor_rows(stored.computed_by, stored.values) == [
        {**row, "text_value": None}
        for row in sorted(rows, key=lambda r: DESCRIPTOR_NAMES.index(r["property_name"]))
    ]
    assert split_descriptors([measured]) == (None, [measured])
