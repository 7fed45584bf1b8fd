"""The embedded PostgreSQL server (the default database).

Uses the PostgreSQL binaries shipped in the ``pgserver`` wheel, but manages the server's
lifecycle here, because pgserver's own handle keeps its lock and sockets in a shared
runtime directory and does not always stop the server at exit:

* the cluster lives in ``<home>/pgdata``; its Unix socket and our lock file live under
  ``<home>/run`` (falling back to a short per-home directory in the system temp dir only
  when that path is too long for a Unix socket);
* one process at a time *owns* a data directory: it holds an exclusive ``flock`` on
  ``<home>/run/server.lock`` and stops the server when it exits (atexit and SIGTERM).
  A second owner gets :class:`EmbeddedServerError` naming the pid that holds it; a
  non-owning client (``attach=True``, e.g. ``cryoprotect db health`` beside a running
  ``serve``) connects to the running server without stopping it;
* when run as root, PostgreSQL refuses to run as root, so (as pgserver does) the server
  runs as a ``pgserver`` system user that owns the data directory.

Who can connect. The server listens on its Unix socket only (no TCP port). The socket
directory is mode 0700 and owned by the server's OS user (root, which bypasses file
permissions, can still reach it); a fallback directory in the system temp dir that exists
but belongs to another user, or is not a plain directory, is refused. Authentication is
``peer`` with the map in ``pg_ident.conf``: exactly the OS user running CryoProtect and the
server's own OS user may log in, and only as the roles CryoProtect uses (the superuser,
the migration owner and the app role). Both files are rewritten by every owner at start,
so a cluster initialised by an older version with ``trust`` is upgraded in place (reloaded
when the owner adopts a running server). Any other local account is refused at the socket
directory and, failing that, by authentication.

Supervision. :meth:`EmbeddedPostgres.supervise` (called by ``cryoprotect serve``, the owner)
starts a watchdog thread that notices a postmaster that has died (``kill -9``, the OOM
killer) and starts it again with exponential backoff; PostgreSQL's crash recovery replays
the WAL, so committed transactions survive. The watchdog publishes its state to
``<home>/run/supervisor.json`` (:class:`SupervisorState`), which every process serving the
app (gunicorn workers included) reads for ``/health`` and ``/metrics``.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from cryoprotect.errors import EmbeddedServerError

logger = logging.getLogger(__name__)

SYSTEM_USER = "pgserver"
SUPERUSER = "postgres"
# The roles CryoProtect logs in as (database.OWNER_ROLE and the default app role); a
# Database passes its own list, including a configured CRYOPROTECT_APP_DB_ROLE.
DEFAULT_ROLES = (SUPERUSER, "cryoprotect_owner", "cryoprotect_app")
IDENT_MAP = "cryoprotect"
_SOCKET_NAME = ".s.PGSQL.5432"
_MAX_SOCKET_PATH = 100  # Linux sun_path is 108 bytes, macOS 104; keep a margin.
_STATE_FILE = "supervisor.json"
_MANAGED = "# Managed by CryoProtect (cryoprotect.db.embedded): rewritten at every start.\n"


def _bin_path() -> Path:
    """The ``bin`` directory of the PostgreSQL build inside the pgserver wheel.

    Located without importing ``pgserver``: its import creates a lock file in a shared
    runtime directory at class-definition time, which is exactly what we avoid.
    """
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError("the pgserver package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_system_user(name: str) -> tuple[int, int]:
    """Create the unprivileged system user that runs PostgreSQL when we are root."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(  # noqa: S603 - fixed command
            # useradd is resolved on PATH like any system tool.
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", name],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        )
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _os_user_name(uid: int) -> str:
    """The user name of ``uid``: what peer authentication sees for a process running as it."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError as exc:
        raise EmbeddedServerError(
            f"The embedded PostgreSQL authenticates local connections by OS user name (peer), "
            f"but uid {uid} has no user name (no /etc/passwd entry). Run CryoProtect as a "
            "named user, or use an external PostgreSQL (DATABASE_URL).",
            details={"uid": uid},
        ) from exc


def _quoted(name: str) -> str:
    """``name`` as a pg_hba/pg_ident token taken literally (never a keyword or a regex)."""
    if not name or any(c in name for c in '"\n\r\t #'):
        raise EmbeddedServerError(f"{name!r} cannot be written to pg_ident.conf")
    return f'"{name}"'


def pg_hba_conf() -> str:
    """``pg_hba.conf`` of the embedded cluster: the Unix socket only, by OS user (peer)."""
    return (
        _MANAGED
        + "# Unix-socket connections only, authenticated by the connecting process's OS user\n"
        + f'# through the "{IDENT_MAP}" map in pg_ident.conf. The server opens no TCP port.\n'
        + "# TYPE  DATABASE  USER  ADDRESS    METHOD\n"
        + f"local   all       all              peer map={IDENT_MAP}\n"
        + "host    all       all   0.0.0.0/0  reject\n"
        + "host    all       all   ::/0       reject\n"
    )


def pg_ident_conf(os_users: Iterable[str], roles: Iterable[str]) -> str:
    """``pg_ident.conf``: each of ``os_users`` may log in as each of ``roles``, nobody else."""
    lines = [_MANAGED, "# MAPNAME  SYSTEM-USERNAME  PG-USERNAME\n"]
    for os_user in dict.fromkeys(os_users):
        for role in dict.fromkeys(roles):
            lines.append(f"{IDENT_MAP}  {_quoted(os_user)}  {_quoted(role)}\n")
    return "".join(lines)


def _allow_traverse(path: Path) -> None:
    """Let other users traverse (not list) every directory from ``path`` up to ``/``."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if mode & 0o011 != 0o011:
            directory.chmod(mode | 0o011)


def _allow_read_tree(root: Path) -> None:
    """Make a directory tree readable (and its executables runnable) by other users."""
    for directory, _dirs, files in os.walk(root):
        d = Path(directory)
        d.chmod(d.stat().st_mode | 0o055)
        for name in files:
            f = d / name
            if not f.is_symlink():
                f.chmod(
                    f.stat().st_mode
                    | 0o044
                    | ((f.stat().st_mode & 0o100) >> 3)
                    | ((f.stat().st_mode & 0o100) >> 6)
                )


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass(frozen=True)
class SupervisorState:
    """What the embedded server's watchdog saw at its latest check.

    Attributes:
        pid: the supervising (owning) process.
        heartbeat: Unix time of the latest check.
        report_due: Unix time by which the next check will have been published (later
            while a restart attempt runs: it may take that attempt's whole timeout).
        up: whether the postmaster was alive then.
        restarting: a restart attempt was under way when this was published.
        down_since: Unix time the postmaster was first found gone (None while up).
        restarts: successful restarts since supervision began.
        failed_attempts: restart attempts that failed since it went down.
        last_error: the latest failed attempt's error (its tail).
    """

    pid: int
    heartbeat: float
    report_due: float
    up: bool = True
    restarting: bool = False
    down_since: float | None = None
    restarts: int = 0
    failed_attempts: int = 0
    last_error: str | None = None

    def liveness_problem(self, *, now: float, limit_s: float) -> str | None:
        """Why the app cannot recover its database by itself, or None when it can.

        It cannot when the database has been down for longer than ``limit_s`` and the
        watchdog is not in the middle of a restart attempt (each one that ended failed),
        or when the watchdog itself has been overdue for longer than ``limit_s`` (its
        process is gone or hung, so nothing will restart the database).

        Args:
            now: the current Unix time.
            limit_s: how long the database may stay down (or the watchdog overdue), s.
        """
        if now - self.report_due > limit_s:
            return (
                f"the embedded database's supervisor (pid {self.pid}) has not reported for "
                f"{now - self.heartbeat:.0f} s"
            )
        down_s = now - self.down_since if self.down_since is not None else 0.0
        if not self.up and not self.restarting and down_s > limit_s:
            problem = (
                f"the embedded database has been down for {down_s:.0f} s; "
                f"{self.failed_attempts} restart attempt(s) failed"
            )
            return problem + (f": {self.last_error}" if self.last_error else "")
        return None


class EmbeddedPostgres:
    """A PostgreSQL cluster under a CryoProtect data directory.

    Args:
        home: the CryoProtect data directory (``CRYOPROTECT_HOME``).
        roles: the database roles CryoProtect's OS user may log in as (peer map).
    """

    def __init__(self, home: Path, *, roles: Iterable[str] = DEFAULT_ROLES) -> None:
        self.home = Path(home).resolve()
        self.pgdata = self.home / "pgdata"
        self.run_dir = self.home / "run"
        self.log_file = self.home / "postgresql.log"
        self.roles = tuple(dict.fromkeys([SUPERUSER, *roles]))
        self._lock_fd: int | None = None
        self._owner = False
        self._stopped = threading.Event()
        self._lifecycle = threading.RLock()
        self._system_user = SYSTEM_USER if _running_as_root() else None
        self._server_ids: tuple[int, int] | None = None
        self._watchdog: threading.Thread | None = None
        self._state: SupervisorState | None = None

    # ----------------------------------------------------------------- paths
    @property
    def socket_dir(self) -> Path:
        """Directory holding the server's Unix socket."""
        if len(str(self.run_dir / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
            return self.run_dir
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"cryoprotect-{digest}"

    def uri(self, user: str = SUPERUSER, database: str = "postgres") -> str:
        """SQLAlchemy URL for ``user`` on ``database`` over the Unix socket."""
        return f"postgresql+psycopg://{user}@/{database}?host={self.socket_dir}"

    @property
    def owner(self) -> bool:
        """True when this process started (or adopted) the server and will stop it."""
        return self._owner

    # ------------------------------------------------------------- lifecycle
    def start(self, *, attach: bool = False, timeout_s: float = 60.0) -> EmbeddedPostgres:
        """Start the server (initialising the cluster on first use) or attach to it.

        Args:
            attach: when another process owns the data directory, connect to its running
                server instead of failing.
            timeout_s: how long to wait for the server to accept connections.

        Raises:
            EmbeddedServerError: another process owns the directory (and ``attach`` is
                False), its socket directory is not ours, or the server failed to start
                (the log's tail is in the message).
        """
        self.home.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(mode=0o700, exist_ok=True)
        if not self._acquire_lock():
            holder = self._lock_holder()
            if not attach:
                raise EmbeddedServerError(
                    f"The data directory {self.home} is in use by another CryoProtect "
                    f"process (pid {holder}). Stop it first, or set CRYOPROTECT_HOME to a "
                    "different directory.",
                    details={"home": str(self.home), "pid": holder},
                )
            self._wait_ready(timeout_s)
            return self
        self._owner = True
        try:
            self._state_path.unlink(missing_ok=True)  # a crashed owner's, now stale
            self._prepare_permissions()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            self._write_auth_config()
            if not self.is_running():
                self._pg_ctl_start(timeout_s)
            else:
                logger.info(
                    "adopting running embedded PostgreSQL", extra={"pgdata": str(self.pgdata)}
                )
                self._wait_ready(timeout_s)
                self._reload_config(timeout_s)
            self._wait_ready(timeout_s)
        except BaseException:
            self._release_lock()
            self._owner = False
            raise
        atexit.register(self.stop)
        self._install_sigterm_handler()
        return self

    def stop(self) -> None:
        """Stop the watchdog and the server if this process owns it; release the lock.

        Idempotent.
        """
        if not self._owner or self._stopped.is_set():
            return
        self._stopped.set()
        watchdog = self._watchdog
        if watchdog is not None and watchdog is not threading.current_thread():
            watchdog.join(timeout=120)
        with self._lifecycle:
            try:
                if self.is_running():
                    self._run(
                        ["pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "stop"]
                    )
            except subprocess.CalledProcessError as exc:  # pragma: no cover - defensive
                logger.error("pg_ctl stop failed: %s", exc.stderr)
            finally:
                if self._watchdog is not None:
                    self._state_path.unlink(missing_ok=True)
                self._release_lock()
                self._owner = False

    def is_running(self) -> bool:
        """True when ``pg_ctl status`` reports a live server for this data directory."""
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        result = self._run(["pg_ctl", "-D", str(self.pgdata), "status"], check=False)
        return result.returncode == 0

    # ----------------------------------------------------------- supervision
    def supervise(
        self,
        *,
        interval_s: float = 1.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        restart_timeout_s: float = 60.0,
    ) -> None:
        """Watch the postmaster from a daemon thread and restart it when it dies.

        A restart that fails is retried after ``backoff_initial_s``, doubling up to
        ``backoff_max_s``. Each check is published to ``<home>/run/supervisor.json``
        (:meth:`supervisor_state`). Only the owner supervises; calling again is a no-op.

        Raises:
            EmbeddedServerError: this process does not own the server.
        """
        if not self._owner:
            raise EmbeddedServerError(
                "only the process that owns the embedded server supervises it"
            )
        with self._lifecycle:
            if self._watchdog is not None:
                return
            now = time.time()
            self._state = SupervisorState(
                pid=os.getpid(), heartbeat=now, report_due=now + interval_s
            )
            self._write_state()
            self._watchdog = threading.Thread(
                target=self._watch,
                args=(interval_s, backoff_initial_s, backoff_max_s, restart_timeout_s),
                name="embedded-postgres-watchdog",
                daemon=True,
            )
            self._watchdog.start()

    def supervisor_state(self) -> SupervisorState | None:
        """The watchdog's latest published state (any process), or None when unsupervised."""
        try:
            data = json.loads(self._state_path.read_text())
            return SupervisorState(**data)
        except (OSError, ValueError, TypeError):
            return None

    def postmaster_alive(self) -> bool:
        """True when the pid in ``postmaster.pid`` is a live (non-zombie) postgres process."""
        pid = self._postmaster_pid()
        if pid is None:
            return False
        try:
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                _reap(pid)
                return False
            return bool(proc.name() == "postgres")
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:  # pragma: no cover - it exists; not ours to inspect
            return True

    def _watch(
        self,
        interval_s: float,
        backoff_initial_s: float,
        backoff_max_s: float,
        restart_timeout_s: float,
    ) -> None:
        backoff = backoff_initial_s
        next_attempt = 0.0
        while not self._stopped.wait(interval_s):
            try:
                with self._lifecycle:
                    if self._stopped.is_set():
                        return
                    state = self._state
                    assert state is not None
                    if self.postmaster_alive():
                        if not state.up:
                            logger.info("embedded PostgreSQL is running again")
                            state = replace(
                                state, up=True, down_since=None, failed_attempts=0, last_error=None
                            )
                        backoff = backoff_initial_s
                    else:
                        if state.up:
                            logger.error(
                                "embedded PostgreSQL postmaster is gone; restarting it",
                                extra={"pgdata": str(self.pgdata)},
                            )
                            state = replace(state, up=False, down_since=time.time())
                            next_attempt = time.monotonic()
                        if time.monotonic() >= next_attempt:
                            now = time.time()
                            self._state = replace(
                                state,
                                restarting=True,
                                heartbeat=now,
                                report_due=now + restart_timeout_s * 2 + interval_s,
                            )
                            self._write_state()
                            state = self._attempt_restart(state, restart_timeout_s, backoff)
                            next_attempt = time.monotonic() + backoff
                            backoff = (
                                backoff_initial_s if state.up else min(backoff * 2, backoff_max_s)
                            )
                    now = time.time()
                    self._state = replace(
                        state, restarting=False, heartbeat=now, report_due=now + interval_s
                    )
                    self._write_state()
            except Exception:  # the watchdog must outlive any one failed check
                logger.exception("embedded PostgreSQL watchdog check failed")

    def _attempt_restart(
        self, state: SupervisorState, restart_timeout_s: float, retry_in_s: float
    ) -> SupervisorState:
        """One restart attempt (``retry_in_s``: the delay before the next, if it fails)."""
        pid = self._postmaster_pid()
        if pid is not None:
            _reap(pid)
        try:
            self._pg_ctl_start(restart_timeout_s)
            self._wait_ready(restart_timeout_s)
        except (EmbeddedServerError, OSError, subprocess.SubprocessError) as exc:
            error = str(exc).strip().splitlines()[-1][-300:] if str(exc).strip() else repr(exc)
            failed = state.failed_attempts + 1
            logger.warning(
                "restarting the embedded PostgreSQL failed (attempt %d); next try in %.1f s: %s",
                failed,
                retry_in_s,
                error,
            )
            return replace(state, failed_attempts=failed, last_error=error)
        down_s = time.time() - (state.down_since or time.time())
        logger.warning(
            "embedded PostgreSQL restarted after %.1f s down (restart %d)",
            down_s,
            state.restarts + 1,
        )
        return replace(
            state,
            up=True,
            down_since=None,
            restarts=state.restarts + 1,
            failed_attempts=0,
            last_error=None,
        )

    @property
    def _state_path(self) -> Path:
        return self.run_dir / _STATE_FILE

    def _write_state(self) -> None:
        assert self._state is not None
        tmp = self._state_path.with_name(_STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(asdict(self._state)))
        os.replace(tmp, self._state_path)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    # -------------------------------------------------------------- internals
    def _run(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        exe = str(_bin_path() / argv[0])
        kwargs: dict[str, Any] = {}
        if self._system_user is not None:
            kwargs["user"] = self._system_user
        # Files, not pipes: pg_ctl's forked server would keep a pipe open and hang us.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.run(  # noqa: S603 - fixed binary path, arguments built here
                [exe, *argv[1:]],
                stdout=out,
                stderr=err,
                text=True,
                check=False,
                cwd="/",
                **kwargs,
            )
            out.seek(0)
            err.seek(0)
            result = subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, result.args, result.stdout, result.stderr
            )
        return result

    def _prepare_permissions(self) -> None:
        if self._system_user is None:
            uid, gid = os.geteuid(), os.getegid()
        else:
            uid, gid = _ensure_system_user(self._system_user)
            install = _bin_path().parent
            marker = install / ".cryoprotect-perms"
            if not marker.exists():
                _allow_traverse(install)
                _allow_read_tree(install)
                marker.touch()
            _allow_traverse(self.home)
            self.pgdata.mkdir(mode=0o700, exist_ok=True)
            self.log_file.touch(mode=0o600, exist_ok=True)
            for path in (self.pgdata, self.log_file):
                os.chown(path, uid, gid)
        self._server_ids = (uid, gid)
        self._secure_socket_dir(uid, gid)

    def _secure_socket_dir(self, uid: int, gid: int) -> None:
        """Make the socket directory 0700 and the server's; refuse one planted by others."""
        path = self.socket_dir
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:  # a symlink (ELOOP) or a file (ENOTDIR)
            raise EmbeddedServerError(
                f"The socket directory {path} is not a directory (a symlink or a file). "
                "Remove it, or set CRYOPROTECT_HOME to a shorter path.",
                details={"socket_dir": str(path)},
            ) from exc
        try:
            st = os.fstat(fd)
            if st.st_uid not in {os.geteuid(), uid}:
                raise EmbeddedServerError(
                    f"The socket directory {path} is owned by uid {st.st_uid}, not by "
                    "CryoProtect or its database server; another user may have created it. "
                    "Remove it, or set CRYOPROTECT_HOME to a shorter path.",
                    details={"socket_dir": str(path), "owner_uid": st.st_uid},
                )
            if (st.st_uid, st.st_gid) != (uid, gid):
                os.fchown(fd, uid, gid)
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)

    def _write_auth_config(self) -> None:
        """Write pg_hba.conf (peer only) and pg_ident.conf (our OS users -> our roles)."""
        assert self._server_ids is not None
        app_user = _os_user_name(os.geteuid())
        server_user = _os_user_name(self._server_ids[0])
        files = {
            "pg_hba.conf": pg_hba_conf(),
            "pg_ident.conf": pg_ident_conf([app_user, server_user], self.roles),
        }
        for name, text in files.items():
            path = self.pgdata / name
            tmp = self.pgdata / f".{name}.tmp"
            tmp.unlink(missing_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.chown(tmp, *self._server_ids)
            os.replace(tmp, path)

    def _reload_config(self, timeout_s: float) -> None:
        """Make an adopted, running server re-read pg_hba.conf and pg_ident.conf."""
        before = self._conf_load_time()
        self._run(["pg_ctl", "-D", str(self.pgdata), "reload"])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            loaded = self._conf_load_time()
            if loaded is not None and (before is None or loaded > before):
                return
            time.sleep(0.05)
        raise EmbeddedServerError(
            f"The embedded PostgreSQL under {self.pgdata} did not reload its authentication "
            f"configuration within {timeout_s:.0f} s (see {self.log_file})."
        )

    def _conf_load_time(self) -> Any:
        import psycopg

        try:
            with psycopg.connect(
                host=str(self.socket_dir), user=SUPERUSER, dbname="postgres", connect_timeout=10
            ) as conn:
                row = conn.execute("SELECT pg_conf_load_time()").fetchone()
        except psycopg.Error:
            return None
        return row[0] if row else None

    def _initdb(self) -> None:
        self.pgdata.mkdir(exist_ok=True)
        self.pgdata.chmod(0o700)
        logger.info("initialising embedded PostgreSQL cluster", extra={"pgdata": str(self.pgdata)})
        try:
            self._run(
                [
                    "initdb",
                    "-D",
                    str(self.pgdata),
                    "-U",
                    SUPERUSER,
                    "--encoding=UTF8",
                    "--locale=C",
                    "--auth-local=peer",
                    "--auth-host=reject",
                ]
            )
        except subprocess.CalledProcessError as exc:
            raise EmbeddedServerError(
                f"initdb failed for {self.pgdata}: {exc.stderr.strip()[-2000:]}"
            ) from exc

    def _pg_ctl_start(self, timeout_s: float) -> None:
        options = (
            f"-h '' -k {self.socket_dir} -c unix_socket_permissions=0700 -c max_connections=100"
        )
        try:
            self._run(
                [
                    "pg_ctl",
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    str(int(timeout_s)),
                    "-o",
                    options,
                    "start",
                ]
            )
        except subprocess.CalledProcessError as exc:
            tail = (
                self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            )
            raise EmbeddedServerError(
                f"The embedded PostgreSQL failed to start. Log tail:\n{tail}",
                details={"log": str(self.log_file)},
            ) from exc

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            result = self._run(
                ["pg_isready", "-h", str(self.socket_dir), "-U", SUPERUSER, "-q"], check=False
            )
            if result.returncode == 0:
                return
            time.sleep(0.2)
        raise EmbeddedServerError(
            f"The embedded PostgreSQL under {self.pgdata} did not become ready within "
            f"{timeout_s:.0f} s (see {self.log_file})."
        )

    @property
    def _lock_path(self) -> Path:
        return self.run_dir / "server.lock"

    def _acquire_lock(self) -> bool:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd
        return True

    def _lock_holder(self) -> int | None:
        try:
            return int(self._lock_path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _install_sigterm_handler(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)

        def _on_sigterm(signum: int, frame: FrameType | None) -> None:
            self.stop()
            if callable(previous):
                previous(signum, frame)
            raise SystemExit(0)  # a requested, graceful stop

        signal.signal(signal.SIGTERM, _on_sigterm)


def _reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is our child (we may be PID 1 in a container)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
