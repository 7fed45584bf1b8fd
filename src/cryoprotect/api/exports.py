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
from cryoprotect.api.files import attachment
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
    return attachment(
        file.content, file.media_type, file.filename, cache_control="private, no-store"
    )


def _exports() -> ExportService:
    return ExportService(services())


def _record_download(
    resource: str, noun: str, formats: tuple[str, ...], doc: str
) -> type[MethodView]:
    """GET ``/<resource>/<id>/export``: one ``noun`` as the show endpoint sees it, written by
    :class:`ExportService`'s method of that name in one of ``formats`` (docstring ``doc``)."""
    args = ReportExportArgsSchema if formats == REPORT_FORMATS else TableExportArgsSchema

    def get(_: MethodView, args: dict[str, Any], **key: uuid.UUID) -> Any:
        export = getattr(_exports(), noun)
        return _send(export(current_actor(), *key.values(), args["format"]))

    get.__doc__ = doc
    errors = {404: f"No such {noun} visible to the caller"}
    name = f"{noun.capitalize()}Export"
    view = type(name, (MethodView,), {"get": _downloads(args, formats, errors)(get)})
    routed: type[MethodView] = blp.route(f"/{resource}/<uuid:{noun}_id>/export")(view)
    return routed


ExperimentExport = _record_download(
    "experiments",
    "experiment",
    REPORT_FORMATS,
    "Download an experiment: results (CSV), a workbook (results, fields, metadata) or a one-page PDF report",
)
MixtureExport = _record_download(
    "mixtures",
    "mixture",
    TABLE_FORMATS,
    "Download a mixture: components (CSV), or a workbook with its composition in every unit and its properties",
)
ProtocolExport = _record_download(
    "protocols",
    "protocol",
    REPORT_FORMATS,
    "Download a saved protocol: steps (CSV), a workbook (steps, summary, time course) or a one-page PDF report",
)


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
