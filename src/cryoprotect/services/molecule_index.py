"""In-memory search indexes over the molecule table, kept in step with it.

The indexes hold every structure in the library (loaded once as the service role); who may
see what is still decided by the database: a search first pre-filters candidates with the
visibility metadata kept beside the index (so top-k still returns k visible hits), then
re-reads the hits under the caller's identity, where row-level security has the final word.

Keeping in step: the ``audit_log`` (written by a trigger on every change of ``molecules``)
is the change feed. Each search first applies the audit entries it has not seen — one
indexed query when nothing changed — so writes by this process, by other worker
processes and by the CLI all reach the index without a full rebuild.

What "not seen" means is decided by transaction ids, not audit ids (an id is taken at
INSERT but visible only at COMMIT): each audit row records the transaction that wrote it
(``xact_id``, migration 0016), and the index keeps the PostgreSQL snapshot of its last
feed read (:class:`cryoprotect.search.FeedPosition`). The next read asks for the rows of
transactions that snapshot did not show — those that began after it, and those that were
still running — in the same statement that takes the new snapshot. A transaction held
open while any number of others commit is read when it commits; nothing is read twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Molecule, TeamRole, UserTeamMembership
from cryoprotect.search import FeedPosition, SimilarityIndex, SubstructureIndex
from cryoprotect.services.actor import Actor

logger = logging.getLogger(__name__)

# The feed's read: the statement's own snapshot and, beside it, the molecules' audit
# entries of transactions the previous snapshot did not show (from its xmax on, or still
# running then). Rows whose transaction id is at or past the new snapshot's xmax cannot
# have been written by this server's transactions (they would not be visible yet): they
# come from another cluster through a restore, were reflected by the load, and are read
# at most once, when this server's transaction ids pass them. Two index probes joined by
# UNION ALL (disjoint: the running ids are below the previous xmax); with an OR instead,
# the planner scanned every entry below the new xmax.
_CHANGES = sa.text(
    """
    WITH now AS (
        SELECT pg_current_snapshot()::text AS snapshot,
               pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax
    ), changes AS (
        SELECT id, row_id, xact_id FROM public.audit_log
        WHERE table_name = 'molecules' AND xact_id >= :from_xid
        UNION ALL
        SELECT id, row_id, xact_id FROM public.audit_log
        WHERE table_name = 'molecules' AND xact_id = ANY(CAST(:running AS bigint[]))
    )
    SELECT now.snapshot, c.id, c.row_id
    FROM now LEFT JOIN changes AS c ON c.xact_id < now.xmax
    ORDER BY c.id
    """
)
_SNAPSHOT = sa.text("SELECT pg_current_snapshot()::text")

# What the index holds of a molecule: every structure that has a fingerprint.
_INDEXED = sa.select(
    Molecule.id,
    Molecule.smiles,
    Molecule.morgan_fp,
    Molecule.visibility,
    Molecule.created_by,
    Molecule.team_id,
).where(Molecule.kind == "structure", Molecule.morgan_fp.is_not(None))


@dataclass(frozen=True)
class _Meta:
    visibility: str
    created_by: str
    team_id: str | None


class MoleculeIndex:
    """Similarity and substructure indexes plus visibility metadata for pre-filtering."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.similarity = SimilarityIndex()
        self.substructure = SubstructureIndex()
        self._meta: dict[str, _Meta] = {}
        # Before the load: nothing seen (a sync would read every entry; the load comes first).
        self._position = FeedPosition(0, 0)
        self._lock = threading.RLock()
        self._loaded = False

    @property
    def position(self) -> FeedPosition:
        """The snapshot of the feed's last read: the index reflects everything it shows."""
        return self._position

    # ------------------------------------------------------------- loading
    def ensure_loaded(self) -> None:
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def _load(self) -> None:
        with self.db.transaction(Identity.service()) as session:
            # Taken before the rows are read: all the snapshot shows, the rows reflect
            # (entries committed in between are applied again by the first sync: harmless).
            position = FeedPosition.parse(str(session.scalar(_SNAPSHOT)))
            rows = session.execute(_INDEXED).all()
        self._apply_rows(rows)
        self._position = position
        logger.info("molecule index loaded", extra={"molecules": len(rows)})

    def _apply_rows(self, rows: Sequence[Any]) -> None:  # rows of the index query
        if not rows:
            return
        ids = [str(r.id) for r in rows]
        self.similarity.remove([i for i in ids if i in self.similarity])
        self.substructure.remove([i for i in ids if i in self._meta])
        self.similarity.add(ids, [bytes(r.morgan_fp) for r in rows])
        self.substructure.add(ids, [r.smiles for r in rows])
        for r, i in zip(rows, ids, strict=True):
            self._meta[i] = _Meta(
                r.visibility, str(r.created_by), str(r.team_id) if r.team_id else None
            )

    def _remove(self, ids: list[str]) -> None:
        present = [i for i in ids if i in self._meta]
        if present:
            self.similarity.remove(present)
            self.substructure.remove(present)
            for i in present:
                del self._meta[i]

    def sync(self) -> int:
        """Apply the changes of ``molecules`` committed since the last sync; returns how many
        rows changed. The position moves on only once they are applied."""
        self.ensure_loaded()
        with self._lock, self.db.transaction(Identity.service()) as session:
            seen = self._position
            from_xid, running = seen.unseen()
            entries = session.execute(
                _CHANGES, {"from_xid": from_xid, "running": list(running)}
            ).all()
            now = FeedPosition.parse(entries[0].snapshot)
            changed = sorted({e.row_id for e in entries if e.row_id})
            if changed:
                rows = session.execute(
                    _INDEXED.where(Molecule.id.in_([uuid.UUID(r) for r in changed]))
                ).all()
                present = {str(r.id) for r in rows}
                self._remove([r for r in changed if r not in present])
                self._apply_rows(rows)
            self._position = seen.advance(now)
            return len(changed)

    # ---------------------------------------------------------- visibility
    def visibility_filter(self, actor: Actor) -> Callable[[list[str]], list[bool]]:
        """A pre-filter with the same outcome as the SELECT policy, for ranking candidates.

        The database re-checks every hit (see :meth:`confirm_visible`), so this is an
        optimisation that lets top-k searches skip rows the caller could never see.
        """
        me = str(actor.user_id) if actor.user_id else None
        teams: set[str] = set()
        if me is not None:
            with self.db.transaction(actor.identity) as session:
                teams = {
                    str(t)
                    for t in session.scalars(
                        sa.select(UserTeamMembership.team_id)
                        .join(TeamRole, TeamRole.id == UserTeamMembership.role_id)
                        .where(
                            UserTeamMembership.user_id == actor.user_id, TeamRole.can_view.is_(True)
                        )
                    )
                }
        meta = self._meta

        def allowed(ids: list[str]) -> list[bool]:
            out = []
            for i in ids:
                m = meta.get(i)
                out.append(
                    m is not None
                    and (
                        m.visibility == "public"
                        or (me is not None and m.created_by == me)
                        or (m.visibility == "team" and m.team_id in teams)
                    )
                )
            return out

        return allowed

    def confirm_visible(self, actor: Actor, ids: list[str]) -> set[str]:
        """The subset of ``ids`` the database lets the caller read (RLS is the final word)."""
        if not ids:
            return set()
        with self.db.transaction(actor.identity) as session:
            return {
                str(i)
                for i in session.scalars(
                    sa.select(Molecule.id).where(Molecule.id.in_([uuid.UUID(i) for i in ids]))
                )
            }
