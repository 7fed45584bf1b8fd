"""Teams and membership.

Who may do what is decided by the database's policies (``auth.team_can``); this module
turns the outcome into domain errors: a team you cannot see is :class:`NotFound`, a
change you may not make is :class:`PermissionDenied`.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Team, TeamRole, User, UserTeamMembership
from cryoprotect.errors import Conflict, NotFound, PermissionDenied, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import normalise_email

ROLE_NAMES = ("viewer", "editor", "verifier", "admin")


def _team_dict(team: Team, role: str | None) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "description": team.description,
        "created_by": team.created_by,
        "created_at": team.created_at,
        "my_role": role,
    }


class TeamService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _visible_team(self, session: Session, team_id: uuid.UUID) -> Team:
        team = session.get(Team, team_id)
        if team is None:
            raise NotFound("Team not found.")
        return team

    def _role_id(self, session: Session, role: str) -> int:
        if role not in ROLE_NAMES:
            raise ValidationError(f"role must be one of {', '.join(ROLE_NAMES)}.", field="role")
        role_id = session.scalar(sa.select(TeamRole.id).where(TeamRole.name == role))
        assert role_id is not None, "team roles are seeded by migration 0002"
        return int(role_id)

    def _my_role(self, session: Session, actor: Actor, team_id: uuid.UUID) -> str | None:
        return session.scalar(
            sa.select(TeamRole.name)
            .join(UserTeamMembership, UserTeamMembership.role_id == TeamRole.id)
            .where(
                UserTeamMembership.team_id == team_id, UserTeamMembership.user_id == actor.user_id
            )
        )

    # ---------------------------------------------------------------- teams
    def create(self, actor: Actor, name: str, description: str | None = None) -> dict[str, Any]:
        """Create a team; the database makes its creator the team's admin."""
        user_id = actor.require_user()
        label = (name or "").strip()
        if not label or len(label) > 200:
            raise ValidationError("Team name must be 1 to 200 characters.", field="name")
        with self.db.transaction(actor.identity) as session:
            team = Team(name=label, description=description, created_by=user_id)
            session.add(team)
            session.flush()
            session.refresh(team)
            return _team_dict(team, "admin")

    def list(self, actor: Actor) -> list[dict[str, Any]]:
        if not actor.authenticated:
            return []
        with self.db.transaction(actor.identity) as session:
            rows = session.execute(
                sa.select(Team, TeamRole.name)
                .join(UserTeamMembership, UserTeamMembership.team_id == Team.id)
                .join(TeamRole, TeamRole.id == UserTeamMembership.role_id)
                .where(UserTeamMembership.user_id == actor.user_id)
                .order_by(Team.name)
            ).all()
            return [_team_dict(team, role) for team, role in rows]

    def get(self, actor: Actor, team_id: uuid.UUID) -> dict[str, Any]:
        with self.db.transaction(actor.identity) as session:
            team = self._visible_team(session, team_id)
            return _team_dict(team, self._my_role(session, actor, team_id))

    def update(
        self,
        actor: Actor,
        team_id: uuid.UUID,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            team = self._visible_team(session, team_id)
            values: dict[str, Any] = {}
            if name is not None:
                if not name.strip() or len(name) > 200:
                    raise ValidationError("Team name must be 1 to 200 characters.", field="name")
                values["name"] = name.strip()
            if description is not None:
                values["description"] = description
            if values:
                result = session.execute(sa.update(Team).where(Team.id == team_id).values(**values))
                if result.rowcount == 0:  # type: ignore[attr-defined]
                    raise PermissionDenied("Only team admins can change the team.")
                session.refresh(team)
            return _team_dict(team, self._my_role(session, actor, team_id))

    def delete(self, actor: Actor, team_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            self._visible_team(session, team_id)
            result = session.execute(sa.delete(Team).where(Team.id == team_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise PermissionDenied("Only team admins can delete the team.")

    # -------------------------------------------------------------- members
    def members(self, actor: Actor, team_id: uuid.UUID) -> list[dict[str, Any]]:
        with self.db.transaction(actor.identity) as session:
            self._visible_team(session, team_id)
            rows = session.execute(
                sa.select(UserTeamMembership, User.email, User.display_name, TeamRole.name)
                .join(User, User.id == UserTeamMembership.user_id)
                .join(TeamRole, TeamRole.id == UserTeamMembership.role_id)
                .where(UserTeamMembership.team_id == team_id)
                .order_by(User.email)
            ).all()
            return [_member_dict(m, email, display, role) for m, email, display, role in rows]

    def add_member(self, actor: Actor, team_id: uuid.UUID, email: str, role: str) -> dict[str, Any]:
        """Add an existing account to a team (team admins only)."""
        actor.require_user()
        address = normalise_email(email)
        with self.db.transaction(Identity.service()) as session:
            user_id = session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == address))
        with self.db.transaction(actor.identity) as session:
            self._visible_team(session, team_id)
            # Ask the database's own rule first, so non-admins cannot probe which e-mails exist.
            if not session.scalar(sa.select(sa.func.auth.team_can(team_id, "manage"))):
                raise PermissionDenied("Only team admins can add members.")
            if user_id is None:
                raise NotFound("No account with this e-mail.", details={"field": "email"})
            exists = session.scalar(
                sa.select(UserTeamMembership.id).where(
                    UserTeamMembership.team_id == team_id, UserTeamMembership.user_id == user_id
                )
            )
            if exists:
                raise Conflict("This person is already a member.", details={"field": "email"})
            membership = UserTeamMembership(
                user_id=user_id, team_id=team_id, role_id=self._role_id(session, role)
            )
            session.add(membership)
            session.flush()
            session.refresh(membership)
            return _member_dict(membership, address, None, role)

    def _membership(
        self, session: Session, team_id: uuid.UUID, user_id: uuid.UUID
    ) -> UserTeamMembership:
        self._visible_team(session, team_id)
        membership = session.scalar(
            sa.select(UserTeamMembership).where(
                UserTeamMembership.team_id == team_id, UserTeamMembership.user_id == user_id
            )
        )
        if membership is None:
            raise NotFound("Member not found.")
        return membership

    def _admin_count(self, session: Session, team_id: uuid.UUID) -> int:
        return int(
            session.scalar(
                sa.select(sa.func.count())
                .select_from(UserTeamMembership)
                .join(TeamRole, TeamRole.id == UserTeamMembership.role_id)
                .where(UserTeamMembership.team_id == team_id, TeamRole.can_manage.is_(True))
            )
            or 0
        )

    def change_role(
        self, actor: Actor, team_id: uuid.UUID, user_id: uuid.UUID, role: str
    ) -> dict[str, Any]:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            membership = self._membership(session, team_id, user_id)
            new_role_id = self._role_id(session, role)
            current = session.get(TeamRole, membership.role_id)
            if (
                current is not None
                and current.can_manage
                and role != "admin"
                and self._admin_count(session, team_id) <= 1
            ):
                raise Conflict("A team must keep at least one admin.", details={"field": "role"})
            result = session.execute(
                sa.update(UserTeamMembership)
                .where(UserTeamMembership.id == membership.id)
                .values(role_id=new_role_id)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise PermissionDenied("Only team admins can change roles.")
            session.refresh(membership)
            email = session.scalar(sa.select(User.email).where(User.id == user_id))
            return _member_dict(membership, email, None, role)

    def remove_member(self, actor: Actor, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            membership = self._membership(session, team_id, user_id)
            role = session.get(TeamRole, membership.role_id)
            if role is not None and role.can_manage and self._admin_count(session, team_id) <= 1:
                raise Conflict("A team must keep at least one admin.")
            result = session.execute(
                sa.delete(UserTeamMembership).where(UserTeamMembership.id == membership.id)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise PermissionDenied("Only team admins can remove members.")


def _member_dict(
    m: UserTeamMembership, email: str | None, display: str | None, role: str
) -> dict[str, Any]:
    return {
        "user_id": m.user_id,
        "team_id": m.team_id,
        "email": email,
        "display_name": display,
        "role": role,
        "joined_at": m.created_at,
    }
