"""``.eln`` archives (RO-Crate, the format Chemotion, eLabFTW and other ELNs exchange):
export selected experiments, mixtures and protocols with what they cite; import an archive
into the caller's chosen scope, all records or none."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from cryoprotect.api.common import (
    InputSchema,
    StrictSchema,
    current_actor,
    services,
    signed_in,
)
from cryoprotect.api.fields import new_team_id, new_visibility
from cryoprotect.api.files import attachment, imports
from cryoprotect.services.eln import MEDIA_TYPE, ElnService

blp = Blueprint(
    "eln",
    __name__,
    url_prefix="/api/v1/eln",
    description=".eln (RO-Crate) export and import of experiments, mixtures and protocols",
)


def _service() -> ElnService:
    return ElnService(services())


def _ids() -> ma.fields.List[Any]:
    return ma.fields.List(ma.fields.UUID(), load_default=list, validate=ma.validate.Length(max=200))


class ElnExportSchema(StrictSchema):
    experiments = _ids()
    mixtures = _ids()
    protocols = _ids()


class ElnImportFormSchema(InputSchema):
    visibility = new_visibility()
    team_id = new_team_id()


class ElnImportFileSchema(ma.Schema):
    file = Upload(
        required=True, metadata={"description": "An .eln archive exported by CryoProtect"}
    )


class ElnImportedRecordSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    ref = ma.fields.String(
        required=True, metadata={"description": "The record's @id in the archive"}
    )
    name = ma.fields.String(required=True)
    id = ma.fields.UUID(required=True, metadata={"description": "The record here"})
    created = ma.fields.Boolean(
        required=True, metadata={"description": "False: an existing molecule or cell type re-used"}
    )


class ElnImportReportSchema(ma.Schema):
    records = ma.fields.List(ma.fields.Nested(ElnImportedRecordSchema), required=True)
    warnings = ma.fields.List(ma.fields.String(), required=True)


@blp.route("/export")
class ElnExport(MethodView):
    @signed_in(blp)
    @blp.arguments(ElnExportSchema)
    @blp.response(200, content_type=MEDIA_TYPE, description="The .eln archive")
    @blp.alt_response(404, description="A selected record is not visible to the caller")
    @blp.alt_response(422, description="Nothing selected, or more than 200 records")
    def post(self, body: dict[str, Any]) -> Any:
        """Export experiments, mixtures and protocols (with what they cite) as an .eln archive"""
        name, blob = _service().export(current_actor(), **body)
        return attachment(blob, MEDIA_TYPE, name)


@blp.route("/import")
class ElnImport(MethodView):
    @imports(
        blp,
        ElnImportFormSchema,
        ElnImportFileSchema,
        ElnImportReportSchema,
        {
            404: "A shipped cell type the archive cites is not here",
            422: "Unsafe, oversized or unreadable archive, or a record that fails the "
            "checks a user's input gets (details.record names it); nothing is written",
        },
    )
    def post(self, form: dict[str, Any], files: dict[str, Any]) -> Any:
        """Import an .eln archive exported by CryoProtect into the chosen scope, all or nothing"""
        return _service().import_archive(current_actor(), files["file"].read(), **form)
