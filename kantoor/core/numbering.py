"""Gapless document numbers per (company, sequence, fiscal year).

A number is allocated inside the caller's transaction by incrementing the sequence row:
on PostgreSQL the UPDATE holds the row lock until commit, on SQLite the IMMEDIATE
transaction holds the database write lock. A rolled-back transaction returns its number,
so no gaps appear and no number is ever used twice.

Every posted document takes this path (an invoice twice: its own number and its entry's),
so it is plain SQL on the connection wrapper: one UPDATE … RETURNING (SQLite 3.35+,
PostgreSQL) takes the number. A sequence's first use creates its row
through the ORM (get_or_create, which also settles a concurrent first use).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from kantoor.core import fastsql
from kantoor.core.models import Company, NumberSequence

# Takes the number in one statement: the UPDATE's row lock (or SQLite's write lock) is held
# until the caller's transaction ends.
_TAKE = (
    "UPDATE core_numbersequence SET next_number = next_number + 1 "
    "WHERE company_id = %s AND code = %s AND year = %s RETURNING pattern, prefix, next_number"
)


def number_allocate(
    *, company_id: int, code: str, on: dt.date, prefix: str = "", fiscal_year: int | None = None
) -> str:
    """Take the next number of sequence `code` for the fiscal year containing `on` (given
    as `fiscal_year` by a caller that knows it, which saves reading the company)."""
    if not connection.in_atomic_block:
        raise RuntimeError("numbers are allocated inside the posting transaction")
    cursor = fastsql.cursor()
    if fiscal_year is None:
        cursor.execute(
            "SELECT fiscal_year_start_month, fiscal_year_start_day FROM core_company WHERE id = %s",
            [int(company_id)],
        )
        found = cursor.fetchall()  # to the end: an unfinished statement stays open
        if not found:  # raises Company.DoesNotExist, as before
            Company.objects.only("fiscal_year_start_month", "fiscal_year_start_day").get(pk=company_id)
        start = Company(fiscal_year_start_month=found[0][0], fiscal_year_start_day=found[0][1])
        fiscal_year = start.fiscal_year_of(on)
    cursor.execute(_TAKE, [int(company_id), code, fiscal_year])
    rows = cursor.fetchall()
    if not rows:
        NumberSequence.objects.get_or_create(
            company_id=company_id,
            code=code,
            year=fiscal_year,
            defaults={"prefix": prefix or code.upper()},
        )
        cursor.execute(_TAKE, [int(company_id), code, fiscal_year])
        rows = cursor.fetchall()
    ((pattern, sequence_prefix, next_number),) = rows
    return str(pattern).format(prefix=sequence_prefix, year=fiscal_year, number=int(next_number) - 1)
