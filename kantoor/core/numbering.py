"""Gapless document numbers per (company, sequence, fiscal year).

A number is allocated inside the caller's transaction by incrementing the sequence row:
on PostgreSQL the UPDATE holds the row lock until commit, on SQLite the IMMEDIATE
transaction holds the database write lock. A rolled-back transaction returns its number,
so no gaps appear and no number is ever used twice.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import F

from kantoor.core.models import Company, NumberSequence


def number_allocate(*, company_id: int, code: str, on: dt.date, prefix: str = "") -> str:
    """Take the next number of sequence `code` for the fiscal year containing `on`."""
    if not connection.in_atomic_block:
        raise RuntimeError("numbers are allocated inside the posting transaction")
    company = Company.objects.only("fiscal_year_start_month", "fiscal_year_start_day").get(pk=company_id)
    year = company.fiscal_year_of(on)
    sequence, _ = NumberSequence.objects.get_or_create(
        company_id=company_id, code=code, year=year, defaults={"prefix": prefix or code.upper()}
    )
    NumberSequence.objects.filter(pk=sequence.pk).update(next_number=F("next_number") + 1)
    sequence.refresh_from_db(fields=["next_number"])
    number = sequence.next_number - 1
    return sequence.pattern.format(prefix=sequence.prefix, year=year, number=number)
