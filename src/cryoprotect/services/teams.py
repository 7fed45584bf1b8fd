"""Teams, membership and invitations.

Who may do what is decided by the database's policies (``auth.team_can``); this module
turns the outcome into domain errors: a team you cannot see is :class:`NotFound`, a
change you may not make is :class:`PermissionDenied`.

Membership is by consent (migration 0011): a team admin *invites* an e-mail address with
a role, and the person behind that address accepts (or declines) it. Inviting answers the
same whether or not an account exists for the address, so it cannot be used to find out
who has an account. A team always keeps an admin: every change of membership locks the
team's row first (``public.lock_team``), and the database's ``keep_team_admin`` trigger
refuses the change that would leave none, even when two admins act at the same moment.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database, rows_changed
from cryoprotect.db.models import Team, TeamInvitation, TeamRole, User, UserTeamMembership
from cryoprotect.errors import Conflict, NotFound, PermissionDenied, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import normalise_email
from cryoprotect.services.common import MAX_PER_PAGE, Page, inserted, record_from

ROLE_NAMES = ("viewer", "editor", "verifier", "admin")
# What public.respond_to_team_invitation returns when nothing was done, as domain errors.
_REFUSED_ANSWERS: dict[str, tuple[type[NotFound | Conflict], str]] = {
    "not_found": (NotFound, "Invitation not found."),
    "expired": (Conflict, "This invitation has expired: ask the team's admin for a new one."),
    "answered": (Conflict, "This invitation has already been answered."),
}


@dataclass(frozen=True, slots=True)
class TeamRecord:
    """A team with the caller's role in it (None when not a member)."""

    id: uuid.UUID
    name: str
    description: str | None
    created_by: uuid.UUID
    created_at: datetime
    my_role: str | None

    @classmethod
    def of(cls, team: Team, my_role: str | None) -> TeamRecord:
        return cls(team.id, team.name, team.description, team.created_by, team.created_at, my_role)


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """A member of a team with their role."""

    user_id: uuid.UUID
    team_id: uuid.UUID
    email: str | None
    display_name: str | None
    role: str
    joined_at: datetime

    @classmethod
    def of(
        cls, m: UserTeamMembership, email: str | None, display_name: str | None, role: str
    ) -> MemberRecord:
        return cls(m.user_id, m.team_id, email, display_name, role, m.created_at)


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    """An invitation into a team, as its team's admins and its invitee see it."""

    id: uuid.UUID
    team_id: uuid.UUID
    team_name: str | None
    email: str | None
    role: str | None
    status: str
    invited_by: uuid.UUID
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(
        cls,
        inv: TeamInvitation,
        role: str | None,
        team_name: str | None,
        status: str | None = None,
    ) -> InvitationRecord:
        return record_from(cls, inv, team_name=team_name, role=role, status=status or inv.status)


@dataclass(frozen=True, slots=True)
class ReceivedInvitation(InvitationRecord):
    """A pending invitation to the caller, with the name of who sent it."""

    invited_by_name: str | None


def _team_name(name: str | None) -> str:
    """The team name without surrounding blanks; :class:`ValidationError` unless 1 to 200
    characters remain."""
    label = (name or "").strip()
    if not label or len(label) > 200:
        raise ValidationError("Team name must be 1 to 200 characters.", field="name")
    return label


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
    def create(self, actor: Actor, name: str, description: str | None = None) -> TeamRecord:
        """Create a team; the database makes its creator the team's admin."""
        user_id = actor.require_user()
        label = _team_name(name)
        with self.db.transaction(actor.identity) as session:
            team = Team(name=label, description=description, created_by=user_id)
            return TeamRecord.of(inserted(session, team), "admin")

    def list(self, actor: Actor, *, page: int = 1, per_page: int = 25) -> Page[TeamRecord]:
        """One page of the teams the caller belongs to, by name, with the caller's role and
        the total count (none when signed out)."""
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        if not actor.authenticated:
            return Page(items=[], total=0, page=page, per_page=per_page)
        mine = UserTeamMembership.user_id == actor.user_id
        with self.db.transaction(actor.identity) as session:
            total = session.scalar(
                sa.select(sa.func.count())
                .select_from(UserTeamMembership)
                .join(Team, Team.id == UserTeamMembership.team_id)
                .where(mine)
            )
            rows = session.execute(
                sa.select(Team, TeamRole.name)
                .join(UserTeamMembership, UserTeamMembership.team_id == Team.id)
                .join(TeamRole, TeamRole.id == UserTeamMembership.role_id)
                .where(mine)
                .order_by(Team.name, Team.id)
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
            return Page(
                items=[TeamRecord.of(team, role) for team, role in rows],
                total=int(total or 0),
                page=page,
                per_page=per_page,
            )

    def get(self, actor: Actor, team_id: uuid.UUID) -> TeamRecord:
        with self.db.transaction(actor.identity) as session:
            team = self._visible_team(session, team_id)
            return TeamRecord.of(team, self._my_role(session, actor, team_id))

    def update(
        self,
        actor: Actor,
        team_id: uuid.UUID,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> TeamRecord:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            team = self._visible_team(session, team_id)
            values: dict[str, Any] = {}
            if name is not None:
                values["name"] = _team_name(name)
            if description is not None:
                values["description"] = description
            if values:
                result = session.execute(sa.update(Team).where(Team.id == team_id).values(**values))
                if rows_changed(result) == 0:
                    raise PermissionDenied("Only team admins can change the team.")
                session.refresh(team)
            return TeamRecord.of(team, self._my_role(session, actor, team_id))

    def delete(self, actor: Actor, team_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            self._visible_team(session, team_id)
            result = session.execute(sa.delete(Team).where(Team.id == team_id))
            if rows_changed(result) == 0:
                raise PermissionDenied("Only team admins can delete the team.")

    # -------------------------------------------------------------- members
    def members(self, actor: Actor, team_id: uuid.UUID) -> builtins.list[MemberRecord]:
        with self.db.transaction(actor.identity) as session:
            self._visible_team(session, team_id)
            rows = session.execute(
                sa.select(UserTeamMembership, User.email, User.display_name, TeamRole.name)
                .join(User, User.id == UserTeamMembership.user_id)
                .join(TeamRole, TeamRole.id == UserTeamMembership.role_id)
                .where(UserTeamMembership.team_id == team_id)
                .order_by(User.email)
            ).all()
            return [MemberRecord.of(m, email, display, role) for m, email, display, role in rows]

    # ---------------------------------------------------------- invitations
    def invite(self, actor: Actor, team_id: uuid.UUID, email: str, role: str) -> InvitationRecord:
        """Invite an e-mail address into the team with a role (team admins only).

        The answer is the same whether or not an account exists for the address; a pending
        invitation to the same address is replaced (new role, new expiry).

        Raises:
            NotFound: the team is not visible to the caller.
            PermissionDenied: the caller is not an admin of the team.
            Conflict: the address belongs to a member already.
        """
        user_id = actor.require_user()
        address = normalise_email(email)
        with self.db.transaction(actor.identity) as session:
            team = self._visible_team(session, team_id)
            if not session.scalar(sa.select(sa.func.auth.team_can(team_id, "manage"))):
                raise PermissionDenied("Only team admins can invite members.")
            role_id = self._role_id(session, role)
            # Members' addresses are visible to the team's admins already: no enumeration.
            member = session.scalar(
                sa.select(UserTeamMembership.id)
                .join(User, User.id == UserTeamMembership.user_id)
                .where(UserTeamMembership.team_id == team_id, sa.func.lower(User.email) == address)
            )
            if member is not None:
                raise Conflict("This person is already a member.", details={"field": "email"})
            session.execute(
                sa.delete(TeamInvitation).where(
                    TeamInvitation.team_id == team_id,
                    TeamInvitation.email == address,
                    TeamInvitation.status == "pending",
                )
            )
            invitation = TeamInvitation(
                team_id=team_id, email=address, role_id=role_id, invited_by=user_id
            )
            return InvitationRecord.of(inserted(session, invitation), role, team.name)

    def invitations(self, actor: Actor, team_id: uuid.UUID) -> builtins.list[InvitationRecord]:
        """The team's pending invitations (team admins only), oldest first."""
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            team = self._visible_team(session, team_id)
            if not session.scalar(sa.select(sa.func.auth.team_can(team_id, "manage"))):
                raise PermissionDenied("Only team admins can see the team's invitations.")
            rows = session.execute(
                sa.select(TeamInvitation, TeamRole.name)
                .join(TeamRole, TeamRole.id == TeamInvitation.role_id)
                .where(TeamInvitation.team_id == team_id, TeamInvitation.status == "pending")
                .order_by(TeamInvitation.created_at, TeamInvitation.id)
            ).all()
            return [InvitationRecord.of(inv, role, team.name) for inv, role in rows]

    def withdraw_invitation(
        self, actor: Actor, team_id: uuid.UUID, invitation_id: uuid.UUID
    ) -> None:
        """Withdraw a pending invitation (team admins only)."""
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            self._visible_team(session, team_id)
            result = session.execute(
                sa.delete(TeamInvitation).where(
                    TeamInvitation.id == invitation_id,
                    TeamInvitation.team_id == team_id,
                    TeamInvitation.status == "pending",
                )
            )
            if rows_changed(result) == 0:
                raise NotFound("Invitation not found.")

    def my_invitations(self, actor: Actor) -> builtins.list[ReceivedInvitation]:
        """Pending, unexpired invitations to the caller's e-mail address, oldest first."""
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            rows = session.execute(
                sa.text(
                    "SELECT id, team_id, team_name, role, invited_by, invited_by_name, "
                    "created_at, expires_at FROM public.my_team_invitations()"
                )
            ).all()
            return [
                record_from(ReceivedInvitation, r, email=actor.email, status="pending")
                for r in rows
            ]

    def respond(self, actor: Actor, invitation_id: uuid.UUID, *, accept: bool) -> InvitationRecord:
        """Accept (joining the team with the invitation's role) or decline an invitation.

        Only the invitee (the account whose e-mail the invitation names) can answer.

        Raises:
            NotFound: no invitation with this id to the caller's address.
            Conflict: the invitation has expired or has been answered already.
        """
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            outcome = session.scalar(
                sa.select(sa.func.public.respond_to_team_invitation(invitation_id, accept))
            )
            if outcome in _REFUSED_ANSWERS:
                error, message = _REFUSED_ANSWERS[outcome]
                raise error(message)
            invitation = session.get(TeamInvitation, invitation_id)
            assert invitation is not None, "the invitee can read their invitation"
            role = session.get(TeamRole, invitation.role_id)
            team = session.get(Team, invitation.team_id)  # visible once accepted
            return InvitationRecord.of(
                invitation,
                role.name if role is not None else None,
                team.name if team is not None else None,
                status=outcome,
            )

    def _lock(self, session: Session, team_id: uuid.UUID) -> None:
        """Serialise changes of this team's membership (``public.lock_team``) for the rest
        of the transaction, so a concurrent change is seen before anything is decided."""
        session.execute(sa.select(sa.func.public.lock_team(team_id)))

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
    ) -> MemberRecord:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            self._lock(session, team_id)
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
            if rows_changed(result) == 0:
                raise PermissionDenied("Only team admins can change roles.")
            session.refresh(membership)
            email = session.scalar(sa.select(User.email).where(User.id == user_id))
            return MemberRecord.of(membership, email, None, role)

    def remove_member(self, actor: Actor, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            self._lock(session, team_id)
            membership = self._membership(session, team_id, user_id)
            role = session.get(TeamRole, membership.role_id)
            if role is not None and role.can_manage and self._admin_count(session, team_id) <= 1:
                raise Conflict("A team must keep at least one admin.")
            result = session.execute(
                sa.delete(UserTeamMembership).where(UserTeamMembership.id == membership.id)
            )
            if rows_changed(result) == 0:
                raise PermissionDenied("Only team admins can remove members.")
