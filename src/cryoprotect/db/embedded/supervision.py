"""Supervision of the embedded server: a watchdog thread in the owning process restarts a
postmaster that died (with exponential backoff) and publishes what it saw to
``<home>/run/supervisor.json`` (:class:`SupervisorState`), which every process serving the
app reads for ``/health`` and ``/metrics``."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from cryoprotect.errors import EmbeddedServerError

logger = logging.getLogger(__name__)

_STATE_FILE = "supervisor.json"


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


class SupervisionMixin:
    """The watchdog half of :class:`~cryoprotect.db.embedded.EmbeddedPostgres`.

    It uses the server's lifecycle lock, stop event and start/readiness steps, which the
    server class provides.
    """

    run_dir: Path
    pgdata: Path
    _owner: bool
    _stopped: threading.Event
    _lifecycle: threading.RLock
    _watchdog: threading.Thread | None
    _state: SupervisorState | None

    if TYPE_CHECKING:

        def _pg_ctl_start(self, timeout_s: float) -> None: ...

        def _wait_ready(self, timeout_s: float) -> None: ...

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
                reap(pid)
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
            reap(pid)
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


def reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is our child (we may be PID 1 in a container)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
