"""Operations: feature flags and their overrides, background jobs, the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import (
    AUDIT_ACTIONS,
    JOB_STATUSES,
    Base,
    Timestamps,
    in_check,
    partial_unique,
    reference,
    server_now,
    uuid_pk,
)

FEATURE_FLAG_KEY_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$"


class FeatureFlag(Timestamps, Base):
    """A feature flag: the global default (``enabled``) and the share of signed-in users
    (``rollout_percentage``) an enabled flag reaches. Evaluated by ``ops.flags``."""

    __tablename__ = "feature_flags"
    __table_args__ = (
        CheckConstraint("rollout_percentage BETWEEN 0 AND 100", name="rollout_percentage_range"),
        CheckConstraint(f"key ~ '{FEATURE_FLAG_KEY_PATTERN}'", name="key_format"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    rollout_percentage: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default=text("100")
    )


class FeatureFlagOverride(Timestamps, Base):
    """One flag decided for one team or one user (exactly one of ``team_id``/``user_id``)."""

    __tablename__ = "feature_flag_overrides"
    __table_args__ = (
        CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name="one_target"),
        partial_unique(
            "uq_feature_flag_overrides_flag_team", "flag_id", "team_id", where="team_id IS NOT NULL"
        ),
        partial_unique(
            "uq_feature_flag_overrides_flag_user", "flag_id", "user_id", where="user_id IS NOT NULL"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    flag_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("feature_flags.id", ondelete="CASCADE"), nullable=False
    )
    team_id: Mapped[uuid.UUID | None] = reference("teams", "CASCADE")
    user_id: Mapped[uuid.UUID | None] = reference("auth.users", "CASCADE")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """A background job: status and result readable by its owner from any web worker."""

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint(in_check("status", JOB_STATUSES), name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[uuid.UUID | None] = reference("auth.users", "CASCADE")
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="queued")
    result: Mapped[Any | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = server_now(index=True)
    updated_at: Mapped[datetime] = server_now()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Added in 0012: a request to stop (public.request_job_cancel) and the model it trains.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    model_id: Mapped[uuid.UUID | None] = reference("predictive_models", "SET NULL")
    # Added in 0015: how far a running job is (0-1), when its work reports it.
    progress: Mapped[float | None] = mapped_column(Float)


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(in_check("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_log_table_row", "table_name", "row_id"),
        Index("ix_audit_log_table_xact", "table_name", "xact_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = server_now(index=True)
    actor_id: Mapped[uuid.UUID | None] = reference("auth.users", "SET NULL")
    actor_role: Mapped[str | None] = mapped_column(String(50))
    table_name: Mapped[str] = mapped_column(String(100), nullable=False)
    row_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    old_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    new_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Added in 0016: the writing transaction (pg_current_xact_id()), for the search feed.
    xact_id: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("(pg_current_xact_id()::text)::bigint")
    )
