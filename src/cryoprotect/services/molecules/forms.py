"""Material forms of library molecules: the hydrate or salt a scientist weighs (issue 18).

The molecule is the standardised parent (the identity); a form records what is weighed:
its counter-ions/solvent with their count per parent, Hill formula and molar mass, all
computed by RDKit (:mod:`cryoprotect.science.material_forms`), never typed by the user.

Registering a structure whose water or counter-ions standardisation strips (trehalose
dihydrate) records the form automatically (:func:`with_material_form`); a form can also
be added to, listed for and deleted from an existing molecule. Visibility is the
database's (migration 0020): a form is seen, and added, only where its molecule is
visible to the caller; a molecule the caller cannot see is :class:`NotFound`.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import FORM_KINDS, MaterialForm, MixtureComponent, Molecule
from cryoprotect.errors import Conflict, InvalidCompositionError, NotFound, ValidationError
from cryoprotect.science import material_forms as science
from cryoprotect.science.standardize import parse_structure
from cryoprotect.services.actor import Actor
from cryoprotect.services.chemistry import PreparedMolecule
from cryoprotect.services.common import inserted, record_from
from cryoprotect.services.molecules.records import MoleculeRecord, visible_molecule
from cryoprotect.services.owned import Author, OwnedRecord, OwnedRows, Scope, author

_CAS = re.compile(r"^[0-9]{2,7}-[0-9]{2}-[0-9]$")


@dataclass(frozen=True, slots=True)
class MaterialFormRecord(OwnedRecord):
    """One weighed form of a molecule, with how its molar mass was obtained."""

    id: uuid.UUID
    molecule_id: uuid.UUID
    kind: str
    label: str
    components: tuple[dict[str, Any], ...]
    formula: str
    molar_mass: float
    molar_mass_method: str
    water_per_parent: int
    supplier: str | None
    cas: str | None

    @classmethod
    def of(cls, row: MaterialForm) -> MaterialFormRecord:
        return record_from(
            cls,
            row,
            components=tuple(row.components or ()),
            molar_mass_method=science.MOLAR_MASS_METHOD,
        )

    def summary(self, parent: str) -> dict[str, Any]:
        """What registration reports: the parent stored and the form recorded."""
        return {
            "id": str(self.id),
            "kind": self.kind,
            "label": self.label,
            "formula": self.formula,
            "molar_mass": self.molar_mass,
            "molar_mass_method": self.molar_mass_method,
            "message": f"stored as {parent} (parent); material form: {self.label}, "
            f"{self.formula}, {self.molar_mass:.2f} g/mol",
        }


def _form_row(
    molecule: Molecule,
    components: Sequence[science.FormComponent],
    owner: Author,
    *,
    label: str | None = None,
    kind: str | None = None,
    supplier: str | None = None,
    cas: str | None = None,
) -> MaterialForm:
    if not molecule.smiles:
        raise ValidationError(
            "A component without structure has no parent to compute a form from.",
            field="molecule_id",
        )
    cas = (cas or "").strip() or None
    if cas is not None and not _CAS.match(cas):
        raise ValidationError("cas must look like 6138-23-4 (CAS Registry Number).", field="cas")
    kind = kind or science.form_kind(components)
    if kind not in FORM_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(FORM_KINDS)}.", field="kind")
    computed = science.form_formula(molecule.smiles, components)
    return MaterialForm(
        molecule_id=molecule.id,
        kind=kind,
        label=(label or "").strip() or science.form_label(components),
        components=[{"smiles": c.smiles, "count": c.count} for c in components],
        components_key=science.components_key(components),
        formula=computed.formula,
        molar_mass=computed.molar_mass_g_per_mol,
        water_per_parent=computed.water_per_parent,
        supplier=(supplier or "").strip() or None,
        cas=cas,
        **owner.columns(),
    )


def _same_scope(owner: Author) -> sa.ColumnElement[bool]:
    """Rows in the scope ``owner`` creates in (the scope of the unique indexes of 0020)."""
    if owner.visibility == "team":
        return sa.and_(MaterialForm.visibility == "team", MaterialForm.team_id == owner.team_id)
    if owner.visibility == "private":
        return sa.and_(
            MaterialForm.visibility == "private", MaterialForm.created_by == owner.user_id
        )
    return MaterialForm.visibility == "public"


def _existing(session: Session, row: MaterialForm, owner: Author) -> MaterialForm | None:
    return session.scalars(
        sa.select(MaterialForm).where(
            MaterialForm.molecule_id == row.molecule_id,
            MaterialForm.components_key == row.components_key,
            _same_scope(owner),
        )
    ).first()


def with_material_form(
    session: Session,
    record: MoleculeRecord,
    prepared: PreparedMolecule,
    text: str | None,
    fmt: str | None,
    owner: Author,
) -> MoleculeRecord:
    """``record`` with ``standardization.material_form`` when standardisation stripped
    water or counter-ions from ``text``: the form is recorded (or the one already in that
    scope reused) in the registration's transaction and scope."""
    std = prepared.standardized
    if std is None or std.fast_path or not text or not any("removed" in c for c in std.changes):
        return record
    components = science.stripped_components(parse_structure(text, fmt), std.mol)
    if not components:
        return record
    molecule = visible_molecule(session, record.id)
    row = _form_row(molecule, components, owner)
    form = _existing(session, row, owner) or inserted(session, row)
    parent = record.name or record.formula or record.smiles or str(record.id)
    summary = MaterialFormRecord.of(form).summary(parent)
    return dataclasses.replace(
        record, standardization={**record.standardization, "material_form": summary}
    )


class MaterialFormService(OwnedRows[MaterialForm, MaterialFormRecord]):
    """Add, list and delete the material forms of a visible molecule."""

    model = MaterialForm
    noun = "material form"

    def record(self, row: MaterialForm) -> MaterialFormRecord:
        return MaterialFormRecord.of(row)

    def list_for(self, actor: Actor, molecule_id: uuid.UUID) -> list[MaterialFormRecord]:
        """The forms of a visible molecule the caller can see, lightest first."""
        with self.db.transaction(actor.identity) as session:
            visible_molecule(session, molecule_id)
            rows = session.scalars(
                sa.select(MaterialForm)
                .where(MaterialForm.molecule_id == molecule_id)
                .order_by(MaterialForm.molar_mass, MaterialForm.label, MaterialForm.id)
            ).all()
            return [MaterialFormRecord.of(r) for r in rows]

    def add(
        self,
        actor: Actor,
        molecule_id: uuid.UUID,
        *,
        components: Sequence[dict[str, Any]],
        label: str | None = None,
        kind: str | None = None,
        supplier: str | None = None,
        cas: str | None = None,
        **scope: Unpack[Scope],
    ) -> MaterialFormRecord:
        """Record a form of a visible molecule; formula and molar mass computed by RDKit.

        Raises:
            NotFound: the molecule is not visible to the caller.
            InvalidStructureError / InvalidCompositionError: a component SMILES or count.
            Conflict: the same form (same components) exists in that scope (its id in details).
        """
        owner = author(actor, **scope)
        canonical = science.canonical_components(
            [(c.get("smiles") or "", c.get("count")) for c in components]
        )
        with self.db.transaction(actor.identity) as session:
            molecule = visible_molecule(session, molecule_id)
            row = _form_row(
                molecule, canonical, owner, label=label, kind=kind, supplier=supplier, cas=cas
            )
            existing = _existing(session, row, owner)
            if existing is not None:
                raise Conflict(
                    "This material form is already recorded in that scope.",
                    details={"existing_id": str(existing.id), "field": "components"},
                )
            return MaterialFormRecord.of(inserted(session, row))

    def remove(self, actor: Actor, molecule_id: uuid.UUID, form_id: uuid.UUID) -> None:
        """Delete a form of a molecule (403 if visible but not the caller's to delete)."""
        with self.db.transaction(actor.identity) as session:
            form = session.get(MaterialForm, form_id)
            if form is None or form.molecule_id != molecule_id:
                raise NotFound("Material form not found.")
            used = session.scalar(
                sa.select(sa.func.count())
                .select_from(MixtureComponent)
                .where(MixtureComponent.material_form_id == form_id)
            )
            if used:
                raise Conflict(
                    f"This material form is how {used} mixture component(s) were weighed; "
                    "change those mixtures first.",
                    details={"field": "form_id"},
                )
        self.delete(actor, form_id)


def form_for_component(
    session: Session, molecule: Molecule, comp: Mapping[str, Any], path: str
) -> MaterialForm:
    """The visible form of ``molecule`` a mixture component names by ``material_form_id``.

    Raises:
        NotFound: no such form of this molecule visible to the caller.
        InvalidCompositionError: the component's unit is not defined for a weighed form.
    """
    form = session.get(MaterialForm, comp["material_form_id"])
    if form is None or form.molecule_id != molecule.id:
        raise NotFound(
            "No such material form of this molecule visible to the caller.",
            details={"field": f"{path}.material_form_id"},
        )
    try:
        weighed_amount(molecule, {**comp, "material_form": form})
    except InvalidCompositionError as exc:
        exc.details["field"] = f"{path}.{exc.details.get('field')}"
        raise
    return form


def check_forms_reach(
    forms: Sequence[tuple[str | None, MaterialForm | None]],
    visibility: str,
    team_id: uuid.UUID | None,
) -> None:
    """Everyone who may read a mixture must be able to see the forms its amounts were
    weighed as: a team mixture needs public forms or forms of that team, a public mixture
    public forms (a private mixture's reader resolved them already).

    Args:
        forms: each component's name and form (None: weighed as the molecule itself).

    Raises:
        ValidationError: naming ``components[i].material_form_id``.
    """
    for index, (name, form) in enumerate(forms):
        if form is None or visibility == "private" or form.visibility == "public":
            continue
        if visibility == "team" and form.visibility == "team" and form.team_id == team_id:
            continue
        raise ValidationError(
            f"The {form.label} form of {name} is {form.visibility}: readers of a "
            f"{visibility} mixture could not see how its amounts were weighed. Record or "
            "share the form in the mixture's scope first.",
            field=f"components[{index}].material_form_id",
        )


def weighed_amount(molecule: Molecule, comp: Mapping[str, Any]) -> float:
    """A component's amount of the molecule itself: as given, or converted from the weighed
    form (``comp["material_form"]``) by :func:`~cryoprotect.science.material_forms.parent_amount`."""
    form: MaterialForm | None = comp.get("material_form")
    amount = float(comp["amount"])
    if form is None:
        return amount
    return science.parent_amount(
        amount,
        comp["unit"],
        form_molar_mass=form.molar_mass,
        parent_molar_mass=molecule.molecular_weight or 0.0,
    )


def form_notes(resolved: Sequence[tuple[Molecule, Mapping[str, Any]]]) -> list[str]:
    """How each weighed form's amount became the parent's (the composition's notes)."""
    notes = []
    for molecule, comp in resolved:
        form: MaterialForm | None = comp.get("material_form")
        if form is None:
            continue
        name = molecule.name or molecule.formula or "the parent"
        amount, unit = float(comp["amount"]), comp["unit"]
        if unit in science.MOLE_UNITS:
            how = f"{amount:g} {unit} of the form is {amount:g} {unit} of {name} (one per formula unit)"
        else:
            how = (
                f"{amount:g} {unit} of the form is {weighed_amount(molecule, comp):.4g} {unit} "
                f"of {name} (× {molecule.molecular_weight:.2f}/{form.molar_mass:.2f})"
            )
        water = (
            f"; its {form.water_per_parent} water of crystallisation per {name} count as "
            "solvent water"
            if form.water_per_parent
            else ""
        )
        notes.append(
            f"{name} weighed as {form.label} ({form.formula}, {form.molar_mass:.2f} g/mol, "
            f"{science.MOLAR_MASS_METHOD}): {how}. Moles, osmolality and melting point use "
            f"{name}{water}."
        )
    return notes
