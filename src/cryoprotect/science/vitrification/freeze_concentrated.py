"""Tg′ of the maximally freeze-concentrated phase, from every published measurement (mean,
spread and sources).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryoprotect.errors import ValidationError
from cryoprotect.science.tables import optional_float
from cryoprotect.science.vitrification.tables import (
    TG_PRIME_TABLE,
    read_sourced_table,
    sourced_cells,
)

# --- Tg′ ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedTgPrime:
    """One published Tg′ (and W′g where given) of a solute–water system."""

    solute: str
    tg_prime_k: float
    wg_prime_mass_fraction: float | None
    method: str
    source: str
    table: str
    provenance: str
    verified: bool


@dataclass(frozen=True)
class TgPrime:
    """Tg′ of a solute: the mean of its published values, with their spread and sources.

    Attributes:
        value_k: the mean of the published values (the only one when there is one).
        low_k, high_k: the lowest and highest published value (the spread).
        wg_prime_mass_fraction: mean of the published W′g (None when none is published).
        provenance: ``measured`` for a single value, ``fitted`` for a mean of several.
        verified: every value was read in its source.
        published: every published value behind it.
    """

    solute: str
    value_k: float
    low_k: float
    high_k: float
    wg_prime_mass_fraction: float | None
    provenance: str
    verified: bool
    published: tuple[PublishedTgPrime, ...]

    @property
    def method(self) -> str:
        if len(self.published) == 1:
            return f"published Tg′ ({self.published[0].method})"
        return f"mean of {len(self.published)} published Tg′ values (spread shown)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "solute": self.solute,
            "value_k": self.value_k,
            "value_c": self.value_k - 273.15,
            "low_k": self.low_k,
            "high_k": self.high_k,
            "wg_prime_mass_fraction": self.wg_prime_mass_fraction,
            "method": self.method,
            "provenance": self.provenance,
            "verified": self.verified,
            "published": [asdict(p) for p in self.published],
        }


TG_PRIME_COLUMNS = (
    "solute",
    "tg_prime_k",
    "wg_prime_mass_fraction",
    "method",
    "source",
    "table",
    "provenance",
    "verified",
)


def load_tg_prime_table(path: Path | str = TG_PRIME_TABLE) -> dict[str, TgPrime]:
    """Read the published Tg′ table and combine each solute's values (keys lower-case)."""
    path = Path(path)
    grouped: dict[str, list[PublishedTgPrime]] = {}
    for where, row in read_sourced_table(path, TG_PRIME_COLUMNS):
        value = float(row["tg_prime_k"])
        if not 100.0 < value < 400.0:
            raise ValidationError(f"{where}: Tg′ {value} K is not plausible")
        item = PublishedTgPrime(
            tg_prime_k=value,
            wg_prime_mass_fraction=optional_float(row["wg_prime_mass_fraction"]),
            **sourced_cells(row, where),
        )
        grouped.setdefault(item.solute.lower(), []).append(item)
    table: dict[str, TgPrime] = {}
    for key, items in grouped.items():
        values = [p.tg_prime_k for p in items]
        wg = [p.wg_prime_mass_fraction for p in items if p.wg_prime_mass_fraction is not None]
        table[key] = TgPrime(
            solute=items[0].solute,
            value_k=sum(values) / len(values),
            low_k=min(values),
            high_k=max(values),
            wg_prime_mass_fraction=sum(wg) / len(wg) if wg else None,
            provenance="measured" if len(items) == 1 else "fitted",
            verified=all(p.verified for p in items),
            published=tuple(items),
        )
    return table


@lru_cache(maxsize=1)
def _tg_prime_table() -> dict[str, TgPrime]:
    return load_tg_prime_table(TG_PRIME_TABLE)


def tg_prime(solute: str) -> TgPrime | None:
    """The published Tg′ of a solute (mean and spread), or None when none is recorded."""
    return _tg_prime_table().get(solute.strip().lower())


def tg_prime_solutes() -> tuple[str, ...]:
    """Solutes with at least one published Tg′."""
    return tuple(t.solute for t in _tg_prime_table().values())
