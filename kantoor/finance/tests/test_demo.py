"""The finance demo step: the Dutch chart, this year and a few posted entries, re-runnable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kantoor.core import demo as core_demo
from kantoor.finance import selectors
from kantoor.finance.demo import DEMO_ENTRIES
from kantoor.finance.models import Account, JournalEntry
from kantoor.finance.verify import ledger_verify

pytestmark = pytest.mark.django_db


def load() -> int:
    loaded = core_demo.demo_company_load()
    step = next(s for s in core_demo.steps() if s.name == "finance")
    step.load(loaded.company, loaded.users, core_demo.step_random("finance"), lambda *_: lambda n=1: None, {})
    return loaded.company.pk


def test_the_finance_demo_posts_its_entries_once():
    company_id = load()
    entries = list(
        JournalEntry.objects.filter(company_id=company_id).values_list("reference", "state", "number")
    )
    load()

    assert (
        list(JournalEntry.objects.filter(company_id=company_id).values_list("reference", "state", "number"))
        == entries
    )
    assert len(entries) == len(DEMO_ENTRIES) + 1  # and the reversal of the misbooked fuel
    assert {state for _ref, state, _number in entries} == {"posted"}
    assert Account.objects.filter(company_id=company_id, code="1300", reference_code="BVorDebHad").exists()
    balances = {
        row.code: row.balance for row in selectors.trial_balance(company_id=company_id) if row.balance
    }
    assert balances["1100"] == Decimal("48250.00") - Decimal("2450.00") - Decimal("107.69") - Decimal("74.38")
    assert balances["4200"] == Decimal("74.38")
    assert balances["4100"] == Decimal("2450.00")  # the misbooked fuel is reversed
    assert sum(balances.values()) == 0
    assert ledger_verify(company_id=company_id) == []
