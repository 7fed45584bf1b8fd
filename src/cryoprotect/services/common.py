"""Shared service helpers: pagination and the 404-versus-403 rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import rows_changed

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
U = TypeVar("U")
R = TypeVar("R", bound="DataclassInstance")

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25


class Listing(TypedDict, total=False):
    """The paging and free-text search a service's ``list`` takes as keywords
    (``**listing: Unpack[Listing]``): ``page`` from 1 (default 1), ``per_page`` (default
    :data:`DEFAULT_PER_PAGE`, at most :data:`MAX_PER_PAGE`) and the search text ``q``."""

    page: int
    per_page: int
    q: str | None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the total count of matching rows."""

    items: list[T]
    total: int
    page: int
    per_page: int

    def map(self, record: Callable[[T], U]) -> Page[U]:
        """The same page with ``record`` applied to each item (e.g. a row to its record)."""
        return Page([record(item) for item in self.items], self.total, self.page, self.per_page)


def record_from(cls: type[R], source: Any, **computed: Any) -> R:
    """A record of type ``cls``: ``computed`` fields as given, the others read from the
    same-named attributes of ``source`` (a row, or another record)."""
    return cls(
        **{f.name: getattr(source, f.name) for f in fields(cls) if f.name not in computed},
        **computed,
    )


def inserted(session: Session, row: T) -> T:
    """``row`` added and written, with what the database fills in (id, timestamps) read back."""
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


def paginate(session: Session, query: sa.Select[Any], page: int, per_page: int) -> Page[Any]:
    """Run ``query`` for one page (1-based) and count all its rows (RLS applies to both)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    total = (
        session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    )
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all())
    return Page(items=items, total=int(total), page=page, per_page=per_page)


def narrowed(
    query: sa.Select[Any],
    *equal: tuple[Any, Any],
    text: tuple[Any, str | None] = (None, None),
) -> sa.Select[Any]:
    """``query`` narrowed to ``column == value`` for each ``(column, value)`` pair whose value
    is given (not None or empty), and to rows whose ``text`` column contains the ``text``
    string (case-insensitive, surrounding spaces ignored) when one is given."""
    column, q = text
    if q:
        query = query.where(column.ilike(f"%{q.strip()}%"))
    for column, value in equal:
        if value:
            query = query.where(column == value)
    return query


def required_text(value: str | None, message: str, field: str = "name") -> str:
    """``value`` without surrounding spaces; :class:`ValidationError` with ``message`` naming
    ``field`` when it is missing or blank (e.g. "A mixture needs a name.")."""
    from cryoprotect.errors import ValidationError

    text = (value or "").strip()
    if not text:
        raise ValidationError(message, field=field)
    return text


def reject_unknown_fields(
    changes: dict[str, Any], allowed: Any, message: str = "{field} cannot be changed."
) -> None:
    """Raise :class:`ValidationError` naming the first (sorted) field of ``changes`` not in ``allowed``."""
    from cryoprotect.errors import ValidationError

    unknown = set(changes) - set(allowed)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(message.format(field=field), field=field)


def get_visible(
    session: Session, model: Any, row_id: Any, noun: str, *, field: str | None = None
) -> Any:
    """The row if the caller's RLS lets them see it, else :class:`NotFound` (never 403),
    naming ``field`` in its details when given."""
    from cryoprotect.errors import NotFound

    row = session.get(model, row_id)
    if row is None:
        raise NotFound(
            f"{noun.capitalize()} not found.", details={"field": field} if field else None
        )
    return row


def change_visible(
    session: Session, model: Any, row_id: Any, noun: str, values: dict[str, Any] | None = None
) -> None:
    """UPDATE (``values``) or DELETE (None) one row the caller can see.

    The database decides: RLS makes an UPDATE/DELETE the caller may not do affect 0 rows,
    which becomes :class:`PermissionDenied` — the row is visible (checked first), so 403
    reveals nothing; an invisible row is 404.
    """
    from cryoprotect.errors import PermissionDenied

    get_visible(session, model, row_id, noun)
    statement = (
        sa.update(model).where(model.id == row_id).values(**values)
        if values is not None
        else sa.delete(model).where(model.id == row_id)
    )
    result = session.execute(statement.execution_options(synchronize_session=False))
    if rows_changed(result) == 0:
        verb = "change" if values is not None else "delete"
        raise PermissionDenied(f"You may view this {noun} but not {verb} it.")
