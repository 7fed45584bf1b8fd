"""Predictive models, their predictions and the datasets they are trained on."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    CompareIdsSchema,
    PageArgsSchema,
    StrictSchema,
    answers,
    answers_signed_in,
    current_actor,
    paged_schema,
    scoped,
    services,
    shows,
)
from cryoprotect.api.datasets import (  # re-exported: the datasets resource lived here
    DatasetSchema as DatasetSchema,
)
from cryoprotect.api.datasets import (
    datasets_blp as datasets_blp,
)
from cryoprotect.api.datasets import model_components
from cryoprotect.api.fields import Text, record_schema
from cryoprotect.api.mixtures import ComponentInSchema
from cryoprotect.api.views import Op, Rows
from cryoprotect.errors import FeatureDisabled
from cryoprotect.ops.flags import API_TRAINING
from cryoprotect.services.models import ComparedModel, TrainingStarted

blp = Blueprint(
    "predictive-models",
    __name__,
    url_prefix="/api/v1/predictive-models",
    description="Predictive models (training, registry, prediction)",
)
predictions_blp = Blueprint(
    "predictions", __name__, url_prefix="/api/v1/predictions", description="Stored predictions"
)


@scoped
class TrainSchema(StrictSchema):
    dataset = Text(
        required=True,
        validate=ma.validate.Length(min=1, max=300),
        metadata={"description": "Dataset name (e.g. cryomn-literature) or id"},
    )
    target = Text(required=True, validate=ma.validate.Length(min=1, max=100))
    algorithm = Text(
        load_default="random_forest",
        validate=ma.validate.OneOf(
            ("ridge", "random_forest", "gradient_boosting", "gaussian_process")
        ),
    )
    level = ma.fields.Float(load_default=0.9, validate=ma.validate.Range(min=0.5, max=0.99))
    name = Text(load_default=None, allow_none=True, validate=ma.validate.Length(min=1, max=200))


class ModelSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    version = ma.fields.Integer(required=True)
    algorithm = Text(required=True)
    target = Text(required=True)
    kind = Text(
        required=True,
        metadata={
            "description": "molecules (a structure-property model: descriptors + Morgan bits, "
            "scaffold-grouped CV) or mixtures (a formulation model)"
        },
    )
    dataset_id = ma.fields.UUID(allow_none=True)
    status = Text(required=True, metadata={"description": "queued, training, ready, failed"})
    is_active = ma.fields.Boolean(required=True)
    level = ma.fields.Float(allow_none=True)
    progress = ma.fields.Float(allow_none=True)
    error = Text(allow_none=True)
    training_seconds = ma.fields.Float(allow_none=True)
    metrics = ma.fields.Dict(
        required=True, metadata={"description": "Grouped nested CV metrics with baselines"}
    )
    group_coverage = ma.fields.Function(
        lambda m: m.group_coverage,
        allow_none=True,
        metadata={
            "description": "Coverage of the prediction intervals per group (cell type, source "
            "type) on held-out rows of the nested grouped CV: served CV+ and Mondrian "
            "(group-conditional) CV+, with n and a status (within_target 85-95 %, "
            "below_target, above_target, too_few_rows below 20 rows); null for models trained "
            "before it was measured"
        },
    )
    feature_names = ma.fields.List(Text(), required=True)
    hyperparameters = ma.fields.Dict(required=True)
    dataset_hash = Text(allow_none=True)
    library_versions = ma.fields.Dict(required=True)
    artifact_sha256 = Text(allow_none=True)
    not_better_than_baseline = ma.fields.Boolean(
        allow_none=True,
        required=True,
        metadata={
            "description": "True when the cross-validated MAE is not better than a baseline's "
            "(the 95 % bootstrap CI over groups of MAE(model) − MAE(baseline) does not lie "
            "below 0 for the training mean and the one-feature line); null when the model "
            "has no such comparison (not shown to be better either)"
        },
    )
    baseline_statement = Text(
        required=True, metadata={"description": "The verdict as a plain sentence"}
    )
    promotion_override = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "Set when the version was made active despite not beating its "
            "baselines: forced, reason, by, at"
        },
    )
    target_transform = Text(
        allow_none=True,
        metadata={"description": "What the model is fitted on, e.g. 'logit(p/100), ε = 0.5 %'"},
    )
    target_domain = ma.fields.Dict(
        required=True, metadata={"description": "The target's declared domain (kind, low, high)"}
    )
    visibility = Text(required=True)
    team_id = ma.fields.UUID(allow_none=True)
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)


class TrainJobSchema(ma.Schema):
    model = ma.fields.Nested(ModelSchema, required=True)
    job_id = ma.fields.UUID(required=True)


class ModelListArgsSchema(PageArgsSchema):
    target = Text(load_default=None, validate=ma.validate.Length(max=100))


ModelPageSchema = paged_schema(ModelSchema, "ModelPageSchema")


def _optional_text(max_length: int, description: str) -> ma.fields.String:
    """An optional, nullable, non-empty text input of at most ``max_length`` characters."""
    return Text(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(min=1, max=max_length),
        metadata={"description": description},
    )


class PredictItemSchema(StrictSchema):
    mixture_id = ma.fields.UUID(load_default=None, allow_none=True)
    components = ma.fields.List(
        ma.fields.Nested(ComponentInSchema),
        load_default=None,
        validate=ma.validate.Length(min=1, max=30),
    )
    molecule_id = ma.fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "For a molecule model: a library molecule"},
    )
    smiles = _optional_text(2000, "For a molecule model: a structure (SMILES)")
    source_type = _optional_text(
        100,
        "The formulation's source type (e.g. 'literature', 'wetlab'): a condition of the query "
        "row, and the group whose own (Mondrian) interval is served when the model's measured "
        "coverage says the pooled one misses it",
    )
    cell_type = _optional_text(
        100, "The cell type (e.g. 'msc_adipose'): as source_type, for cell-type groups"
    )


GROUP_FIELDS = ("source_type", "cell_type")


def _groups(items: list[dict[str, Any]]) -> list[dict[str, str] | None]:
    """The group conditions each item gives (``None`` when it gives none)."""
    out: list[dict[str, str] | None] = []
    for item in items:
        given = {k: str(item[k]) for k in GROUP_FIELDS if item.get(k)}
        out.append(given or None)
    return out


_EXTRAPOLATE = {
    "description": "Give a value outside the applicability domain too (marked extrapolated); "
    "by default such a prediction has value null with the reason"
}


class PredictSchema(PredictItemSchema):
    extrapolate = ma.fields.Boolean(load_default=False, metadata=_EXTRAPOLATE)


class BatchPredictSchema(StrictSchema):
    items = ma.fields.List(
        ma.fields.Nested(PredictItemSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=500),
    )
    extrapolate = ma.fields.Boolean(load_default=False, metadata=_EXTRAPOLATE)


class PromoteSchema(StrictSchema):
    force = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Make active although the model does not beat its baselines "
            "(needs a reason; recorded)"
        },
    )
    reason = Text(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class NearestSchema(ma.Schema):
    row_id = Text(required=True)
    distance = ma.fields.Float(required=True)
    group = Text(allow_none=True, metadata={"description": "Source DOI or batch of the row"})
    measured = ma.fields.Float(allow_none=True, metadata={"description": "Its measured target"})


class PredictionSchema(ma.Schema):
    prediction_id = ma.fields.UUID()
    model_id = ma.fields.UUID(required=True)
    model_version = ma.fields.Integer(required=True)
    model_name = Text(metadata={"description": "Molecule models: the model's name"})
    target = Text(required=True)
    unit = Text(metadata={"description": "Molecule models: the target's unit, if declared"})
    is_active = ma.fields.Boolean(
        metadata={"description": "Molecule models: the active version for its target"}
    )
    molecule_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "Molecule models: the library molecule"}
    )
    smiles = Text(
        metadata={"description": "Molecule models: canonical SMILES of the standardised query"}
    )
    value = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "null outside the applicability domain (see reason)"},
    )
    lower = ma.fields.Float(required=True, allow_none=True)
    upper = ma.fields.Float(required=True, allow_none=True)
    level = ma.fields.Float(
        required=True, metadata={"description": "Nominal coverage of [lower, upper]"}
    )
    reason = Text(
        required=True,
        allow_none=True,
        metadata={"description": "Why there is no value ('outside applicability domain')"},
    )
    extrapolated = ma.fields.Boolean(
        required=True, metadata={"description": "A value outside the domain, given on request"}
    )
    in_domain = ma.fields.Boolean(required=True)
    domain_score = ma.fields.Float(
        required=True, metadata={"description": "Mean distance to the nearest training rows"}
    )
    domain_threshold = ma.fields.Float(
        required=True, metadata={"description": "The score above which a row is out of domain"}
    )
    nearest = ma.fields.List(ma.fields.Nested(NearestSchema), required=True)
    warnings = ma.fields.List(Text(), required=True)
    clipped = ma.fields.Boolean(
        required=True,
        metadata={"description": "A value or bound was clipped to the target's domain"},
    )
    clip_reason = Text(required=True, allow_none=True)
    target_transform = Text(
        required=True,
        metadata={"description": "What the model is fitted on, e.g. 'logit(p/100), ε = 0.5 %'"},
    )
    target_domain = ma.fields.Dict(required=True)
    interval_method = Text(
        metadata={
            "description": "'pooled CV+', or 'mondrian CV+ (group <key>=<value>, n=<calibration "
            "rows>)' when the group's own interval is served"
        }
    )
    interval_reason = Text(metadata={"description": "Why that interval, in plain words"})
    group_coverage = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "The given group's measured coverage on held-out rows of the nested "
            "grouped CV: key, group, n_held_out, n_calibration, pooled, mondrian, served, "
            "target, status; null when no usable group was given"
        },
    )
    not_better_than_baseline = ma.fields.Boolean(required=True, allow_none=True)
    baseline_statement = Text(required=True)


class StoredPredictionSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    model_id = ma.fields.UUID(required=True)
    mixture_id = ma.fields.UUID(allow_none=True)
    target = Text(required=True)
    value = ma.fields.Float(required=True)
    lower = ma.fields.Float(allow_none=True)
    upper = ma.fields.Float(allow_none=True)
    confidence_level = ma.fields.Float(allow_none=True)
    details = ma.fields.Dict(required=True)
    created_at = ma.fields.DateTime(required=True)


StoredPredictionPageSchema = paged_schema(StoredPredictionSchema, "StoredPredictionPageSchema")


def _compositions(
    items: list[dict[str, Any]],
) -> tuple[list[list[dict[str, Any]]], list[uuid.UUID | None]]:
    svc, actor = services(), current_actor()
    comps, mixtures = [], []
    for i, item in enumerate(items):
        if bool(item.get("mixture_id")) == bool(item.get("components")):
            from cryoprotect.errors import ValidationError

            raise ValidationError("Give either mixture_id or components.", field=f"items[{i}]")
        if item.get("mixture_id"):
            mixture = svc.mixtures.get(actor, item["mixture_id"])
            source = [dataclasses.asdict(c) for c in mixture.components]
            mixtures.append(item["mixture_id"])
        else:
            source = item["components"]
            mixtures.append(None)
        comps.append(model_components(source))
    return comps, mixtures


_models = Rows(blp, "models", "model", ModelPageSchema, ModelListArgsSchema)


@answers_signed_in(
    blp,
    TrainJobSchema,
    body=TrainSchema,
    status=202,
    errors={
        403: "Training through the API is off (feature flag models.api_training)",
        404: "No such dataset visible to the caller",
        400: "More rows than the algorithm accepts (details.max_rows)",
    },
)
def _train(_: MethodView, body: dict[str, Any]) -> Any:
    """Train a model in the background (grouped nested CV, conformal intervals); poll the model or the job"""
    svc, actor = services(), current_actor()
    team_ids = [body["team_id"]] if body.get("team_id") else []
    if not svc.flags.is_enabled(API_TRAINING, user_id=actor.user_id, team_ids=team_ids):
        raise FeatureDisabled(
            "Training through the API is switched off on this server; an administrator "
            "can turn it on, or train with `cryoprotect models train`.",
            details={"flag": API_TRAINING},
        )
    pending = svc.models.create_pending(actor, **body)

    def train(cancel: Any) -> dict[str, str]:
        model = svc.models.run_training(actor, pending.id, cancel=cancel)
        return {"model_id": str(model.id)}

    job = svc.jobs.submit(actor, "train_model", train, model_id=pending.id)
    return TrainingStarted(model=pending, job_id=job.id)


Models = _models.collection("Models", "Model versions visible to the caller", created=_train)


class CompareModelsSchema(CompareIdsSchema):
    pass


ComparedModelSchema = record_schema(
    ComparedModel,
    "ComparedModelSchema",
    not_better_than_baseline=ma.fields.Boolean(required=True, allow_none=True),
    pooled="Model and baselines: MAE, RMSE, R², Spearman",
    interval="Coverage and mean width on held-out folds",
)


ModelCompare = _models.compare(
    "ModelCompare",
    body=CompareModelsSchema,
    schema=ComparedModelSchema,
    doc="Compare 2–10 model versions: cross-validated metrics against their baselines, coverage",
)
ModelItem = _models.item(
    "/<uuid:model_id>",
    "ModelItem",
    ModelSchema,
    shown="A model version with its metrics, baselines, interval coverage and manifest",
    deleted=Op("Delete a model version (and its stored predictions)"),
)


@blp.route("/<uuid:model_id>/promote")
class ModelPromote(MethodView):
    @answers_signed_in(
        blp,
        ModelSchema,
        body=PromoteSchema,
        errors={
            403: "Visible but not editable by the caller",
            404: "No such model visible to the caller",
            409: "The model does not beat its baselines; send force: true with a reason",
        },
    )
    def post(self, body: dict[str, Any], model_id: uuid.UUID) -> Any:
        """Make this version active for its target (a model not beating its baselines needs force + reason)"""
        return services().models.promote(
            current_actor(), model_id, force=body["force"], reason=body.get("reason")
        )


def _molecule_items(items: list[dict[str, Any]]) -> bool:
    """Whether the items name molecules (smiles / molecule_id) rather than mixtures."""
    return any(item.get("smiles") or item.get("molecule_id") for item in items)


_NO_MODEL = "No such model or mixture visible to the caller"


def _predict(model_id: uuid.UUID, items: list[dict[str, Any]], extrapolate: bool) -> list[Any]:
    """Predictions of model ``model_id`` for ``items`` (molecules, or mixtures/compositions),
    in their order."""
    models, actor = services().models, current_actor()
    if _molecule_items(items):
        return models.predict_molecules(actor, model_id, items, extrapolate=extrapolate)
    comps, mixtures = _compositions(items)
    return models.predict(
        actor, model_id, comps, mixture_ids=mixtures, extrapolate=extrapolate, groups=_groups(items)
    )


class MoleculePredictionsSchema(ma.Schema):
    molecule_id = ma.fields.UUID(required=True)
    smiles = Text(allow_none=True)
    predictions = ma.fields.List(ma.fields.Nested(PredictionSchema), required=True)
    reason = Text(
        allow_none=True,
        metadata={"description": "Why there are no predictions (no structure, no model)"},
    )


class MoleculePredictionsArgsSchema(StrictSchema):
    extrapolate = ma.fields.Boolean(load_default=False, metadata=_EXTRAPOLATE)


@blp.route("/molecules/<uuid:molecule_id>/predictions")
class MoleculePredictions(MethodView):
    @blp.arguments(MoleculePredictionsArgsSchema, location="query")
    @shows(blp, MoleculePredictionsSchema, "molecule")
    def get(self, args: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """Predicted properties of a library molecule (molecule models visible to the caller)"""
        return services().models.molecule_predictions(
            current_actor(), molecule_id, extrapolate=args["extrapolate"]
        )


@blp.route("/<uuid:model_id>/predict")
class ModelPredict(MethodView):
    @answers(
        blp,
        PredictionSchema,
        args=PredictSchema,
        errors={
            404: _NO_MODEL,
            422: "Unknown component or unsupported unit, or the model is not ready",
        },
    )
    def post(self, body: dict[str, Any], model_id: uuid.UUID) -> Any:
        """Predict for a mixture, composition, molecule or SMILES: value and interval, or null out of domain"""
        return _predict(model_id, [body], body["extrapolate"])[0]


@blp.route("/<uuid:model_id>/predict/batch")
class ModelBatchPredict(MethodView):
    @answers(
        blp,
        PredictionSchema(many=True),
        args=BatchPredictSchema,
        errors={404: _NO_MODEL, 422: "Unknown component or unsupported unit"},
    )
    def post(self, body: dict[str, Any], model_id: uuid.UUID) -> Any:
        """Predict for many compositions (or molecules, with a molecule model) in one call"""
        return _predict(model_id, body["items"], body["extrapolate"])


Predictions = Rows(predictions_blp, "models", "prediction", StoredPredictionPageSchema).collection(
    "Predictions",
    "Stored predictions visible to the caller, newest first",
    verb="list_predictions",
)
