"""Helpers shared by the API blueprints: the current actor, services, pagination."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, g, request

from cryoprotect.services.actor import Actor
from cryoprotect.services.common import MAX_PER_PAGE, Page


def services() -> Any:
    """The :class:`cryoprotect.app.Services` bundle of this app."""
    return current_app.extensions["cryoprotect"]


def current_actor() -> Actor:
    """The caller, authenticated once per request from the ``Authorization`` header."""
    if "actor" not in g:
        g.actor = services().auth.authenticate(request.headers.get("Authorization"))
    actor: Actor = g.actor
    return actor


class StrictSchema(ma.Schema):
    """Request bodies reject unknown fields (a typo must not be silently ignored)."""

    class Meta:
        unknown = ma.RAISE


class PageArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=25, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def page_envelope(page: Page[Any]) -> dict[str, Any]:
    return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


def paged_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """An envelope schema ``{items, total, page, per_page}`` for ``item``."""
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item), required=True),
        "total": ma.fields.Integer(required=True),
        "page": ma.fields.Integer(required=True),
        "per_page": ma.fields.Integer(required=True),
    })


BEARER = [{"bearerAuth": []}]
OPTIONAL_BEARER = [{}, {"bearerAuth": []}]
