"""Helpers of the invoicing and payment tests: taxes, terms and journals by code, parties,
invoices made (and posted) through the services, and readable summaries of entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from kantoor.core.models import User
from kantoor.finance import invoicing
from kantoor.finance.models import Invoice, Journal, JournalEntry, OpenItem, PaymentTerm, Tax
from kantoor.parties.models import Party
from kantoor.parties.services import party_create

D = Decimal
DAY = dt.date(2026, 3, 1)


def tax(actor: Any, code: str) -> Tax:
    return Tax.objects.get(company_id=actor.company_id, code=code)


def term(actor: Any, name: str) -> PaymentTerm:
    return PaymentTerm.objects.get(company_id=actor.company_id, name=name)


def bank(actor: Any) -> Journal:
    return Journal.objects.get(company_id=actor.company_id, code="BNK")


def party(actor: Any, name: str = "Acme B.V.") -> Party:
    return party_create(actor=actor, kind="organisation", name=name)


def line(
    description: str, quantity: str, price: str, tax_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    return {"description": description, "quantity": quantity, "unit_price": price, "tax_id": tax_id, **extra}


def invoice(
    actor: User,
    customer: Party,
    lines: Sequence[dict[str, Any]],
    *,
    kind: str = "customer_invoice",
    on: dt.date = DAY,
    post: bool = True,
    **extra: Any,
) -> Invoice:
    draft = invoicing.invoice_create(
        actor=actor, kind=kind, party_id=customer.pk, date=on, lines=lines, **extra
    )
    return invoicing.invoice_post(actor=actor, invoice_id=draft.pk) if post else draft


def entry_rows(entry: JournalEntry | None) -> list[tuple[str, Decimal, Decimal, str]]:
    """The entry's lines as (account code, debit, credit, tax tag), sorted."""
    assert entry is not None
    return sorted(
        (line.account.code, line.debit, line.credit, line.tax_tag)
        for line in entry.lines.select_related("account")
    )


def open_items(entry: JournalEntry | None) -> list[tuple[str, Decimal, Decimal]]:
    """The entry's open items as (account code, amount, residual), oldest due first."""
    return [
        (item.account.code, item.amount, item.residual)
        for item in OpenItem.objects.filter(entry=entry)
        .select_related("account")
        .order_by("due_date", "line")
    ]


def state(inv: Invoice) -> tuple[str, Decimal]:
    inv.refresh_from_db()
    return inv.payment_state, inv.amount_residual
