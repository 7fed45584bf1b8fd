"""Account administration (issue 18): platform administrators list accounts, deactivate and
reactivate them, grant and revoke administrator rights, issue one-time password-reset links,
and read the audit log.

Rules this module owns:

* Every administrator action runs as the service role *on behalf of* the administrator
  (``Identity.service(admin_id)``), so the database's audit triggers record who did it; each
  is one transaction.
* Deactivating an account ends everything it is signed in with at once: its refresh tokens
  and personal API tokens are revoked (``revoked_at``), access tokens issued before now are
  refused (``users.credentials_revoked_at``, migration 0019), and unspent reset links are
  revoked. Its data stays. A deactivated account cannot sign in (``AuthService.login``).
* No change may leave the platform without an active administrator (:class:`Conflict`):
  in practice an administrator cannot demote or deactivate themselves when they are the
  last one. Changes of admin rights and activity serialise on one advisory lock.
* A reset link holds a random token of which only the SHA-256 is stored; it is valid for
  :data:`RESET_LINK_TTL` and once. The link is written to the server log (logger
  ``cryoprotect.accounts``, WARNING, with the account's e-mail) and never returned to the
  API caller; the operator's CLI prints it too. Setting the new password spends the link,
  revokes the account's other links, and ends its sessions as deactivation does.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.models import ApiToken, AuditLog, RefreshToken, User
from cryoprotect.db.models.auth import PasswordResetToken
from cryoprotect.errors import Conflict, NotFound, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import new_password_hash, normalise_email
from cryoprotect.services.common import DEFAULT_PER_PAGE, Page, paginate

RESET_LINK_TTL = timedelta(hours=1)
AUDIT_ACTIONS = ("INSERT", "UPDATE", "DELETE")
#: Keys of an audited row that change on every write and say nothing about what changed.
_NOISE = frozenset({"updated_at"})

log = logging.getLogger("cryoprotect.accounts")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account as administrators see it (never its password hash)."""

    id: uuid.UUID
    email: str
    display_name: str | None
    is_admin: bool
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> AccountRecord:
        return cls(
            user.id,
            user.email,
            user.display_name,
            user.is_admin,
            user.is_active,
            user.created_at,
            user.last_login_at,
        )


@dataclass(frozen=True, slots=True)
class ResetLinkIssued:
    """A reset link was written to the server log (the link itself is not here)."""

    user_id: uuid.UUID
    email: str
    expires_at: datetime
    message: str


@dataclass(frozen=True, slots=True)
class ResetLinkStatus:
    """A usable reset link: whose account it resets and until when."""

    email: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuditChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit-log row: when, who (id, e-mail, database role), what (table, action, row)
    and, for an UPDATE, the fields that changed."""

    id: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_email: str | None
    actor_role: str | None
    table_name: str
    row_id: str | None
    action: str
    label: str | None
    changes: list[AuditChange]
    old_data: dict[str, Any] | None
    new_data: dict[str, Any] | None


class ResetLinkGone(NotFound):
    """The reset link existed but was used, superseded or has expired (the API answers 410)."""

    code = "gone"


def _label(row: dict[str, Any] | None) -> str | None:
    """A human name for an audited row: its e-mail, name, key or title, if it has one."""
    for key in ("email", "name", "key", "title", "smiles"):
        if row and isinstance(row.get(key), str) and row[key]:
            return str(row[key])
    return None


def _changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[AuditChange]:
    if old is None or new is None:
        return []
    return [
        AuditChange(k, old.get(k), new.get(k))
        for k in sorted(set(old) | set(new))
        if k not in _NOISE and old.get(k) != new.get(k)
    ]


class AdminUserService:
    """Account administration and the audit log, for platform administrators."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------ listing
    def list_users(
        self,
        actor: Actor,
        *,
        q: str | None = None,
        active: bool | None = None,
        admin: bool | None = None,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> Page[AccountRecord]:
        """Accounts (not the reference-data owner), newest first; ``q`` matches e-mail or
        display name (case-insensitive substring)."""
        actor.require_admin()
        query = sa.select(User).where(User.id != SYSTEM_USER_ID)
        text = (q or "").strip()
        if text:
            pattern = _contains(text)
            query = query.where(sa.or_(User.email.ilike(pattern), User.display_name.ilike(pattern)))
        if active is not None:
            query = query.where(User.is_active.is_(active))
        if admin is not None:
            query = query.where(User.is_admin.is_(admin))
        query = query.order_by(User.created_at.desc(), User.id)
        with self.db.transaction(Identity.service(actor.user_id)) as session:
            return paginate(session, query, page, per_page).map(AccountRecord.of)

    def get_user(self, actor: Actor, user_id: uuid.UUID) -> AccountRecord:
        actor.require_admin()
        with self.db.transaction(Identity.service(actor.user_id)) as session:
            return AccountRecord.of(_account(session, user_id))

    # ------------------------------------------------------------ changes
    def update(
        self,
        actor: Actor,
        user_id: uuid.UUID,
        *,
        is_active: bool | None = None,
        is_admin: bool | None = None,
    ) -> AccountRecord:
        """Deactivate or reactivate an account, grant or revoke administrator rights (each
        given flag; both in one transaction). Deactivating ends every session and token of
        the account at once; its data stays.

        Raises:
            NotFound: no such account.
            Conflict: the change would leave no active administrator.
        """
        actor.require_admin()
        if is_active is None and is_admin is None:
            raise ValidationError("Give is_active, is_admin or both.", field="is_active")
        with self.db.transaction(Identity.service(actor.user_id)) as session:
            _lock_admins(session)
            user = _account(session, user_id)
            demoted = is_admin is False and user.is_admin
            deactivated = is_active is False and user.is_active
            if deactivated:  # its statements flush; the account's columns change below
                _end_sessions(session, user)
            if is_admin is not None:
                user.is_admin = is_admin
            if is_active is not None:
                user.is_active = is_active
            session.flush()  # one UPDATE of the account, one audit row
            if demoted or deactivated:
                verb = "deactivate" if deactivated else "revoke administrator rights from"
                _require_an_admin(session, verb, field="is_active" if deactivated else "is_admin")
            return AccountRecord.of(user)

    # ---------------------------------------------------- password resets
    def request_password_reset(
        self, actor: Actor, user_id: uuid.UUID, link_for: Callable[[str], str]
    ) -> ResetLinkIssued:
        """Issue a one-time reset link for an account and write it to the server log.

        Args:
            link_for: the web address of the reset page for a token.

        Raises:
            NotFound: no such account.
            Conflict: the account is deactivated (reactivate it first).
        """
        actor.require_admin()
        issued, _link = self._issue(Identity.service(actor.user_id), link_for, user_id=user_id)
        return issued

    def reset_link_for_email(
        self, email: str, link_for: Callable[[str], str]
    ) -> tuple[ResetLinkIssued, str]:
        """The operator's ``cryoprotect users reset-link EMAIL``: the link is logged *and*
        returned, for the person at the server's console.

        Raises:
            ValidationError: malformed e-mail. NotFound: no such account.
            Conflict: the account is deactivated.
        """
        return self._issue(Identity.service(), link_for, email=normalise_email(email))

    def _issue(
        self,
        identity: Identity,
        link_for: Callable[[str], str],
        *,
        user_id: uuid.UUID | None = None,
        email: str | None = None,
    ) -> tuple[ResetLinkIssued, str]:
        token = secrets.token_urlsafe(32)
        with self.db.transaction(identity) as session:
            if user_id is not None:
                user = _account(session, user_id)
            else:
                found = session.scalar(
                    sa.select(User).where(
                        sa.func.lower(User.email) == email, User.id != SYSTEM_USER_ID
                    )
                )
                if found is None:
                    raise NotFound(f"No account {email}.", details={"field": "email"})
                user = found
            if not user.is_active:
                raise Conflict(
                    f"{user.email} is deactivated; reactivate the account before resetting "
                    "its password.",
                    details={"field": "is_active"},
                )
            now = _db_now(session)
            _revoke_reset_links(session, user.id, now)
            row = PasswordResetToken(
                user_id=user.id,
                token_hash=_digest(token),
                created_by=None if identity.user_id == SYSTEM_USER_ID else identity.user_id,
                created_at=now,
                expires_at=now + RESET_LINK_TTL,
            )
            session.add(row)
            session.flush()
            issued = ResetLinkIssued(
                user.id,
                user.email,
                row.expires_at,
                "A one-time link was written to the server log. It works once, until "
                f"{row.expires_at:%Y-%m-%d %H:%M} UTC.",
            )
        link = link_for(token)
        log.warning(
            "Password reset link for %s (valid once, until %s UTC): %s",
            issued.email,
            f"{issued.expires_at:%Y-%m-%d %H:%M:%S}",
            link,
            extra={
                "event": "password_reset_link",
                "email": issued.email,
                "user_id": str(issued.user_id),
                "expires_at": issued.expires_at.isoformat(),
                "reset_url": link,
            },
        )
        return issued, link

    def reset_link_status(self, token: str) -> ResetLinkStatus:
        """Whose password a link resets, if it is still usable.

        Raises:
            NotFound: no such link. ResetLinkGone: used, superseded or expired.
        """
        with self.db.transaction(Identity.service()) as session:
            row, user = _usable_link(session, token, lock=False)
            return ResetLinkStatus(user.email, row.expires_at)

    def reset_password(self, token: str, password: str) -> ResetLinkStatus:
        """Set a new password with a reset link: the link is spent, the account's other
        links revoked and all its sessions and tokens ended, in one transaction.

        Raises:
            ValidationError: password too short or too long (field ``password``).
            NotFound / ResetLinkGone: the link is unknown, used, superseded or expired.
        """
        password_hash = new_password_hash(password)
        with self.db.transaction(Identity.service()) as session:
            row, user = _usable_link(session, token, lock=True)
            now = _db_now(session)
            row.used_at = now
            _revoke_reset_links(session, user.id, now)
            _end_sessions(session, user, now)
            user.password_hash = password_hash  # flushed with the cut-off: one audit row
            return ResetLinkStatus(user.email, row.expires_at)

    # ------------------------------------------------------------ audit log
    def audit_tables(self, actor: Actor) -> list[str]:
        """The tables whose changes the database audits (from the triggers themselves)."""
        actor.require_admin()
        with self.db.transaction(Identity.service(actor.user_id)) as session:
            return list(
                session.scalars(
                    sa.text(
                        "SELECT DISTINCT c.relname FROM pg_trigger t "
                        "JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE t.tgname IN ('audit_row', 'audit_row_update') "
                        "AND NOT t.tgisinternal ORDER BY 1"
                    )
                )
            )

    def audit_log(
        self,
        actor: Actor,
        *,
        table: str | None = None,
        action: str | None = None,
        actor_id: uuid.UUID | None = None,
        actor_email: str | None = None,
        row_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> Page[AuditEntry]:
        """Audit-log rows matching every filter given, newest first.

        Raises:
            ValidationError: unknown action, or ``until`` before ``since``.
        """
        actor.require_admin()
        if action is not None and action.upper() not in AUDIT_ACTIONS:
            raise ValidationError(
                f"action must be one of {', '.join(AUDIT_ACTIONS)}.", field="action"
            )
        if since is not None and until is not None and until < since:
            raise ValidationError("'until' is before 'since'.", field="until")
        who = sa.orm.aliased(User)
        query = sa.select(AuditLog, who.email).outerjoin(who, who.id == AuditLog.actor_id)
        if table:
            query = query.where(AuditLog.table_name == table.strip())
        if action:
            query = query.where(AuditLog.action == action.upper())
        if actor_id is not None:
            query = query.where(AuditLog.actor_id == actor_id)
        if actor_email and actor_email.strip():
            query = query.where(who.email.ilike(_contains(actor_email.strip())))
        if row_id and row_id.strip():
            query = query.where(AuditLog.row_id == row_id.strip())
        if since is not None:
            query = query.where(AuditLog.occurred_at >= since)
        if until is not None:
            query = query.where(AuditLog.occurred_at <= until)
        query = query.order_by(AuditLog.occurred_at.desc(), AuditLog.id.desc())
        per_page = max(1, min(per_page, 100))
        page = max(1, page)
        with self.db.transaction(Identity.service(actor.user_id)) as session:
            total = session.scalar(
                sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
            )
            rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
            items = [_entry(r.AuditLog, r.email) for r in rows]
        return Page(items, int(total or 0), page, per_page)


# ----------------------------------------------------------------- helpers
def _contains(text: str) -> str:
    """An ILIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def _entry(row: AuditLog, email: str | None) -> AuditEntry:
    old, new = row.old_data, row.new_data
    return AuditEntry(
        id=row.id,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        actor_email=email,
        actor_role=row.actor_role,
        table_name=row.table_name,
        row_id=row.row_id,
        action=row.action,
        label=_label(new) or _label(old),
        changes=_changes(old, new),
        old_data=old,
        new_data=new,
    )


def _db_now(session: Session) -> datetime:
    return session.execute(sa.select(sa.func.now())).scalar_one()


def _account(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id) if user_id != SYSTEM_USER_ID else None
    if user is None:
        raise NotFound("No such account.", details={"id": str(user_id)})
    return user


def _lock_admins(session: Session) -> None:
    """Serialise changes of who is an active administrator (the last-admin rule)."""
    session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('cryoprotect.admins'))"))


def _require_an_admin(session: Session, verb: str, *, field: str) -> None:
    left = session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.is_admin.is_(True), User.is_active.is_(True), User.id != SYSTEM_USER_ID)
    )
    if not left:
        raise Conflict(
            f"Cannot {verb} the last active administrator: make another account an "
            "administrator first.",
            details={"field": field, "rule": "last_admin"},
        )


def _end_sessions(session: Session, user: User, now: datetime | None = None) -> None:
    """Revoke every refresh token, API token and reset link of ``user`` and refuse access
    tokens issued before now."""
    now = now or _db_now(session)
    for model in (RefreshToken, ApiToken):
        session.execute(
            sa.update(model)
            .where(model.user_id == user.id, model.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    _revoke_reset_links(session, user.id, now)
    user.credentials_revoked_at = now


def _revoke_reset_links(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        sa.update(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user_id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def _usable_link(session: Session, token: str, *, lock: bool) -> tuple[PasswordResetToken, User]:
    query = sa.select(PasswordResetToken).where(
        PasswordResetToken.token_hash == _digest(token or "")
    )
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound("This password-reset link is not valid. Ask an administrator for a new one.")
    if row.used_at is not None:
        raise ResetLinkGone("This password-reset link has already been used.")
    if row.revoked_at is not None:
        raise ResetLinkGone("This password-reset link was replaced by a newer one.")
    if row.expires_at <= _db_now(session):
        raise ResetLinkGone(
            "This password-reset link has expired. Ask an administrator for a new one."
        )
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ResetLinkGone("The account of this password-reset link is deactivated.")
    return row, user
