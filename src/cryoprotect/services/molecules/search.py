"""Molecule search: similarity, bounded substructure matching and the background count.

Substructure patterns cost what the caller makes them cost, so they are bounded here
(:class:`SearchBudget`): a pattern must pass the cost analysis for the caller's kind
(:mod:`cryoprotect.science.query_cost`: anonymous or signed in), matching stops at a
deadline and says so (``truncated``), patterns that are not small are matched in a child
process at idle CPU priority, and at most ``concurrent`` scans run at once in a process;
one more is refused with :class:`Busy` instead of waiting.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql import operators

from cryoprotect.db.models import Molecule
from cryoprotect.errors import Busy, InvalidStructureError, LimitExceeded, ValidationError
from cryoprotect.science.fingerprints import morgan_fingerprint
from cryoprotect.science.query_cost import (
    ANONYMOUS_LIMITS,
    SIGNED_IN_LIMITS,
    QueryCost,
    analyse_query,
    check_query_cost,
)
from cryoprotect.science.standardize import register_structure
from cryoprotect.science.substructure import parse_query
from cryoprotect.search import SubstructureHits
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import MAX_PER_PAGE, Page, record_from
from cryoprotect.services.molecule_list import visible_count
from cryoprotect.services.molecules.records import visible_molecule

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from cryoprotect.db.database import Database
    from cryoprotect.services.jobs import JobRecord, JobService
    from cryoprotect.services.molecule_index import MoleculeIndex

T = TypeVar("T")


@dataclass(frozen=True)
class SearchBudget:
    """Bounds on substructure matching (settings ``CRYOPROTECT_SEARCH_*``, see the README).

    Attributes:
        deadline_s: matching time of one search request (and of one highlighted drawing);
            what was found by then is returned with ``truncated``. 0 stops before matching.
        count_deadline_s: matching time of one background count.
        concurrent: substructure scans one process runs at once; more are refused (429).
        list_deadline_s: database time of one list page on the SQL path (a text search, a
            property range): past it the statement is cancelled and the caller told to
            narrow the search (400 ``limit_exceeded``), so one broad search cannot hold a
            worker and a database connection for minutes.
    """

    deadline_s: float = 2.0
    count_deadline_s: float = 60.0
    concurrent: int = 2
    list_deadline_s: float = 5.0


@dataclass(frozen=True, slots=True)
class MoleculeHit:
    """A molecule found by a search: what a result list shows of it."""

    id: uuid.UUID
    name: str | None
    smiles: str | None
    inchikey: str | None
    formula: str | None
    molecular_weight: float | None
    visibility: str

    @classmethod
    def of(cls, row: Molecule) -> MoleculeHit:
        return record_from(cls, row)


@dataclass(frozen=True, slots=True)
class SimilarHit(MoleculeHit):
    """A similarity hit: the molecule and its Tanimoto coefficient (4 decimals)."""

    similarity: float


@dataclass(frozen=True, slots=True)
class SimilarityResult:
    method: str
    items: tuple[SimilarHit, ...]


@dataclass(frozen=True, slots=True)
class SubstructureResult:
    """The first page of substructure hits; ``complete`` is False when more (may) exist."""

    query: str
    items: tuple[MoleculeHit, ...]
    complete: bool
    truncated: bool
    truncated_reason: str | None


@dataclass(frozen=True, slots=True)
class SubstructureCount:
    """A full count of matches; a truncated count is a lower bound."""

    count: int
    truncated: bool
    truncated_reason: str | None


def _truncated_reason(hits: SubstructureHits, deadline_s: float) -> str | None:
    if not hits.truncated:
        return None
    return (
        f"Matching stopped at the {deadline_s:g} s deadline after checking {hits.checked} "
        "candidate molecules; these are the hits found by then and more may exist. "
        "A more specific pattern (named elements, fewer atoms) searches further."
    )


def check_query(actor: Actor, query: str, *, field: str = "query") -> tuple[Any, QueryCost]:
    """Parse a SMARTS/SMILES pattern and refuse it beyond the caller's cost limits.

    Anonymous callers get :data:`ANONYMOUS_LIMITS` (no recursive SMARTS), signed-in
    callers :data:`SIGNED_IN_LIMITS`.

    Returns:
        The parsed query and its :class:`QueryCost`.

    Raises:
        InvalidStructureError: the pattern does not parse (``field``).
        QueryTooComplexError: it exceeds a limit (``field``, ``rule``, ``limit``).
    """
    try:
        pattern = parse_query(query)
    except InvalidStructureError as exc:
        exc.details["field"] = field
        raise
    cost = analyse_query(query, pattern)
    limits = SIGNED_IN_LIMITS if actor.user_id is not None else ANONYMOUS_LIMITS
    check_query_cost(cost, limits, field=field)
    return pattern, cost


_GROUP_COLUMNS = {"visibility", "kind", "molecule_class"}


def _group_filters(query: sa.Select[Any]) -> dict[str, Any] | None:
    """``{column: value}`` when ``query`` filters molecules only by equality on group columns
    of ``molecule_counts`` (none: every molecule), else None."""
    where = query.whereclause
    if where is None:
        return {}
    clauses = list(where.clauses) if isinstance(where, sa.BooleanClauseList) else [where]
    if isinstance(where, sa.BooleanClauseList) and where.operator is not operators.and_:
        return None
    found: dict[str, Any] = {}
    for clause in clauses:
        if not isinstance(clause, sa.BinaryExpression) or clause.operator is not operators.eq:
            return None
        column, value = clause.left, clause.right
        if not (
            isinstance(column, sa.Column)
            and column.table is Molecule.__table__
            and column.name in _GROUP_COLUMNS
            and isinstance(value, sa.BindParameter)
        ):
            return None
        found[column.name] = value.value
    return found


def text_match(q: str) -> sa.ColumnElement[bool]:
    """The list's text search: ``q`` (surrounding spaces ignored) in the name or the synonyms
    (case-insensitive substring), or equal to the InChIKey (upper-cased), the formula or the
    PubChem CID (digits).

    For a ``q`` of 3+ characters without LIKE wildcards, the name and synonym arms are
    answered by ``molecules_containing`` (migration 0017: trigram GIN indexes, the molecules
    SELECT policy applied inside) and the arms are combined as a union of ids, so every arm
    is an index lookup; RLS still applies to the rows returned.
    """
    text = q.strip()
    equal: list[sa.ColumnElement[bool]] = [
        Molecule.inchikey == text.upper(),
        Molecule.formula == text,
    ]
    if text.isdigit() and len(text) < 16:
        equal.append(Molecule.pubchem_cid == int(text))
    if len(text) < 3 or any(c in text for c in "%_\\"):
        pattern = f"%{text}%"
        contains = [
            Molecule.name.ilike(pattern),
            sa.func.molecule_synonyms_text(Molecule.synonyms).ilike(pattern),
        ]
        return sa.or_(contains[0], equal[0], equal[1], contains[1], *equal[2:])
    # One evaluation per statement: the list reads its page and its total in one statement
    # (molecule_page), both from this materialised set of ids.
    hits = (
        sa.union_all(
            sa.select(sa.func.molecules_containing(text).label("id")),
            *(sa.select(Molecule.id).where(clause) for clause in equal),
        )
        .cte("text_hits")
        .prefix_with("MATERIALIZED")
    )
    return Molecule.id.in_(sa.select(hits.c.id))


_STATEMENT_TIMEOUT = sa.text("SELECT set_config('statement_timeout', :ms, true)")
_QUERY_CANCELED = "57014"  # SQLSTATE of a statement stopped by statement_timeout


def molecule_page(
    session: Session,
    query: sa.Select[Any],
    page: int,
    per_page: int,
    *,
    deadline_s: float | None = None,
) -> Page[Any]:
    """One page (1-based) of the molecule list ``query`` and the count of all its rows, as
    :func:`cryoprotect.services.common.paginate` returns them (RLS applies to both).

    The count of a list filtered by nothing but visibility, kind or class is the sum of the
    caller's visible ``molecule_counts`` groups (exact, no table scan). The total and the
    page's ids (an index-only scan of the sort index, however deep the page) are read in
    one statement, so a text search finds its hits once for both; then only those rows.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    groups = _group_filters(query)
    if groups is None:
        counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    else:
        counted = visible_count(groups)
    paged = query.with_only_columns(Molecule.id).limit(per_page).offset((page - 1) * per_page)
    # One statement: the total and the page's ids in order (a text search's hits are found
    # once for both, see text_match).
    if deadline_s is not None:  # transaction-local: gone at COMMIT/ROLLBACK
        session.execute(_STATEMENT_TIMEOUT, {"ms": str(max(1, round(deadline_s * 1000)))})
    try:
        total, ids = session.execute(
            sa.select(counted.scalar_subquery(), sa.func.array(paged.scalar_subquery()))
        ).one()
    except sa.exc.OperationalError as exc:
        if deadline_s is None or getattr(exc.orig, "sqlstate", None) != _QUERY_CANCELED:
            raise
        raise LimitExceeded(
            f"This list needed more than {deadline_s:g} s of database time and was stopped: "
            "it matches too much of the library. Narrow it (more characters in the search, "
            "narrower ranges, or a filter).",
            details={"limit_s": deadline_s},
        ) from exc
    total, ids = int(total or 0), list(ids or [])
    rows = {m.id: m for m in session.scalars(sa.select(Molecule).where(Molecule.id.in_(ids)))}
    return Page([rows[i] for i in ids if i in rows], total, page, per_page)


def _unguarded(run: Callable[[], T]) -> T:
    return run()


class MoleculeSearch:
    """Search use cases of :class:`~cryoprotect.services.molecules.MoleculeService`."""

    db: Database
    index: MoleculeIndex
    budget: SearchBudget
    scan_slots: threading.BoundedSemaphore

    def _hits(self, actor: Actor, ids: list[str]) -> tuple[MoleculeHit, ...]:
        """The visible molecules among ``ids``, in their order (RLS has the final word)."""
        if not ids:
            return ()
        with self.db.transaction(actor.identity) as session:
            rows = {
                str(m.id): MoleculeHit.of(m)
                for m in session.scalars(
                    sa.select(Molecule).where(Molecule.id.in_([uuid.UUID(i) for i in ids]))
                )
            }
        return tuple(rows[i] for i in ids if i in rows)

    def similar(
        self,
        actor: Actor,
        *,
        structure: str | None = None,
        molecule_id: uuid.UUID | None = None,
        k: int = 10,
        threshold: float = 0.0,
    ) -> SimilarityResult:
        """Top-k Tanimoto neighbours (Morgan radius 2, 2048 bits) among visible molecules."""
        if molecule_id is not None:
            with self.db.transaction(actor.identity) as session:
                molecule = visible_molecule(session, molecule_id)
                if molecule.morgan_fp is None:
                    raise ValidationError("This component has no structure.", field="molecule_id")
                fp = bytes(molecule.morgan_fp)
        elif structure:
            fp = morgan_fingerprint(register_structure(structure).mol)
        else:
            raise ValidationError("Give a structure or a molecule_id.", field="structure")
        self.index.sync()
        allowed = self.index.visibility_filter(actor)
        exclude = str(molecule_id) if molecule_id else None

        def allowed_not_self(ids: list[str]) -> list[bool]:
            flags = allowed(ids)
            return [f and i != exclude for i, f in zip(ids, flags, strict=True)]

        hits = self.index.similarity.search(fp, k=k, threshold=threshold, allowed=allowed_not_self)
        scores = dict(hits)
        return SimilarityResult(
            method="Tanimoto on Morgan fingerprints (radius 2, 2048 bits)",
            items=tuple(
                SimilarHit(**asdict(hit), similarity=round(scores[str(hit.id)], 4))
                for hit in self._hits(actor, [i for i, _ in hits])
            ),
        )

    def check_query(
        self, actor: Actor, query: str, *, field: str = "query"
    ) -> tuple[Any, QueryCost]:
        """See :func:`check_query`."""
        return check_query(actor, query, field=field)

    @contextmanager
    def _scan_slot(self) -> Iterator[None]:
        """Hold one of the process's substructure scan slots, or raise :class:`Busy`."""
        if not self.scan_slots.acquire(blocking=False):
            retry_after_s = max(1, math.ceil(self.budget.deadline_s))
            raise Busy(
                f"{self.budget.concurrent} substructure searches are already running in this "
                f"server process; try again in {retry_after_s} s.",
                details={"retry_after_s": retry_after_s, "limit": self.budget.concurrent},
            )
        try:
            yield
        finally:
            self.scan_slots.release()

    def substructure(self, actor: Actor, query: str, *, max_hits: int = 100) -> SubstructureResult:
        """The first page of visible molecules containing the SMARTS/SMILES pattern.

        Matching stops at ``budget.deadline_s``: the hits found by then are returned with
        ``truncated`` and ``truncated_reason``. Queries that are not small are matched in a
        child process at idle CPU priority, killed at the deadline (``isolated``; where a
        process cannot fork, they are checked against the deadline inside each match), so
        an expensive pattern only gets CPU time that other requests leave free.

        Raises:
            QueryTooComplexError: the pattern exceeds the caller's cost limits.
            Busy: ``budget.concurrent`` scans are already running in this process.
        """
        pattern, cost = self.check_query(actor, query)
        self.index.sync()
        allowed = self.index.visibility_filter(actor)
        with self._scan_slot():
            hits = self.index.substructure.find(
                pattern,
                max_hits=max_hits,
                allowed=allowed,
                deadline=time.monotonic() + self.budget.deadline_s,
                guarded=not cost.small,
                isolated=not cost.small,
            )
        return SubstructureResult(
            query=query,
            items=self._hits(actor, hits.ids),
            complete=not hits.truncated and len(hits.ids) < max_hits,
            truncated=hits.truncated,
            truncated_reason=_truncated_reason(hits, self.budget.deadline_s),
        )

    def count_substructure(self, actor: Actor, query: str) -> SubstructureCount:
        """Full count of visible matches, stopped at ``budget.count_deadline_s`` (run it as a
        job); a truncated count is a lower bound. Patterns that are not small are matched as
        in :meth:`substructure`, in an idle-priority child process."""
        pattern, cost = self.check_query(actor, query)
        self.index.sync()
        allowed = self.index.visibility_filter(actor)
        hits = self.index.substructure.find(
            pattern,
            max_hits=10**9,
            allowed=allowed,
            deadline=time.monotonic() + self.budget.count_deadline_s,
            guarded=not cost.small,
            isolated=not cost.small,
        )
        ids = hits.ids
        count = len(self.index.confirm_visible(actor, ids)) if len(ids) < 50_000 else len(ids)
        return SubstructureCount(
            count=count,
            truncated=hits.truncated,
            truncated_reason=_truncated_reason(hits, self.budget.count_deadline_s),
        )

    def start_substructure_count(
        self,
        actor: Actor,
        query: str,
        jobs: JobService,
        *,
        guard: Callable[[Callable[[], Any]], Any] = _unguarded,
    ) -> JobRecord:
        """Start :meth:`count_substructure` as a background job of the signed-in caller.

        The pattern is checked now (a bad or unbounded one fails the request, not the job).
        ``guard`` wraps the check and the count (the API counts refusals and truncations in
        its metrics with it).

        Returns:
            The queued job (``substructure_count``); its result is the
            :class:`SubstructureCount` as JSON.
        """
        actor.require_user()
        guard(lambda: self.check_query(actor, query))
        return jobs.submit(
            actor,
            "substructure_count",
            lambda: asdict(guard(lambda: self.count_substructure(actor, query))),
        )
