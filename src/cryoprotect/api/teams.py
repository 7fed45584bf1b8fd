"""Teams and their members."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    BEARER,
    OPTIONAL_BEARER,
    StrictSchema,
    current_actor,
    login_required,
    services,
)
from cryoprotect.services.teams import ROLE_NAMES

blp = Blueprint("teams", __name__, url_prefix="/api/v1/teams", description="Teams and membership")


class TeamCreateSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=5000)
    )


class TeamUpdateSchema(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=5000))


class TeamSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)
    my_role = ma.fields.String(
        allow_none=True, metadata={"description": "The caller's role in the team"}
    )


class MemberCreateSchema(StrictSchema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=320))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLE_NAMES))


class MemberUpdateSchema(StrictSchema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLE_NAMES))


class MemberSchema(ma.Schema):
    user_id = ma.fields.UUID(required=True)
    team_id = ma.fields.UUID(required=True)
    email = ma.fields.String(allow_none=True)
    display_name = ma.fields.String(allow_none=True)
    role = ma.fields.String(required=True)
    joined_at = ma.fields.DateTime(required=True)


@blp.route("")
class Teams(MethodView):
    @blp.response(200, TeamSchema(many=True))
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self) -> Any:
        """Teams the caller belongs to, with the caller's role (none when signed out)"""
        return services().teams.list(current_actor())

    @login_required
    @blp.arguments(TeamCreateSchema)
    @blp.response(201, TeamSchema)
    @blp.alt_response(401, description="Not signed in")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a team; the creator becomes its admin"""
        return services().teams.create(current_actor(), body["name"], body.get("description"))


@blp.route("/<uuid:team_id>")
class TeamItem(MethodView):
    @login_required
    @blp.response(200, TeamSchema)
    @blp.alt_response(404, description="No such team visible to the caller")
    @blp.doc(security=BEARER)
    def get(self, team_id: uuid.UUID) -> Any:
        """One team"""
        return services().teams.get(current_actor(), team_id)

    @login_required
    @blp.arguments(TeamUpdateSchema)
    @blp.response(200, TeamSchema)
    @blp.alt_response(403, description="Only team admins may change the team")
    @blp.alt_response(404, description="No such team visible to the caller")
    @blp.doc(security=BEARER)
    def patch(self, body: dict[str, Any], team_id: uuid.UUID) -> Any:
        """Rename or describe a team (team admins)"""
        return services().teams.update(current_actor(), team_id, **body)

    @login_required
    @blp.response(204)
    @blp.alt_response(403, description="Only team admins may delete the team")
    @blp.alt_response(404, description="No such team visible to the caller")
    @blp.doc(security=BEARER)
    def delete(self, team_id: uuid.UUID) -> None:
        """Delete a team that no longer holds data (team admins)"""
        services().teams.delete(current_actor(), team_id)


@blp.route("/<uuid:team_id>/members")
class Members(MethodView):
    @login_required
    @blp.response(200, MemberSchema(many=True))
    @blp.alt_response(404, description="No such team visible to the caller")
    @blp.doc(security=BEARER)
    def get(self, team_id: uuid.UUID) -> Any:
        """Members of a team and their roles"""
        return services().teams.members(current_actor(), team_id)

    @login_required
    @blp.arguments(MemberCreateSchema)
    @blp.response(201, MemberSchema)
    @blp.alt_response(403, description="Only team admins may add members")
    @blp.alt_response(404, description="No such team, or no account with this e-mail")
    @blp.alt_response(409, description="Already a member")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any], team_id: uuid.UUID) -> Any:
        """Add an existing account to the team with a role (viewer, editor, verifier, admin)"""
        return services().teams.add_member(current_actor(), team_id, body["email"], body["role"])


@blp.route("/<uuid:team_id>/members/<uuid:user_id>")
class MemberItem(MethodView):
    @login_required
    @blp.arguments(MemberUpdateSchema)
    @blp.response(200, MemberSchema)
    @blp.alt_response(403, description="Only team admins may change roles")
    @blp.alt_response(404, description="No such team or member")
    @blp.alt_response(409, description="The team would lose its last admin")
    @blp.doc(security=BEARER)
    def patch(self, body: dict[str, Any], team_id: uuid.UUID, user_id: uuid.UUID) -> Any:
        """Change a member's role"""
        return services().teams.change_role(current_actor(), team_id, user_id, body["role"])

    @login_required
    @blp.response(204)
    @blp.alt_response(403, description="Only team admins may remove others")
    @blp.alt_response(404, description="No such team or member")
    @blp.alt_response(409, description="The team would lose its last admin")
    @blp.doc(security=BEARER)
    def delete(self, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Remove a member (admins), or leave the team (yourself)"""
        services().teams.remove_member(current_actor(), team_id, user_id)
