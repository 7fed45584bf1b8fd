"""Cell types, protocols, experiments and their lab verifications."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import (
    VERIFICATION_STATUSES,
    Authored,
    Base,
    Owned,
    in_check,
    indexed_name,
    json_array,
    json_object,
    reference,
    required_reference,
)


class CellType(Owned, Base):
    __tablename__ = "cell_types"

    name: Mapped[str] = indexed_name(200)
    species: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = json_object()
    sources: Mapped[list[Any]] = json_array()


class Protocol(Owned, Base):
    __tablename__ = "protocols"

    name: Mapped[str] = indexed_name(300)
    description: Mapped[str | None] = mapped_column(Text)
    mixture_id: Mapped[uuid.UUID | None] = reference("mixtures", "SET NULL")
    cell_type_id: Mapped[uuid.UUID | None] = reference("cell_types", "SET NULL")
    steps: Mapped[list[Any]] = json_array()
    design: Mapped[dict[str, Any]] = json_object()
    toxicity_cost: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)


class Experiment(Owned, Base):
    __tablename__ = "experiments"

    title: Mapped[str] = indexed_name(300)
    mixture_id: Mapped[uuid.UUID | None] = reference("mixtures", "RESTRICT")
    mixture_version: Mapped[int | None] = mapped_column(Integer)
    protocol_id: Mapped[uuid.UUID | None] = reference("protocols", "SET NULL")
    cell_type_id: Mapped[uuid.UUID | None] = reference("cell_types", "SET NULL")
    conditions: Mapped[dict[str, Any]] = json_object()
    results: Mapped[list[Any]] = json_array()
    performed_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str | None] = mapped_column(String(200))
    protocol_text: Mapped[str | None] = mapped_column(Text)
    biological_system: Mapped[dict[str, Any]] = json_object()
    attachments: Mapped[list[Any]] = json_array()
    verification_status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default="unverified", index=True
    )

    @classmethod
    def extra_table_args(cls) -> tuple[Any, ...]:
        return (
            CheckConstraint(
                in_check("verification_status", VERIFICATION_STATUSES), name="verification_status"
            ),
        )


class LabVerification(Authored, Base):
    __tablename__ = "lab_verifications"
    __table_args__ = (
        CheckConstraint(in_check("status", ("pending", "verified", "rejected")), name="status"),
        Index("ix_lab_verifications_experiment_created", "experiment_id", "created_at"),
    )

    experiment_id: Mapped[uuid.UUID] = required_reference("experiments", "CASCADE")
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    verifier_id: Mapped[uuid.UUID | None] = reference("auth.users", "RESTRICT")
    notes: Mapped[str | None] = mapped_column(Text)
    equipment: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
