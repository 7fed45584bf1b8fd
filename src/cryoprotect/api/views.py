"""Views that are the same for every kind of scoped row, built from a table of what differs.

The collection (list and create), the item (show, edit, delete) and the compare view of
mixtures, experiments, protocols, cell types and models all call their service the same
way: ``services().<service>.<verb>(current_actor(), ...)``. :func:`collection_view`,
:func:`item_view` and :func:`compare_view` write that once; each blueprint names its
service, schemas, documentation strings and extra error responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    Errors,
    View,
    alt_responses,
    compares,
    creates,
    current_actor,
    deletes,
    edits,
    lists,
    services,
    shows,
)


@dataclass(frozen=True)
class Op:
    """One operation of a generated view: ``doc`` is its docstring (the document's summary
    and description), ``errors`` the responses it documents below its decorator's own."""

    doc: str
    errors: Errors | None = None


def _rows(service: str) -> Any:
    """The service ``service`` of this app's bundle (e.g. ``"mixtures"``)."""
    return getattr(services(), service)


def _documented(blp: Blueprint, view: View, op: Op) -> View:
    view.__doc__ = op.doc
    return alt_responses(blp, view, op.errors)


def _view_class(name: str, methods: dict[str, View]) -> type[MethodView]:
    # The class name is the endpoint's name, as with a ``class Name(MethodView)`` statement.
    return type(name, (MethodView,), methods)


def collection_view(
    blp: Blueprint,
    name: str,
    service: str,
    *,
    args: type[ma.Schema],
    envelope: type[ma.Schema],
    listed: str,
    created: tuple[type[ma.Schema], Any, Op] | None = None,
) -> type[MethodView]:
    """GET: the paginated ``list`` of the rows visible to the caller (query ``args``, answered
    as ``envelope``, docstring ``listed``); POST when ``created`` = ``(body, schema, op)``: a
    signed-in ``create`` from the ``body`` fields, answered as ``schema`` (201)."""

    def get(self: MethodView, args: dict[str, Any]) -> Any:
        return _rows(service).list(current_actor(), **args)

    methods = {"get": lists(blp, args, envelope)(_documented(blp, get, Op(listed)))}
    if created is not None:
        body, schema, op = created

        def post(self: MethodView, body: dict[str, Any]) -> Any:
            return _rows(service).create(current_actor(), **body)

        methods["post"] = creates(blp, body, schema)(_documented(blp, post, op))
    return _view_class(name, methods)


def item_view(
    blp: Blueprint,
    name: str,
    service: str,
    noun: str,
    schema: Any,
    *,
    shown: str,
    deleted: Op,
    edited: tuple[type[ma.Schema], Op] | None = None,
) -> type[MethodView]:
    """One row by the id in the URL: GET ``get`` (answered as ``schema``, docstring ``shown``),
    DELETE ``delete`` (``deleted``) and, when ``edited`` = ``(body, op)``, PATCH ``update``
    with the ``body`` fields; ``noun`` names the row in the 404s."""

    def get(self: MethodView, **key: Any) -> Any:
        return _rows(service).get(current_actor(), *key.values())

    def delete(self: MethodView, **key: Any) -> None:
        _rows(service).delete(current_actor(), *key.values())

    methods = {
        "get": shows(blp, schema, noun)(_documented(blp, get, Op(shown))),
        "delete": deletes(blp, noun)(_documented(blp, delete, deleted)),
    }
    if edited is not None:
        body, op = edited

        def patch(self: MethodView, body: dict[str, Any], **key: Any) -> Any:
            return _rows(service).update(current_actor(), *key.values(), body)

        methods["patch"] = edits(blp, body, schema)(_documented(blp, patch, op))
    return _view_class(name, methods)


def compare_view(
    blp: Blueprint,
    name: str,
    service: str,
    noun: str,
    *,
    body: type[ma.Schema],
    schema: type[ma.Schema],
    doc: str,
) -> type[MethodView]:
    """POST: the rows ``body`` names (``ids``) side by side, from the service's ``compare``,
    answered as a list of ``schema`` (see :func:`cryoprotect.api.common.compares`)."""

    def post(self: MethodView, body: dict[str, Any]) -> Any:
        return _rows(service).compare(current_actor(), body["ids"])

    return _view_class(
        name, {"post": compares(blp, body, schema, noun)(_documented(blp, post, Op(doc)))}
    )
