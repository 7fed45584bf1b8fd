"""Which process runs a job (``host:pid:start_ticks``), and whether it is gone."""

from __future__ import annotations

import os
import socket


def start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        stat = open(f"/proc/{pid}/stat", encoding="ascii").read()  # noqa: SIM115
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def this_worker() -> str:
    """This process, as a job's ``worker`` names it."""
    ticks = start_ticks(os.getpid())
    base = f"{socket.gethostname()}:{os.getpid()}"
    return f"{base}:{ticks}" if ticks else base


def process_gone(worker: str | None) -> bool:
    """True when ``worker`` names a process of this machine that no longer exists.

    ``worker`` is ``host:pid`` or ``host:pid:start_ticks``; with the start time a pid
    reused by another process (a restarted container) is recognised as gone.
    """
    if not worker or ":" not in worker:
        return False
    host, pid, *rest = worker.split(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: it cannot be checked from here
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists (another user's process): compare start times below
    if rest and rest[0]:
        ticks = start_ticks(int(pid))
        return ticks is not None and ticks != rest[0]
    return False
