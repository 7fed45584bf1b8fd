"""Typed SQLAlchemy 2.0 models for the whole data model of DESIGN.md.

The models describe the schema for queries and for the health check's schema validation;
the schema itself (with its row-level security) is created only by the Alembic
migrations in ``db/migrations``. No Flask imports here.

Ownership columns: every user-owned row has ``created_by`` (ON DELETE RESTRICT: an
account that still owns data cannot vanish silently), an optional ``team_id``
(ON DELETE RESTRICT: a team that still holds data cannot be dropped) and ``visibility``
in {private, team, public}; ``team`` visibility requires a team.

One module per domain (:mod:`.auth`, :mod:`.teams`, :mod:`.molecules`, :mod:`.mixtures`,
:mod:`.lab`, :mod:`.ml`, :mod:`.operations`); :mod:`.base` holds the declarative base, the
allowed values and the mixins. ``created_by`` is declared once, in
:class:`~cryoprotect.db.models.base.CreatedBy` (which :class:`Owned` extends).
"""

from cryoprotect.db.models.auth import (
    ApiToken,
    RefreshToken,
    RevokedToken,
    User,
)
from cryoprotect.db.models.base import (
    AUDIT_ACTIONS,
    COMPONENT_ROLES,
    COMPOSITION_UNITS,
    INVITATION_STATUSES,
    JOB_STATUSES,
    MODEL_STATUSES,
    MOLECULE_CLASSES,
    MOLECULE_KINDS,
    NAMING_CONVENTION,
    PROVENANCES,
    VERIFICATION_STATUSES,
    VISIBILITIES,
    Base,
    CreatedBy,
    Owned,
    TeamScoped,
    Timestamps,
)
from cryoprotect.db.models.lab import (
    CellType,
    Experiment,
    LabVerification,
    Protocol,
)
from cryoprotect.db.models.material_forms import FORM_KINDS, MaterialForm
from cryoprotect.db.models.mixtures import (
    Mixture,
    MixtureComponent,
    MixtureVersion,
)
from cryoprotect.db.models.ml import (
    Dataset,
    Prediction,
    PredictiveModel,
)
from cryoprotect.db.models.molecules import (
    MolecularProperty,
    Molecule,
)
from cryoprotect.db.models.operations import (
    FEATURE_FLAG_KEY_PATTERN,
    AuditLog,
    FeatureFlag,
    FeatureFlagOverride,
    Job,
)
from cryoprotect.db.models.sharing import SHARE_MAX_DAYS, SHARE_RESOURCE_TYPES, ShareLink
from cryoprotect.db.models.teams import (
    Team,
    TeamInvitation,
    TeamRole,
    UserTeamMembership,
)
from cryoprotect.db.models.toxicity import ToxicityModel

__all__ = [
    "TeamScoped",
    "AUDIT_ACTIONS",
    "ApiToken",
    "AuditLog",
    "Base",
    "COMPONENT_ROLES",
    "COMPOSITION_UNITS",
    "CellType",
    "CreatedBy",
    "Dataset",
    "Experiment",
    "FEATURE_FLAG_KEY_PATTERN",
    "FeatureFlag",
    "FeatureFlagOverride",
    "INVITATION_STATUSES",
    "JOB_STATUSES",
    "Job",
    "LabVerification",
    "MODEL_STATUSES",
    "MOLECULE_CLASSES",
    "MOLECULE_KINDS",
    "Mixture",
    "MixtureComponent",
    "FORM_KINDS",
    "MaterialForm",
    "MixtureVersion",
    "MolecularProperty",
    "Molecule",
    "NAMING_CONVENTION",
    "Owned",
    "PROVENANCES",
    "Prediction",
    "PredictiveModel",
    "Protocol",
    "RefreshToken",
    "RevokedToken",
    "Team",
    "TeamInvitation",
    "TeamRole",
    "SHARE_MAX_DAYS",
    "SHARE_RESOURCE_TYPES",
    "ShareLink",
    "Timestamps",
    "ToxicityModel",
    "User",
    "UserTeamMembership",
    "VERIFICATION_STATUSES",
    "VISIBILITIES",
]
