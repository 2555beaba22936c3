"""The finance demo step: the Dutch chart, this year and a few posted entries, then invoices,
credit notes, bills and payments in every state — re-runnable."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from kantoor.core import demo as core_demo
from kantoor.finance import selectors
from kantoor.finance.demo import DEMO_ENTRIES, DEMO_IBAN, OVERPAYMENT
from kantoor.finance.models import Account, Invoice, Journal, JournalEntry, OpenItem, Payment
from kantoor.finance.verify import ledger_verify

pytestmark = pytest.mark.django_db


def load() -> int:
    loaded = core_demo.demo_company_load()
    steps = {step.name: step for step in core_demo.steps()}
    for name, options in (("parties", {"parties": 40}), ("finance", {})):
        steps[name].load(
            loaded.company, loaded.users, core_demo.step_random(name), lambda *_: lambda n=1: None, options
        )
    return loaded.company.pk


def snapshot(company_id: int) -> list[list[tuple[object, ...]]]:
    return [
        list(JournalEntry.objects.filter(company_id=company_id).values_list("reference", "state", "number")),
        list(
            Invoice.objects.filter(company_id=company_id)
            .order_by("pk")
            .values_list("reference", "kind", "state", "payment_state", "number", "amount_residual")
        ),
        list(Payment.objects.filter(company_id=company_id).order_by("pk").values_list("reference", "amount")),
    ]


def test_the_finance_demo_posts_its_entries_once():
    company_id = load()
    before = snapshot(company_id)
    load()

    assert snapshot(company_id) == before
    entries = list(
        JournalEntry.objects.filter(
            company_id=company_id, invoice__isnull=True, payment__isnull=True
        ).values_list("reference", "state", "number")
    )
    assert len(entries) == len(DEMO_ENTRIES) + 1  # and the reversal of the misbooked fuel
    assert {state for _ref, state, _number in entries} == {"posted"}
    assert Account.objects.filter(company_id=company_id, code="1300", reference_code="BVorDebHad").exists()
    balances = {
        row.code: row.balance for row in selectors.trial_balance(company_id=company_id) if row.balance
    }
    payments = {
        kind: Payment.objects.filter(company_id=company_id, kind=kind).aggregate(total=Sum("amount"))["total"]
        for kind in ("inbound", "outbound")
    }
    assert balances["1100"] == (
        Decimal("48250.00")
        - Decimal("2450.00")
        - Decimal("107.69")
        - Decimal("74.38")
        + Decimal(str(payments["inbound"]))
        - Decimal(str(payments["outbound"]))
    )
    assert balances["4200"] == Decimal("74.38")
    assert balances["4100"] == Decimal("2450.00")  # the misbooked fuel is reversed
    assert sum(balances.values()) == 0
    assert ledger_verify(company_id=company_id) == []


def test_the_finance_demo_has_invoices_in_every_state():
    company_id = load()
    today = timezone.localdate()
    states = Counter(
        (
            invoice.kind,
            invoice.state,
            invoice.payment_state,
            "overdue"
            if invoice.amount_residual and invoice.due_date is not None and invoice.due_date < today
            else "",
        )
        for invoice in Invoice.objects.filter(company_id=company_id, state="posted")
    ) + Counter(
        (invoice.kind, invoice.state, invoice.payment_state, "")
        for invoice in Invoice.objects.filter(company_id=company_id, state="draft")
    )
    assert states == {
        ("customer_invoice", "draft", "not_paid", ""): 4,
        ("customer_invoice", "posted", "not_paid", ""): 6,
        ("customer_invoice", "posted", "not_paid", "overdue"): 4,
        ("customer_invoice", "posted", "partial", ""): 2,
        ("customer_invoice", "posted", "partial", "overdue"): 2,
        ("customer_invoice", "posted", "paid", ""): 12,  # one of them by its credit note
        ("customer_credit_note", "posted", "paid", ""): 1,  # settled against the invoice it credits
        ("customer_credit_note", "posted", "not_paid", ""): 1,  # an open credit
        ("supplier_bill", "posted", "paid", ""): 6,
        ("supplier_bill", "posted", "not_paid", ""): 2,
        ("supplier_bill", "posted", "not_paid", "overdue"): 2,
    }
    credited = Invoice.objects.get(company_id=company_id, reference="DEMO-S11")
    note = Invoice.objects.get(credit_note_of=credited)
    assert (note.amount_total, note.amount_residual, credited.amount_residual) == (
        credited.amount_total,
        0,
        0,
    )
    assert Counter(Payment.objects.filter(company_id=company_id).values_list("kind", flat=True)) == {
        "inbound": 15,
        "outbound": 6,
    }
    overpaid = Invoice.objects.get(company_id=company_id, reference="DEMO-S04")
    payment = Payment.objects.get(company_id=company_id, reference="DEMO-PAY-S04")
    assert payment.amount == overpaid.amount_total + OVERPAYMENT
    assert OpenItem.objects.get(entry=payment.entry, account__code="1300").residual == -OVERPAYMENT
    assert Journal.objects.get(company_id=company_id, code="BNK").bank_account == DEMO_IBAN
    assert not Invoice.objects.filter(company_id=company_id, date__gt=today).exists()
    assert not Payment.objects.filter(company_id=company_id, date__gt=today).exists()
