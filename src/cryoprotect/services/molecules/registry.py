"""Molecule records: register, read, edit and delete, under the caller's identity.

Visibility and permissions are the database's: a molecule you cannot see is
:class:`NotFound` (never "forbidden", which would confirm it exists); one you can see but
not change is :class:`PermissionDenied`. The duplicate check runs under the caller's
identity too, so it only ever reports a molecule the caller can already see.

Identity is the standardised parent's InChIKey (ChEMBL structure pipeline), unique per
scope: one public record, one per owner among private records, one per team.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Unpack

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import rows_changed
from cryoprotect.db.models import MOLECULE_CLASSES, MolecularProperty, Molecule
from cryoprotect.errors import (
    Conflict,
    InvalidStructureError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from cryoprotect.science.depict import svg_for_smiles
from cryoprotect.services.actor import Actor
from cryoprotect.services.chemistry import (
    STANDARDIZATION_METHOD,
    PreparedMolecule,
    prepare_structure,
)
from cryoprotect.services.common import (
    Listing,
    Page,
    change_visible,
    narrowed,
    reject_unknown_fields,
)
from cryoprotect.services.molecule_list import indexed_page
from cryoprotect.services.molecules.forms import with_material_form
from cryoprotect.services.molecules.records import (
    EDITABLE_FIELDS,
    RANGE_FILTERS,
    MoleculeDetail,
    MoleculeRecord,
    PropertyRecord,
    check_scope,
    clean_synonyms,
    descriptor_in_range,
    duplicate_query,
    find_library_molecule,
    insert_properties,
    name_matches,
    read_properties,
    read_stored_alerts,
    visible_molecule,
)
from cryoprotect.services.molecules.search import check_query, text_match
from cryoprotect.services.owned import Author, OwnedRows

if TYPE_CHECKING:
    from cryoprotect.db.database import Database
    from cryoprotect.services.molecule_index import MoleculeIndex
    from cryoprotect.services.molecules.search import SearchBudget


@dataclass(frozen=True, slots=True)
class StructureCheck:
    """A structure checked without saving it: the standardised parent, its identifiers,
    drawing and the visible molecules that already have its InChIKey."""

    smiles: str
    inchi: str
    inchikey: str
    formula: str
    molecular_weight: float
    changes: tuple[str, ...]
    method: str
    svg: str
    existing: tuple[MoleculeRecord, ...]


class MoleculeRegistry(OwnedRows[Molecule, MoleculeRecord]):
    """Record use cases of :class:`~cryoprotect.services.molecules.MoleculeService`."""

    model = Molecule
    noun = "molecule"
    db: Database
    index: MoleculeIndex
    budget: SearchBudget

    def record(self, row: Molecule) -> MoleculeRecord:
        return MoleculeRecord.of(row)

    def records(self, session: Session, rows: Sequence[Molecule]) -> list[MoleculeRecord]:
        """Records of ``rows`` with their stored structural alerts (one query for all)."""
        stored = read_stored_alerts(session, [row.id for row in rows if row.smiles])
        return [MoleculeRecord.of(row, stored.get(row.id)) for row in rows]

    # ------------------------------------------------------------ register
    def _resolve_lookup(self, actor: Actor, lookup: str) -> Molecule:
        """A library molecule the caller can see, by name, synonym or PubChem CID."""
        text = lookup.strip()
        if text.isdigit() and len(text) < 16:
            condition: sa.ColumnElement[bool] = Molecule.pubchem_cid == int(text)
        else:
            condition = name_matches(text)
        with self.db.transaction(actor.identity) as session:
            return find_library_molecule(
                session,
                condition,
                message=f"No molecule named {text!r} in the library.",
                field="lookup",
            )

    def create(
        self,
        actor: Actor,
        *,
        structure: str | None = None,
        smiles: str | None = None,
        structure_format: str | None = None,
        lookup: str | None = None,
        name: str | None = None,
        synonyms: list[str] | None = None,
        pubchem_cid: int | None = None,
        molecule_class: str | None = None,
        kind: str = "structure",
        average_molar_mass: float | None = None,
        sources: list[dict[str, Any]] | None = None,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
        on_duplicate: str = "error",
    ) -> tuple[MoleculeRecord, bool]:
        """Register a molecule (or a component without structure) in the caller's scope.

        Exactly one of ``structure``/``smiles`` (SMILES, InChI or MOL block), ``lookup``
        (name, synonym or CID of a library molecule) or ``kind="no_structure"`` with a name.

        Returns:
            ``(molecule, created)``; ``created`` is False when ``on_duplicate="merge"``
            merged names and synonyms into the existing record.

        Raises:
            InvalidStructureError: the structure does not parse (RDKit's reason included).
            Conflict: the same identity exists in that scope (its id in details).
        """
        user_id = actor.require_user()
        check_scope(visibility, team_id)
        if molecule_class is not None and molecule_class not in MOLECULE_CLASSES:
            raise ValidationError(
                f"molecule_class must be one of {', '.join(MOLECULE_CLASSES)}.",
                field="molecule_class",
            )
        if on_duplicate not in ("error", "merge"):
            raise ValidationError("on_duplicate must be 'error' or 'merge'.", field="on_duplicate")
        text = structure if structure is not None else smiles
        given = [x for x in (text, lookup) if x is not None]
        if kind == "no_structure":
            if given:
                raise ValidationError(
                    "A component without structure takes no structure or lookup.", field="kind"
                )
            if not (name or "").strip():
                raise ValidationError("A component without structure needs a name.", field="name")
            prepared = PreparedMolecule(
                values={"kind": "no_structure", "average_molar_mass": average_molar_mass}
            )
        elif len(given) != 1:
            raise ValidationError(
                "Give exactly one of structure (SMILES, InChI or MOL block) or lookup.",
                field="structure",
            )
        elif lookup is not None:
            source = self._resolve_lookup(actor, lookup)
            if source.kind != "structure" or not source.smiles:
                raise ValidationError(
                    "That library entry has no structure to copy.", field="lookup"
                )
            prepared = prepare_structure(source.smiles, "smiles")
            name = name or source.name
            synonyms = synonyms if synonyms is not None else list(source.synonyms or [])
            pubchem_cid = pubchem_cid or source.pubchem_cid
            molecule_class = molecule_class or source.molecule_class
        else:
            try:
                prepared = prepare_structure(text or "", structure_format)
            except InvalidStructureError as exc:
                # Name the field the caller actually used.
                exc.details["field"] = "structure" if structure is not None else "smiles"
                raise
        values = {
            **prepared.values,
            "name": (name or "").strip() or None,
            "synonyms": clean_synonyms(synonyms),
            "pubchem_cid": pubchem_cid,
            "molecule_class": molecule_class,
            "sources": sources or [],
            "visibility": visibility,
            "team_id": team_id,
            "created_by": user_id,
        }
        form_scope = (structure_format, Author(user_id, visibility, team_id))
        with self.db.transaction(actor.identity) as session:
            existing = session.scalars(
                duplicate_query(
                    values.get("inchikey"), values["name"], visibility, team_id, user_id
                )
            ).first()
            if existing is not None:
                if on_duplicate == "merge":
                    merged = self._merge_names(session, existing, values)
                    return with_material_form(session, merged, prepared, text, *form_scope), False
                raise Conflict(
                    "This molecule is already registered in that scope.",
                    details={"existing_id": str(existing.id), "inchikey": existing.inchikey},
                )
            molecule = Molecule(**values)
            session.add(molecule)
            session.flush()
            insert_properties(session, molecule.id, user_id, prepared.properties, prepared.alerts)
            session.refresh(molecule)
            result = MoleculeRecord.of(molecule)
            result = with_material_form(session, result, prepared, text, *form_scope)
        self.index.sync()
        return result, True

    def _merge_names(
        self, session: Session, existing: Molecule, values: dict[str, Any]
    ) -> MoleculeRecord:
        names = [values["name"], *values["synonyms"]]
        synonyms = clean_synonyms(
            [*(existing.synonyms or []), *[n for n in names if n and n != existing.name]]
        )
        result = session.execute(
            sa.update(Molecule)
            .where(Molecule.id == existing.id)
            .values(synonyms=synonyms)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(result) == 0:
            raise PermissionDenied(
                "This molecule exists but you may not add synonyms to it.",
                details={"existing_id": str(existing.id)},
            )
        session.refresh(existing)
        return MoleculeRecord.of(existing)

    # ---------------------------------------------------------------- read
    def get(self, actor: Actor, molecule_id: uuid.UUID) -> MoleculeDetail:
        """A molecule with its properties and CPA score (with components)."""
        with self.db.transaction(actor.identity) as session:
            molecule = visible_molecule(session, molecule_id)
            props = read_properties(session, molecule_id)
            stored = read_stored_alerts(session, [molecule_id]).get(molecule_id)
            return MoleculeDetail.with_properties(molecule, props, stored)

    def properties(self, actor: Actor, molecule_id: uuid.UUID) -> list[PropertyRecord]:
        return list(self.get(actor, molecule_id).properties)

    def add_property(
        self, actor: Actor, molecule_id: uuid.UUID, row: dict[str, Any]
    ) -> PropertyRecord:
        """Store a measured (or literature) value beside the calculated ones, with its source."""
        user_id = actor.require_user()
        if row.get("provenance") not in ("measured", "fitted", "estimated"):
            raise ValidationError(
                "provenance must be measured, fitted or estimated for user-supplied values.",
                field="provenance",
            )
        if not (row.get("source") or "").strip():
            raise ValidationError("A source is required for a stored value.", field="source")
        with self.db.transaction(actor.identity) as session:
            visible_molecule(session, molecule_id)
            prop = MolecularProperty(molecule_id=molecule_id, created_by=user_id, **row)
            session.add(prop)
            session.flush()
            return PropertyRecord.of(prop)

    def list(
        self,
        actor: Actor,
        *,
        visibility: str | None = None,
        molecule_class: str | None = None,
        kind: str | None = None,
        sort: str = "name",
        ranges: dict[str, tuple[float | None, float | None]] | None = None,
        **listing: Unpack[Listing],
    ) -> Page[MoleculeRecord]:
        fast = indexed_page(
            self, actor, sort=sort, listing=listing, ranges=ranges,
            visibility=visibility, molecule_class=molecule_class, kind=kind,
        )  # fmt: skip
        if fast is not None:  # any page from the index's list orders (see molecule_list)
            return fast
        query = sa.select(Molecule)
        if q := listing.get("q"):
            query = query.where(text_match(q))
        query = narrowed(
            query,
            (Molecule.visibility, visibility),
            (Molecule.molecule_class, molecule_class),
            (Molecule.kind, kind),
        )
        for prop, (low, high) in (ranges or {}).items():
            if prop not in RANGE_FILTERS:
                raise ValidationError(f"Cannot filter on {prop}.", field=prop)
            query = query.where(descriptor_in_range(prop, low, high))
        order: tuple[Any, ...] | None = {
            "name": (Molecule.name.asc().nulls_last(), Molecule.id),
            "molecular_weight": (Molecule.molecular_weight.asc().nulls_last(), Molecule.id),
            "created_at": (Molecule.created_at.desc(), Molecule.id),
        }.get(sort)
        if order is None:
            raise ValidationError(
                "sort must be name, molecular_weight or created_at.", field="sort"
            )
        try:
            return self._listed(actor, query.order_by(*order), listing)
        except LimitExceeded as exc:  # the database time limit: name what to narrow
            field = "q" if q else min(ranges or ["page"])
            raise LimitExceeded(exc.message, field=field, details=exc.details) from exc

    def depiction(
        self,
        actor: Actor,
        molecule_id: uuid.UUID,
        *,
        highlight: str | None = None,
        width: int = 300,
        height: int = 220,
    ) -> str:
        """RDKit SVG drawing, optionally highlighting a SMARTS/SMILES match."""
        with self.db.transaction(actor.identity) as session:
            molecule = visible_molecule(session, molecule_id)
            smiles = molecule.smiles
        if not smiles:
            raise NotFound("This component has no structure to draw.")
        deadline_s = None
        if highlight:
            # A clear 400 for a bad or unbounded pattern, before drawing.
            _, cost = check_query(actor, highlight, field="highlight")
            deadline_s = None if cost.small else self.budget.deadline_s
        return svg_for_smiles(smiles, width, height, highlight, match_deadline_s=deadline_s)

    # ---------------------------------------------------------------- edit
    def update(
        self, actor: Actor, molecule_id: uuid.UUID, changes: dict[str, Any]
    ) -> MoleculeRecord:
        """Edit names, synonyms, CID, class or scope. The structure itself is immutable."""
        actor.require_user()
        reject_unknown_fields(changes, EDITABLE_FIELDS)
        with self.db.transaction(actor.identity) as session:
            molecule = visible_molecule(session, molecule_id)
            visibility = changes.get("visibility", molecule.visibility)
            team_id = changes.get("team_id", molecule.team_id)
            check_scope(visibility, team_id)
            if "name" in changes:
                changes["name"] = (changes["name"] or "").strip() or None
            if "synonyms" in changes:
                changes["synonyms"] = clean_synonyms(changes["synonyms"])
            if changes.get("molecule_class") not in (None, *MOLECULE_CLASSES):
                raise ValidationError("Unknown molecule_class.", field="molecule_class")
            change_visible(session, Molecule, molecule_id, "molecule", changes)
            session.refresh(molecule)
            out = MoleculeRecord.of(molecule)
        self.index.sync()
        return out

    def delete(self, actor: Actor, molecule_id: uuid.UUID) -> None:
        super().delete(actor, molecule_id)
        self.index.sync()

    # --------------------------------------------------------------- check
    def check_structure(
        self,
        actor: Actor,
        structure: str,
        structure_format: str | None = None,
        *,
        width: int = 300,
        height: int = 220,
    ) -> StructureCheck:
        """Check a structure without saving it (see :class:`StructureCheck`).

        Raises:
            InvalidStructureError: the input does not parse (RDKit's reason in the message).
        """
        prepared = prepare_structure(structure, structure_format)
        values = prepared.values
        # The same text search the list uses, narrowed to an exact identity match.
        page = self.list(actor, q=values["inchikey"], per_page=10)
        return StructureCheck(
            **{k: values[k] for k in ("smiles", "inchi", "inchikey", "formula")},
            molecular_weight=values["molecular_weight"],
            changes=tuple(values["standardization"]["changes"]),
            method=STANDARDIZATION_METHOD,
            svg=svg_for_smiles(values["smiles"], width, height),
            existing=tuple(m for m in page.items if m.inchikey == values["inchikey"]),
        )
