"""The vitrification parameter tables under ``science/params``: their paths, the quantities
and methods named in answers, and the CSV row readers they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypedDict

from cryoprotect.errors import ValidationError
from cryoprotect.science.tables import PROVENANCES, parse_bool, read_table

PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"
TG_PRIME_TABLE = PARAMS_DIR / "tg_prime_published.csv"
CRITICAL_RATES_TABLE = PARAMS_DIR / "critical_rates.csv"
NUCLEATION_TABLE = PARAMS_DIR / "nucleation_temperatures.csv"
NAMED_SOLUTIONS_TABLE = PARAMS_DIR / "named_vitrification_solutions.csv"

CCR = "critical_cooling_rate"
CWR = "critical_warming_rate"
QUANTITIES = (CCR, CWR)
RATE_UNIT = "°C/min"
#: Relative tolerance on each CPA's molarity when recognising a named solution.
NAMED_MATCH_REL_TOL = 0.05

INTERPOLATION_METHOD = (
    "log-linear interpolation of published critical rates against solute mass fraction "
    "(log10 rate linear in w between the two bracketing published points; no extrapolation)"
)
NAMED_METHOD = "published critical rate of the named solution (measured; returned verbatim)"

Applies = Literal["homogeneous", "freeze_concentrated", "unknown"]
Outcome = Literal["ice_free", "ice_forms", "unknown"]


def read_sourced_table(path: Path, columns: Sequence[str]) -> list[tuple[str, dict[str, str]]]:
    """The rows of a parameter table with where each stands (``file.csv:LINE``), checked for
    ``columns``, a source and a provenance tag."""
    rows = read_table(path, columns)
    for where, row in rows:
        if not (row.get("source") or "").strip():
            raise ValidationError(f"{where}: every value needs a source")
        if (row.get("provenance") or "").strip() not in PROVENANCES:
            raise ValidationError(f"{where}: unknown provenance")
    return rows


class SourcedCells(TypedDict):
    """The cells every row of a vitrification value table has besides its values."""

    solute: str
    method: str
    source: str
    table: str
    provenance: str
    verified: bool


def sourced_cells(row: dict[str, str], where: str) -> SourcedCells:
    """A row's solute, method, source, table and provenance (blanks stripped) and its
    ``verified`` flag (``where`` names the row in errors)."""
    return SourcedCells(
        solute=row["solute"].strip(),
        method=row["method"].strip(),
        source=row["source"].strip(),
        table=row["table"].strip(),
        provenance=row["provenance"].strip(),
        verified=parse_bool(row["verified"], where),
    )
