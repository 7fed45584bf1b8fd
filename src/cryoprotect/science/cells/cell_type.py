""":class:`CellType`: one cell's membrane and osmotic parameters, their JSON shape and checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryoprotect.errors import ValidationError
from cryoprotect.science.cells.schema import _KEY_PATTERN, NUMERIC_FIELDS, Permeability
from cryoprotect.science.cells.validation import (
    _annotations,
    _check_cell_values,
    _number,
    _permeabilities,
    _required_text,
    _text,
    slugify,
)


@dataclass(frozen=True)
class CellType:
    """A cell as the membrane-transport model sees it (units in the field names).

    Attributes:
        key: a stable identifier (``"human_rbc"``, ``"generic_mammalian"``, ...).
        name: display name.
        species: Latin binomial, or ``None``.
        lp_um_per_min_atm: hydraulic conductivity Lp at ``reference_temperature_c``.
        lp_activation_energy_kj_per_mol: Arrhenius activation energy of Lp.
        reference_temperature_c: temperature Lp was measured at (and Ps, unless the
            permeability says otherwise).
        inactive_volume_fraction: osmotically inactive volume / isotonic volume (vb).
        isotonic_volume_um3: cell volume in isotonic medium.
        surface_area_um2: membrane area (taken as constant by the transport model).
        isotonic_osmolality_osmol_per_kg: osmolality of the isotonic medium.
        min_volume_fraction: lower osmotic tolerance limit, V/V_iso.
        max_volume_fraction: upper osmotic tolerance limit, V/V_iso.
        permeabilities: solute name → :class:`Permeability`.
        sources: field name → citation.
        provenance: field name → provenance tag.
        verified: field name → whether the number was checked against its source.
    """

    key: str
    name: str
    species: str | None
    lp_um_per_min_atm: float
    lp_activation_energy_kj_per_mol: float
    reference_temperature_c: float
    inactive_volume_fraction: float
    isotonic_volume_um3: float
    surface_area_um2: float
    isotonic_osmolality_osmol_per_kg: float
    min_volume_fraction: float
    max_volume_fraction: float
    permeabilities: Mapping[str, Permeability]
    sources: Mapping[str, str]
    provenance: Mapping[str, str]
    verified: Mapping[str, bool] = field(default_factory=dict)

    @property
    def inactive_volume_um3(self) -> float:
        """Osmotically inactive volume vb·V_iso, µm³."""
        return self.inactive_volume_fraction * self.isotonic_volume_um3

    @property
    def isotonic_water_volume_um3(self) -> float:
        """Osmotically active (water) volume in isotonic medium, (1 − vb)·V_iso, µm³."""
        return (1.0 - self.inactive_volume_fraction) * self.isotonic_volume_um3

    def permeability(self, solute: str) -> Permeability | None:
        """The membrane's permeability to ``solute`` (case-insensitive name), or ``None``."""
        wanted = solute.strip().casefold()
        for name, value in self.permeabilities.items():
            if name.casefold() == wanted:
                return value
        return None

    def known_permeability(self, solute: object, *, field: str, advice: str) -> Permeability:
        """The membrane's permeability to ``solute``, as :meth:`permeability` finds it.

        Raises:
            ValidationError: none recorded (or ``solute`` is not a string): the message says
                so and gives ``advice``; ``field`` is named; ``details`` gives the solute and
                the known names.
        """
        found = self.permeability(solute) if isinstance(solute, str) else None
        if found is None:
            raise ValidationError(
                f"{self.name} has no recorded permeability to {solute!r}; {advice}",
                field=field,
                details={"solute": solute, "known": sorted(self.permeabilities)},
            )
        return found

    def as_dict(self) -> dict[str, Any]:
        """The cell type as the JSON object described in the package docstring.

        Round-trips: ``CellType.from_dict(cell.as_dict()) == cell``.
        """
        data: dict[str, Any] = {"key": self.key, "name": self.name, "species": self.species}
        for name in NUMERIC_FIELDS:
            data[name] = getattr(self, name)
        data["permeabilities"] = [p.as_dict() for p in self.permeabilities.values()]
        data["sources"] = dict(self.sources)
        data["provenance"] = dict(self.provenance)
        data["verified"] = dict(self.verified)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CellType:
        """Build and validate a cell type from its JSON object.

        Args:
            data: the object of :meth:`as_dict` (user input or a stored row).

        Raises:
            ValidationError: a field is missing, not a finite number, out of range, or
                inconsistent (``field`` names it, e.g. ``"parameters.min_volume_fraction"``).
        """
        if not isinstance(data, Mapping):
            raise ValidationError("cell parameters must be a JSON object", field="parameters")
        name = _required_text(data.get("name"), "parameters.name")
        key = data.get("key")
        if key is None:
            key = slugify(name)
        if not isinstance(key, str) or not _KEY_PATTERN.match(key):
            raise ValidationError(
                "key must be 1-64 characters of a-z, 0-9 and '_' (starting with a letter or digit)",
                field="parameters.key",
            )
        species = _text(data.get("species"), "parameters.species", required=False)
        values = {f: _number(data, f, "parameters") for f in NUMERIC_FIELDS}
        _check_cell_values(values)
        permeabilities = _permeabilities(data.get("permeabilities", []))
        sources, provenance, verified = _annotations(data, NUMERIC_FIELDS, "parameters")
        return cls(
            key=key,
            name=name,
            species=species or None,
            lp_um_per_min_atm=values["lp_um_per_min_atm"],
            lp_activation_energy_kj_per_mol=values["lp_activation_energy_kj_per_mol"],
            reference_temperature_c=values["reference_temperature_c"],
            inactive_volume_fraction=values["inactive_volume_fraction"],
            isotonic_volume_um3=values["isotonic_volume_um3"],
            surface_area_um2=values["surface_area_um2"],
            isotonic_osmolality_osmol_per_kg=values["isotonic_osmolality_osmol_per_kg"],
            min_volume_fraction=values["min_volume_fraction"],
            max_volume_fraction=values["max_volume_fraction"],
            permeabilities=permeabilities,
            sources=sources,
            provenance=provenance,
            verified=verified,
        )
