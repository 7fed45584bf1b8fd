"""Production serving: run gunicorn (``cryoprotect.ops.gunicorn_conf``) as a child process.

``cryoprotect serve --prod`` prepares the database in its own process (and, with the
embedded server, keeps owning it: its watchdog thread restarts a postmaster that dies, see
``EmbeddedPostgres.supervise``), then starts the gunicorn master as a child and waits.
Keeping gunicorn in a separate process means its workers never inherit our database
handles, lock file or exit hooks; this process forwards the signals an operator sends
(TERM and INT stop, HUP reloads workers, TTIN/TTOU add or remove one) and, when gunicorn
has exited, stops the database and exits with gunicorn's status (0 after a graceful stop).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from types import FrameType

GUNICORN_CONFIG = "python:cryoprotect.ops.gunicorn_conf"
FORWARDED_SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGTTIN,
    signal.SIGTTOU,
)


def bind_address(host: str, port: int) -> str:
    """``host:port`` for gunicorn's ``--bind`` (IPv6 hosts in brackets)."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def gunicorn_command(host: str, port: int) -> list[str]:
    """The gunicorn command line ``serve --prod`` runs (this interpreter, our config)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        GUNICORN_CONFIG,
        "--bind",
        bind_address(host, port),
    ]


def exit_status(returncode: int) -> int:
    """A shell-style exit status for a child's return code (128 + N when killed by signal N)."""
    return returncode if returncode >= 0 else 128 - returncode


def run_gunicorn(host: str, port: int, *, on_started: Callable[[int], None] | None = None) -> int:
    """Run gunicorn in the foreground, forwarding stop/reload signals, until it exits.

    Args:
        host: interface to bind.
        port: TCP port.
        on_started: called with the gunicorn master's pid once it is spawned.

    Returns:
        The exit status for this process (gunicorn's; 0 after a graceful stop).
    """
    proc = subprocess.Popen(gunicorn_command(host, port))  # noqa: S603 - fixed argv
    previous: dict[int, object] = {}

    def forward(signum: int, _frame: FrameType | None) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    for sig in FORWARDED_SIGNALS:
        previous[sig] = signal.signal(sig, forward)
    try:
        if on_started is not None:
            on_started(proc.pid)
        return exit_status(proc.wait())
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        if proc.poll() is None:  # we are leaving on an exception: do not orphan gunicorn
            proc.terminate()
            proc.wait()
