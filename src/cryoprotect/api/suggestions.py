"""Next-experiment suggestions: ``POST /api/v1/predictive-models/<id>/suggest``."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import StrictSchema, answers, current_actor, services
from cryoprotect.api.fields import Float, Text, dicts
from cryoprotect.ml.acquisition import RULES, SAMPLERS
from cryoprotect.services.suggestions import (
    DEFAULT_CANDIDATES,
    MAX_BATCH_SIZE,
    MAX_CANDIDATES,
    SuggestionService,
)

blp = Blueprint(
    "suggestions",
    __name__,
    url_prefix="/api/v1/predictive-models",
    description="Next-experiment suggestions from a composition model",
)


class IngredientSchema(StrictSchema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=200))
    unit = Text(required=True, validate=ma.validate.Length(min=1, max=20))
    low = Float(
        load_default=0.0, allow_nan=False, metadata={"description": "Smallest amount when present"}
    )
    high = Float(required=True, allow_nan=False, metadata={"description": "Largest amount"})


class SuggestSchema(StrictSchema):
    batch_size = ma.fields.Integer(
        load_default=5,
        metadata={"description": f"Formulations in the batch (1–{MAX_BATCH_SIZE}; above: 400)"},
    )
    rule = Text(load_default="expected_improvement", validate=ma.validate.OneOf(RULES))
    ingredients = ma.fields.List(
        ma.fields.Nested(IngredientSchema),
        load_default=None,
        validate=ma.validate.Length(min=1, max=40),
        metadata={
            "description": "Allowed ingredients with ranges; default: the model's vocabulary "
            "within the amounts measured in its training data"
        },
    )
    dmso_free = ma.fields.Boolean(load_default=False)
    max_ingredients = ma.fields.Integer(load_default=None, allow_none=True)
    max_osmolality_osmol_per_kg = Float(
        load_default=None, allow_none=True, allow_nan=False, validate=ma.validate.Range(min=0)
    )
    max_melting_point_c = Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=ma.validate.Range(min=-273.15, max=0.0),
        metadata={"description": "Ice melting point must be proven at or below this (°C)"},
    )
    n_candidates = ma.fields.Integer(
        load_default=DEFAULT_CANDIDATES,
        validate=ma.validate.Range(min=16),
        metadata={"description": f"Candidates sampled (≤ {MAX_CANDIDATES}; above: 400)"},
    )
    sampler = Text(load_default="sobol", validate=ma.validate.OneOf(SAMPLERS))
    seed = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31 - 1))
    xi = Float(load_default=0.0, allow_nan=False, validate=ma.validate.Range(min=0, max=10))
    kappa = Float(load_default=2.0, allow_nan=False, validate=ma.validate.Range(min=0, max=10))
    conditions = ma.fields.Dict(
        keys=Text(validate=ma.validate.Length(min=1, max=100)),
        load_default=None,
        allow_none=True,
        metadata={"description": "Experimental conditions given to every candidate"},
    )


class AcquisitionSchema(ma.Schema):
    rule = Text(required=True)
    description = Text(required=True)
    parameters = ma.fields.Dict(required=True)
    uncertainty_source = Text(
        required=True,
        metadata={
            "description": "gaussian_process_std, random_forest_tree_spread or conformal_half_width"
        },
    )


class SuggestionSchema(ma.Schema):
    rank = ma.fields.Integer(required=True)
    composition = dicts()
    prediction = ma.fields.Dict(required=True)
    acquisition = ma.fields.Dict(required=True)
    picked_for = Text(required=True, metadata={"description": "exploit or explore"})
    why = Text(required=True)
    physics = ma.fields.Dict(allow_none=True)
    makeable = ma.fields.Dict(required=True)
    constraints = dicts()


class SuggestResponseSchema(ma.Schema):
    model_id = ma.fields.UUID(required=True)
    model_version = ma.fields.Integer(allow_none=True)
    target = Text(required=True)
    goal = Text(required=True)
    acquisition = ma.fields.Nested(AcquisitionSchema, required=True)
    incumbent = ma.fields.Dict(required=True)
    space = ma.fields.Dict(required=True)
    candidates = ma.fields.Dict(required=True)
    suggestions = ma.fields.List(ma.fields.Nested(SuggestionSchema), required=True)
    notes = ma.fields.List(Text(), required=True)


@blp.route("/<uuid:model_id>/suggest")
class ModelSuggest(MethodView):
    @answers(
        blp,
        SuggestResponseSchema,
        args=SuggestSchema,
        errors={
            400: "batch_size or n_candidates above its cap (field named)",
            404: "No such model visible to the caller",
            422: "The model is not ready or does not predict from composition, its "
            "training data are not visible, or a constraint is malformed (field named)",
        },
    )
    def post(self, body: dict[str, Any], model_id: uuid.UUID) -> Any:
        """A batch of formulations to test next: prediction, interval, acquisition value and why"""
        svc = services()
        return SuggestionService(svc.db, svc.models).suggest(current_actor(), model_id, **body)
