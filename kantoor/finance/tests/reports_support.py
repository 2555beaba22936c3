"""A small ledger for the report tests, booked through the services: two fiscal years, a share
capital payment, two sales, a receipt, rent, an office bill and a draft that must not count.

Figures (EUR), for reading the tests:
  2025-06-10 SHARE   Dr 1000 Bank 10000.00          Cr 3000 Share capital 10000.00
  2025-11-05 SALE-1  Dr 1100 Receivable 1210.00     Cr 4000 Sales 1000.00, Cr 2100 VAT 210.00
  2025-12-20 RENT-1  Dr 6100 Rent 500.00            Cr 1000 Bank 500.00
  2026-01-15 SALE-2  Dr 1100 Receivable 2420.00     Cr 4000 Sales 2000.00, Cr 2100 VAT 420.00
  2026-02-03 PAY-1   Dr 1000 Bank 1210.00           Cr 1100 Receivable 1210.00
  2026-03-15 RENT-2  Dr 6100 Rent 750.50            Cr 1000 Bank 750.50
  2026-03-20 BILL-1  Dr 6300 Office 99.99           Cr 2000 Payable 99.99
  2026-03-25 draft   Dr 6500 Marketing 1000.00      Cr 1000 Bank 1000.00   (never posted)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kantoor.finance import services
from kantoor.finance.models import Account, Journal, JournalEntry
from kantoor.parties import services as party_services


def _line(company: Any, code: str, debit: str = "0", credit: str = "0", **extra: Any) -> dict[str, Any]:
    account = Account.objects.get(company=company, code=code)
    return {"account_id": account.pk, "debit": Decimal(debit), "credit": Decimal(credit), **extra}


def book(
    actor: Any, on: dt.date, lines: list[dict[str, Any]], *, reference: str = "", post: bool = True
) -> JournalEntry:
    journal = Journal.objects.get(company_id=actor.company_id, code="GEN")
    entry = services.entry_create(
        actor=actor, journal_id=journal.pk, date=on, reference=reference, lines=lines
    )
    return services.entry_post(actor=actor, entry_id=entry.pk) if post else entry


def sample_ledger(actor: Any) -> dict[str, Any]:
    """Install the generic chart, open 2025 and 2026 and book the entries above."""
    company = actor.company
    services.chart_install(actor=actor, template="generic")
    services.fiscal_year_create(actor=actor, year=2025)
    services.fiscal_year_create(actor=actor, year=2026)
    customer = party_services.party_create(actor=actor, kind="organisation", name="Acme Retail")
    c = company
    entries = {
        "share": book(
            actor,
            dt.date(2025, 6, 10),
            [_line(c, "1000", debit="10000.00"), _line(c, "3000", credit="10000.00")],
            reference="SHARE",
        ),
        "sale1": book(
            actor,
            dt.date(2025, 11, 5),
            [
                _line(c, "1100", debit="1210.00", party_id=customer.pk, label="Invoice 1"),
                _line(c, "4000", credit="1000.00"),
                _line(c, "2100", credit="210.00"),
            ],
            reference="SALE-1",
        ),
        "rent1": book(
            actor,
            dt.date(2025, 12, 20),
            [_line(c, "6100", debit="500.00"), _line(c, "1000", credit="500.00", label="Rent December")],
            reference="RENT-1",
        ),
        "sale2": book(
            actor,
            dt.date(2026, 1, 15),
            [
                _line(c, "1100", debit="2420.00", party_id=customer.pk, label="Invoice 2"),
                _line(c, "4000", credit="2000.00"),
                _line(c, "2100", credit="420.00"),
            ],
            reference="SALE-2",
        ),
        "pay1": book(
            actor,
            dt.date(2026, 2, 3),
            [
                _line(c, "1000", debit="1210.00", label="Payment Acme", party_id=customer.pk),
                _line(c, "1100", credit="1210.00", party_id=customer.pk),
            ],
            reference="PAY-1",
        ),
        "rent2": book(
            actor,
            dt.date(2026, 3, 15),
            [_line(c, "6100", debit="750.50"), _line(c, "1000", credit="750.50", label="Rent March")],
            reference="RENT-2",
        ),
        "bill1": book(
            actor,
            dt.date(2026, 3, 20),
            [_line(c, "6300", debit="99.99"), _line(c, "2000", credit="99.99")],
            reference="BILL-1",
        ),
        "draft": book(
            actor,
            dt.date(2026, 3, 25),
            [_line(c, "6500", debit="1000.00"), _line(c, "1000", credit="1000.00")],
            post=False,
        ),
    }
    accounts = {a.code: a for a in Account.objects.filter(company=company)}
    return {"entries": entries, "accounts": accounts, "customer": customer}
