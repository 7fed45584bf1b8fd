"""Feature flags: administration (platform administrators) and the caller's evaluated flags."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from werkzeug.routing import BaseConverter

from cryoprotect.api.common import (
    BEARER,
    OPTIONAL_BEARER,
    StrictSchema,
    current_actor,
    services,
)
from cryoprotect.db.models import FEATURE_FLAG_KEY_PATTERN
from cryoprotect.services.flags import KEY_MAX_LENGTH

blp = Blueprint(
    "feature-flags",
    __name__,
    url_prefix="/api/v1/feature-flags",
    description="Feature flags: global default, percentage rollout, team and user overrides",
)

_KEY_RULES = "dotted lower-case words, e.g. models.api_training"


class FlagKeyConverter(BaseConverter):
    """``<flag_key:key>``: only well-formed flag keys route, so ``/me`` (no dot) can never
    be taken for a key and a malformed key is a plain 404."""

    regex = FEATURE_FLAG_KEY_PATTERN.removeprefix("^").removesuffix("$")


def register_key_converter(app: Flask, api: Api) -> None:
    """Make ``flag_key`` routable and documented; call before registering :data:`blp`."""
    app.url_map.converters["flag_key"] = FlagKeyConverter
    api.register_converter(
        FlagKeyConverter,
        lambda _converter: {
            "type": "string",
            "pattern": FEATURE_FLAG_KEY_PATTERN,
            "maxLength": KEY_MAX_LENGTH,
        },
    )


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Authenticate and require a platform administrator before the body is parsed (as the
    outermost decorator), so others get 401/403 rather than a validation error; documents
    the bearer security (and so the 401) and the 403."""
    documented = blp.alt_response(403, description="Administrators only")(
        blp.doc(security=BEARER)(view)
    )

    @functools.wraps(documented)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_actor().require_admin()
        return documented(*args, **kwargs)

    return wrapper


class OverrideSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    target = ma.fields.String(required=True, metadata={"description": "user or team"})
    user_id = ma.fields.UUID(allow_none=True)
    team_id = ma.fields.UUID(allow_none=True)
    enabled = ma.fields.Boolean(required=True)
    note = ma.fields.String(allow_none=True)
    updated_at = ma.fields.DateTime(required=True)


class FlagSchema(ma.Schema):
    key = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    enabled = ma.fields.Boolean(
        required=True, metadata={"description": "Global default (off: off for all but overrides)"}
    )
    rollout_percentage = ma.fields.Integer(
        required=True,
        metadata={"description": "Share of signed-in users an enabled flag reaches, %"},
    )
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    overrides = ma.fields.List(ma.fields.Nested(OverrideSchema), required=True)


class FlagCreateSchema(StrictSchema):
    key = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Length(min=3, max=KEY_MAX_LENGTH),
            ma.validate.Regexp(FEATURE_FLAG_KEY_PATTERN, error=f"A flag key is {_KEY_RULES}."),
        ],
        metadata={"description": f"Stable identifier: {_KEY_RULES}"},
    )
    description = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=2000)
    )
    enabled = ma.fields.Boolean(load_default=False)
    rollout_percentage = ma.fields.Integer(
        load_default=100, validate=ma.validate.Range(min=0, max=100)
    )


class FlagUpdateSchema(StrictSchema):
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=2000))
    enabled = ma.fields.Boolean()
    rollout_percentage = ma.fields.Integer(validate=ma.validate.Range(min=0, max=100))


class OverrideSetSchema(StrictSchema):
    enabled = ma.fields.Boolean(required=True)
    note = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=2000)
    )


class EvaluatedFlagSchema(ma.Schema):
    key = ma.fields.String(required=True)
    enabled = ma.fields.Boolean(required=True)
    source = ma.fields.String(
        required=True,
        metadata={
            "description": "What decided it: user_override, team_override, rollout or default"
        },
    )


@blp.route("")
class Flags(MethodView):
    @admin_required
    @blp.response(200, FlagSchema(many=True))
    def get(self) -> Any:
        """Every feature flag with its overrides (administrators)"""
        return services().feature_flags.list_flags(current_actor())

    @admin_required
    @blp.arguments(FlagCreateSchema)
    @blp.response(201, FlagSchema)
    @blp.alt_response(409, description="A flag with this key exists")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a flag (off unless enabled; rollout 100 % by default) (administrators)"""
        return services().feature_flags.create(current_actor(), **body)


@blp.route("/me")
class MyFlags(MethodView):
    @blp.response(200, EvaluatedFlagSchema(many=True))
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self) -> Any:
        """Every flag as evaluated for the caller, in all the caller's teams (signed out: the defaults)"""
        return services().feature_flags.for_actor(current_actor())


@blp.route("/<flag_key:key>")
class FlagItem(MethodView):
    @admin_required
    @blp.response(200, FlagSchema)
    @blp.alt_response(404, description="No such flag")
    def get(self, key: str) -> Any:
        """One flag with its overrides (administrators)"""
        return services().feature_flags.get(current_actor(), key)

    @admin_required
    @blp.arguments(FlagUpdateSchema)
    @blp.response(200, FlagSchema)
    @blp.alt_response(404, description="No such flag")
    def patch(self, body: dict[str, Any], key: str) -> Any:
        """Change a flag's default, rollout percentage or description (administrators)"""
        return services().feature_flags.update(current_actor(), key, **body)


def _override_resource(target: str, put_summary: str, delete_summary: str) -> type[MethodView]:
    """The override resource of one ``target`` (``user`` or ``team``): both kinds share
    this implementation; the route gives the ``<target>_id`` path parameter."""

    class Override(MethodView):
        @admin_required
        @blp.arguments(OverrideSetSchema)
        @blp.response(200, OverrideSchema)
        @blp.alt_response(404, description=f"No such flag or {target}")
        def put(self, body: dict[str, Any], key: str, **target_id: uuid.UUID) -> Any:
            return services().feature_flags.set_override(
                current_actor(), key, enabled=body["enabled"], note=body["note"], **target_id
            )

        @admin_required
        @blp.response(204)
        @blp.alt_response(404, description="No such flag or override")
        def delete(self, key: str, **target_id: uuid.UUID) -> None:
            services().feature_flags.delete_override(current_actor(), key, **target_id)

        put.__doc__ = put_summary
        delete.__doc__ = delete_summary

    Override.__name__ = Override.__qualname__ = f"{target.title()}Override"
    return Override


UserOverride = blp.route("/<flag_key:key>/overrides/users/<uuid:user_id>")(
    _override_resource(
        "user",
        "Turn a flag on or off for one user, whatever the defaults (administrators)",
        "Remove a user's override (administrators)",
    )
)
TeamOverride = blp.route("/<flag_key:key>/overrides/teams/<uuid:team_id>")(
    _override_resource(
        "team",
        "Turn a flag on or off for one team's requests (administrators)",
        "Remove a team's override (administrators)",
    )
)
