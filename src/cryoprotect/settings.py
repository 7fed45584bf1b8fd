"""One typed settings object, built from the environment.

Every variable is documented in the README's configuration table and in ``.env.example``.
``create_app(settings)`` and the CLI take a :class:`Settings`; nothing else reads
``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from cryoprotect.errors import ValidationError

APP_NAME = "cryoprotect"


def _env_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationError(f"{name} must be an integer, got {raw!r}", field=name) from exc


def _env_bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValidationError(f"{name} must be a boolean (true/false), got {raw!r}", field=name)


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    Attributes:
        home: data directory (embedded PostgreSQL cluster, secrets, backups, logs).
        database_url: external PostgreSQL (owner/migration role). ``None`` = embedded server.
        app_db_role: the login role the app uses for requests (no BYPASSRLS, owns nothing).
        app_db_password: its password (external servers with password auth).
        secret_key: signs JWTs; generated once and kept under ``home`` when not given.
        access_token_ttl_s / refresh_token_ttl_s: token lifetimes in seconds.
        pool_size / pool_max_overflow / pool_recycle_s / pool_pre_ping / pool_timeout_s:
            SQLAlchemy connection pool settings.
        max_content_length: request body limit in bytes (413 beyond it).
        log_level / log_json: logging configuration.
        testing: Flask TESTING mode (bugs re-raise instead of becoming 500 pages).
    """

    home: Path
    database_url: str | None = None
    app_db_role: str = "cryoprotect_app"
    app_db_password: str | None = None
    secret_key: str | None = None
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600
    pool_size: int = 5
    pool_max_overflow: int = 10
    pool_recycle_s: int = 1800
    pool_pre_ping: bool = True
    pool_timeout_s: int = 30
    max_content_length: int = 2 * 1024 * 1024
    log_level: str = "INFO"
    log_json: bool = True
    testing: bool = False
    load_reference_data: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from environment variables (``os.environ`` by default)."""
        env = dict(os.environ if environ is None else environ)
        home_raw = env.get("CRYOPROTECT_HOME") or platformdirs.user_data_dir(APP_NAME)
        settings = cls(
            home=Path(home_raw).expanduser().resolve(),
            database_url=env.get("DATABASE_URL") or None,
            app_db_role=env.get("CRYOPROTECT_APP_DB_ROLE", "cryoprotect_app"),
            app_db_password=env.get("CRYOPROTECT_APP_DB_PASSWORD") or None,
            secret_key=env.get("CRYOPROTECT_SECRET_KEY") or None,
            access_token_ttl_s=_env_int(env, "CRYOPROTECT_ACCESS_TOKEN_TTL", 15 * 60),
            refresh_token_ttl_s=_env_int(env, "CRYOPROTECT_REFRESH_TOKEN_TTL", 30 * 24 * 3600),
            pool_size=_env_int(env, "CRYOPROTECT_DB_POOL_SIZE", 5),
            pool_max_overflow=_env_int(env, "CRYOPROTECT_DB_POOL_MAX_OVERFLOW", 10),
            pool_recycle_s=_env_int(env, "CRYOPROTECT_DB_POOL_RECYCLE", 1800),
            pool_pre_ping=_env_bool(env, "CRYOPROTECT_DB_POOL_PRE_PING", True),
            pool_timeout_s=_env_int(env, "CRYOPROTECT_DB_POOL_TIMEOUT", 30),
            max_content_length=_env_int(env, "CRYOPROTECT_MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
            log_level=env.get("CRYOPROTECT_LOG_LEVEL", "INFO").upper(),
            log_json=_env_bool(env, "CRYOPROTECT_LOG_JSON", True),
        )
        return replace(settings, **overrides) if overrides else settings  # type: ignore[arg-type]

    @property
    def embedded(self) -> bool:
        """True when the app runs its own PostgreSQL under ``home``."""
        return self.database_url is None

    def resolved_secret_key(self) -> str:
        """The JWT signing key: the configured one, or one generated once and kept in ``home``."""
        if self.secret_key:
            return self.secret_key
        path = self.home / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.home.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key
