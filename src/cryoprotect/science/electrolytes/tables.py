"""Salts and ions: the species and salt tables under ``science/params`` (charges,
stoichiometry) and the Pitzer binary parameters, with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science.tables import read_table

PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"
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


@lru_cache(maxsize=1)
def species_charges() -> dict[str, int]:
    """Species name → charge, from ``params/ions.csv``."""
    return {
        row["species"].strip(): int(row["charge"])
        for _, row in read_table(SPECIES_TABLE, comments=True)
    }


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
    for where, row in read_table(SALT_TABLE, comments=True):
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
    for where, row in read_table(PITZER_TABLE, comments=True):
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
