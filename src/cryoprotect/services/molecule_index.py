"""In-memory search indexes over the molecule table, kept in step with it.

The indexes hold every structure in the library (loaded once as the service role); who may
see what is still decided by the database: a search first pre-filters candidates with the
visibility metadata kept beside the index (so top-k still returns k visible hits), then
re-reads the hits under the caller's identity, where row-level security has the final word.

Keeping in step: the ``audit_log`` (written by a trigger on every change of ``molecules``)
is the change feed. Each search first applies the audit entries newer than the last one it
saw — one indexed query when nothing changed — so writes by this process, by other worker
processes and by the CLI all reach the index without a full rebuild.
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
from cryoprotect.db.models import AuditLog, Molecule, TeamRole, UserTeamMembership
from cryoprotect.search import SimilarityIndex, SubstructureIndex
from cryoprotect.services.actor import Actor

logger = logging.getLogger(__name__)

# Audit ids are assigned at INSERT but become visible at COMMIT, so a slow transaction can
# surface an id below the cursor: re-read this many ids behind it and skip ones applied.
_REPLAY_WINDOW = 5000

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
        self._cursor = 0
        self._applied: set[int] = set()
        self._lock = threading.RLock()
        self._loaded = False

    # ------------------------------------------------------------- loading
    def ensure_loaded(self) -> None:
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def _load(self) -> None:
        with self.db.transaction(Identity.service()) as session:
            self._cursor = int(
                session.scalar(
                    sa.select(sa.func.coalesce(sa.func.max(AuditLog.id), 0)).where(
                        AuditLog.table_name == "molecules"
                    )
                )
                or 0
            )
            # Entries already reflected in the snapshot below are not replayed by sync().
            self._applied = set(
                session.scalars(
                    sa.select(AuditLog.id).where(
                        AuditLog.table_name == "molecules",
                        AuditLog.id > self._cursor - _REPLAY_WINDOW,
                    )
                )
            )
            rows = session.execute(_INDEXED).all()
        self._apply_rows(rows)
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
        """Apply changes recorded in the audit log since the last sync; returns how many rows."""
        self.ensure_loaded()
        with self._lock, self.db.transaction(Identity.service()) as session:
            entries = session.execute(
                sa.select(AuditLog.id, AuditLog.row_id)
                .where(
                    AuditLog.table_name == "molecules",
                    AuditLog.id > max(0, self._cursor - _REPLAY_WINDOW),
                )
                .order_by(AuditLog.id)
            ).all()
            fresh = [(eid, rid) for eid, rid in entries if eid not in self._applied]
            if not fresh:
                return 0
            changed = sorted({rid for _, rid in fresh if rid})
            rows = session.execute(
                _INDEXED.where(Molecule.id.in_([uuid.UUID(r) for r in changed]))
            ).all()
            present = {str(r.id) for r in rows}
            self._remove([r for r in changed if r not in present])
            self._apply_rows(rows)
            for eid, _ in fresh:
                self._applied.add(eid)
            self._cursor = max(self._cursor, max(eid for eid, _ in fresh))
            floor = self._cursor - _REPLAY_WINDOW
            self._applied = {e for e in self._applied if e > floor}
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
