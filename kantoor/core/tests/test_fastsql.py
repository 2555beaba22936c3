"""The hot path's plain SQL (kantoor.core.fastsql): a joined read gives the same instances the
ORM would, and the one shared cursor gives way to a logging one when queries are captured."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kantoor.core import fastsql
from kantoor.core.models import Company, NumberSequence
from kantoor.core.services import company_create


def test_select_related_attaches_the_foreign_row_in_one_query(company: Any) -> None:
    # given two companies with a sequence each
    other = company_create(name="Other B.V.")
    NumberSequence.objects.create(company=company, code="a", year=2026, prefix="A", next_number=7)
    NumberSequence.objects.create(company=other, code="a", year=2026, prefix="B")
    # when the first company's sequences are read with their company, by bare column names
    with CaptureQueriesContext(connection) as captured:
        (sequence,) = fastsql.select_related(
            NumberSequence, "company", "company_id = %s AND code = %s", [company.pk, "a"]
        )
        # then one statement read both rows, and the company is there without another
        assert (sequence.prefix, sequence.next_number, sequence.year) == ("A", 7, 2026)
        assert sequence.company.name == "Tulip Trading B.V."
        read_company = sequence.company
    assert len(captured.captured_queries) == 1
    # and the instances are as the ORM builds them: saved, and equal to what it reads
    assert not sequence._state.adding
    assert sequence == NumberSequence.objects.get(company=company)
    assert read_company.created_at == Company.objects.get(pk=company.pk).created_at
    assert isinstance(read_company.created_at, dt.datetime)


def test_select_related_finds_nothing_for_a_where_that_matches_nothing(company: Any) -> None:
    assert fastsql.select_related(NumberSequence, "company", "company_id = %s", [company.pk + 1000]) == []


def test_one_cursor_serves_the_plain_statements_until_queries_are_logged(db: Any) -> None:
    # the same cursor twice
    first = fastsql.cursor()
    assert fastsql.cursor() is first
    first.execute("SELECT 1")
    assert first.fetchall() == [(1,)]
    # while queries are captured another cursor logs them, and the captured statement is there
    with CaptureQueriesContext(connection) as captured:
        logging = fastsql.cursor()
        assert logging is not first
        logging.execute("SELECT 2")
        assert logging.fetchall() == [(2,)]
    assert [query["sql"] for query in captured.captured_queries] == ["SELECT 2"]
    # and afterwards a plain one again, not the logging one
    assert fastsql.cursor() is not logging
