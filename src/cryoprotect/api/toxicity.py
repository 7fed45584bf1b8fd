"""Kinetic toxicity models fitted to exposure experiments, and the exposure-data importer."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from cryoprotect.api.common import (
    NOT_CREATABLE,
    InputSchema,
    PageArgsSchema,
    StrictSchema,
    answers_signed_in,
    current_actor,
    deletes,
    lists,
    paged_schema,
    services,
    shows,
)
from cryoprotect.api.files import attachment, imports
from cryoprotect.db.models import MODEL_STATUSES, VISIBILITIES
from cryoprotect.services.toxicity import COLUMNS, FitStarted, template_csv
from cryoprotect.services.toxicity.exposure import TEMPERATURE_RANGE_C

blp = Blueprint(
    "toxicity-models",
    __name__,
    url_prefix="/api/v1/toxicity-models",
    description="Kinetic toxicity models fitted to exposure experiments (issue 16)",
)
_Text = ma.fields.String
_Float = ma.fields.Float


class ExposureSchema(InputSchema):
    """``results[i].exposure`` of an exposure experiment's ``viability_percent`` result: the
    conditions that make it toxicity data. Checked by the one rule of the CSV importer
    (``services/toxicity/exposure.check_exposure``): a problem is a 422 naming
    ``results[i].exposure.<key>``."""

    class Meta:
        unknown = ma.RAISE

    molality_mol_per_kg = ma.fields.Dict(
        keys=_Text(validate=ma.validate.Length(min=1, max=200)),
        values=_Float(allow_nan=False),
        required=True,
        metadata={
            "description": "mol per kg water of each CPA (≥ 0), by canonical solute name "
            "(e.g. Glycerol, Dimethyl sulfoxide); {} for an untreated control"
        },
    )
    time_s = _Float(required=True, allow_nan=False, metadata={"description": "exposure, s (≥ 0)"})
    temperature_c = _Float(
        required=True,
        allow_nan=False,
        metadata={"description": "°C, {:g} to {:g}".format(*TEMPERATURE_RANGE_C)},
    )
    plate = _Text(
        allow_none=True,
        metadata={"description": "the group the bootstrap resamples (default 1); ≤ 100 characters"},
    )
    well = _Text(allow_none=True, metadata={"description": "≤ 100 characters"})
    input = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "the composition as imported: {cpas, amounts, unit}"},
    )


class ToxicityParameterSchema(ma.Schema):
    name = _Text(required=True, metadata={"description": "e.g. k_spec[Glycerol], beta_ns"})
    estimate = _Float(required=True)
    low = _Float(
        allow_none=True, metadata={"description": "90 % bootstrap interval; null: unbounded"}
    )
    high = _Float(allow_none=True)
    wald_low = _Float(allow_none=True)
    wald_high = _Float(allow_none=True)
    unit = _Text(required=True)
    fixed = ma.fields.Boolean(required=True)
    sloppy = ma.fields.Boolean(
        required=True, metadata={"description": "Poorly identified by the data (see reasons)"}
    )
    reasons = ma.fields.List(_Text(), required=True)


class ToxicityHeldOutSchema(ma.Schema):
    group = _Text(required=True, metadata={"description": "experiment id / plate left out"})
    n = ma.fields.Integer(required=True)
    rmse = _Float(required=True, allow_none=True)
    mean_error = _Float(required=True, allow_none=True)
    informed = ma.fields.Boolean(
        required=True, metadata={"description": "false: the rest of the data do not inform it"}
    )


class ToxicityPointSchema(ma.Schema):
    experiment_id = ma.fields.UUID(required=True)
    result_index = ma.fields.Integer(required=True)
    group = _Text(required=True)
    plate = _Text(required=True)
    well = _Text(allow_none=True)
    molality_mol_per_kg = ma.fields.Dict(keys=_Text(), values=_Float(), required=True)
    time_s = _Float(required=True)
    temperature_k = _Float(required=True)
    viability = _Float(required=True, metadata={"description": "measured, fraction of control"})
    fitted = _Float(required=True, metadata={"description": "model's viability exp(-k t)"})
    residual = _Float(required=True)
    weight = _Float(required=True)


class ToxicityModelSummarySchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = _Text(required=True)
    version = ma.fields.Integer(required=True)
    status = _Text(required=True, metadata={"description": ", ".join(MODEL_STATUSES)})
    progress = _Float(allow_none=True)
    error = _Text(allow_none=True)
    training_seconds = _Float(allow_none=True)
    verified = ma.fields.Boolean(required=True)
    cpas = ma.fields.List(_Text(), required=True)
    spec = ma.fields.Dict(
        required=True,
        metadata={"description": "Terms fitted: cpas, nonspecific, interactions, temperature"},
    )
    training_data = ma.fields.Dict(
        required=True,
        metadata={"description": "experiment_ids, row_count, groups, verified_only"},
    )
    aic = _Float(allow_none=True)
    bic = _Float(allow_none=True)
    held_out_rmse = _Float(allow_none=True)
    visibility = _Text(required=True)
    team_id = ma.fields.UUID(allow_none=True)
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class ToxicityModelSchema(ToxicityModelSummarySchema):
    equations = _Text(required=True)
    citations = _Text(required=True)
    t_ref_k = _Float(allow_none=True, metadata={"description": "Reference temperature, K"})
    temperature_dependence = ma.fields.Boolean(allow_none=True)
    parameters = ma.fields.List(ma.fields.Nested(ToxicityParameterSchema), required=True)
    warnings = ma.fields.List(
        _Text(), required=True, metadata={"description": "Identifiability and data warnings"}
    )
    log_likelihood = _Float(allow_none=True)
    sigma = _Float(allow_none=True, metadata={"description": "Residual SD of viability"})
    n_observations = ma.fields.Integer(allow_none=True)
    n_free = ma.fields.Integer(allow_none=True)
    held_out = ma.fields.List(ma.fields.Nested(ToxicityHeldOutSchema), required=True)
    points = ma.fields.List(ma.fields.Nested(ToxicityPointSchema), required=True)
    valid_temperature_k = ma.fields.List(_Float(), allow_none=True)
    valid_max_total_molality = _Float(allow_none=True)
    source = _Text(allow_none=True)
    provenance = _Text(allow_none=True)
    interval_level = _Float(allow_none=True)
    interval_method = _Text(allow_none=True)
    error_model = _Text(allow_none=True)
    n_draws = ma.fields.Integer(required=True)


ToxicityModelPageSchema = paged_schema(ToxicityModelSummarySchema, "ToxicityModelPageSchema")


class ToxicityListArgsSchema(PageArgsSchema):
    q = _Text(load_default=None, validate=ma.validate.Length(max=200))
    status = _Text(load_default=None, validate=ma.validate.OneOf(MODEL_STATUSES))


class ToxicityTermsSchema(StrictSchema):
    nonspecific = ma.fields.Boolean(load_default=False)
    interactions = ma.fields.Raw(
        load_default=False,
        metadata={"description": "true (every pair of CPAs), false, or a list of [cpa, cpa]"},
    )
    temperature = ma.fields.Boolean(
        load_default=False, metadata={"description": "Arrhenius temperature dependence"}
    )

    @ma.validates("interactions")
    def _pairs(self, value: Any, **_: Any) -> None:
        if isinstance(value, bool):
            return
        if not isinstance(value, list) or len(value) > 20:
            raise ma.ValidationError("true, false or a list of at most 20 [cpa, cpa] pairs.")
        for pair in value:
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(n, str) and 0 < len(n) <= 200 for n in pair)
            ):
                raise ma.ValidationError("Each interaction is a pair of CPA names.")


class ToxicityFitSchema(StrictSchema):
    name = _Text(required=True, validate=ma.validate.Length(min=1, max=200))
    experiment_ids = ma.fields.List(
        ma.fields.UUID(),
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "Default: every exposure experiment visible to the caller"},
    )
    verified_only = ma.fields.Boolean(load_default=False)
    cpas = ma.fields.List(
        _Text(validate=ma.validate.Length(min=1, max=200)),
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(min=1, max=10),
        metadata={"description": "Default: every CPA in the data"},
    )
    terms = ma.fields.Nested(ToxicityTermsSchema, load_default=dict)
    n_bootstrap = ma.fields.Integer(load_default=200, validate=ma.validate.Range(min=20, max=1000))
    visibility = _Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None, allow_none=True)


class ToxicityFitJobSchema(ma.Schema):
    model = ma.fields.Nested(ToxicityModelSummarySchema, required=True)
    job_id = ma.fields.UUID(required=True)


class ExposureImportFormSchema(InputSchema):
    title = _Text(required=True, validate=ma.validate.Length(min=1, max=300))
    visibility = _Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None)
    cell_type_id = ma.fields.UUID(load_default=None)


class ExposureImportFileSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "CSV: " + ", ".join(COLUMNS)})


class ExposureImportSchema(ma.Schema):
    experiment_id = ma.fields.UUID(required=True)
    title = _Text(required=True)
    rows = ma.fields.Integer(required=True)
    cpas = ma.fields.List(_Text(), required=True)
    plates = ma.fields.List(_Text(), required=True)
    visibility = _Text(required=True)
    team_id = ma.fields.UUID(allow_none=True)


@blp.route("")
class ToxicityModels(MethodView):
    @lists(blp, ToxicityListArgsSchema, ToxicityModelPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Toxicity model versions visible to the caller, newest first"""
        return services().toxicity.list(current_actor(), **args)

    @answers_signed_in(
        blp,
        ToxicityFitJobSchema,
        body=ToxicityFitSchema,
        status=202,
        errors={
            403: NOT_CREATABLE,
            404: "A named experiment is not a visible exposure experiment",
            422: "No usable exposure data, unknown CPA or interaction, too few rows",
        },
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Fit a kinetic toxicity model to visible exposure experiments in the background; poll the job"""
        svc, actor = services(), current_actor()
        pending = svc.toxicity.create_pending(actor, **body)

        def fit(progress: Any, cancel: Any) -> dict[str, str]:
            model = svc.toxicity.run_fit(actor, pending.id, progress=progress, cancel=cancel.check)
            return {"toxicity_model_id": str(model.id), "status": model.status}

        job = svc.jobs.submit(actor, "fit_toxicity_model", fit)
        return FitStarted(model=pending, job_id=job.id)


@blp.route("/exposure-template.csv")
class ExposureTemplate(MethodView):
    @blp.response(200, content_type="text/csv", description="The exposure-experiment CSV template")
    def get(self) -> Any:
        """The exposure-experiment CSV template (header and example rows showing the layout)"""
        return attachment(template_csv(), "text/csv", "exposure-template.csv")


@blp.route("/exposure-import")
class ExposureImportView(MethodView):
    @imports(
        blp,
        ExposureImportFormSchema,
        ExposureImportFileSchema,
        ExposureImportSchema,
        {422: "Bad rows: details.rows lists each (row, field, reason); nothing is written"},
    )
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> Any:
        """Import an exposure experiment (one row per well/condition) from CSV, all rows or none"""
        return services().toxicity.import_exposure(current_actor(), files["file"].read(), **form)


@blp.route("/<uuid:model_id>")
class ToxicityModelItem(MethodView):
    @shows(blp, ToxicityModelSchema, "toxicity model")
    def get(self, model_id: uuid.UUID) -> Any:
        """A toxicity model version: parameters with intervals and units, diagnostics, data points"""
        return services().toxicity.get(current_actor(), model_id)

    @deletes(blp, "toxicity model")
    def delete(self, model_id: uuid.UUID) -> None:
        """Delete a toxicity model version"""
        services().toxicity.delete(current_actor(), model_id)
