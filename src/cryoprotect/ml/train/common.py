"""Types shared by training and prediction, and the cancel signal training polls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import Cancelled

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Progress = Callable[[str, float], None]
Split = tuple[IntArray, IntArray]


class CancelSignal(Protocol):
    """What :func:`train` polls to stop early (a ``threading.Event`` is one)."""

    def is_set(self) -> bool:
        """True once the work should stop."""
        ...


def stop_if_cancelled(cancel: CancelSignal | None) -> None:
    if cancel is not None and cancel.is_set():
        reason = getattr(cancel, "reason", None)
        raise Cancelled(str(reason) if reason else "training was cancelled")
