"""Read-only share links: make, list and revoke them (signed in), and read what one shows
(anyone holding the token, no account; rate-limited per address like every endpoint).

``POST /share-links`` answers the token once, with the link's API and web addresses; only
its hash is stored. ``GET /shared/{token}`` answers 404 for an unknown token and 410 for a
revoked or expired one.
"""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    OPTIONAL_BEARER,
    PageArgsSchema,
    StrictSchema,
    answers_signed_in,
    current_actor,
    paged_schema,
    paginated,
    services,
    signed_in,
)
from cryoprotect.api.errors import error_response
from cryoprotect.api.fields import record_schema
from cryoprotect.db.models import SHARE_MAX_DAYS, SHARE_RESOURCE_TYPES
from cryoprotect.services.share_links import (
    DEFAULT_DAYS,
    LinkGone,
    SharedRecord,
    ShareLinkRecord,
)

blp = Blueprint(
    "share-links",
    __name__,
    url_prefix="/api/v1/share-links",
    description="Read-only share links to one mixture, protocol or experiment",
)
shared_blp = Blueprint(
    "shared",
    __name__,
    url_prefix="/api/v1/shared",
    description="What a share link shows, for anyone holding its token",
)


class ShareLinkCreateSchema(StrictSchema):
    resource = ma.fields.String(required=True, validate=ma.validate.OneOf(SHARE_RESOURCE_TYPES))
    id = ma.fields.UUID(required=True, metadata={"description": "The record to share"})
    expires_in_days = ma.fields.Integer(
        load_default=DEFAULT_DAYS, validate=ma.validate.Range(min=1, max=SHARE_MAX_DAYS)
    )


ShareLinkSchema = record_schema(
    ShareLinkRecord, "ShareLinkSchema", status="active, expired, revoked"
)


class NewShareLinkSchema(ma.Schema):
    link = ma.fields.Nested(ShareLinkSchema, required=True)
    token = ma.fields.String(
        required=True, metadata={"description": "Shown once; only its hash is stored"}
    )
    url = ma.fields.String(required=True, metadata={"description": "The read-only web page"})
    api_url = ma.fields.String(required=True, metadata={"description": "The record as JSON"})


ShareLinkPageSchema = paged_schema(ShareLinkSchema, "ShareLinkPageSchema")


class ShareLinkArgsSchema(PageArgsSchema):
    resource = ma.fields.String(validate=ma.validate.OneOf(SHARE_RESOURCE_TYPES))
    resource_id = ma.fields.UUID()


SharedRecordSchema = record_schema(
    SharedRecord,
    "SharedRecordSchema",
    record="The record's own fields (no owner, team or other records)",
)


@blp.route("")
class ShareLinks(MethodView):
    @answers_signed_in(
        blp,
        NewShareLinkSchema,
        body=ShareLinkCreateSchema,
        status=201,
        errors={
            403: "Visible, but only its owner or an admin of its team may share it",
            404: "No such record visible to the caller",
        },
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Make a read-only link to one record, valid for 1 to 90 days; the token is shown once"""
        made = services().share_links.create(
            current_actor(),
            resource=body["resource"],
            resource_id=body["id"],
            expires_in_days=body["expires_in_days"],
        )
        return {
            "link": made.link,
            "token": made.token,
            "url": url_for("web.shared_page", item_id=made.token, _external=True),
            "api_url": url_for("shared.SharedRecordView", token=made.token, _external=True),
        }

    @signed_in(blp)
    @blp.arguments(ShareLinkArgsSchema, location="query")
    @paginated(blp, ShareLinkPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The share links the caller made or administers, newest first"""
        return services().share_links.list(current_actor(), **args)


@blp.route("/<uuid:link_id>")
class ShareLinkItem(MethodView):
    @answers_signed_in(blp, ShareLinkSchema, errors={404: "No such share link visible"})
    def delete(self, link_id: uuid.UUID) -> Any:
        """Revoke a share link now (it then answers 410); revoking twice changes nothing"""
        return services().share_links.revoke(current_actor(), link_id)


@shared_blp.route("/<string:token>")
class SharedRecordView(MethodView):
    @shared_blp.doc(security=OPTIONAL_BEARER)
    @shared_blp.response(200, SharedRecordSchema)
    @shared_blp.alt_response(404, description="No such link, or the record is gone")
    @shared_blp.alt_response(410, description="The link was revoked or has expired")
    def get(self, token: str) -> Any:
        """The one record a share link shows (no account needed)"""
        try:
            return services().share_links.resolve(token)
        except LinkGone as gone:
            return error_response(410, str(gone), code="gone", details=gone.details)
