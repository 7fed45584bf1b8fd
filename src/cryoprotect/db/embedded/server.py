"""The embedded server's lifecycle: initialise the cluster, start or attach, own the data
directory through a lock, stop at exit; the watchdog comes from
:class:`~cryoprotect.db.embedded.supervision.SupervisionMixin`."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from cryoprotect.db.embedded.auth_config import pg_hba_conf, pg_ident_conf
from cryoprotect.db.embedded.os_access import (
    allow_read_tree,
    allow_traverse,
    bin_path,
    ensure_system_user,
    os_user_name,
    running_as_root,
)
from cryoprotect.db.embedded.supervision import SupervisionMixin, SupervisorState
from cryoprotect.errors import EmbeddedServerError

logger = logging.getLogger(__name__)

SYSTEM_USER = "pgserver"
SUPERUSER = "postgres"
# The roles CryoProtect logs in as (database.OWNER_ROLE and the default app role); a
# Database passes its own list, including a configured CRYOPROTECT_APP_DB_ROLE.
DEFAULT_ROLES = (SUPERUSER, "cryoprotect_owner", "cryoprotect_app")
_SOCKET_NAME = ".s.PGSQL.5432"
_MAX_SOCKET_PATH = 100  # Linux sun_path is 108 bytes, macOS 104; keep a margin.


class EmbeddedPostgres(SupervisionMixin):
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
        self._system_user = SYSTEM_USER if running_as_root() else None
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

    # -------------------------------------------------------------- internals
    def _run(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        exe = str(bin_path() / argv[0])
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
            uid, gid = ensure_system_user(self._system_user)
            install = bin_path().parent
            marker = install / ".cryoprotect-perms"
            if not marker.exists():
                allow_traverse(install)
                allow_read_tree(install)
                marker.touch()
            allow_traverse(self.home)
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
        app_user = os_user_name(os.geteuid())
        server_user = os_user_name(self._server_ids[0])
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
