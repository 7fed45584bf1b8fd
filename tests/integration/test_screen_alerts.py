"""`cryoprotect screen`: structural-alert columns and --rank-by (issue 16, item 4)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from cryoprotect.cli import main
from cryoprotect.science.alerts import default_penalties

pytestmark = pytest.mark.integration

LIBRARY = (
    "NN hydrazine\nCNN methylhydrazine\nOCC(O)CO glycerol\nOCCO eg\nC1CC broken\nCS(C)=O dmso\n"
)


def _screen(tmp_path: Path, *extra: str) -> list[dict[str, str]]:
    source = tmp_path / "library.smi"
    source.write_text(LIBRARY, encoding="utf-8")
    out = tmp_path / f"ranked{len(extra)}.csv"
    result = CliRunner().invoke(
        main, ["screen", str(source), "-o", str(out), "--processes", "2", *extra]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_default_ranking_puts_hydrazines_below_clean_cpas(tmp_path: Path) -> None:
    rows = _screen(tmp_path)
    names = [r["name"] for r in rows]
    assert set(names[:3]) == {"glycerol", "eg", "dmso"}
    assert names[3:5] == ["hydrazine", "methylhydrazine"] and names[-1] == "broken"
    adjusted = [float(r["alert_adjusted_score"]) for r in rows[:-1]]
    assert adjusted == sorted(adjusted, reverse=True)
    by_name = {r["name"]: r for r in rows}
    hyd = by_name["hydrazine"]
    assert int(hyd["alerts_count"]) >= 3
    assert hyd["alert_catalogues"] == "Brenk;NIH"
    assert "Brenk: hydrazine" in hyd["alert_descriptions"].split("; ")
    factor = default_penalties()["Brenk"].penalty_factor * default_penalties()["NIH"].penalty_factor
    assert float(hyd["alert_adjusted_score"]) == pytest.approx(
        float(hyd["cpa_score"]) * factor, abs=1e-5
    )
    glycerol = by_name["glycerol"]
    assert glycerol["alerts_count"] == "0" and glycerol["alert_catalogues"] == ""
    assert glycerol["alert_adjusted_score"] == glycerol["cpa_score"]
    broken = by_name["broken"]
    assert broken["error"] and broken["alerts_count"] == "" and broken["alert_adjusted_score"] == ""


def test_rank_by_cpa_score_keeps_the_plain_ranking(tmp_path: Path) -> None:
    rows = _screen(tmp_path, "--rank-by", "cpa_score")
    assert [r["name"] for r in rows[:2]] == ["hydrazine", "methylhydrazine"]
    scores = [float(r["cpa_score"]) for r in rows[:-1]]
    assert scores == sorted(scores, reverse=True)
    top = _screen(tmp_path, "--rank-by", "cpa_score", "--top", "1")
    assert [r["name"] for r in top] == ["hydrazine"]
    default_top = _screen(tmp_path, "--top", "1")
    assert default_top[0]["name"] in {"glycerol", "eg", "dmso"}


def test_unknown_rank_by_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "library.smi"
    source.write_text(LIBRARY, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["screen", str(source), "-o", str(tmp_path / "x.csv"), "--rank-by", "toxicity"]
    )
    assert result.exit_code == 2 and "--rank-by" in result.output
