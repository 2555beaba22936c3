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

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, models

from kantoor.finance import services
from kantoor.finance.models import AccountRole

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


@dataclass(frozen=True)
class CompanyFacts:
    """What invoicing reads of the company, in one query: its currency, the start of its
    fiscal year (Company.fiscal_year_of), its tax rounding rule (None without finance
    settings) and its receivable and payable accounts (the first active one by code)."""

    currency: str
    fiscal_year_start: tuple[int, int]  # month, day
    tax_rounding: str | None
    receivable_account_id: int | None
    payable_account_id: int | None

    def fiscal_year_of(self, day: dt.date) -> int:
        return day.year if (day.month, day.day) >= self.fiscal_year_start else day.year - 1


_ROLE_ACCOUNT = (
    "(SELECT id FROM finance_account WHERE company_id = c.id AND is_active AND role = %s "
    "ORDER BY code LIMIT 1)"
)


_COMPANY_FACTS = (
    "SELECT c.base_currency, c.fiscal_year_start_month, c.fiscal_year_start_day, "  # noqa: S608 - no input
    "(SELECT tax_rounding FROM finance_financesettings WHERE company_id = c.id), "
    f"{_ROLE_ACCOUNT}, {_ROLE_ACCOUNT} FROM core_company c WHERE c.id = %s"
)


def company_facts(company_id: int) -> CompanyFacts:
    ((currency, month, day, rounding, receivable, payable),) = services._rows(
        _COMPANY_FACTS, [AccountRole.RECEIVABLE.value, AccountRole.PAYABLE.value, company_id]
    )
    return CompanyFacts(
        currency=str(currency),
        fiscal_year_start=(int(month), int(day)),
        tax_rounding=str(rounding) if rounding else None,
        receivable_account_id=receivable,
        payable_account_id=payable,
    )


def role_account(company_id: int, role: str) -> int | None:
    """The company's first active account (by code) with `role`."""
    rows = services._rows(
        "SELECT id FROM finance_account WHERE company_id = %s AND is_active AND role = %s "
        "ORDER BY code LIMIT 1",
        [company_id, role],
    )
    return int(rows[0][0]) if rows else None
