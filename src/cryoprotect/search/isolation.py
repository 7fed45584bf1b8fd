"""Isolated substructure scans: the forked child's process settings and its pipe protocol.

An isolated scan (:meth:`cryoprotect.search.SubstructureIndex.find` with ``isolated``)
matches in a child process forked for the call. The child runs at idle CPU priority with
a CPU-time cap and writes one line per event to a pipe:

* ``H <id> <checked>``: a hit, and how many candidates were checked so far;
* ``C <checked>``: progress, every :data:`PROGRESS_S` seconds without a hit;
* ``E <checked> <truncated>``: the end of the scan (``truncated`` is 0 or 1).

The parent reads the lines (:func:`collect_hits`) until its page is full, the child ends
or the deadline passes, then kills and reaps the child (:func:`end_child`).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import sys
import time

from cryoprotect.search.visibility import Allowed, decide

if sys.platform != "win32":
    import resource

__all__ = [
    "ISOLATION_AVAILABLE",
    "ISOLATION_GRACE_S",
    "PROGRESS_S",
    "collect_hits",
    "end_child",
    "lower_priority",
    "report_end",
    "report_hit",
    "report_progress",
]

ISOLATION_AVAILABLE = hasattr(os, "fork")
"""Whether :meth:`SubstructureIndex.find` can isolate a scan in a child process (POSIX)."""
ISOLATION_GRACE_S = 0.1  # how long past the deadline a child gets to send its last hits
PROGRESS_S = 0.05  # a scan child reports how many molecules it checked this often


def lower_priority(cpu_limit_s: int) -> None:
    """Make the calling (child) process run only on CPU time others leave free, and cap
    its CPU time so it ends even if its parent dies without killing it."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):  # not Linux
        with contextlib.suppress(OSError):
            os.nice(19)
    if sys.platform == "win32":  # no fork there: never called
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit_s, cpu_limit_s + 1))


def end_child(pid: int) -> None:
    """Kill (if still running) and reap a scan child; tolerate one already reaped."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass


def report_hit(fd: int, key: str, checked: int) -> None:
    """Child side: a matching id, after ``checked`` candidates."""
    os.write(fd, f"H {key} {checked}\n".encode())


def report_progress(fd: int, checked: int) -> None:
    """Child side: ``checked`` candidates so far, no new hit."""
    os.write(fd, f"C {checked}\n".encode())


def report_end(fd: int, checked: int, truncated: bool) -> None:
    """Child side: the scan ended (cut short by the deadline when ``truncated``)."""
    os.write(fd, f"E {checked} {int(truncated)}\n".encode())


def collect_hits(
    pid: int, fd: int, max_hits: int, allowed: Allowed | None, deadline: float
) -> tuple[list[str], bool, int]:
    """Parent side: read a scan child's hits until the page is full, it ends, or the deadline.

    Returns:
        The visible hits (at most ``max_hits``), whether the scan was cut short before the
        page was full, and how many candidates the child checked.

    Raises:
        RuntimeError: the child ended without its end line (it is killed and reaped).
    """
    hits: list[str] = []
    decided: dict[str, bool] = {}
    checked = 0
    finished = truncated = False
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while len(hits) < max_hits and not finished:
            remaining = deadline + ISOLATION_GRACE_S - time.monotonic()
            if remaining <= 0:
                truncated = True  # the child is stuck inside one match: killed
                break
            if not selector.select(remaining):
                continue
            data = os.read(fd, 1 << 16)
            if not data:
                break  # the child exited without its end line
            *lines, pending = (pending + data).split(b"\n")
            fresh: list[str] = []
            for line in lines:
                kind, *fields = line.decode().split()
                if kind == "H":
                    fresh.append(fields[0])
                    checked = int(fields[1])
                elif kind == "C":
                    checked = int(fields[0])
                elif kind == "E":
                    checked, truncated, finished = int(fields[0]), fields[1] == "1", True
            if allowed is not None and fresh:
                decide(fresh, allowed, decided)
                fresh = [key for key in fresh if decided[key]]
            hits.extend(fresh[: max_hits - len(hits)])
    if not finished and not truncated and len(hits) < max_hits:
        end_child(pid)
        raise RuntimeError(f"The substructure scan process {pid} ended without a result.")
    return hits, truncated and len(hits) < max_hits, checked
