"""The token a job polls to learn it should stop."""

from __future__ import annotations

import threading

from cryoprotect.errors import Cancelled


class CancelToken:
    """Set when a job should stop; job functions poll :meth:`is_set` or call :meth:`check`.

    Attributes:
        reason: why (``cancelled by its owner``, ``… the server shut down …``).
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def cancel(self, reason: str) -> None:
        """Ask the job to stop (the first reason is kept)."""
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout_s: float) -> bool:
        return self._event.wait(timeout_s)

    def check(self) -> None:
        """Raise :class:`Cancelled` once the job should stop."""
        if self._event.is_set():
            raise Cancelled(self.reason or "cancelled")
