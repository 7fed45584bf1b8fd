"""Teams, their members and invitations.

Membership is by consent: ``POST /teams/{id}/members`` invites an e-mail address (202,
the invitation) and answers the same whether or not an account exists for it; the
invitee sees it under ``GET /teams/invitations`` and accepts or declines it there.
"""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    StrictSchema,
    answers_signed_in,
    current_actor,
    paged_schema,
    services,
)
from cryoprotect.api.fields import record_schema
from cryoprotect.api.views import Rows
from cryoprotect.services.teams import ROLE_NAMES, MemberRecord, TeamRecord

blp = Blueprint("teams", __name__, url_prefix="/api/v1/teams", description="Teams and membership")

_NO_TEAM = "No such team visible to the caller"
#: The 404 and 409 of a change to one membership.
_MEMBER_ERRORS = {404: "No such team or member", 409: "The team would lose its last admin"}


class TeamCreateSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=5000)
    )


class TeamUpdateSchema(StrictSchema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=5000))


TeamSchema = record_schema(TeamRecord, "TeamSchema", my_role="The caller's role in the team")


TeamPageSchema = paged_schema(TeamSchema, "TeamPageSchema")


class MemberCreateSchema(StrictSchema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=320))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLE_NAMES))


class MemberUpdateSchema(StrictSchema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLE_NAMES))


class InvitationSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    team_id = ma.fields.UUID(required=True)
    team_name = ma.fields.String(allow_none=True)
    email = ma.fields.String(
        allow_none=True, metadata={"description": "The invited address (normalised)"}
    )
    role = ma.fields.String(allow_none=True, metadata={"description": "Role on acceptance"})
    status = ma.fields.String(
        required=True, metadata={"description": "pending, accepted or declined"}
    )
    invited_by = ma.fields.UUID(required=True)
    invited_by_name = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(
        required=True, metadata={"description": "Invitations expire after 14 days"}
    )


MemberSchema = record_schema(MemberRecord, "MemberSchema")


@answers_signed_in(
    blp, TeamSchema, body=TeamCreateSchema, status=201, errors={401: "Not signed in"}
)
def _create(_: MethodView, body: dict[str, Any]) -> Any:
    """Create a team; the creator becomes its admin"""
    return services().teams.create(current_actor(), body["name"], body.get("description"))


Teams = Rows(blp, "teams", "team", TeamPageSchema).collection(
    "Teams",
    "Teams the caller belongs to, with the caller's role (none when signed out)",
    created=_create,
)


@blp.route("/<uuid:team_id>")
class TeamItem(MethodView):
    @answers_signed_in(blp, TeamSchema, errors={404: _NO_TEAM})
    def get(self, team_id: uuid.UUID) -> Any:
        """One team"""
        return services().teams.get(current_actor(), team_id)

    @answers_signed_in(
        blp,
        TeamSchema,
        body=TeamUpdateSchema,
        errors={403: "Only team admins may change the team", 404: _NO_TEAM},
    )
    def patch(self, body: dict[str, Any], team_id: uuid.UUID) -> Any:
        """Rename or describe a team (team admins)"""
        return services().teams.update(current_actor(), team_id, **body)

    @answers_signed_in(
        blp, None, status=204, errors={403: "Only team admins may delete the team", 404: _NO_TEAM}
    )
    def delete(self, team_id: uuid.UUID) -> None:
        """Delete a team that no longer holds data (team admins)"""
        services().teams.delete(current_actor(), team_id)


@blp.route("/<uuid:team_id>/members")
class Members(MethodView):
    @answers_signed_in(blp, MemberSchema(many=True), errors={404: _NO_TEAM})
    def get(self, team_id: uuid.UUID) -> Any:
        """Members of a team and their roles"""
        return services().teams.members(current_actor(), team_id)

    @answers_signed_in(
        blp,
        InvitationSchema,
        body=MemberCreateSchema,
        status=202,
        errors={403: "Only team admins may invite members", 404: _NO_TEAM, 409: "Already a member"},
    )
    def post(self, body: dict[str, Any], team_id: uuid.UUID) -> Any:
        """Invite an e-mail address with a role; they join when they accept (same answer
        whether or not the address has an account)"""
        return services().teams.invite(current_actor(), team_id, body["email"], body["role"])


@blp.route("/<uuid:team_id>/invitations")
class TeamInvitations(MethodView):
    @answers_signed_in(
        blp,
        InvitationSchema(many=True),
        errors={403: "Only team admins see the team's invitations", 404: _NO_TEAM},
    )
    def get(self, team_id: uuid.UUID) -> Any:
        """The team's pending invitations (team admins)"""
        return services().teams.invitations(current_actor(), team_id)


@blp.route("/<uuid:team_id>/invitations/<uuid:invitation_id>")
class TeamInvitationItem(MethodView):
    @answers_signed_in(
        blp, None, status=204, errors={404: "No such pending invitation the caller may withdraw"}
    )
    def delete(self, team_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
        """Withdraw a pending invitation (team admins)"""
        services().teams.withdraw_invitation(current_actor(), team_id, invitation_id)


@blp.route("/invitations")
class MyInvitations(MethodView):
    @answers_signed_in(blp, InvitationSchema(many=True))
    def get(self) -> Any:
        """Pending invitations to the signed-in user's e-mail address"""
        return services().teams.my_invitations(current_actor())


def _answer_resource(accept: bool, summary: str) -> type[MethodView]:
    """The resource that accepts (``accept``) or declines an invitation: both answers share
    this implementation; the route says which."""

    class Answer(MethodView):
        @answers_signed_in(
            blp,
            InvitationSchema,
            errors={
                404: "No such invitation to the caller's address",
                409: "Expired, or answered already",
            },
        )
        def post(self, invitation_id: uuid.UUID) -> Any:
            return services().teams.respond(current_actor(), invitation_id, accept=accept)

        post.__doc__ = summary

    Answer.__name__ = Answer.__qualname__ = "AcceptInvitation" if accept else "DeclineInvitation"
    return Answer


AcceptInvitation = blp.route("/invitations/<uuid:invitation_id>/accept")(
    _answer_resource(True, "Accept an invitation: join the team with its role")
)
DeclineInvitation = blp.route("/invitations/<uuid:invitation_id>/decline")(
    _answer_resource(False, "Decline an invitation")
)


@blp.route("/<uuid:team_id>/members/<uuid:user_id>")
class MemberItem(MethodView):
    @answers_signed_in(
        blp,
        MemberSchema,
        body=MemberUpdateSchema,
        errors={403: "Only team admins may change roles", **_MEMBER_ERRORS},
    )
    def patch(self, body: dict[str, Any], team_id: uuid.UUID, user_id: uuid.UUID) -> Any:
        """Change a member's role"""
        return services().teams.change_role(current_actor(), team_id, user_id, body["role"])

    @answers_signed_in(
        blp,
        None,
        status=204,
        errors={403: "Only team admins may remove others", **_MEMBER_ERRORS},
    )
    def delete(self, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Remove a member (admins), or leave the team (yourself)"""
        services().teams.remove_member(current_actor(), team_id, user_id)
