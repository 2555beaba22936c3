"""A purchase order received in a warehouse that receives in two steps: the receipt brings
the goods into its input and counts as received; the put-away to stock keeps the order
line (origin_line) but receives nothing more, so the three-way match and the bill stay as
for a one-step receipt."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.finance.models import AccountRole
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Move, Quant, Transfer, TransferKind, TransferState
from kantoor.purchasing import selectors, services

from .conftest import balance, on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def dc(books: Any, buyer: Any) -> Any:
    return inventory.warehouse_create(actor=buyer, code="DC", name="Distribution", receipt_steps=2)


def _match(order: Any) -> tuple[Decimal, Decimal, Decimal, bool, bool]:
    row = selectors.three_way_match(order)[0]
    return row.ordered, row.received, row.to_bill, row.under_delivered, row.over_delivered


def test_an_order_received_then_put_away_is_received_once(
    rfq: Any, buyer: Any, accountant: Any, widget: Any, dc: Any, books: Any
) -> None:
    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10", "5"), warehouse_id=dc.pk).pk)
    receipt = Transfer.objects.get(origin=order.number)
    assert (receipt.destination_id, receipt.state) == (dc.input_location_id, TransferState.READY)
    move = Move.objects.get(transfer=receipt)
    inventory.transfer_validate(
        actor=buyer, transfer_id=receipt.pk, done=[inventory.DoneIn(move_id=move.pk, quantity="6")]
    )
    assert _match(order) == (Decimal("10"), Decimal("6"), Decimal("6"), True, False)
    putaway = Transfer.objects.get(kind=TransferKind.INTERNAL)
    assert (putaway.origin, putaway.state) == (receipt.number, TransferState.READY)
    assert list(Move.objects.filter(transfer=putaway).values_list("quantity", "origin_line")) == [
        (Decimal("6"), line_origin := f"purchasing.orderline:{order.lines.get().pk}")
    ]
    inventory.transfer_validate(actor=buyer, transfer_id=putaway.pk)
    # The put-away names the line too, but it does not come from the supplier.
    assert _match(order) == (Decimal("10"), Decimal("6"), Decimal("6"), True, False)
    assert Quant.objects.get(product=widget, location_id=dc.stock_location_id).quantity == Decimal("6")
    assert on_hand(widget) == Decimal("6")
    backorder = Transfer.objects.get(backorder_of=receipt)
    assert [t.pk for t in selectors.open_receipts(order)] == [backorder.pk]
    inventory.transfer_validate(actor=buyer, transfer_id=backorder.pk)
    assert _match(order) == (Decimal("10"), Decimal("10"), Decimal("10"), False, False)
    second = Transfer.objects.filter(kind=TransferKind.INTERNAL).exclude(pk=putaway.pk).get()
    assert list(Move.objects.filter(transfer=second).values_list("quantity", "origin_line")) == [
        (Decimal("4"), line_origin)
    ]
    inventory.transfer_validate(actor=buyer, transfer_id=second.pk)
    assert _match(order) == (Decimal("10"), Decimal("10"), Decimal("10"), False, False)
    assert on_hand(widget) == Decimal("10")
    # Valued once, at receipt: the put-aways book nothing.
    assert balance(books, AccountRole.STOCK) == Decimal("50.00")
    bill = services.bill_create_from_order(actor=accountant, order_id=order.pk)
    assert [line.quantity for line in bill.lines.all()] == [Decimal("10")]
