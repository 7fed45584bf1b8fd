"""Typed SQLAlchemy 2.0 models for the whole data model of DESIGN.md.

The models describe the schema for queries and for the health check's schema validation;
the schema itself (with its row-level security) is created only by the Alembic
migrations in ``db/migrations``. No Flask imports here.

Ownership columns: every user-owned row has ``created_by`` (ON DELETE RESTRICT: an
account that still owns data cannot vanish silently), an optional ``team_id``
(ON DELETE RESTRICT: a team that still holds data cannot be dropped) and ``visibility``
in {private, team, public}; ``team`` visibility requires a team.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

VISIBILITIES = ("private", "team", "public")
PROVENANCES = ("measured", "fitted", "estimated", "computed")
COMPOSITION_UNITS = (
    "mol/L",
    "mmol/L",
    "mol/kg",
    "% w/w",
    "% w/v",
    "% v/v",
    "g/L",
    "mole fraction",
)
COMPONENT_ROLES = ("cpa", "carrier", "buffer", "salt", "additive", "other")
VERIFICATION_STATUSES = ("unverified", "pending", "verified", "rejected")
MOLECULE_CLASSES = (
    "permeating",
    "non-permeating",
    "polymer",
    "protein",
    "salt",
    "biological",
    "other",
)
MOLECULE_KINDS = ("structure", "no_structure")
MODEL_STATUSES = ("queued", "training", "ready", "failed", "archived")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
AUDIT_ACTIONS = ("INSERT", "UPDATE", "DELETE")
INVITATION_STATUSES = ("pending", "accepted", "declined")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class Owned(Timestamps):
    """Columns and constraints shared by every user-owned table."""

    @declared_attr
    def created_by(cls) -> Mapped[uuid.UUID]:  # noqa: N805
        return mapped_column(
            UUID(as_uuid=True),
            ForeignKey("auth.users.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
        )

    @declared_attr
    def team_id(cls) -> Mapped[uuid.UUID | None]:  # noqa: N805
        return mapped_column(
            UUID(as_uuid=True),
            ForeignKey("teams.id", ondelete="RESTRICT"),
            nullable=True,
            index=True,
        )

    @declared_attr
    def visibility(cls) -> Mapped[str]:  # noqa: N805
        return mapped_column(String(16), nullable=False, server_default="private", index=True)

    @classmethod
    def owned_constraints(cls) -> tuple[CheckConstraint, ...]:
        return (
            CheckConstraint(_in("visibility", VISIBILITIES), name="visibility"),
            CheckConstraint(
                "visibility <> 'team' OR team_id IS NOT NULL", name="team_visibility_needs_team"
            ),
        )


# --------------------------------------------------------------------- auth schema
class User(Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", text("lower(email)"), unique=True),
        {"schema": "auth"},
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = {"schema": "auth"}

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = {"schema": "auth"}

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class RevokedToken(Base):
    """An access token (by its ``jti``) signed out before it expired (migration 0013)."""

    __tablename__ = "revoked_tokens"
    __table_args__ = {"schema": "auth"}

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )
    revoked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


# ------------------------------------------------------------------------ teams
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


class Team(Timestamps, Base):
    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )


class UserTeamMembership(Timestamps, Base):
    __tablename__ = "user_team_membership"
    __table_args__ = (UniqueConstraint("user_id", "team_id"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    team_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("team_roles.id", ondelete="RESTRICT"), nullable=False, index=True
    )


class TeamInvitation(Timestamps, Base):
    """An invitation of an e-mail address into a team with a role (migration 0011).

    Readable by the team's managers and by the invitee; answered only by the invitee
    (``public.respond_to_team_invitation``), which creates the membership on acceptance.
    """

    __tablename__ = "team_invitations"
    __table_args__ = (
        CheckConstraint(_in("status", INVITATION_STATUSES), name="status"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        Index(
            "uq_team_invitations_pending",
            "team_id",
            "email",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    team_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True
    )
    email: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    role_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("team_roles.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    invited_by: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        nullable=False,
        server_default=text("now() + interval '14 days'"),
    )
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -------------------------------------------------------------------- molecules
class Molecule(Owned, Base):
    __tablename__ = "molecules"

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    sources: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    # Added in 0003: components without a single structure, standardisation record, fingerprint.
    kind: Mapped[str] = mapped_column(String(16), nullable=False, server_default="structure")
    average_molar_mass: Mapped[float | None] = mapped_column(Float)
    standardization: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    morgan_fp: Mapped[bytes | None] = mapped_column(LargeBinary)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return (
            *Owned.owned_constraints(),
            CheckConstraint(_in("kind", MOLECULE_KINDS), name="kind"),
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
            Index(
                "uq_molecules_public_no_structure_name",
                text("lower(name)"),
                unique=True,
                postgresql_where=text("kind = 'no_structure' AND visibility = 'public'"),
            ),
            CheckConstraint(
                "molecular_weight IS NULL OR molecular_weight > 0", name="molecular_weight_positive"
            ),
            CheckConstraint("pubchem_cid IS NULL OR pubchem_cid > 0", name="pubchem_cid_positive"),
            CheckConstraint(
                "molecule_class IS NULL OR " + _in("molecule_class", MOLECULE_CLASSES),
                name="molecule_class",
            ),
            CheckConstraint("smiles IS NOT NULL OR name IS NOT NULL", name="named_or_structured"),
            # One record per structure per scope: public, per owner (private), per team.
            Index(
                "uq_molecules_public_inchikey",
                "inchikey",
                unique=True,
                postgresql_where=text("visibility = 'public'"),
            ),
            Index(
                "uq_molecules_private_inchikey",
                "created_by",
                "inchikey",
                unique=True,
                postgresql_where=text("visibility = 'private'"),
            ),
            Index(
                "uq_molecules_team_inchikey",
                "team_id",
                "inchikey",
                unique=True,
                postgresql_where=text("visibility = 'team'"),
            ),
        )


class MolecularProperty(Timestamps, Base):
    __tablename__ = "molecular_properties"
    __table_args__ = (
        Index("ix_molecular_properties_property_name_value", "property_name", "value"),
        CheckConstraint(_in("provenance", PROVENANCES), name="provenance"),
        UniqueConstraint("molecule_id", "property_name", "method"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    molecule_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("molecules.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    property_name: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(50))
    method: Mapped[str] = mapped_column(String(200), nullable=False)
    provenance: Mapped[str] = mapped_column(String(16), nullable=False)
    source: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )


# --------------------------------------------------------------------- mixtures
class Mixture(Owned, Base):
    __tablename__ = "mixtures"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    carrier: Mapped[str | None] = mapped_column(String(200))
    sources: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return (
            *Owned.owned_constraints(),
            CheckConstraint("version >= 1", name="version_positive"),
        )


class MixtureVersion(Base):
    """Immutable snapshot of one version of a mixture (added in 0005)."""

    __tablename__ = "mixture_versions"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("mixture_id", "version"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    mixture_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("mixtures.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    carrier: Mapped[str | None] = mapped_column(String(200))
    components: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    created_by: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class MixtureComponent(Timestamps, Base):
    __tablename__ = "mixture_components"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint(_in("unit", COMPOSITION_UNITS), name="unit"),
        CheckConstraint("role IS NULL OR " + _in("role", COMPONENT_ROLES), name="role"),
        UniqueConstraint("mixture_id", "molecule_id"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    mixture_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("mixtures.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    molecule_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("molecules.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    amount: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(20), nullable=False)
    role: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )


# ------------------------------------------------------------ biology & protocols
class CellType(Owned, Base):
    __tablename__ = "cell_types"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    species: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    sources: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return Owned.owned_constraints()


class Protocol(Owned, Base):
    __tablename__ = "protocols"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    mixture_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("mixtures.id", ondelete="SET NULL"), index=True
    )
    cell_type_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("cell_types.id", ondelete="SET NULL"), index=True
    )
    steps: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    design: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    toxicity_cost: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return Owned.owned_constraints()


class Experiment(Owned, Base):
    __tablename__ = "experiments"

    id: Mapped[uuid.UUID] = _uuid_pk()
    title: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    mixture_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("mixtures.id", ondelete="RESTRICT"), index=True
    )
    mixture_version: Mapped[int | None] = mapped_column(Integer)
    protocol_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("protocols.id", ondelete="SET NULL"), index=True
    )
    cell_type_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("cell_types.id", ondelete="SET NULL"), index=True
    )
    conditions: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    results: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    performed_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str | None] = mapped_column(String(200))
    protocol_text: Mapped[str | None] = mapped_column(Text)
    biological_system: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    attachments: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    verification_status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default="unverified", index=True
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return (
            *Owned.owned_constraints(),
            CheckConstraint(
                _in("verification_status", VERIFICATION_STATUSES), name="verification_status"
            ),
        )


class LabVerification(Timestamps, Base):
    __tablename__ = "lab_verifications"
    __table_args__ = (
        CheckConstraint(_in("status", ("pending", "verified", "rejected")), name="status"),
        Index("ix_lab_verifications_experiment_created", "experiment_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    experiment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    verifier_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("auth.users.id", ondelete="RESTRICT"), index=True
    )
    notes: Mapped[str | None] = mapped_column(Text)
    equipment: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("auth.users.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )


# ------------------------------------------------------------------ ML artefacts
class Dataset(Owned, Base):
    __tablename__ = "datasets"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(300), nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    rows: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    sources: Mapped[list[Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )

    target_names: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return (
            Index(
                "uq_datasets_public_name",
                "name",
                unique=True,
                postgresql_where=text("visibility = 'public'"),
            ),
            *Owned.owned_constraints(),
            CheckConstraint("row_count >= 0", name="row_count_non_negative"),
        )


class PredictiveModel(Owned, Base):
    __tablename__ = "predictive_models"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    algorithm: Mapped[str] = mapped_column(String(100), nullable=False)
    target: Mapped[str] = mapped_column(String(100), nullable=False)
    dataset_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("datasets.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="queued")
    metrics: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    manifest: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
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

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return (
            *Owned.owned_constraints(),
            CheckConstraint("version >= 1", name="version_positive"),
            CheckConstraint(_in("status", MODEL_STATUSES), name="status"),
            UniqueConstraint("created_by", "name", "version"),
            CheckConstraint("level IS NULL OR (level > 0 AND level < 1)", name="level_range"),
            CheckConstraint(
                "progress IS NULL OR (progress >= 0 AND progress <= 1)", name="progress_range"
            ),
            CheckConstraint(
                "status <> 'ready' OR artifact_sha256 IS NOT NULL", name="ready_has_artifact"
            ),
            Index(
                "uq_predictive_models_active_target",
                "created_by",
                "target",
                unique=True,
                postgresql_where=text("is_active"),
            ),
        )


class Prediction(Owned, Base):
    __tablename__ = "predictions"

    id: Mapped[uuid.UUID] = _uuid_pk()
    model_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("predictive_models.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    mixture_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("mixtures.id", ondelete="CASCADE"), index=True
    )
    mixture_version: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(100), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    confidence_level: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(50))
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805
        return (
            *Owned.owned_constraints(),
            CheckConstraint(
                "confidence_level IS NULL OR (confidence_level > 0 AND confidence_level < 1)",
                name="confidence_level_range",
            ),
            CheckConstraint(
                "lower IS NULL OR upper IS NULL OR lower <= upper", name="interval_ordered"
            ),
        )


# ------------------------------------------------------------------- operations
FEATURE_FLAG_KEY_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$"


class FeatureFlag(Timestamps, Base):
    """A feature flag: the global default (``enabled``) and the share of signed-in users
    (``rollout_percentage``) an enabled flag reaches. Evaluated by ``ops.flags``."""

    __tablename__ = "feature_flags"
    __table_args__ = (
        CheckConstraint("rollout_percentage BETWEEN 0 AND 100", name="rollout_percentage_range"),
        CheckConstraint(f"key ~ '{FEATURE_FLAG_KEY_PATTERN}'", name="key_format"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
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
        Index(
            "uq_feature_flag_overrides_flag_team",
            "flag_id",
            "team_id",
            unique=True,
            postgresql_where=text("team_id IS NOT NULL"),
        ),
        Index(
            "uq_feature_flag_overrides_flag_user",
            "flag_id",
            "user_id",
            unique=True,
            postgresql_where=text("user_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    flag_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("feature_flags.id", ondelete="CASCADE"), nullable=False
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("auth.users.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """A background job: status and result readable by its owner from any web worker."""

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint(_in("status", JOB_STATUSES), name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("auth.users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="queued")
    result: Mapped[Any | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Added in 0012: a request to stop (public.request_job_cancel) and the model it trains.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    model_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("predictive_models.id", ondelete="SET NULL"), index=True
    )


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_log_table_row", "table_name", "row_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("auth.users.id", ondelete="SET NULL"), index=True
    )
    actor_role: Mapped[str | None] = mapped_column(String(50))
    table_name: Mapped[str] = mapped_column(String(100), nullable=False)
    row_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    old_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    new_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
