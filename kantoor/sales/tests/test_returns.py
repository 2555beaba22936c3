"""Customer returns, the whole path through the real services: an order of 3 standing desks
(100.00 less 10 %) is confirmed, delivered and invoiced; the customer sends 2 back on a
return authorisation that, once approved, becomes a return receipt in inventory; when the
receipt is done the RMA is credited with a draft credit note for the 2 desks."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.core import outbox
from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import AuditEntry
from kantoor.core.outbox import run_pending_events
from kantoor.finance import invoicing
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceState
from kantoor.inventory import services as inventory
from kantoor.inventory.events import GoodsReceived
from kantoor.inventory.models import LocationUsage, Move, Transfer, TransferKind, TransferState
from kantoor.sales import returns, services
from kantoor.sales.errors import ReturnInvalidError, ReturnStateError
from kantoor.sales.models import ReturnAuthorisation, ReturnLine, ReturnState, SalesOrder, SalesOrderLine
from kantoor.sales.return_handlers import on_return_received
from kantoor.sales.tests.quote_support import books, customer, pieces, products, quote_make, v21, warehouse

__all__ = ["books", "customer", "pieces", "products", "quote_make", "v21", "warehouse"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _subscribed() -> None:
    # The lead subscribes it in apps.py; subscribing again is a no-op (named by path).
    outbox.subscribe(GoodsReceived, on_return_received)


@pytest.fixture
def rep(make_user: Callable[..., Any]) -> Any:
    """A sales rep who also works the warehouse (confirming and approving make transfers)."""
    return make_user("sales", "operations", username="sam")


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    return make_user("finance", username="fay")


@pytest.fixture
def delivered(rep: Any, quote_make: Callable[..., SalesOrder]) -> SalesOrder:
    """The order confirmed and its delivery done (the draft invoice made on delivery)."""
    order = quote_make(actor=rep)
    services.order_confirm(actor=rep, order_id=order.pk)
    delivery = Transfer.objects.get(origin=order.number, kind=TransferKind.DELIVERY)
    inventory.transfer_validate(actor=rep, transfer_id=delivery.pk)
    run_pending_events()
    return SalesOrder.objects.get(pk=order.pk)


def desk_line(order: SalesOrder) -> SalesOrderLine:
    return SalesOrderLine.objects.get(order=order, is_optional=False)


def the_invoice(order: SalesOrder) -> Invoice:
    return Invoice.objects.get(kind=InvoiceKind.CUSTOMER_INVOICE, reference__contains=order.number)


def snapshot() -> tuple[Any, ...]:
    return (
        list(ReturnAuthorisation.objects.values_list("state", "receipt_id", "credit_note_id", "version")),
        list(ReturnLine.objects.values_list("order_line_id", "quantity")),
        Transfer.objects.filter(kind=TransferKind.RETURN_IN).count(),
        AuditEntry.objects.filter(action__startswith="sales.return").count(),
    )


def test_return_to_credit_note(delivered: SalesOrder, rep: Any, accountant: Any) -> None:
    # given the delivered order's invoice, posted
    invoice = the_invoice(delivered)
    invoicing.invoice_post(actor=accountant, invoice_id=invoice.pk)
    line = desk_line(delivered)
    (row,) = returns.returnable_lines(delivered)
    assert (row.line.pk, row.delivered, row.pending, row.returnable) == (line.pk, Decimal(3), 0, Decimal(3))

    # when the customer asks to return 2 desks
    rma = returns.return_create(
        actor=rep,
        order_id=delivered.pk,
        lines=[{"order_line_id": line.pk, "quantity": "2"}],
        reason="Damaged",
    )
    assert rma.number == f"RMA-{rma.company.fiscal_year_of(timezone.localdate())}-00001"
    assert (rma.state, rma.order_id, rma.reason, rma.created_by_id) == (
        "draft",
        delivered.pk,
        "Damaged",
        rep.pk,
    )
    assert list(rma.lines.values_list("order_line_id", "quantity")) == [(line.pk, Decimal("2.0000"))]
    assert returns.returnable_lines(delivered)[0].returnable == Decimal(1)

    # then approved: a confirmed return receipt from the customers, origin the RMA
    rma = returns.return_approve(actor=rep, return_id=rma.pk, version=1)
    receipt = Transfer.objects.get(pk=rma.receipt_id)
    assert (rma.state, rma.version) == (ReturnState.APPROVED, 2)
    assert (receipt.kind, receipt.origin, receipt.party_id, receipt.warehouse_id) == (
        TransferKind.RETURN_IN,
        rma.number,
        delivered.customer_id,
        delivered.warehouse_id,
    )
    assert receipt.state != TransferState.DRAFT
    moves = list(
        Move.objects.filter(transfer=receipt).values_list("origin_line", "quantity", "source__usage")
    )
    assert moves == [(line.origin_line, Decimal("2.0000"), LocationUsage.CUSTOMER)]

    # when the goods come back
    inventory.transfer_validate(actor=rep, transfer_id=receipt.pk)
    run_pending_events()

    # then the RMA is credited with a draft credit note of 2 desks at 90.00 + 21 % VAT
    rma.refresh_from_db()
    assert rma.state == ReturnState.CREDITED
    note = Invoice.objects.get(pk=rma.credit_note_id)
    assert (note.kind, note.state, note.credit_note_of_id, note.party_id) == (
        InvoiceKind.CUSTOMER_CREDIT_NOTE,
        InvoiceState.DRAFT,
        invoice.pk,
        delivered.customer_id,
    )
    assert (note.amount_untaxed, note.amount_tax, note.amount_total) == (
        Decimal("180.000000"),
        Decimal("37.800000"),
        Decimal("217.800000"),
    )
    assert list(note.lines.values_list("quantity", "unit_price", "discount")) == [
        (Decimal("2.0000"), Decimal("100.000000"), Decimal("10.0000"))
    ]
    assert note.narration == f"Return {rma.number} of {delivered.number}: Damaged"
    # and the order counts 1 desk delivered; 1 may still be returned
    (row,) = returns.returnable_lines(delivered)
    assert (row.delivered, row.pending, row.returnable) == (Decimal(1), 0, Decimal(1))
    assert list(
        AuditEntry.objects.filter(model="sales.returnauthorisation")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["sales.return_create", "sales.return_approve", "sales.return_receive"]
    # on the customer's timeline
    from kantoor.parties.models import TimelineEntry

    entry = TimelineEntry.objects.get(kind="sales.return_received")
    assert (entry.party_id, entry.title, entry.body) == (
        delivered.customer_id,
        "Goods returned",
        f"{rma.number} — {delivered.number} — {note}",
    )
    # the event again changes nothing (the RMA is no longer approved)
    assert returns.return_receive(actor=rep, transfer_id=receipt.pk) is None
    assert Invoice.objects.filter(kind=InvoiceKind.CUSTOMER_CREDIT_NOTE).count() == 1


def test_nothing_invoiced_means_received_without_credit_note(delivered: SalesOrder, rep: Any) -> None:
    # the invoice made on delivery is still a draft: nothing posted to credit
    line = desk_line(delivered)
    rma = returns.return_create(
        actor=rep, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 3}]
    )
    rma = returns.return_approve(actor=rep, return_id=rma.pk)
    inventory.transfer_validate(actor=rep, transfer_id=rma.receipt_id)
    run_pending_events()
    rma.refresh_from_db()
    assert (rma.state, rma.credit_note_id) == (ReturnState.RECEIVED, None)
    assert not Invoice.objects.filter(kind=InvoiceKind.CUSTOMER_CREDIT_NOTE).exists()
    assert returns.returnable_lines(delivered) == []


def test_quantities_are_bounded_by_what_was_delivered_and_other_returns(
    delivered: SalesOrder, rep: Any
) -> None:
    line = desk_line(delivered)
    returns.return_create(actor=rep, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 2}])
    before = snapshot()
    bad = [
        ([{"order_line_id": line.pk, "quantity": "1.5"}], "lines.0.quantity"),  # 1 left
        (
            [{"order_line_id": line.pk, "quantity": 1}, {"order_line_id": line.pk, "quantity": 1}],
            "lines.1.quantity",
        ),
        ([{"order_line_id": line.pk, "quantity": 0}], "lines.0.quantity"),
        ([{"order_line_id": line.pk, "quantity": "0.00001"}], "lines.0.quantity"),
        ([{"order_line_id": line.pk, "quantity": 1.0}], "lines.0.quantity"),
        ([{"order_line_id": 999999, "quantity": 1}], "lines.0.order_line_id"),
        ([], "lines"),
    ]
    for lines, field in bad:
        with pytest.raises(ReturnInvalidError) as caught:
            returns.return_create(actor=rep, order_id=delivered.pk, lines=lines)
        assert field in caught.value.field_errors, lines
    assert snapshot() == before


def test_only_confirmed_orders_return(quote_make: Callable[..., SalesOrder], rep: Any) -> None:
    quote = quote_make(actor=rep)
    with pytest.raises(ReturnStateError):
        returns.return_create(
            actor=rep, order_id=quote.pk, lines=[{"order_line_id": desk_line(quote).pk, "quantity": 1}]
        )
    assert not ReturnAuthorisation.objects.exists()


def test_undelivered_goods_cannot_be_returned(quote_make: Callable[..., SalesOrder], rep: Any) -> None:
    order = quote_make(actor=rep)
    services.order_confirm(actor=rep, order_id=order.pk)
    with pytest.raises(ReturnInvalidError) as caught:
        returns.return_create(
            actor=rep, order_id=order.pk, lines=[{"order_line_id": desk_line(order).pk, "quantity": 1}]
        )
    assert set(caught.value.field_errors) == {"lines.0.order_line_id"}
    assert not ReturnAuthorisation.objects.exists()


def test_cancel_an_approved_return_cancels_its_receipt(delivered: SalesOrder, rep: Any) -> None:
    line = desk_line(delivered)
    rma = returns.return_create(
        actor=rep, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
    )
    rma = returns.return_approve(actor=rep, return_id=rma.pk)
    rma = returns.return_cancel(actor=rep, return_id=rma.pk, version=2)
    assert (rma.state, rma.version) == (ReturnState.CANCELLED, 3)
    assert Transfer.objects.get(pk=rma.receipt_id).state == TransferState.CANCELLED
    assert returns.returnable_lines(delivered)[0].returnable == Decimal(3)
    before = snapshot()
    with pytest.raises(ReturnStateError):
        returns.return_cancel(actor=rep, return_id=rma.pk)
    with pytest.raises(ReturnStateError):
        returns.return_approve(actor=rep, return_id=rma.pk)
    assert snapshot() == before


def test_a_received_return_cannot_be_cancelled(delivered: SalesOrder, rep: Any) -> None:
    line = desk_line(delivered)
    rma = returns.return_create(
        actor=rep, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
    )
    rma = returns.return_approve(actor=rep, return_id=rma.pk)
    inventory.transfer_validate(actor=rep, transfer_id=rma.receipt_id)
    run_pending_events()
    before = snapshot()
    with pytest.raises(ReturnStateError):
        returns.return_cancel(actor=rep, return_id=rma.pk)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("nobody", NotFoundError),
        ("outsider", NotFoundError),
        ("other_rep", PermissionDeniedError),  # sees the order, changes only their own
        ("finance", PermissionDeniedError),  # reads returns only
    ],
)
def test_who_may_request_a_return(
    who: str, error: Any, delivered: SalesOrder, request: pytest.FixtureRequest, make_user: Callable[..., Any]
) -> None:
    actor = {
        "nobody": lambda: request.getfixturevalue("nobody"),
        "outsider": lambda: request.getfixturevalue("outsider"),
        "other_rep": lambda: make_user("sales", "operations", username="olga"),
        "finance": lambda: make_user("finance", username="frank"),
    }[who]()
    line = desk_line(delivered)
    with pytest.raises(error):
        returns.return_create(
            actor=actor, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
        )
    assert not ReturnAuthorisation.objects.exists()


def test_approving_makes_the_receipt_in_the_companys_name(
    delivered: SalesOrder, make_user: Callable[..., Any]
) -> None:
    manager = make_user("sales_manager", username="noor")
    keeper = make_user("operations", username="olga")
    line = desk_line(delivered)
    rma = returns.return_create(
        actor=manager, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
    )
    before = snapshot()
    with pytest.raises(PermissionDeniedError):  # stock rights alone approve no return
        returns.return_approve(actor=keeper, return_id=rma.pk)
    assert snapshot() == before
    # The manager holds no stock rights: the approved return makes its receipt all the same.
    approved = returns.return_approve(actor=manager, return_id=rma.pk)
    assert approved.state == ReturnState.APPROVED
    assert Transfer.objects.get(pk=approved.receipt_id).origin == approved.number
