"""Read-only share links: make, list and revoke links to one mixture, protocol or
experiment, and resolve a link's token for a caller without an account.

The token (256 random bits, URL-safe) is returned once, when the link is made; only its
SHA-256 is stored. Who may make, see and revoke a link is decided by the policies of
migration 0018 (the record is public, or the caller's, or a team record of a team the
caller administers); this module only asks. An anonymous caller reaches the record through
``public.resolve_share_link(hash)`` alone, which returns that record's own columns and
nothing else.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity, rows_changed
from cryoprotect.db.models import (
    SHARE_MAX_DAYS,
    SHARE_RESOURCE_TYPES,
    Experiment,
    Mixture,
    Protocol,
    ShareLink,
)
from cryoprotect.errors import NotFound, PermissionDenied, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import (
    DEFAULT_PER_PAGE,
    Page,
    inserted,
    narrowed,
    paginate,
    record_from,
)

TOKEN_BYTES = 32
DEFAULT_DAYS = 7
#: ``secrets.token_urlsafe(32)``: 43 characters of the URL-safe base64 alphabet.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
MODELS: dict[str, Any] = {"mixture": Mixture, "protocol": Protocol, "experiment": Experiment}


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class ShareLinkRecord:
    """A share link as its creator (or an admin of its team) sees it; never the token."""

    id: uuid.UUID
    resource_type: str
    resource_id: uuid.UUID
    team_id: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: str

    @classmethod
    def of(cls, row: ShareLink, now: datetime) -> ShareLinkRecord:
        if row.revoked_at is not None:
            status = "revoked"
        elif row.expires_at <= now:
            status = "expired"
        else:
            status = "active"
        return record_from(cls, row, status=status)


@dataclass(frozen=True, slots=True)
class NewShareLink:
    """A link just made, with its token (shown this once; only its hash is kept)."""

    link: ShareLinkRecord
    token: str


@dataclass(frozen=True, slots=True)
class SharedRecord:
    """What an anonymous holder of a valid token sees: the record's own columns."""

    resource_type: str
    expires_at: datetime
    record: dict[str, Any]


class LinkGone(NotFound):
    """The link existed but was revoked or has expired (the API answers 410)."""

    code = "gone"


class ShareLinkService:
    """Share links under the caller's identity; resolution as the anonymous role."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        actor: Actor,
        *,
        resource: str,
        resource_id: uuid.UUID,
        expires_in_days: int = DEFAULT_DAYS,
    ) -> NewShareLink:
        """Make a link to one visible record, valid for ``expires_in_days`` (1 to 90) days.

        Raises:
            ValidationError: unknown resource type or expiry outside 1 to 90 days.
            NotFound: no such record visible to the caller.
            PermissionDenied: visible, but the caller may not share it.
        """
        user_id = actor.require_user()
        if resource not in SHARE_RESOURCE_TYPES:
            raise ValidationError(
                f"resource must be one of {', '.join(SHARE_RESOURCE_TYPES)}.", field="resource"
            )
        if not isinstance(expires_in_days, int) or not 1 <= expires_in_days <= SHARE_MAX_DAYS:
            raise ValidationError(
                f"A link expires after 1 to {SHARE_MAX_DAYS} days.", field="expires_in_days"
            )
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self.db.transaction(actor.identity) as session:
            row = session.get(MODELS[resource], resource_id)
            if row is None:
                raise NotFound(f"No such {resource} visible to you.", details={"field": "id"})
            allowed = session.scalar(
                sa.select(sa.func.public.can_share_record(resource, resource_id, row.team_id))
            )
            if not allowed:
                raise PermissionDenied(
                    "Only the owner of this record, or an admin of its team, can share it.",
                    details={"field": "id"},
                )
            link = ShareLink(
                token_hash=token_hash(token),
                resource_type=resource,
                resource_id=resource_id,
                team_id=row.team_id,
                created_by=user_id,
                expires_at=sa.func.now() + sa.func.make_interval(0, 0, 0, expires_in_days),
            )
            return NewShareLink(ShareLinkRecord.of(inserted(session, link), _now(session)), token)

    def list(
        self,
        actor: Actor,
        *,
        resource: str | None = None,
        resource_id: uuid.UUID | None = None,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> Page[ShareLinkRecord]:
        """The links the caller made or administers (newest first), optionally of one record."""
        actor.require_user()
        query = narrowed(
            sa.select(ShareLink).order_by(ShareLink.created_at.desc(), ShareLink.id),
            (ShareLink.resource_type, resource),
            (ShareLink.resource_id, resource_id),
        )
        with self.db.transaction(actor.identity) as session:
            now = _now(session)
            return paginate(session, query, page, per_page).map(
                lambda row: ShareLinkRecord.of(row, now)
            )

    def revoke(self, actor: Actor, link_id: uuid.UUID) -> ShareLinkRecord:
        """Revoke a link now (revoking a revoked link changes nothing)."""
        user_id = actor.require_user()
        with self.db.transaction(actor.identity) as session:
            changed = session.execute(
                sa.update(ShareLink)
                .where(ShareLink.id == link_id, ShareLink.revoked_at.is_(None))
                .values(revoked_at=sa.func.now(), revoked_by=user_id)
                .execution_options(synchronize_session=False)
            )
            rows_changed(changed)
            row = session.get(ShareLink, link_id, populate_existing=True)
            if row is None:
                raise NotFound("No such share link visible to you.")
            return ShareLinkRecord.of(row, _now(session))

    def resolve(self, token: str) -> SharedRecord:
        """The record a token shows, for anyone holding it.

        Raises:
            NotFound: no such link (or a malformed token), or the record is gone.
            LinkGone: the link was revoked or has expired.
        """
        if not TOKEN_PATTERN.fullmatch(token or ""):
            raise NotFound("No such share link.")
        with self.db.transaction(Identity.anonymous()) as session:
            found = session.execute(
                sa.text("SELECT * FROM public.resolve_share_link(:hash)"),
                {"hash": token_hash(token)},
            ).one()
        if found.status in ("revoked", "expired"):
            raise LinkGone(
                f"This share link has been {found.status}.",
                details={"status": found.status, "expires_at": found.expires_at.isoformat()},
            )
        if found.status != "ok":
            raise NotFound("No such share link.")
        return SharedRecord(found.resource_type, found.expires_at, dict(found.record))


def _now(session: Any) -> datetime:
    now: datetime | None = session.scalar(sa.select(sa.func.now()))
    return now if now is not None else datetime.now(UTC)
