"""Datasets: CryoMN loaders (rows, groups, flags, units), user records, content hash.

Data: ``data/cryomn`` (ML-for-CryoMN, MIT; see data/SOURCES.md), read through the loaders
and, for the counts, directly with the csv module.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.ml.datasets import (
    FLAGS,
    VIABILITY,
    Component,
    dataset_from_records,
    load_cryomn_literature,
    load_cryomn_wetlab,
    normalise_doi,
    read_ingredient_map,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CRYOMN = ROOT / "data" / "cryomn"
LITERATURE = CRYOMN / "literature_formulations.csv"
WETLAB = CRYOMN / "wetlab_validation.csv"


@pytest.fixture(scope="module")
def literature():
    return load_cryomn_literature(LITERATURE)


def test_literature_has_198_records_on_201_data_lines(literature) -> None:
    # data/SOURCES.md says 201 formulations: that is the number of data *lines*. Three
    # source_doi fields contain a quoted line break, so the CSV holds 198 records.
    lines = LITERATURE.read_text(encoding="utf-8").splitlines()
    with LITERATURE.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(lines) - 1 == 201
    assert len(records) == 198
    assert len(literature) == 198
    assert literature.row_ids[0] == "lit:1"
    assert all(VIABILITY in r.targets for r in literature.rows)


def test_literature_rows_are_grouped_by_doi(literature) -> None:
    by_group: dict[str, list[str]] = {}
    for row in literature.rows:
        by_group.setdefault(row.group, []).append(row.row_id)
    # The 17 formulations of doi:10.1007/s10517-021-05187-3 form one group...
    assert len(by_group["doi:10.1007/s10517-021-05187-3"]) == 17
    # ...and DOIs written differently in the file land in the same group.
    assert normalise_doi(" https://doi.org/10.1002/term.2175") == "10.1002/term.2175"
    assert normalise_doi("10.1089=ten.tec.2009.0552") == "10.1089/ten.tec.2009.0552"
    assert normalise_doi("http://dx.doi.org/10.1016/J.JCYT.2016.04.005") == (
        "10.1016/j.jcyt.2016.04.005"
    )
    assert len(by_group) == 54
    # rows of one source never sit in two groups
    for row in literature.rows:
        raw = row.metadata["source_doi"]
        if ";" not in raw and "\n" not in raw:
            assert row.group == "doi:" + normalise_doi(raw)


def test_connected_grouping_merges_rows_sharing_any_doi() -> None:
    strict = load_cryomn_literature(LITERATURE, group_by="connected")
    sizes = sorted((strict.groups.count(g) for g in set(strict.groups)), reverse=True)
    assert sizes[0] == 130  # the aggregated "10 % DMSO" rows link most papers together
    assert len(sizes) == 18


def test_literature_units_and_dmso_are_not_double_counted(literature) -> None:
    row = {r.row_id: r for r in literature.rows}["lit:7"]  # raw text: 10% DMSO + 90% FBS
    assert row.composition == (
        Component("Dimethyl sulfoxide", 10.0, "% v/v"),
        Component("Fetal bovine serum", 90.0, "% v/v"),
    )
    for r in literature.rows:
        names = [c.name for c in r.composition]
        assert len(names) == len(set(names))
        assert all(c.amount > 0 for c in r.composition)


def test_known_data_problems_are_flagged_not_fixed(literature) -> None:
    rows = {r.row_id: r for r in literature.rows}
    # formulation 341: 'Residual DMSO removed (>95% ...)' became 95 % v/v DMSO
    assert "dmso_only_in_usage_column" in rows["lit:341"].flags
    assert "dmso_above_50_percent" in rows["lit:341"].flags
    assert Component("Dimethyl sulfoxide", 95.0, "% v/v") in rows["lit:341"].composition
    # formulation 1 (SEGA: EG + taurine + ectoine) lists the DMSO control arm's 10 %
    assert "dmso_only_in_usage_column" in rows["lit:1"].flags
    # '0.25 M trehalose' stored as 0.00025 mol/L is flagged, value unchanged
    assert "suspicious_molar_amount" in rows["lit:2"].flags
    assert rows["lit:2"].composition == (Component("Trehalose", 0.00025, "mol/L"),)
    counts = literature.flag_counts()
    assert counts["aggregated_over_sources"] == 18
    assert counts["empty_composition"] == 1
    assert set(counts) <= set(FLAGS)
    kept = literature.exclude_flagged(["dmso_only_in_usage_column"])
    assert len(kept) == 198 - 3


def test_wetlab_rows_grouped_by_batch_date() -> None:
    wetlab = load_cryomn_wetlab(WETLAB)
    assert len(wetlab) == 90
    assert len(set(wetlab.groups)) == 12
    first = wetlab.rows[0]
    assert first.row_id == "wetlab:EXP101"
    assert first.group == "batch:2026-02-04"
    assert first.composition == (
        Component("Dimethyl sulfoxide", 0.033, "mol/L"),
        Component("Ethylene glycol", 2.07, "mol/L"),
    )
    assert first.targets == {VIABILITY: 21.01}
    assert wetlab.flag_counts() == {}  # notes and columns agree on every row


def test_ingredient_map_units_are_composition_units() -> None:
    columns = read_ingredient_map()
    assert columns["dmso_percent"].unit == "% v/v"
    assert columns["hsa_pct"].unit == "% w/v"
    assert columns["trehalose_M"].unit == "mol/L"


def test_content_hash_is_stable_and_content_sensitive(literature) -> None:
    again = load_cryomn_literature(LITERATURE)
    assert again.content_hash == literature.content_hash
    assert len(literature.content_hash) == 64
    changed = literature.subset(range(197))
    assert changed.content_hash != literature.content_hash
    records = literature.to_records()
    rebuilt = dataset_from_records(records, name="copy")
    assert rebuilt.content_hash == literature.content_hash


def test_records_validate_units_amounts_and_names() -> None:
    good = dataset_from_records(
        [
            {
                "id": "a",
                "components": [
                    {"name": "DMSO", "amount": 10, "unit": "% v/v"},
                    ("Trehalose", 0.0, "mol/L"),
                ],
                "targets": {"viability_percent": 80},
                "group": "paper-1",
            },
            {"components": [["Glycerol", 1.0, "mol/kg"]], "targets": {}},
        ]
    )
    assert good.rows[0].composition == (Component("DMSO", 10.0, "% v/v"),)  # zero dropped
    assert good.rows[1].row_id == "row-1" and good.rows[1].group == "row-1"
    with pytest.raises(ValidationError) as unit_error:
        dataset_from_records([{"components": [{"name": "DMSO", "amount": 1, "unit": "ppm"}]}])
    assert unit_error.value.field == "records[0].components[0].unit"
    assert "ppm" in unit_error.value.message
    with pytest.raises(ValidationError, match="≥ 0"):
        dataset_from_records([{"components": [{"name": "DMSO", "amount": -1, "unit": "% v/v"}]}])
    with pytest.raises(ValidationError, match="listed twice"):
        dataset_from_records([{"components": [("DMSO", 1, "% v/v"), ("dmso", 2, "% v/v")]}])
    with pytest.raises(ValidationError, match="appears twice"):
        dataset_from_records([{"id": "x", "components": []}, {"id": "x", "components": []}])
