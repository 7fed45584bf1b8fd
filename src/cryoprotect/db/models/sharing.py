"""Read-only share links (migration 0018): a token's hash, the one record it shows, its
expiry and revocation. The token itself is never stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import Base, Timestamps, in_check, reference, user_ref, uuid_pk

SHARE_RESOURCE_TYPES = ("mixture", "protocol", "experiment")
SHARE_MAX_DAYS = 90


class ShareLink(Timestamps, Base):
    """One share link: readable and revocable by its creator and its team's admins; read by
    anonymous callers only through ``public.resolve_share_link(token_hash)``."""

    __tablename__ = "share_links"
    __table_args__ = (
        CheckConstraint(in_check("resource_type", SHARE_RESOURCE_TYPES), name="type"),
        CheckConstraint("token_hash ~ '^[0-9a-f]{64}$'", name="token_hash_sha256"),
        CheckConstraint(
            "expires_at > created_at AND expires_at <= created_at + interval "
            f"'{SHARE_MAX_DAYS} days'",
            name="expiry_window",
        ),
        Index("uq_share_links_token_hash", "token_hash", unique=True),
        Index("ix_share_links_resource", "resource_type", "resource_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(16), nullable=False)
    resource_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_by: Mapped[uuid.UUID] = user_ref("CASCADE")
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[uuid.UUID | None] = reference("auth.users", "SET NULL")
