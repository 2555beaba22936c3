"""Fixtures of the finance tests: a company with the generic chart, the current fiscal
year and an accountant; `post` builds posted entries through the services. The API
fixtures come from core's api_support."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kantoor.core.tests.api_support import anonymous_api, api_as
from kantoor.finance import services
from kantoor.finance.models import Account, Journal, JournalEntry

__all__ = ["anonymous_api", "api_as"]

YEAR = 2026


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    return make_user("finance", username="fiona")


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("management", username="manon")


@pytest.fixture
def ledger(accountant: Any) -> Any:
    """The generic chart and fiscal year 2026 in the accountant's company."""
    services.chart_install(actor=accountant, template="generic")
    services.fiscal_year_create(actor=accountant, year=YEAR)
    return accountant.company


@pytest.fixture
def acct(ledger: Any) -> Callable[[str], Account]:
    return lambda code: Account.objects.get(company=ledger, code=code)


@pytest.fixture
def journal(ledger: Any) -> Callable[[str], Journal]:
    return lambda code: Journal.objects.get(company=ledger, code=code)


def line(account: Account, debit: str | int = 0, credit: str | int = 0, **extra: Any) -> dict[str, Any]:
    return {"account_id": account.pk, "debit": Decimal(str(debit)), "credit": Decimal(str(credit)), **extra}


@pytest.fixture
def draft(accountant: Any, acct: Any, journal: Any) -> Callable[..., JournalEntry]:
    """draft(amount, debit="6100", credit="1000", on=date, journal="GEN") — a two-line draft."""

    def make(
        amount: str | int = "100.00",
        *,
        debit: str = "6100",
        credit: str = "1000",
        on: dt.date = dt.date(YEAR, 3, 15),
        journal_code: str = "GEN",
        narration: str = "",
    ) -> JournalEntry:
        return services.entry_create(
            actor=accountant,
            journal_id=journal(journal_code).pk,
            date=on,
            narration=narration,
            lines=[line(acct(debit), debit=amount), line(acct(credit), credit=amount)],
        )

    return make


@pytest.fixture
def posted(accountant: Any, draft: Callable[..., JournalEntry]) -> Callable[..., JournalEntry]:
    def make(*args: Any, **kwargs: Any) -> JournalEntry:
        entry = draft(*args, **kwargs)
        return services.entry_post(actor=accountant, entry_id=entry.pk)

    return make
