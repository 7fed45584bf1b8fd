"""Downloads (issue 18): experiments, mixtures, protocols, cocktail designs, stored
predictions and molecule lists as CSV or Excel, and one-page PDF reports.

Each reads through the resource's own service as the caller, so a record the show or list
endpoint would not answer is a 404 here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    InputSchema,
    View,
    alt_responses,
    answers,
    current_actor,
    services,
    signed_in,
)
from cryoprotect.api.molecules.schemas import RANGE_ARGS, MoleculeListArgsSchema
from cryoprotect.services.exports import REPORT_FORMATS, TABLE_FORMATS, ExportFile, ExportService
from cryoprotect.services.exports.reports import PDF_MEDIA_TYPE
from cryoprotect.services.exports.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/api/v1",
    description="Downloads: CSV, Excel workbooks and one-page PDF reports",
)

_MEDIA = {"csv": CSV_MEDIA_TYPE, "xlsx": XLSX_MEDIA_TYPE, "pdf": PDF_MEDIA_TYPE}
_FORMAT_HELP = {
    "csv": "csv: the main table (UTF-8 with BOM, text that could run as a formula escaped)",
    "xlsx": "xlsx: every table a sheet, typed cells, units in headers, a Metadata sheet",
    "pdf": "pdf: a one-page report with a chart",
}


def _format_field(formats: tuple[str, ...]) -> ma.fields.String:
    return ma.fields.String(
        load_default="csv",
        validate=ma.validate.OneOf(formats),
        metadata={"description": "; ".join(_FORMAT_HELP[f] for f in formats)},
    )


class ReportExportArgsSchema(InputSchema):
    class Meta:
        unknown = ma.EXCLUDE

    format = _format_field(REPORT_FORMATS)


class TableExportArgsSchema(InputSchema):
    class Meta:
        unknown = ma.EXCLUDE

    format = _format_field(TABLE_FORMATS)


MoleculeListExportArgsSchema = type(
    "MoleculeListExportArgsSchema",
    (MoleculeListArgsSchema,),
    {
        "Meta": type("Meta", (), {"unknown": ma.EXCLUDE, "exclude": ("page", "per_page")}),
        "format": _format_field(TABLE_FORMATS),
    },
)


def _downloads(
    args: type[ma.Schema], formats: tuple[str, ...], errors: dict[int, str], *, signed: bool = False
) -> Callable[[View], View]:
    """A download: query ``args`` (with ``format``), a 200 in each of ``formats``' media
    types with a Content-Disposition file name, and the documented ``errors``."""
    content = {_MEDIA[f]: {"schema": {"type": "string", "format": "binary"}} for f in formats}
    headers = {
        "Content-Disposition": {
            "description": 'attachment; filename="<resource>-<title>-<date>.<format>"',
            "schema": {"type": "string"},
        }
    }
    ok = {"200": {"description": "The file", "content": content, "headers": headers}}

    def decorate(view: View) -> View:
        if not signed:
            answered: View = answers(blp, None, args=args, location="query", errors=errors)(view)
            return blp.doc(responses=ok)(answered)  # type: ignore[no-any-return]
        answered = blp.response(200, None)(alt_responses(blp, view, errors))
        parsed = blp.arguments(args, location="query")(answered)
        return signed_in(blp)(blp.doc(responses=ok)(parsed))

    return decorate


def _send(file: ExportFile) -> Response:
    media = (
        f"{file.media_type}; charset=utf-8"
        if file.media_type == CSV_MEDIA_TYPE
        else file.media_type
    )
    return Response(
        file.content,
        content_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _exports() -> ExportService:
    return ExportService(services())


def _not_visible(noun: str) -> dict[int, str]:
    return {404: f"No such {noun} visible to the caller"}


@blp.route("/experiments/<uuid:experiment_id>/export")
class ExperimentExport(MethodView):
    @_downloads(ReportExportArgsSchema, REPORT_FORMATS, _not_visible("experiment"))
    def get(self, args: dict[str, Any], experiment_id: uuid.UUID) -> Any:
        """Download an experiment: results (CSV), a workbook (results, fields, metadata) or a one-page PDF report"""
        return _send(_exports().experiment(current_actor(), experiment_id, args["format"]))


@blp.route("/mixtures/<uuid:mixture_id>/export")
class MixtureExport(MethodView):
    @_downloads(TableExportArgsSchema, TABLE_FORMATS, _not_visible("mixture"))
    def get(self, args: dict[str, Any], mixture_id: uuid.UUID) -> Any:
        """Download a mixture: components (CSV), or a workbook with its composition in every unit and its properties"""
        return _send(_exports().mixture(current_actor(), mixture_id, args["format"]))


@blp.route("/protocols/<uuid:protocol_id>/export")
class ProtocolExport(MethodView):
    @_downloads(ReportExportArgsSchema, REPORT_FORMATS, _not_visible("protocol"))
    def get(self, args: dict[str, Any], protocol_id: uuid.UUID) -> Any:
        """Download a saved protocol: steps (CSV), a workbook (steps, summary, time course) or a one-page PDF report"""
        return _send(_exports().protocol(current_actor(), protocol_id, args["format"]))


@blp.route("/cocktails/designs/<uuid:job_id>/export")
class CocktailExport(MethodView):
    @_downloads(
        ReportExportArgsSchema,
        REPORT_FORMATS,
        {
            404: "No such cocktail design job of yours",
            409: "The design has not finished (or failed)",
        },
        signed=True,
    )
    def get(self, args: dict[str, Any], job_id: uuid.UUID) -> Any:
        """Download a finished cocktail design (a design job's result): Pareto front, steps, a one-page PDF report"""
        return _send(_exports().cocktail(current_actor(), job_id, args["format"]))


@blp.route("/molecules/list-export")
class MoleculeListExport(MethodView):
    @_downloads(
        MoleculeListExportArgsSchema,
        TABLE_FORMATS,
        {400: "More than 10,000 molecules match (limit_exceeded): narrow the filters"},
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Download the molecule list as the list's filters select it (every page), as CSV or Excel"""
        fmt = args.pop("format")
        bounds = {
            prop: (args.pop(f"{k}_min", None), args.pop(f"{k}_max", None))
            for k, (prop, _) in RANGE_ARGS.items()
        }
        ranges = {prop: pair for prop, pair in bounds.items() if pair != (None, None)}
        return _send(_exports().molecules(current_actor(), fmt, ranges=ranges, **args))


@blp.route("/predictions/export")
class PredictionExport(MethodView):
    @_downloads(
        TableExportArgsSchema,
        TABLE_FORMATS,
        {400: "More than 10,000 stored predictions are visible (limit_exceeded)"},
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Download the stored predictions visible to the caller, with each model's name and version"""
        return _send(_exports().predictions(current_actor(), args["format"]))
