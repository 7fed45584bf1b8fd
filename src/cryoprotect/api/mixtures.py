"""Mixtures (CPA solutions): CRUD with version history, clone; solution properties."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    CompareIdsSchema,
    InputSchema,
    PageArgsSchema,
    SourceSchema,
    StrictSchema,
    answers,
    answers_signed_in,
    current_actor,
    owned,
    paged_schema,
    scoped,
    services,
    shows,
)
from cryoprotect.api.fields import Len, Text, dicts, floats
from cryoprotect.api.views import Op, Rows
from cryoprotect.db.models import COMPONENT_ROLES, COMPOSITION_UNITS, VISIBILITIES

blp = Blueprint(
    "mixtures", __name__, url_prefix="/api/v1/mixtures", description="Mixtures (CPA solutions)"
)


_NOT_VISIBLE = {404: "No such mixture visible to the caller"}
_NO_MOLECULE = "A component names no visible library molecule"


def _rate(description: str) -> ma.fields.Float:
    """An optional positive rate in °C/min."""
    return ma.fields.Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=ma.validate.Range(min=0, min_inclusive=False, max=1e12),
        metadata={"description": description},
    )


def _components_in(**kwargs: Any) -> ma.fields.List[Any]:
    """1 to 30 components of a request (library molecules with amounts and units)."""
    return ma.fields.List(
        ma.fields.Nested(ComponentInSchema), validate=Len(min=1, max=30), **kwargs
    )


class ComponentInSchema(InputSchema):
    class Meta:
        unknown = ma.RAISE

    molecule_id = ma.fields.UUID(
        metadata={"description": "A library molecule (or give name or smiles)"}
    )
    name = Text(validate=Len(min=1, max=300))
    smiles = Text(validate=Len(min=1, max=2000))
    amount = ma.fields.Float(
        required=True, allow_nan=False, validate=ma.validate.Range(min=0, max=1e6)
    )
    unit = Text(required=True, validate=ma.validate.OneOf(COMPOSITION_UNITS))
    role = Text(load_default=None, allow_none=True, validate=ma.validate.OneOf(COMPONENT_ROLES))
    material_form_id = ma.fields.UUID(
        allow_none=True,
        metadata={
            "description": "The material form (hydrate, salt) weighed: amounts by mass (g/L, "
            "% w/v, % w/w) are of that form and convert to the molecule with its molar mass"
        },
    )


@scoped
class MixtureCreateSchema(StrictSchema):
    name = Text(required=True, validate=Len(min=1, max=300))
    description = Text(load_default=None, allow_none=True, validate=Len(max=5000))
    carrier = Text(
        load_default=None,
        allow_none=True,
        validate=Len(max=200),
        metadata={"description": "Carrier solution, e.g. 'isotonic saline'"},
    )
    components = _components_in(required=True)
    sources = ma.fields.List(
        ma.fields.Nested(SourceSchema), load_default=list, validate=Len(max=50)
    )


class MixtureUpdateSchema(StrictSchema):
    name = Text(validate=Len(min=1, max=300))
    description = Text(allow_none=True, validate=Len(max=5000))
    carrier = Text(allow_none=True, validate=Len(max=200))
    components = _components_in()
    sources = ma.fields.List(ma.fields.Nested(SourceSchema), validate=Len(max=50))
    visibility = Text(validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(allow_none=True)


@scoped
class CloneSchema(StrictSchema):
    name = Text(load_default=None, allow_none=True, validate=Len(min=1, max=300))


class ComponentSchema(ma.Schema):
    molecule_id = ma.fields.UUID(required=True)
    name = Text(allow_none=True)
    smiles = Text(allow_none=True)
    molar_mass = ma.fields.Float(allow_none=True, metadata={"description": "g/mol"})
    kind = Text(required=True)
    amount = ma.fields.Float(required=True)
    unit = Text(required=True)
    role = Text(allow_none=True)
    material_form_id = ma.fields.UUID(allow_none=True)
    material_form = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "The weighed form: {label, formula, molar_mass (g/mol)}"},
    )


@owned
class MixtureSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    description = Text(allow_none=True)
    version = ma.fields.Integer(required=True)
    carrier = Text(allow_none=True)
    sources = dicts()
    components = ma.fields.List(ma.fields.Nested(ComponentSchema), required=True)


class VersionSchema(ma.Schema):
    version = ma.fields.Integer(required=True)
    name = Text(required=True)
    description = Text(allow_none=True)
    carrier = Text(allow_none=True)
    components = dicts(
        "As stored with this version. A component whose molecule the caller cannot see now "
        "has molecule_id, name, smiles, molar_mass and kind null and redacted true (amount, "
        "unit and role are kept)"
    )
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)


class MixtureListArgsSchema(PageArgsSchema):
    q = Text(load_default=None, validate=Len(max=300))
    visibility = Text(load_default=None, validate=ma.validate.OneOf(VISIBILITIES))


MixturePageSchema = paged_schema(MixtureSchema, "MixturePageSchema")


_mixtures = Rows(blp, "mixtures", "mixture", MixturePageSchema, MixtureListArgsSchema)


Mixtures = _mixtures.collection(
    "Mixtures",
    "Mixtures visible to the caller (public reference solutions without signing in)",
    created=(
        MixtureCreateSchema,
        MixtureSchema,
        Op(
            "Create a mixture: water plus components with amounts and units, and a carrier",
            {404: _NO_MOLECULE},
        ),
    ),
)


MixtureItem = _mixtures.item(
    "/<uuid:mixture_id>",
    "MixtureItem",
    MixtureSchema,
    shown="One mixture (current version)",
    edited=(
        MixtureUpdateSchema,
        Op(
            "Edit a mixture; the edit becomes a new version and the old one stays readable",
            {
                **_NOT_VISIBLE,
                409: "Narrowing or moving it would hide it from team/public experiments that "
                "cite it",
            },
        ),
    ),
    deleted=Op("Delete a mixture and its history", {422: "Still used by an experiment"}),
)


@blp.route("/<uuid:mixture_id>/versions")
class MixtureVersions(MethodView):
    @shows(blp, VersionSchema(many=True), "mixture")
    def get(self, mixture_id: uuid.UUID) -> Any:
        """Every version of a mixture, oldest first"""
        return services().mixtures.versions(current_actor(), mixture_id)


@blp.route("/<uuid:mixture_id>/clone")
class MixtureClone(MethodView):
    @answers_signed_in(blp, MixtureSchema, body=CloneSchema, status=201, errors=_NOT_VISIBLE)
    def post(self, body: dict[str, Any], mixture_id: uuid.UUID) -> Any:
        """Copy a visible mixture into your own scope"""
        return services().mixtures.clone(current_actor(), mixture_id, **body)


solutions_blp = Blueprint(
    "solutions", __name__, url_prefix="/api/v1/solutions", description="Physics of CPA solutions"
)


class _QuantitySchema(ma.Schema):
    unit = Text(required=True)
    method = Text(required=True, metadata={"description": "How the number was obtained"})
    warnings = ma.fields.List(Text())


class BoundSchema(ma.Schema):
    quantity = Text(
        required=True,
        metadata={"description": "ice_melting_point, solute_liquidus or osmolality"},
    )
    relation = Text(
        required=True,
        metadata={
            "description": "below / at_or_below (upper bound), above (lower bound), at "
            "(a published point) or between value and value_high"
        },
    )
    value = ma.fields.Float(required=True)
    value_high = ma.fields.Float(allow_none=True)
    unit = Text(required=True)
    text = Text(required=True, metadata={"description": "The bound as a sentence, with its source"})
    method = Text(required=True)
    source = Text(required=True)
    provenance = Text(required=True)


class _ValidatedQuantitySchema(_QuantitySchema):
    provenance = Text(
        required=True, metadata={"description": "Weakest provenance of the parameters used"}
    )
    within_range = ma.fields.Boolean(
        required=True,
        allow_none=True,
        metadata={
            "description": "true inside every parameter set's recorded range; false outside "
            "one (or past a eutectic); null when a range is not recorded (unknown)"
        },
    )
    status = Text(
        required=True,
        metadata={
            "description": "within_range, range_unknown, outside_range, eutectic_region or "
            "solute_crystallises"
        },
    )
    reason = Text(
        allow_none=True,
        metadata={"description": "Why the value is null ('unknown, because …'); else null"},
    )
    bound = ma.fields.Nested(
        BoundSchema,
        allow_none=True,
        metadata={"description": "The bound that still holds when the value is null"},
    )


class OsmolalitySchema(_ValidatedQuantitySchema):
    value = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "osmol/kg water; null outside the validated range (see reason)"},
    )
    parameters = dicts("Per component, with source")
    electrolytes = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "How the salts' share was obtained: ions by stoichiometric "
            "dissociation, ionic strength, Pitzer osmotic coefficient, species molalities and "
            "the cited parameters (null when the solution has no electrolyte)"
        },
    )


class MeltingPointSchema(_ValidatedQuantitySchema):
    value_c = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "Ice melting point; null outside the validated range or where the "
            "solute crystallises (see reason and bound)"
        },
    )
    value_k = ma.fields.Float(required=True, allow_none=True)


class GlassTransitionSchema(_QuantitySchema):
    value_k = ma.fields.Float(
        allow_none=True, metadata={"description": "null when parameters are missing"}
    )
    value_c = ma.fields.Float(allow_none=True)
    kind = Text(
        required=True, metadata={"description": "'model' (measured values are under measurements)"}
    )
    homogeneous = ma.fields.Boolean(required=True)
    parameters = dicts()


class GlassHeadlineSchema(ma.Schema):
    applies = Text(
        required=True,
        metadata={
            "description": "Which glass the user will see: 'homogeneous' (the whole solution "
            "vitrifies without ice: Gordon–Taylor Tg), 'freeze_concentrated' (ice forms; the "
            "remaining phase vitrifies at the published Tg′) or 'unknown'"
        },
    )
    why = Text(required=True, metadata={"description": "Why that glass applies, with source"})
    value_k = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "null when it cannot be given (see reason)"},
    )
    value_c = ma.fields.Float(required=True, allow_none=True)
    unit = Text(required=True)
    method = Text(required=True, allow_none=True)
    provenance = Text(required=True, allow_none=True)
    verified = ma.fields.Boolean(required=True, allow_none=True)
    within_range = ma.fields.Boolean(required=True, allow_none=True)
    status = Text(required=True)
    reason = Text(required=True, allow_none=True)
    spread_k = ma.fields.List(
        ma.fields.Float(),
        required=True,
        allow_none=True,
        metadata={"description": "Lowest and highest published Tg′ (the spread of sources)"},
    )
    sources = ma.fields.List(Text(), required=True)
    warnings = ma.fields.List(Text(), required=True)


class VitrificationSchema(ma.Schema):
    system = Text(required=True, metadata={"description": "Solute or named solution"})
    named_solution = Text(
        required=True,
        allow_none=True,
        metadata={"description": "The recognised named solution (DP6, VS55, …), if any"},
    )
    critical_cooling_rate = ma.fields.Dict(
        required=True,
        metadata={
            "description": "CCR in °C/min with status, method, valid range (mass fraction), "
            "sources and verified; null value with reason and bound outside the data"
        },
    )
    critical_warming_rate = ma.fields.Dict(required=True, metadata={"description": "CWR, idem"})
    cooling = ma.fields.Dict(
        required=True,
        allow_none=True,
        metadata={
            "description": "Verdict at cooling_rate_c_per_min: outcome ice_free / ice_forms / "
            "unknown, margin = rate / CCR, reason"
        },
    )
    warming = ma.fields.Dict(
        required=True, allow_none=True, metadata={"description": "Verdict at the warming rate"}
    )
    vitrifies = Text(
        required=True,
        allow_none=True,
        metadata={"description": "ice_free when both given rates avoid ice; null without rates"},
    )
    homogeneous_nucleation_c = ma.fields.Float(required=True, allow_none=True)
    homogeneous_nucleation_reason = Text(required=True, allow_none=True)
    warnings = ma.fields.List(Text(), required=True)


class PropertiesSchema(ma.Schema):
    carrier = Text(allow_none=True)
    composition = ma.fields.Dict(
        required=True, metadata={"description": "Every unit, with the density method"}
    )
    osmolality = ma.fields.Nested(OsmolalitySchema, required=True)
    melting_point = ma.fields.Nested(MeltingPointSchema, required=True)
    glass_transition = ma.fields.Nested(GlassTransitionSchema, required=True)
    freeze_concentrated = ma.fields.Dict(
        allow_none=True, metadata={"description": "Published Tg′ (measured)"}
    )
    measurements = dicts("Measured values")
    glass = ma.fields.Nested(
        GlassHeadlineSchema,
        required=True,
        metadata={
            "description": "The headline glass transition: which glass applies and why "
            "(glass_transition keeps the homogeneous-glass model value)"
        },
    )
    vitrification = ma.fields.Nested(VitrificationSchema, required=True)


class MixturePropertiesSchema(PropertiesSchema):
    mixture_id = ma.fields.UUID(required=True)
    version = ma.fields.Integer(required=True)
    name = Text(required=True)


class SolutionQuerySchema(StrictSchema):
    components = _components_in(required=True)
    carrier = Text(load_default=None, allow_none=True, validate=Len(max=200))
    cooling_rate_c_per_min = _rate("Cooling rate for the vitrification verdict (°C/min)")
    warming_rate_c_per_min = _rate("Warming rate for the vitrification verdict (°C/min)")


class CompareSchema(CompareIdsSchema):
    pass


class MixtureComparedSchema(MixturePropertiesSchema):
    measured_vs_model = dicts(
        "Published measurements of this solution beside the model: per property the model's "
        "answer (value or null with status, reason and bound; its stated uncertainty), the "
        "measurement (value, uncertainty, source, basis), the difference model − measured "
        "(absolute and relative), whether a measurement respects the model's bound, and "
        "disagrees (beyond the stated uncertainties; null when none is stated)"
    )


class PhaseDiagramArgsSchema(InputSchema):
    molecule_id = ma.fields.UUID(load_default=None)
    name = Text(load_default=None, validate=Len(min=1, max=300))
    max_mass_percent = ma.fields.Float(load_default=80.0, validate=ma.validate.Range(min=1, max=99))


class PhaseDiagramSchema(ma.Schema):
    solute = Text(required=True)
    mass_percent = ma.fields.List(ma.fields.Float(), required=True)
    melting_point_c = floats("null where the melting point cannot be given (see reasons)")
    melting_point_within_range = ma.fields.List(ma.fields.Boolean(allow_none=True), required=True)
    melting_point_status = ma.fields.List(Text(), required=True)
    melting_point_reason = ma.fields.List(Text(allow_none=True), required=True)
    melting_point_upper_bound_c = floats(
        "Where the value is null: the upper bound that still holds"
    )
    tg_c = floats()
    methods = ma.fields.Dict(required=True)
    warnings = ma.fields.List(Text(), required=True)
    measured_melting_points = dicts("Measured freezing points (CRC Handbook), with their source")
    phase_boundaries = dicts(
        "Published solid–liquid equilibria of the solute (ice and solute liquidus points, "
        "eutectic), with their source"
    )
    tg_applies = ma.fields.List(
        Text(),
        required=True,
        metadata={
            "description": "Per point: 'homogeneous' where the solution forms an ice-free glass "
            "(measured), 'freeze_concentrated' where ice forms and Tg′ applies, else 'unknown'"
        },
    )
    homogeneous_glass_min_percent = ma.fields.Float(required=True, allow_none=True)
    homogeneous_glass_min_source = Text(required=True, allow_none=True)
    tg_prime = ma.fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "Published Tg′ (mean, spread, W′g, every source)"},
    )
    tg_prime_reason = Text(required=True, allow_none=True)
    nucleation_c = floats("Homogeneous nucleation temperature Th (published points only)")
    nucleation_points = dicts()
    nucleation_reason = Text(required=True, allow_none=True)
    devitrification_c = floats()
    devitrification_reason = Text(required=True, allow_none=True)
    critical_rates = ma.fields.Dict(
        required=True,
        metadata={
            "description": "Per point CCR and CWR (°C/min) inside the published data, null "
            "outside; sources; reason when none"
        },
    )


@blp.route("/<uuid:mixture_id>/properties")
class MixtureProperties(MethodView):
    @answers(
        blp,
        MixturePropertiesSchema,
        errors={**_NOT_VISIBLE, 422: "The composition cannot be evaluated"},
    )
    def get(self, mixture_id: uuid.UUID) -> Any:
        """Composition in all units, osmolality, melting point and Tg, each with method and provenance"""
        return services().mixtures.properties(current_actor(), mixture_id)


MixtureCompare = _mixtures.compare(
    "MixtureCompare",
    body=CompareSchema,
    schema=MixtureComparedSchema,
    doc="Properties of 2–10 mixtures side by side",
)


@solutions_blp.route("/properties")
class SolutionProperties(MethodView):
    @answers(
        solutions_blp,
        PropertiesSchema,
        args=SolutionQuerySchema,
        errors={404: _NO_MOLECULE, 422: "Impossible composition (component named)"},
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Properties of an unsaved composition (open to anonymous users)"""
        return services().mixtures.solution_properties(
            current_actor(),
            body["components"],
            body.get("carrier"),
            cooling_rate_c_per_min=body.get("cooling_rate_c_per_min"),
            warming_rate_c_per_min=body.get("warming_rate_c_per_min"),
        )


@solutions_blp.route("/phase-diagram")
class PhaseDiagram(MethodView):
    @answers(
        solutions_blp,
        PhaseDiagramSchema,
        args=PhaseDiagramArgsSchema,
        location="query",
        errors={404: "No such molecule visible to the caller", 422: "Give molecule_id or name"},
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Binary phase diagram data: melting point and Tg against % w/w of one solute in water"""
        component = {k: args[k] for k in ("molecule_id", "name") if args.get(k)}
        return services().mixtures.phase_diagram(
            current_actor(), component, args["max_mass_percent"]
        )


class CarrierComponentSchema(ma.Schema):
    name = Text(required=True)
    amount = ma.fields.Float(required=True)
    unit = Text(required=True)


class CarrierSchema(ma.Schema):
    name = Text(required=True)
    synonyms = ma.fields.List(Text(), required=True)
    components = ma.fields.List(ma.fields.Nested(CarrierComponentSchema), required=True)
    sources = ma.fields.List(Text(), required=True)


@solutions_blp.route("/carriers")
class Carriers(MethodView):
    @answers(solutions_blp, CarrierSchema(many=True))
    def get(self) -> Any:
        """Carrier solutions a mixture can be made up in (besides water), with their solutes and sources"""
        from cryoprotect.services.solutions import carriers

        unique = {id(entry): entry for entry in carriers().values()}
        return sorted(unique.values(), key=lambda c: c["name"].lower())
