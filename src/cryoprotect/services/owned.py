"""The columns every user-owned row shows as they are: who owns it, in which scope, when;
and the use cases every owned table shares.

Records of owned rows (experiments, cell types, protocols, …) extend :class:`OwnedRecord`
and take the five columns with ``**owned_columns(row)`` instead of naming them again.
Services of owned tables extend :class:`OwnedRows` for reading, paging, adding and deleting.
Their create use cases take the new row's scope as ``**scope: Unpack[Scope]`` and check it
(and the caller) with :func:`author`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypedDict, TypeVar, Unpack

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database
from cryoprotect.db.models import VISIBILITIES
from cryoprotect.db.models.base import Owned
from cryoprotect.errors import ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import (
    DEFAULT_PER_PAGE,
    Listing,
    Page,
    change_visible,
    get_visible,
    inserted,
    paginate,
)


@dataclass(frozen=True, slots=True)
class OwnedRecord:
    """The owner, scope and timestamps of a record of a user-owned row."""

    visibility: str
    team_id: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


def owned_columns(row: Owned) -> dict[str, Any]:
    """``visibility``, ``team_id``, ``created_by``, ``created_at`` and ``updated_at`` of ``row``."""
    return {
        "visibility": row.visibility,
        "team_id": row.team_id,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def check_scope(visibility: str, team_id: uuid.UUID | None) -> None:
    """:class:`ValidationError` unless ``visibility`` is one of ``VISIBILITIES`` and a team
    row names its team."""
    if visibility not in VISIBILITIES:
        raise ValidationError(
            f"visibility must be one of {', '.join(VISIBILITIES)}.", field="visibility"
        )
    if visibility == "team" and team_id is None:
        raise ValidationError("team_id is required when visibility is 'team'.", field="team_id")


class Scope(TypedDict, total=False):
    """The scope a create use case takes as keywords (``**scope: Unpack[Scope]``):
    ``visibility`` (default ``"private"``) and ``team_id`` (default none)."""

    visibility: str
    team_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Author:
    """The signed-in user creating a row, and the (checked) scope it is created in."""

    user_id: uuid.UUID
    visibility: str
    team_id: uuid.UUID | None

    def columns(self) -> dict[str, Any]:
        """``visibility``, ``team_id`` and ``created_by`` of the new row."""
        return {"visibility": self.visibility, "team_id": self.team_id, "created_by": self.user_id}


def author(actor: Actor, **scope: Unpack[Scope]) -> Author:
    """The caller creating a row in ``scope``: :class:`AuthenticationError` when signed out,
    :class:`ValidationError` for a bad scope (see :func:`check_scope`); a keyword that is not
    part of a scope is the caller's mistake, a :class:`TypeError` as Python would raise it."""
    unknown = sorted(set(scope) - set(Scope.__annotations__))
    if unknown:
        raise TypeError(f"got an unexpected keyword argument {unknown[0]!r}")
    user_id = actor.require_user()
    visibility, team_id = scope.get("visibility", "private"), scope.get("team_id")
    check_scope(visibility, team_id)
    return Author(user_id, visibility, team_id)


Row = TypeVar("Row", bound=Owned)
Record = TypeVar("Record")


class OwnedRows(Generic[Row, Record]):
    """Read, page, add and delete the rows of one owned table under the caller's identity
    (RLS decides), answered as records built inside the transaction.

    A subclass names ``model`` and ``noun`` and turns rows into records with :meth:`record`,
    or with :meth:`records` where a whole page shares its related queries.
    """

    model: type[Row]
    noun: str

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, row: Row) -> Record:
        raise NotImplementedError

    def records(self, session: Session, rows: Sequence[Row]) -> list[Record]:
        """Records of ``rows`` (override to read what they reference once for all)."""
        return [self.record(row) for row in rows]

    def _record(self, session: Session, row: Row) -> Record:
        return self.records(session, [row])[0]

    def _visible(self, session: Session, row_id: uuid.UUID, field: str | None = None) -> Row:
        """The row if the caller may see it, else :class:`NotFound` (naming ``field``)."""
        row: Row = get_visible(session, self.model, row_id, self.noun, field=field)
        return row

    def _page(self, actor: Actor, query: sa.Select[Any], page: int, per_page: int) -> Page[Record]:
        with self.db.transaction(actor.identity) as session:
            result = paginate(session, query, page, per_page)
            return Page(
                self.records(session, result.items), result.total, result.page, result.per_page
            )

    def _listed(self, actor: Actor, query: sa.Select[Any], listing: Listing) -> Page[Record]:
        """The page of ``query`` that a ``list`` call's :class:`Listing` keywords ask for."""
        page, per_page = listing.get("page", 1), listing.get("per_page", DEFAULT_PER_PAGE)
        return self._page(actor, query, page, per_page)

    def get(self, actor: Actor, row_id: uuid.UUID) -> Record:
        with self.db.transaction(actor.identity) as session:
            return self._record(session, self._visible(session, row_id))

    def _add(self, actor: Actor, row: Row) -> Record:
        with self.db.transaction(actor.identity) as session:
            return self._record(session, inserted(session, row))

    def delete(self, actor: Actor, row_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            change_visible(session, self.model, row_id, self.noun)
