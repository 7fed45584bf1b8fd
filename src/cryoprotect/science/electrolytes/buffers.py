"""Buffers: published pKa values and the speciation of phosphate, HEPES and carbonate at a
given pH.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science.electrolytes.tables import BUFFER_TABLE, FloatArray
from cryoprotect.science.tables import read_table


@dataclass(frozen=True)
class BufferPka:
    """One acid dissociation step of a buffer (25 °C, infinite dilution), with its source."""

    acid: str
    base: str
    pka_25c: float
    source: str
    provenance: str
    verified: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for APIs and reports): every field, in order."""
        return asdict(self)


@lru_cache(maxsize=1)
def buffer_pkas() -> dict[str, BufferPka]:
    """Acid species → its dissociation step, from ``params/buffer_pka.csv``."""
    table: dict[str, BufferPka] = {}
    for where, row in read_table(BUFFER_TABLE, comments=True):
        if not row["source"].strip() or row["provenance"] not in {"measured", "fitted"}:
            raise ValidationError(f"{where}: every pKa needs a source and a provenance")
        entry = BufferPka(
            acid=row["acid"].strip(),
            base=row["base"].strip(),
            pka_25c=float(row["pka_25c"]),
            source=row["source"].strip(),
            provenance=row["provenance"].strip(),
            verified=row["verified"].strip().lower() == "true",
        )
        table[entry.acid] = entry
    return table


def buffer_pka(acid: str) -> BufferPka:
    """The dissociation step whose acid form is ``acid`` (e.g. ``"HEPES"``, ``"H2PO4-"``).

    Raises:
        NotFound: no pKa recorded for that acid.
    """
    found = buffer_pkas().get(acid)
    if found is None:
        raise NotFound(f"no pKa recorded for {acid!r}", details={"acid": acid})
    return found


def _finite_ph(ph: ArrayLike) -> FloatArray:
    array = np.asarray(ph, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValidationError("pH must be a finite number", field="ph")
    return array


def base_fraction(ph: ArrayLike, pka: float) -> FloatArray:
    """Fraction of a buffer in its base form at a pH: 1 / (1 + 10^(pKa − pH))."""
    return np.asarray(1.0 / (1.0 + 10.0 ** (pka - _finite_ph(ph))), dtype=np.float64)


def phosphate_ratio_at_ph(ph: float, *, pka2: float | None = None) -> float:
    """[HPO₄²⁻]/[H₂PO₄⁻] at a pH (Henderson–Hasselbalch with pKa2, activities ignored)."""
    pka = buffer_pka("H2PO4-").pka_25c if pka2 is None else pka2
    return float(10.0 ** (float(_finite_ph(ph)) - pka))


@dataclass(frozen=True)
class HepesSplit:
    """HEPES titrated with NaOH to a pH: how much stays zwitterion, how much is Na-HEPES.

    Attributes:
        salts: the two solutes as :func:`ionic_osmolality` takes them (free acid, sodium salt).
        amounts: their amounts, same unit as the total given, shape ``(..., 2)``.
        base_fraction: fraction as HEPES⁻ (= mol NaOH added per mol HEPES).
        pka: the pKa used, with its source.
    """

    salts: tuple[str, str]
    amounts: FloatArray
    base_fraction: FloatArray
    pka: BufferPka


def hepes_at_ph(total: ArrayLike, ph: ArrayLike) -> HepesSplit:
    """Split HEPES made up as the free acid and titrated with NaOH to ``ph``.

    HEPES free acid is a zwitterion (sulfonate anion, protonated piperazine nitrogen): one
    uncharged particle. Titrating to the pH turns a fraction f = 1/(1 + 10^(pKa − pH)) into
    HEPES⁻, with one Na⁺ from the NaOH for each: f·total of "HEPES sodium salt" and
    (1 − f)·total of "HEPES". pKa = 7.565 at 25 °C (Vega & Bates 1976); activities ignored.

    Args:
        total: total HEPES, any amount unit (mol/kg, mmol/L, …), scalar or array.
        ph: the pH it was titrated to (scalar or broadcastable to ``total``).

    Raises:
        ValidationError: non-finite pH, negative or non-finite total.
    """
    amount = np.asarray(total, dtype=np.float64)
    if not np.all(np.isfinite(amount)) or np.any(amount < 0.0):
        raise ValidationError("the HEPES total must be finite and ≥ 0", field="total")
    pka = buffer_pka("HEPES")
    fraction = base_fraction(ph, pka.pka_25c)
    amounts = np.stack(np.broadcast_arrays(amount * (1.0 - fraction), amount * fraction), -1)
    return HepesSplit(
        salts=("HEPES", "HEPES sodium salt"),
        amounts=np.asarray(amounts, dtype=np.float64),
        base_fraction=np.asarray(fraction, dtype=np.float64),
        pka=pka,
    )


def carbonate_fractions(ph: ArrayLike) -> dict[str, FloatArray]:
    """Fractions of total carbonate as CO₂(aq), HCO₃⁻ and CO₃²⁻ at a pH (25 °C pKa's)."""
    h = 10.0 ** (-_finite_ph(ph))
    k1 = 10.0 ** (-buffer_pka("CO2(aq)").pka_25c)
    k2 = 10.0 ** (-buffer_pka("HCO3-").pka_25c)
    denominator = h * h + k1 * h + k1 * k2
    return {
        "CO2(aq)": np.asarray(h * h / denominator, dtype=np.float64),
        "HCO3-": np.asarray(k1 * h / denominator, dtype=np.float64),
        "CO3 2-": np.asarray(k1 * k2 / denominator, dtype=np.float64),
    }


_BUFFER_SPECIES = {"H2PO4-": "H2PO4-", "HPO4 2-": "H2PO4-", "HEPES": "HEPES", "HEPES-": "HEPES"}
_BUFFER_SPECIES.update({"HCO3-": "CO2(aq)"})


COUNTED_AS = {
    "H2PO4-": "as the recipe's salts supply them (their ratio sets the pH through this pKa)",
    "HEPES": "free acid as one uncharged zwitterion, its sodium salt as Na⁺ + HEPES⁻ "
    "(hepes_at_ph splits HEPES titrated with NaOH by this pKa)",
    "CO2(aq)": "bicarbonate salts as their cation + HCO₃⁻; CO₃²⁻ and CO₂(aq) not counted "
    "(carbonate_fractions gives the split a pH implies)",
}
"""How the ion model counts each buffer's species (reported with the buffers present)."""


def buffers_present(species: Sequence[str]) -> list[BufferPka]:
    """The buffer steps whose species occur among ``species`` (for the answer's provenance)."""
    acids: list[str] = []
    for name in species:
        acid = _BUFFER_SPECIES.get(name)
        if acid is not None and acid not in acids:
            acids.append(acid)
    return [buffer_pka(a) for a in acids]
