"""Run a function in a separate worker process that can be stopped: a time limit, a cancel
signal, and hard termination.

Long CPU-bound work (model training) must not run in a web process's thread: a thread
cannot be stopped, keeps the process alive at shutdown and competes with requests for every
core. :func:`run_in_worker_process` starts a fresh interpreter (multiprocessing ``spawn``:
nothing of the parent is inherited, not its database engine, connection pool, lock files or
threads), hands it the function's name and plain-data arguments, relays its progress, and

* on cancellation asks it to stop, then terminates it (SIGTERM, then SIGKILL);
* at the wall-clock limit terminates it and raises :class:`TimeLimitExceeded`;
* when the parent goes away (its end of the pipe closes) the worker exits by itself.

Database writes stay in the parent. The worker's numerical libraries use ``threads`` CPU
threads (one by default), so one run cannot take every core from the web workers.

This module imports only the standard library and :mod:`cryoprotect.errors`, so a worker
starts without loading the web app or the database layer.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any, Protocol

from cryoprotect.errors import Cancelled, TimeLimitExceeded, WorkerDied

logger = logging.getLogger(__name__)

#: Environment variables that size the thread pools of BLAS/OpenMP in the worker.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
#: How long a worker asked to stop may take before it is terminated, s.
STOP_GRACE_S = 1.0
_EXIT_PARENT_GONE = 70


class CancelSignal(Protocol):
    def is_set(self) -> bool: ...


def _import(module: str, qualname: str) -> Callable[..., Any]:
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    function: Callable[..., Any] = target
    return function


def _worker_main(
    conn: Connection, module: str, qualname: str, kwargs: dict[str, Any], threads: int
) -> None:
    """Entry point of the worker process (runs in the fresh interpreter)."""
    for name in THREAD_VARIABLES:  # before numpy/scipy are imported by the target's module
        os.environ[name] = str(threads)
    stop = threading.Event()
    send_lock = threading.Lock()

    def listen() -> None:
        try:
            while True:
                if conn.recv() == ("cancel",):
                    stop.set()
        except (EOFError, OSError):
            os._exit(_EXIT_PARENT_GONE)  # the parent has gone: nobody wants the result

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            conn.send(message)

    def progress(message: str, fraction: float) -> None:
        send(("progress", str(message), float(fraction)))

    threading.Thread(target=listen, name="cp-worker-listen", daemon=True).start()
    try:
        fn = _import(module, qualname)
        result = fn(**kwargs, progress=progress, cancel=stop)
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
        try:
            send(("error", exc))
        except Exception:  # the exception does not pickle: send what it says
            send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    else:
        send(("result", result))


def _stop(proc: Any, conn: Connection, *, ask_first: bool) -> None:
    """Stop the worker: ask (when cancelling), then SIGTERM, then SIGKILL; reap it."""
    if proc.exitcode is None and ask_first:
        with contextlib.suppress(OSError):
            conn.send(("cancel",))
        proc.join(STOP_GRACE_S)
    if proc.exitcode is None:
        proc.terminate()
        proc.join(STOP_GRACE_S)
    if proc.exitcode is None:
        proc.kill()
        proc.join()


def run_in_worker_process(
    fn: Callable[..., Any],
    kwargs: Mapping[str, Any],
    *,
    timeout_s: float,
    cancel: CancelSignal | None = None,
    on_progress: Callable[[str, float], None] | None = None,
    threads: int = 1,
    poll_s: float = 0.2,
    what: str = "the work",
) -> Any:
    """Run ``fn(**kwargs, progress=…, cancel=…)`` in a new process and return its result.

    Args:
        fn: a module-level function (imported by name in the worker); it must accept the
            keyword arguments ``progress(message, fraction)`` and ``cancel`` (``is_set()``).
        kwargs: its other keyword arguments (picklable plain data).
        timeout_s: wall-clock limit, s; the worker is terminated beyond it.
        cancel: polled every ``poll_s``; once set the worker is stopped (its ``reason``
            attribute, if any, becomes the message of :class:`Cancelled`).
        on_progress: receives the worker's progress reports, in this process.
        threads: CPU threads of the worker's numerical libraries.
        poll_s: polling interval, s.
        what: names the work in messages ("training").

    Returns:
        What ``fn`` returned.

    Raises:
        Cancelled: ``cancel`` was set (the worker has been stopped).
        TimeLimitExceeded: the limit passed (the worker has been terminated).
        WorkerDied: the worker ended without an answer.
        Exception: whatever ``fn`` raised in the worker, re-raised here.
    """
    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe(duplex=True)
    proc = ctx.Process(
        target=_worker_main,
        args=(child_conn, fn.__module__, fn.__qualname__, dict(kwargs), max(1, int(threads))),
        name=f"cryoprotect-{fn.__name__}",
        daemon=True,  # multiprocessing terminates it if this process exits normally
    )
    deadline = time.monotonic() + timeout_s
    proc.start()
    child_conn.close()
    finished = False
    try:
        while True:
            if cancel is not None and cancel.is_set():
                _stop(proc, parent_conn, ask_first=True)
                reason = getattr(cancel, "reason", None)
                raise Cancelled(str(reason) if reason else f"{what} was cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _stop(proc, parent_conn, ask_first=False)
                raise TimeLimitExceeded(
                    f"{what} was stopped at its time limit of {timeout_s:g} s",
                    details={"timeout_s": timeout_s},
                )
            if not parent_conn.poll(min(poll_s, remaining)):
                if proc.exitcode is not None and not parent_conn.poll(0):
                    raise WorkerDied(
                        f"the process running {what} ended unexpectedly (exit code {proc.exitcode})"
                    )
                continue
            try:
                message = parent_conn.recv()
            except EOFError:
                proc.join(STOP_GRACE_S)
                raise WorkerDied(
                    f"the process running {what} ended unexpectedly (exit code {proc.exitcode})"
                ) from None
            kind = message[0]
            if kind == "progress":
                if on_progress is not None:
                    on_progress(message[1], message[2])
            elif kind == "error":
                finished = True
                raise message[1]
            else:
                finished = True
                return message[1]
    finally:
        parent_conn.close()  # the worker's listener sees EOF and exits if still running
        if finished:
            proc.join(STOP_GRACE_S)
        _stop(proc, parent_conn, ask_first=False)
        proc.close()
