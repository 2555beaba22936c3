"""Keyset pagination: "Next" and "Previous" continue from the last row seen, so page 5,000
costs the same as page 1 (an index range, never OFFSET)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet


@dataclass(frozen=True)
class Ordering:
    """Rows ordered by (`field`, id), both ascending or both descending."""

    field: str
    descending: bool = False
    is_datetime: bool = False

    def order_by(self, *, reverse: bool = False) -> tuple[str, str]:
        down = self.descending != reverse
        sign = "-" if down else ""
        return f"{sign}{self.field}", f"{sign}id"

    def beyond(self, value: Any, pk: int, *, reverse: bool = False) -> Q:
        """Rows after (value, pk) in this ordering (before it with `reverse`)."""
        op = "lt" if self.descending != reverse else "gt"
        return Q(**{f"{self.field}__{op}": value}) | Q(**{self.field: value, f"id__{op}": pk})


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str
    previous_cursor: str

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def _encode(ordering: Ordering, row: Model) -> str:
    value = getattr(row, ordering.field)
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps([value, row.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(ordering: Ordering, cursor: str) -> tuple[Any, int] | None:
    """The (value, id) a cursor names, or None for a cursor that was tampered with."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if ordering.is_datetime:
            value = dt.datetime.fromisoformat(value)
        elif not isinstance(value, str):
            return None
        if not isinstance(pk, int):
            return None
    except (ValueError, TypeError):
        return None
    return value, pk


def keyset_page(
    queryset: QuerySet[Any], ordering: Ordering, *, after: str = "", before: str = "", size: int = 25
) -> Page:
    """One page of `queryset` after the `after` cursor (or before the `before` cursor)."""
    cursor = after or before
    key = _decode(ordering, cursor) if cursor else None
    backwards = key is not None and not after
    qs = queryset.order_by(*ordering.order_by(reverse=backwards))
    if key is not None:
        qs = qs.filter(ordering.beyond(*key, reverse=backwards))
    rows = list(qs[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_next, has_previous = key is not None, has_more
    else:
        has_next, has_previous = has_more, key is not None
    return Page(
        rows=rows,
        next_cursor=_encode(ordering, rows[-1]) if rows and has_next else "",
        previous_cursor=_encode(ordering, rows[0]) if rows and has_previous else "",
    )
