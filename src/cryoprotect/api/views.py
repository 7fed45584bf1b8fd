"""Views that are the same for every kind of scoped row, built from a table of what differs.

The collection (list and create), the item (show, edit, delete) and the compare view of
mixtures, experiments, protocols, cell types and models (and the lists of teams, datasets
and stored predictions) all call their service the same way:
``services().<service>.<verb>(current_actor(), ...)``. :class:`Rows` writes that once;
each blueprint names its service, schemas, documentation strings and extra error
responses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    Errors,
    PageArgsSchema,
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

#: A decorator of a view method (e.g. ``shows(blp, schema, noun)``).
Deco = Callable[[View], View]


@dataclass(frozen=True)
class Op:
    """One operation of a generated view: ``doc`` is its docstring (the document's summary
    and description), ``errors`` the responses it documents below its decorator's own."""

    doc: str
    errors: Errors | None = None


@dataclass(frozen=True)
class Rows:
    """The scoped rows of ``service`` (e.g. ``"mixtures"``), served on ``blp``; ``noun``
    names one in the 404s; their lists answer pages of ``envelope`` (from
    :func:`cryoprotect.api.common.paged_schema`) and take the query ``args``.

    :meth:`listing` is their list method; :meth:`collection`, :meth:`item` and
    :meth:`compare` route a whole view class named ``name`` (the endpoint's name, as with a
    ``class Name(MethodView)`` statement) and return it.
    """

    blp: Blueprint
    service: str
    noun: str
    envelope: type[ma.Schema]
    args: type[ma.Schema] = PageArgsSchema

    def _service(self) -> Any:
        return getattr(services(), self.service)

    def _method(self, decorate: Deco, view: View, op: Op) -> View:
        view.__doc__ = op.doc
        return decorate(alt_responses(self.blp, view, op.errors))

    def _route(self, rule: str, name: str, methods: dict[str, View]) -> type[MethodView]:
        routed: type[MethodView] = self.blp.route(rule)(type(name, (MethodView,), methods))
        return routed

    def listing(self, doc: str, verb: str = "list") -> View:
        """GET: the paginated rows visible to the caller from the service's ``verb``
        (docstring ``doc``)."""

        def get(_: MethodView, args: dict[str, Any]) -> Any:
            return getattr(self._service(), verb)(current_actor(), **args)

        return self._method(lists(self.blp, self.args, self.envelope), get, Op(doc))

    def collection(
        self,
        name: str,
        listed: str,
        *,
        created: tuple[type[ma.Schema], Any, Op] | View | None = None,
        verb: str = "list",
    ) -> type[MethodView]:
        """At ``""``: GET the :meth:`listing` (the service's ``verb``, docstring ``listed``)
        and, when ``created`` is given, POST it: either a view method of one's own (already
        decorated), or ``(body, schema, op)`` for a signed-in ``create`` from the ``body``
        fields, answered as ``schema`` (201)."""

        def post(_: MethodView, body: dict[str, Any]) -> Any:
            return self._service().create(current_actor(), **body)

        if isinstance(created, tuple):
            body, schema, op = created
            created = self._method(creates(self.blp, body, schema), post, op)
        methods = {"get": self.listing(listed, verb)}
        if created is not None:
            methods["post"] = created
        return self._route("", name, methods)

    def item(
        self,
        rule: str,
        name: str,
        schema: Any,
        *,
        shown: str,
        deleted: Op,
        edited: tuple[type[ma.Schema], Op] | None = None,
    ) -> type[MethodView]:
        """One row by the id in the URL: GET ``get`` (answered as ``schema``, docstring
        ``shown``), DELETE ``delete`` (``deleted``) and, when ``edited`` = ``(body, op)``,
        PATCH ``update`` with the ``body`` fields."""

        def get(_: MethodView, **key: Any) -> Any:
            return self._service().get(current_actor(), *key.values())

        def patch(_: MethodView, body: dict[str, Any], **key: Any) -> Any:
            return self._service().update(current_actor(), *key.values(), body)

        def delete(_: MethodView, **key: Any) -> None:
            self._service().delete(current_actor(), *key.values())

        methods = {
            "get": self._method(shows(self.blp, schema, self.noun), get, Op(shown)),
            "delete": self._method(deletes(self.blp, self.noun), delete, deleted),
        }
        if edited is not None:
            methods["patch"] = self._method(edits(self.blp, edited[0], schema), patch, edited[1])
        return self._route(rule, name, methods)

    def compare(
        self, name: str, *, body: type[ma.Schema], schema: type[ma.Schema], doc: str
    ) -> type[MethodView]:
        """At ``"/compare"``: POST the rows ``body`` names (``ids``) side by side, from the
        service's ``compare``, answered as a list of ``schema`` (see
        :func:`cryoprotect.api.common.compares`)."""

        def post(_: MethodView, body: dict[str, Any]) -> Any:
            return self._service().compare(current_actor(), body["ids"])

        decorate = compares(self.blp, body, schema, self.noun)
        return self._route("/compare", name, {"post": self._method(decorate, post, Op(doc))})
