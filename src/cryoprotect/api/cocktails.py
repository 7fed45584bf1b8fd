"""Cocktail design: CPA compositions and their loading/unloading protocols (issue 16)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import StrictSchema, answers_signed_in, current_actor, services

blp = Blueprint(
    "cocktails",
    __name__,
    url_prefix="/api/v1/cocktails",
    description="Multi-CPA cocktail design against a kinetic toxicity model (issue 16)",
)
_Float = ma.fields.Float
_Positive = ma.validate.Range(min=0, min_inclusive=False)


class CocktailVitrificationSchema(StrictSchema):
    cooling_rate_c_per_min = _Float(load_default=None, allow_none=True, validate=_Positive)
    warming_rate_c_per_min = _Float(load_default=None, allow_none=True, validate=_Positive)
    min_total_molality_mol_per_kg = _Float(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=0, max=30)
    )
    min_total_mass_percent = _Float(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=0, max=100)
    )
    max_melting_point_c = _Float(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=-150, max=0)
    )


class CocktailOsmoticLimitsSchema(StrictSchema):
    min_volume_fraction = _Float(validate=ma.validate.Range(min=0.05, max=1.0))
    max_volume_fraction = _Float(validate=ma.validate.Range(min=1.0, max=10.0))


class CocktailDesignRequestSchema(StrictSchema):
    candidates = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=300)),
        required=True,
        validate=ma.validate.Length(min=1, max=5),
        metadata={"description": "1–5 library molecules (ids or names) used as CPAs"},
    )
    cell_type = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=300),
        metadata={"description": "Cell type id, shipped key (e.g. generic_mammalian) or name"},
    )
    toxicity_model_id = ma.fields.UUID(required=True)
    temperature_c = _Float(required=True, validate=ma.validate.Range(min=-30, max=60))
    removal_temperature_c = _Float(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=-30, max=60)
    )
    vitrification = ma.fields.Nested(CocktailVitrificationSchema, required=True)
    osmotic_limits = ma.fields.Nested(
        CocktailOsmoticLimitsSchema, load_default=None, allow_none=True
    )
    max_total_time_s = _Float(load_default=None, allow_none=True, validate=_Positive)
    max_steps = ma.fields.Integer(load_default=3, validate=ma.validate.Range(min=1, max=6))
    composition_step = _Float(
        load_default=0.1,
        validate=ma.validate.Range(min=0.05, max=1.0),
        metadata={"description": "Spacing of the lattice of CPA proportions"},
    )
    pareto_levels = ma.fields.Integer(load_default=4, validate=ma.validate.Range(min=1, max=8))


class CocktailCandidateSchema(ma.Schema):
    given = ma.fields.String(required=True)
    name = ma.fields.String(required=True, metadata={"description": "Library name"})
    solute = ma.fields.String(required=True, metadata={"description": "Science's solute name"})


class CocktailDesignJobSchema(ma.Schema):
    job_id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)
    cell_type_id = ma.fields.UUID(required=True)
    cell_type_name = ma.fields.String(required=True)
    toxicity_model_id = ma.fields.UUID(required=True)
    candidates = ma.fields.List(ma.fields.Nested(CocktailCandidateSchema), required=True)


@blp.route("/design")
class CocktailDesignView(MethodView):
    @answers_signed_in(
        blp,
        CocktailDesignJobSchema,
        body=CocktailDesignRequestSchema,
        status=202,
        errors={
            404: "No such cell type or toxicity model visible to the caller",
            422: "Unknown candidate, too many candidates, a candidate without permeability "
            "or toxicity parameters, a toxicity model that is not ready, a bad vitrification "
            "target",
        },
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Design a CPA cocktail and its loading/unloading protocol in the background; poll /api/v1/jobs/{id}

        The job's result holds ``pareto`` (surviving fraction vs. vitrification margin),
        ``best`` and its ``steps``; an infeasible request ends the job failed, its error
        naming the constraint that cannot be met and its ``result`` holding
        ``{"error": {"code": "infeasible_protocol", "details": {constraint, limit,
        best_achievable, phase}}}``.
        """
        svc, actor = services(), current_actor()
        prepared = svc.cocktails.prepare(actor, **body)

        def design(progress: Any, cancel: Any) -> dict[str, Any]:
            return svc.cocktails.run(prepared, progress=progress, cancel=cancel)

        return prepared.started(svc.jobs.submit(actor, "design_cocktail", design))
