"""The ionic osmolality model: ions by stoichiometry and the Pitzer osmotic coefficient
(:func:`ionic_osmolality`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.science.arrays import per_component
from cryoprotect.science.electrolytes.buffers import COUNTED_AS, buffers_present
from cryoprotect.science.electrolytes.tables import (
    DEBYE_HUCKEL_A_PHI_25C,
    METHOD,
    PITZER_B,
    VALID_MAX_IONIC_STRENGTH,
    BoolArray,
    FloatArray,
    PitzerPair,
    Salt,
    pitzer_pairs,
    salt,
    species_charges,
)

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
                {**b.as_dict(), "counted_as": COUNTED_AS[b.acid]}
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
    array = per_component(
        molality, len(resolved), what="molality", field="molality", count="n_salts"
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
