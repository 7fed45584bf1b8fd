"""Molecule list pages from the index's list orders: any page in the time of the first.

``GET /molecules?page=`` in SQL is ``ORDER BY … LIMIT 25 OFFSET k``: PostgreSQL walks ``k``
rows (checking the row-level-security predicate on each) before the page, so a page 80 %
through a million molecules took hundreds of milliseconds. The molecule index keeps every
molecule in each of the list's orders (:mod:`cryoprotect.search.list_order`, saved and
memory-mapped with the search indexes, kept in step by the change feed), so a page of a
list filtered by nothing but visibility, kind or class is read off those arrays:

1. the feed is applied (:meth:`MoleculeIndex.sync`: one indexed query when nothing changed),
   so the index reflects every change committed before the request;
2. in one transaction under the caller's identity: the teams the caller can view through
   (the same membership the SELECT policy reads), the index's prediction of the page (the
   ids in order and the count), the exact count the SQL path gives (the caller's visible
   ``molecule_counts`` groups, migration 0017), and the page's rows by id — RLS has the
   final word on every row;
3. the prediction is used only if the database agrees with it: the same total, every
   predicted row returned, each with the scope, name, weight, creation time, kind and
   class the index ordered it by. Otherwise (a change committed between the feed read and
   the page, an index that cannot be trusted) the SQL path answers, as it did before.

Names are ordered by the index as UTF-8 bytes (code points): that is PostgreSQL's order
only where ``molecules.name`` sorts by bytes: the "C" (or "POSIX") collation, as on the
embedded server (``initdb --locale=C``), or a code-point collation (glibc's ``C.UTF-8``, the
default of Debian's PostgreSQL clusters; ``ucs_basic``; the builtin provider) that the
server has been seen to sort probe strings with exactly as bytes. On a server whose
collation sorts otherwise (``en_US.UTF-8``, ICU) the name order keeps the SQL path; weight
and creation time never depend on a collation.
"""

from __future__ import annotations

import logging
import math
import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cryoprotect.db.database import Identity
from cryoprotect.db.models import Molecule
from cryoprotect.search.list_order import SORTS, ListRow, Viewer
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import DEFAULT_PER_PAGE, MAX_PER_PAGE, Listing, Page
from cryoprotect.services.index_state import list_row

if TYPE_CHECKING:
    from cryoprotect.services.molecules.records import MoleculeRecord
    from cryoprotect.services.molecules.registry import MoleculeRegistry

__all__ = ["code_point_candidate", "indexed_page", "names_sort_bytewise", "orders_bytewise"]

logger = logging.getLogger(__name__)

# Molecules per (visibility, team, owner, kind, class) group, kept by triggers (migration
# 0017); its SELECT policy is the molecules one, so the visible sum is the visible count.
_COUNTS = sa.table(
    "molecule_counts",
    sa.column("n"),
    sa.column("visibility"),
    sa.column("kind"),
    sa.column("molecule_class"),
)


def visible_count(groups: dict[str, Any]) -> sa.Select[Any]:
    """The exact number of molecules the caller sees in the ``groups`` (column -> value of
    visibility, kind, molecule_class): a sum over the visible ``molecule_counts`` rows."""
    return sa.select(sa.func.coalesce(sa.func.sum(_COUNTS.c.n), 0)).where(
        *(_COUNTS.c[column] == value for column, value in groups.items())
    )


# Which collation ``molecules.name`` sorts with: the column's own, else the database's
# (and, on PostgreSQL 15+, the database's locale provider: libc, ICU or builtin).
_NAME_COLLATION = sa.text(
    """
    SELECT c.collname, d.datcollate, to_jsonb(d) ->> 'datlocprovider' AS provider
    FROM pg_attribute AS a
    JOIN pg_collation AS c ON c.oid = a.attcollation
    CROSS JOIN pg_database AS d
    WHERE a.attrelid = 'public.molecules'::regclass AND a.attname = 'name'
      AND d.datname = current_database()
    """
)
_BYTEWISE = ("C", "POSIX")
_CODE_POINT = ("c.utf8", "c.utf-8", "ucs_basic", "pg_c_utf8")


def names_sort_bytewise(collation: str, database_collation: str, provider: str | None) -> bool:
    """Whether ``ORDER BY name`` compares names as bytes by the collation's name alone (the
    order the index keeps): "C" or "POSIX", the column's own or the database's (libc)."""
    if collation in _BYTEWISE:
        return True
    return collation == "default" and database_collation in _BYTEWISE and provider in (None, "c")


def code_point_candidate(collation: str, database_collation: str, provider: str | None) -> bool:
    """Whether the collation is one documented to sort by code point, which for UTF-8 text
    is byte order: glibc's ``C.UTF-8`` (2.35+; Debian 12's PostgreSQL clusters default to
    it), PostgreSQL's ``ucs_basic`` and, on 17+, the builtin provider's ``C`` and
    ``C.UTF-8``. A candidate is used only after :func:`orders_bytewise` has seen the server
    sort the probes by bytes: a platform's "C.UTF-8" need not be glibc's."""
    if collation == "default":
        name, libc = database_collation, provider in (None, "c")
        if provider == "b":  # builtin provider: code point order whatever the locale name
            return True
    else:
        name, libc = collation, True
    return libc and name.lower() in _CODE_POINT


# Strings on which linguistic collations (glibc locales, ICU) and UTF-16 order disagree
# with byte order: case, accents and combining marks, ignorable punctuation and spaces,
# digits, Greek, the dotted/dotless i, sharp s, and a character beyond the BMP.
_PROBES = (
    "a", "A", "b", "B", "Z", "z", "é", "e", "f", "e\u0301", "ab", "a b", "a-b", "a_b", "ä",
    "ß", "ss", "10", "9", " ", "~", "Ω", "İ", "ı", "i", "\U0001f600", "\ufffd", "",
)  # fmt: skip


def orders_bytewise(session: Any, collation: str) -> bool:
    """Whether the server sorts the probe strings under ``collation`` exactly as bytes."""
    quoted = '"' + collation.replace('"', '""') + '"'
    probe = sa.text(
        f"SELECT array_agg(p ORDER BY p COLLATE {quoted}) FROM unnest(CAST(:p AS text[])) AS p"  # noqa: S608 - a quoted identifier read from pg_collation
    )
    found = session.scalar(probe, {"p": list(_PROBES)})
    return list(found or []) == sorted(_PROBES, key=lambda text: text.encode())


def _same(row: ListRow, expected: ListRow) -> bool:
    mine, theirs = row.molecular_weight, expected.molecular_weight
    both_nan = mine is not None and theirs is not None and math.isnan(mine) and math.isnan(theirs)
    if both_nan:
        return row == ListRow(**{**_fields(expected), "molecular_weight": mine})
    return row == expected


def _fields(row: ListRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ListRow.__slots__}


def _name_order_allowed(service: MoleculeRegistry) -> bool:
    index = service.index
    known = index.names_bytewise
    if known is None:
        with service.db.transaction(Identity.service()) as session:
            found = session.execute(_NAME_COLLATION).one()
            facts = (found.collname, found.datcollate, found.provider)
            known = names_sort_bytewise(*facts) or (
                code_point_candidate(*facts) and orders_bytewise(session, found.collname)
            )
        index.names_bytewise = known
    return known


def indexed_page(
    service: MoleculeRegistry,
    actor: Actor,
    *,
    sort: str,
    listing: Listing,
    visibility: str | None = None,
    molecule_class: str | None = None,
    kind: str | None = None,
    ranges: dict[str, Any] | None = None,
) -> Page[MoleculeRecord] | None:
    """The page ``MoleculeService.list`` would return, from the index; None when this list
    is not one the index answers (a text search, property ranges, an unknown sort, names
    on a server that does not sort them bytewise) or the database disagrees with the index
    (the SQL path answers then)."""
    if listing.get("q") or ranges or sort not in SORTS:
        return None
    if sort == "name" and not _name_order_allowed(service):
        return None
    per_page = max(1, min(listing.get("per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE))
    page = max(1, listing.get("page", 1))
    # As narrowed() does: a filter given as None or "" filters nothing.
    filters = {
        column: value
        for column, value in (
            ("visibility", visibility),
            ("kind", kind),
            ("molecule_class", molecule_class),
        )
        if value
    }
    index = service.index
    index.sync()
    with service.db.transaction(actor.identity) as session:
        viewer = Viewer(
            str(actor.user_id) if actor.user_id else None, index.viewing_teams(session, actor)
        )
        predicted = index.list_page(viewer, sort, (page - 1) * per_page, per_page, filters)
        total = int(session.scalar(visible_count(filters)) or 0)
        if total != predicted.total:
            logger.info(
                "molecule list index disagrees with the database; SQL answers",
                extra={"index_total": predicted.total, "total": total},
            )
            return None
        ids = [uuid.UUID(row.id) for row in predicted.rows]
        rows = (
            {m.id: m for m in session.scalars(sa.select(Molecule).where(Molecule.id.in_(ids)))}
            if ids
            else {}
        )
        for key, expected in zip(ids, predicted.rows, strict=True):
            row = rows.get(key)
            if row is None or not _same(list_row(row), expected):
                logger.info(
                    "molecule list index out of step with a row; SQL answers",
                    extra={"molecule_id": str(key)},
                )
                return None
        return Page(service.records(session, [rows[key] for key in ids]), total, page, per_page)
