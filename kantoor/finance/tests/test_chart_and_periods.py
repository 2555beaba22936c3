"""Chart installation, fiscal years with their periods, closing periods and the lock date."""

from __future__ import annotations

import datetime as dt

import pytest

from kantoor.core.errors import StaleVersionError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.finance import services
from kantoor.finance.charts import GENERIC, NL
from kantoor.finance.errors import (
    ChartInvalidError,
    EntryStateError,
    FiscalYearInvalidError,
    PeriodLockedError,
)
from kantoor.finance.models import Account, FinanceSettings, FiscalYear, Journal, Period

pytestmark = pytest.mark.django_db


def test_chart_install_nl_creates_the_rgs_accounts_and_five_journals(accountant):
    accounts = services.chart_install(actor=accountant, template="nl")

    assert len(accounts) == len(NL.accounts) >= 60
    debtors = Account.objects.get(company=accountant.company, code="1300")
    assert (debtors.name, debtors.account_type, debtors.role, debtors.reference_code) == (
        "Debiteuren",
        "asset",
        "receivable",
        "BVorDebHad",
    )
    assert debtors.is_reconcilable
    journals = Journal.objects.filter(company=accountant.company)
    assert sorted(journals.values_list("code", "kind", "sequence_code")) == [
        ("BNK", "bank", "journal-bnk"),
        ("IK", "purchase", "journal-ik"),
        ("KAS", "cash", "journal-kas"),
        ("MEM", "general", "journal-mem"),
        ("VK", "sales", "journal-vk"),
        ("VRD", "stock", "journal-vrd"),
    ]
    assert journals.get(code="BNK").default_account.code == "1100"
    assert AuditEntry.objects.filter(action="finance.chart_install").count() == 1


def test_every_template_has_one_account_per_code_and_the_roles_invoices_need():
    for template in (GENERIC, NL):
        codes = [a.code for a in template.accounts]
        assert len(codes) == len(set(codes))
        roles = {a.role for a in template.accounts}
        assert {"receivable", "payable", "bank", "cash", "vat_payable", "vat_receivable"} <= roles
        assert {"retained_earnings", "revenue", "rounding", "suspense", "stock"} <= roles
        # What stock valuation books to (kantoor.inventory.valuation).
        assert {"stock_received", "cost_of_sales", "stock_difference", "production"} <= roles


def test_a_second_chart_or_an_unknown_template_is_refused(accountant):
    services.chart_install(actor=accountant, template="generic")
    with pytest.raises(ChartInvalidError):
        services.chart_install(actor=accountant, template="nl")
    with pytest.raises(ChartInvalidError) as refused:
        services.chart_install(actor=accountant, template="martian")
    assert "template" in refused.value.field_errors
    assert Account.objects.filter(company=accountant.company).count() == len(GENERIC.accounts)


def test_fiscal_year_create_makes_twelve_monthly_periods(accountant):
    year = services.fiscal_year_create(actor=accountant, year=2026)

    assert (year.start_date, year.end_date) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    periods = list(Period.objects.filter(fiscal_year=year))
    assert [p.number for p in periods] == list(range(1, 13))
    assert (periods[1].start_date, periods[1].end_date) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert periods[-1].end_date == dt.date(2026, 12, 31)


def test_a_fiscal_year_follows_the_companys_fiscal_start(make_user):
    from kantoor.core.services import company_create

    july = company_create(name="July Ltd", fiscal_year_start_month=7, fiscal_year_start_day=1)
    accountant = make_user("finance", in_company=july)
    year = services.fiscal_year_create(actor=accountant, year=2026)
    assert (year.start_date, year.end_date) == (dt.date(2026, 7, 1), dt.date(2027, 6, 30))
    assert Period.objects.get(fiscal_year=year, number=7).start_date == dt.date(2027, 1, 1)


def test_a_fiscal_year_exists_once(accountant):
    services.fiscal_year_create(actor=accountant, year=2026)
    with pytest.raises(FiscalYearInvalidError):
        services.fiscal_year_create(actor=accountant, year=2026)
    assert FiscalYear.objects.count() == 1


def test_period_close_publishes_period_locked_and_reopen_undoes_it(accountant):
    services.fiscal_year_create(actor=accountant, year=2026)
    march = Period.objects.get(number=3)

    closed = services.period_close(actor=accountant, period_id=march.pk, version=1)

    assert (closed.is_closed, closed.version) == (True, 2)
    event = OutboxEvent.objects.get(name="finance.PeriodLocked")
    assert event.payload["period_id"] == march.pk
    assert event.payload["locked_until"] == "2026-03-31"
    with pytest.raises(EntryStateError):
        services.period_close(actor=accountant, period_id=march.pk)
    with pytest.raises(StaleVersionError):
        services.period_reopen(actor=accountant, period_id=march.pk, version=1)
    reopened = services.period_reopen(actor=accountant, period_id=march.pk, version=2)
    assert (reopened.is_closed, reopened.version) == (False, 3)


def test_a_period_on_or_before_the_lock_date_cannot_be_reopened(accountant):
    services.fiscal_year_create(actor=accountant, year=2026)
    march = Period.objects.get(number=3)
    services.period_close(actor=accountant, period_id=march.pk)
    services.lock_date_set(actor=accountant, lock_date=dt.date(2026, 3, 31))

    with pytest.raises(PeriodLockedError):
        services.period_reopen(actor=accountant, period_id=march.pk)
    assert Period.objects.get(pk=march.pk).is_closed


def test_lock_date_set_publishes_only_when_the_date_moves_forward(accountant):
    first = services.lock_date_set(actor=accountant, lock_date=dt.date(2026, 1, 31))
    assert (first.lock_date, first.version) == (dt.date(2026, 1, 31), 2)
    services.lock_date_set(actor=accountant, lock_date=dt.date(2025, 12, 31), version=2)
    with pytest.raises(StaleVersionError):
        services.lock_date_set(actor=accountant, lock_date=None, version=2)

    assert FinanceSettings.objects.get(company=accountant.company).lock_date == dt.date(2025, 12, 31)
    assert list(
        OutboxEvent.objects.filter(name="finance.PeriodLocked").values_list(
            "payload__locked_until", flat=True
        )
    ) == ["2026-01-31"]
