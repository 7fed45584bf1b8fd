"""validation/report.py: the melting-point and carrier rows meet issue 13's targets.

Targets (issue 13): held-out melting-point MAE ≤ 0.5 °C per solute and published source
(CRC Handbook 102nd ed. table; Melinder 2010 curves shipped by CoolProp); every shipped
carrier's osmolality within 3 % of its cited measurement (saline: 286 mOsm/kg, Williams,
Anesth Analg 1999; PBS: the 280–315 mOsm/kg specification). The other helpers' modules
(ternary, glass, cells) are tested by their own tests; here only that a missing one is
reported, never skipped.
"""

from __future__ import annotations

from typing import Any

import pytest
from validation import melting_points, report

pytestmark = pytest.mark.unit

TARGETED_CPAS = ("Propylene glycol", "Ethylene glycol", "Glycerol", "Methanol", "Ethanol")
# Euro-Collins' only cited value is a per-litre osmolarity without a method; the ion model is
# +4.3 % there (helper E's tests/unit/test_carrier_osmolality.py records why). A recorded
# miss, kept inside 5 %, and the report says FAILED for it.
KNOWN_CARRIER_MISSES = {"Euro-Collins": 0.05}


@pytest.fixture(scope="module")
def melting_rows() -> list[dict[str, Any]]:
    return melting_points.rows()


@pytest.fixture(scope="module")
def carrier_rows() -> list[dict[str, Any]]:
    return report.carrier_rows()


def test_every_melting_point_row_with_data_meets_the_held_out_target(
    melting_rows: list[dict[str, Any]],
) -> None:
    scored = [r for r in melting_rows if r["n"] > 0]
    assert len(scored) >= 12
    for row in scored:
        assert row["section"] == "melting_point"
        assert row["target_c"] == 0.5
        assert row["mae_c"] <= 0.5, row
        assert row["mae_c"] == max(row["alternate_mae_c"], row["loo_mae_c"])
        assert row["passes"] is True and row["status"] == "validated"
        assert row["max_abs_c"] >= row["mae_c"]
        assert 0.0 <= row["osmolality_loo_mae_rel"] < 0.05, row


def test_each_targeted_cpa_is_scored_against_every_published_source(
    melting_rows: list[dict[str, Any]],
) -> None:
    sources = {(r["system"], r["source"]) for r in melting_rows if r["n"] > 0}
    for cpa in TARGETED_CPAS:
        assert (cpa, "melinder2010") in sources, cpa
    for cpa in TARGETED_CPAS[1:]:  # the CRC table has no propylene glycol
        assert (cpa, "crc") in sources, cpa
    for salt_or_sugar in ("Sucrose", "Sodium chloride", "Potassium chloride"):
        assert (salt_or_sugar, "crc") in sources
    # the highest published concentration below the eutectic, ≥ 40 % w/w where data exist
    pg = next(r for r in melting_rows if r["system"] == "Propylene glycol")
    assert pg["range"].startswith("2–60 % w/w")


def test_dmso_is_reported_as_not_validated_and_fails_its_target(
    melting_rows: list[dict[str, Any]],
) -> None:
    (dmso,) = [r for r in melting_rows if r["system"] == "Dimethyl sulfoxide"]
    assert dmso["n"] == 0 and dmso["mae_c"] is None
    assert dmso["passes"] is False and dmso["status"] == "no_data"
    assert "Weng" in dmso["reason"] and "unverified" in dmso["reason"]
    assert dmso in report.failures(melting_rows)
    for name in ("Formamide", "Acetamide", "Trehalose"):
        (row,) = [r for r in melting_rows if r["system"] == name]
        assert row["n"] == 0 and row["passes"] is None and row["reason"]


def test_carrier_osmolality_rows_meet_the_three_percent_target(
    carrier_rows: list[dict[str, Any]],
) -> None:
    by_name = {r["system"]: r for r in carrier_rows}
    assert set(by_name) == {"Euro-Collins", "isotonic saline", "phosphate-buffered saline"}
    for name, row in by_name.items():
        assert row["section"] == "carrier_osmolality" and row["n"] == 1
        assert row["computed"] is not None and row["source"]
        if name in KNOWN_CARRIER_MISSES:
            assert row["passes"] is False
            assert abs(row["relative_error"]) <= KNOWN_CARRIER_MISSES[name]
        else:
            assert row["passes"] is True, row
    saline = by_name["isotonic saline"]
    assert abs(saline["relative_error"]) <= 0.03
    assert saline["computed"] == pytest.approx(0.286, rel=0.03)  # measured 286 mOsm/kg
    pbs = by_name["phosphate-buffered saline"]
    assert 0.280 <= pbs["computed"] <= 0.315  # the cited specification range
    assert pbs["range"].startswith("specification range")


def test_a_missing_validation_module_is_reported_and_fails_the_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, missing = report.load_sections(("no_such_validation_module",))
    assert missing == ["validation.no_such_validation_module"]
    monkeypatch.setattr(report, "OTHER_MODULES", ("no_such_validation_module",))
    status = report.main([])
    out = capsys.readouterr().out
    assert "MISSING: validation.no_such_validation_module" in out
    assert status == report.EXIT_MISSING


def test_a_row_missing_its_target_fails_the_report() -> None:
    rows: list[dict[str, Any]] = [
        {"section": "x", "system": "a", "passes": True},
        {"section": "x", "system": "b", "passes": None},
        {"section": "x", "system": "c", "passes": False, "source": "s", "reason": "why"},
    ]
    assert [r["system"] for r in report.failures(rows)] == ["c"]
    table = report.format_table("T", rows)
    assert "NO" in table and "reason: why" in table and table.startswith("T\n")


def test_the_report_imports_the_other_helpers_modules_by_a_fixed_list() -> None:
    assert report.OTHER_MODULES == ("ternary", "glass", "cells")
