"""Teams, their roles, memberships and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import (
    INVITATION_STATUSES,
    Authored,
    Base,
    Timestamps,
    in_check,
    indexed_name,
    partial_unique,
    required_reference,
    user_ref,
    uuid_pk,
)


def _role_ref() -> Mapped[int]:
    """A required, indexed reference to a team role (ON DELETE RESTRICT)."""
    return mapped_column(
        SmallInteger, ForeignKey("team_roles.id", ondelete="RESTRICT"), nullable=False, index=True
    )


class TeamRole(Timestamps, Base):
    __tablename__ = "team_roles"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    can_view: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    can_create: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    can_edit: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    can_delete: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    can_verify: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    can_manage: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))


class Team(Authored, Base):
    __tablename__ = "teams"

    name: Mapped[str] = indexed_name(200)
    description: Mapped[str | None] = mapped_column(Text)


class UserTeamMembership(Timestamps, Base):
    __tablename__ = "user_team_membership"
    __table_args__ = (UniqueConstraint("user_id", "team_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_ref()
    team_id: Mapped[uuid.UUID] = required_reference("teams", "CASCADE")
    role_id: Mapped[int] = _role_ref()


class TeamInvitation(Timestamps, Base):
    """An invitation of an e-mail address into a team with a role (migration 0011).

    Readable by the team's managers and by the invitee; answered only by the invitee
    (``public.respond_to_team_invitation``), which creates the membership on acceptance.
    """

    __tablename__ = "team_invitations"
    __table_args__ = (
        CheckConstraint(in_check("status", INVITATION_STATUSES), name="status"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        partial_unique(
            "uq_team_invitations_pending", "team_id", "email", where="status = 'pending'"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    team_id: Mapped[uuid.UUID] = required_reference("teams", "CASCADE")
    email: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    role_id: Mapped[int] = _role_ref()
    invited_by: Mapped[uuid.UUID] = user_ref()
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        nullable=False,
        server_default=text("now() + interval '14 days'"),
    )
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
