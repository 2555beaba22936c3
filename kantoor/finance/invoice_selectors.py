"""Reads of invoices and payments for the pages, scoped to the actor: finance and
management see the company's documents, sales and service those of the parties in their
scope (the party's owner or team). An invisible document is a NotFoundError."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.finance.models import (
    SALES_KINDS,
    Account,
    AccountType,
    FinanceSettings,
    Invoice,
    InvoiceState,
    Journal,
    JournalKind,
    Match,
    Payment,
    PaymentTerm,
    Tax,
    TaxRounding,
)

VIEW = "finance.view_invoice"


def invoices_visible(actor: policy.Actor) -> QuerySet[Invoice]:
    return policy.filter_queryset(actor, VIEW, Invoice.objects.all())


def invoice_get_for_actor(actor: policy.Actor, invoice_id: int) -> Invoice:
    invoice = (
        invoices_visible(actor)
        .select_related("party", "payment_term", "journal", "entry", "credit_note_of")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFoundError()
    return invoice


def invoices_overdue(queryset: QuerySet[Invoice], today: dt.date) -> QuerySet[Invoice]:
    """Posted documents with something still due whose due date has passed."""
    return queryset.filter(state=InvoiceState.POSTED, amount_residual__gt=0, due_date__lt=today)


def payments_visible(actor: policy.Actor) -> QuerySet[Payment]:
    return policy.filter_queryset(actor, VIEW, Payment.objects.all())


def payment_get_for_actor(actor: policy.Actor, payment_id: int) -> Payment:
    payment = (
        payments_visible(actor)
        .select_related("party", "journal", "entry", "reversal")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise NotFoundError()
    return payment


@dataclass(frozen=True)
class Settlement:
    """One match of a document's open items: what settled it (a payment or another
    document) for how much, on which date."""

    match_id: int
    date: dt.date
    amount: Decimal
    payment: Payment | None
    document: Invoice | None


def _matches_of_entry(entry_id: int) -> QuerySet[Match]:
    return (
        Match.objects.filter(Q(debit_item__entry_id=entry_id) | Q(credit_item__entry_id=entry_id))
        .select_related("payment", "debit_item", "credit_item")
        .order_by("date", "id")
    )


def settlements_of_invoice(actor: policy.Actor, invoice: Invoice) -> list[Settlement]:
    """The payments and documents (credit notes, the invoice a credit note credits) that
    settled a posted invoice, only those the actor may see."""
    if invoice.entry_id is None:
        return []
    matches = list(_matches_of_entry(invoice.entry_id))
    other_entries = {
        m.credit_item.entry_id if m.debit_item.entry_id == invoice.entry_id else m.debit_item.entry_id
        for m in matches
        if m.payment_id is None
    }
    documents = {
        doc.entry_id: doc
        for doc in invoices_visible(actor)
        .filter(entry_id__in=other_entries)
        .only("pk", "number", "kind", "entry_id")
    }
    payments_seen = set(
        payments_visible(actor).filter(pk__in={m.payment_id for m in matches}).values_list("pk", flat=True)
    )
    result = []
    for m in matches:
        other = m.credit_item.entry_id if m.debit_item.entry_id == invoice.entry_id else m.debit_item.entry_id
        result.append(
            Settlement(
                match_id=m.pk,
                date=m.date,
                amount=m.amount,
                payment=m.payment if m.payment_id in payments_seen else None,
                document=documents.get(other) if m.payment_id is None else None,
            )
        )
    return result


def invoices_of_payment(actor: policy.Actor, payment: Payment) -> list[tuple[Invoice, Decimal]]:
    """The documents a payment settled (those the actor may see) with the amount each."""
    matches = list(payment.matches.select_related("debit_item", "credit_item"))
    amounts: dict[int, Decimal] = {}
    for m in matches:
        other = m.credit_item.entry_id if m.debit_item.entry_id == payment.entry_id else m.debit_item.entry_id
        amounts[other] = amounts.get(other, Decimal(0)) + m.amount
    documents = invoices_visible(actor).filter(entry_id__in=list(amounts)).order_by("date", "id")
    return [(doc, amounts[doc.entry_id or 0]) for doc in documents]


def open_invoices_of_party(actor: policy.Actor, party_id: int, kinds: tuple[str, ...]) -> QuerySet[Invoice]:
    """Posted documents of `kinds` of a party with something still due, oldest due first."""
    return (
        invoices_visible(actor)
        .filter(party_id=party_id, kind__in=kinds, state=InvoiceState.POSTED, amount_residual__gt=0)
        .order_by("due_date", "id")
    )


def payment_journals(actor: policy.Actor) -> QuerySet[Journal]:
    """The bank and cash journals a payment goes through."""
    return policy.filter_queryset(
        actor, "finance.manage_payment", Journal.objects.filter(kind__in=[JournalKind.BANK, JournalKind.CASH])
    ).order_by("code")


def taxes_for(actor: policy.Actor, scope: str) -> QuerySet[Tax]:
    """The active taxes of a scope (sale or purchase) for the invoice form."""
    return policy.filter_queryset(actor, VIEW, Tax.objects.filter(scope=scope, is_active=True))


def payment_terms_for(actor: policy.Actor) -> QuerySet[PaymentTerm]:
    return policy.filter_queryset(actor, VIEW, PaymentTerm.objects.filter(is_active=True))


def accounts_for(actor: policy.Actor, kind: str) -> tuple[list[Account], list[Account]]:
    """The active accounts for an invoice line of `kind`, as (the usual ones, the others):
    income for sales documents, expenses and assets for purchases first."""
    usual = {AccountType.INCOME} if kind in SALES_KINDS else {AccountType.EXPENSE, AccountType.ASSET}
    accounts = list(
        policy.filter_queryset(actor, VIEW, Account.objects.filter(is_active=True))
        .order_by("code")
        .only("pk", "code", "name", "account_type")
    )
    return (
        [a for a in accounts if a.account_type in usual],
        [a for a in accounts if a.account_type not in usual],
    )


def default_line_account_id(actor: policy.Actor, kind: str) -> int | None:
    """The account a line goes to unless chosen: the sales or purchase journal's default."""
    journal_kind = JournalKind.SALES if kind in SALES_KINDS else JournalKind.PURCHASE
    return (
        policy.filter_queryset(actor, VIEW, Journal.objects.filter(kind=journal_kind))
        .order_by("pk")
        .values_list("default_account_id", flat=True)
        .first()
    )


def tax_rounding_for(actor: policy.Actor) -> str:
    return (
        policy.filter_queryset(actor, VIEW, FinanceSettings.objects.all())
        .values_list("tax_rounding", flat=True)
        .first()
        or TaxRounding.PER_LINE
    )


def party_latest_invoices(actor: policy.Actor, party_id: int, limit: int = 10) -> list[Invoice]:
    """A party's latest documents (all kinds) the actor may see, newest first."""
    return list(invoices_visible(actor).filter(party_id=party_id).order_by("-date", "-id")[:limit])
