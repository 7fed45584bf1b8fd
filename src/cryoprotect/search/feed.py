"""Where a change feed stands: a PostgreSQL snapshot, and how the feed moves past it.

The search indexes follow the ``audit_log``, whose trigger records with each row the id of
the transaction that wrote it (``xact_id``: ``pg_current_xact_id()``, migration 0016).
Audit *ids* are no cursor: an id is taken when a row is written but becomes visible only
at COMMIT, so a transaction held open while later ids commit surfaces below any id-based
cursor. Transaction ids and snapshots say exactly which writes a reader has seen:

* a feed read takes the database snapshot of its own statement (``pg_current_snapshot()``:
  ``xmin:xmax:xip``) and records it as its :class:`FeedPosition`;
* everything that snapshot shows has been read: the transactions below ``xmin`` and those
  below ``xmax`` not listed in ``xip`` had ended when it was taken;
* so the next read asks only for rows whose transaction that snapshot did not show — at or
  above ``xmax``, or listed in ``xip`` (:meth:`FeedPosition.unseen`). A transaction open
  for an hour stays in ``xip`` until it commits; its rows are read then, however many
  other changes committed meanwhile. A rolled-back transaction leaves no rows to read.

The position never moves backward (:meth:`FeedPosition.advance`): snapshots taken one after
another on a primary only move forward; if one ever seemed older (``xmin`` or ``xmax``
lower), the feed keeps the position it has, which still truthfully says what it has read
(it then reads a few rows twice, and applying a row twice is harmless).

Pure: no database access here; :mod:`cryoprotect.services.molecule_index` runs the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FeedPosition"]


@dataclass(frozen=True, slots=True)
class FeedPosition:
    """A PostgreSQL snapshot (``pg_snapshot``) the feed has read everything of.

    Attributes:
        xmin: the lowest transaction id still running when it was taken; every lower one
            had ended (committed or rolled back).
        xmax: one past the highest transaction id that had ended; ids from here on had not.
        running: the transaction ids between ``xmin`` and ``xmax`` still running (``xip``).
    """

    xmin: int
    xmax: int
    running: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.xmin <= self.xmax:
            raise ValueError(f"a snapshot needs 0 <= xmin <= xmax, got {self.xmin}:{self.xmax}")
        if any(not self.xmin <= xid < self.xmax for xid in self.running):
            raise ValueError(f"running transactions outside {self.xmin}:{self.xmax}")

    @classmethod
    def parse(cls, text: str) -> FeedPosition:
        """Read ``pg_current_snapshot()::text`` (``"xmin:xmax:xip1,xip2,..."``).

        Raises:
            ValueError: not a snapshot's text form.
        """
        parts = text.strip().split(":")
        if len(parts) != 3:
            raise ValueError(f"not a pg_snapshot: {text!r}")
        xmin, xmax, running = parts
        return cls(
            int(xmin),
            int(xmax),
            tuple(sorted(int(x) for x in running.split(",") if x)),
        )

    def __str__(self) -> str:
        return f"{self.xmin}:{self.xmax}:{','.join(map(str, self.running))}"

    def shows(self, xid: int) -> bool:
        """Whether rows written by transaction ``xid`` were visible in this snapshot (if it
        committed): the same rule as ``pg_visible_in_snapshot``."""
        return xid < self.xmin or (xid < self.xmax and xid not in self.running)

    def unseen(self) -> tuple[int, tuple[int, ...]]:
        """What the next read must ask for: transactions from ``[0]`` on, and those in ``[1]``."""
        return self.xmax, self.running

    def advance(self, newer: FeedPosition) -> FeedPosition:
        """The position after a read that took snapshot ``newer``: ``newer`` unless it is
        older than this one in ``xmin`` or ``xmax``, then this one (never backward)."""
        if newer.xmin < self.xmin or newer.xmax < self.xmax:
            return self
        return newer
