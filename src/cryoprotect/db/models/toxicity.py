"""Kinetic toxicity models fitted to the lab's own exposure experiments (issue 16).

A ``toxicity_models`` row is one version of a named model (versions count per owner and
name, as for ``predictive_models``): the fitted
:class:`~cryoprotect.science.toxicity.KineticToxicityModel` (``model``: its ``as_dict()``
plus the bootstrap ``draws``), the fit's diagnostics (``fit``: parameter table with
intervals and sloppy flags, warnings, AIC/BIC, held-out errors, the data points with
their fitted values), what it was fitted to (``training_data``: experiment ids, row
count, filters) and the terms asked for (``spec``). Ownership and row-level security are
those of every owned table (migration 0015 copies the policies of ``predictive_models``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import (
    Base,
    Owned,
    indexed_name,
    json_object,
    model_version_constraints,
    progress_range,
    version_number,
)


class ToxicityModel(Owned, Base):
    __tablename__ = "toxicity_models"

    name: Mapped[str] = indexed_name(200)
    version: Mapped[int] = version_number()
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="queued")
    spec: Mapped[dict[str, Any]] = json_object()
    model: Mapped[dict[str, Any]] = json_object()
    fit: Mapped[dict[str, Any]] = json_object()
    training_data: Mapped[dict[str, Any]] = json_object()
    verified: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    progress: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    training_seconds: Mapped[float | None] = mapped_column(Float)

    @classmethod
    def extra_table_args(cls) -> tuple[Any, ...]:
        return (
            *model_version_constraints(),
            progress_range(),
            CheckConstraint("status <> 'ready' OR model <> '{}'::jsonb", name="ready_has_model"),
        )
