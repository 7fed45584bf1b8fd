"""The molecule library's resources: register, read, edit, delete; search; drawings;
import and export; background jobs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.background import imports, run_sized
from cryoprotect.api.common import (
    OPTIONAL_BEARER,
    answers,
    answers_signed_in,
    current_actor,
    deletes,
    lists,
    services,
    shows,
    signed_in,
)
from cryoprotect.api.files import attachment
from cryoprotect.api.molecules.schemas import (
    RANGE_ARGS,
    DepictionArgsSchema,
    DescriptorInfoSchema,
    ExportArgsSchema,
    ImportFileSchema,
    ImportFormSchema,
    ImportReportSchema,
    JobSchema,
    MoleculeCreateSchema,
    MoleculeDetailSchema,
    MoleculeListArgsSchema,
    MoleculePageSchema,
    MoleculeSchema,
    MoleculeUpdateSchema,
    PropertyCreateSchema,
    PropertySchema,
    SimilarArgsSchema,
    SimilarityQuerySchema,
    SimilarityResultSchema,
    StructureCheckResultSchema,
    StructureCheckSchema,
    SubstructureCountSchema,
    SubstructureQuerySchema,
    SubstructureResultSchema,
)
from cryoprotect.errors import Busy, QueryTooComplexError
from cryoprotect.ops.metrics import record_search_refused, record_search_truncated

blp = Blueprint(
    "molecules", __name__, url_prefix="/api/v1/molecules", description="Molecule library"
)
jobs_blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Background jobs")

_BUSY_HEADERS = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_NOT_VISIBLE = "No such molecule visible to the caller"
_NOT_EDITABLE = "Visible but not editable by the caller"
_INVALID_STRUCTURE = "Invalid structure (RDKit's reason in the message)"
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
    if getattr(result, "truncated", False):
        record_search_truncated(search)
    return result


@blp.route("")
class Molecules(MethodView):
    @lists(blp, MoleculeListArgsSchema, MoleculePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Molecules visible to the caller (public ones without signing in), searchable and paginated"""
        ranges = {}
        for short, (prop, _) in RANGE_ARGS.items():
            low, high = args.pop(f"{short}_min", None), args.pop(f"{short}_max", None)
            if low is not None or high is not None:
                ranges[prop] = (low, high)
        page = services().molecules.list(current_actor(), ranges=ranges, **args)
        return page

    @signed_in(blp)
    @blp.arguments(MoleculeCreateSchema)
    @blp.response(201, MoleculeSchema)
    @blp.alt_response(
        200,
        schema=MoleculeSchema,
        description="Merged into the existing record (on_duplicate=merge)",
    )
    @blp.alt_response(400, description=_INVALID_STRUCTURE)
    @blp.alt_response(403, description="No permission to create in that team, or to merge")
    @blp.alt_response(404, description="lookup names no library molecule")
    @blp.alt_response(409, description="Already registered in that scope (existing id in details)")
    def post(self, body: dict[str, Any]) -> Any:
        """Register a molecule: a structure (SMILES, InChI, MOL), a library lookup, or a structure-less component"""
        molecule, created = services().molecules.create(current_actor(), **body)
        return molecule, 201 if created else 200


@blp.route("/<uuid:molecule_id>")
class MoleculeItem(MethodView):
    @shows(blp, MoleculeDetailSchema, "molecule")
    def get(self, molecule_id: uuid.UUID) -> Any:
        """One molecule with its properties (method and provenance) and CPA score components"""
        return services().molecules.get(current_actor(), molecule_id)

    @answers_signed_in(
        blp,
        MoleculeSchema,
        body=MoleculeUpdateSchema,
        errors={403: _NOT_EDITABLE, 404: _NOT_VISIBLE},
    )
    def patch(self, body: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """Edit a molecule's names, synonyms, CID, class or visibility"""
        return services().molecules.update(current_actor(), molecule_id, body)

    @deletes(blp, "molecule")
    def delete(self, molecule_id: uuid.UUID) -> None:
        """Delete a molecule"""
        services().molecules.delete(current_actor(), molecule_id)


@blp.route("/<uuid:molecule_id>/properties")
class MoleculeProperties(MethodView):
    @answers(blp, PropertySchema(many=True), errors={404: _NOT_VISIBLE})
    def get(self, molecule_id: uuid.UUID) -> Any:
        """Calculated and measured properties, each with method and provenance"""
        return services().molecules.properties(current_actor(), molecule_id)

    @answers_signed_in(
        blp,
        PropertySchema,
        body=PropertyCreateSchema,
        status=201,
        errors={
            403: _NOT_EDITABLE,
            404: _NOT_VISIBLE,
            409: "A value with this name and method exists",
        },
    )
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
    @answers(
        blp,
        SimilarityResultSchema,
        args=SimilarArgsSchema,
        location="query",
        errors={404: _NOT_VISIBLE},
    )
    def get(self, args: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """Most similar visible molecules to this one"""
        return services().molecules.similar(current_actor(), molecule_id=molecule_id, **args)


@blp.route("/search/similarity")
class SimilaritySearch(MethodView):
    @answers(
        blp, SimilarityResultSchema, args=SimilarityQuerySchema, errors={400: "Invalid structure"}
    )
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
    @answers_signed_in(
        blp, JobSchema, body=SubstructureCountSchema, status=202, errors={400: _TOO_COMPLEX}
    )
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
    @answers(
        blp, StructureCheckResultSchema, args=StructureCheckSchema, errors={400: _INVALID_STRUCTURE}
    )
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
    @answers(blp, DescriptorInfoSchema(many=True))
    def get(self) -> Any:
        """The computed descriptors: label, unit, meaning and method of each stored property"""
        from cryoprotect.science.descriptors import DESCRIPTORS

        return list(DESCRIPTORS)  # a tuple would read as (body, status)


@blp.route("/import")
class MoleculeImport(MethodView):
    @imports(blp, ImportFormSchema, ImportFileSchema, ImportReportSchema, JobSchema)
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
            return ImportReportSchema().dump(report)  # type: ignore[no-any-return]

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
        return attachment(content, mimetype, f"molecules.{ext}")


@jobs_blp.route("/<uuid:job_id>")
class JobItem(MethodView):
    @answers_signed_in(jobs_blp, JobSchema, errors={404: "No such job of yours"})
    def get(self, job_id: uuid.UUID) -> Any:
        """Status and result of a background job"""
        return services().jobs.get(current_actor(), job_id)


@jobs_blp.route("/<uuid:job_id>/cancel")
class JobCancel(MethodView):
    @answers_signed_in(
        jobs_blp,
        JobSchema,
        status=202,
        errors={
            404: "No such job of yours (administrators: no such job)",
            409: "The job has already ended",
        },
    )
    def post(self, job_id: uuid.UUID) -> Any:
        """Stop a queued or running job (its owner or an administrator); poll it until it ends 'cancelled'"""
        return services().jobs.cancel(current_actor(), job_id)
