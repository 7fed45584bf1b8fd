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
    owned,
    paged_schema,
    scoped,
    services,
)
from cryoprotect.api.fields import Float, Len, Text, described, dicts
from cryoprotect.api.mixtures import ComponentInSchema
from cryoprotect.api.views import Op, Rows
from cryoprotect.services.protocols.recipe import protocol_recipe

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


#: The 404 of a design (and of a saved protocol designed on the server).
_NOT_VISIBLE = "Cell type, mixture or component not visible"


# ------------------------------------------------------------------ cell types
@scoped
class CellTypeCreateSchema(StrictSchema):
    parameters = ma.fields.Dict(
        required=True,
        metadata={
            "description": "The parameter set, in the shape GET /cell-types/{id} returns under "
            "'parameters' (name, Lp, permeabilities per CPA, volumes, limits, sources)"
        },
    )
    description = Text(load_default=None, allow_none=True, validate=Len(max=5000))


@owned
class CellTypeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    species = Text(allow_none=True)
    description = Text(allow_none=True)
    parameters = ma.fields.Dict(required=True)
    sources = dicts()
    builtin = ma.fields.Boolean(required=True)


class CellTypeListArgsSchema(PageArgsSchema):
    q = Text(load_default=None, validate=Len(max=200))


CellTypePageSchema = paged_schema(CellTypeSchema, "CellTypePageSchema")


_cell_types = Rows(
    cell_types_blp, "cell_types", "cell type", CellTypePageSchema, CellTypeListArgsSchema
)


CellTypes = _cell_types.collection(
    "CellTypes",
    "Cell types visible to the caller (the shipped ones without signing in)",
    created=(
        CellTypeCreateSchema,
        CellTypeSchema,
        Op("Add your own cell type (validated: positive Lp and Ps, 0 < vb < 1, min < 1 < max, …)"),
    ),
)


CellTypeItem = _cell_types.item(
    "/<uuid:cell_type_id>",
    "CellTypeItem",
    CellTypeSchema,
    shown="One cell type with every parameter's source",
    deleted=Op("Delete one of your cell types"),
)


# ------------------------------------------------------------------ protocols
class TargetSchema(StrictSchema):
    components = ma.fields.List(
        ma.fields.Nested(ComponentInSchema),
        validate=Len(min=1, max=10),
        metadata={"description": "CPAs (and other solutes) of the target solution"},
    )
    mixture_id = ma.fields.UUID(metadata={"description": "Or a saved mixture"})


class OsmoticLimitsSchema(StrictSchema):
    min_volume_fraction = Float(
        allow_nan=False,
        validate=ma.validate.Range(min=0.0, max=1.0, min_inclusive=False),
        metadata={"description": "V/V_iso, default the cell type's"},
    )
    max_volume_fraction = Float(allow_nan=False, validate=ma.validate.Range(min=1.0, max=10.0))


def _design_fields() -> dict[str, Any]:
    return {
        "cell_type": Text(
            required=True,
            validate=Len(min=1, max=200),
            metadata={"description": "Cell type id, shipped key (e.g. generic_mammalian) or name"},
        ),
        "target": ma.fields.Nested(TargetSchema, required=True),
        "temperature_c": Float(
            required=True, allow_nan=False, validate=ma.validate.Range(min=-30.0, max=45.0)
        ),
        "removal_temperature_c": Float(
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
        "min_carrier_fraction": Float(
            load_default=1.0,
            allow_nan=False,
            validate=ma.validate.Range(min=0.0, max=1.0),
            metadata={
                "description": "Share of the isotonic carrier's salts every designed addition "
                "step keeps: 1 (the default) keeps full-strength carrier (conventional), 0 "
                "allows salt-poor CPA solutions that swell the cell (Benson et al. 2012); below "
                "1 the conventional design is computed too and settings.carrier_comparison "
                "gives both toxicity costs"
            },
        ),
    }


DesignRequestSchema = type("DesignRequestSchema", (StrictSchema,), _design_fields())


class DesignSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    cell_type = Text(required=True, metadata={"description": "Key of the cell parameter set"})
    cell_name = Text(required=True)
    cell_type_id = ma.fields.UUID(required=True)
    cell_type_name = Text(required=True)
    mixture_id = ma.fields.UUID(allow_none=True)
    target = ma.fields.Dict(required=True, metadata={"description": "CPA molality, mol/kg"})
    temperature_c = Float(required=True)
    limits = ma.fields.Dict(required=True, metadata={"description": "V/V_iso limits"})
    method = Text(required=True, metadata={"description": "How the design was found"})
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


@scoped
class ProtocolCreateSchema(StrictSchema):
    name = Text(required=True, validate=Len(min=1, max=300))
    description = Text(load_default=None, allow_none=True, validate=Len(max=5000))
    design = ma.fields.Nested(DesignRequestSchema, required=True, data_key="design_request")


@owned
class ProtocolSummarySchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    description = Text(allow_none=True)
    cell_type_id = ma.fields.UUID(allow_none=True)
    mixture_id = ma.fields.UUID(allow_none=True)
    temperature_c = Float(allow_none=True)
    toxicity_cost = Float(allow_none=True)
    steps = dicts()
    # A title of its own: unnamed, generators call Protocol's "ProtocolSummary", a schema.
    summary = ma.fields.Dict(required=True, metadata={"title": "SummaryFigures"})


class ProtocolSchema(ProtocolSummarySchema):
    design = ma.fields.Dict(required=True)


ProtocolPageSchema = paged_schema(ProtocolSummarySchema, "ProtocolPageSchema")


class ProtocolListArgsSchema(PageArgsSchema):
    q = Text(load_default=None, validate=Len(max=300))
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


_protocols = Rows(blp, "protocols", "protocol", ProtocolPageSchema, ProtocolListArgsSchema)


@creates(blp, ProtocolCreateSchema, ProtocolSchema)
@blp.alt_response(404, description=_NOT_VISIBLE)
@blp.alt_response(422, description="Infeasible design request")
def _create(_: MethodView, body: dict[str, Any]) -> Any:
    """Design (on the server) and save a protocol"""
    request = body.pop("design")
    return services().protocols.create(current_actor(), design_request=request, **body)


Protocols = _protocols.collection(
    "Protocols",
    "Saved protocols visible to the caller, newest first",
    created=_create,
)


ProtocolCompare = _protocols.compare(
    "ProtocolCompare",
    body=ProtocolCompareSchema,
    # With each protocol's design (conditions, steps, simulated time courses) so the compare
    # page overlays the curves without one request per protocol (issue 18).
    schema=ProtocolSchema,
    doc="Saved protocols side by side: toxicity cost, volume excursion, duration, and each "
    "design (conditions, steps, cell volume and intracellular CPA time courses)",
)


ProtocolItem = _protocols.item(
    "/<uuid:protocol_id>",
    "ProtocolItem",
    ProtocolSchema,
    shown="A saved protocol with its design, chart data and comparison protocols",
    deleted=Op("Delete a protocol (experiments that used it keep their record, unlinked)"),
)


def _required_dict(description: str) -> ma.fields.Dict:
    return ma.fields.Dict(required=True, metadata=described(description))


class RecipeArgsSchema(StrictSchema):
    volume_ml = Float(
        load_default=10.0,
        allow_nan=False,
        validate=ma.validate.Range(min=0.1, max=10000.0),
        metadata=described("Volume of each step's solution to make, mL (20 °C)"),
    )
    carrier_strength = ma.fields.Integer(
        load_default=10,
        validate=ma.validate.OneOf([1, 10]),
        metadata=described("Carrier salt stock: 10 (10x, diluted with water) or 1"),
    )
    stock = ma.fields.List(
        Text(validate=Len(min=1, max=200)),
        load_default=list,
        validate=Len(max=20),
        metadata=described(
            "Stocks other than the defaults (neat liquid CPAs, weighed solids, 10x carrier): "
            "'Sucrose=1 mol/L', 'Sucrose=solid', 'Glycerol=neat'; repeatable"
        ),
    )


class RecipeSchema(ma.Schema):
    protocol_id = ma.fields.UUID(required=True)
    protocol_name = Text(required=True)
    volume_ml = Float(required=True)
    carrier_strength = ma.fields.Integer(required=True)
    steps = dicts(
        "Per step: phase, label, temperature, hold (model_s, rounded_s, warning) and recipe "
        "(ingredients with mass_g/volume_ml, concentrations incl. % v/v, density, how_obtained)"
    )
    stocks = dicts("The stocks used and their density sources")
    totals = dicts("Each stock (and water) over the whole protocol")
    warnings = ma.fields.List(Text(), required=True)
    carrier = _required_dict(
        "Carrier salts, the design's min_carrier_fraction and, for a salt-reduced design, "
        "the toxicity cost beside the conventional design's"
    )
    rounding_effect = _required_dict("The protocol simulated as designed and with rounded holds")
    how_obtained = ma.fields.List(Text(), required=True)


@blp.route("/<uuid:protocol_id>/recipe")
class ProtocolRecipe(MethodView):
    @answers(
        blp,
        RecipeSchema,
        args=RecipeArgsSchema,
        location="query",
        errors={
            404: "No such protocol visible to the caller",
            422: "A volume, carrier strength or stock that cannot make a step (details.field)",
        },
    )
    def get(self, args: dict[str, Any], protocol_id: Any) -> Any:
        """A saved protocol as a bench recipe: stock and water amounts per step, rounded holds"""
        return protocol_recipe(services().protocols, current_actor(), protocol_id, **args)
