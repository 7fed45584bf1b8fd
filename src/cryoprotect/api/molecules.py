"""The molecule library: register, read, edit, delete; search; drawings; import and export."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from cryoprotect.api.background import run_sized
from cryoprotect.api.common import (
    BEARER,
    OPTIONAL_BEARER,
    InputSchema,
    PageArgsSchema,
    SourceSchema,
    StrictSchema,
    current_actor,
    login_required,
    page_envelope,
    paged_schema,
    services,
)
from cryoprotect.db.models import MOLECULE_CLASSES, MOLECULE_KINDS, VISIBILITIES
from cryoprotect.errors import Busy, QueryTooComplexError
from cryoprotect.ops.metrics import record_search_refused, record_search_truncated
from cryoprotect.services.molecule_io import EXPORT_FORMATS, FORMATS

blp = Blueprint(
    "molecules", __name__, url_prefix="/api/v1/molecules", description="Molecule library"
)
jobs_blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Background jobs")

_Text = ma.fields.String
_Len = ma.validate.Length


class MoleculeCreateSchema(StrictSchema):
    structure = _Text(
        validate=_Len(min=1, max=200_000),
        metadata={"description": "SMILES, InChI or a MOL/SDF block"},
    )
    smiles = _Text(validate=_Len(min=1, max=2000), metadata={"description": "Alias of structure"})
    structure_format = _Text(validate=ma.validate.OneOf(("smiles", "inchi", "molblock")))
    lookup = _Text(
        validate=_Len(min=1, max=300),
        metadata={"description": "Name, synonym or PubChem CID of a library molecule"},
    )
    name = _Text(load_default=None, allow_none=True, validate=_Len(max=300))
    synonyms = ma.fields.List(_Text(validate=_Len(min=1, max=300)), validate=_Len(max=100))
    pubchem_cid = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=2**53))
    molecule_class = _Text(allow_none=True, validate=ma.validate.OneOf(MOLECULE_CLASSES))
    kind = _Text(load_default="structure", validate=ma.validate.OneOf(MOLECULE_KINDS))
    average_molar_mass = ma.fields.Float(
        allow_none=True,
        validate=ma.validate.Range(min=0, min_inclusive=False, max=1e9),
        metadata={"description": "g/mol, for components without structure"},
    )
    sources = ma.fields.List(ma.fields.Nested(SourceSchema), validate=_Len(max=50))
    visibility = _Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None, allow_none=True)
    on_duplicate = _Text(
        load_default="error",
        validate=ma.validate.OneOf(("error", "merge")),
        metadata={"description": "'merge' adds the names as synonyms of the existing record"},
    )


class MoleculeUpdateSchema(StrictSchema):
    name = _Text(allow_none=True, validate=_Len(max=300))
    synonyms = ma.fields.List(_Text(validate=_Len(min=1, max=300)), validate=_Len(max=100))
    pubchem_cid = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=2**53))
    molecule_class = _Text(allow_none=True, validate=ma.validate.OneOf(MOLECULE_CLASSES))
    visibility = _Text(validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(allow_none=True)


class PropertySchema(ma.Schema):
    property_name = _Text(required=True)
    value = ma.fields.Float(allow_none=True)
    text_value = _Text(allow_none=True)
    unit = _Text(allow_none=True)
    method = _Text(required=True, metadata={"description": "How the value was obtained"})
    provenance = _Text(
        required=True, metadata={"description": "measured, fitted, estimated or computed"}
    )
    source = _Text(allow_none=True)


class PropertyCreateSchema(StrictSchema):
    property_name = _Text(required=True, validate=_Len(min=1, max=100))
    value = ma.fields.Float(required=True, allow_nan=False)
    unit = _Text(load_default=None, allow_none=True, validate=_Len(max=50))
    method = _Text(required=True, validate=_Len(min=1, max=200))
    provenance = _Text(
        required=True, validate=ma.validate.OneOf(("measured", "fitted", "estimated"))
    )
    source = _Text(required=True, validate=_Len(min=1, max=2000))


class ScoreComponentSchema(ma.Schema):
    name = _Text(required=True)
    value = ma.fields.Float(required=True)
    unit = _Text(allow_none=True)
    weight = ma.fields.Float(required=True)
    contribution = ma.fields.Float(required=True)
    rationale = _Text(required=True)
    citation = _Text(required=True)


class CpaScoreSchema(ma.Schema):
    score = ma.fields.Float(required=True)
    method = _Text(required=True)
    components = ma.fields.List(ma.fields.Nested(ScoreComponentSchema), required=True)


class MoleculeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = _Text(required=True)
    name = _Text(allow_none=True)
    synonyms = ma.fields.List(_Text(), required=True)
    smiles = _Text(
        allow_none=True,
        metadata={"description": "Canonical isomeric SMILES of the standardised parent"},
    )
    inchi = _Text(allow_none=True)
    inchikey = _Text(allow_none=True)
    formula = _Text(allow_none=True)
    molecular_weight = ma.fields.Float(allow_none=True, metadata={"description": "g/mol"})
    average_molar_mass = ma.fields.Float(
        allow_none=True, metadata={"description": "g/mol (polymers)"}
    )
    pubchem_cid = ma.fields.Integer(allow_none=True)
    molecule_class = _Text(allow_none=True)
    sources = ma.fields.List(ma.fields.Dict(), required=True)
    standardization = ma.fields.Dict(required=True)
    visibility = _Text(required=True)
    team_id = ma.fields.UUID(allow_none=True)
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    identifiers_method = _Text(
        allow_none=True, metadata={"description": "How identifiers were computed"}
    )


class MoleculeDetailSchema(MoleculeSchema):
    properties = ma.fields.List(ma.fields.Nested(PropertySchema), required=True)
    cpa_score = ma.fields.Nested(CpaScoreSchema, allow_none=True)


def _range(name: str, unit: str) -> dict[str, ma.fields.Float]:
    return {
        f"{name}_min": ma.fields.Float(
            load_default=None, allow_nan=False, metadata={"description": f"Lower bound ({unit})"}
        ),
        f"{name}_max": ma.fields.Float(
            load_default=None, allow_nan=False, metadata={"description": f"Upper bound ({unit})"}
        ),
    }


RANGE_ARGS = {
    "mw": ("molecular_weight", "g/mol"),
    "clogp": ("clogp_crippen", "calculated logP"),
    "tpsa": ("tpsa", "Å²"),
    "hbd": ("hbd", "count"),
    "hba": ("hba", "count"),
}

MoleculeListArgsSchema = type(
    "MoleculeListArgsSchema",
    (PageArgsSchema,),
    {
        "q": _Text(
            load_default=None,
            validate=_Len(max=300),
            metadata={"description": "Name, synonym, formula, InChIKey or PubChem CID"},
        ),
        "visibility": _Text(load_default=None, validate=ma.validate.OneOf(VISIBILITIES)),
        "molecule_class": _Text(load_default=None, validate=ma.validate.OneOf(MOLECULE_CLASSES)),
        "kind": _Text(load_default=None, validate=ma.validate.OneOf(MOLECULE_KINDS)),
        "sort": _Text(
            load_default="name",
            validate=ma.validate.OneOf(("name", "molecular_weight", "created_at")),
        ),
        **{k: v for short, (_, unit) in RANGE_ARGS.items() for k, v in _range(short, unit).items()},
    },
)

MoleculePageSchema = paged_schema(MoleculeSchema, "MoleculePageSchema")


class SimilarityQuerySchema(StrictSchema):
    structure = _Text(required=True, validate=_Len(min=1, max=200_000))
    k = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=1000))
    threshold = ma.fields.Float(load_default=0.0, validate=ma.validate.Range(min=0.0, max=1.0))


class SimilarArgsSchema(InputSchema):
    k = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=1000))
    threshold = ma.fields.Float(load_default=0.0, validate=ma.validate.Range(min=0.0, max=1.0))


class HitSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = _Text(allow_none=True)
    smiles = _Text(allow_none=True)
    inchikey = _Text(allow_none=True)
    formula = _Text(allow_none=True)
    molecular_weight = ma.fields.Float(allow_none=True)
    visibility = _Text(required=True)
    similarity = ma.fields.Float(metadata={"description": "Tanimoto coefficient, 0–1"})


class SimilarityResultSchema(ma.Schema):
    method = _Text(required=True)
    items = ma.fields.List(ma.fields.Nested(HitSchema), required=True)


class SubstructureQuerySchema(StrictSchema):
    query = _Text(
        required=True, validate=_Len(min=1, max=2000), metadata={"description": "SMARTS or SMILES"}
    )
    max_hits = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class SubstructureCountSchema(StrictSchema):
    query = _Text(required=True, validate=_Len(min=1, max=2000))


class SubstructureResultSchema(ma.Schema):
    query = _Text(required=True)
    items = ma.fields.List(ma.fields.Nested(HitSchema), required=True)
    complete = ma.fields.Boolean(
        required=True,
        metadata={"description": "False when more hits exist (or may exist: truncated)"},
    )
    truncated = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "True when matching stopped at the deadline "
            "(CRYOPROTECT_SEARCH_DEADLINE_MS); items are the hits found by then"
        },
    )
    truncated_reason = _Text(
        required=True, allow_none=True, metadata={"description": "Why, when truncated"}
    )


class StructureCheckSchema(StrictSchema):
    structure = _Text(
        required=True,
        validate=_Len(min=1, max=200_000),
        metadata={"description": "SMILES, InChI or a MOL/SDF block, as it would be registered"},
    )
    structure_format = _Text(
        load_default=None, validate=ma.validate.OneOf(("smiles", "inchi", "molblock"))
    )
    width = ma.fields.Integer(load_default=300, validate=ma.validate.Range(min=50, max=2000))
    height = ma.fields.Integer(load_default=220, validate=ma.validate.Range(min=50, max=2000))


class ExistingMatchSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = _Text(allow_none=True)
    visibility = _Text(required=True)


class StructureCheckResultSchema(ma.Schema):
    smiles = _Text(
        required=True, metadata={"description": "Canonical isomeric SMILES of the parent"}
    )
    inchi = _Text(required=True)
    inchikey = _Text(required=True)
    formula = _Text(required=True)
    molecular_weight = ma.fields.Float(required=True, metadata={"description": "g/mol"})
    changes = ma.fields.List(
        _Text(), required=True, metadata={"description": "Standardisation steps applied"}
    )
    method = _Text(required=True, metadata={"description": "How the structure was standardised"})
    svg = _Text(required=True, metadata={"description": "RDKit SVG drawing of the parent"})
    existing = ma.fields.List(
        ma.fields.Nested(ExistingMatchSchema),
        required=True,
        metadata={"description": "Visible molecules with the same InChIKey"},
    )


class DescriptorInfoSchema(ma.Schema):
    name = _Text(required=True, metadata={"description": "property_name of stored values"})
    label = _Text(required=True)
    unit = _Text(required=True)
    description = _Text(required=True)
    method = _Text(required=True)


_BUSY_HEADERS = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_TOO_COMPLEX = (
    "Invalid SMARTS/SMILES, or a pattern beyond the caller's cost limits "
    "(code query_too_complex: recursive SMARTS when anonymous, wildcard chains, size)"
)


def _bounded(search: str, run: Callable[[], Any]) -> Any:
    """Run an expensive search, counting refusals and truncations in the metrics."""
    try:
        result = run()
    except QueryTooComplexError as exc:
        if exc.details.get("rule") == "deadline":
            record_search_truncated(search)
        else:
            record_search_refused(search, "query_too_complex")
        raise
    except Busy:
        record_search_refused(search, "busy")
        raise
    if isinstance(result, dict) and result.get("truncated"):
        record_search_truncated(search)
    return result


class JobSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = _Text(required=True)
    status = _Text(required=True)
    result = ma.fields.Raw(allow_none=True)
    error = _Text(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    cancel_requested_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "When a stop was asked for (POST …/cancel)"}
    )


class DepictionArgsSchema(InputSchema):
    highlight = _Text(
        load_default=None,
        validate=_Len(min=1, max=2000),
        metadata={"description": "SMARTS/SMILES whose matches are highlighted"},
    )
    width = ma.fields.Integer(load_default=300, validate=ma.validate.Range(min=50, max=2000))
    height = ma.fields.Integer(load_default=220, validate=ma.validate.Range(min=50, max=2000))


class ImportFormSchema(InputSchema):
    format = _Text(load_default=None, validate=ma.validate.OneOf(FORMATS))
    smiles_column = _Text(load_default=None, validate=_Len(min=1, max=200))
    name_column = _Text(load_default=None, validate=_Len(min=1, max=200))
    visibility = _Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None)


class ImportFileSchema(ma.Schema):
    file = Upload(required=True)


class RejectedRowSchema(ma.Schema):
    row = ma.fields.Integer(required=True)
    input = _Text(required=True)
    reason = _Text(allow_none=True)


class ImportReportSchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    created = ma.fields.Integer(required=True)
    duplicates = ma.fields.Integer(required=True)
    rejected_count = ma.fields.Integer(required=True)
    rejected = ma.fields.List(ma.fields.Nested(RejectedRowSchema), required=True)


class ExportArgsSchema(InputSchema):
    format = _Text(load_default="csv", validate=ma.validate.OneOf(EXPORT_FORMATS))
    q = _Text(load_default=None, validate=_Len(max=300))
    ids = ma.fields.List(ma.fields.UUID(), load_default=None, validate=_Len(max=10_000))


@blp.route("")
class Molecules(MethodView):
    @blp.arguments(MoleculeListArgsSchema, location="query")
    @blp.response(200, MoleculePageSchema)
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self, args: dict[str, Any]) -> Any:
        """Molecules visible to the caller (public ones without signing in), searchable and paginated"""
        ranges = {}
        for short, (prop, _) in RANGE_ARGS.items():
            low, high = args.pop(f"{short}_min", None), args.pop(f"{short}_max", None)
            if low is not None or high is not None:
                ranges[prop] = (low, high)
        page = services().molecules.list(current_actor(), ranges=ranges, **args)
        return page_envelope(page), {"X-Total-Count": str(page.total)}

    @login_required
    @blp.arguments(MoleculeCreateSchema)
    @blp.response(201, MoleculeSchema)
    @blp.alt_response(
        200,
        schema=MoleculeSchema,
        description="Merged into the existing record (on_duplicate=merge)",
    )
    @blp.alt_response(400, description="Invalid structure (RDKit's reason in the message)")
    @blp.alt_response(403, description="No permission to create in that team, or to merge")
    @blp.alt_response(404, description="lookup names no library molecule")
    @blp.alt_response(409, description="Already registered in that scope (existing id in details)")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> Any:
        """Register a molecule: a structure (SMILES, InChI, MOL), a library lookup, or a structure-less component"""
        molecule, created = services().molecules.create(current_actor(), **body)
        return molecule, 201 if created else 200


@blp.route("/<uuid:molecule_id>")
class MoleculeItem(MethodView):
    @blp.response(200, MoleculeDetailSchema)
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self, molecule_id: uuid.UUID) -> Any:
        """One molecule with its properties (method and provenance) and CPA score components"""
        return services().molecules.get(current_actor(), molecule_id)

    @login_required
    @blp.arguments(MoleculeUpdateSchema)
    @blp.response(200, MoleculeSchema)
    @blp.alt_response(403, description="Visible but not editable by the caller")
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.doc(security=BEARER)
    def patch(self, body: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """Edit a molecule's names, synonyms, CID, class or visibility"""
        return services().molecules.update(current_actor(), molecule_id, body)

    @login_required
    @blp.response(204)
    @blp.alt_response(403, description="Visible but not deletable by the caller")
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.doc(security=BEARER)
    def delete(self, molecule_id: uuid.UUID) -> None:
        """Delete a molecule"""
        services().molecules.delete(current_actor(), molecule_id)


@blp.route("/<uuid:molecule_id>/properties")
class MoleculeProperties(MethodView):
    @blp.response(200, PropertySchema(many=True))
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self, molecule_id: uuid.UUID) -> Any:
        """Calculated and measured properties, each with method and provenance"""
        return services().molecules.properties(current_actor(), molecule_id)

    @login_required
    @blp.arguments(PropertyCreateSchema)
    @blp.response(201, PropertySchema)
    @blp.alt_response(403, description="Visible but not editable by the caller")
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.alt_response(409, description="A value with this name and method exists")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """Store a measured (or fitted/estimated) value with its source beside the calculated ones"""
        return services().molecules.add_property(current_actor(), molecule_id, body)


@blp.route("/<uuid:molecule_id>/depiction")
class MoleculeDepiction(MethodView):
    @blp.arguments(DepictionArgsSchema, location="query")
    @blp.response(200, content_type="image/svg+xml", description="RDKit SVG drawing")
    @blp.alt_response(
        400,
        description="Invalid highlight pattern, one beyond the caller's cost limits, or one "
        "whose matching on this molecule ran past the match deadline",
    )
    @blp.alt_response(404, description="No such molecule, or it has no structure")
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self, args: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """The molecule drawn by RDKit as SVG, optionally highlighting a substructure"""
        actor = current_actor()
        svg = _bounded(
            "highlight",
            lambda: services().molecules.depiction(actor, molecule_id, **args),
        )
        return Response(
            svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"}
        )


@blp.route("/<uuid:molecule_id>/similar")
class MoleculeSimilar(MethodView):
    @blp.arguments(SimilarArgsSchema, location="query")
    @blp.response(200, SimilarityResultSchema)
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self, args: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """Most similar visible molecules to this one"""
        return services().molecules.similar(current_actor(), molecule_id=molecule_id, **args)


@blp.route("/search/similarity")
class SimilaritySearch(MethodView):
    @blp.arguments(SimilarityQuerySchema)
    @blp.response(200, SimilarityResultSchema)
    @blp.alt_response(400, description="Invalid structure")
    @blp.doc(security=OPTIONAL_BEARER)
    def post(self, body: dict[str, Any]) -> Any:
        """Top-k Tanimoto similarity search (Morgan radius 2, 2048 bits) over visible molecules"""
        return services().molecules.similar(current_actor(), **body)


@blp.route("/search/substructure")
class SubstructureSearch(MethodView):
    @blp.arguments(SubstructureQuerySchema)
    @blp.response(200, SubstructureResultSchema)
    @blp.alt_response(400, description=_TOO_COMPLEX)
    @blp.alt_response(
        429,
        description="Every substructure scan slot of this server process is busy "
        "(CRYOPROTECT_SEARCH_CONCURRENCY), or a rate limit; retry after Retry-After seconds",
        headers=_BUSY_HEADERS,
    )
    @blp.doc(security=OPTIONAL_BEARER)
    def post(self, body: dict[str, Any]) -> Any:
        """First page of visible molecules containing a SMARTS/SMILES pattern (stops at a deadline)"""
        actor = current_actor()
        return _bounded(
            "substructure",
            lambda: services().molecules.substructure(
                actor, body["query"], max_hits=body["max_hits"]
            ),
        )


@blp.route("/search/substructure/count")
class SubstructureCount(MethodView):
    @login_required
    @blp.arguments(SubstructureCountSchema)
    @blp.response(202, JobSchema)
    @blp.alt_response(400, description=_TOO_COMPLEX)
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> Any:
        """Start a full count of matches in the background; poll /api/v1/jobs/{id}"""
        svc = services()
        return svc.molecules.start_substructure_count(
            current_actor(),
            body["query"],
            svc.jobs,
            guard=lambda run: _bounded("substructure_count", run),
        )


@blp.route("/validate")
class StructureCheck(MethodView):
    @blp.arguments(StructureCheckSchema)
    @blp.response(200, StructureCheckResultSchema)
    @blp.alt_response(400, description="Invalid structure (RDKit's reason in the message)")
    @blp.doc(security=OPTIONAL_BEARER)
    def post(self, body: dict[str, Any]) -> Any:
        """Check a structure without saving it: the standardised parent, its identifiers and drawing"""
        return services().molecules.check_structure(
            current_actor(),
            body["structure"],
            body["structure_format"],
            width=body["width"],
            height=body["height"],
        )


@blp.route("/descriptors")
class DescriptorCatalogue(MethodView):
    @blp.response(200, DescriptorInfoSchema(many=True))
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self) -> Any:
        """The computed descriptors: label, unit, meaning and method of each stored property"""
        from cryoprotect.science.descriptors import DESCRIPTORS

        return [
            {
                "name": d.name,
                "label": d.label,
                "unit": d.unit,
                "description": d.description,
                "method": d.method,
            }
            for d in DESCRIPTORS
        ]


@blp.route("/import")
class MoleculeImport(MethodView):
    @login_required
    @blp.arguments(ImportFormSchema, location="form")
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(
        202,
        schema=JobSchema,
        description="More rows than CRYOPROTECT_IMPORT_SYNC_ROWS: imported by a background "
        "job; poll /api/v1/jobs/{id}, whose result is the report",
    )
    @blp.alt_response(403, description="No permission to create in that team")
    @blp.doc(security=BEARER)
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> Any:
        """Import SMILES, CSV or SDF: good rows land, rejected rows are reported by row; duplicates are skipped"""
        actor = current_actor()
        actor.require_user()
        upload = files["file"]
        molecules = services().molecules
        records = list(
            molecules.read_import(
                upload.read(),
                upload.filename,
                form.get("format"),
                smiles_column=form.get("smiles_column"),
                name_column=form.get("name_column"),
            )
        )

        def work(cancel: Any = None) -> dict[str, Any]:
            # A job's cancel token (when the job service passes one) is checked per batch.
            report = molecules.import_records(
                actor,
                records,
                visibility=form["visibility"],
                team_id=form.get("team_id"),
                cancel=cancel,
            )
            return ImportReportSchema().dump(report.as_dict())  # type: ignore[no-any-return]

        return run_sized("molecule_import", len(records), work, JobSchema())


@blp.route("/export")
class MoleculeExport(MethodView):
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, content_type="text/csv", description="CSV, SDF or JSON")
    @blp.alt_response(
        400, description="More than 10,000 molecules would be exported (limit_exceeded)"
    )
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self, args: dict[str, Any]) -> Any:
        """Export visible molecules (all, by ids, or matching text; at most 10,000) as CSV, SDF or JSON"""
        from cryoprotect.services.molecule_io import export_molecules

        content, mimetype = export_molecules(
            services().db, current_actor(), args["format"], ids=args.get("ids"), q=args.get("q")
        )
        ext = {"text/csv": "csv", "application/json": "json"}.get(mimetype, "sdf")
        return Response(
            content,
            mimetype=mimetype,
            headers={"Content-Disposition": f'attachment; filename="molecules.{ext}"'},
        )


@jobs_blp.route("/<uuid:job_id>")
class JobItem(MethodView):
    @login_required
    @jobs_blp.response(200, JobSchema)
    @jobs_blp.alt_response(404, description="No such job of yours")
    @jobs_blp.doc(security=BEARER)
    def get(self, job_id: uuid.UUID) -> Any:
        """Status and result of a background job"""
        return services().jobs.get(current_actor(), job_id)


@jobs_blp.route("/<uuid:job_id>/cancel")
class JobCancel(MethodView):
    @login_required
    @jobs_blp.response(202, JobSchema)
    @jobs_blp.alt_response(404, description="No such job of yours (administrators: no such job)")
    @jobs_blp.alt_response(409, description="The job has already ended")
    @jobs_blp.doc(security=BEARER)
    def post(self, job_id: uuid.UUID) -> Any:
        """Stop a queued or running job (its owner or an administrator); poll it until it ends 'cancelled'"""
        return services().jobs.cancel(current_actor(), job_id)
