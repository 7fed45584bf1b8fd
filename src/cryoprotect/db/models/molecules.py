"""Library molecules, their computed descriptors and their other properties."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from cryoprotect.db.models.base import (
    MOLECULE_CLASSES,
    MOLECULE_KINDS,
    PROVENANCES,
    Authored,
    Base,
    Owned,
    in_check,
    indexed_name,
    json_array,
    json_object,
    partial_unique,
    required_reference,
    server_now,
    unique_per_scope,
)


class Molecule(Owned, Base):
    __tablename__ = "molecules"

    name: Mapped[str | None] = mapped_column(String(300), index=True)
    synonyms: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    smiles: Mapped[str | None] = mapped_column(Text)
    inchi: Mapped[str | None] = mapped_column(Text)
    inchikey: Mapped[str | None] = mapped_column(String(27), index=True)
    formula: Mapped[str | None] = mapped_column(String(200))
    molecular_weight: Mapped[float | None] = mapped_column(Float)
    pubchem_cid: Mapped[int | None] = mapped_column(BigInteger, index=True)
    molecule_class: Mapped[str | None] = mapped_column(String(32))
    sources: Mapped[list[Any]] = json_array()
    # Added in 0003: components without a single structure, standardisation record, fingerprint.
    kind: Mapped[str] = mapped_column(String(16), nullable=False, server_default="structure")
    average_molar_mass: Mapped[float | None] = mapped_column(Float)
    standardization: Mapped[dict[str, Any]] = json_object()
    morgan_fp: Mapped[bytes | None] = mapped_column(LargeBinary)

    @classmethod
    def extra_table_args(cls) -> tuple[Any, ...]:
        return (
            CheckConstraint(in_check("kind", MOLECULE_KINDS), name="kind"),
            CheckConstraint(
                "kind <> 'structure' OR (smiles IS NOT NULL AND inchikey IS NOT NULL)",
                name="structure_has_identifiers",
            ),
            CheckConstraint(
                "kind <> 'no_structure' OR (name IS NOT NULL AND smiles IS NULL)",
                name="no_structure_is_named",
            ),
            CheckConstraint(
                "average_molar_mass IS NULL OR average_molar_mass > 0",
                name="average_molar_mass_positive",
            ),
            partial_unique(
                "uq_molecules_public_no_structure_name",
                text("lower(name)"),
                where="kind = 'no_structure' AND visibility = 'public'",
            ),
            CheckConstraint(
                "molecular_weight IS NULL OR molecular_weight > 0", name="molecular_weight_positive"
            ),
            CheckConstraint("pubchem_cid IS NULL OR pubchem_cid > 0", name="pubchem_cid_positive"),
            CheckConstraint(
                "molecule_class IS NULL OR " + in_check("molecule_class", MOLECULE_CLASSES),
                name="molecule_class",
            ),
            CheckConstraint("smiles IS NOT NULL OR name IS NOT NULL", name="named_or_structured"),
            # One record per structure per scope: public, per owner (private), per team.
            *unique_per_scope("molecules", "inchikey", "inchikey"),
        )


class MolecularProperty(Authored, Base):
    __tablename__ = "molecular_properties"
    __table_args__ = (
        Index("ix_molecular_properties_property_name_value", "property_name", "value"),
        CheckConstraint(in_check("provenance", PROVENANCES), name="provenance"),
        UniqueConstraint("molecule_id", "property_name", "method"),
    )

    molecule_id: Mapped[uuid.UUID] = required_reference("molecules", "CASCADE")
    property_name: Mapped[str] = indexed_name(100)
    value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(50))
    method: Mapped[str] = mapped_column(String(200), nullable=False)
    provenance: Mapped[str] = mapped_column(String(16), nullable=False)
    source: Mapped[str | None] = mapped_column(Text)


class MoleculeDescriptors(Base):
    """A molecule's computed descriptors, one row per molecule (migration 0021).

    ``descriptor_values`` holds the values in the catalogue's order
    (:data:`cryoprotect.services.chemistry.DESCRIPTOR_NAMES`; NULL where one was not
    computed), ``computed_by`` what computed them (``RDKit 2026.09.1``: the prefix of each
    value's method). Read and written through the parent molecule's row-level security; not
    audited (derived from the audited structure, as computed properties were since 0004).
    Measured, fitted and estimated values stay in ``molecular_properties``.
    """

    __tablename__ = "molecule_descriptors"

    molecule_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("molecules.id", ondelete="CASCADE"), primary_key=True
    )
    computed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    descriptor_values: Mapped[list[float | None]] = mapped_column(ARRAY(Float), nullable=False)
    created_at: Mapped[datetime] = server_now()
    alerts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB(none_as_null=True))
    """The structural alerts found with the descriptors (migration 0022), as
    :func:`cryoprotect.science.alerts.encode_alerts` writes them; used only while
    ``alerts_key`` equals :func:`~cryoprotect.science.alerts.alerts_key` (else, or NULL,
    they are found again on read)."""
    alerts_key: Mapped[str | None] = mapped_column(String(64))
