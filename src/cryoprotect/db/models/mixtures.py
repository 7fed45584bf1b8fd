"""Mixtures (CPA solutions), their immutable version snapshots and their components."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import (
    COMPONENT_ROLES,
    COMPOSITION_UNITS,
    Authored,
    Base,
    CreatedBy,
    Owned,
    in_check,
    indexed_name,
    json_array,
    reference,
    required_reference,
    server_now,
    uuid_pk,
    version_number,
    version_positive,
)


class Mixture(Owned, Base):
    __tablename__ = "mixtures"

    name: Mapped[str] = indexed_name(300)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = version_number()
    carrier: Mapped[str | None] = mapped_column(String(200))
    sources: Mapped[list[Any]] = json_array()

    @classmethod
    def extra_table_args(cls) -> tuple[Any, ...]:
        return (version_positive(),)


class MixtureVersion(CreatedBy, Base):
    """Immutable snapshot of one version of a mixture (added in 0005)."""

    __tablename__ = "mixture_versions"
    __table_args__ = (
        version_positive(),
        UniqueConstraint("mixture_id", "version"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    mixture_id: Mapped[uuid.UUID] = required_reference("mixtures", "CASCADE")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    carrier: Mapped[str | None] = mapped_column(String(200))
    components: Mapped[list[Any]] = json_array()
    # After the mixin's created_by, as in the migration (sort_order only orders the mapping).
    created_at: Mapped[datetime] = server_now(sort_order=1)


class MixtureComponent(Authored, Base):
    __tablename__ = "mixture_components"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint(in_check("unit", COMPOSITION_UNITS), name="unit"),
        CheckConstraint("role IS NULL OR " + in_check("role", COMPONENT_ROLES), name="role"),
        UniqueConstraint("mixture_id", "molecule_id"),
    )

    mixture_id: Mapped[uuid.UUID] = required_reference("mixtures", "CASCADE")
    molecule_id: Mapped[uuid.UUID] = required_reference("molecules", "RESTRICT")
    amount: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(20), nullable=False)
    role: Mapped[str | None] = mapped_column(String(20))
    # Added in 0020: the material form (hydrate, salt) the amount was weighed as.
    material_form_id: Mapped[uuid.UUID | None] = reference("material_forms", "RESTRICT")
