"""The mixture service: create, read, list, edit with history, clone, delete; properties.

A mixture is water plus components (library molecules or components without structure),
each with an amount and a composition unit, and an optional carrier solution. Every edit
bumps the version and stores an immutable snapshot in ``mixture_versions``, so an
experiment can cite exactly the composition it used. Compositions are checked for
physical possibility (via the solution-physics service) before anything is written.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from cryoprotect.db.models import (
    COMPONENT_ROLES,
    COMPOSITION_UNITS,
    MaterialForm,
    Mixture,
    MixtureComponent,
    MixtureVersion,
    Molecule,
)
from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import (
    Listing,
    Page,
    change_visible,
    narrowed,
    reject_unknown_fields,
    required_text,
)
from cryoprotect.services.mixtures.measured import MixtureComparison
from cryoprotect.services.mixtures.records import (
    ComponentRecord,
    MixtureProperties,
    MixtureRecord,
    MixtureVersionRecord,
)
from cryoprotect.services.molecules import find_library_molecule, name_matches
from cryoprotect.services.molecules.forms import (
    check_forms_reach,
    form_for_component,
    form_notes,
    weighed_amount,
)
from cryoprotect.services.owned import OwnedRows, Scope, author, check_scope
from cryoprotect.services.solutions import (
    PhaseDiagram,
    SolutionComponent,
    SolutionProperties,
    binary_phase_diagram,
    carrier_definition,
    check_composition,
    solution_properties,
)

MAX_COMPONENTS = 30


def visible_components(components: Any) -> Any:
    """SQL: a snapshot's components as the caller may see them (molecules' RLS decides)."""
    return sa.func.public.visible_mixture_components(components, type_=JSONB)


def _required_name(name: str | None) -> str:
    return required_text(name, "A mixture needs a name.")


def _as_solution_component(
    molecule: Molecule, comp: Mapping[str, Any], origin: str = "mixture"
) -> SolutionComponent:
    return SolutionComponent(
        name=molecule.name or molecule.smiles or str(molecule.id),
        synonyms=tuple(molecule.synonyms or ()),
        molar_mass_g_per_mol=molecule.molecular_weight or molecule.average_molar_mass,
        amount=weighed_amount(molecule, comp),
        unit=comp["unit"],
        role=comp.get("role"),
        origin=origin,
    )


def _forms_of(
    resolved: list[tuple[Molecule, Mapping[str, Any]]],
) -> list[tuple[str | None, MaterialForm | None]]:
    """Each resolved component's name and the form it was weighed as (None: the molecule)."""
    return [(m.name or m.formula, c.get("material_form")) for m, c in resolved]


class MixtureService(OwnedRows[Mixture, MixtureRecord]):
    model = Mixture
    noun = "mixture"

    # ------------------------------------------------------------ helpers
    def _resolve_components(
        self, session: Session, components: Sequence[Mapping[str, Any]]
    ) -> list[tuple[Molecule, Mapping[str, Any]]]:
        """Each component's library molecule (visible to the caller), by id, name or SMILES."""
        if not components:
            raise ValidationError("A mixture needs at least one component.", field="components")
        if len(components) > MAX_COMPONENTS:
            raise ValidationError(f"At most {MAX_COMPONENTS} components.", field="components")
        resolved: list[tuple[Molecule, Mapping[str, Any]]] = []
        seen: set[uuid.UUID] = set()
        for index, comp in enumerate(components):
            path = f"components[{index}]"
            molecule = self._find_molecule(session, comp, path)
            if molecule.id in seen:
                raise ValidationError(
                    f"{molecule.name or molecule.smiles} is listed twice.",
                    field=f"{path}.molecule_id",
                )
            seen.add(molecule.id)
            amount = comp.get("amount")
            if not isinstance(amount, int | float) or amount < 0:
                raise ValidationError(
                    f"Amount of {molecule.name} must be a non-negative number.",
                    field=f"{path}.amount",
                )
            if comp.get("unit") not in COMPOSITION_UNITS:
                raise ValidationError(
                    f"Unit of {molecule.name} must be one of {', '.join(COMPOSITION_UNITS)}.",
                    field=f"{path}.unit",
                )
            if comp.get("role") not in (None, *COMPONENT_ROLES):
                raise ValidationError(f"Unknown role for {molecule.name}.", field=f"{path}.role")
            if comp.get("material_form_id"):
                comp = {**comp, "material_form": form_for_component(session, molecule, comp, path)}
            resolved.append((molecule, comp))
        return resolved

    def _find_molecule(self, session: Session, comp: Mapping[str, Any], path: str) -> Molecule:
        if comp.get("molecule_id"):
            molecule = session.get(Molecule, comp["molecule_id"])
            if molecule is None:
                raise NotFound("Molecule not found.", details={"field": f"{path}.molecule_id"})
            return molecule
        name = (comp.get("name") or "").strip()
        if name:
            return find_library_molecule(
                session,
                name_matches(name),
                message=f"No molecule named {name!r} in the library.",
                field=f"{path}.name",
            )
        if comp.get("smiles"):
            from cryoprotect.science.standardize import register_structure

            return find_library_molecule(
                session,
                Molecule.inchikey == register_structure(comp["smiles"]).inchikey,
                message="That structure is not in the library; register it first.",
                field=f"{path}.smiles",
            )
        raise ValidationError("Give molecule_id, name or smiles.", field=f"{path}.molecule_id")

    def _carrier_components(self, session: Session, carrier: str | None) -> list[SolutionComponent]:
        """The carrier's solutes as solution components (library molecules, public first)."""
        definition = carrier_definition(carrier)
        if definition is None:
            return []
        out = []
        for comp in definition["components"]:
            molecule = self._find_molecule(session, {"name": comp["name"]}, "carrier")
            out.append(_as_solution_component(molecule, comp, origin="carrier"))
        return out

    def _solution(
        self,
        session: Session,
        resolved: list[tuple[Molecule, Mapping[str, Any]]],
        carrier: str | None,
    ) -> list[SolutionComponent]:
        return [_as_solution_component(m, c) for m, c in resolved] + self._carrier_components(
            session, carrier
        )

    def _validate_physics(
        self,
        session: Session,
        resolved: list[tuple[Molecule, Mapping[str, Any]]],
        carrier: str | None,
    ) -> None:
        """Reject impossible compositions (InvalidCompositionError naming the component)."""
        check_composition(self._solution(session, resolved, carrier))

    # ------------------------------------------------------------ physics
    def properties(self, actor: Actor, mixture_id: uuid.UUID) -> MixtureProperties:
        """Composition in every unit, osmolality, melting point and Tg, with provenance."""
        with self.db.transaction(actor.identity) as session:
            mixture = self._visible(session, mixture_id)
            resolved = self._resolve_components(session, self._inputs(session, mixture_id))
            solution = self._solution(session, resolved, mixture.carrier)
            props = solution_properties(solution, name=mixture.name, carrier=mixture.carrier)
            props.composition.setdefault("notes", []).extend(form_notes(resolved))
            return MixtureProperties.of(mixture, props)

    def solution_properties(
        self,
        actor: Actor,
        components: list[dict[str, Any]],
        carrier: str | None = None,
        *,
        cooling_rate_c_per_min: float | None = None,
        warming_rate_c_per_min: float | None = None,
    ) -> SolutionProperties:
        """Properties of an unsaved composition (molecules by id, name or SMILES)."""
        with self.db.transaction(actor.identity) as session:
            resolved = self._resolve_components(session, components)
            props = solution_properties(
                self._solution(session, resolved, carrier),
                carrier=carrier,
                cooling_rate_c_per_min=cooling_rate_c_per_min,
                warming_rate_c_per_min=warming_rate_c_per_min,
            )
            props.composition.setdefault("notes", []).extend(form_notes(resolved))
            return props

    def compare(self, actor: Actor, mixture_ids: list[uuid.UUID]) -> list[MixtureComparison]:
        """Properties of several mixtures side by side (same order as requested), each with
        its published measurements beside the model's values."""
        if not 2 <= len(mixture_ids) <= 10:
            raise ValidationError("Compare between 2 and 10 mixtures.", field="ids")
        return [MixtureComparison.of(self.properties(actor, mid)) for mid in mixture_ids]

    def phase_diagram(
        self, actor: Actor, component: dict[str, Any], max_mass_percent: float = 80.0
    ) -> PhaseDiagram:
        """Melting point and Tg vs % w/w for one solute in water."""
        with self.db.transaction(actor.identity) as session:
            molecule = self._find_molecule(session, component, "component")
        return binary_phase_diagram(
            _as_solution_component(molecule, {"amount": 0.0, "unit": "% w/w"}),
            max_mass_percent=max_mass_percent,
        )

    def _snapshot(self, session: Session, mixture: Mixture, user_id: uuid.UUID) -> None:
        session.add(
            MixtureVersion(
                mixture_id=mixture.id,
                version=mixture.version,
                name=mixture.name,
                description=mixture.description,
                carrier=mixture.carrier,
                components=[c.stored() for c in self._components(session, mixture.id)],
                created_by=user_id,
            )
        )

    def _components(self, session: Session, mixture_id: uuid.UUID) -> list[ComponentRecord]:
        return self._components_of(session, [mixture_id])[mixture_id]

    def _inputs(self, session: Session, mixture_id: uuid.UUID) -> list[dict[str, Any]]:
        """A stored mixture's components as a request would name them (for re-resolving)."""
        return [c.as_input() for c in self._components(session, mixture_id)]

    def _components_of(
        self, session: Session, mixture_ids: builtins.list[uuid.UUID]
    ) -> dict[uuid.UUID, builtins.list[ComponentRecord]]:
        """Each mixture's components in one query (a page of mixtures is not N+1 queries)."""
        found: dict[uuid.UUID, builtins.list[ComponentRecord]] = {i: [] for i in mixture_ids}
        if not mixture_ids:
            return found
        rows = session.execute(
            sa.select(MixtureComponent, Molecule, MaterialForm)
            .join(Molecule, Molecule.id == MixtureComponent.molecule_id)
            .outerjoin(MaterialForm, MaterialForm.id == MixtureComponent.material_form_id)
            .where(MixtureComponent.mixture_id.in_(mixture_ids))
            .order_by(MixtureComponent.created_at, Molecule.name)
        ).all()
        for c, m, f in rows:
            found[c.mixture_id].append(ComponentRecord.of(c, m, f))
        return found

    def records(self, session: Session, rows: Sequence[Mixture]) -> builtins.list[MixtureRecord]:
        components = self._components_of(session, [m.id for m in rows])
        return [MixtureRecord.of(m, components[m.id]) for m in rows]

    def _write_components(
        self,
        session: Session,
        mixture_id: uuid.UUID,
        user_id: uuid.UUID,
        resolved: list[tuple[Molecule, Mapping[str, Any]]],
    ) -> None:
        for molecule, comp in resolved:
            session.add(
                MixtureComponent(
                    mixture_id=mixture_id,
                    molecule_id=molecule.id,
                    amount=float(comp["amount"]),
                    unit=comp["unit"],
                    role=comp.get("role"),
                    material_form_id=comp.get("material_form_id"),
                    created_by=user_id,
                )
            )
        session.flush()

    # ---------------------------------------------------------- use cases
    def create(
        self,
        actor: Actor,
        *,
        name: str,
        components: Sequence[Mapping[str, Any]],
        description: str | None = None,
        carrier: str | None = None,
        sources: list[dict[str, Any]] | None = None,
        **scope: Unpack[Scope],
    ) -> MixtureRecord:
        """Create a mixture (version 1) in one transaction; nothing is stored if any part fails."""
        owner = author(actor, **scope)
        name = _required_name(name)
        with self.db.transaction(actor.identity) as session:
            resolved = self._resolve_components(session, components)
            self._validate_physics(session, resolved, carrier)
            check_forms_reach(_forms_of(resolved), owner.visibility, owner.team_id)
            mixture = Mixture(
                name=name,
                description=description,
                carrier=carrier,
                sources=sources or [],
                **owner.columns(),
            )
            session.add(mixture)
            session.flush()
            self._write_components(session, mixture.id, owner.user_id, resolved)
            session.refresh(mixture)
            self._snapshot(session, mixture, owner.user_id)
            return self._record(session, mixture)

    def solution_components(
        self,
        session: Session,
        *,
        components: list[dict[str, Any]] | None = None,
        mixture_id: uuid.UUID | None = None,
        mixture_field: str = "mixture_id",
    ) -> list[SolutionComponent]:
        """Library components (by id, name or SMILES), or a visible mixture's, as solution
        components for the physics — without any carrier."""
        if mixture_id is not None:
            self._visible(session, mixture_id, field=mixture_field)
            components = self._inputs(session, mixture_id)
        resolved = self._resolve_components(session, components or [])
        return [_as_solution_component(m, c) for m, c in resolved]

    def list(
        self,
        actor: Actor,
        *,
        visibility: str | None = None,
        **listing: Unpack[Listing],
    ) -> Page[MixtureRecord]:
        query = sa.select(Mixture).order_by(Mixture.name, Mixture.id)
        query = narrowed(
            query, (Mixture.visibility, visibility), text=(Mixture.name, listing.get("q"))
        )
        return self._listed(actor, query, listing)

    def update(self, actor: Actor, mixture_id: uuid.UUID, changes: dict[str, Any]) -> MixtureRecord:
        """Edit a mixture: a new version with its snapshot; earlier versions stay readable."""
        user_id = actor.require_user()
        allowed = {
            "name",
            "description",
            "carrier",
            "components",
            "sources",
            "visibility",
            "team_id",
        }
        reject_unknown_fields(changes, allowed)
        with self.db.transaction(actor.identity) as session:
            mixture = self._visible(session, mixture_id)
            check_scope(
                changes.get("visibility", mixture.visibility),
                changes.get("team_id", mixture.team_id),
            )
            values = {k: v for k, v in changes.items() if k != "components"}
            if "name" in values:
                _required_name(values["name"])
            values["version"] = mixture.version + 1
            change_visible(session, Mixture, mixture_id, "mixture", values)
            session.refresh(mixture)
            if "components" in changes:
                resolved = self._resolve_components(session, changes["components"])
                self._validate_physics(session, resolved, mixture.carrier)
                session.execute(
                    sa.delete(MixtureComponent).where(MixtureComponent.mixture_id == mixture_id)
                )
                self._write_components(session, mixture_id, user_id, resolved)
                check_forms_reach(_forms_of(resolved), mixture.visibility, mixture.team_id)
            elif "carrier" in changes:
                resolved = self._resolve_components(session, self._inputs(session, mixture_id))
                self._validate_physics(session, resolved, mixture.carrier)
            if "components" not in changes and {"visibility", "team_id"} & set(changes):
                stored = self._components(session, mixture_id)
                forms = [
                    (
                        c.name,
                        None
                        if c.material_form_id is None
                        else session.get(MaterialForm, c.material_form_id),
                    )
                    for c in stored
                ]
                check_forms_reach(forms, mixture.visibility, mixture.team_id)
            self._snapshot(session, mixture, user_id)
            return self._record(session, mixture)

    def versions(self, actor: Actor, mixture_id: uuid.UUID) -> builtins.list[MixtureVersionRecord]:
        """Every snapshot of a visible mixture, oldest first.

        A snapshot's components go through ``public.visible_mixture_components`` (migration
        0011): a component whose molecule the caller cannot see now is redacted (no id,
        name, SMILES, molar mass or kind; amount, unit and role kept; ``redacted: true``).
        """
        with self.db.transaction(actor.identity) as session:
            self._visible(session, mixture_id)
            rows = session.execute(
                sa.select(
                    MixtureVersion.version,
                    MixtureVersion.name,
                    MixtureVersion.description,
                    MixtureVersion.carrier,
                    visible_components(MixtureVersion.components).label("components"),
                    MixtureVersion.created_by,
                    MixtureVersion.created_at,
                )
                .where(MixtureVersion.mixture_id == mixture_id)
                .order_by(MixtureVersion.version)
            ).all()
            return [MixtureVersionRecord(**row._mapping) for row in rows]

    def clone(
        self,
        actor: Actor,
        mixture_id: uuid.UUID,
        *,
        name: str | None = None,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
    ) -> MixtureRecord:
        """Copy a visible mixture (its current version) into the caller's scope."""
        source = self.get(actor, mixture_id)
        return self.create(
            actor,
            name=name or f"{source.name} (copy)",
            description=source.description,
            carrier=source.carrier,
            sources=[
                *source.sources,
                {"note": f"cloned from mixture {mixture_id} v{source.version}"},
            ],
            components=[c.as_input() for c in source.components],
            visibility=visibility,
            team_id=team_id,
        )
