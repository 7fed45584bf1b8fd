"""What the mixture service returns: typed records built inside the transaction.

The API's schemas (``api/mixtures.py``) dump these records; no other copy of a mixture's
shape exists. Each record is frozen and holds plain values only, so nothing lazy-loads
after the session closes.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryoprotect.db.models import MaterialForm, Mixture, MixtureComponent, Molecule
from cryoprotect.services.common import record_from
from cryoprotect.services.owned import OwnedRecord
from cryoprotect.services.solutions import SolutionProperties


@dataclass(frozen=True, slots=True)
class ComponentRecord:
    """One component of a mixture's current version, with its library molecule's names."""

    molecule_id: uuid.UUID
    name: str | None
    smiles: str | None
    molar_mass: float | None
    kind: str
    amount: float
    unit: str
    role: str | None
    # The material form the amount was weighed as (issue 18): id, and its label, formula
    # and molar mass; None when the amount is of the molecule itself.
    material_form_id: uuid.UUID | None = None
    material_form: dict[str, Any] | None = None

    @classmethod
    def of(
        cls, component: MixtureComponent, molecule: Molecule, form: MaterialForm | None = None
    ) -> ComponentRecord:
        return record_from(
            cls,
            component,
            name=molecule.name,
            smiles=molecule.smiles,
            molar_mass=molecule.molecular_weight or molecule.average_molar_mass,
            kind=molecule.kind,
            material_form=None
            if form is None
            else {"label": form.label, "formula": form.formula, "molar_mass": form.molar_mass},
        )

    def as_input(self) -> dict[str, Any]:
        """The component as a create/update request names it (molecule by id)."""
        return {
            "molecule_id": self.molecule_id,
            "amount": self.amount,
            "unit": self.unit,
            "role": self.role,
            "material_form_id": self.material_form_id,
        }

    def stored(self) -> dict[str, Any]:
        """The component as a version snapshot stores it (JSON: the id as text)."""
        form_id = None if self.material_form_id is None else str(self.material_form_id)
        return {
            **dataclasses.asdict(self),
            "molecule_id": str(self.molecule_id),
            "material_form_id": form_id,
        }


@dataclass(frozen=True, slots=True)
class MixtureRecord(OwnedRecord):
    """A mixture's current version with its components."""

    id: uuid.UUID
    name: str
    description: str | None
    version: int
    carrier: str | None
    sources: tuple[dict[str, Any], ...]
    components: tuple[ComponentRecord, ...]

    @classmethod
    def of(cls, mixture: Mixture, components: list[ComponentRecord]) -> MixtureRecord:
        return record_from(
            cls, mixture, sources=tuple(mixture.sources or ()), components=tuple(components)
        )


@dataclass(frozen=True, slots=True)
class MixtureVersionRecord:
    """One stored snapshot of a mixture; ``components`` as stored (redacted where the
    caller cannot see a molecule now, see ``public.visible_mixture_components``)."""

    version: int
    name: str
    description: str | None
    carrier: str | None
    components: list[dict[str, Any]]
    created_by: uuid.UUID
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MixtureProperties(SolutionProperties):
    """A saved mixture's solution properties, with the version they were computed for."""

    mixture_id: uuid.UUID
    version: int
    name: str

    @classmethod
    def of(cls, mixture: Mixture, properties: SolutionProperties) -> MixtureProperties:
        return record_from(
            cls, properties, mixture_id=mixture.id, version=mixture.version, name=mixture.name
        )
