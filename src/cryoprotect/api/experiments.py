"""Experiments: CRUD, CSV import of results, lab verification, predicted vs measured."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from cryoprotect.api.background import csv_rows, imports, run_sized
from cryoprotect.api.common import (
    InputSchema,
    PageArgsSchema,
    StrictSchema,
    View,
    answers,
    answers_signed_in,
    current_actor,
    owned,
    paged_schema,
    services,
    shows,
)
from cryoprotect.api.fields import (
    Float,
    Len,
    Text,
    dicts,
    new_team_id,
    new_visibility,
    record_schema,
)
from cryoprotect.api.models import DatasetSchema
from cryoprotect.api.molecules import JobSchema
from cryoprotect.api.toxicity import ExposureSchema
from cryoprotect.api.views import Op, Rows
from cryoprotect.db.models import VERIFICATION_STATUSES, VISIBILITIES
from cryoprotect.services.experiments import (
    BIOLOGICAL_KINDS,
    CONDITION_RANGES,
    CONDITION_TEXT,
    MEASURES,
    VOCABULARY,
    ImportReport,
    PredictedVsMeasured,
    PredictionComparison,
    VerificationRecord,
)
from cryoprotect.services.experiments import PredictionSummary as PredictionSummaryRecord

blp = Blueprint(
    "experiments",
    __name__,
    url_prefix="/api/v1/experiments",
    description="Experiments, their results and lab verification",
)


class ExperimentResultInSchema(InputSchema):
    class Meta:
        unknown = ma.RAISE

    measure = Text(
        required=True,
        validate=ma.validate.OneOf(list(MEASURES)),
        metadata={"description": "viability_percent, recovery_percent, … (see the enum)"},
    )
    value = ma.fields.Raw(
        required=True, metadata={"description": "A number, or true/false for ice_observed"}
    )
    unit = Text(load_default=None, allow_none=True, validate=Len(max=50))
    replicates = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000))
    sd = Float(load_default=None, allow_none=True, allow_nan=False)
    assay = Text(load_default=None, allow_none=True, validate=Len(max=300))
    method = Text(load_default=None, allow_none=True, validate=Len(max=300))
    time_point_h = Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        metadata={"description": "h after thaw"},
    )
    notes = Text(load_default=None, allow_none=True, validate=Len(max=2000))
    exposure = ma.fields.Nested(
        ExposureSchema,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Exposure conditions of a viability_percent result (toxicity data)"
        },
    )


# The service's condition names (measures.CONDITION_RANGES, CONDITION_TEXT), in its order.
ExperimentConditionsSchema = type(
    "ExperimentConditionsSchema",
    (InputSchema,),
    {
        "Meta": type("Meta", (), {"unknown": ma.RAISE}),
        **{name: Float(allow_none=True, allow_nan=False) for name in CONDITION_RANGES},
        "step_temperatures_c": ma.fields.List(Float(allow_nan=False), validate=Len(max=50)),
        **{
            name: Text(allow_none=True, validate=Len(max=2000 if name == "notes" else 300))
            for name in CONDITION_TEXT
        },
    },
)


class BiologicalSystemSchema(InputSchema):
    class Meta:
        unknown = ma.RAISE

    kind = Text(allow_none=True, validate=ma.validate.OneOf(BIOLOGICAL_KINDS))
    name = Text(allow_none=True, validate=Len(max=300))
    species = Text(allow_none=True, validate=Len(max=200))
    source = Text(allow_none=True, validate=Len(max=300))
    passage = Text(allow_none=True, validate=Len(max=100))
    details = Text(allow_none=True, validate=Len(max=2000))


class ExperimentAttachmentSchema(InputSchema):
    class Meta:
        unknown = ma.RAISE

    filename = Text(required=True, validate=Len(min=1, max=300))
    content_type = Text(load_default=None, allow_none=True, validate=Len(max=200))
    size_bytes = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=0)
    )
    sha256 = Text(
        load_default=None, allow_none=True, validate=ma.validate.Regexp(r"^[0-9a-f]{64}$")
    )
    url = Text(load_default=None, allow_none=True, validate=Len(max=1000))
    description = Text(load_default=None, allow_none=True, validate=Len(max=2000))


def _content_fields(required_title: bool) -> dict[str, Any]:
    title = (
        Text(required=True, validate=Len(min=1, max=300))
        if required_title
        else Text(validate=Len(min=1, max=300))
    )
    return {
        "title": title,
        "mixture_id": ma.fields.UUID(allow_none=True),
        "mixture_version": ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1)),
        "protocol_id": ma.fields.UUID(allow_none=True),
        "protocol_text": Text(allow_none=True, validate=Len(max=20000)),
        "cell_type_id": ma.fields.UUID(allow_none=True),
        "biological_system": ma.fields.Nested(BiologicalSystemSchema),
        "conditions": ma.fields.Nested(ExperimentConditionsSchema),
        "results": ma.fields.List(
            ma.fields.Nested(ExperimentResultInSchema), validate=Len(max=200)
        ),
        "performed_on": ma.fields.Date(allow_none=True),
        "operator": Text(allow_none=True, validate=Len(max=200)),
        "notes": Text(allow_none=True, validate=Len(max=20000)),
        "attachments": ma.fields.List(
            ma.fields.Nested(ExperimentAttachmentSchema), validate=Len(max=100)
        ),
        "visibility": Text(validate=ma.validate.OneOf(VISIBILITIES)),
        "team_id": ma.fields.UUID(allow_none=True),
    }


ExperimentCreateSchema = type(
    "ExperimentCreateSchema",
    (StrictSchema,),
    {
        **_content_fields(True),
        "submit": ma.fields.Boolean(
            load_default=False,
            metadata={"description": "Submit for verification at once (team experiments)"},
        ),
    },
)
ExperimentUpdateSchema = type("ExperimentUpdateSchema", (StrictSchema,), _content_fields(False))


@owned
class ExperimentSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    title = Text(required=True)
    mixture_id = ma.fields.UUID(allow_none=True)
    mixture_version = ma.fields.Integer(allow_none=True)
    mixture_name = Text(allow_none=True)
    protocol_id = ma.fields.UUID(allow_none=True)
    protocol_name = Text(allow_none=True)
    protocol_text = Text(allow_none=True)
    cell_type_id = ma.fields.UUID(allow_none=True)
    cell_type_name = Text(allow_none=True)
    biological_system = ma.fields.Dict(required=True)
    # A title of its own: unnamed, generators call it "ExperimentConditions", the input schema.
    conditions = ma.fields.Dict(required=True, metadata={"title": "RecordedConditions"})
    results = dicts()
    performed_on = ma.fields.Date(allow_none=True)
    operator = Text(allow_none=True)
    notes = Text(allow_none=True)
    attachments = dicts()
    verification_status = Text(required=True)


ExperimentPageSchema = paged_schema(ExperimentSchema, "ExperimentPageSchema")


class ExperimentListArgsSchema(PageArgsSchema):
    q = Text(load_default=None, validate=Len(max=300))
    status = Text(load_default=None, validate=ma.validate.OneOf(VERIFICATION_STATUSES))
    team_id = ma.fields.UUID(load_default=None)
    mixture_id = ma.fields.UUID(load_default=None)
    cell_type_id = ma.fields.UUID(load_default=None)
    awaiting_me = ma.fields.Boolean(
        load_default=False, metadata={"description": "Only experiments waiting for my verification"}
    )


class ExperimentSubmitSchema(StrictSchema):
    notes = Text(load_default=None, allow_none=True, validate=Len(max=5000))


class VerificationDecisionSchema(StrictSchema):
    status = Text(required=True, validate=ma.validate.OneOf(("verified", "rejected")))
    notes = Text(load_default=None, allow_none=True, validate=Len(max=5000))
    equipment = Text(load_default=None, allow_none=True, validate=Len(max=2000))


VerificationSchema = record_schema(VerificationRecord, "VerificationSchema")


class ExperimentChangeSchema(ma.Schema):
    occurred_at = ma.fields.DateTime(required=True)
    actor_id = ma.fields.UUID(allow_none=True)
    actor = Text(allow_none=True)
    action = Text(required=True)
    changes = ma.fields.Dict(required=True, metadata={"description": "field → {old, new}"})
    redacted = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "True when the caller could not see the experiment before or "
            "after this change (e.g. while it was private): its changes are withheld"
        },
    )


class ExperimentHistorySchema(ma.Schema):
    experiment_id = ma.fields.UUID(required=True)
    verification_status = Text(required=True)
    verifications = ma.fields.List(ma.fields.Nested(VerificationSchema), required=True)
    changes = ma.fields.List(ma.fields.Nested(ExperimentChangeSchema), required=True)


PredictionComparisonSchema = record_schema(
    PredictionComparison, "PredictionComparisonSchema", error="predicted − measured"
)


PredictedVsMeasuredSchema = record_schema(
    PredictedVsMeasured,
    "PredictedVsMeasuredSchema",
    comparisons=ma.fields.List(ma.fields.Nested(PredictionComparisonSchema), required=True),
)


class PredictionSummaryArgsSchema(InputSchema):
    team_id = ma.fields.UUID(load_default=None)
    verified_only = ma.fields.Boolean(load_default=False)


class ModelErrorSchema(ma.Schema):
    model_id = ma.fields.UUID(required=True)
    model_name = Text(required=True)
    model_version = ma.fields.Integer(required=True)
    measure = Text(required=True)
    unit = Text(required=True)
    n = ma.fields.Integer(required=True)
    experiments = ma.fields.Integer(required=True)
    mae = Float(required=True)
    rmse = Float(required=True)
    bias = Float(required=True)
    coverage = Float(allow_none=True)


PredictionSummarySchema = record_schema(
    PredictionSummaryRecord,
    "PredictionSummarySchema",
    models=ma.fields.List(ma.fields.Nested(ModelErrorSchema), required=True),
)


class DatasetFromExperimentsSchema(StrictSchema):
    name = Text(required=True, validate=Len(min=1, max=300))
    measure = Text(
        required=True,
        validate=ma.validate.OneOf([k for k, m in MEASURES.items() if m.kind == "percent"]),
    )
    team_id = new_team_id()
    verified_only = ma.fields.Boolean(
        load_default=True, metadata={"description": "Only verified experiments (default)"}
    )
    description = Text(load_default=None, allow_none=True, validate=Len(max=5000))
    visibility = new_visibility()


class ResultsImportFormSchema(InputSchema):
    visibility = new_visibility()
    team_id = ma.fields.UUID(load_default=None)
    atomic = ma.fields.Boolean(
        load_default=False, metadata={"description": "Write nothing if any row is rejected"}
    )


class ResultsImportFileSchema(ma.Schema):
    file = Upload(required=True)


class ResultsImportRowSchema(ma.Schema):
    row = ma.fields.Integer(required=True)
    status = Text(required=True, metadata={"description": "added or rejected"})
    experiment_id = ma.fields.UUID()
    title = Text()
    field = Text()
    reason = Text()

    @ma.post_dump
    def _leave_out_none(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """A row says only what applies to it (ImportRow's None attributes are left out)."""
        return {k: v for k, v in data.items() if v is not None}


ResultsImportReportSchema = record_schema(
    ImportReport,
    "ResultsImportReportSchema",
    rows=ma.fields.List(ma.fields.Nested(ResultsImportRowSchema), required=True),
)


class ExperimentMeasureSchema(ma.Schema):
    key = Text(required=True)
    label = Text(required=True)
    kind = Text(required=True)
    units = ma.fields.List(Text(), required=True)
    minimum = Float(allow_none=True)
    maximum = Float(allow_none=True)
    needs_assay = ma.fields.Boolean(required=True)


class ExperimentVocabularySchema(ma.Schema):
    measures = ma.fields.List(ma.fields.Nested(ExperimentMeasureSchema), required=True)
    conditions = ma.fields.Dict(required=True, metadata={"description": "name → [min, max]"})
    biological_kinds = ma.fields.List(Text(), required=True)


def _verification_step(
    body: type[ma.Schema], forbidden: str, conflict: str
) -> Callable[[View], View]:
    """A signed-in step of the verification workflow on one experiment: parses ``body``,
    answers the experiment (200) and documents its 403 (``forbidden``), 404 and 409
    (``conflict``)."""
    errors = {403: forbidden, 404: "No such experiment visible to the caller", 409: conflict}
    return answers_signed_in(blp, ExperimentSchema, body=body, errors=errors)


_experiments = Rows(
    blp, "experiments", "experiment", ExperimentPageSchema, ExperimentListArgsSchema
)


Experiments = _experiments.collection(
    "Experiments",
    "Experiments visible to the caller, newest first (awaiting_me: my verification queue)",
    created=(
        ExperimentCreateSchema,
        ExperimentSchema,
        Op(
            "Record an experiment: mixture (by version), protocol, biological system, conditions, results",
            {
                404: "Mixture, protocol or cell type not visible",
                409: "Already submitted; or a team/public experiment cites a mixture, protocol "
                "or cell type its audience cannot see (details.field names it)",
            },
        ),
    ),
)


@blp.route("/vocabulary")
class Vocabulary(MethodView):
    @answers(blp, ExperimentVocabularySchema)
    def get(self) -> Any:
        """Measures (with units and ranges), condition names and biological-system kinds"""
        return VOCABULARY


ExperimentItem = _experiments.item(
    "/<uuid:experiment_id>",
    "ExperimentItem",
    ExperimentSchema,
    shown="One experiment",
    edited=(
        ExperimentUpdateSchema,
        Op(
            "Edit an experiment; editing a verified one sends it back to pending verification",
            {
                404: "No such experiment (or referenced record) visible",
                409: "The new scope's audience could not see a cited mixture, protocol or "
                "cell type (details.field names it)",
            },
        ),
    ),
    deleted=Op(
        "Delete an experiment that is not verified",
        {409: "Verified experiments are not deleted"},
    ),
)


@blp.route("/<uuid:experiment_id>/submit")
class ExperimentSubmit(MethodView):
    @_verification_step(
        ExperimentSubmitSchema, "Not editable by the caller", "Already pending or verified"
    )
    def post(self, body: dict[str, Any], experiment_id: uuid.UUID) -> Any:
        """Submit a team experiment for lab verification (→ pending)"""
        return services().experiments.submit(current_actor(), experiment_id, body.get("notes"))


@blp.route("/<uuid:experiment_id>/verification")
class ExperimentVerification(MethodView):
    @_verification_step(
        VerificationDecisionSchema,
        "The author, or no verify capability in the team",
        "The experiment is not pending",
    )
    def post(self, body: dict[str, Any], experiment_id: uuid.UUID) -> Any:
        """Verify or reject a pending experiment (a verifier of its team who is not the author)"""
        return services().experiments.decide(current_actor(), experiment_id, **body)


@blp.route("/<uuid:experiment_id>/history")
class ExperimentHistory(MethodView):
    @shows(blp, ExperimentHistorySchema, "experiment")
    def get(self, experiment_id: uuid.UUID) -> Any:
        """Verification decisions and every change: who, when, what"""
        return services().experiments.history(current_actor(), experiment_id)


@blp.route("/<uuid:experiment_id>/predicted-vs-measured")
class ExperimentComparison(MethodView):
    @shows(blp, PredictedVsMeasuredSchema, "experiment")
    def get(self, experiment_id: uuid.UUID) -> Any:
        """Stored predictions for the experiment's mixture against the measured values"""
        return services().experiments.predicted_vs_measured(current_actor(), experiment_id)


@blp.route("/prediction-summary")
class PredictionSummary(MethodView):
    @answers(blp, PredictionSummarySchema, args=PredictionSummaryArgsSchema, location="query")
    def get(self, args: dict[str, Any]) -> Any:
        """Prediction error (MAE, RMSE, bias, interval coverage) by model version across experiments"""
        return services().experiments.summary(current_actor(), **args)


@blp.route("/dataset")
class ExperimentDataset(MethodView):
    @answers_signed_in(
        blp,
        DatasetSchema,
        body=DatasetFromExperimentsSchema,
        status=201,
        errors={422: "Fewer than two experiments with that measure"},
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Build a training dataset from (verified) experiments' results"""
        svc, actor = services(), current_actor()
        records, _sources = svc.experiments.dataset_records(
            actor,
            measure=body["measure"],
            team_id=body.get("team_id"),
            verified_only=body["verified_only"],
        )
        if len(records) < 2:
            from cryoprotect.errors import ValidationError

            raise ValidationError(
                f"Only {len(records)} {'verified ' if body['verified_only'] else ''}experiment(s) "
                f"report {body['measure']}; a dataset needs at least two.",
                field="measure",
            )
        description = body.get("description") or (
            f"{body['measure']} from {len(records)} "
            f"{'verified ' if body['verified_only'] else ''}experiments"
        )
        return svc.models.create_dataset(
            actor,
            name=body["name"],
            records=records,
            description=description,
            visibility=body["visibility"],
            team_id=body.get("team_id"),
        )


@blp.route("/import")
class ExperimentImport(MethodView):
    @imports(
        blp,
        ResultsImportFormSchema,
        ResultsImportFileSchema,
        ResultsImportReportSchema,
        JobSchema,
        job=" (still one transaction)",
        errors={409: "atomic: a new experiment cites what its team cannot see"},
    )
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> Any:
        """Import results from CSV (one measurement per row); a per-row report says what landed"""
        actor = current_actor()
        content = files["file"].read()
        experiments = services().experiments

        def work() -> dict[str, Any]:
            report: ImportReport = experiments.import_results(
                actor,
                content,
                visibility=form["visibility"],
                team_id=form.get("team_id"),
                atomic=form["atomic"],
            )
            return ResultsImportReportSchema().dump(report)  # type: ignore[no-any-return]

        return run_sized("experiment_import", csv_rows(content), work, JobSchema())
