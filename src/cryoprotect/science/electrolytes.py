"""Electrolytes and buffers: which ions a salt puts into solution, and their osmolality.

This module owns the ionic part of a solution's osmolality. Each salt dissociates into its
ions by stoichiometry (``params/salts.csv``: NaCl → Na⁺ + Cl⁻, Na₂HPO₄ → 2 Na⁺ + HPO₄²⁻,
KH₂PO₄ → K⁺ + H₂PO₄⁻, NaHCO₃ → Na⁺ + HCO₃⁻, CaCl₂, MgCl₂, MgSO₄, …; HEPES free acid is a
zwitterion and counts as one uncharged particle, its sodium salt as Na⁺ + HEPES⁻). The
non-ideality of the ions — why 0.9 % saline is 0.286 osmol/kg and not 2 × 0.155 — is the
osmotic coefficient φ of the ion mixture from Pitzer's ion-interaction model (Pitzer &
Mayorga, J Phys Chem 77:2300, 1973), with the binary parameters of ``params/pitzer_binary.csv``
(each with its source)::

    φ − 1 = (2/Σ m_i) · [ −A_φ I^{3/2}/(1 + b√I) + Σ_c Σ_a m_c m_a (B^φ_ca + Z C_ca) ]
    B^φ_ca = β0 + β1 exp(−α1 √I) + β2 exp(−α2 √I),  C_ca = C^φ_ca / (2 √|z_c z_a|)
    π_ions = φ · Σ m_i

with I = ½ Σ z_i² m_i, Z = Σ |z_i| m_i, A_φ = 0.3915 kg^½ mol^-½ (25 °C), b = 1.2. Uncharged
species (the HEPES zwitterion) count once in Σ m_i and take part in no interaction term, so
each contributes exactly its molality. The like-charge mixing terms θ and ψ are omitted: for
the carriers (Na⁺/K⁺ with mM potassium) they change φ by less than 10⁻⁴. A cation–anion pair
without parameters keeps only the Debye–Hückel term and a warning says so.

Temperature: the parameters are the 25 °C values, while osmometers and the melting-point
relation work at the freezing point. Checked against the CRC Handbook's measured freezing
points of the single salts (``tests/unit/test_electrolytes.py``), the model is within a few
per cent up to an ionic strength of :data:`VALID_MAX_IONIC_STRENGTH`; above it the answer is
flagged outside the validated range (and :mod:`~cryoprotect.science.thermo` keeps the
freezing-point-fitted virial coefficients there).

Buffers (pKa at 25 °C with sources in ``params/buffer_pka.csv``):

* Phosphate: the salts of a recipe fix which phosphate anion each supplies (HPO₄²⁻ from
  Na₂HPO₄, H₂PO₄⁻ from KH₂PO₄); their ratio sets the pH through pKa2 = 7.207
  (:func:`phosphate_ratio_at_ph` gives the ratio a pH implies). No proton is moved between
  them here: doing so without adding HCl or NaOH would break electroneutrality.
* HEPES (pKa 7.565, Vega & Bates 1976) is made up as the free acid — a zwitterion, one
  uncharged particle — and titrated to the carrier's pH with NaOH: :func:`hepes_at_ph` splits
  a total into the zwitterion and the sodium salt (Na⁺ + HEPES⁻), the Na⁺ being the NaOH
  added. That split is what :func:`ionic_osmolality` then counts.
* Bicarbonate (NaHCO₃) is counted as Na⁺ + HCO₃⁻. :func:`carbonate_fractions` gives the
  CO₂(aq)/HCO₃⁻/CO₃²⁻ split a pH implies (pKa1 6.352, pKa2 10.329): at pH 7.4 about 92 % is
  HCO₃⁻, 8 % CO₂(aq) and 0.1 % CO₃²⁻. The CO₂(aq) of a medium equilibrated with a CO₂
  atmosphere comes from the gas, not from the bicarbonate, so it is not moved here either.

The pH splits use Henderson–Hasselbalch with the thermodynamic pKa (activities ignored); at
the carriers' ionic strength (≈0.16 mol/kg) the apparent pKa of a charged pair is lower by
roughly 0.1–0.2, which moves at most that fraction of the buffer between its forms: for
10 mmol/kg HEPES at pH 7.4 that is < 1 mOsm/kg.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cryoprotect.errors import NotFound, ValidationError

PARAMS_DIR = Path(__file__).resolve().parent / "params"
SPECIES_TABLE = PARAMS_DIR / "ions.csv"
SALT_TABLE = PARAMS_DIR / "salts.csv"
PITZER_TABLE = PARAMS_DIR / "pitzer_binary.csv"
MEASURED_CARRIER_TABLE = PARAMS_DIR / "measured_carrier_osmolality.csv"
BUFFER_TABLE = PARAMS_DIR / "buffer_pka.csv"

DEBYE_HUCKEL_A_PHI_25C = 0.3915
"""A_φ at 25 °C, kg^½ mol^-½ (Pitzer 1991, ch. 3 Table 1)."""
PITZER_B = 1.2
"""The Pitzer model's b, kg^½ mol^-½ (Pitzer & Mayorga 1973)."""
VALID_MAX_IONIC_STRENGTH = 0.5
"""Ionic strength (mol/kg) up to which the model was checked against measured freezing points."""

METHOD = (
    "ions by stoichiometric dissociation (params/salts.csv); osmotic coefficient of the ion "
    "mixture from Pitzer's ion-interaction model (Pitzer & Mayorga, J Phys Chem 77:2300, "
    "1973; binary parameters at 25 °C, A_φ = 0.3915, b = 1.2; mixing terms θ, ψ omitted)"
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


# --- tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Salt:
    """A solute that puts ions (or one zwitterion) into solution.

    Attributes:
        name: the salt's name (the molecule library's where it has one).
        synonyms: other exact names (including its name in the virial tables).
        species: (species, count) pairs, e.g. ``(("Na+", 2), ("HPO4 2-", 1))``.
        source: where the stoichiometry comes from.
    """

    name: str
    synonyms: tuple[str, ...]
    species: tuple[tuple[str, int], ...]
    source: str

    @property
    def particles(self) -> int:
        """Particles per formula unit (the ideal van 't Hoff factor ν)."""
        return sum(count for _, count in self.species)


@dataclass(frozen=True)
class PitzerPair:
    """Binary Pitzer parameters of one cation–anion pair (25 °C), with their source."""

    cation: str
    anion: str
    beta0: float
    beta1: float
    beta2: float
    alpha1: float
    alpha2: float
    cphi: float
    source: str
    provenance: str
    verified: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for APIs and reports)."""
        return {
            "pair": f"{self.cation} / {self.anion}",
            "beta0": self.beta0,
            "beta1": self.beta1,
            "beta2": self.beta2,
            "cphi": self.cphi,
            "source": self.source,
            "provenance": self.provenance,
            "verified": self.verified,
        }


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@lru_cache(maxsize=1)
def species_charges() -> dict[str, int]:
    """Species name → charge, from ``params/ions.csv``."""
    return {row["species"].strip(): int(row["charge"]) for row in _rows(SPECIES_TABLE)}


def _parse_species(text: str, where: str) -> tuple[tuple[str, int], ...]:
    charges = species_charges()
    parts: list[tuple[str, int]] = []
    for token in _species_tokens(text):
        name, count = token.rsplit(":", 1)
        if name not in charges:
            raise ValidationError(f"{where}: unknown species {name!r} (not in ions.csv)")
        parts.append((name, int(count)))
    if sum(c * charges[n] for n, c in parts) != 0:
        raise ValidationError(f"{where}: the species are not electroneutral")
    return tuple(parts)


def _species_tokens(text: str) -> list[str]:
    """Split 'Na+:2 HPO4 2-:1' into ['Na+:2', 'HPO4 2-:1'] (species names may hold spaces)."""
    tokens: list[str] = []
    current: list[str] = []
    for word in text.split():
        current.append(word)
        if ":" in word:
            tokens.append(" ".join(current))
            current = []
    if current:
        raise ValidationError(f"species {text!r}: every species needs ':count'")
    return tokens


@lru_cache(maxsize=1)
def _salts() -> dict[str, Salt]:
    table: dict[str, Salt] = {}
    for line, row in enumerate(_rows(SALT_TABLE), start=2):
        where = f"{SALT_TABLE.name}:{line}"
        salt = Salt(
            name=row["salt"].strip(),
            synonyms=tuple(s.strip() for s in row["synonyms"].split("|") if s.strip()),
            species=_parse_species(row["species"], where),
            source=row["source"].strip(),
        )
        for key in (salt.name, *salt.synonyms):
            if key.lower() in table:
                raise ValidationError(f"{where}: name {key!r} appears twice")
            table[key.lower()] = salt
    return table


@lru_cache(maxsize=1)
def pitzer_pairs() -> dict[tuple[str, str], PitzerPair]:
    """(cation, anion) → binary parameters, from ``params/pitzer_binary.csv``."""
    charges = species_charges()
    pairs: dict[tuple[str, str], PitzerPair] = {}
    for line, row in enumerate(_rows(PITZER_TABLE), start=2):
        where = f"{PITZER_TABLE.name}:{line}"
        cation, anion = row["cation"].strip(), row["anion"].strip()
        if charges.get(cation, 0) <= 0 or charges.get(anion, 0) >= 0:
            raise ValidationError(f"{where}: {cation!r}/{anion!r} is not a cation/anion pair")
        if not row["source"].strip() or row["provenance"] not in {"measured", "fitted"}:
            raise ValidationError(f"{where}: every pair needs a source and a provenance")
        pairs[(cation, anion)] = PitzerPair(
            cation=cation,
            anion=anion,
            beta0=float(row["beta0"]),
            beta1=float(row["beta1"]),
            beta2=float(row["beta2"] or 0.0),
            alpha1=float(row["alpha1"]),
            alpha2=float(row["alpha2"] or 0.0),
            cphi=float(row["cphi"] or 0.0),
            source=row["source"].strip(),
            provenance=row["provenance"].strip(),
            verified=row["verified"].strip().lower() == "true",
        )
    return pairs


def find_salt(name: str) -> Salt | None:
    """The salt with this exact name or synonym (case-insensitive), or ``None``."""
    return _salts().get(name.strip().lower())


def is_electrolyte(name: str) -> bool:
    """Whether ``name`` is a salt (or buffer) of ``params/salts.csv``."""
    return find_salt(name) is not None


def salt(name: str) -> Salt:
    """The salt with this exact name or synonym.

    Raises:
        NotFound: no such salt in ``params/salts.csv``.
    """
    found = find_salt(name)
    if found is None:
        raise NotFound(f"no dissociation recorded for {name!r}", details={"solute": name})
    return found


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
        """JSON-serialisable form (for APIs and reports)."""
        return {
            "acid": self.acid,
            "base": self.base,
            "pka_25c": self.pka_25c,
            "source": self.source,
            "provenance": self.provenance,
            "verified": self.verified,
        }


@lru_cache(maxsize=1)
def buffer_pkas() -> dict[str, BufferPka]:
    """Acid species → its dissociation step, from ``params/buffer_pka.csv``."""
    table: dict[str, BufferPka] = {}
    for line, row in enumerate(_rows(BUFFER_TABLE), start=2):
        where = f"{BUFFER_TABLE.name}:{line}"
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


_COUNTED_AS = {
    "H2PO4-": "as the recipe's salts supply them (their ratio sets the pH through this pKa)",
    "HEPES": "free acid as one uncharged zwitterion, its sodium salt as Na⁺ + HEPES⁻ "
    "(hepes_at_ph splits HEPES titrated with NaOH by this pKa)",
    "CO2(aq)": "bicarbonate salts as their cation + HCO₃⁻; CO₃²⁻ and CO₂(aq) not counted "
    "(carbonate_fractions gives the split a pH implies)",
}


def buffers_present(species: Sequence[str]) -> list[BufferPka]:
    """The buffer steps whose species occur among ``species`` (for the answer's provenance)."""
    acids: list[str] = []
    for name in species:
        acid = _BUFFER_SPECIES.get(name)
        if acid is not None and acid not in acids:
            acids.append(acid)
    return [buffer_pka(a) for a in acids]


# --- the model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IonicResult:
    """Osmolality of the ions of one or many solutions, and how it was obtained.

    Attributes:
        osmolality_osmol_per_kg: π of the salts' species, osmol/kg water; shape ``(N,)`` or ``()``.
        osmotic_coefficient: φ of the ion mixture, same shape.
        ionic_strength_mol_per_kg: I, same shape.
        species: the dissolved species, in column order of ``species_molality``.
        charges: their charges.
        species_molality: mol/kg water, shape ``(..., n_species)``.
        salts: the salts, in input order.
        pairs: the Pitzer pairs used (present in the solution).
        within_range: I ≤ :data:`VALID_MAX_IONIC_STRENGTH`, same shape as the osmolality.
        method: the model.
        warnings: caveats (pairs without parameters, ionic strength above the range).
    """

    osmolality_osmol_per_kg: FloatArray
    osmotic_coefficient: FloatArray
    ionic_strength_mol_per_kg: FloatArray
    species: tuple[str, ...]
    charges: tuple[int, ...]
    species_molality: FloatArray
    salts: tuple[Salt, ...]
    pairs: tuple[PitzerPair, ...]
    within_range: BoolArray
    method: str
    warnings: tuple[str, ...]

    @property
    def provenance(self) -> Literal["measured", "fitted", "estimated"]:
        """The weakest provenance of the parameters used (``fitted`` when all are fitted)."""
        tags = {p.provenance for p in self.pairs}
        if not self.pairs or "estimated" in tags or len(self.pairs) < self.present_pairs:
            return "estimated"
        return "fitted" if "fitted" in tags else "measured"

    @property
    def verified(self) -> bool:
        """Whether every pair present has parameters checked against their source."""
        return len(self.pairs) == self.present_pairs and all(p.verified for p in self.pairs)

    @property
    def present_pairs(self) -> int:
        """Number of cation–anion pairs present in the solution (with or without parameters)."""
        cations = sum(1 for z in self.charges if z > 0)
        anions = sum(1 for z in self.charges if z < 0)
        return cations * anions

    def describe(self, index: int | None = None) -> dict[str, Any]:
        """JSON-serialisable summary of composition ``index`` (ignored for a single one)."""

        single = index is None or np.ndim(self.osmolality_osmol_per_kg) == 0

        def pick(array: NDArray[Any]) -> Any:
            return array if single else array[index]

        molality = np.asarray(pick(self.species_molality), dtype=np.float64)
        return {
            "method": self.method,
            "osmolality_osmol_per_kg": float(pick(self.osmolality_osmol_per_kg)),
            "osmotic_coefficient": float(pick(self.osmotic_coefficient)),
            "ionic_strength_mol_per_kg": float(pick(self.ionic_strength_mol_per_kg)),
            "within_range": bool(pick(self.within_range)),
            "valid_max_ionic_strength_mol_per_kg": VALID_MAX_IONIC_STRENGTH,
            "species": [
                {"species": name, "charge": charge, "molality_mol_per_kg": float(m)}
                for name, charge, m in zip(self.species, self.charges, molality, strict=True)
            ],
            "salts": [
                {
                    "salt": s.name,
                    "dissociates_into": [f"{count} {name}" for name, count in s.species],
                }
                for s in self.salts
            ],
            "parameters": [p.as_dict() for p in self.pairs],
            "buffers": [
                {**b.as_dict(), "counted_as": _COUNTED_AS[b.acid]}
                for b in buffers_present(self.species)
            ],
            "provenance": self.provenance,
            "warnings": list(self.warnings),
        }


def _stoichiometry(salts: Sequence[Salt]) -> tuple[tuple[str, ...], tuple[int, ...], FloatArray]:
    """Species present, their charges, and the (n_salts, n_species) count matrix."""
    charges = species_charges()
    names: list[str] = []
    for s in salts:
        for name, _ in s.species:
            if name not in names:
                names.append(name)
    counts = np.zeros((len(salts), len(names)))
    for row, s in enumerate(salts):
        for name, count in s.species:
            counts[row, names.index(name)] += count
    return tuple(names), tuple(charges[n] for n in names), counts


def osmotic_coefficient(
    species_molality: FloatArray,
    charges: Sequence[int],
    pairs: Sequence[tuple[int, int, PitzerPair]],
    *,
    a_phi: float = DEBYE_HUCKEL_A_PHI_25C,
) -> FloatArray:
    """Pitzer osmotic coefficient of ion mixtures (vectorised over compositions).

    Args:
        species_molality: mol/kg water, shape ``(..., n_species)``.
        charges: charge of each species.
        pairs: (cation column, anion column, parameters) for every pair with parameters.
        a_phi: Debye–Hückel slope A_φ.

    Returns:
        φ, shape ``(...)`` (1 where there are no particles).
    """
    m = np.asarray(species_molality, dtype=np.float64)
    z = np.asarray(charges, dtype=np.float64)
    total = m @ np.ones(z.size)
    ionic_strength = 0.5 * (m @ z**2)
    sqrt_i = np.sqrt(ionic_strength)
    big_z = m @ np.abs(z)
    bracket = -a_phi * ionic_strength**1.5 / (1.0 + PITZER_B * sqrt_i)
    for c, a, p in pairs:
        b_phi = (
            p.beta0
            + p.beta1 * np.exp(-p.alpha1 * sqrt_i)
            + (p.beta2 * np.exp(-p.alpha2 * sqrt_i) if p.beta2 else 0.0)
        )
        c_ca = p.cphi / (2.0 * math.sqrt(abs(z[c] * z[a])))
        bracket = bracket + m[..., c] * m[..., a] * (b_phi + big_z * c_ca)
    safe = np.where(total > 0.0, total, 1.0)
    phi: FloatArray = np.where(total > 0.0, 1.0 + 2.0 * bracket / safe, 1.0)
    return phi


def ionic_osmolality(
    molality: ArrayLike,
    salts: Sequence[str | Salt],
    *,
    parameters: Mapping[tuple[str, str], PitzerPair] | None = None,
) -> IonicResult:
    """Osmolality of solutions of salts by their ions and the Pitzer osmotic coefficient.

    Args:
        molality: mol salt per kg water, shape ``(n_salts,)`` or ``(N, n_salts)``.
        salts: names (exact, case-insensitive; synonyms allowed) or :class:`Salt` objects.
        parameters: Pitzer pairs (default: ``params/pitzer_binary.csv``).

    Returns:
        π, φ, I, the species and their molalities, the parameters used and warnings.

    Raises:
        NotFound: a name is not a recorded salt.
        ValidationError: wrong shape, non-finite or negative molalities.
    """
    resolved = tuple(s if isinstance(s, Salt) else salt(s) for s in salts)
    if not resolved:
        raise ValidationError("at least one salt is required", field="solutes")
    array = np.asarray(molality, dtype=np.float64)
    if array.ndim not in (1, 2) or array.shape[-1] != len(resolved):
        raise ValidationError(
            f"molality must have shape (n_salts,) or (N, n_salts) with n_salts = "
            f"{len(resolved)}; got {array.shape}",
            field="molality",
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0.0):
        raise ValidationError("molalities must be finite and ≥ 0", field="molality")
    names, charges, counts = _stoichiometry(resolved)
    species_m = array @ counts
    table = parameters if parameters is not None else pitzer_pairs()
    used: list[tuple[int, int, PitzerPair]] = []
    missing: list[str] = []
    for c, zc in enumerate(charges):
        for a, za in enumerate(charges):
            if zc <= 0 or za >= 0:
                continue
            found = table.get((names[c], names[a]))
            if found is None:
                missing.append(f"{names[c]} / {names[a]}")
            else:
                used.append((c, a, found))
    phi = osmotic_coefficient(species_m, charges, used)
    total = species_m @ np.ones(len(names))
    ionic_strength = 0.5 * (species_m @ np.asarray(charges, dtype=np.float64) ** 2)
    within: BoolArray = ionic_strength <= VALID_MAX_IONIC_STRENGTH
    warnings = [
        f"ions {pair}: no ion-interaction parameters; Debye–Hückel term only" for pair in missing
    ]
    if not np.all(within):
        warnings.append(
            f"ionic strength above {VALID_MAX_IONIC_STRENGTH:g} mol/kg, the range the ion "
            "model was checked against measured freezing points"
        )
    return IonicResult(
        osmolality_osmol_per_kg=np.asarray(phi * total, dtype=np.float64),
        osmotic_coefficient=np.asarray(phi, dtype=np.float64),
        ionic_strength_mol_per_kg=np.asarray(ionic_strength, dtype=np.float64),
        species=names,
        charges=charges,
        species_molality=np.asarray(species_m, dtype=np.float64),
        salts=resolved,
        pairs=tuple(p for _, _, p in used),
        within_range=within,
        method=METHOD,
        warnings=tuple(warnings),
    )


# --- measured carrier osmolalities --------------------------------------------------------


@dataclass(frozen=True)
class MeasuredOsmolality:
    """A carrier's measured (or reported) osmolality, with its source."""

    carrier: str
    value_osmol_per_kg: float
    low_osmol_per_kg: float | None
    high_osmol_per_kg: float | None
    unit_reported: str
    method: str
    source: str
    provenance: str
    verified: bool


def measured_carrier_osmolalities() -> dict[str, MeasuredOsmolality]:
    """Carrier name (lower case) → measured osmolality (``params/measured_carrier_osmolality.csv``)."""

    def optional(text: str) -> float | None:
        return float(text) if text.strip() else None

    return {
        row["carrier"].strip().lower(): MeasuredOsmolality(
            carrier=row["carrier"].strip(),
            value_osmol_per_kg=float(row["value_osmol_per_kg"]),
            low_osmol_per_kg=optional(row["low_osmol_per_kg"]),
            high_osmol_per_kg=optional(row["high_osmol_per_kg"]),
            unit_reported=row["unit_reported"].strip(),
            method=row["method"].strip(),
            source=row["source"].strip(),
            provenance=row["provenance"].strip(),
            verified=row["verified"].strip().lower() == "true",
        )
        for row in _rows(MEASURED_CARRIER_TABLE)
    }


CARRIER_TARGET_REL = 0.03
"""Issue 13's target: a carrier's osmolality within 3 % of its cited measurement."""


def agreement_with_cited(
    osmolality_osmol_per_kg: float,
    water_kg_per_litre: float,
    cited: MeasuredOsmolality,
) -> dict[str, Any]:
    """How a computed carrier osmolality compares with its cited value.

    A specified range (low and high given) is met when the value lies inside it; a single
    value reported per kg is compared directly, one reported per litre (``mOsm/L``) as the
    computed osmolarity (osmolality × kg water per litre of solution), since that is what
    it states.

    Args:
        osmolality_osmol_per_kg: the computed osmolality.
        water_kg_per_litre: kg of water per litre of the carrier (from its composition).
        cited: the cited value.

    Returns:
        basis, computed and cited numbers, relative error, and whether the target is met
        (inside the range, or within :data:`CARRIER_TARGET_REL`).
    """
    per_litre = cited.unit_reported.strip().lower().endswith("/l")
    computed = osmolality_osmol_per_kg * (water_kg_per_litre if per_litre else 1.0)
    relative = computed / cited.value_osmol_per_kg - 1.0
    if cited.low_osmol_per_kg is not None and cited.high_osmol_per_kg is not None:
        basis = "specification range"
        met = cited.low_osmol_per_kg <= computed <= cited.high_osmol_per_kg
    else:
        basis = "reported osmolarity (per litre)" if per_litre else "measured osmolality"
        met = abs(relative) <= CARRIER_TARGET_REL
    return {
        "basis": basis,
        "computed": computed,
        "cited": cited.value_osmol_per_kg,
        "low": cited.low_osmol_per_kg,
        "high": cited.high_osmol_per_kg,
        "unit": "osmol/L" if per_litre else "osmol/kg",
        "relative_error": relative,
        "target_met": bool(met),
        "cited_provenance": cited.provenance,
        "cited_verified": cited.verified,
        "source": cited.source,
    }
