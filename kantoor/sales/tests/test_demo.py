"""The sales demo step: quotations and orders in every state through the real services and
handlers, terms, settings and targets — re-runnable without adding anything; skipped with a
message without the inventory demo's warehouse."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.core import demo as core_demo
from kantoor.core.models import AuditEntry
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceState, PaymentState
from kantoor.inventory.models import Transfer, TransferKind, TransferState
from kantoor.sales import targets
from kantoor.sales.demo import ACCEPTED_BY, DECLINE_REASON, DECLINED_BY, DEMO_ORDERS
from kantoor.sales.models import (
    CustomerTerms,
    InvoicingPolicy,
    OrderState,
    QuoteRevision,
    ReturnAuthorisation,
    SalesOrder,
    SalesSettings,
    SalesTarget,
)

pytestmark = pytest.mark.django_db


def load(*names: str) -> Any:
    loaded = core_demo.demo_company_load()
    steps = {step.name: step for step in core_demo.steps()}
    for name in names:
        options = {"parties": 40} if name == "parties" else {}
        steps[name].load(
            loaded.company, loaded.users, core_demo.step_random(name), lambda *_: lambda n=1: None, options
        )
    return loaded


def by_stage(stage: str) -> list[SalesOrder]:
    notes = [spec.notes for spec in DEMO_ORDERS if spec.stage == stage]
    return list(SalesOrder.objects.filter(notes__in=notes).order_by("id"))


def invoices_of(order: SalesOrder) -> list[Invoice]:
    return list(
        Invoice.objects.filter(kind=InvoiceKind.CUSTOMER_INVOICE, reference=order.number).order_by("id")
    )


def footprint() -> tuple[Any, ...]:
    return (
        list(SalesOrder.objects.order_by("id").values_list("number", "state", "version")),
        Invoice.objects.count(),
        Transfer.objects.count(),
        list(ReturnAuthorisation.objects.order_by("id").values_list("number", "state")),
        CustomerTerms.objects.count(),
        SalesTarget.objects.count(),
        list(SalesSettings.objects.values_list("version", flat=True)),
        AuditEntry.objects.count(),
    )


def test_the_demo_makes_sales_in_every_state_once(caplog: Any) -> None:
    loaded = load("parties", "catalog", "finance", "sales")
    assert SalesOrder.objects.count() == 0
    assert "sales demo skipped" in caplog.text
    load("inventory", "sales")
    assert "left out" not in caplog.text
    users = loaded.users
    daan, noor = users["sales"], users["sales_manager"]

    orders = list(SalesOrder.objects.order_by("id"))
    assert len(orders) == len(DEMO_ORDERS) == 15
    assert Counter(order.state for order in orders) == Counter(
        {"draft": 1, "sent": 3, "declined": 1, "confirmed": 7, "done": 2, "cancelled": 1}
    )
    assert {order.state for order in orders} == set(OrderState.values)
    # Numbered in the order they were made, by both of them, over the last six weeks.
    assert [order.number for order in orders] == sorted(order.number for order in orders)
    assert {order.salesperson_id for order in orders} == {daan.pk, noor.pk}
    today = timezone.localdate()
    assert {(today - order.order_date).days for order in orders} == {spec.days_ago for spec in DEMO_ORDERS}

    settings = SalesSettings.objects.get()
    assert settings.default_tax is not None
    assert settings.default_tax.code == "V21"
    assert settings.warehouse is not None
    assert settings.warehouse.code == "AMS"
    assert settings.payment_term is not None
    assert settings.payment_term.name in ("30 days", "30 dagen")
    assert (settings.invoicing_policy, settings.discount_limit) == (InvoicingPolicy.DELIVERY, Decimal(10))
    assert all(line.tax_id == settings.default_tax_id for order in orders for line in order.lines.all())

    (draft,) = by_stage("draft")
    assert [line.is_optional for line in draft.lines.order_by("sequence")] == [False, False, True]
    (discounted,) = by_stage("discount")
    assert discounted.state == OrderState.SENT
    assert (discounted.max_discount, discounted.discount_approved_by_id) == (Decimal(15), noor.pk)
    (revised,) = by_stage("revised")
    assert (revised.state, revised.revision) == (OrderState.SENT, 2)
    assert list(QuoteRevision.objects.filter(order=revised).values_list("revision", flat=True)) == [1]
    (declined,) = by_stage("declined")
    assert (declined.answered_by_name, declined.decline_reason) == (DECLINED_BY, DECLINE_REASON)
    (accepted,) = by_stage("accepted")
    assert (accepted.state, accepted.answered_by_name) == (OrderState.CONFIRMED, ACCEPTED_BY)

    (credit,) = by_stage("credit")
    assert (credit.state, credit.salesperson_id, credit.credit_override_by_id) == (
        OrderState.CONFIRMED,
        daan.pk,
        noor.pk,
    )
    limit = CustomerTerms.objects.get(party_id=credit.customer_id).credit_limit
    assert limit is not None
    assert credit.amount_total > limit

    (partial,) = by_stage("partial")
    deliveries = Transfer.objects.filter(origin=partial.number, kind=TransferKind.DELIVERY)
    first = deliveries.get(backorder_of__isnull=True)
    assert first.state == TransferState.DONE
    assert list(deliveries.filter(backorder_of=first).values_list("state", flat=True)) == [
        TransferState.READY
    ]
    assert [(i.state, i.amount_total > 0) for i in invoices_of(partial)] == [(InvoiceState.DRAFT, True)]

    (invoiced,) = by_stage("invoiced")
    assert invoiced.state == OrderState.CONFIRMED
    assert [(i.state, i.payment_state) for i in invoices_of(invoiced)] == [
        (InvoiceState.POSTED, PaymentState.NOT_PAID)
    ]
    for done in by_stage("paid"):
        assert done.state == OrderState.DONE
        assert done.paid_at is not None
        assert [(i.state, i.payment_state) for i in invoices_of(done)] == [
            (InvoiceState.POSTED, PaymentState.PAID)
        ]
    (on_order,) = by_stage("on_order")
    assert on_order.invoicing_policy == InvoicingPolicy.ORDER
    assert [i.state for i in invoices_of(on_order)] == [InvoiceState.POSTED]
    assert Transfer.objects.get(origin=on_order.number).state not in (
        TransferState.DONE,
        TransferState.CANCELLED,
    )
    (cancelled,) = by_stage("cancelled")
    assert Transfer.objects.get(origin=cancelled.number).state == TransferState.CANCELLED

    (returned,) = by_stage("returned")
    rmas = list(ReturnAuthorisation.objects.filter(order=returned).order_by("id"))
    assert [rma.state for rma in rmas] == ["credited", "approved"]
    credit_note = rmas[0].credit_note
    assert credit_note is not None
    assert (credit_note.kind, credit_note.state) == (InvoiceKind.CUSTOMER_CREDIT_NOTE, InvoiceState.DRAFT)
    assert rmas[1].receipt is not None
    assert rmas[1].receipt.state != TransferState.DONE

    month = targets.month_start(today)
    previous = targets.month_start(month - dt.timedelta(days=1))
    assert {
        (t.month, t.user.username if t.user else t.team.name if t.team else "")
        for t in SalesTarget.objects.all()
    } == {
        (previous, "sales"),
        (previous, "Sales North"),
        (month, "sales"),
        (month, "Sales North"),
    }
    assert CustomerTerms.objects.count() == 3
    assert CustomerTerms.objects.filter(invoicing_policy=InvoicingPolicy.ORDER).count() == 1

    before = footprint()
    load("sales")
    assert footprint() == before
