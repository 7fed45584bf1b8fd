"""Helpers shared by the API blueprints: the current actor, services, pagination."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import marshmallow as ma
from flask import current_app, g, request
from flask_smorest import Blueprint

from cryoprotect.api.fields import new_team_id, new_visibility
from cryoprotect.services.actor import Actor
from cryoprotect.services.bundle import Services
from cryoprotect.services.common import MAX_PER_PAGE, Page


def services() -> Services:
    """The :class:`cryoprotect.services.bundle.Services` bundle of this app."""
    bundle: Services = current_app.extensions["cryoprotect"]
    return bundle


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


_SchemaClass = TypeVar("_SchemaClass", bound=type[ma.Schema])


def owned(schema: _SchemaClass) -> _SchemaClass:
    """``schema`` (same name) followed by the five fields of a user-owned row, as
    :class:`cryoprotect.services.owned.OwnedRecord` holds them: ``visibility``, ``team_id``,
    ``created_by``, ``created_at`` and ``updated_at``, after the schema's own fields.

    A class decorator rather than a base class: inherited fields would come first, and the
    order of the fields is the order of the document's ``required`` lists.
    """
    return _followed_by(
        schema,
        visibility=ma.fields.String(required=True),
        team_id=ma.fields.UUID(allow_none=True),
        created_by=ma.fields.UUID(required=True),
        created_at=ma.fields.DateTime(required=True),
        updated_at=ma.fields.DateTime(required=True),
    )


def scoped(schema: _SchemaClass) -> _SchemaClass:
    """``schema`` (same name) followed by the scope of the row a request creates, as
    :class:`cryoprotect.services.owned.Scope` takes it: ``visibility`` (private unless asked)
    and ``team_id`` (none unless asked), after the schema's own fields (see :func:`owned`)."""
    return _followed_by(schema, visibility=new_visibility(), team_id=new_team_id())


def _followed_by(schema: _SchemaClass, **fields: ma.fields.Field[Any]) -> _SchemaClass:
    """A subclass of ``schema`` with its name and documentation, declaring ``fields`` after
    the schema's own."""
    namespace = {k: getattr(schema, k) for k in ("__doc__", "__module__", "__qualname__")}
    return cast(_SchemaClass, type(schema.__name__, (schema,), {**namespace, **fields}))


BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
OPTIONAL_BEARER: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
#: The 401 every operation that reads a bearer token documents (``api.errors`` adds it too).
UNAUTHORIZED = "Missing, invalid or expired credentials"

View = Callable[..., Any]


def login_required(view: View) -> View:
    """Authenticate before anything else (as the outermost decorator of a view method).

    flask-smorest parses and validates the body in the decorators below this one; an
    anonymous caller must get 401, not a validation error about a body it may not send.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_actor().require_user()
        return view(*args, **kwargs)

    return wrapper


def _documents(view: View, status: int) -> bool:
    """True when ``view`` already documents a response with ``status``."""
    responses = getattr(view, "_apidoc", {}).get("response", {}).get("responses", {})
    return status in responses or str(status) in responses


def signed_in(blp: Blueprint) -> Callable[[View], View]:
    """A view for signed-in callers only: authenticate first (see :func:`login_required`),
    and document the bearer security and the 401.

    Use it as the outermost decorator of the view method; a 401 the view documents itself
    (e.g. "Not signed in") is kept.
    """

    def decorate(view: View) -> View:
        documented = blp.doc(security=BEARER)(view)
        if not _documents(documented, 401):
            documented = blp.alt_response(401, description=UNAUTHORIZED)(documented)
        return login_required(documented)

    return decorate


#: Documented error responses of an operation: status → description, in the order they
#: would be written as stacked ``@blp.alt_response`` decorators.
Errors = Mapping[int, str]


def alt_responses(blp: Blueprint, view: View, errors: Errors | None) -> View:
    """``view`` documenting each response of ``errors``."""
    for status, description in reversed(list((errors or {}).items())):
        view = blp.alt_response(status, description=description)(view)
    return view


def public(
    blp: Blueprint,
    body: type[ma.Schema],
    schema: Any,
    *,
    status: int = 200,
    errors: Errors | None = None,
) -> Callable[[View], View]:
    """An operation that takes no credentials at all (sign-up, sign-in, token refresh; no
    security documented): the JSON ``body`` parsed, ``schema`` answered with ``status``, and
    the documented ``errors``."""

    def decorate(view: View) -> View:
        answered = blp.response(status, schema)(alt_responses(blp, view, errors))
        parsed: View = blp.arguments(body)(answered)
        return parsed

    return decorate


def answers(
    blp: Blueprint,
    schema: Any,
    *,
    args: type[ma.Schema] | None = None,
    location: str = "json",
    errors: Errors | None = None,
) -> Callable[[View], View]:
    """An operation open to anonymous callers (optional bearer security): ``args`` parsed
    from ``location`` when given, ``schema`` answered (200), and the documented ``errors``.
    Extra responses go below it."""

    def decorate(view: View) -> View:
        documented = alt_responses(blp, blp.doc(security=OPTIONAL_BEARER)(view), errors)
        answered: View = blp.response(200, schema)(documented)
        return answered if args is None else blp.arguments(args, location=location)(answered)

    return decorate


def answers_signed_in(
    blp: Blueprint,
    schema: Any,
    *,
    body: type[ma.Schema] | None = None,
    status: int = 200,
    errors: Errors | None = None,
) -> Callable[[View], View]:
    """An operation for signed-in callers (see :func:`signed_in`): the JSON ``body`` parsed
    when given, ``schema`` answered with ``status``, and the documented ``errors``. Extra
    responses go below it."""

    def decorate(view: View) -> View:
        answered = blp.response(status, schema)(alt_responses(blp, view, errors))
        return signed_in(blp)(answered if body is None else blp.arguments(body)(answered))

    return decorate


def _not_visible(noun: str) -> dict[int, str]:
    return {404: f"No such {noun} visible to the caller"}


def shows(blp: Blueprint, schema: Any, noun: str) -> Callable[[View], View]:
    """A read of one visible row, open to anonymous callers: answers ``schema`` (200) and
    documents the 404 for a ``noun`` the caller cannot see and the optional bearer security.
    """
    return answers(blp, schema, errors=_not_visible(noun))


def deletes(blp: Blueprint, noun: str) -> Callable[[View], View]:
    """A signed-in DELETE of one row: 204, and the documented 403 (visible but not
    deletable) and 404 (no such ``noun`` visible). Extra responses go below it."""
    errors = {403: "Visible but not deletable by the caller", **_not_visible(noun)}
    return answers_signed_in(blp, None, status=204, errors=errors)


def lists(
    blp: Blueprint, args: type[ma.Schema], envelope: type[ma.Schema]
) -> Callable[[View], View]:
    """A paginated list open to anonymous callers: query ``args`` (a :class:`PageArgsSchema`),
    answered as ``envelope`` (see :func:`paginated`)."""

    def decorate(view: View) -> View:
        documented = paginated(blp, envelope)(blp.doc(security=OPTIONAL_BEARER)(view))
        parsed: View = blp.arguments(args, location="query")(documented)
        return parsed

    return decorate


#: The 403 of a create of a scoped row in a team the caller may not create in.
NOT_CREATABLE = "No permission to create in that team"


def creates(blp: Blueprint, body: type[ma.Schema], schema: Any) -> Callable[[View], View]:
    """A signed-in create of a scoped row: ``body`` in, ``schema`` out (201), and the 403 for
    a team the caller may not create in. Extra responses go below it."""
    return answers_signed_in(blp, schema, body=body, status=201, errors={403: NOT_CREATABLE})


#: The 403 of an edit of a scoped row (also a change of scope the caller may not make).
NOT_EDITABLE = (
    "Visible but not editable by the caller; or a change of team_id or a "
    "wider visibility by someone who is neither the owner nor a team admin"
)


def edits(blp: Blueprint, body: type[ma.Schema], schema: Any) -> Callable[[View], View]:
    """A signed-in PATCH of a scoped row: ``body`` in, ``schema`` out (200), and the 403 of
    :data:`NOT_EDITABLE`. Extra responses (404, 409) go below it."""
    return answers_signed_in(blp, schema, body=body, errors={403: NOT_EDITABLE})


class CompareIdsSchema(StrictSchema):
    """Base of the compare bodies: the 2 to 10 rows to put side by side."""

    ids = ma.fields.List(
        ma.fields.UUID(), required=True, validate=ma.validate.Length(min=2, max=10)
    )


def compares(
    blp: Blueprint, body: type[ma.Schema], schema: type[ma.Schema], noun: str
) -> Callable[[View], View]:
    """Rows side by side, open to anonymous callers: ``body`` names them (``ids``), answered
    as a list of ``schema`` in the order asked, 404 when a ``noun`` is not visible."""
    errors = {404: f"A {noun} is not visible to the caller"}
    return answers(blp, schema(many=True), args=body, errors=errors)


def multipart_arguments(
    blp: Blueprint, form: type[ma.Schema], files: type[ma.Schema]
) -> Callable[[View], View]:
    """Parse a ``multipart/form-data`` body: its fields with ``form`` and its files with
    ``files`` (the view receives ``form`` and ``files``, in that order).

    Documented as ONE ``requestBody`` whose schema holds the fields and the files, under the
    files schema's name: OpenAPI 3 has no ``formData`` parameters, which is how flask-smorest
    would document a second body location.
    """
    body = type(files.__name__, (files, form), {"__doc__": files.__doc__})

    def decorate(view: View) -> View:
        parsed: View = blp.arguments(form, location="form")(
            blp.arguments(files, location="files")(view)
        )
        apidoc = dict(getattr(parsed, "_apidoc", {}))
        arguments = dict(apidoc["arguments"])
        arguments["parameters"] = [
            {**param, "schema": body} for param in arguments["parameters"] if param["in"] == "files"
        ]
        apidoc["arguments"] = arguments
        setattr(parsed, "_apidoc", apidoc)  # noqa: B010 (flask-smorest's documentation slot)
        return parsed

    return decorate


#: The header every paginated list answers with (the envelope's ``total``).
TOTAL_COUNT_HEADER = {
    "X-Total-Count": {
        "description": "Number of matching rows on all pages",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def paginated(blp: Blueprint, envelope: type[ma.Schema]) -> Callable[[View], View]:
    """A list view that returns a :class:`Page`: answered as the envelope ``{items, total,
    page, per_page}`` (``envelope``, from :func:`paged_schema`) with ``X-Total-Count``.

    Use it where ``@blp.response(200, ...)`` would go, below ``@blp.arguments`` of a
    :class:`PageArgsSchema`.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            page: Page[Any] = view(*args, **kwargs)
            return page_envelope(page), {"X-Total-Count": str(page.total)}

        return blp.response(200, envelope, headers=TOTAL_COUNT_HEADER)(wrapper)  # type: ignore[no-any-return]

    return decorate


class SourceSchema(InputSchema):
    """A literature or provenance reference attached to a record."""

    class Meta:
        unknown = ma.RAISE

    citation = ma.fields.String(validate=ma.validate.Length(max=1000))
    doi = ma.fields.String(validate=ma.validate.Length(max=200))
    url = ma.fields.String(validate=ma.validate.Length(max=1000))
    note = ma.fields.String(validate=ma.validate.Length(max=2000))
