"""Engines, the embedded server's bootstrap, migrations and per-transaction identity.

Two engines per process:

* the **owner** engine (the migration role: ``cryoprotect_owner`` on the embedded server,
  the ``DATABASE_URL`` user otherwise) runs migrations and nothing else;
* the **app** engine connects as the app role (no BYPASSRLS, owns nothing) and serves
  every request. Each transaction first sets the caller's identity with
  ``set_config(..., true)`` so it is scoped to that transaction and can never leak to the
  next user of a pooled connection.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from cryoprotect.db.embedded import EmbeddedPostgres, SupervisorState
from cryoprotect.errors import DatabaseUnavailable
from cryoprotect.settings import Settings

logger = logging.getLogger(__name__)

OWNER_ROLE = "cryoprotect_owner"
DATABASE_NAME = "cryoprotect"
SERVICE_ROLE = "service_role"
SYSTEM_USER_ID = uuid.UUID("00000000-0000-0000-0000-000000000000")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Identity:
    """Who a transaction runs as: ``auth.uid()`` and ``auth.role()`` inside the database.

    Attributes:
        user_id: the authenticated user, or None for anonymous callers.
        role: ``anon``, ``authenticated`` or ``service_role``.
    """

    user_id: uuid.UUID | None = None
    role: str = "anon"

    @classmethod
    def anonymous(cls) -> Identity:
        return cls(None, "anon")

    @classmethod
    def user(cls, user_id: uuid.UUID) -> Identity:
        return cls(user_id, "authenticated")

    @classmethod
    def service(cls, user_id: uuid.UUID | None = None) -> Identity:
        return cls(user_id or SYSTEM_USER_ID, SERVICE_ROLE)


def _alembic_config(app_role: str, connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["app_role"] = app_role
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration revision shipped with this code."""
    script = ScriptDirectory.from_config(_alembic_config("cryoprotect_app"))
    head = script.get_current_head()
    assert head is not None
    return head


class Database:
    """The database a CryoProtect process talks to (embedded or external).

    Args:
        settings: the typed settings; ``settings.database_url`` selects an external server.
        attach: with the embedded server, connect to a server another process owns
            instead of failing (CLI commands beside a running ``serve``).
    """

    def __init__(self, settings: Settings, *, attach: bool = False) -> None:
        self.settings = settings
        self.attach = attach
        self.server: EmbeddedPostgres | None = None
        self._owner_engine: Engine | None = None
        self._app_engine: Engine | None = None

    # ------------------------------------------------------------------ URLs
    def owner_url(self) -> URL:
        if self.settings.database_url is not None:
            url = make_url(self.settings.database_url)
            return url.set(drivername="postgresql+psycopg")
        assert self.server is not None, "call start() first"
        return make_url(self.server.uri(OWNER_ROLE, DATABASE_NAME))

    def app_url(self) -> URL:
        return self.owner_url().set(
            username=self.settings.app_db_role, password=self.settings.app_db_password
        )

    # ------------------------------------------------------------- lifecycle
    def start(self) -> Database:
        """Start (or attach to) the embedded server and make sure our database exists."""
        if self.settings.embedded and self.server is None:
            self.server = EmbeddedPostgres(
                self.settings.home, roles=(OWNER_ROLE, self.settings.app_db_role)
            ).start(attach=self.attach)
            self._bootstrap_embedded()
        return self

    def _bootstrap_embedded(self) -> None:
        assert self.server is not None
        engine = sa.create_engine(
            self.server.uri(), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        try:
            with engine.connect() as conn:
                exists = conn.scalar(
                    sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": OWNER_ROLE}
                )
                if not exists:
                    conn.execute(sa.text(f"CREATE ROLE {OWNER_ROLE} LOGIN CREATEROLE BYPASSRLS"))
                exists = conn.scalar(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DATABASE_NAME}
                )
                if not exists:
                    conn.execute(sa.text(f"CREATE DATABASE {DATABASE_NAME} OWNER {OWNER_ROLE}"))
        finally:
            engine.dispose()

    def stop(self) -> None:
        """Dispose the pools and stop the embedded server if this process owns it."""
        for engine in (self._app_engine, self._owner_engine):
            if engine is not None:
                engine.dispose()
        self._app_engine = self._owner_engine = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    def supervise(self) -> None:
        """Restart the embedded server whenever its postmaster dies (owner only; see
        :meth:`EmbeddedPostgres.supervise`). A no-op for an external server or when this
        process only attached to another's."""
        if self.server is not None and self.server.owner:
            self.server.supervise()

    def supervisor_state(self) -> SupervisorState | None:
        """The embedded server's watchdog state, or None when nothing supervises it."""
        return self.server.supervisor_state() if self.server is not None else None

    def liveness_problem(self) -> str | None:
        """Why this app cannot get its database back by itself, or None.

        Only a supervised embedded server can be judged: it has been down for longer than
        ``settings.db_down_limit_s`` and no restart attempt is under way, or its watchdog
        has stopped reporting for that long. An external server, or a brief outage the
        watchdog is still repairing, is a readiness matter (``/health/ready``), not this.
        """
        state = self.supervisor_state()
        if state is None:
            return None
        return state.liveness_problem(now=time.time(), limit_s=self.settings.db_down_limit_s)

    # --------------------------------------------------------------- engines
    @property
    def owner_engine(self) -> Engine:
        if self._owner_engine is None:
            self._owner_engine = sa.create_engine(self.owner_url(), poolclass=sa.NullPool)
        return self._owner_engine

    @property
    def app_engine(self) -> Engine:
        if self._app_engine is None:
            s = self.settings
            self._app_engine = sa.create_engine(
                self.app_url(),
                pool_size=s.pool_size,
                max_overflow=s.pool_max_overflow,
                pool_recycle=s.pool_recycle_s,
                pool_pre_ping=s.pool_pre_ping,
                pool_timeout=s.pool_timeout_s,
                connect_args={"application_name": "cryoprotect"},
            )
        return self._app_engine

    # ------------------------------------------------------------ migrations
    def current_revision(self, *, as_owner: bool = False) -> str | None:
        """The revision the database is at (None before the first migration).

        Args:
            as_owner: ask as the migration role (before the first migration the app role
                may not exist yet); by default ask as the app role, as requests do.
        """
        engine = self.owner_engine if as_owner else self.app_engine
        try:
            with engine.connect() as conn:
                if conn.scalar(sa.text("SELECT to_regclass('public.alembic_version')")) is None:
                    return None
                versions = conn.scalars(
                    sa.text("SELECT version_num FROM public.alembic_version")
                ).all()
        except sa.exc.OperationalError as exc:
            raise DatabaseUnavailable(f"database unreachable: {exc.orig}") from exc
        return versions[0] if len(versions) == 1 else None

    def upgrade(self, revision: str = "head") -> None:
        """Migrate to ``revision`` as the owner, in one transaction."""
        with self.owner_engine.begin() as conn:
            command.upgrade(_alembic_config(self.settings.app_db_role, conn), revision)
            if self.settings.app_db_password:
                statement = conn.scalar(
                    sa.text("SELECT format('ALTER ROLE %I PASSWORD %L', :role, :password)"),
                    {"role": self.settings.app_db_role, "password": self.settings.app_db_password},
                )
                conn.execute(sa.text(statement))

    def downgrade(self, revision: str) -> None:
        """Migrate down to ``revision`` as the owner, in one transaction."""
        with self.owner_engine.begin() as conn:
            command.downgrade(_alembic_config(self.settings.app_db_role, conn), revision)

    def at_head(self, *, as_owner: bool = False) -> bool:
        return self.current_revision(as_owner=as_owner) == head_revision()

    # ---------------------------------------------------------- transactions
    @contextmanager
    def transaction(self, identity: Identity) -> Iterator[Session]:
        """One transaction on the app role, as ``identity``; commits or rolls back.

        The identity is set with ``set_config(..., true)`` (transaction-local) as the first
        statement, so policies see it and it vanishes at COMMIT/ROLLBACK.
        """
        try:
            with Session(self.app_engine, expire_on_commit=False) as session, session.begin():
                session.execute(
                    sa.text(
                        "SELECT set_config('request.jwt.claim.sub', :sub, true), "
                        "set_config('request.jwt.claim.role', :role, true)"
                    ),
                    {
                        "sub": str(identity.user_id) if identity.user_id else "",
                        "role": identity.role,
                    },
                )
                yield session
        except sa.exc.OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from exc
        except sa.exc.DBAPIError as exc:
            translated = translate_db_error(exc)
            if translated is exc:
                raise
            raise translated from exc


# Map PostgreSQL errors to domain errors in one place (SQLSTATE classes).
_SQLSTATE_UNIQUE = "23505"
_SQLSTATE_FOREIGN_KEY = "23503"
_SQLSTATE_CHECK = "23514"
_SQLSTATE_NOT_NULL = "23502"


def rows_changed(result: sa.Result[Any]) -> int:
    """How many rows the UPDATE or DELETE behind ``result`` touched.

    ``Session.execute`` is typed as returning a plain ``Result``; for a DML statement it is a
    ``CursorResult``, the one that counts them.
    """
    if not isinstance(result, sa.CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


_SQLSTATE_PRIVILEGE = "42501"
# Check violations raised by triggers whose message names the records involved: 409
# (evidence_in_scope: migration 0010; team_keeps_an_admin: migration 0011).
_CONFLICT_CONSTRAINTS = frozenset({"evidence_in_scope", "team_keeps_an_admin"})


def translate_db_error(exc: sa.exc.DBAPIError) -> Exception:
    """Turn a database error into the matching :mod:`cryoprotect.errors` class.

    Row-level-security violations become :class:`PermissionDenied`; constraint violations
    become :class:`ValidationError`/:class:`Conflict` naming the constraint or column.
    Anything else is returned unchanged (a bug or an outage, not the caller's fault).
    """
    from cryoprotect.errors import Conflict, PermissionDenied, ValidationError

    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    column = getattr(diag, "column_name", None)
    detail = getattr(diag, "message_detail", None)
    if state == _SQLSTATE_PRIVILEGE:
        reason = str(getattr(diag, "message_primary", ""))
        if column:  # a guard trigger that names the column it refuses: its words are for users
            return PermissionDenied(reason, details={"field": column, "reason": reason})
        return PermissionDenied(
            "You are not allowed to make this change.", details={"reason": reason}
        )
    if state == _SQLSTATE_CHECK and constraint in _CONFLICT_CONSTRAINTS:
        # Allowed on its own, but at odds with another record's state (migration 0010).
        details: dict[str, Any] = {"constraint": constraint}
        try:
            details.update(json.loads(detail or "{}"))
        except ValueError:
            details["detail"] = detail
        details.setdefault("field", column)
        return Conflict(str(getattr(diag, "message_primary", "")), details=details)
    if state == _SQLSTATE_UNIQUE:
        return Conflict(
            "A record with the same identity already exists.",
            details={"constraint": constraint, "detail": detail},
        )
    if state == _SQLSTATE_FOREIGN_KEY:
        return ValidationError(
            "A referenced record does not exist or is still in use.",
            details={"constraint": constraint, "detail": detail},
        )
    if state in (_SQLSTATE_CHECK, _SQLSTATE_NOT_NULL):
        return ValidationError(
            "A value violates a database constraint.",
            field=column,
            details={"constraint": constraint},
        )
    return exc
