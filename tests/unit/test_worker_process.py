"""The worker process that runs training: result and progress relayed, errors re-raised,
terminated at its time limit or on cancellation, and it leaves no process behind.

The functions run in the worker are defined here at module level: the worker imports this
module by name (``spawn``), as it imports ``cryoprotect.ml.training_run`` in production.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import psutil
import pytest

from cryoprotect.errors import Cancelled, TimeLimitExceeded, ValidationError
from cryoprotect.services.worker_process import run_in_worker_process

pytestmark = pytest.mark.unit

LIMIT_S = 120.0


def report_and_add(a: int, b: int, progress: Any, cancel: Any) -> dict[str, Any]:
    progress("adding", 0.5)
    return {"sum": a + b, "pid": os.getpid(), "threads": os.environ.get("OMP_NUM_THREADS")}


def refuse(progress: Any, cancel: Any) -> None:
    raise ValidationError("no such column", field="target")


def sleep_forever(progress: Any, cancel: Any) -> None:
    progress("started", 0.0)
    while True:
        time.sleep(1)  # ignores the cancel signal: only termination stops it


def wait_for_cancel(progress: Any, cancel: Any) -> None:
    progress("started", 0.0)
    while not cancel.is_set():
        time.sleep(0.01)
    raise Cancelled("stopped cooperatively")


def _spawned_children() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_result_and_progress_come_back_from_another_process() -> None:
    seen: list[tuple[str, float]] = []
    out = run_in_worker_process(
        report_and_add,
        {"a": 2, "b": 3},
        timeout_s=LIMIT_S,
        on_progress=lambda m, f: seen.append((m, f)),
    )
    assert out["sum"] == 5
    assert out["pid"] != os.getpid()
    assert out["threads"] == "1"  # BLAS/OpenMP pools sized before numpy is imported
    assert seen == [("adding", 0.5)]
    assert _spawned_children() == []


def test_errors_of_the_work_are_re_raised_here() -> None:
    with pytest.raises(ValidationError) as caught:
        run_in_worker_process(refuse, {}, timeout_s=LIMIT_S)
    assert caught.value.message == "no such column" and caught.value.field == "target"


def test_work_past_its_time_limit_is_terminated() -> None:
    with pytest.raises(TimeLimitExceeded) as caught:
        run_in_worker_process(sleep_forever, {}, timeout_s=0.5, what="the nap")
    assert "the nap was stopped at its time limit of 0.5 s" in caught.value.message
    assert _spawned_children() == []


def test_cancelled_work_is_terminated_even_when_it_does_not_cooperate() -> None:
    cancel = threading.Event()
    started = threading.Event()

    def on_progress(message: str, fraction: float) -> None:
        started.set()
        cancel.set()  # cancel as soon as the worker reports that it runs

    with pytest.raises(Cancelled):
        run_in_worker_process(
            sleep_forever, {}, timeout_s=LIMIT_S, cancel=cancel, on_progress=on_progress
        )
    assert started.is_set()
    assert _spawned_children() == []


def test_cancelled_work_may_stop_by_itself() -> None:
    class Token(threading.Event):
        reason = "cancelled by its owner"

    cancel = Token()
    with pytest.raises(Cancelled) as caught:
        run_in_worker_process(
            wait_for_cancel,
            {},
            timeout_s=LIMIT_S,
            cancel=cancel,
            on_progress=lambda m, f: cancel.set(),
        )
    assert caught.value.message == "cancelled by its owner"
    assert _spawned_children() == []
