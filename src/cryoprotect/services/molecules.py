"""Molecules: register, read, search, edit and delete, under the caller's identity.

Visibility and permissions are the database's: a molecule you cannot see is
:class:`NotFound` (never "forbidden", which would confirm it exists); one you can see but
not change is :class:`PermissionDenied`. The duplicate check runs under the caller's
identity too, so it only ever reports a molecule the caller can already see.

Identity is the standardised parent's InChIKey (ChEMBL structure pipeline), unique per
scope: one public record, one per owner among private records, one per team.

Substructure patterns cost what the caller makes them cost, so they are bounded here
(:class:`SearchBudget`): a pattern must pass the cost analysis for the caller's kind
(:mod:`cryoprotect.science.query_cost`: anonymous or signed in), matching stops at a
deadline and says so (``truncated``), patterns that are not small are matched in a child
process at idle CPU priority, and at most ``concurrent`` scans run at once in a process;
one more is refused with :class:`Busy` instead of waiting.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database
from cryoprotect.db.models import MOLECULE_CLASSES, VISIBILITIES, MolecularProperty, Molecule
from cryoprotect.errors import (
    Busy,
    Conflict,
    InvalidStructureError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from cryoprotect.science.depict import svg_for_smiles
from cryoprotect.science.query_cost import (
    ANONYMOUS_LIMITS,
    SIGNED_IN_LIMITS,
    QueryCost,
    analyse_query,
    check_query_cost,
)
from cryoprotect.science.search import SubstructureHits, morgan_fingerprint, parse_query
from cryoprotect.science.standardize import register_structure
from cryoprotect.services.actor import Actor
from cryoprotect.services.chemistry import (
    PreparedMolecule,
    prepare_structure,
    score_dict,
    score_from_properties,
)
from cryoprotect.services.common import Page, change_visible, paginate
from cryoprotect.services.molecule_index import MoleculeIndex

EDITABLE_FIELDS = ("name", "synonyms", "visibility", "team_id", "pubchem_cid", "molecule_class")
IDENTIFIERS_METHOD = (
    "ChEMBL structure pipeline parent; RDKit canonical isomeric SMILES, standard InChI/InChIKey, "
    "Hill formula, average molar mass"
)
# Property-range filters accepted by list(): name -> descriptor stored in molecular_properties.
RANGE_FILTERS = (
    "molecular_weight",
    "clogp_crippen",
    "tpsa",
    "hbd",
    "hba",
    "rotatable_bonds",
    "heavy_atoms",
    "formal_charge",
)


def molecule_dict(m: Molecule) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind,
        "name": m.name,
        "synonyms": list(m.synonyms or []),
        "smiles": m.smiles,
        "inchi": m.inchi,
        "inchikey": m.inchikey,
        "formula": m.formula,
        "molecular_weight": m.molecular_weight,
        "average_molar_mass": m.average_molar_mass,
        "pubchem_cid": m.pubchem_cid,
        "molecule_class": m.molecule_class,
        "sources": list(m.sources or []),
        "standardization": dict(m.standardization or {}),
        "visibility": m.visibility,
        "team_id": m.team_id,
        "created_by": m.created_by,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "identifiers_method": IDENTIFIERS_METHOD if m.kind == "structure" else None,
    }


def property_dict(p: MolecularProperty) -> dict[str, Any]:
    return {
        "property_name": p.property_name,
        "value": p.value,
        "text_value": p.text_value,
        "unit": p.unit,
        "method": p.method,
        "provenance": p.provenance,
        "source": p.source,
    }


def check_scope(visibility: str, team_id: uuid.UUID | None) -> None:
    if visibility not in VISIBILITIES:
        raise ValidationError(
            f"visibility must be one of {', '.join(VISIBILITIES)}.", field="visibility"
        )
    if visibility == "team" and team_id is None:
        raise ValidationError("team_id is required when visibility is 'team'.", field="team_id")


def _clean_synonyms(values: Sequence[str] | None) -> list[str]:
    seen: dict[str, str] = {}
    for value in values or []:
        text = value.strip()
        if text and text.lower() not in seen:
            seen[text.lower()] = text
    return list(seen.values())


def duplicate_query(
    inchikey: str | None,
    name: str | None,
    visibility: str,
    team_id: uuid.UUID | None,
    owner: uuid.UUID,
) -> sa.Select[Any]:
    """The record of the same identity in the same scope (run under the caller's identity)."""
    if inchikey is not None:
        query = sa.select(Molecule).where(Molecule.inchikey == inchikey)
    else:
        query = sa.select(Molecule).where(
            Molecule.kind == "no_structure", sa.func.lower(Molecule.name) == (name or "").lower()
        )
    if visibility == "public":
        return query.where(Molecule.visibility == "public")
    if visibility == "team":
        return query.where(Molecule.visibility == "team", Molecule.team_id == team_id)
    return query.where(Molecule.visibility == "private", Molecule.created_by == owner)


def name_matches(name: str) -> sa.ColumnElement[bool]:
    """Case-insensitive match on a molecule's name or any of its synonyms."""
    synonyms = (
        sa.func.unnest(Molecule.synonyms).table_valued("value").render_derived(name="synonym")
    )
    synonym_match = (
        sa.select(sa.literal(1))
        .select_from(synonyms)
        .where(sa.func.lower(synonyms.c.value) == name.lower())
    )
    return sa.or_(sa.func.lower(Molecule.name) == name.lower(), synonym_match.exists())


def find_library_molecule(
    session: Session, condition: sa.ColumnElement[bool], *, message: str, field: str
) -> Molecule:
    """The visible molecule matching ``condition``, preferring the public record, then the
    oldest of the caller's own; :class:`NotFound` naming ``field`` otherwise."""
    found = session.scalars(
        sa.select(Molecule)
        .where(condition)
        .order_by((Molecule.visibility == "public").desc(), Molecule.created_at)
    ).first()
    if found is None:
        raise NotFound(message, details={"field": field})
    return found


def insert_properties(
    session: Session, molecule_id: uuid.UUID, owner: uuid.UUID, rows: list[dict[str, Any]]
) -> None:
    if rows:
        session.execute(
            sa.insert(MolecularProperty),
            [{**row, "molecule_id": molecule_id, "created_by": owner} for row in rows],
        )


@dataclass(frozen=True)
class SearchBudget:
    """Bounds on substructure matching (settings ``CRYOPROTECT_SEARCH_*``, see the README).

    Attributes:
        deadline_s: matching time of one search request (and of one highlighted drawing);
            what was found by then is returned with ``truncated``. 0 stops before matching.
        count_deadline_s: matching time of one background count.
        concurrent: substructure scans one process runs at once; more are refused (429).
    """

    deadline_s: float = 2.0
    count_deadline_s: float = 60.0
    concurrent: int = 2


def _truncated_reason(hits: SubstructureHits, deadline_s: float) -> str | None:
    if not hits.truncated:
        return None
    return (
        f"Matching stopped at the {deadline_s:g} s deadline after checking {hits.checked} "
        "candidate molecules; these are the hits found by then and more may exist. "
        "A more specific pattern (named elements, fewer atoms) searches further."
    )


class MoleculeService:
    def __init__(
        self,
        db: Database,
        index: MoleculeIndex | None = None,
        budget: SearchBudget | None = None,
    ) -> None:
        self.db = db
        self.index = index or MoleculeIndex(db)
        self.budget = budget or SearchBudget()
        # Process-wide in production (one service per app, one app per worker process).
        self.scan_slots = threading.BoundedSemaphore(self.budget.concurrent)

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
    ) -> tuple[dict[str, Any], bool]:
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
            "synonyms": _clean_synonyms(synonyms),
            "pubchem_cid": pubchem_cid,
            "molecule_class": molecule_class,
            "sources": sources or [],
            "visibility": visibility,
            "team_id": team_id,
            "created_by": user_id,
        }
        with self.db.transaction(actor.identity) as session:
            existing = session.scalars(
                duplicate_query(
                    values.get("inchikey"), values["name"], visibility, team_id, user_id
                )
            ).first()
            if existing is not None:
                if on_duplicate == "merge":
                    merged = self._merge_names(session, existing, values)
                    return merged, False
                raise Conflict(
                    "This molecule is already registered in that scope.",
                    details={"existing_id": str(existing.id), "inchikey": existing.inchikey},
                )
            molecule = Molecule(**values)
            session.add(molecule)
            session.flush()
            insert_properties(session, molecule.id, user_id, prepared.properties)
            session.refresh(molecule)
            result = molecule_dict(molecule)
        self.index.sync()
        return result, True

    def _merge_names(
        self, session: Session, existing: Molecule, values: dict[str, Any]
    ) -> dict[str, Any]:
        names = [values["name"], *values["synonyms"]]
        synonyms = _clean_synonyms(
            [*(existing.synonyms or []), *[n for n in names if n and n != existing.name]]
        )
        result = session.execute(
            sa.update(Molecule)
            .where(Molecule.id == existing.id)
            .values(synonyms=synonyms)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise PermissionDenied(
                "This molecule exists but you may not add synonyms to it.",
                details={"existing_id": str(existing.id)},
            )
        session.refresh(existing)
        return molecule_dict(existing)

    # ---------------------------------------------------------------- read
    def _visible(self, session: Session, molecule_id: uuid.UUID) -> Molecule:
        molecule = session.get(Molecule, molecule_id)
        if molecule is None:
            raise NotFound("Molecule not found.")
        return molecule

    def get(self, actor: Actor, molecule_id: uuid.UUID) -> dict[str, Any]:
        """A molecule with its properties and CPA score (with components)."""
        with self.db.transaction(actor.identity) as session:
            molecule = self._visible(session, molecule_id)
            props = session.scalars(
                sa.select(MolecularProperty)
                .where(MolecularProperty.molecule_id == molecule_id)
                .order_by(MolecularProperty.property_name, MolecularProperty.provenance)
            ).all()
            result = molecule_dict(molecule)
            result["properties"] = [property_dict(p) for p in props]
            computed = {
                p.property_name: p.value
                for p in props
                if p.provenance == "computed" and p.value is not None
            }
            result["cpa_score"] = score_dict(score_from_properties(computed))
            return result

    def properties(self, actor: Actor, molecule_id: uuid.UUID) -> list[dict[str, Any]]:
        return self.get(actor, molecule_id)["properties"]  # type: ignore[no-any-return]

    def add_property(
        self, actor: Actor, molecule_id: uuid.UUID, row: dict[str, Any]
    ) -> dict[str, Any]:
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
            self._visible(session, molecule_id)
            prop = MolecularProperty(molecule_id=molecule_id, created_by=user_id, **row)
            session.add(prop)
            session.flush()
            return property_dict(prop)

    def list(
        self,
        actor: Actor,
        *,
        page: int = 1,
        per_page: int = 25,
        q: str | None = None,
        visibility: str | None = None,
        molecule_class: str | None = None,
        kind: str | None = None,
        sort: str = "name",
        ranges: dict[str, tuple[float | None, float | None]] | None = None,
    ) -> Page[dict[str, Any]]:
        query = sa.select(Molecule)
        if q:
            text = q.strip()
            pattern = f"%{text}%"
            clauses = [
                Molecule.name.ilike(pattern),
                Molecule.inchikey == text.upper(),
                Molecule.formula == text,
                sa.func.array_to_string(Molecule.synonyms, " ").ilike(pattern),
            ]
            if text.isdigit() and len(text) < 16:
                clauses.append(Molecule.pubchem_cid == int(text))
            query = query.where(sa.or_(*clauses))
        if visibility:
            query = query.where(Molecule.visibility == visibility)
        if molecule_class:
            query = query.where(Molecule.molecule_class == molecule_class)
        if kind:
            query = query.where(Molecule.kind == kind)
        for prop, (low, high) in (ranges or {}).items():
            if prop not in RANGE_FILTERS:
                raise ValidationError(f"Cannot filter on {prop}.", field=prop)
            cond = [
                MolecularProperty.molecule_id == Molecule.id,
                MolecularProperty.property_name == prop,
                MolecularProperty.provenance == "computed",
            ]
            if low is not None:
                cond.append(MolecularProperty.value >= low)
            if high is not None:
                cond.append(MolecularProperty.value <= high)
            query = query.where(sa.exists().where(*cond))
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
            molecule = self._visible(session, molecule_id)
            smiles = molecule.smiles
        if not smiles:
            raise NotFound("This component has no structure to draw.")
        deadline_s = None
        if highlight:
            # A clear 400 for a bad or unbounded pattern, before drawing.
            _, cost = self.check_query(actor, highlight, field="highlight")
            deadline_s = None if cost.small else self.budget.deadline_s
        return svg_for_smiles(smiles, width, height, highlight, match_deadline_s=deadline_s)

    # -------------------------------------------------------------- search
    def _summaries(
        self, actor: Actor, ids: list[str], scores: dict[str, float] | None = None
    ) -> list[dict[str, Any]]:
        if not ids:
            return []
        with self.db.transaction(actor.identity) as session:
            rows = {
                str(m.id): m
                for m in session.scalars(
                    sa.select(Molecule).where(Molecule.id.in_([uuid.UUID(i) for i in ids]))
                )
            }
        out = []
        for i in ids:
            m = rows.get(i)
            if m is None:
                continue  # RLS has the final word
            item = {
                "id": m.id,
                "name": m.name,
                "smiles": m.smiles,
                "inchikey": m.inchikey,
                "formula": m.formula,
                "molecular_weight": m.molecular_weight,
                "visibility": m.visibility,
            }
            if scores is not None:
                item["similarity"] = round(scores[i], 4)
            out.append(item)
        return out

    def similar(
        self,
        actor: Actor,
        *,
        structure: str | None = None,
        molecule_id: uuid.UUID | None = None,
        k: int = 10,
        threshold: float = 0.0,
    ) -> dict[str, Any]:
        """Top-k Tanimoto neighbours (Morgan radius 2, 2048 bits) among visible molecules."""
        if molecule_id is not None:
            with self.db.transaction(actor.identity) as session:
                molecule = self._visible(session, molecule_id)
                if molecule.morgan_fp is None:
                    raise ValidationError("This component has no structure.", field="molecule_id")
                fp = bytes(molecule.morgan_fp)
        elif structure:
            fp = morgan_fingerprint(register_structure(structure).mol)
        else:
            raise ValidationError("Give a structure or a molecule_id.", field="structure")
        self.index.sync()
        allowed = self.index.visibility_filter(actor)
        exclude = str(molecule_id) if molecule_id else None

        def allowed_not_self(ids: list[str]) -> list[bool]:
            flags = allowed(ids)
            return [f and i != exclude for i, f in zip(ids, flags, strict=True)]

        hits = self.index.similarity.search(fp, k=k, threshold=threshold, allowed=allowed_not_self)
        scores = dict(hits)
        return {
            "method": "Tanimoto on Morgan fingerprints (radius 2, 2048 bits)",
            "items": self._summaries(actor, [i for i, _ in hits], scores),
        }

    def check_query(
        self, actor: Actor, query: str, *, field: str = "query"
    ) -> tuple[Any, QueryCost]:
        """Parse a SMARTS/SMILES pattern and refuse it beyond the caller's cost limits.

        Anonymous callers get :data:`ANONYMOUS_LIMITS` (no recursive SMARTS), signed-in
        callers :data:`SIGNED_IN_LIMITS`.

        Returns:
            The parsed query and its :class:`QueryCost`.

        Raises:
            InvalidStructureError: the pattern does not parse (``field``).
            QueryTooComplexError: it exceeds a limit (``field``, ``rule``, ``limit``).
        """
        try:
            pattern = parse_query(query)
        except InvalidStructureError as exc:
            exc.details["field"] = field
            raise
        cost = analyse_query(query, pattern)
        limits = SIGNED_IN_LIMITS if actor.user_id is not None else ANONYMOUS_LIMITS
        check_query_cost(cost, limits, field=field)
        return pattern, cost

    @contextmanager
    def _scan_slot(self) -> Iterator[None]:
        """Hold one of the process's substructure scan slots, or raise :class:`Busy`."""
        if not self.scan_slots.acquire(blocking=False):
            retry_after_s = max(1, math.ceil(self.budget.deadline_s))
            raise Busy(
                f"{self.budget.concurrent} substructure searches are already running in this "
                f"server process; try again in {retry_after_s} s.",
                details={"retry_after_s": retry_after_s, "limit": self.budget.concurrent},
            )
        try:
            yield
        finally:
            self.scan_slots.release()

    def substructure(self, actor: Actor, query: str, *, max_hits: int = 100) -> dict[str, Any]:
        """The first page of visible molecules containing the SMARTS/SMILES pattern.

        Matching stops at ``budget.deadline_s``: the hits found by then are returned with
        ``truncated`` and ``truncated_reason``. Queries that are not small are matched in a
        child process at idle CPU priority, killed at the deadline (``isolated``; where a
        process cannot fork, they are checked against the deadline inside each match), so
        an expensive pattern only gets CPU time that other requests leave free.

        Raises:
            QueryTooComplexError: the pattern exceeds the caller's cost limits.
            Busy: ``budget.concurrent`` scans are already running in this process.
        """
        pattern, cost = self.check_query(actor, query)
        self.index.sync()
        allowed = self.index.visibility_filter(actor)
        with self._scan_slot():
            hits = self.index.substructure.find(
                pattern,
                max_hits=max_hits,
                allowed=allowed,
                deadline=time.monotonic() + self.budget.deadline_s,
                guarded=not cost.small,
                isolated=not cost.small,
            )
        items = self._summaries(actor, hits.ids)
        return {
            "query": query,
            "items": items,
            "complete": not hits.truncated and len(hits.ids) < max_hits,
            "truncated": hits.truncated,
            "truncated_reason": _truncated_reason(hits, self.budget.deadline_s),
        }

    def count_substructure(self, actor: Actor, query: str) -> dict[str, Any]:
        """Full count of visible matches, stopped at ``budget.count_deadline_s`` (run it as a
        job): ``{"count", "truncated", "truncated_reason"}``; a truncated count is a lower
        bound. Patterns that are not small are matched as in :meth:`substructure`, in an
        idle-priority child process."""
        pattern, cost = self.check_query(actor, query)
        self.index.sync()
        allowed = self.index.visibility_filter(actor)
        hits = self.index.substructure.find(
            pattern,
            max_hits=10**9,
            allowed=allowed,
            deadline=time.monotonic() + self.budget.count_deadline_s,
            guarded=not cost.small,
            isolated=not cost.small,
        )
        ids = hits.ids
        count = len(self.index.confirm_visible(actor, ids)) if len(ids) < 50_000 else len(ids)
        return {
            "count": count,
            "truncated": hits.truncated,
            "truncated_reason": _truncated_reason(hits, self.budget.count_deadline_s),
        }

    # ---------------------------------------------------------------- edit
    def update(
        self, actor: Actor, molecule_id: uuid.UUID, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Edit names, synonyms, CID, class or scope. The structure itself is immutable."""
        actor.require_user()
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise ValidationError(f"{field} cannot be changed.", field=field)
        with self.db.transaction(actor.identity) as session:
            molecule = self._visible(session, molecule_id)
            visibility = changes.get("visibility", molecule.visibility)
            team_id = changes.get("team_id", molecule.team_id)
            check_scope(visibility, team_id)
            if "name" in changes:
                changes["name"] = (changes["name"] or "").strip() or None
            if "synonyms" in changes:
                changes["synonyms"] = _clean_synonyms(changes["synonyms"])
            if changes.get("molecule_class") not in (None, *MOLECULE_CLASSES):
                raise ValidationError("Unknown molecule_class.", field="molecule_class")
            result = session.execute(
                sa.update(Molecule)
                .where(Molecule.id == molecule_id)
                .values(**changes)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise PermissionDenied("You may view this molecule but not change it.")
            session.refresh(molecule)
            out = molecule_dict(molecule)
        self.index.sync()
        return out

    def delete(self, actor: Actor, molecule_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            change_visible(session, Molecule, molecule_id, "molecule")
        self.index.sync()
