"""Material forms of library molecules: the hydrate, salt or solvate a scientist weighs
(issue 18). The molecule (the standardised parent) stays the identity; a form adds its
counter-ions/solvent, Hill formula and molar mass (computed by RDKit, migration 0020)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Float, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import (
    Base,
    Owned,
    in_check,
    json_array,
    required_reference,
    unique_per_scope,
)

FORM_KINDS = ("hydrate", "salt", "salt hydrate", "solvate", "free form")


class MaterialForm(Owned, Base):
    __tablename__ = "material_forms"

    molecule_id: Mapped[uuid.UUID] = required_reference("molecules", "CASCADE")
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    components: Mapped[list[Any]] = json_array()
    components_key: Mapped[str] = mapped_column(Text, nullable=False)
    formula: Mapped[str] = mapped_column(String(200), nullable=False)
    molar_mass: Mapped[float] = mapped_column(Float, nullable=False)
    water_per_parent: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    supplier: Mapped[str | None] = mapped_column(String(200))
    cas: Mapped[str | None] = mapped_column(String(20))

    @classmethod
    def extra_table_args(cls) -> tuple[Any, ...]:
        return (
            CheckConstraint(in_check("kind", FORM_KINDS), name="kind"),
            CheckConstraint("molar_mass > 0", name="molar_mass_positive"),
            CheckConstraint("water_per_parent >= 0", name="water_per_parent_non_negative"),
            CheckConstraint(r"cas IS NULL OR cas ~ '^[0-9]{2,7}-[0-9]{2}-[0-9]$'", name="cas"),
            *unique_per_scope("material_forms", "components", "molecule_id", "components_key"),
        )
