"""The parameter vocabulary of a cell type (names, units, provenance tags, temperature
range, where the shipped tables live) and :class:`Permeability`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryoprotect.science.records import keys_dict

PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"
CELL_TABLE = PARAMS_DIR / "cell_types.csv"

CELL_COLUMNS = (
    "cell_type",
    "parameter",
    "solute",
    "value",
    "unit",
    "temperature_c",
    "source",
    "provenance",
    "verified",
)
TABLE_PROVENANCES = frozenset({"measured", "fitted", "estimated"})
"""Provenance tags allowed in the shipped table."""
PROVENANCES = TABLE_PROVENANCES | {"user"}
"""Provenance tags allowed anywhere (``user`` marks values a user supplied)."""
USER_SOURCE = "user-supplied"

# CSV parameter → (CellType field, unit the CSV must use).
CELL_PARAMETERS: dict[str, tuple[str, str]] = {
    "lp": ("lp_um_per_min_atm", "um/min/atm"),
    "lp_activation_energy": ("lp_activation_energy_kj_per_mol", "kJ/mol"),
    "reference_temperature": ("reference_temperature_c", "degC"),
    "inactive_volume_fraction": ("inactive_volume_fraction", "1"),
    "isotonic_volume": ("isotonic_volume_um3", "um^3"),
    "surface_area": ("surface_area_um2", "um^2"),
    "isotonic_osmolality": ("isotonic_osmolality_osmol_per_kg", "osmol/kg"),
    "min_volume_fraction": ("min_volume_fraction", "1"),
    "max_volume_fraction": ("max_volume_fraction", "1"),
}
# CSV parameter → (Permeability field, unit).
SOLUTE_PARAMETERS: dict[str, tuple[str, str]] = {
    "ps": ("ps_um_per_s", "um/s"),
    "ps_activation_energy": ("activation_energy_kj_per_mol", "kJ/mol"),
    "reflection_coefficient": ("reflection_coefficient", "1"),
    "ps_saturation": ("saturation_molality_mol_per_kg", "mol/kg"),
}
TEXT_PARAMETERS = frozenset({"name", "species"})

NUMERIC_FIELDS: tuple[str, ...] = tuple(f for f, _ in CELL_PARAMETERS.values())
MIN_TEMPERATURE_C = -50.0
MAX_TEMPERATURE_C = 100.0
"""Range accepted for a reference temperature (well beyond any membrane measurement)."""

_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")


# --- data classes -------------------------------------------------------------------------


_PERMEABILITY_KEYS = (
    "solute",
    "ps_um_per_s",
    "activation_energy_kj_per_mol",
    "reference_temperature_c",
    "reflection_coefficient",
    "saturation_molality_mol_per_kg",
    "sources",
    "provenance",
    "verified",
)
"""The keys of :meth:`Permeability.as_dict`, in order (not the fields' order)."""


@dataclass(frozen=True)
class Permeability:
    """The permeability of one membrane to one CPA.

    Attributes:
        solute: the CPA's name, as in the osmotic virial tables (e.g. ``"Dimethyl sulfoxide"``).
        ps_um_per_s: solute permeability Ps in µm/s at ``reference_temperature_c``.
        activation_energy_kj_per_mol: Arrhenius activation energy of Ps, kJ/mol.
        reflection_coefficient: Staverman σ for the Kedem–Katchalsky model, or ``None``.
        sources: field name → citation.
        provenance: field name → ``measured``/``fitted``/``estimated``/``user``.
        reference_temperature_c: temperature Ps was measured at; ``None`` means the cell's
            :attr:`CellType.reference_temperature_c`.
        verified: field name → whether the number was checked against its source.
        saturation_molality_mol_per_kg: half-saturation constant K of a facilitated
            (carrier/channel) flux, mol/kg; ``None`` for simple diffusion. With K the
            transport model uses Ps = Ps0 / ((1 + m_e/K)(1 + m_i/K)), ``ps_um_per_s`` being
            Ps0, the low-concentration limit (symmetric carrier, Widdas 1952).
    """

    solute: str
    ps_um_per_s: float
    activation_energy_kj_per_mol: float
    reflection_coefficient: float | None
    sources: dict[str, str]
    provenance: dict[str, str]
    reference_temperature_c: float | None = None
    verified: dict[str, bool] = field(default_factory=dict)
    saturation_molality_mol_per_kg: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The permeability as a JSON-ready dict (see the :mod:`cryoprotect.science.cells` docstring)."""
        return keys_dict(
            self,
            _PERMEABILITY_KEYS,
            sources=dict(self.sources),
            provenance=dict(self.provenance),
            verified=dict(self.verified),
        )
