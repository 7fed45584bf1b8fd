"""Cell types (membrane parameters) and CPA loading/unloading protocols."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    CompareIdsSchema,
    PageArgsSchema,
    StrictSchema,
    answers,
    creates,
    current_actor,
    lists,
    owned,
    paged_schema,
    services,
)
from cryoprotect.api.mixtures import ComponentInSchema
from cryoprotect.api.views import Op, collection_view, compare_view, item_view
from cryoprotect.db.models import VISIBILITIES

cell_types_blp = Blueprint(
    "cell_types",
    __name__,
    url_prefix="/api/v1/cell-types",
    description="Cell types: membrane-transport parameters with sources",
)
blp = Blueprint(
    "protocols",
    __name__,
    url_prefix="/api/v1/protocols",
    description="CPA loading/unloading protocols designed from membrane transport and toxicity",
)

_Text = ma.fields.String
_Len = ma.validate.Length
_Float = ma.fields.Float

#: The 404 of a design (and of a saved protocol designed on the server).
_NOT_VISIBLE = "Cell type, mixture or component not visible"


# ------------------------------------------------------------------ cell types
class CellTypeCreateSchema(StrictSchema):
    parameters = ma.fields.Dict(
        required=True,
        metadata={
            "description": "The parameter set, in the shape GET /cell-types/{id} returns under "
            "'parameters' (name, Lp, permeabilities per CPA, volumes, limits, sources)"
        },
    )
    description = _Text(load_default=None, allow_none=True, validate=_Len(max=5000))
    visibility = _Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None, allow_none=True)


@owned
class CellTypeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = _Text(required=True)
    species = _Text(allow_none=True)
    description = _Text(allow_none=True)
    parameters = ma.fields.Dict(required=True)
    sources = ma.fields.List(ma.fields.Dict(), required=True)
    builtin = ma.fields.Boolean(required=True)


class CellTypeListArgsSchema(PageArgsSchema):
    q = _Text(load_default=None, validate=_Len(max=200))


CellTypePageSchema = paged_schema(CellTypeSchema, "CellTypePageSchema")


CellTypes = cell_types_blp.route("")(
    collection_view(
        cell_types_blp,
        "CellTypes",
        "cell_types",
        args=CellTypeListArgsSchema,
        envelope=CellTypePageSchema,
        listed="Cell types visible to the caller (the shipped ones without signing in)",
        created=(
            CellTypeCreateSchema,
            CellTypeSchema,
            Op(
                "Add your own cell type (validated: positive Lp and Ps, 0 < vb < 1, min < 1 < max, …)"
            ),
        ),
    )
)


CellTypeItem = cell_types_blp.route("/<uuid:cell_type_id>")(
    item_view(
        cell_types_blp,
        "CellTypeItem",
        "cell_types",
        "cell type",
        CellTypeSchema,
        shown="One cell type with every parameter's source",
        deleted=Op("Delete one of your cell types"),
    )
)


# ------------------------------------------------------------------ protocols
class TargetSchema(StrictSchema):
    components = ma.fields.List(
        ma.fields.Nested(ComponentInSchema),
        validate=_Len(min=1, max=10),
        metadata={"description": "CPAs (and other solutes) of the target solution"},
    )
    mixture_id = ma.fields.UUID(metadata={"description": "Or a saved mixture"})


class OsmoticLimitsSchema(StrictSchema):
    min_volume_fraction = _Float(
        allow_nan=False,
        validate=ma.validate.Range(min=0.0, max=1.0, min_inclusive=False),
        metadata={"description": "V/V_iso, default the cell type's"},
    )
    max_volume_fraction = _Float(allow_nan=False, validate=ma.validate.Range(min=1.0, max=10.0))


def _design_fields() -> dict[str, Any]:
    return {
        "cell_type": _Text(
            required=True,
            validate=_Len(min=1, max=200),
            metadata={"description": "Cell type id, shipped key (e.g. generic_mammalian) or name"},
        ),
        "target": ma.fields.Nested(TargetSchema, required=True),
        "temperature_c": _Float(
            required=True, allow_nan=False, validate=ma.validate.Range(min=-30.0, max=45.0)
        ),
        "removal_temperature_c": _Float(
            load_default=None,
            allow_none=True,
            allow_nan=False,
            validate=ma.validate.Range(min=-30.0, max=45.0),
        ),
        "osmotic_limits": ma.fields.Nested(OsmoticLimitsSchema, load_default=None, allow_none=True),
        "max_steps": ma.fields.Integer(load_default=4, validate=ma.validate.Range(min=1, max=8)),
        "allow_osmotic_buffer": ma.fields.Boolean(
            load_default=True,
            metadata={"description": "May use a non-permeating buffer (sucrose) during removal"},
        ),
        "min_carrier_fraction": _Float(
            load_default=0.0,
            allow_nan=False,
            validate=ma.validate.Range(min=0.0, max=1.0),
            metadata={
                "description": "Share of the isotonic carrier's salts every designed addition "
                "step keeps: 0 allows salt-poor CPA solutions that swell the cell (Benson et al. "
                "2012), 1 keeps full-strength carrier (conventional)"
            },
        ),
    }


DesignRequestSchema = type("DesignRequestSchema", (StrictSchema,), _design_fields())


class DesignSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    cell_type = _Text(required=True, metadata={"description": "Key of the cell parameter set"})
    cell_name = _Text(required=True)
    cell_type_id = ma.fields.UUID(required=True)
    cell_type_name = _Text(required=True)
    mixture_id = ma.fields.UUID(allow_none=True)
    target = ma.fields.Dict(required=True, metadata={"description": "CPA molality, mol/kg"})
    temperature_c = _Float(required=True)
    limits = ma.fields.Dict(required=True, metadata={"description": "V/V_iso limits"})
    method = _Text(required=True, metadata={"description": "How the design was found"})
    settings = ma.fields.Dict(required=True)
    protocols = ma.fields.Dict(
        required=True,
        metadata={
            "description": "designed, one_step and equal_steps: steps table, chart data "
            "(volume, intracellular concentration and osmolality vs time, limits), toxicity cost"
        },
    )
    comparison = ma.fields.List(
        ma.fields.Dict(), required=True, metadata={"description": "Cost and volume excursion"}
    )
    sensitivity = ma.fields.Dict(
        required=True,
        metadata={
            "description": "Sensitivity band of the designed protocol over the published "
            "ranges of the cell's Lp, Ps (and carrier K) and inactive volume fraction: status, "
            "parameter_ranges (low/high, sources, the V/V_iso extremes at each end), "
            "min_volume_fraction and max_volume_fraction as [lowest, highest], "
            "limits_respected_at_extremes; null values with a reason where no published range "
            "is recorded (user cell types)"
        },
    )
    # A title of its own: unnamed, generators call it "DesignRequest", the input schema.
    request = ma.fields.Dict(required=True, metadata={"title": "EchoedRequest"})


class ProtocolCreateSchema(StrictSchema):
    name = _Text(required=True, validate=_Len(min=1, max=300))
    description = _Text(load_default=None, allow_none=True, validate=_Len(max=5000))
    design = ma.fields.Nested(DesignRequestSchema, required=True, data_key="design_request")
    visibility = _Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None, allow_none=True)


@owned
class ProtocolSummarySchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = _Text(required=True)
    description = _Text(allow_none=True)
    cell_type_id = ma.fields.UUID(allow_none=True)
    mixture_id = ma.fields.UUID(allow_none=True)
    temperature_c = _Float(allow_none=True)
    toxicity_cost = _Float(allow_none=True)
    steps = ma.fields.List(ma.fields.Dict(), required=True)
    # A title of its own: unnamed, generators call Protocol's "ProtocolSummary", a schema.
    summary = ma.fields.Dict(required=True, metadata={"title": "SummaryFigures"})


class ProtocolSchema(ProtocolSummarySchema):
    design = ma.fields.Dict(required=True)


ProtocolPageSchema = paged_schema(ProtocolSummarySchema, "ProtocolPageSchema")


class ProtocolListArgsSchema(PageArgsSchema):
    q = _Text(load_default=None, validate=_Len(max=300))
    cell_type_id = ma.fields.UUID(load_default=None)


class ProtocolCompareSchema(CompareIdsSchema):
    pass


@blp.route("/design")
class ProtocolDesign(MethodView):
    @answers(
        blp,
        DesignSchema,
        args=DesignRequestSchema,
        errors={
            404: _NOT_VISIBLE,
            422: "Infeasible: details.constraint names the limit that binds",
        },
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Design CPA addition and removal that minimise toxicity cost within osmotic limits"""
        return services().protocols.design(current_actor(), **body)


@blp.route("")
class Protocols(MethodView):
    @lists(blp, ProtocolListArgsSchema, ProtocolPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Saved protocols visible to the caller, newest first"""
        return services().protocols.list(current_actor(), **args)

    @creates(blp, ProtocolCreateSchema, ProtocolSchema)
    @blp.alt_response(404, description=_NOT_VISIBLE)
    @blp.alt_response(422, description="Infeasible design request")
    def post(self, body: dict[str, Any]) -> Any:
        """Design (on the server) and save a protocol"""
        request = body.pop("design")
        return services().protocols.create(current_actor(), design_request=request, **body)


ProtocolCompare = blp.route("/compare")(
    compare_view(
        blp,
        "ProtocolCompare",
        "protocols",
        "protocol",
        body=ProtocolCompareSchema,
        schema=ProtocolSummarySchema,
        doc="Saved protocols side by side: toxicity cost, volume excursion, duration",
    )
)


ProtocolItem = blp.route("/<uuid:protocol_id>")(
    item_view(
        blp,
        "ProtocolItem",
        "protocols",
        "protocol",
        ProtocolSchema,
        shown="A saved protocol with its design, chart data and comparison protocols",
        deleted=Op("Delete a protocol (experiments that used it keep their record, unlinked)"),
    )
)
