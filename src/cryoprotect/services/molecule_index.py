"""Search indexes over the molecule table, saved, shared by worker processes, kept in step.

The indexes hold every structure in the library (read as the service role); who may
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

Saved and shared: the indexes and their visibility metadata are saved as files under
``Settings.index_path`` (:mod:`cryoprotect.search.persist`) with the feed position they
reflect, and every worker process memory-maps them read-only (one copy in the page cache
for all). Start-up opens the newest saved index and applies the feed from its position,
in time that does not grow with the library; changes live in small in-memory blocks on top
until a background thread writes a new saved index and every process swaps to it.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Molecule, TeamRole, UserTeamMembership
from cryoprotect.search import FeedPosition, SimilarityIndex, SubstructureIndex
from cryoprotect.search.list_order import ListPage, Viewer
from cryoprotect.search.persist import (
    SavedIndexError,
    building,
    open_index,
    prune,
    saved_indexes,
    write_index,
)
from cryoprotect.services.actor import Actor
from cryoprotect.services.index_state import IndexState

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

# What the index holds of a molecule: the list orders hold every molecule (name, weight,
# creation time, scope, kind, class); the search indexes every structure that has a
# fingerprint (:func:`cryoprotect.services.index_state.is_structure`).
_INDEXED = sa.select(
    Molecule.id,
    Molecule.smiles,
    Molecule.morgan_fp,
    Molecule.visibility,
    Molecule.created_by,
    Molecule.team_id,
    Molecule.kind,
    Molecule.name,
    Molecule.molecular_weight,
    Molecule.created_at,
    Molecule.molecule_class,
)


_SOURCE = sa.text(
    """
    SELECT current_database() || ':' || d.oid::text || ':'
           || 'public.molecules'::regclass::oid::text || ':'
           || pg_relation_filenode('public.molecules')::text
    FROM pg_database AS d WHERE d.datname = current_database()
    """
)
_CHECK_S = 2.0  # how often a process looks for a newer saved index


class MoleculeIndex:
    """Similarity and substructure indexes plus visibility metadata for pre-filtering.

    With a directory (``Settings.index_path``, the default), the indexes are saved there
    and memory-mapped: start-up opens the newest saved index that belongs to this database
    and applies only the changes after its feed position; a library without one (or whose
    saved index is missing, unreadable, of another format or database) is built once,
    under a lock that other processes wait on, and saved. When ``rebuild_after`` changes
    have been applied on top of the saved index, a background thread writes a new one
    (one process at a time) and swaps it in; other processes see it within ``_CHECK_S``
    seconds and swap too. Searches never wait for a rebuild. (The similarity index's
    compaction threshold is set above ``rebuild_after`` and ``build_chunk``, so the mapped
    main block is not copied into process memory while a rebuild is due.) ``index_dir=False`` (or a
    directory that cannot be written) keeps everything in memory, as before.
    """

    def __init__(
        self,
        db: Database,
        *,
        index_dir: Path | Literal[False] | None = None,
        rebuild_after: int = 10_000,
        build_chunk: int = 100_000,
    ) -> None:
        self.db = db
        self.index_dir: Path | None = (
            None if index_dir is False else (index_dir or db.settings.index_path)
        )
        self.rebuild_after = rebuild_after
        self.build_chunk = build_chunk
        self._state = self._empty()
        self._lock = threading.RLock()
        self._loaded = False
        self._background: threading.Thread | None = None
        self._checked = -_CHECK_S  # monotonic time of the last look for a newer saved index
        # Whether the database sorts molecules.name bytewise, as the list orders do (None:
        # not asked yet; see cryoprotect.services.molecule_list).
        self.names_bytewise: bool | None = None

    def _empty(self) -> IndexState:
        # Over a saved index, a compaction would copy the mapped block into this process's
        # memory: rebuilds (and a build's folds) come first.
        return IndexState.empty(max(20_000, 2 * self.rebuild_after, self.build_chunk + 1))

    @property
    def similarity(self) -> SimilarityIndex:
        return self._state.similarity

    @property
    def substructure(self) -> SubstructureIndex:
        return self._state.substructure

    @property
    def position(self) -> FeedPosition:
        """The snapshot of the feed's last read: the index reflects everything it shows."""
        return self._state.position

    @property
    def saved_path(self) -> Path | None:
        """The saved index the current state is built on (None: all in memory)."""
        return self.saved_path_of(self._state)

    @staticmethod
    def saved_path_of(state: IndexState) -> Path | None:
        return state.saved.path if state.saved is not None else None

    # ------------------------------------------------------------- loading
    def ensure_loaded(self) -> None:
        with self._lock:
            if not self._loaded:
                self._state = self._open_or_build()
                self._loaded = True

    def _source(self) -> dict[str, str]:
        """Which database (and which molecules table) a saved index belongs to."""
        with self.db.transaction(Identity.service()) as session:
            return {"database": str(session.scalar(_SOURCE))}

    def _open_newest(self, source: dict[str, str]) -> IndexState | None:
        assert self.index_dir is not None
        for path in saved_indexes(self.index_dir):
            state = self._empty()
            try:
                saved = open_index(path, state.similarity, state.substructure, source=source)
            except SavedIndexError as exc:
                logger.warning("saved search index not used", extra={"reason": str(exc)})
                continue
            state.attach(saved)
            return state
        return None

    def _open_or_build(self) -> IndexState:
        """The newest usable saved index, else one built now; either brought up to date."""
        if self.index_dir is None:
            return self._load_in_memory()
        try:
            source = self._source()
            state = self._open_newest(source)
            if state is None:
                with building(self.index_dir, wait=True):
                    state = self._open_newest(source)  # another process may have built it
                    if state is None:
                        state = self._build_saved(source)
        except OSError as exc:
            logger.warning(
                "search index directory unusable; indexes kept in memory",
                extra={"directory": str(self.index_dir), "reason": str(exc)},
            )
            return self._load_in_memory()
        self._sync_state(state)
        logger.info(
            "molecule index opened",
            extra={"molecules": len(state.substructure), "saved": str(self.saved_path_of(state))},
        )
        return state

    def _load_in_memory(self) -> IndexState:
        state = self._empty()
        with self.db.transaction(Identity.service()) as session:
            # Taken before the rows are read: all the snapshot shows, the rows reflect
            # (entries committed in between are applied again by the first sync: harmless).
            state.position = FeedPosition.parse(str(session.scalar(_SNAPSHOT)))
            state.apply_rows(session.execute(_INDEXED).all(), new=True)
        logger.info("molecule index loaded", extra={"molecules": len(state.substructure)})
        return state

    def _build_saved(self, source: dict[str, str]) -> IndexState:
        """Read every row (one statement, streamed) and save them, ``build_chunk`` rows at a
        time folded into a private saved index (memory stays bounded); open the result."""
        assert self.index_dir is not None
        partial = self.index_dir / f".partial-{uuid.uuid4().hex}"
        state = self._empty()
        try:
            with self.db.transaction(Identity.service()) as session:
                position = FeedPosition.parse(str(session.scalar(_SNAPSHOT)))
                result = session.execute(_INDEXED, execution_options={"yield_per": 10_000})
                for part in result.partitions():
                    state.apply_rows(part, new=True)
                    if state.changed >= self.build_chunk:
                        state = self._fold(state, partial, position, source)
            final = self._fold(state, self.index_dir, position, source)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        prune(self.index_dir)
        logger.info("molecule index built and saved", extra={"molecules": len(final.substructure)})
        return final

    def _fold(
        self, state: IndexState, directory: Path, position: FeedPosition, source: dict[str, str]
    ) -> IndexState:
        """Save ``state`` into ``directory`` and open it as a fresh state."""
        path = write_index(
            directory,
            state.similarity,
            state.substructure,
            position=position,
            source=source,
            columns=state.columns,
            lists=state.listing,
        )
        fresh = self._empty()
        fresh.attach(open_index(path, fresh.similarity, fresh.substructure, source=source))
        fresh.position = position
        if directory != self.index_dir:  # a private fold: the previous one is not needed
            for old in saved_indexes(directory)[1:]:
                shutil.rmtree(old, ignore_errors=True)
        return fresh

    # ------------------------------------------------------------- the feed
    def sync(self) -> int:
        """Apply the changes of ``molecules`` committed since the last sync; returns how many
        rows changed. The position moves on only once they are applied."""
        self.ensure_loaded()
        with self._lock:
            changed = self._sync_state(self._state)
        self._maybe_refresh()
        return changed

    def _sync_state(self, state: IndexState) -> int:
        with self.db.transaction(Identity.service()) as session:
            seen = state.position
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
                state.remove([r for r in changed if r not in present])
                state.apply_rows(rows)
            state.position = seen.advance(now)
            return len(changed)

    # ------------------------------------------------------ saved indexes
    def rebuild(self, *, full: bool = False, wait: bool = False) -> Path | None:
        """Write a new saved index of the library as it is now and swap to it; returns its
        path (None without a directory, or when another process is writing one and not
        ``wait``: theirs is picked up when it is done). Searches go on meanwhile.

        Args:
            full: read every row from the table instead of the newest saved index plus
                the changes since (after a restore, say).
            wait: wait for another process's build to end, then write one anyway.
        """
        self.ensure_loaded()
        if self.index_dir is None:
            return None
        with building(self.index_dir, wait=wait) as mine:
            if not mine:
                return None
            source = self._source()
            builder = None if full else self._open_newest(source)
            if builder is None:
                fresh = self._build_saved(source)
            else:
                self._sync_state(builder)
                fresh = self._fold(builder, self.index_dir, builder.position, source)
                prune(self.index_dir)
        assert fresh.saved is not None
        self._swap(fresh)
        return fresh.saved.path

    def _swap(self, fresh: IndexState) -> None:
        """Bring ``fresh`` up to date (the bulk without the lock) and make it current."""
        self._sync_state(fresh)
        with self._lock:
            self._sync_state(fresh)
            self._state = fresh
        logger.info("molecule index swapped", extra={"saved": self.saved_path})

    def _maybe_refresh(self) -> None:
        """Every ``_CHECK_S`` seconds at most: swap to a newer saved index another process
        wrote, else start writing one when ``rebuild_after`` changes piled up (in a
        background thread, one at a time; after a failure, the next try waits a minute)."""
        now = time.monotonic()
        if (
            self.index_dir is None
            or now - self._checked < _CHECK_S
            or (self._background is not None and self._background.is_alive())
        ):
            return
        self._checked = now
        state = self._state
        newest = saved_indexes(self.index_dir)[:1]
        task: Callable[[], object] | None = None
        if newest and (state.saved is None or newest[0].name > state.saved.path.name):
            task = self._adopt
        elif state.changed >= self.rebuild_after:
            task = self.rebuild
        if task is not None:
            self._background = threading.Thread(
                target=self._run_quietly, args=(task,), name="molecule-index", daemon=True
            )
            self._background.start()

    def _adopt(self) -> None:
        """Swap to the newest saved index another process wrote."""
        assert self.index_dir is not None
        fresh = self._open_newest(self._source())
        current = self.saved_path_of(self._state)
        newer = self.saved_path_of(fresh) if fresh is not None else None
        if (
            fresh is not None
            and newer is not None
            and (current is None or newer.name > current.name)
        ):
            self._swap(fresh)

    def _run_quietly(self, task: Callable[[], object]) -> None:
        try:
            task()
        except Exception:  # a failed rebuild leaves the current state serving
            logger.exception("background search index refresh failed")
            self._checked = time.monotonic() + 60.0

    # ---------------------------------------------------------------- list
    def list_page(
        self,
        viewer: Viewer,
        sort: str,
        offset: int,
        limit: int,
        filters: Mapping[str, str] | None = None,
    ) -> ListPage:
        """The list's rows ``[offset, offset + limit)`` in ``sort`` that ``viewer`` may see
        (and that match ``filters``), as of the last :meth:`sync`, and how many there are.
        A prediction: the service re-reads the rows under the caller's identity."""
        self.ensure_loaded()
        with self._lock:
            return self._state.listing.page(sort, viewer, offset, limit, filters)

    # ---------------------------------------------------------- visibility
    @staticmethod
    def viewing_teams(session: Session, actor: Actor) -> frozenset[str]:
        """The teams whose team-visible rows ``actor`` may see (roles that can view)."""
        if actor.user_id is None:
            return frozenset()
        return frozenset(
            str(t)
            for t in session.scalars(
                sa.select(UserTeamMembership.team_id)
                .join(TeamRole, TeamRole.id == UserTeamMembership.role_id)
                .where(UserTeamMembership.user_id == actor.user_id, TeamRole.can_view.is_(True))
            )
        )

    def visibility_filter(self, actor: Actor) -> Callable[[list[str]], list[bool]]:
        """A pre-filter with the same outcome as the SELECT policy, for ranking candidates.

        The database re-checks every hit (see :meth:`confirm_visible`), so this is an
        optimisation that lets top-k searches skip rows the caller could never see.
        """
        me = str(actor.user_id) if actor.user_id else None
        teams: frozenset[str] = frozenset()
        if me is not None:
            with self.db.transaction(actor.identity) as session:
                teams = self.viewing_teams(session, actor)

        def allowed(ids: list[str]) -> list[bool]:
            out = []
            for m in self._state.metas(ids):
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
