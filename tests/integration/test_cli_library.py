"""`cryoprotect import` and `cryoprotect screen` from the command line."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from cryoprotect.cli import main
from cryoprotect.db.database import Database
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import AuthService
from cryoprotect.services.molecules import MoleculeService
from cryoprotect.settings import Settings
from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration


def _run(settings: Settings, *args: str):
    env = {"CRYOPROTECT_HOME": str(settings.home), "DATABASE_URL": None}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_import_command_reports_rows_and_is_idempotent(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    email = f"cli-import-{uuid.uuid4().hex[:8]}@example.org"
    user = AuthService(db, settings).register(email, "long enough password")
    good = [unique_smiles() for _ in range(3)]
    source = tmp_path / "library.smi"
    source.write_text(f"{good[0]} first\nC1CC broken\n{good[1]} second\n{good[2]} third\n")
    report = tmp_path / "rejected.csv"
    first = _run(
        settings,
        "import",
        str(source),
        "--user",
        email,
        "--processes",
        "1",
        "--report",
        str(report),
    )
    assert first.exit_code == 0, first.output
    assert "4 rows: 3 added, 0 already present, 1 rejected." in first.output
    rows = list(csv.DictReader(report.open()))
    assert [r["row"] for r in rows] == ["2"] and "ring" in rows[0]["reason"].lower()
    second = _run(settings, "import", str(source), "--user", email, "--processes", "2")
    assert second.exit_code == 0, second.output
    assert "4 rows: 0 added, 3 already present, 1 rejected." in second.output
    mine = MoleculeService(db).list(Actor(user_id=user.id), visibility="private", per_page=100)
    assert mine.total == 3
    assert {m.name for m in mine.items} == {"first", "second", "third"}


def test_import_unknown_user_fails_cleanly(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    source = tmp_path / "x.smi"
    source.write_text("CCO\n")
    result = _run(settings, "import", str(source), "--user", "nobody-here@example.org")
    assert result.exit_code == 1
    assert "No active account" in result.output


def test_screen_ranks_by_cpa_score(tmp_path: Path) -> None:
    source = tmp_path / "external.smi"
    source.write_text(
        "c1ccccc1 benzene\nOCC(O)CO glycerol\nCCCCCCCCCCCCCCCC hexadecane\nC1CC broken\nOCCO eg\n"
    )
    out = tmp_path / "ranked.csv"
    result = CliRunner().invoke(main, ["screen", str(source), "-o", str(out), "--processes", "2"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "5"]
    names = [r["name"] for r in rows]
    assert set(names[:2]) == {"glycerol", "eg"}
    assert names[-1] == "broken" and rows[-1]["error"]
    scores = [float(r["cpa_score"]) for r in rows[:-1]]
    assert scores == sorted(scores, reverse=True)
    assert {"hydroxyl_groups", "clogp_crippen", "tpsa"} <= set(rows[0])
    top = tmp_path / "top.csv"
    CliRunner().invoke(
        main, ["screen", str(source), "-o", str(top), "--top", "2", "--processes", "1"]
    )
    assert [r["name"] for r in csv.DictReader(top.open())] == names[:2]
