"""Financial reports from posted lines: exact figures on a small ledger, the invariants (the
trial balance's debits equal its credits, the balance sheet balances, the result equals the
change in equity) on random ledgers, and who may read them."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kantoor.core.errors import PermissionDeniedError
from kantoor.core.models import Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import reports, services
from kantoor.finance.models import Account
from kantoor.finance.reports import DateRange, ReportPeriodInvalidError, TrialBalanceFigures
from kantoor.finance.tests.reports_support import book, sample_ledger

pytestmark = pytest.mark.django_db

D = Decimal
Q1 = {"date_from": dt.date(2026, 1, 1), "date_to": dt.date(2026, 3, 31)}


@pytest.fixture
def sample(accountant: Any) -> dict[str, Any]:
    return sample_ledger(accountant)


def _by_code(rows: Any) -> dict[str, Any]:
    return {row.account.code: row for row in rows}


# ----------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 31), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31), (dt.date(2025, 10, 1), dt.date(2025, 12, 31))),
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31), (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
        (dt.date(2026, 3, 10), dt.date(2026, 3, 19), (dt.date(2026, 2, 28), dt.date(2026, 3, 9))),
    ],
)
def test_previous_period_has_the_same_length(date_from: Any, date_to: Any, expected: Any) -> None:
    assert reports.previous_range(DateRange(date_from, date_to)) == DateRange(*expected)


def test_a_range_ending_before_it_starts_is_refused_naming_the_field(company: Any) -> None:
    with pytest.raises(ReportPeriodInvalidError) as caught:
        reports.trial_balance(
            company_id=company.pk, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 2, 1)
        )
    assert caught.value.field_errors == {"date_to": ["The end of the period lies before its start."]}
    with pytest.raises(ReportPeriodInvalidError) as missing:
        reports.profit_and_loss(company_id=company.pk, date_from=None, date_to=None)
    assert set(missing.value.field_errors) == {"date_from", "date_to"}


def test_no_previous_period_before_the_first_day(company: Any) -> None:
    with pytest.raises(ReportPeriodInvalidError):
        reports.trial_balance(
            company_id=company.pk, date_from=dt.date(1, 1, 1), date_to=dt.date(1, 1, 5), compare=True
        )


# ----------------------------------------------------------------------------- trial balance


def test_trial_balance_of_a_quarter_with_the_previous_quarter(sample: Any, accountant: Any) -> None:
    report = reports.trial_balance_for_actor(accountant, compare=True, **Q1)
    rows = _by_code(report.rows)
    assert list(rows) == ["1000", "1100", "2000", "2100", "3000", "4000", "6100", "6300"]
    assert rows["1000"].current == TrialBalanceFigures(D("9500.00"), D("1210.00"), D("750.50"))
    assert rows["1000"].current.closing == D("9959.50")
    assert rows["1100"].current == TrialBalanceFigures(D("1210.00"), D("2420.00"), D("1210.00"))
    assert rows["2000"].current == TrialBalanceFigures(D("0"), D("0"), D("99.99"))
    assert rows["2100"].current == TrialBalanceFigures(D("-210.00"), D("0"), D("420.00"))
    assert rows["3000"].current == TrialBalanceFigures(D("-10000.00"), D("0"), D("0"))
    assert rows["4000"].current == TrialBalanceFigures(D("-1000.00"), D("0"), D("2000.00"))
    assert rows["6100"].current == TrialBalanceFigures(D("500.00"), D("750.50"), D("0"))
    assert rows["6300"].current == TrialBalanceFigures(D("0"), D("99.99"), D("0"))
    assert report.total == TrialBalanceFigures(D("0"), D("4480.49"), D("4480.49"))
    assert report.total.closing == 0
    # the previous quarter: October to December 2025
    assert report.previous_period == DateRange(dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert rows["1000"].previous == TrialBalanceFigures(D("10000.00"), D("0"), D("500.00"))
    assert rows["6300"].previous == TrialBalanceFigures(D("0"), D("0"), D("0"))
    assert report.previous_total == TrialBalanceFigures(D("0"), D("1710.00"), D("1710.00"))
    # amounts are exact Decimals with cents
    assert str(rows["1000"].current.credit) == "750.50"


def test_trial_balance_without_comparison_and_the_draft_left_out(sample: Any, accountant: Any) -> None:
    report = reports.trial_balance_for_actor(accountant, **Q1)
    assert report.previous_period is None
    assert report.previous_total is None
    assert all(row.previous is None for row in report.rows)
    assert "6500" not in _by_code(report.rows)  # only in the draft


# ----------------------------------------------------------------------------- general ledger


def test_general_ledger_summaries_per_account(sample: Any, accountant: Any) -> None:
    report = reports.general_ledger_for_actor(accountant, **Q1)
    accounts = {a.account.code: a for a in report.accounts}
    assert list(accounts) == ["1000", "1100", "2000", "2100", "3000", "4000", "6100", "6300"]
    bank = accounts["1000"]
    assert (bank.opening, bank.debit, bank.credit, bank.closing, bank.line_count) == (
        D("9500.00"),
        D("1210.00"),
        D("750.50"),
        D("9959.50"),
        2,
    )
    assert accounts["3000"].line_count == 0  # a balance but no lines in the quarter
    assert report.total_debit == report.total_credit == D("4480.49")
    assert report.line_count == 9


def test_general_ledger_filtered_by_account_includes_accounts_without_lines(
    sample: Any, accountant: Any
) -> None:
    ids = [sample["accounts"]["1100"].pk, sample["accounts"]["6500"].pk]
    report = reports.general_ledger_for_actor(accountant, account_ids=ids, **Q1)
    assert [(a.account.code, a.opening, a.closing) for a in report.accounts] == [
        ("1100", D("1210.00"), D("2420.00")),
        ("6500", D("0"), D("0")),
    ]


def test_ledger_lines_with_running_balance_page_by_page(sample: Any, accountant: Any) -> None:
    bank = sample["accounts"]["1000"]
    first = reports.ledger_lines_for_actor(accountant, account_id=bank.pk, limit=1, **Q1)
    assert [(line.date, line.debit, line.credit, line.balance) for line in first.lines] == [
        (dt.date(2026, 2, 3), D("1210.00"), D("0.00"), D("10710.00"))
    ]
    line = first.lines[0]
    assert line.entry_id == sample["entries"]["pay1"].pk
    assert line.entry_number == sample["entries"]["pay1"].number
    assert (line.label, line.party_name) == ("Payment Acme", "Acme Retail")
    assert first.next_cursor is not None
    second = reports.ledger_lines_for_actor(
        accountant, account_id=bank.pk, limit=1, cursor=first.next_cursor, **Q1
    )
    assert [(line.date, line.credit, line.balance, line.label) for line in second.lines] == [
        (dt.date(2026, 3, 15), D("750.50"), D("9959.50"), "Rent March")
    ]
    assert second.next_cursor is None
    whole = reports.ledger_lines_for_actor(accountant, account_id=bank.pk, **Q1)
    assert [line.balance for line in whole.lines] == [D("10710.00"), D("9959.50")]


def test_lines_of_one_day_page_by_id(accountant: Any, ledger: Any, acct: Any) -> None:
    day = dt.date(2026, 5, 5)
    for amount in ("1.00", "2.00", "3.00"):
        book(accountant, day, [_line(acct("1000"), debit=amount), _line(acct("4000"), credit=amount)])
    seen, cursor = [], None
    while True:
        page = reports.ledger_lines(
            company_id=ledger.pk,
            account_id=acct("1000").pk,
            date_from=day,
            date_to=day,
            cursor=cursor,
            limit=2,
        )
        seen.extend((line.debit, line.balance) for line in page.lines)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [(D("1.00"), D("1.00")), (D("2.00"), D("3.00")), (D("3.00"), D("6.00"))]


def test_a_bad_cursor_is_refused(accountant: Any, ledger: Any, acct: Any) -> None:
    with pytest.raises(ReportPeriodInvalidError):
        reports.ledger_lines(company_id=ledger.pk, account_id=acct("1000").pk, cursor="nonsense", **Q1)


def test_export_rows_read_every_line_and_refuse_too_many(sample: Any, accountant: Any) -> None:
    report = reports.general_ledger_for_actor(accountant, **Q1)
    rows = reports.general_ledger_export_rows(company_id=accountant.company_id, report=report)
    assert sum(len(lines) for _ref, _summary, lines in rows) == 9
    with pytest.raises(ReportPeriodInvalidError):
        reports.general_ledger_export_rows(company_id=accountant.company_id, report=report, max_lines=8)


# ----------------------------------------------------------------------------- profit and loss


def test_profit_and_loss_of_a_quarter_with_the_previous_quarter(sample: Any, accountant: Any) -> None:
    report = reports.profit_and_loss_for_actor(accountant, compare=True, **Q1)
    assert [(r.account.code, r.amount, r.previous) for r in report.income.rows] == [
        ("4000", D("2000.00"), D("1000.00"))
    ]
    assert [(r.account.code, r.amount, r.previous) for r in report.expense.rows] == [
        ("6100", D("750.50"), D("500.00")),
        ("6300", D("99.99"), D("0")),
    ]
    assert (report.income.total, report.expense.total, report.result) == (
        D("2000.00"),
        D("850.49"),
        D("1149.51"),
    )
    assert (report.income.previous_total, report.expense.previous_total, report.previous_result) == (
        D("1000.00"),
        D("500.00"),
        D("500.00"),
    )


def test_profit_and_loss_result_equals_the_change_in_equity(sample: Any, accountant: Any) -> None:
    result = reports.profit_and_loss_for_actor(accountant, **Q1).result
    before = reports.balance_sheet_for_actor(accountant, at=dt.date(2025, 12, 31)).equity.total
    after = reports.balance_sheet_for_actor(accountant, at=dt.date(2026, 3, 31)).equity.total
    assert after - before == result == D("1149.51")


# ----------------------------------------------------------------------------- balance sheet


def test_balance_sheet_with_the_result_of_this_and_earlier_years(sample: Any, accountant: Any) -> None:
    report = reports.balance_sheet_for_actor(
        accountant, at=dt.date(2026, 3, 31), compare_at=dt.date(2025, 12, 31)
    )
    assert report.fiscal_year_start == dt.date(2026, 1, 1)
    assert report.previous_at == dt.date(2025, 12, 31)
    assert [(r.account.code, r.amount, r.previous) for r in report.assets.rows] == [
        ("1000", D("9959.50"), D("9500.00")),
        ("1100", D("2420.00"), D("1210.00")),
    ]
    assert [(r.account.code, r.amount, r.previous) for r in report.liabilities.rows] == [
        ("2000", D("99.99"), D("0")),
        ("2100", D("630.00"), D("210.00")),
    ]
    assert [(r.account.account_id, r.account.name, r.amount, r.previous) for r in report.equity.rows] == [
        (sample["accounts"]["3000"].pk, "Share capital", D("10000.00"), D("10000.00")),
        (None, "Result of earlier years (not closed)", D("500.00"), D("0")),
        (None, "Current year result", D("1149.51"), D("500.00")),
    ]
    assert (report.assets.total, report.liabilities.total, report.equity.total) == (
        D("12379.50"),
        D("729.99"),
        D("11649.51"),
    )
    assert report.liabilities_and_equity == report.assets.total
    assert report.assets.previous_total == report.previous_liabilities_and_equity == D("10710.00")


def test_balance_sheet_compares_with_a_year_earlier_by_default(sample: Any, accountant: Any) -> None:
    report = reports.balance_sheet_for_actor(accountant, at=dt.date(2026, 6, 10), compare=True)
    assert report.previous_at == dt.date(2025, 6, 10)
    assert report.assets.previous_total == D("10000.00")
    without = reports.balance_sheet_for_actor(accountant, at=dt.date(2026, 6, 10))
    assert without.previous_at is None
    assert without.assets.previous_total is None


def test_balance_sheet_needs_a_date(company: Any) -> None:
    with pytest.raises(ReportPeriodInvalidError):
        reports.balance_sheet(company_id=company.pk, at=None)


def test_fiscal_year_start_without_a_fiscal_year_uses_the_company_setting(company: Any) -> None:
    assert reports.fiscal_year_start(company.pk, dt.date(2030, 7, 1)) == dt.date(2030, 1, 1)
    april = company_create(name="April B.V.", fiscal_year_start_month=4)
    assert reports.fiscal_year_start(april.pk, dt.date(2030, 3, 31)) == dt.date(2029, 4, 1)
    assert reports.fiscal_year_start(april.pk, dt.date(1, 2, 1)) == dt.date.min
    assert reports.balance_sheet(company_id=april.pk, at=dt.date(1, 2, 1)).assets.total == 0


# ----------------------------------------------------------------------------- isolation, permissions


def test_reports_read_only_the_actors_company(
    sample: Any, make_user: Callable[..., Any], other_company: Any
) -> None:
    stranger = make_user("finance", in_company=other_company)
    services.chart_install(actor=stranger, template="generic")
    report = reports.trial_balance_for_actor(stranger, **Q1)
    assert report.rows == ()
    assert report.currency == "GBP"
    assert reports.balance_sheet_for_actor(stranger, at=dt.date(2026, 3, 31)).assets.total == 0


@pytest.mark.parametrize(
    ("roles", "allowed"), [(("finance",), True), (("management",), True), (("sales",), False), ((), False)]
)
def test_who_may_read_the_reports(
    sample: Any, make_user: Callable[..., Any], roles: tuple[str, ...], allowed: bool
) -> None:
    user = make_user(*roles)
    calls = [
        lambda: reports.trial_balance_for_actor(user, **Q1),
        lambda: reports.general_ledger_for_actor(user, **Q1),
        lambda: reports.ledger_lines_for_actor(user, account_id=sample["accounts"]["1000"].pk, **Q1),
        lambda: reports.profit_and_loss_for_actor(user, **Q1),
        lambda: reports.balance_sheet_for_actor(user, at=dt.date(2026, 3, 31)),
    ]
    for call in calls:
        if allowed:
            call()
        else:
            with pytest.raises(PermissionDeniedError):
                call()


# ----------------------------------------------------------------------------- invariants


def _line(account: Any, debit: str = "0", credit: str = "0") -> dict[str, Any]:
    return {"account_id": account.pk, "debit": D(debit), "credit": D(credit)}


_counter = itertools.count()
CODES = ["1000", "1100", "1500", "2000", "2100", "2500", "3000", "4000", "4100", "5000", "6100", "6300"]
amounts = st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2)
entries_strategy = st.lists(
    st.tuples(
        st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 12, 31)),
        st.lists(st.tuples(st.sampled_from(CODES), amounts), min_size=1, max_size=3),
        st.sampled_from(CODES),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=entries_strategy,
    at=st.dates(min_value=dt.date(2024, 12, 1), max_value=dt.date(2027, 1, 31)),
    span=st.integers(min_value=0, max_value=400),
)
def test_invariants_on_random_balanced_ledgers(entries: Any, at: dt.date, span: int) -> None:
    n = next(_counter)
    company = company_create(name=f"Random {n} B.V.")
    actor = user_create(
        actor=None,
        company_id=company.pk,
        username=f"random-{n}",
        password="Kantoor-test-2026!",
        email=f"random{n}@example.test",
        first_name="Ran",
        last_name="Dom",
        roles={Role.FINANCE: Scope.COMPANY},
        language="en",
    )
    services.chart_install(actor=actor, template="generic")
    services.fiscal_year_create(actor=actor, year=2025)
    services.fiscal_year_create(actor=actor, year=2026)
    accounts = {a.code: a for a in Account.objects.filter(company=company)}
    for day, debits, credit_code in entries:
        total = sum((amount for _code, amount in debits), D(0))
        lines = [_line(accounts[code], debit=str(amount)) for code, amount in debits]
        lines.append(_line(accounts[credit_code], credit=str(total)))
        book(actor, day, lines)

    sheet = reports.balance_sheet(company_id=company.pk, at=at, compare=True)
    assert sheet.assets.total == sheet.liabilities_and_equity
    assert sheet.assets.previous_total == sheet.previous_liabilities_and_equity

    date_from = at - dt.timedelta(days=span)
    trial = reports.trial_balance(company_id=company.pk, date_from=date_from, date_to=at, compare=True)
    assert trial.total.debit == trial.total.credit
    assert trial.total.opening == trial.total.closing == 0
    assert trial.previous_total is not None
    assert trial.previous_total.debit == trial.previous_total.credit

    # without owner transactions (nothing booked on equity accounts) the result of a period
    # is the change in equity over it
    if all(credit != "3000" and all(code != "3000" for code, _a in debits) for _d, debits, credit in entries):
        result = reports.profit_and_loss(company_id=company.pk, date_from=date_from, date_to=at).result
        before = reports.balance_sheet(company_id=company.pk, at=date_from - dt.timedelta(days=1))
        after = reports.balance_sheet(company_id=company.pk, at=at)
        assert after.equity.total - before.equity.total == result


def test_a_closed_year_keeps_its_result_in_the_reports(sample: Any, accountant: Any) -> None:
    from kantoor.finance import closing
    from kantoor.finance.models import FiscalYear

    year = FiscalYear.objects.get(company=accountant.company, year=2025)
    closing.fiscal_year_close(actor=accountant, fiscal_year_id=year.pk)
    assert list(reports.closing_entries(accountant.company_id).values()) == [dt.date(2025, 12, 31)]
    # the profit and loss of 2025 leaves the closing entry out
    pnl = reports.profit_and_loss_for_actor(
        accountant, date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31)
    )
    assert pnl.result == D("500.00")
    # on the year's last day the result shows as the year's, not yet as retained earnings
    at_year_end = reports.balance_sheet_for_actor(accountant, at=dt.date(2025, 12, 31))
    assert [(r.account.name, r.amount) for r in at_year_end.equity.rows] == [
        ("Share capital", D("10000.00")),
        ("Current year result", D("500.00")),
    ]
    # in the next year it is in retained earnings, and no earlier result is left open
    later = reports.balance_sheet_for_actor(accountant, at=dt.date(2026, 3, 31))
    assert [(r.account.name, r.amount) for r in later.equity.rows] == [
        ("Share capital", D("10000.00")),
        ("Retained earnings", D("500.00")),
        ("Current year result", D("1149.51")),
    ]
    assert later.assets.total == later.liabilities_and_equity == D("12379.50")
    # the trial balance shows the ledger as it is, closing entry included
    trial = reports.trial_balance_for_actor(
        accountant, date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31)
    )
    assert _by_code(trial.rows)["4000"].current.closing == 0
