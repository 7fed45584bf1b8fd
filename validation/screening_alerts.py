"""How structural alerts change the top 50 of `cryoprotect screen` on RDKit's NCI sample (issue 16, item 4).

Input: ``NCI/first_5K.smi`` of the installed RDKit (the sample the screening benchmark and
the standardisation tests use). One screen (:func:`cryoprotect.services.screening.screen_file`)
writes both the plain CPA score and the alert-adjusted score of every molecule; the two
rankings are read from those columns in the order the screen itself uses (best first,
ties in input order), so both come from the same run.

Prints:

* the sample: molecules, scored, share with at least one alert, molecules per catalogue;
* the top 50 by ``cpa_score`` (before) with their alerts;
* the top 50 by ``alert_adjusted_score`` (after, the screen's default);
* what moved: molecules that left the top 50 (their new rank, their alerts) and those that
  entered (their old rank), and how many alerted molecules each top 50 holds.

* the shipped reference library (``db/reference/molecules.csv``): which CPAs carry alerts,
  and whether each alert is penalised or only shown (per-alert overrides).

The penalty factors are ours (``science/params/structural_alert_penalties.csv``, provenance
``estimated``); the alerts are RDKit's Brenk, NIH and PAINS catalogues; alerts that are
over-matches or not about toxicity/reactivity for a CPA are shown but not penalised
(``science/params/structural_alert_overrides.csv``).

Usage: python validation/screening_alerts.py [--top 50] [--processes 2] [--csv out.csv]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from rdkit import RDConfig  # noqa: E402

from cryoprotect.science.alerts import (  # noqa: E402
    CATALOGUES,
    alerts_for_smiles,
    default_overrides,
    default_penalties,
)
from cryoprotect.science.standardize import register_structure  # noqa: E402
from cryoprotect.services.screening import screen_file  # noqa: E402

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
REFERENCE = ROOT / "src" / "cryoprotect" / "db" / "reference" / "molecules.csv"


def ranked(rows: list[dict[str, str]], column: str) -> list[dict[str, str]]:
    """Scored rows best first by ``column``, ties in input order (as the screen ranks)."""
    scored = [r for r in rows if not r["error"]]
    return sorted(scored, key=lambda r: (-float(r[column]), int(r["input_row"])))


def _line(rank: int, row: dict[str, str], *, adjusted: bool) -> str:
    alerts = row["alert_descriptions"] or "-"
    if len(alerts) > 70:
        alerts = alerts[:67] + "..."
    score = f"{float(row['cpa_score']):.4f}"
    if adjusted:
        score += f"  {float(row['alert_adjusted_score']):.4f}"
    return f"{rank:>4}  {row['smiles'][:38]:<38}  {score}  {alerts}"


def report(rows: list[dict[str, str]], top: int) -> None:
    scored = [r for r in rows if not r["error"]]
    flagged = [r for r in scored if int(r["alerts_count"]) > 0]
    per_catalogue = Counter(c for r in flagged for c in r["alert_catalogues"].split(";"))
    print(f"input: {NCI} ({len(rows)} records, {len(scored)} scored)")
    print(
        f"molecules with >= 1 alert: {len(flagged)} ({100 * len(flagged) / len(scored):.1f} %); "
        + ", ".join(f"{c.name} {per_catalogue.get(c.name, 0)}" for c in CATALOGUES)
    )
    factors = ", ".join(f"{f.family} x{f.penalty_factor:g}" for f in default_penalties().values())
    print(f"penalty per matched family (our choice, provenance estimated): {factors}")
    shown_only = [r for r in flagged if float(r["alert_adjusted_score"]) == float(r["cpa_score"])]
    print(
        f"per-alert overrides: {len(default_overrides())} rules; alerted molecules whose alerts "
        f"are all shown-only (factor 1): {len(shown_only)}"
    )

    before = ranked(rows, "cpa_score")
    after = ranked(rows, "alert_adjusted_score")
    old_rank = {r["input_row"]: i for i, r in enumerate(before, start=1)}
    new_rank = {r["input_row"]: i for i, r in enumerate(after, start=1)}

    print(f"\n== top {top} by cpa_score (before) ==")
    print(f"{'rank':>4}  {'SMILES (standardised parent)':<38}  cpa     alerts")
    for i, r in enumerate(before[:top], start=1):
        print(_line(i, r, adjusted=False))
    print(f"\n== top {top} by alert_adjusted_score (after; the screen's default) ==")
    print(f"{'rank':>4}  {'SMILES (standardised parent)':<38}  cpa     adjusted  alerts")
    for i, r in enumerate(after[:top], start=1):
        print(_line(i, r, adjusted=True))

    top_before = {r["input_row"] for r in before[:top]}
    top_after = {r["input_row"] for r in after[:top]}
    left = [r for r in before[:top] if r["input_row"] not in top_after]
    entered = [r for r in after[:top] if r["input_row"] not in top_before]
    print("\n== what moved ==")
    print(
        f"top {top} before: {sum(int(r['alerts_count']) > 0 for r in before[:top])} with alerts; "
        f"after: {sum(int(r['alerts_count']) > 0 for r in after[:top])} with alerts"
    )
    print(f"left the top {top}: {len(left)}; entered: {len(entered)}; stayed: {top - len(left)}")
    reasons = Counter(
        fam
        for r in left
        for fam in sorted({c.split("_")[0] for c in r["alert_catalogues"].split(";") if c})
    )
    print(
        "families of the molecules that left: " + ", ".join(f"{k} {v}" for k, v in reasons.items())
    )
    print("\nleft (old rank -> new rank):")
    for r in left:
        print(
            f"  {old_rank[r['input_row']]:>3} -> {new_rank[r['input_row']]:>4}  "
            f"{r['smiles'][:38]:<38}  {r['alert_descriptions'][:80]}"
        )
    print("\nentered (old rank -> new rank):")
    for r in entered:
        print(
            f"  {old_rank[r['input_row']]:>4} -> {new_rank[r['input_row']]:>3}  "
            f"{r['smiles'][:38]:<38}  cpa {float(r['cpa_score']):.4f}"
        )
    first4 = [r["smiles"] for r in before[:4]]
    print(
        f"\nthe first four before ({', '.join(first4)}) now rank: "
        + ", ".join(str(new_rank[r["input_row"]]) for r in before[:4])
    )


def reference_library() -> None:
    """Alerts of the shipped reference CPAs (standardised parents, as registered)."""
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["smiles"]]
    print(f"\n== reference library ({REFERENCE.name}): {len(rows)} molecules with structure ==")
    flagged = 0
    for row in rows:
        report = alerts_for_smiles(register_structure(row["smiles"], "smiles").smiles)
        if not report.count:
            continue
        flagged += 1
        print(
            f"  {row['name'][:34]:<34} {row['molecule_class']:<15} factor "
            f"{report.penalty_factor:<5g} {'; '.join(report.descriptions)}"
        )
    print(f"  {flagged} of {len(rows)} carry alerts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--csv", type=Path, default=None, help="Keep the screen's ranked CSV.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        output = args.csv or Path(tmp) / "ranked.csv"
        screen_file(NCI, output, processes=args.processes)
        with output.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    report(rows, args.top)
    reference_library()


if __name__ == "__main__":
    main()
