"""Closing a fiscal year: the closing entry zeroes income and expense against retained
earnings, every period and the year close; refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.finance import closing, selectors, services
from kantoor.finance.errors import FiscalYearCloseError, FiscalYearStateError, PeriodLockedError
from kantoor.finance.models import (
    EntryState,
    FinanceSettings,
    FiscalYear,
    JournalEntry,
    JournalLine,
    Period,
)
from kantoor.finance.tests.conftest import YEAR
from kantoor.finance.verify import ledger_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(ledger):
    return FiscalYear.objects.get(company=ledger, year=YEAR)


@pytest.fixture
def next_year(accountant, ledger):
    return services.fiscal_year_create(actor=accountant, year=YEAR + 1)


def balances(company, up_to=None):
    return {
        row.code: row.balance
        for row in selectors.trial_balance(company_id=company.pk, up_to=up_to)
        if row.balance
    }


def state():
    return (
        list(JournalEntry.objects.order_by("pk").values()),
        list(JournalLine.objects.order_by("pk").values()),
        list(Period.objects.order_by("pk").values()),
        list(FiscalYear.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )


def test_closing_a_profitable_year_moves_the_result_to_retained_earnings(
    accountant, ledger, year, next_year, posted
):
    # given sales of 1000.00 and 150.25, rent of 300.10 and bank charges of 0.15 in the year
    posted("1000.00", debit="1000", credit="4000", on=dt.date(YEAR, 2, 10))
    posted("150.25", debit="1100", credit="4100", on=dt.date(YEAR, 6, 30))
    posted("300.10", debit="6100", credit="1000", on=dt.date(YEAR, 12, 31))
    posted("0.15", debit="6700", credit="1000", on=dt.date(YEAR, 1, 1))
    # and a sale in the next year, which the closing leaves alone
    posted("99.00", debit="1000", credit="4000", on=dt.date(YEAR + 1, 1, 1))

    closed = closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)

    # then the result (1150.25 − 300.25 = 850.00) is credited to retained earnings
    assert closed.is_closed
    assert balances(ledger, up_to=dt.date(YEAR, 12, 31)) == {
        "1000": Decimal("699.75"),
        "1100": Decimal("150.25"),
        "3100": Decimal("-850.00"),
    }
    assert closing.result_balances(company_id=ledger.pk, start=year.start_date, end=year.end_date) == []
    assert balances(ledger)["4000"] == Decimal("-99.00")
    entry = JournalEntry.objects.get(narration=f"Closing of fiscal year {YEAR}")
    assert (entry.state, entry.date, entry.journal.code, entry.number) == (
        EntryState.POSTED,
        dt.date(YEAR, 12, 31),
        "GEN",
        f"GEN-{YEAR}-00005",
    )
    assert sorted(entry.lines.values_list("account__code", "debit", "credit")) == [
        ("3100", Decimal("0.00"), Decimal("850.00")),
        ("4000", Decimal("1000.00"), Decimal("0.00")),
        ("4100", Decimal("150.25"), Decimal("0.00")),
        ("6100", Decimal("0.00"), Decimal("300.10")),
        ("6700", Decimal("0.00"), Decimal("0.15")),
    ]
    periods = Period.objects.filter(fiscal_year=year)
    assert set(periods.values_list("is_closed", "version")) == {(True, 2)}
    assert not Period.objects.filter(fiscal_year=next_year, is_closed=True).exists()
    audit = AuditEntry.objects.get(action="finance.fiscal_year_close")
    assert audit.changes == {
        "is_closed": [False, True],
        "result": "850.00",
        "closing_entry": entry.number,
        "periods_closed": 12,
    }
    event = OutboxEvent.objects.get(name="finance.PeriodLocked")
    assert event.payload["locked_until"] == f"{YEAR}-12-31"
    assert event.payload["period_id"] == periods.get(number=12).pk
    assert OutboxEvent.objects.filter(name="finance.EntryPosted", payload__entry_id=entry.pk).count() == 1
    assert ledger_verify(company_id=ledger.pk) == []


def test_closing_a_loss_debits_retained_earnings(accountant, ledger, year, next_year, posted):
    posted("200.00", debit="1000", credit="4000", on=dt.date(YEAR, 3, 1))
    posted("500.50", debit="6000", credit="1000", on=dt.date(YEAR, 3, 2))

    closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)

    assert balances(ledger) == {"1000": Decimal("-300.50"), "3100": Decimal("300.50")}
    entry = JournalEntry.objects.get(narration=f"Closing of fiscal year {YEAR}")
    assert sorted(entry.lines.values_list("account__code", "debit", "credit")) == [
        ("3100", Decimal("300.50"), Decimal("0.00")),
        ("4000", Decimal("200.00"), Decimal("0.00")),
        ("6000", Decimal("0.00"), Decimal("500.50")),
    ]


def test_a_zero_result_still_zeroes_income_and_expense(accountant, ledger, year, next_year, posted):
    posted("75.00", debit="1000", credit="4000", on=dt.date(YEAR, 5, 5))
    posted("75.00", debit="6300", credit="1000", on=dt.date(YEAR, 5, 6))

    closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)

    assert balances(ledger) == {}
    entry = JournalEntry.objects.get(narration=f"Closing of fiscal year {YEAR}")
    assert sorted(entry.lines.values_list("account__code", "debit", "credit")) == [
        ("4000", Decimal("75.00"), Decimal("0.00")),
        ("6300", Decimal("0.00"), Decimal("75.00")),
    ]


def test_a_year_without_income_or_expense_closes_without_an_entry(
    accountant, ledger, year, next_year, posted
):
    posted("5000.00", debit="1000", credit="2500", on=dt.date(YEAR, 4, 1))  # a loan, no result
    entries = JournalEntry.objects.count()

    closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)

    assert JournalEntry.objects.count() == entries
    assert FiscalYear.objects.get(pk=year.pk).is_closed
    assert Period.objects.filter(fiscal_year=year, is_closed=False).count() == 0
    assert AuditEntry.objects.get(action="finance.fiscal_year_close").changes["closing_entry"] == ""
    assert balances(ledger) == {"1000": Decimal("5000.00"), "2500": Decimal("-5000.00")}


def test_periods_closed_before_keep_their_version_and_nothing_posts_into_the_closed_year(
    accountant, ledger, year, next_year, posted, draft
):
    posted("10.00", debit="1000", credit="4000", on=dt.date(YEAR, 1, 10))
    january = Period.objects.get(fiscal_year=year, number=1)
    services.period_close(actor=accountant, period_id=january.pk)

    closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)

    assert Period.objects.get(pk=january.pk).version == 2
    assert AuditEntry.objects.get(action="finance.fiscal_year_close").changes["periods_closed"] == 11
    late = draft("1.00", on=dt.date(YEAR, 12, 31))
    with pytest.raises(PeriodLockedError):
        services.entry_post(actor=accountant, entry_id=late.pk)


def test_a_closed_year_is_not_closed_again(accountant, ledger, year, next_year, posted):
    posted("10.00", debit="1000", credit="4000", on=dt.date(YEAR, 1, 10))
    closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)
    before = state()

    with pytest.raises(FiscalYearStateError):
        closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)
    assert state() == before


def test_a_draft_in_the_year_refuses_the_closing(accountant, ledger, year, next_year, posted, draft):
    posted("10.00", debit="1000", credit="4000", on=dt.date(YEAR, 1, 10))
    draft("3.00", on=dt.date(YEAR, 8, 1))
    before = state()

    with pytest.raises(FiscalYearCloseError) as refused:
        closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)
    assert refused.value.message == (
        f"1 draft entry is dated in fiscal year {YEAR}: post or delete it first."
    )
    assert state() == before


def test_a_draft_of_the_next_year_does_not_refuse_the_closing(accountant, ledger, year, next_year, draft):
    draft("3.00", on=dt.date(YEAR + 1, 1, 1))

    assert closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk).is_closed


def test_the_next_year_must_exist(accountant, ledger, year, posted):
    posted("10.00", debit="1000", credit="4000", on=dt.date(YEAR, 1, 10))
    before = state()

    with pytest.raises(FiscalYearCloseError) as refused:
        closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)
    assert f"{YEAR + 1}-01-01" in refused.value.message
    assert state() == before


def test_a_closed_last_period_refuses_the_closing_entry_and_rolls_everything_back(
    accountant, ledger, year, next_year, posted
):
    posted("10.00", debit="1000", credit="4000", on=dt.date(YEAR, 1, 10))
    services.period_close(actor=accountant, period_id=Period.objects.get(fiscal_year=year, number=12).pk)
    before = state()

    with pytest.raises(PeriodLockedError):
        closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)
    assert state() == before


def test_a_lock_date_at_the_year_end_refuses_the_closing_entry(accountant, ledger, year, next_year, posted):
    posted("10.00", debit="1000", credit="4000", on=dt.date(YEAR, 1, 10))
    services.lock_date_set(actor=accountant, lock_date=dt.date(YEAR, 12, 31))
    before = state()

    with pytest.raises(PeriodLockedError):
        closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)
    assert state() == before
    assert FinanceSettings.objects.get(company=ledger).lock_date == dt.date(YEAR, 12, 31)


def test_an_unknown_year_is_not_found(accountant, ledger):
    with pytest.raises(NotFoundError):
        closing.fiscal_year_close(actor=accountant, fiscal_year_id=987654)


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("anonymous", PermissionDeniedError),
        ("no role", NotFoundError),
        ("sales", NotFoundError),
        ("other company", NotFoundError),
        ("management", PermissionDeniedError),
    ],
)
def test_only_finance_and_administrators_close_a_year(
    who, refusal, make_user, outsider, ledger, year, next_year, posted
):
    posted("10.00", debit="1000", credit="4000", on=dt.date(YEAR, 1, 10))
    actors = {
        "anonymous": AnonymousUser(),
        "no role": make_user(),
        "sales": make_user("sales"),
        "management": make_user("management"),
        "other company": outsider,
    }
    before = state()

    with pytest.raises(refusal):
        closing.fiscal_year_close(actor=actors[who], fiscal_year_id=year.pk)
    assert state() == before


@pytest.mark.parametrize("who", ["finance", "admin"])
def test_finance_and_administrators_may_close(who, accountant, admin_user, ledger, year, next_year, posted):
    posted("10.00", debit="1000", credit="4000", on=dt.date(YEAR, 1, 10))
    actor = accountant if who == "finance" else admin_user

    closing.fiscal_year_close(actor=actor, fiscal_year_id=year.pk)

    assert balances(ledger) == {"1000": Decimal("10.00"), "3100": Decimal("-10.00")}
