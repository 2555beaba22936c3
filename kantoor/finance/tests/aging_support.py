"""Receivables and payables for the aging and statement tests, booked through the services;
matches are inserted directly (with the residuals they change), as the payment service
would, until that service exists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kantoor.finance import services
from kantoor.finance.models import Account, Journal, JournalEntry, Match, OpenItem


def account(company: Any, code: str) -> Account:
    return Account.objects.get(company=company, code=code)


def book(actor: Any, on: dt.date, lines: list[services.LineIn], *, reference: str = "") -> JournalEntry:
    journal = Journal.objects.get(company_id=actor.company_id, code="GEN")
    entry = services.entry_create(
        actor=actor, journal_id=journal.pk, date=on, lines=lines, reference=reference
    )
    return services.entry_post(actor=actor, entry_id=entry.pk)


def invoice(
    actor: Any, party: Any, on: dt.date, amount: str, due: dt.date | None = None, *, reference: str = ""
) -> OpenItem:
    """A sale: Dr receivable (the party, due `due`), Cr sales; its open item."""
    c = actor.company
    entry = book(
        actor,
        on,
        [
            services.LineIn(
                account_id=account(c, "1100").pk,
                debit=Decimal(amount),
                party_id=party.pk,
                due_date=due,
                label=f"Invoice {reference}".strip(),
            ),
            services.LineIn(account_id=account(c, "4000").pk, credit=Decimal(amount)),
        ],
        reference=reference,
    )
    return OpenItem.objects.get(entry=entry)


def receipt(actor: Any, party: Any, on: dt.date, amount: str, *, reference: str = "") -> OpenItem:
    """Money received (or a credit note): Dr bank, Cr receivable (the party); its receivable item."""
    c = actor.company
    receivable = account(c, "1100")
    entry = book(
        actor,
        on,
        [
            services.LineIn(account_id=account(c, "1000").pk, debit=Decimal(amount)),
            services.LineIn(account_id=receivable.pk, credit=Decimal(amount), party_id=party.pk),
        ],
        reference=reference,
    )
    return OpenItem.objects.get(entry=entry, account=receivable)


def bill(actor: Any, party: Any, on: dt.date, amount: str, due: dt.date | None = None) -> OpenItem:
    """A purchase: Dr office expenses, Cr payable (the party, due `due`); its open item."""
    c = actor.company
    entry = book(
        actor,
        on,
        [
            services.LineIn(account_id=account(c, "6300").pk, debit=Decimal(amount)),
            services.LineIn(
                account_id=account(c, "2000").pk, credit=Decimal(amount), party_id=party.pk, due_date=due
            ),
        ],
    )
    return OpenItem.objects.get(entry=entry)


def match(debit_item: OpenItem, credit_item: OpenItem, amount: str | Decimal, on: dt.date) -> Match:
    """Settle `amount` of the debit item by the credit item on `on`, as reconciliation will."""
    value = Decimal(amount)
    for item, change in ((debit_item, -value), (credit_item, value)):
        residual = OpenItem.objects.values_list("residual", flat=True).get(pk=item.pk)
        OpenItem.objects.filter(pk=item.pk).update(residual=residual + change)
    return Match.objects.create(
        company_id=debit_item.company_id,
        debit_item=debit_item,
        credit_item=credit_item,
        amount=value,
        amount_currency=value,
        date=on,
    )
