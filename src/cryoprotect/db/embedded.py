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
  runs as a ``pgserver`` system user that owns the data directory;
* the server listens on the Unix socket only (no TCP port), with trust authentication
  limited to that socket, which only the owning user and root can reach.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import importlib.util
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from cryoprotect.errors import EmbeddedServerError

logger = logging.getLogger(__name__)

SYSTEM_USER = "pgserver"
SUPERUSER = "postgres"
_SOCKET_NAME = ".s.PGSQL.5432"
_MAX_SOCKET_PATH = 100  # Linux sun_path is 108 bytes, macOS 104; keep a margin.


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


class EmbeddedPostgres:
    """A PostgreSQL cluster under a CryoProtect data directory.

    Args:
        home: the CryoProtect data directory (``CRYOPROTECT_HOME``).
    """

    def __init__(self, home: Path) -> None:
        self.home = Path(home).resolve()
        self.pgdata = self.home / "pgdata"
        self.run_dir = self.home / "run"
        self.log_file = self.home / "postgresql.log"
        self._lock_fd: int | None = None
        self._owner = False
        self._stopped = threading.Event()
        self._system_user = SYSTEM_USER if _running_as_root() else None

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
                False), or the server failed to start (the log's tail is in the message).
        """
        self.home.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(exist_ok=True)
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
        self._prepare_permissions()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        if not self.is_running():
            self._pg_ctl_start(timeout_s)
        else:
            logger.info("adopting running embedded PostgreSQL", extra={"pgdata": str(self.pgdata)})
        self._wait_ready(timeout_s)
        atexit.register(self.stop)
        self._install_sigterm_handler()
        return self

    def stop(self) -> None:
        """Stop the server if this process owns it; release the lock. Idempotent."""
        if not self._owner or self._stopped.is_set():
            return
        self._stopped.set()
        try:
            if self.is_running():
                self._run(
                    ["pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "stop"]
                )
        except subprocess.CalledProcessError as exc:  # pragma: no cover - defensive
            logger.error("pg_ctl stop failed: %s", exc.stderr)
        finally:
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
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self._system_user is None:
            return
        uid, gid = _ensure_system_user(self._system_user)
        install = _bin_path().parent
        marker = install / ".cryoprotect-perms"
        if not marker.exists():
            _allow_traverse(install)
            _allow_read_tree(install)
            marker.touch()
        _allow_traverse(self.home)
        self.pgdata.mkdir(exist_ok=True)
        self.log_file.touch(exist_ok=True)
        for path in (self.pgdata, self.socket_dir, self.log_file):
            os.chown(path, uid, gid)

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
                    "--auth-local=trust",
                    "--auth-host=reject",
                ]
            )
        except subprocess.CalledProcessError as exc:
            raise EmbeddedServerError(
                f"initdb failed for {self.pgdata}: {exc.stderr.strip()[-2000:]}"
            ) from exc

    def _pg_ctl_start(self, timeout_s: float) -> None:
        options = f"-h '' -k {self.socket_dir} -c max_connections=100"
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
