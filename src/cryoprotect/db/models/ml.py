"""ML artefacts: datasets, predictive models and stored predictions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import (
    Base,
    Owned,
    indexed_name,
    json_array,
    json_object,
    model_version_constraints,
    partial_unique,
    progress_range,
    reference,
    required_reference,
    version_number,
)


class Dataset(Owned, Base):
    __tablename__ = "datasets"

    name: Mapped[str] = indexed_name(300)
    description: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    rows: Mapped[list[Any]] = json_array()
    sources: Mapped[list[Any]] = json_array()

    target_names: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )

    @classmethod
    def extra_table_args(cls) -> tuple[Any, ...]:
        return (
            partial_unique("uq_datasets_public_name", "name", where="visibility = 'public'"),
            CheckConstraint("row_count >= 0", name="row_count_non_negative"),
        )


class PredictiveModel(Owned, Base):
    __tablename__ = "predictive_models"

    name: Mapped[str] = indexed_name(200)
    version: Mapped[int] = version_number()
    algorithm: Mapped[str] = mapped_column(String(100), nullable=False)
    target: Mapped[str] = mapped_column(String(100), nullable=False)
    dataset_id: Mapped[uuid.UUID | None] = reference("datasets", "RESTRICT")
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="queued")
    metrics: Mapped[dict[str, Any]] = json_object()
    manifest: Mapped[dict[str, Any]] = json_object()
    # Added in 0006: the skops artefact, its checksum, training state, the active version.
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary)
    artifact_sha256: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    level: Mapped[float | None] = mapped_column(Float)
    progress: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    training_seconds: Mapped[float | None] = mapped_column(Float)
    # Added in 0014: why a version not better than its baselines was made active anyway.
    promotion_override: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    @classmethod
    def extra_table_args(cls) -> tuple[Any, ...]:
        return (
            *model_version_constraints(),
            CheckConstraint("level IS NULL OR (level > 0 AND level < 1)", name="level_range"),
            progress_range(),
            CheckConstraint(
                "status <> 'ready' OR artifact_sha256 IS NOT NULL", name="ready_has_artifact"
            ),
            partial_unique(
                "uq_predictive_models_active_target", "created_by", "target", where="is_active"
            ),
        )


class Prediction(Owned, Base):
    __tablename__ = "predictions"

    model_id: Mapped[uuid.UUID] = required_reference("predictive_models", "CASCADE")
    mixture_id: Mapped[uuid.UUID | None] = reference("mixtures", "CASCADE")
    mixture_version: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(100), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    confidence_level: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(50))
    details: Mapped[dict[str, Any]] = json_object()

    @classmethod
    def extra_table_args(cls) -> tuple[Any, ...]:
        return (
            CheckConstraint(
                "confidence_level IS NULL OR (confidence_level > 0 AND confidence_level < 1)",
                name="confidence_level_range",
            ),
            CheckConstraint(
                "lower IS NULL OR upper IS NULL OR lower <= upper", name="interval_ordered"
            ),
        )
