"""RFQs and purchase orders: prices from the supplier's list, numbering, editing, confirming
into a receipt, partial and over-deliveries, drop-shipping, cancelling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.catalog.models import SupplierPrice
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.finance.models import AccountRole, JournalEntry
from kantoor.inventory import services as inventory
from kantoor.inventory.errors import TransferStateError
from kantoor.inventory.models import Move, Transfer, TransferState, ValuationLayer
from kantoor.purchasing import selectors, services
from kantoor.purchasing.errors import OrderInvalidError, OrderStateError
from kantoor.purchasing.models import OrderState, PurchaseOrder, PurchaseOrderLine

from .conftest import balance, on_hand


def _receipt(order: PurchaseOrder) -> Transfer:
    return Transfer.objects.get(origin=order.number, backorder_of__isnull=True)


def _validate(buyer: Any, receipt: Transfer, quantity: str | None = None) -> Transfer:
    done = None
    if quantity is not None:
        move = Move.objects.get(transfer=receipt)
        done = [inventory.DoneIn(move_id=move.pk, quantity=quantity)]
    return inventory.transfer_validate(actor=buyer, transfer_id=receipt.pk, done=done)


def test_rfq_takes_the_suppliers_price_for_the_quantity_and_its_lead_time(rfq: Any, widget: Any) -> None:
    order = rfq((widget, "10"))
    assert order.state == OrderState.DRAFT
    assert order.number == f"PO-{timezone.localdate().year}-00001"
    line = order.lines.get()
    assert (line.unit_price, line.uom.code, line.description) == (Decimal("4.000000"), "pc", "Product WID")
    assert line.expected_date == timezone.localdate() + dt.timedelta(days=7)
    assert (order.amount_untaxed, order.amount_total) == (Decimal("40.00"), Decimal("40.00"))

    bulk = rfq((widget, "100"))
    assert bulk.lines.get().unit_price == Decimal("3.500000")
    assert bulk.number == f"PO-{timezone.localdate().year}-00002"


def test_rfq_counts_in_the_purchase_unit(rfq: Any, make_product: Any, supplier: Any) -> None:
    # given a product bought in boxes of 10 at 25.00 a box
    screws = make_product("SCR", purchase_uom="box")
    SupplierPrice.objects.create(
        company=screws.company, product=screws, supplier=supplier, currency="EUR", price=25
    )
    order = rfq((screws, "3"))
    line = order.lines.get()
    assert (line.quantity, line.uom.code, line.unit_price, line.amount_untaxed) == (
        Decimal("3.0000"),
        "box",
        Decimal("25.000000"),
        Decimal("75.00"),
    )


def test_rfq_with_tax_and_discount(
    rfq: Any, widget: Any, buyer: Any, supplier: Any, warehouse: Any, tax21: Any
) -> None:
    if tax21 is None:
        pytest.skip("the generic chart has no 21% purchase tax")
    order = services.rfq_create(
        actor=buyer,
        supplier_id=supplier.pk,
        warehouse_id=warehouse.pk,
        lines=[
            {
                "product_id": widget.pk,
                "quantity": "10",
                "unit_price": "4",
                "discount": "10",
                "tax_id": tax21.pk,
            }
        ],
    )
    assert (order.amount_untaxed, order.amount_tax, order.amount_total) == (
        Decimal("36.00"),
        Decimal("7.56"),
        Decimal("43.56"),
    )


def test_a_bad_rfq_names_every_faulty_field_and_writes_nothing(
    buyer: Any, supplier: Any, warehouse: Any, widget: Any
) -> None:
    audits = AuditEntry.objects.count()
    with pytest.raises(OrderInvalidError) as refused:
        services.rfq_create(
            actor=buyer,
            supplier_id=999999,
            warehouse_id=warehouse.pk,
            currency="XXQ",
            lines=[
                {"product_id": widget.pk, "quantity": "0"},
                {"product_id": widget.pk, "quantity": "1", "discount": "120"},
                {"product_id": 424242, "quantity": "1"},
            ],
        )
    assert set(refused.value.field_errors) == {
        "supplier_id",
        "currency",
        "lines[0].quantity",
        "lines[1].discount",
        "lines[2].product_id",
    }
    assert PurchaseOrder.objects.count() == 0
    assert AuditEntry.objects.count() == audits


def test_an_rfq_without_lines_is_refused(buyer: Any, supplier: Any, warehouse: Any) -> None:
    with pytest.raises(OrderInvalidError) as refused:
        services.rfq_create(actor=buyer, supplier_id=supplier.pk, warehouse_id=warehouse.pk, lines=[])
    assert refused.value.field_errors == {"lines": ["Add at least one line."]}


def test_update_replaces_lines_and_refuses_a_stale_version(rfq: Any, buyer: Any, widget: Any) -> None:
    order = rfq((widget, "10"))
    updated = services.rfq_update(
        actor=buyer,
        order_id=order.pk,
        version=1,
        lines=[{"product_id": widget.pk, "quantity": "20", "unit_price": "3.9"}],
    )
    assert updated.version == 2
    assert updated.amount_total == Decimal("78.00")
    assert [(line.quantity, line.unit_price) for line in updated.lines.all()] == [
        (Decimal("20"), Decimal("3.9"))
    ]
    with pytest.raises(StaleVersionError):
        services.rfq_update(actor=buyer, order_id=order.pk, version=1, notes="late")
    assert PurchaseOrder.objects.get(pk=order.pk).notes == ""


def test_a_confirmed_order_is_not_edited(rfq: Any, buyer: Any, warehouse: Any) -> None:
    order = services.order_confirm(actor=buyer, order_id=rfq().pk)
    with pytest.raises(OrderStateError):
        services.rfq_update(actor=buyer, order_id=order.pk, version=order.version, notes="more")


def test_confirm_makes_the_receipt_with_the_order_lines(
    rfq: Any, buyer: Any, widget: Any, warehouse: Any, supplier: Any
) -> None:
    order = rfq((widget, "10"))
    confirmed = services.order_confirm(actor=buyer, order_id=order.pk, version=1)
    assert confirmed.state == OrderState.CONFIRMED
    receipt = _receipt(order)
    assert (receipt.kind, receipt.state, receipt.party_id, receipt.destination_id) == (
        "receipt",
        TransferState.READY,
        supplier.pk,
        warehouse.stock_location_id,
    )
    move = Move.objects.get(transfer=receipt)
    line = order.lines.get()
    assert (move.quantity, move.unit_cost, move.origin_line) == (
        Decimal("10"),
        Decimal("4"),
        f"purchasing.orderline:{line.pk}",
    )
    assert OutboxEvent.objects.filter(name="purchasing.PurchaseOrderConfirmed").count() == 1


def test_receipt_in_boxes_values_pieces(
    rfq: Any, buyer: Any, make_product: Any, supplier: Any, books: Any
) -> None:
    screws = make_product("SCR", purchase_uom="box")
    order = rfq((screws, "3", "25"))
    services.order_confirm(actor=buyer, order_id=order.pk)
    receipt = _validate(buyer, _receipt(order))
    move = Move.objects.get(transfer=receipt)
    assert (move.quantity, move.unit_cost) == (Decimal("30"), Decimal("2.5"))
    assert on_hand(screws) == Decimal("30")
    assert balance(books, AccountRole.STOCK) == Decimal("75.00")
    match = selectors.three_way_match(order)[0]
    assert (match.received, match.under_delivered) == (Decimal("3"), False)


def test_a_foreign_currency_order_is_valued_in_company_currency(
    rfq: Any, buyer: Any, widget: Any, admin_user: Any
) -> None:
    from kantoor.core.services import exchange_rate_set

    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(2000, 1, 1), rate=Decimal("1.25"))
    order = rfq((widget, "10", "5"), currency="USD")
    services.order_confirm(actor=buyer, order_id=order.pk)
    assert Move.objects.get(transfer=_receipt(order)).unit_cost == Decimal("4")


def test_partial_receipt_leaves_a_backorder_and_shows_under_delivery(
    rfq: Any, buyer: Any, widget: Any
) -> None:
    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10")).pk)
    _validate(buyer, _receipt(order), "6")
    backorder = Transfer.objects.get(backorder_of=_receipt(order))
    assert backorder.state == TransferState.READY
    assert [t.pk for t in selectors.open_receipts(order)] == [backorder.pk]
    match = selectors.three_way_match(order)[0]
    assert (match.ordered, match.received, match.billed, match.to_bill) == (
        Decimal("10"),
        Decimal("6"),
        Decimal("0"),
        Decimal("6"),
    )
    assert (match.under_delivered, match.over_delivered, match.has_mismatch) == (True, False, False)
    assert on_hand(widget) == Decimal("6")


def test_over_delivery_is_received_and_flagged(rfq: Any, buyer: Any, widget: Any) -> None:
    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10")).pk)
    _validate(buyer, _receipt(order), "12")
    match = selectors.three_way_match(order)[0]
    assert (match.received, match.over_delivered, match.under_delivered, match.to_bill) == (
        Decimal("12"),
        True,
        False,
        Decimal("12"),
    )
    assert on_hand(widget) == Decimal("12")


def test_returns_to_the_supplier_count_against_received(rfq: Any, buyer: Any, widget: Any) -> None:
    from kantoor.inventory.returns import transfer_return

    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10")).pk)
    receipt = _validate(buyer, _receipt(order))
    move = Move.objects.get(transfer=receipt)
    back = transfer_return(actor=buyer, transfer_id=receipt.pk, lines=[(move.pk, "2")])
    inventory.transfer_confirm(actor=buyer, transfer_id=back.pk)
    inventory.transfer_validate(actor=buyer, transfer_id=back.pk)
    match = selectors.three_way_match(PurchaseOrder.objects.get(pk=order.pk))[0]
    assert (match.received, match.under_delivered, match.to_bill) == (Decimal("8"), True, Decimal("8"))
    assert on_hand(widget) == Decimal("8")


def test_drop_shipping_goes_from_supplier_to_customer_without_stock_or_value(
    rfq: Any, buyer: Any, widget: Any, customer: Any, books: Any
) -> None:
    order = rfq((widget, "5"), dropship_customer_id=customer.pk)
    services.order_confirm(actor=buyer, order_id=order.pk)
    receipt = _receipt(order)
    assert receipt.destination.usage == "customer"
    entries = JournalEntry.objects.count()
    _validate(buyer, receipt)
    assert on_hand(widget) == Decimal("0")
    assert ValuationLayer.objects.filter(product=widget).count() == 0
    assert JournalEntry.objects.count() == entries
    assert selectors.three_way_match(order)[0].received == Decimal("5")


def test_cancel_cancels_the_receipt_which_can_then_not_be_validated(
    rfq: Any, buyer: Any, widget: Any
) -> None:
    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10")).pk)
    cancelled = services.order_cancel(actor=buyer, order_id=order.pk)
    assert cancelled.state == OrderState.CANCELLED
    receipt = _receipt(order)
    assert receipt.state == TransferState.CANCELLED
    with pytest.raises(TransferStateError):
        _validate(buyer, receipt)
    assert on_hand(widget) == Decimal("0")
    assert OutboxEvent.objects.filter(name="purchasing.PurchaseOrderCancelled").count() == 1


def test_cancel_is_refused_once_goods_came_in(rfq: Any, buyer: Any, widget: Any) -> None:
    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10")).pk)
    _validate(buyer, _receipt(order), "4")
    version = PurchaseOrder.objects.get(pk=order.pk).version
    with pytest.raises(OrderStateError):
        services.order_cancel(actor=buyer, order_id=order.pk)
    after = PurchaseOrder.objects.get(pk=order.pk)
    assert (after.state, after.version) == (OrderState.CONFIRMED, version)
    assert Transfer.objects.get(backorder_of=_receipt(order)).state == TransferState.READY


def test_an_rfq_is_cancelled_without_receipts(rfq: Any, buyer: Any) -> None:
    order = services.order_cancel(actor=buyer, order_id=rfq().pk)
    assert order.state == OrderState.CANCELLED
    with pytest.raises(OrderStateError):
        services.order_confirm(actor=buyer, order_id=order.pk)


def test_services_are_not_received_but_billed_as_ordered(rfq: Any, buyer: Any, make_product: Any) -> None:
    installation = make_product("INST", kind="service", cost="80")
    order = services.order_confirm(actor=buyer, order_id=rfq((installation, "2")).pk)
    assert Transfer.objects.filter(origin=order.number).count() == 0
    match = selectors.three_way_match(order)[0]
    assert (match.received, match.to_bill, match.order_price) == (Decimal("2"), Decimal("2"), Decimal("80"))


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("anonymous", False),
        ("nobody", False),
        ("finance", False),
        ("sales", False),
        ("outsider", False),
        ("operations", True),
        ("admin", True),
    ],
)
def test_who_may_create_send_confirm_and_cancel(
    who: str,
    allowed: bool,
    make_user: Any,
    outsider: Any,
    rfq: Any,
    supplier: Any,
    warehouse: Any,
    widget: Any,
) -> None:
    from django.contrib.auth.models import AnonymousUser

    actors = {"anonymous": AnonymousUser(), "nobody": make_user(), "outsider": outsider}
    actor = actors[who] if who in actors else make_user(who)
    order = rfq()
    calls = [
        lambda: services.rfq_create(
            actor=actor,
            supplier_id=supplier.pk,
            warehouse_id=warehouse.pk,
            lines=[{"product_id": widget.pk, "quantity": 1}],
        ),
        lambda: services.rfq_update(actor=actor, order_id=order.pk, version=1, notes="x"),
        lambda: services.rfq_send(actor=actor, order_id=order.pk),
        lambda: services.order_confirm(actor=actor, order_id=order.pk),
        lambda: services.order_cancel(actor=actor, order_id=order.pk),
    ]
    if not allowed:
        for index, call in enumerate(calls):
            with pytest.raises(DomainError) as refused:
                call()
            # Another company's administrator names a supplier unknown in their company.
            expected = {422} if (who, index) == ("outsider", 0) else {403, 404}
            assert refused.value.status in expected
        assert PurchaseOrder.objects.count() == 1
        assert PurchaseOrder.objects.get().state == OrderState.DRAFT
        assert not OutboxEvent.objects.filter(name__startswith="purchasing.").exists()
        return
    for call in calls:
        call()
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.CANCELLED
    assert PurchaseOrderLine.objects.count() == 2
