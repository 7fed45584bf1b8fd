"""Helpers shared by the API blueprints: the current actor, services, pagination."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
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


def _unstorable(value: Any) -> bool:
    """True when ``value`` holds text PostgreSQL cannot store: a NUL character (rejected in
    every text column) or a lone surrogate (not encodable as UTF-8), at any depth."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, Mapping):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_unstorable(v) for v in value)
    return False


class InputSchema(ma.Schema):
    """Base of every request schema: text that cannot be stored is a 422 naming the field,
    never a database error (PostgreSQL rejects NUL characters in text)."""

    @ma.pre_load
    def _reject_unstorable_text(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            bad = sorted(
                str(key) for key, value in data.items() if _unstorable(key) or _unstorable(value)
            )
            if bad:
                raise ma.ValidationError(
                    {
                        key.encode("utf-8", "backslashreplace").decode(): [
                            "NUL characters and unpaired surrogates are not allowed."
                        ]
                        for key in bad
                    }
                )
        elif _unstorable(data):
            raise ma.ValidationError("NUL characters and unpaired surrogates are not allowed.")
        return data


class StrictSchema(InputSchema):
    """Request bodies reject unknown fields (a typo must not be silently ignored)."""

    class Meta:
        unknown = ma.RAISE


class PageArgsSchema(InputSchema):
    class Meta:
        unknown = ma.EXCLUDE

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(
        load_default=25, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE)
    )


def page_envelope(page: Page[Any]) -> dict[str, Any]:
    return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


def paged_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """An envelope schema ``{items, total, page, per_page}`` for ``item``."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "total": ma.fields.Integer(required=True),
            "page": ma.fields.Integer(required=True),
            "per_page": ma.fields.Integer(required=True),
        },
    )


BEARER = [{"bearerAuth": []}]
OPTIONAL_BEARER = [{}, {"bearerAuth": []}]


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Authenticate before anything else (as the outermost decorator of a view method).

    flask-smorest parses and validates the body in the decorators below this one; an
    anonymous caller must get 401, not a validation error about a body it may not send.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_actor().require_user()
        return view(*args, **kwargs)

    return wrapper


class SourceSchema(InputSchema):
    """A literature or provenance reference attached to a record."""

    class Meta:
        unknown = ma.RAISE

    citation = ma.fields.String(validate=ma.validate.Length(max=1000))
    doi = ma.fields.String(validate=ma.validate.Length(max=200))
    url = ma.fields.String(validate=ma.validate.Length(max=1000))
    note = ma.fields.String(validate=ma.validate.Length(max=2000))
