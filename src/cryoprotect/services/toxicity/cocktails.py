"""Cocktail design as a background job: resolve the request, then run the designer.

:meth:`CocktailService.prepare` does the cheap checks in the request (library candidates
mapped to the science's canonical solute names as protocol design maps mixture components
— by name or synonym, exactly —, the cell type, the toxicity model visible and ready, the
vitrification target); :meth:`CocktailService.run` calls
:func:`cryoprotect.science.cocktail.design_cocktail` (every number comes from it) and
returns its ``as_dict()`` as the job's result, with the designer's progress reported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from cryoprotect.db.database import Database
from cryoprotect.errors import CryoprotectError, InfeasibleProtocolError, ValidationError
from cryoprotect.science import cells, thermo
from cryoprotect.science.cocktail import VitrificationTarget, design_cocktail
from cryoprotect.science.jsonable import jsonable
from cryoprotect.science.protocols import Limits
from cryoprotect.science.toxicity import KineticToxicityModel
from cryoprotect.services.actor import Actor
from cryoprotect.services.jobs import JobRecord
from cryoprotect.services.mixtures import MixtureService
from cryoprotect.services.protocols import CellTypeService
from cryoprotect.services.solutions import parameter_name
from cryoprotect.services.toxicity.records import DesignStarted
from cryoprotect.services.toxicity.service import ToxicityService

MAX_CANDIDATES = 5


@dataclass(frozen=True)
class PreparedDesign:
    """A checked design request: the science's inputs and what they were resolved from."""

    cell: cells.CellType
    cell_type_id: uuid.UUID
    cell_type_name: str
    model: KineticToxicityModel
    toxicity_model_id: uuid.UUID
    names: tuple[str, ...]
    candidates: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)

    def started(self, job: JobRecord) -> DesignStarted:
        """The answer to the request: the job designing it, and the rest of
        :class:`DesignStarted`'s fields (what the request was resolved to) from this one."""
        job_fields: dict[str, Any] = {"job_id": job.id, "status": job.status}
        resolved = {
            f.name: getattr(self, f.name) for f in fields(DesignStarted) if f.name not in job_fields
        }
        return DesignStarted(**job_fields, **resolved)


class DesignFailed(CryoprotectError):
    """The designer found no feasible design (the job fails with this message)."""

    code = "infeasible_protocol"


class CocktailService:
    """Cocktail design requests."""

    def __init__(
        self,
        db: Database,
        cell_types: CellTypeService,
        mixtures: MixtureService,
        toxicity: ToxicityService,
    ) -> None:
        self.db = db
        self.cell_types = cell_types
        self.mixtures = mixtures
        self.toxicity = toxicity

    def prepare(
        self,
        actor: Actor,
        *,
        candidates: Sequence[str],
        cell_type: str,
        toxicity_model_id: uuid.UUID,
        temperature_c: float,
        vitrification: dict[str, Any],
        osmotic_limits: dict[str, float] | None = None,
        removal_temperature_c: float | None = None,
        max_total_time_s: float | None = None,
        max_steps: int = 3,
        composition_step: float = 0.1,
        pareto_levels: int = 4,
    ) -> PreparedDesign:
        """The cheap checks, in the request (field named).

        Raises:
            ValidationError: too many or unknown candidates (``candidates[i]``), a candidate
                the cell type or the model has no parameters for, a model that is not
                ready, a vitrification target that cannot be judged.
            NotFound: no such cell type (``cell_type``) or toxicity model
                (``toxicity_model_id``) visible to the caller.
        """
        actor.require_user()
        if not 1 <= len(candidates) <= MAX_CANDIDATES:
            raise ValidationError(f"Give 1 to {MAX_CANDIDATES} candidate CPAs.", field="candidates")
        target = VitrificationTarget(**vitrification)
        target.check()
        table = thermo.default_virial_parameters()
        with self.db.transaction(actor.identity) as session:
            cell_row, cell = self.cell_types.resolve(session, cell_type)
            model_row, model = self.toxicity.resolve(session, toxicity_model_id)
            names: list[str] = []
            resolved: list[dict[str, Any]] = []
            known = {c.casefold() for c in model.cpas}
            for i, ref in enumerate(candidates):
                path = f"candidates[{i}]"
                component = self._component(session, ref, path)
                canonical = parameter_name(component, table)
                permeability = cell.permeability(canonical)
                if permeability is None:
                    raise ValidationError(
                        f"{cell_row.name} has no recorded permeability to {component.name}; "
                        "the transport model cannot load it.",
                        field=path,
                        details={"known": sorted(cell.permeabilities)},
                    )
                if permeability.solute.casefold() not in known:
                    raise ValidationError(
                        f"The toxicity model {model_row.name} v{model_row.version} has no "
                        f"parameters for {permeability.solute}.",
                        field=path,
                        details={"known": list(model.cpas)},
                    )
                if permeability.solute in names:
                    raise ValidationError(f"{component.name} is listed twice.", field=path)
                names.append(permeability.solute)
                resolved.append({"given": str(ref), "name": component.name, "solute": canonical})
        limits = None
        if osmotic_limits:
            limits = Limits(
                min_volume_fraction=osmotic_limits.get(
                    "min_volume_fraction", cell.min_volume_fraction
                ),
                max_volume_fraction=osmotic_limits.get(
                    "max_volume_fraction", cell.max_volume_fraction
                ),
            )
        return PreparedDesign(
            cell=cell,
            cell_type_id=cell_row.id,
            cell_type_name=cell_row.name,
            model=model,
            toxicity_model_id=model_row.id,
            names=tuple(names),
            candidates=resolved,
            options={
                "temperature_c": temperature_c,
                "vitrification": target,
                "limits": limits,
                "removal_temperature_c": removal_temperature_c,
                "max_total_time_s": max_total_time_s,
                "max_steps": max_steps,
                "composition_step": composition_step,
                "pareto_levels": pareto_levels,
            },
        )

    def _component(self, session: Any, ref: str, path: str) -> Any:
        try:
            molecule_id = uuid.UUID(str(ref))
        except ValueError:
            given: dict[str, Any] = {"name": str(ref)}
        else:
            given = {"molecule_id": molecule_id}
        try:
            with session.begin_nested():
                return self.mixtures.solution_components(
                    session, components=[{**given, "amount": 1.0, "unit": "mol/kg"}]
                )[0]
        except CryoprotectError:
            raise ValidationError(
                f"Unknown candidate {ref!r}: no such molecule in the library visible to you.",
                field=path,
            ) from None

    def run(
        self,
        prepared: PreparedDesign,
        *,
        progress: Callable[[float], None] | None = None,
        cancel: Any = None,
    ) -> dict[str, Any]:
        """Run the designer; its ``as_dict()`` (``pareto``, ``best``, ``steps``, …) plus the ids
        and ``one_cpa`` (each candidate alone at the same target, see :meth:`_one_cpa`).

        Raises:
            DesignFailed: no feasible design; the message names the constraint that cannot
                be met and carries the designer's details.
        """

        def report(fraction: float) -> None:
            if cancel is not None:
                cancel.check()
            if progress is not None:
                progress(fraction)

        share = 0.8 if len(prepared.names) > 1 else 1.0
        try:
            design = design_cocktail(
                prepared.cell,
                prepared.names,
                prepared.model,
                progress=lambda f: report(share * f),
                **prepared.options,
            )
        except InfeasibleProtocolError as exc:
            constraint = exc.details.get("constraint", "unknown")
            raise DesignFailed(
                f"422 infeasible_protocol: {exc.message} (constraint: {constraint}; "
                f"details: {jsonable(exc.details)})",
                details=jsonable(exc.details),
            ) from exc
        result = design.as_dict()
        result["cell_type_id"] = prepared.cell_type_id
        result["toxicity_model_id"] = prepared.toxicity_model_id
        result["candidates_resolved"] = prepared.candidates
        result.setdefault("steps", (result.get("best") or {}).get("steps", []))
        result["one_cpa"] = self._one_cpa(prepared, design.best.survival.log_survival, report)
        report(1.0)
        return jsonable(result)  # type: ignore[no-any-return]

    def _one_cpa(
        self, prepared: PreparedDesign, best_log_survival: float, report: Callable[[float], None]
    ) -> list[dict[str, Any]]:
        """Each candidate alone, designed by the same designer at the least total that meets
        the same vitrification target (margin level 0, as the chosen design's level-0
        points), with the ratio of predicted toxicity -ln S (chosen / this one); a candidate
        that cannot meet the target alone has ``design`` null and the reason. Empty for a
        one-candidate request (the design is itself one-CPA)."""
        if len(prepared.names) < 2:
            return []
        out: list[dict[str, Any]] = []
        options = {**prepared.options, "pareto_levels": 1}
        for k, name in enumerate(prepared.names):
            try:
                point = design_cocktail(prepared.cell, [name], prepared.model, **options).best
            except (ValidationError, InfeasibleProtocolError) as exc:
                out.append({"cpa": name, "design": None, "reason": exc.message, "ratio": None})
            else:
                single = point.as_dict(max_points=60)
                single.pop("protocol", None)
                cost = -point.survival.log_survival
                ratio = -best_log_survival / cost if cost > 0 else None
                out.append({"cpa": name, "design": single, "reason": None, "ratio": ratio})
            report(0.8 + 0.2 * (k + 1) / len(prepared.names))
        return out
