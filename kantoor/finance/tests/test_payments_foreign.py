"""Payments in another currency than the company's: a USD invoice paid in USD at another
rate closes in both currencies, the difference booked as an exchange gain or loss."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kantoor.core.models import ExchangeRate
from kantoor.finance import payments
from kantoor.finance.errors import PaymentInvalidError
from kantoor.finance.models import Account, JournalEntry, JournalLine, OpenItem, Payment
from kantoor.finance.selectors import trial_balance
from kantoor.finance.tests.invoicing_support import bank, invoice, line, party, state

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def fin(ledger: Any, accountant: Any) -> Any:
    # 1 EUR = 1.25 USD from 1 March, 1.10 USD from 20 March, 1.25 again from 25 March.
    for day, rate in ((1, "1.25"), (20, "1.10"), (25, "1.25")):
        ExchangeRate.objects.create(
            company_id=accountant.company_id, currency="USD", valid_from=dt.date(2026, 3, day), rate=D(rate)
        )
    return accountant


def usd_invoice(fin: Any, customer: Any, on: dt.date) -> Any:
    return invoice(fin, customer, [line("Tulip bulbs", "1", "125.00")], currency="USD", on=on)


def pay(fin: Any, customer: Any, inv: Any, amount: str, on: dt.date, currency: str = "USD") -> Payment:
    return payments.payment_register(
        actor=fin,
        kind="inbound",
        party_id=customer.pk,
        journal_id=bank(fin).pk,
        date=on,
        amount=amount,
        currency=currency,
        allocations=[{"invoice_id": inv.pk}],
    )


def balance(fin: Any, code: str) -> Decimal:
    rows = {row.code: row.balance for row in trial_balance(company_id=fin.company_id)}
    return rows.get(code, D(0))


def exchange_entries(fin: Any) -> list[tuple[str, Decimal, Decimal, str, Decimal]]:
    """Lines of the exchange-difference entries: (account, debit, credit, currency, amount in currency)."""
    return [
        (line.account.code, line.debit, line.credit, line.currency, line.amount_currency)
        for line in JournalLine.objects.filter(entry__reference="Exchange difference").order_by("entry", "id")
    ]


def assert_all_settled(fin: Any) -> None:
    assert list(OpenItem.objects.filter(account__code="1100").exclude(residual=0)) == []
    assert list(OpenItem.objects.filter(account__code="1100").exclude(residual_currency=0)) == []
    assert balance(fin, "1100") == D(0)
    assert sum(row.balance for row in trial_balance(company_id=fin.company_id)) == D(0)


def test_paid_at_a_better_rate_books_an_exchange_gain(fin: Any) -> None:
    customer = party(fin)
    inv = usd_invoice(fin, customer, dt.date(2026, 3, 1))  # 125 USD = 100.00 EUR
    payment = pay(fin, customer, inv, "125.00", dt.date(2026, 3, 20))  # 125 USD = 113.64 EUR
    assert (payment.currency, payment.amount) == ("USD", D("125.00"))
    assert state(inv) == ("paid", D(0))
    assert exchange_entries(fin) == [
        ("1100", D("13.64"), D(0), "USD", D(0)),
        ("6800", D(0), D("13.64"), "EUR", D("-13.64")),
    ]
    assert balance(fin, "6800") == D("-13.64")
    assert balance(fin, "1000") == D("113.64")
    assert_all_settled(fin)


def test_paid_at_a_worse_rate_books_an_exchange_loss(fin: Any) -> None:
    customer = party(fin)
    inv = usd_invoice(fin, customer, dt.date(2026, 3, 20))  # 125 USD = 113.64 EUR
    pay(fin, customer, inv, "125.00", dt.date(2026, 3, 25))  # 125 USD = 100.00 EUR
    assert state(inv) == ("paid", D(0))
    assert exchange_entries(fin) == [
        ("1100", D(0), D("13.64"), "USD", D(0)),
        ("6800", D("13.64"), D(0), "EUR", D("13.64")),
    ]
    assert balance(fin, "6800") == D("13.64")
    assert_all_settled(fin)


def test_a_partial_payment_keeps_the_invoice_rate_on_what_is_left(fin: Any) -> None:
    customer = party(fin)
    inv = usd_invoice(fin, customer, dt.date(2026, 3, 1))  # 100.00 EUR
    pay(fin, customer, inv, "50.00", dt.date(2026, 3, 20))  # 45.45 EUR for 40.00 EUR of invoice
    assert state(inv) == ("partial", D("75.00"))
    receivable = OpenItem.objects.get(entry=inv.entry, account__code="1100")
    assert (receivable.residual, receivable.residual_currency) == (D("60.00"), D("75.000000"))
    assert balance(fin, "6800") == D("-5.45")
    pay(fin, customer, inv, "75.00", dt.date(2026, 3, 25))  # 60.00 EUR: no difference
    assert state(inv) == ("paid", D(0))
    assert balance(fin, "6800") == D("-5.45")
    assert_all_settled(fin)


def test_cancelling_a_foreign_payment_reopens_the_invoice(fin: Any) -> None:
    customer = party(fin)
    inv = usd_invoice(fin, customer, dt.date(2026, 3, 1))
    payment = pay(fin, customer, inv, "125.00", dt.date(2026, 3, 20))
    payments.payment_cancel(actor=fin, payment_id=payment.pk, date=dt.date(2026, 3, 21))
    assert state(inv) == ("not_paid", D("125.00"))
    receivable = OpenItem.objects.get(entry=inv.entry, account__code="1100")
    assert (receivable.residual, receivable.residual_currency) == (D("100.00"), D("125.000000"))
    # what the cancelled payment left (its exchange gain) is open on the party in EUR only
    assert sum(row.balance for row in trial_balance(company_id=fin.company_id)) == D(0)
    assert balance(fin, "1100") == sum(
        (item.residual for item in OpenItem.objects.filter(account__code="1100")), D(0)
    )


def test_a_foreign_invoice_is_paid_in_its_own_currency_only(fin: Any) -> None:
    customer = party(fin)
    inv = usd_invoice(fin, customer, dt.date(2026, 3, 1))
    before = (JournalEntry.objects.count(), Payment.objects.count(), OpenItem.objects.count())
    with pytest.raises(PaymentInvalidError) as in_euros:
        pay(fin, customer, inv, "100.00", dt.date(2026, 3, 20), currency="EUR")
    assert in_euros.value.field_errors == {
        "allocations[0].invoice_id": [f"{inv.number} is in USD: pay it in that currency."]
    }
    with pytest.raises(PaymentInvalidError) as no_rate:
        pay(fin, customer, inv, "100.00", dt.date(2026, 3, 20), currency="GBP")
    assert list(no_rate.value.field_errors) == ["currency"]
    assert (JournalEntry.objects.count(), Payment.objects.count(), OpenItem.objects.count()) == before
    assert Account.objects.get(company_id=fin.company_id, code="6800").role == "exchange_difference"
