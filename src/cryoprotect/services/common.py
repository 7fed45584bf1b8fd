"""Shared service helpers: pagination and the 404-versus-403 rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the total count of matching rows."""

    items: list[T]
    total: int
    page: int
    per_page: int


def paginate(session: Session, query: sa.Select[Any], page: int, per_page: int) -> Page[Any]:
    """Run ``query`` for one page (1-based) and count all its rows (RLS applies to both)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    total = (
        session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    )
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all())
    return Page(items=items, total=int(total), page=page, per_page=per_page)
