"""One typed settings object, built from the environment.

Every variable is documented in the README's configuration table and in ``.env.example``.
``create_app(settings)`` and the CLI take a :class:`Settings`; nothing else reads
``os.environ``.
"""

from __future__ import annotations

import ipaddress
import os
import re
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


def _env_positive_int(env: dict[str, str], name: str, default: int, *, minimum: int) -> int:
    value = _env_int(env, name, default)
    if value < minimum:
        raise ValidationError(f"{name} must be at least {minimum}, got {value}", field=name)
    return value


def _env_positive_float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValidationError(f"{name} must be a number, got {raw!r}", field=name) from exc
    if not value > 0 or value == float("inf"):
        raise ValidationError(f"{name} must be a positive number, got {raw!r}", field=name)
    return value


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def _env_origins(env: dict[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated browser origins (``scheme://host[:port]``, no path), or ``*``."""
    origins = tuple(o.strip().rstrip("/") for o in env.get(name, "").split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise ValidationError(
                f"{name}: {origin!r} is not an origin such as https://lab.example.org",
                field=name,
            )
    return origins


# Loopback and the private ranges (RFC 1918, IPv6 unique local): a Prometheus on the same
# host or container network may scrape /metrics; the internet may not.
DEFAULT_METRICS_ALLOW: tuple[str, ...] = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
)


def _env_networks(env: dict[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated IP networks (CIDR) or addresses, normalised (``10.1.2.3/8`` is
    ``10.0.0.0/8``); the default when unset; an empty tuple for ``none``."""
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    if raw.strip().lower() == "none":
        return ()
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ValidationError(
                f"{name}: {item!r} is not an IP network such as 10.0.0.0/8 or ::1", field=name
            ) from exc
    return tuple(networks)


def _env_rate_limit(env: dict[str, str], name: str, default: str) -> str:
    """A Flask-Limiter rate limit such as ``300 per minute`` (several joined by ``;``)."""
    from limits import parse_many

    raw = (env.get(name) or default).strip()
    try:
        parse_many(raw)
    except ValueError as exc:
        raise ValidationError(
            f"{name} must be a rate limit such as '300 per minute' or '10/second;100/hour', "
            f"got {raw!r}",
            field=name,
        ) from exc
    return raw


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
        cors_origins: browser origins allowed to call the API cross-origin (CORS); empty
            (the default) means CORS is off.
        trust_proxy: how many reverse proxies in front of the app set ``X-Forwarded-*``
            headers (0: trust none, the default).
        metrics_allow: networks (CIDR) whose clients may read ``/metrics`` (403 for
            others); loopback and private ranges by default, empty = nobody.
        metrics_token: when set, ``/metrics`` also requires ``Authorization: Bearer`` it.
        web_workers / web_threads: gunicorn worker processes and threads per worker for
            ``cryoprotect serve --prod``.
        metrics_multiproc_dir: ``PROMETHEUS_MULTIPROC_DIR``, where worker processes keep
            their metric files (a fresh temporary directory when unset under ``--prod``).
        ratelimit_enabled: apply rate limits (Flask-Limiter) at all.
        ratelimit_default: limit per caller (user id, else IP address) and endpoint.
        ratelimit_auth: the stricter limit of sign-in, registration and token refresh.
        ratelimit_storage_uri: where counters live: ``memory://`` (per process) or a
            ``redis://`` URI shared by every worker.
        flags_cache_ttl_s: how long a process reuses the feature flags it read, s.
        search_deadline_ms: matching time of one substructure search request (and one
            highlighted drawing), ms; the hits found by then come back ``truncated``.
        search_count_deadline_s: matching time of one background substructure count, s.
        list_deadline_ms: database time of one molecule list page on the SQL path (text
            search, property ranges), ms; past it the page is refused with 400
            ``limit_exceeded`` naming the field to narrow.
        search_concurrency: substructure scans one process runs at once; one more is
            answered 429 with Retry-After instead of waiting.
        import_sync_rows: API imports (molecules, experiment results) of at most this
            many rows run in the request; larger ones run as a background job (202).
        db_down_limit_s: how long the supervised embedded database may stay down (no
            restart under way) before liveness, ``/health``, fails, s.
        training_timeout_s: wall-clock limit of one model training run, s; the worker
            process training it is terminated beyond it and the model marked failed.
        job_shutdown_timeout_s: on shutdown, how long running jobs get to stop after
            their cancellation is requested, s, before the process exits anyway.
        index_dir: where the search indexes are saved and memory-mapped by every worker
            process (``CRYOPROTECT_INDEX_DIR``); None: ``home / "indexes"`` (see
            :attr:`index_path`).
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
    cors_origins: tuple[str, ...] = ()
    trust_proxy: int = 0
    metrics_allow: tuple[str, ...] = DEFAULT_METRICS_ALLOW
    metrics_token: str | None = field(default=None, repr=False)
    web_workers: int = 2
    web_threads: int = 8
    metrics_multiproc_dir: Path | None = None
    ratelimit_enabled: bool = True
    ratelimit_default: str = "300 per minute"
    ratelimit_auth: str = "20 per minute"
    ratelimit_storage_uri: str = "memory://"
    flags_cache_ttl_s: int = 5
    search_deadline_ms: int = 2000
    search_count_deadline_s: int = 60
    list_deadline_ms: int = 5000
    search_concurrency: int = 2
    import_sync_rows: int = 500
    db_down_limit_s: int = 60
    training_timeout_s: float = 600.0
    job_shutdown_timeout_s: float = 10.0
    index_dir: Path | None = None
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
            cors_origins=_env_origins(env, "CRYOPROTECT_CORS_ORIGINS"),
            trust_proxy=_env_positive_int(env, "CRYOPROTECT_TRUST_PROXY", 0, minimum=0),
            metrics_allow=_env_networks(env, "CRYOPROTECT_METRICS_ALLOW", DEFAULT_METRICS_ALLOW),
            metrics_token=env.get("CRYOPROTECT_METRICS_TOKEN") or None,
            web_workers=_env_positive_int(env, "CRYOPROTECT_WEB_WORKERS", 2, minimum=1),
            web_threads=_env_positive_int(env, "CRYOPROTECT_WEB_THREADS", 8, minimum=1),
            metrics_multiproc_dir=(
                Path(env["PROMETHEUS_MULTIPROC_DIR"])
                if env.get("PROMETHEUS_MULTIPROC_DIR")
                else None
            ),
            ratelimit_enabled=_env_bool(env, "RATELIMIT_ENABLED", True),
            ratelimit_default=_env_rate_limit(env, "RATELIMIT_DEFAULT", "300 per minute"),
            ratelimit_auth=_env_rate_limit(env, "RATELIMIT_AUTH", "20 per minute"),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI") or "memory://",
            flags_cache_ttl_s=_env_int(env, "CRYOPROTECT_FLAGS_CACHE_TTL", 5),
            search_deadline_ms=_env_positive_int(
                env, "CRYOPROTECT_SEARCH_DEADLINE_MS", 2000, minimum=0
            ),
            search_count_deadline_s=_env_positive_int(
                env, "CRYOPROTECT_SEARCH_COUNT_DEADLINE_S", 60, minimum=1
            ),
            list_deadline_ms=_env_positive_int(
                env, "CRYOPROTECT_LIST_DEADLINE_MS", 5000, minimum=100
            ),
            search_concurrency=_env_positive_int(
                env, "CRYOPROTECT_SEARCH_CONCURRENCY", 2, minimum=1
            ),
            import_sync_rows=_env_positive_int(env, "CRYOPROTECT_IMPORT_SYNC_ROWS", 500, minimum=0),
            db_down_limit_s=_env_positive_int(env, "CRYOPROTECT_DB_DOWN_LIMIT", 60, minimum=1),
            training_timeout_s=_env_positive_float(env, "CRYOPROTECT_TRAINING_TIMEOUT_S", 600.0),
            job_shutdown_timeout_s=_env_positive_float(
                env, "CRYOPROTECT_JOB_SHUTDOWN_TIMEOUT_S", 10.0
            ),
            index_dir=(
                Path(env["CRYOPROTECT_INDEX_DIR"]).expanduser().resolve()
                if env.get("CRYOPROTECT_INDEX_DIR")
                else None
            ),
        )
        return replace(settings, **overrides) if overrides else settings  # type: ignore[arg-type]

    @property
    def index_path(self) -> Path:
        """The directory of the saved search indexes (``index_dir``, else under ``home``)."""
        return self.index_dir or self.home / "indexes"

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
