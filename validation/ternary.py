"""Ternary solutions (CPA + NaCl + water, CPA + CPA + water) against published melting points.

Issue 13, item 4 (target: held-out melting-point MAE ≤ 1.0 °C for ternary CPA–NaCl systems).

Data: ``science/params/ternary_freezing_points.csv`` — one row per published ice melting
point with its citation, table and whether it was read in the primary text. The ternary
data are never used to fit anything: every coefficient comes from binary (single-solute)
data, so each ternary point is held out by construction.

Prediction: the path ``POST /api/v1/solutions/properties`` takes
(:func:`cryoprotect.services.solutions.solution_properties`): amounts converted to molality
by :func:`cryoprotect.science.composition.to_molality`, then
:func:`cryoprotect.science.thermo_validity.assess` with ``ions=True`` (the multisolute osmotic
virial equation with the Elliott et al. 2007 combining rules; the salt's own contribution from
the Pitzer ion model). Where that answer is null (outside a fitted range, past a eutectic,
no recorded range) the point is counted as *refused* and never compared: a value the API
would not show is not scored.

State: no published ternary point could be read with the tools available offline (see the
comment header of the CSV for the sources sought), so every system below reports n = 0 and
does not pass. ``--spread`` prints how far our prediction lies from the freezing-point
summation of Kleinhans & Mazur (sum of the two binary depressions at the same molalities)
along the usual R-lines — a model-to-model difference, NOT a validation.

Usage: python validation/ternary.py [--points PATH] [--spread]
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.science import composition, thermo, thermo_validity

POINTS_TABLE = thermo.PARAMS_DIR / "ternary_freezing_points.csv"
COLUMNS = (
    "system",
    "solute_1",
    "amount_1",
    "unit_1",
    "solute_2",
    "amount_2",
    "unit_2",
    "melting_point_c",
    "source",
    "table",
    "provenance",
    "verified",
)
TARGET_MAE_C = 1.0
"""Issue 13 target for ternary CPA–NaCl systems (held-out MAE of the melting point, °C)."""
MIN_POINTS = 5
"""A system is judged against the target only with at least this many answered points."""
SALT = "Sodium chloride"


@dataclass(frozen=True)
class TernaryPoint:
    """One published ice melting point of a two-solute aqueous solution."""

    system: str
    solutes: tuple[str, str]
    amounts: tuple[float, float]
    units: tuple[str, str]
    melting_point_c: float
    source: str
    table: str
    verified: bool


@dataclass(frozen=True)
class Prediction:
    """What the API would say for one point: a value in °C, or null with the reason."""

    point: TernaryPoint
    predicted_c: float | None
    status: str
    reason: str | None

    @property
    def error_c(self) -> float | None:
        """Predicted − measured (°C), or ``None`` when the model refuses to answer."""
        if self.predicted_c is None:
            return None
        return self.predicted_c - self.point.melting_point_c


@dataclass(frozen=True)
class SoughtSystem:
    """A system the issue asks for, and where its published data are."""

    system: str
    kind: str  # "CPA–NaCl" or "CPA–CPA"
    sources: str


SOUGHT: tuple[SoughtSystem, ...] = (
    SoughtSystem(
        "Glycerol + Sodium chloride + water",
        "CPA–NaCl",
        "Kleinhans & Mazur, Cryobiology 2007 (PMC2730495) compare published glycerol–NaCl "
        "diagrams; Prickett, Elliott & McGann, J Phys Chem B 115:14531 (2011)",
    ),
    SoughtSystem(
        "Dimethyl sulfoxide + Sodium chloride + water",
        "CPA–NaCl",
        "'The primary ice phase field in the H2O-NaCl-dimethyl sulphoxide ternary system', "
        "J Mater Sci (doi 10.1007/BF00544706); Kleinhans & Mazur 2007; Prickett et al. 2011",
    ),
    SoughtSystem(
        "Ethylene glycol + Sodium chloride + water",
        "CPA–NaCl",
        "Kleinhans & Mazur 2007 (who attribute systematic errors to the published EG data)",
    ),
    SoughtSystem(
        "Propylene glycol + Sodium chloride + water",
        "CPA–NaCl",
        "Weng L, Li W, Zuo J, Thermochim Acta 512:225-232 (2011)",
    ),
    SoughtSystem(
        "Methanol + Sodium chloride + water",
        "CPA–NaCl",
        "Weng L, Li W, Zuo J, Thermochim Acta 512:225-232 (2011)",
    ),
    SoughtSystem(
        "Ethylene glycol + Dimethyl sulfoxide + water",
        "CPA–CPA",
        "Solonina IA, Kiselev MR, Makaev SV, Rodnikova MN, Mendeleev Commun 31:890-892 (2021)",
    ),
)
NO_DATA_REASON = (
    "no published ternary melting point of this system could be read offline (abstracts "
    "only; tables not reachable), and none is entered from memory: not validated"
)


# --- data ---------------------------------------------------------------------------------


def _bool(text: str, where: str) -> bool:
    value = text.strip().lower()
    if value in {"true", "false"}:
        return value == "true"
    raise ValidationError(f"{where}: 'verified' must be true or false, not {text!r}")


def load_points(path: Path | str = POINTS_TABLE) -> list[TernaryPoint]:
    """Read the published ternary melting points.

    Args:
        path: a CSV with the columns in :data:`COLUMNS` (lines starting with ``#`` are notes).

    Returns:
        The points, in file order.

    Raises:
        ValidationError: a missing column, an unknown unit, a point without a citation or
            table, a provenance other than ``measured``, or a malformed number.
    """
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(line for line in handle if not line.startswith("#"))
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValidationError(f"{path.name}: missing columns {sorted(missing)}")
        points = []
        for number, row in enumerate(reader, start=1):
            where = f"{path.name} row {number}"
            if not row["source"].strip() or not row["table"].strip():
                raise ValidationError(f"{where}: every point needs its source and table")
            if row["provenance"].strip() != "measured":
                raise ValidationError(f"{where}: only measured points belong in this table")
            units = (row["unit_1"].strip(), row["unit_2"].strip())
            unknown = [u for u in units if u not in composition.UNITS]
            if unknown:
                raise ValidationError(f"{where}: unknown unit(s) {unknown}")
            try:
                amounts = (float(row["amount_1"]), float(row["amount_2"]))
                melting = float(row["melting_point_c"])
            except ValueError as exc:
                raise ValidationError(f"{where}: {exc}") from exc
            points.append(
                TernaryPoint(
                    system=row["system"].strip(),
                    solutes=(row["solute_1"].strip(), row["solute_2"].strip()),
                    amounts=amounts,
                    units=units,
                    melting_point_c=melting,
                    source=row["source"].strip(),
                    table=row["table"].strip(),
                    verified=_bool(row["verified"], where),
                )
            )
    return points


# --- prediction (the API's path) ----------------------------------------------------------


def predict(point: TernaryPoint) -> Prediction:
    """The melting point the solution-properties API would give for one point.

    Amounts → molality (:func:`composition.to_molality`), then
    :func:`thermo_validity.assess` with the ion model, as
    :func:`cryoprotect.services.solutions.solution_properties` does.
    """
    solutes = [composition.get_solute(name) for name in point.solutes]
    state = composition.to_molality(np.array([point.amounts]), list(point.units), solutes)
    molality = state.molality_mol_per_kg[0]
    answer = thermo_validity.assess(
        molality,
        list(point.solutes),
        [s.molar_mass_g_per_mol for s in solutes],
        ions=True,
    ).melting_point[0]
    value = None if answer.value is None else answer.value - thermo.WATER_MELTING_POINT_K
    return Prediction(point, value, answer.status, answer.reason)


@dataclass(frozen=True)
class SystemSummary:
    """Errors of one system and source over its answered points."""

    system: str
    source: str
    kind: str
    n_points: int
    n_answered: int
    n_refused: int
    min_total_percent: float | None
    max_total_percent: float | None
    mae_c: float | None
    max_abs_c: float | None
    bias_c: float | None

    @property
    def judged(self) -> bool:
        """Whether the system has enough answered points to be held to the target."""
        return self.kind == "CPA–NaCl" and self.n_answered >= MIN_POINTS

    @property
    def passes(self) -> bool:
        """Judged and within the target; never true without data."""
        return self.judged and self.mae_c is not None and self.mae_c <= TARGET_MAE_C


def _kind(point: TernaryPoint) -> str:
    return "CPA–NaCl" if SALT in point.solutes else "CPA–CPA"


def _total_percent(point: TernaryPoint) -> float | None:
    if point.units == ("% w/w", "% w/w"):
        return point.amounts[0] + point.amounts[1]
    return None


def summarise(predictions: Iterable[Prediction]) -> list[SystemSummary]:
    """Per system and source: answered/refused counts, MAE, max |error| and bias (°C).

    Refused points (the API gives no value) are counted, never scored.
    """
    groups: dict[tuple[str, str], list[Prediction]] = {}
    for p in predictions:
        groups.setdefault((p.point.system, p.point.source), []).append(p)
    summaries = []
    for (system, source), group in sorted(groups.items()):
        errors = np.array([p.error_c for p in group if p.error_c is not None], dtype=float)
        totals = [t for t in (_total_percent(p.point) for p in group) if t is not None]
        answered = errors.size > 0
        summaries.append(
            SystemSummary(
                system=system,
                source=source,
                kind=_kind(group[0].point),
                n_points=len(group),
                n_answered=int(errors.size),
                n_refused=len(group) - int(errors.size),
                min_total_percent=min(totals) if totals else None,
                max_total_percent=max(totals) if totals else None,
                mae_c=float(np.mean(np.abs(errors))) if answered else None,
                max_abs_c=float(np.max(np.abs(errors))) if answered else None,
                bias_c=float(np.mean(errors)) if answered else None,
            )
        )
    return summaries


def _range_text(s: SystemSummary) -> str:
    if s.min_total_percent is None or s.max_total_percent is None:
        return "—"
    return f"{s.min_total_percent:g}–{s.max_total_percent:g} % w/w total solute"


def rows(points: Sequence[TernaryPoint] | None = None) -> list[dict[str, Any]]:
    """The report's rows: one per system and source with data, one per sought system without.

    Keys: ``section`` (``"ternary"``), ``system``, ``source``, ``range``, ``n`` (answered
    points scored), ``mae_c``, ``max_abs_c``, ``target_c``, ``passes``; plus ``kind``,
    ``n_refused``, ``bias_c`` and ``status`` (``"validated"``, ``"misses_target"``,
    ``"too_few_points"``, ``"reported"`` for CPA–CPA, ``"no_data"``) with ``reason`` for the
    last. A row without data never passes.
    """
    data = load_points() if points is None else list(points)
    summaries = summarise(predict(p) for p in data)
    out: list[dict[str, Any]] = []
    for s in summaries:
        if s.kind == "CPA–CPA":
            status = "reported"
        elif not s.judged:
            status = "too_few_points"
        else:
            status = "validated" if s.passes else "misses_target"
        out.append(
            {
                "section": "ternary",
                "system": s.system,
                "source": s.source,
                "range": _range_text(s),
                "n": s.n_answered,
                "mae_c": s.mae_c,
                "max_abs_c": s.max_abs_c,
                "target_c": TARGET_MAE_C,
                "passes": s.passes,
                "kind": s.kind,
                "n_refused": s.n_refused,
                "bias_c": s.bias_c,
                "status": status,
                "reason": None,
            }
        )
    covered = {s.system for s in summaries}
    for sought in SOUGHT:
        if sought.system in covered:
            continue
        out.append(
            {
                "section": "ternary",
                "system": sought.system,
                "source": sought.sources,
                "range": "—",
                "n": 0,
                "mae_c": None,
                "max_abs_c": None,
                "target_c": TARGET_MAE_C,
                "passes": False,
                "kind": sought.kind,
                "n_refused": 0,
                "bias_c": None,
                "status": "no_data",
                "reason": NO_DATA_REASON,
            }
        )
    return out


# --- model-to-model spread (not a validation) ---------------------------------------------


def summation_melting_point_c(molality: Sequence[float], solutes: Sequence[str]) -> float:
    """Kleinhans & Mazur's freezing-point summation with our own binary models (°C).

    T_m = Σ_i T_m,binary,i(m_i): each solute's binary depression at its molality in the
    ternary, added (Kleinhans FW & Mazur P, Cryobiology 2007, PMC2730495 — the method as
    stated in its abstract). Binary melting points by the same path as the API (NaCl by
    the ion model).
    """
    total = 0.0
    for m, name in zip(molality, solutes, strict=True):
        binary = thermo.solution_thermo([m], [name], ions=True).melting_point_c
        total += float(np.asarray(binary))
    return total


def spread_table(
    cpas: Sequence[str] = ("Glycerol", "Ethylene glycol", "Propylene glycol", "Methanol"),
    ratio: float = 5.0,
    totals_percent: Sequence[float] = (5.0, 10.0, 20.0, 30.0, 40.0),
) -> list[tuple[str, float, float | None, float, str]]:
    """Our prediction vs the freezing-point summation along a CPA/NaCl weight ratio R.

    Returns:
        ``(cpa, total % w/w, ours °C or None, summation °C, status)`` per composition.
    """
    table = []
    salt = composition.get_solute(SALT)
    for cpa in cpas:
        solute = composition.get_solute(cpa)
        for total in totals_percent:
            amounts = (total * ratio / (1 + ratio), total / (1 + ratio))
            point = TernaryPoint(
                system=f"{cpa} + {SALT} + water",
                solutes=(cpa, SALT),
                amounts=amounts,
                units=("% w/w", "% w/w"),
                melting_point_c=math.nan,
                source="composition grid (no measurement)",
                table="—",
                verified=False,
            )
            ours = predict(point)
            molality = composition.to_molality(
                np.array([amounts]), ["% w/w", "% w/w"], [solute, salt]
            ).molality_mol_per_kg[0]
            table.append(
                (
                    cpa,
                    total,
                    ours.predicted_c,
                    summation_melting_point_c(molality, (cpa, SALT)),
                    ours.status,
                )
            )
    return table


# --- report -------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=Path, default=POINTS_TABLE)
    parser.add_argument(
        "--spread", action="store_true", help="print the model-to-model spread table"
    )
    args = parser.parse_args(argv)
    points = load_points(args.points)
    print(f"Ternary melting points: {len(points)} published points in {args.points.name}")
    print(
        f"target: held-out MAE ≤ {TARGET_MAE_C} °C for CPA–NaCl systems with ≥ {MIN_POINTS} points"
    )
    for row in rows(points):
        print(f"\n{row['system']} [{row['kind']}] — {row['status']}")
        print(f"  source: {row['source']}")
        print(
            f"  range {row['range']}; n answered {row['n']}, refused {row['n_refused']}; "
            f"MAE {_fmt(row['mae_c'])} °C, max {_fmt(row['max_abs_c'])} °C, "
            f"bias {_fmt(row['bias_c'])} °C; passes: {row['passes']}"
        )
        if row["reason"]:
            print(f"  {row['reason']}")
    if args.spread:
        print(
            "\nModel-to-model spread, NOT a validation: our answer (Elliott rules + Pitzer ions) "
            "vs the freezing-point summation of our own binaries, CPA/NaCl = 5 w/w"
        )
        for cpa, total, ours, summed, status in spread_table():
            diff = "—" if ours is None else f"{ours - summed:+.2f}"
            print(
                f"  {cpa:18s} {total:4.0f} % w/w: ours {_fmt(ours):>7s} °C ({status}), "
                f"summation {summed:7.2f} °C, difference {diff} °C"
            )


if __name__ == "__main__":
    main()
