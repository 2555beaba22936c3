"""Keyset (cursor) pagination for API lists.

A page is the first `limit` rows after the cursor in a fixed, unique ordering (the last
field is always the primary key). The cursor holds the ordering values of the last row,
signed so that a client cannot hand us values of a type the database would choke on;
the next page's query is an index range, never an OFFSET that reads every skipped row —
so page 2,000 of 100,000 parties costs what page 1 costs.

The optional count is capped: counting a million rows to print "1,000,000" is a cost no
list should pay on every request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from pydantic import Field

from kantoor.core.errors import InvalidInputError
from kantoor.core.schemas import QueryInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
COUNT_CAP = 10_000

M = TypeVar("M", bound=Model)


class PageParams(QueryInput):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (at most 200).")
    cursor: str | None = Field(None, max_length=1000, description="`next_cursor` of the previous page.")
    with_count: bool = Field(False, description="Also count the matching rows (up to 10,000).")


@dataclass
class KeysetPage(Generic[M]):
    items: list[M]
    next_cursor: str | None
    count: int | None = None
    count_capped: bool | None = None


def _signer(name: str) -> signing.Signer:
    # The salt ties a cursor to one list, so a cursor of another list is refused too.
    return signing.Signer(salt=f"kantoor.api.cursor.{name}")


def _parse(ordering: Sequence[str]) -> list[tuple[str, bool]]:
    return [(f.lstrip("-"), f.startswith("-")) for f in ordering]


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _cursor_condition(model: type[Model], ordering: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows strictly after `values`: (a > va) or (a = va and b > vb) …, written with a
    leading a >= va so that the database can start its index range scan right there."""
    typed = []
    for (name, _desc), value in zip(ordering, values, strict=True):
        model_field = model._meta.get_field(name)
        if not isinstance(model_field, models.Field):  # pragma: no cover - a programming error
            raise TypeError(f"cannot order a keyset by the relation {name!r}")
        typed.append(model_field.to_python(value))
    condition = Q()
    equal: dict[str, Any] = {}
    for (name, descending), value in zip(ordering, typed, strict=True):
        condition |= Q(**equal, **{f"{name}__{'lt' if descending else 'gt'}": value})
        equal[name] = value
    first_name, first_desc = ordering[0]
    return Q(**{f"{first_name}__{'lte' if first_desc else 'gte'}": typed[0]}) & condition


def keyset_page(
    queryset: QuerySet[M], *, ordering: Sequence[str], params: PageParams, name: str
) -> KeysetPage[M]:
    """One page of `queryset` in `ordering` (whose last field must be unique, e.g. "id")."""
    fields = _parse(ordering)
    qs = queryset.order_by(*ordering)
    if params.cursor:
        try:
            values = _signer(name).unsign_object(params.cursor)
            if not isinstance(values, list) or len(values) != len(fields):
                raise signing.BadSignature("cursor shape")
            qs = qs.filter(_cursor_condition(queryset.model, fields, values))
        except (signing.BadSignature, DjangoValidationError, ValueError, TypeError) as exc:
            raise InvalidInputError.for_field(
                "cursor", _("This cursor is not valid here; start again from the first page.")
            ) from exc
    rows = list(qs[: params.limit + 1])
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = _signer(name).sign_object(
            [_encode(getattr(last, model_field)) for model_field, _desc in fields]
        )
    page = KeysetPage(items=rows, next_cursor=next_cursor)
    if params.with_count:
        counted = queryset.order_by()[: COUNT_CAP + 1].count()
        page.count = min(counted, COUNT_CAP)
        page.count_capped = counted > COUNT_CAP
    return page
