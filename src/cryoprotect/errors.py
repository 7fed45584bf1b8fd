"""The domain error tree.

Every failure the services or the science core can report is one of these classes.
Nothing here knows about HTTP: ``api/errors.py`` maps each class to a status code in one
place.
"""

from __future__ import annotations

from typing import Any


class CryoprotectError(Exception):
    """Root of every CryoProtect error.

    Attributes:
        code: a stable machine-readable code (``snake_case``).
        message: a human-readable sentence.
        details: structured context (e.g. ``{"field": "smiles"}``).
    """

    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class ValidationError(CryoprotectError, ValueError):
    """Input is malformed or inconsistent (a field is missing, wrong or out of range)."""

    code = "validation_error"

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        merged = dict(details or {})
        if field is not None:
            merged.setdefault("field", field)
        super().__init__(message, details=merged)
        self.field = field


class InvalidStructureError(ValidationError):
    """A chemical structure could not be parsed or sanitised (RDKit's reason in the message)."""

    code = "invalid_structure"


class InvalidCompositionError(ValidationError):
    """A mixture composition is physically impossible (the offending component is named)."""

    code = "invalid_composition"


class QueryTooComplexError(InvalidStructureError):
    """A search pattern parses, but its matching cost cannot be bounded within the caller's
    limits (recursive SMARTS, long wildcard chains, too many atoms); ``details`` names the
    ``rule``, the ``value`` found and the ``limit``."""

    code = "query_too_complex"


class LimitExceeded(ValidationError):
    """A request asks for more work than a limit allows (e.g. more training rows than an
    algorithm's cap); ``details`` names the field, the limit and the requested amount."""

    code = "limit_exceeded"


class Cancelled(CryoprotectError):
    """Work was stopped because its job was cancelled (by its owner, an administrator, or
    a server shutting down); the message gives the reason."""

    code = "cancelled"


class TimeLimitExceeded(CryoprotectError):
    """Work was stopped because it ran past its wall-clock limit (the message names it)."""

    code = "time_limit_exceeded"


class WorkerDied(CryoprotectError):
    """A worker process ended without an answer (killed from outside, or crashed)."""

    code = "worker_died"


class OutOfDomainError(CryoprotectError, ValueError):
    """A computation was asked for outside the validity range of its parameters."""

    code = "out_of_domain"


class InfeasibleProtocolError(CryoprotectError, ValueError):
    """No protocol can meet the request's constraints (the API answers 422).

    ``details`` names the binding constraint: ``constraint`` (e.g. ``"min_volume_fraction"``),
    ``limit``, ``best_achievable`` and ``phase`` (``"addition"`` or ``"removal"``).
    """

    code = "infeasible_protocol"


class AuthenticationError(CryoprotectError):
    """Credentials or tokens are missing, wrong, expired, tampered with or revoked."""

    code = "unauthorized"


class PermissionDenied(CryoprotectError):
    """The actor may see the resource but may not perform this action on it."""

    code = "forbidden"


class FeatureDisabled(PermissionDenied):
    """The action is behind a feature flag that is off for this actor (``details.flag``)."""

    code = "feature_disabled"


class NotFound(CryoprotectError, LookupError):
    """The resource does not exist or the actor may not see it (deliberately indistinguishable)."""

    code = "not_found"


class Conflict(CryoprotectError):
    """The request conflicts with existing state (duplicate, last admin, stale version)."""

    code = "conflict"


class Busy(CryoprotectError):
    """Too many expensive operations of this kind are running in this process; try again
    after ``details["retry_after_s"]`` seconds (the API answers 429 with Retry-After)."""

    code = "busy"


class DatabaseUnavailable(CryoprotectError):
    """The database cannot be reached or is not at the expected schema revision."""

    code = "database_unavailable"


class EmbeddedServerError(CryoprotectError):
    """The embedded PostgreSQL could not be started, is locked by another instance, or failed."""

    code = "embedded_server_error"


class BackupError(CryoprotectError):
    """A backup could not be made, verified or restored (missing tool, checksum mismatch,
    target not empty, ...); the message says what to do."""

    code = "backup_error"
