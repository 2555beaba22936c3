"""Reads of the invoice and payment hot path without the ORM's query compilation.

Creating, posting and paying an invoice reads a handful of rows (the company's currency
and rounding rule, a journal, taxes, the receivable account, the invoice and its lines,
open items). On SQLite the ORM's compilation of each query costs several times the
database work, so — like the ledger's own hot path in services.py — these are plain SQL on
the connection wrapper, with every value converted exactly as the ORM converts it and
model instances built with `Model.from_db` (as a queryset builds them), so callers see the
same objects. Keys are prepared as the ORM prepares a `pk` filter (services._pk).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, models

from kantoor.finance import services

M = TypeVar("M", bound=models.Model)


@functools.cache
def _select_all(model: type[models.Model], vendor: str) -> tuple[str, tuple[Any, ...], list[str]]:
    # `vendor` is part of the cache key: quoting differs per backend.
    opts, quote = model._meta, services._db().ops.quote_name
    fields = tuple(opts.concrete_fields)
    columns = ", ".join(quote(f.column) for f in fields)
    return f"SELECT {columns} FROM {quote(opts.db_table)}", fields, [f.attname for f in fields]  # noqa: S608 - names only


def instances(
    model: type[M], where: str, params: Sequence[Any], *, order_by: str = "", lock: str = ""
) -> list[M]:
    """The rows of `model` matching `where` (SQL over its columns), as model instances;
    `lock` ("FOR UPDATE") applies on PostgreSQL only, as in services._rows."""
    sql, fields, attnames = _select_all(model, services._db().vendor)
    sql = f"{sql} WHERE {where}"
    if order_by:
        sql = f"{sql} ORDER BY {order_by}"
    return [
        model.from_db(DEFAULT_DB_ALIAS, attnames, row)
        for row in services._select(sql, params, fields, lock=lock)
    ]


def keys(model: type[models.Model], values: Iterable[Any]) -> list[Any]:
    """`values` prepared as primary keys of `model` (as a `pk__in` filter prepares them),
    without those no row can have."""
    prepared = {services._pk(model, value) for value in values if value is not None}
    prepared.discard(None)
    return sorted(prepared)


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def by_keys(
    model: type[M], company_id: int | None, values: Iterable[Any], *, order_by: str = "", lock: str = ""
) -> list[M]:
    """The rows of `model` with these primary keys (of the company, when given)."""
    pks = keys(model, values)
    if not pks:
        return []
    pk_column = services._db().ops.quote_name(model._meta.pk.column)
    where = f"{pk_column} IN ({placeholders(pks)})"
    params: list[Any] = list(pks)
    if company_id is not None:
        where += " AND company_id = %s"
        params.append(company_id)
    return instances(model, where, params, order_by=order_by, lock=lock)


def company_currency(company_id: int) -> str:
    ((currency,),) = services._rows("SELECT base_currency FROM core_company WHERE id = %s", [company_id])
    return str(currency)


def tax_rounding(company_id: int) -> str | None:
    """The company's tax rounding rule, None without finance settings."""
    rows = services._rows(
        "SELECT tax_rounding FROM finance_financesettings WHERE company_id = %s ORDER BY id LIMIT 1",
        [company_id],
    )
    return str(rows[0][0]) if rows and rows[0][0] else None


def role_account(company_id: int, role: str) -> int | None:
    """The company's first active account (by code) with `role`."""
    rows = services._rows(
        "SELECT id FROM finance_account WHERE company_id = %s AND is_active AND role = %s "
        "ORDER BY code LIMIT 1",
        [company_id, role],
    )
    return int(rows[0][0]) if rows else None
