"""Molecules: register, read, list, edit and delete, under the caller's identity.

Visibility and permissions are the database's: a molecule you cannot see is
:class:`NotFound` (never "forbidden", which would confirm it exists); one you can see but
not change is :class:`PermissionDenied`. The duplicate check runs under the caller's
identity too, so it only ever reports a molecule the caller can already see.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database
from cryoprotect.db.models import VISIBILITIES, Molecule
from cryoprotect.errors import Conflict, NotFound, PermissionDenied, ValidationError
from cryoprotect.science.molecules import parse_smiles
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page, paginate

EDITABLE_FIELDS = ("name", "synonyms", "visibility", "team_id", "pubchem_cid")


def molecule_dict(m: Molecule) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "synonyms": list(m.synonyms or []),
        "smiles": m.smiles,
        "inchi": m.inchi,
        "inchikey": m.inchikey,
        "formula": m.formula,
        "molecular_weight": m.molecular_weight,
        "pubchem_cid": m.pubchem_cid,
        "molecule_class": m.molecule_class,
        "visibility": m.visibility,
        "team_id": m.team_id,
        "created_by": m.created_by,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "identifiers_method": "RDKit canonical SMILES, standard InChI/InChIKey, Hill formula, average molar mass",
    }


def _check_scope(visibility: str, team_id: uuid.UUID | None) -> None:
    if visibility not in VISIBILITIES:
        raise ValidationError(
            f"visibility must be one of {', '.join(VISIBILITIES)}.", field="visibility"
        )
    if visibility == "team" and team_id is None:
        raise ValidationError("team_id is required when visibility is 'team'.", field="team_id")


class MoleculeService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _find_duplicate(
        self,
        session: Session,
        inchikey: str,
        visibility: str,
        team_id: uuid.UUID | None,
        owner: uuid.UUID,
    ) -> uuid.UUID | None:
        query = sa.select(Molecule.id).where(Molecule.inchikey == inchikey)
        if visibility == "public":
            query = query.where(Molecule.visibility == "public")
        elif visibility == "team":
            query = query.where(Molecule.visibility == "team", Molecule.team_id == team_id)
        else:
            query = query.where(Molecule.visibility == "private", Molecule.created_by == owner)
        return session.scalar(query)

    def create(
        self,
        actor: Actor,
        *,
        smiles: str,
        name: str | None = None,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
        synonyms: list[str] | None = None,
        pubchem_cid: int | None = None,
    ) -> dict[str, Any]:
        """Register a structure in the caller's chosen scope.

        Raises:
            InvalidStructureError: the SMILES does not parse (RDKit's reason included).
            Conflict: the same structure already exists in that scope (its id in details).
        """
        user_id = actor.require_user()
        _check_scope(visibility, team_id)
        record = parse_smiles(smiles)
        with self.db.transaction(actor.identity) as session:
            existing = self._find_duplicate(session, record.inchikey, visibility, team_id, user_id)
            if existing is not None:
                raise Conflict(
                    "This structure is already registered in that scope.",
                    details={"existing_id": str(existing), "inchikey": record.inchikey},
                )
            molecule = Molecule(
                name=(name or "").strip() or None,
                synonyms=synonyms or [],
                smiles=record.smiles,
                inchi=record.inchi,
                inchikey=record.inchikey,
                formula=record.formula,
                molecular_weight=record.molecular_weight,
                pubchem_cid=pubchem_cid,
                visibility=visibility,
                team_id=team_id,
                created_by=user_id,
            )
            session.add(molecule)
            session.flush()
            session.refresh(molecule)
            return molecule_dict(molecule)

    def get(self, actor: Actor, molecule_id: uuid.UUID) -> dict[str, Any]:
        with self.db.transaction(actor.identity) as session:
            molecule = session.get(Molecule, molecule_id)
            if molecule is None:
                raise NotFound("Molecule not found.")
            return molecule_dict(molecule)

    def list(
        self,
        actor: Actor,
        *,
        page: int = 1,
        per_page: int = 25,
        q: str | None = None,
        visibility: str | None = None,
        sort: str = "name",
    ) -> Page[dict[str, Any]]:
        query = sa.select(Molecule)
        if q:
            pattern = f"%{q.strip()}%"
            query = query.where(
                sa.or_(
                    Molecule.name.ilike(pattern),
                    Molecule.inchikey == q.strip().upper(),
                    Molecule.formula == q.strip(),
                    sa.func.array_to_string(Molecule.synonyms, " ").ilike(pattern),
                )
            )
        if visibility:
            _check_scope(visibility, uuid.UUID(int=0))
            query = query.where(Molecule.visibility == visibility)
        order = {
            "name": (Molecule.name.asc().nulls_last(), Molecule.id),
            "molecular_weight": (Molecule.molecular_weight.asc().nulls_last(), Molecule.id),
            "created_at": (Molecule.created_at.desc(), Molecule.id),
        }.get(sort)
        if order is None:
            raise ValidationError(
                "sort must be name, molecular_weight or created_at.", field="sort"
            )
        with self.db.transaction(actor.identity) as session:
            result = paginate(session, query.order_by(*order), page, per_page)
            return Page(
                [molecule_dict(m) for m in result.items], result.total, result.page, result.per_page
            )

    def update(
        self, actor: Actor, molecule_id: uuid.UUID, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Edit names, synonyms, CID or scope. The structure itself is immutable."""
        actor.require_user()
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise ValidationError(f"{field} cannot be changed.", field=field)
        with self.db.transaction(actor.identity) as session:
            molecule = session.get(Molecule, molecule_id)
            if molecule is None:
                raise NotFound("Molecule not found.")
            visibility = changes.get("visibility", molecule.visibility)
            team_id = changes.get("team_id", molecule.team_id)
            _check_scope(visibility, team_id)
            if "name" in changes:
                changes["name"] = (changes["name"] or "").strip() or None
            result = session.execute(
                sa.update(Molecule)
                .where(Molecule.id == molecule_id)
                .values(**changes)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise PermissionDenied("You may view this molecule but not change it.")
            session.refresh(molecule)
            return molecule_dict(molecule)

    def delete(self, actor: Actor, molecule_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            if session.get(Molecule, molecule_id) is None:
                raise NotFound("Molecule not found.")
            result = session.execute(
                sa.delete(Molecule)
                .where(Molecule.id == molecule_id)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise PermissionDenied("You may view this molecule but not delete it.")
