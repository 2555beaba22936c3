"""Returns to suppliers and from customers: drafts pointing at the moves they send back,
never more than what was moved, a customer's return valued at what the delivery cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog.models import Tracking
from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import AuditEntry
from kantoor.inventory import returns, services
from kantoor.inventory.errors import TransferInvalidError, TransferStateError
from kantoor.inventory.models import Move, Transfer, TransferKind, TransferState
from kantoor.inventory.tests.conftest import COGS, RECEIVED, STOCK, balance, on_hand

pytestmark = pytest.mark.django_db


def _validate(actor: Any, transfer: Transfer) -> Transfer:
    services.transfer_confirm(actor=actor, transfer_id=transfer.pk)
    return services.transfer_validate(actor=actor, transfer_id=transfer.pk)


def test_a_customer_return_comes_back_at_what_the_delivery_cost(
    storekeeper: Any, make_product: Any, receive: Any, deliver: Any, warehouse: Any, customer: Any, books: Any
) -> None:
    chair = make_product("CHAIR")
    receive((chair, "10", "20"))
    delivery = deliver((chair, "5"))
    receive((chair, "5", "32"))  # the average is 26 now; the delivered chairs cost 20
    delivered = Move.objects.get(transfer=delivery)
    back = returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk, lines=[(delivered.pk, "2")])
    assert (back.kind, back.state, back.party_id, back.return_of_id, back.origin) == (
        TransferKind.RETURN_IN,
        TransferState.DRAFT,
        customer.pk,
        delivery.pk,
        delivery.number,
    )
    assert back.number.startswith("WH/RET-")
    move = Move.objects.get(transfer=back)
    assert (move.origin_move_id, move.quantity, move.source_id, move.destination_id) == (
        delivered.pk,
        Decimal("2"),
        delivery.destination_id,
        warehouse.stock_location.pk,
    )
    _validate(storekeeper, back)
    move.refresh_from_db()
    assert (move.unit_cost, move.value) == (Decimal("20"), Decimal("40.00"))
    assert on_hand(chair) == Decimal("12")
    assert balance(books, COGS) == Decimal("60.00")  # 100 sold, 40 back
    assert balance(books, STOCK) == Decimal("300.00")  # 200 − 100 + 160 + 40


def test_a_return_to_the_supplier_takes_the_goods_out_of_stock(
    storekeeper: Any, make_product: Any, receive: Any, warehouse: Any, supplier: Any, books: Any
) -> None:
    chair = make_product("CHAIR")
    receipt = receive((chair, "10", "20"))
    received = Move.objects.get(transfer=receipt)
    back = returns.transfer_return(actor=storekeeper, transfer_id=receipt.pk, lines=[(received.pk, "4")])
    assert (back.kind, back.party_id, back.source_id, back.destination_id) == (
        TransferKind.RETURN_OUT,
        supplier.pk,
        warehouse.stock_location.pk,
        receipt.source_id,
    )
    assert back.number.startswith("WH/RTS-")
    _validate(storekeeper, back)
    assert on_hand(chair) == Decimal("6")
    assert balance(books, STOCK) == Decimal("120.00")
    assert balance(books, RECEIVED) == Decimal("-120.00")


def test_no_more_is_returned_than_was_moved_minus_earlier_returns(
    storekeeper: Any, make_product: Any, receive: Any, deliver: Any, books: Any
) -> None:
    chair = make_product("CHAIR")
    receive((chair, "10", "20"))
    delivery = deliver((chair, "5"))
    delivered = Move.objects.get(transfer=delivery)
    first = returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk, lines=[(delivered.pk, "3")])
    assert returns.returnable([delivered]) == {delivered.pk: Decimal("2")}
    transfers, audits = Transfer.objects.count(), AuditEntry.objects.count()
    with pytest.raises(TransferInvalidError, match="at most 2 can be returned"):
        returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk, lines=[(delivered.pk, "3")])
    with pytest.raises(TransferInvalidError):  # the same move twice counts twice
        returns.transfer_return(
            actor=storekeeper, transfer_id=delivery.pk, lines=[(delivered.pk, "2"), (delivered.pk, "1")]
        )
    for bad in ("0", "-1", "x", "0.00001"):
        with pytest.raises(TransferInvalidError):
            returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk, lines=[(delivered.pk, bad)])
    with pytest.raises(TransferInvalidError):
        returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk, lines=[(delivered.pk + 999, "1")])
    with pytest.raises(TransferInvalidError):
        returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk, lines=[])
    assert (Transfer.objects.count(), AuditEntry.objects.count()) == (transfers, audits)
    # a cancelled return gives its quantity back; None returns all that is left
    services.transfer_cancel(actor=storekeeper, transfer_id=first.pk)
    rest = returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk)
    assert Move.objects.get(transfer=rest).quantity == Decimal("5")
    with pytest.raises(TransferInvalidError, match="returned already"):
        returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk)


def test_a_return_keeps_the_lot_and_the_document_line(
    storekeeper: Any, make_product: Any, warehouse: Any, customer: Any, receive: Any, books: Any
) -> None:
    milk = make_product("MILK", tracking=Tracking.LOT)
    receive((milk, "10", "2", "L1"))
    delivery = services.transfer_create(
        actor=storekeeper,
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=milk.pk, quantity="4", origin_line="sales.orderline:7")],
    )
    _validate(storekeeper, delivery)
    back = returns.transfer_return(actor=storekeeper, transfer_id=delivery.pk)
    move = Move.objects.select_related("lot").get(transfer=back)
    assert (move.lot and move.lot.name, move.origin_line, move.quantity) == (
        "L1",
        "sales.orderline:7",
        Decimal("4"),
    )
    _validate(storekeeper, back)
    assert on_hand(milk) == Decimal("10")


def test_only_done_receipts_and_deliveries_are_returned(
    storekeeper: Any,
    make_product: Any,
    receive: Any,
    warehouse: Any,
    customer: Any,
    outsider: Any,
    make_user: Any,
    books: Any,
) -> None:
    chair = make_product("CHAIR")
    receipt = receive((chair, "10", "20"))
    draft = services.transfer_create(
        actor=storekeeper,
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="1")],
    )
    with pytest.raises(TransferStateError):
        returns.transfer_return(actor=storekeeper, transfer_id=draft.pk)
    back = returns.transfer_return(actor=storekeeper, transfer_id=receipt.pk)
    _validate(storekeeper, back)
    with pytest.raises(TransferStateError):
        returns.transfer_return(actor=storekeeper, transfer_id=back.pk)
    with pytest.raises(NotFoundError):
        returns.transfer_return(actor=outsider, transfer_id=receipt.pk)
    with pytest.raises(PermissionDeniedError):
        returns.transfer_return(actor=make_user("sales"), transfer_id=receipt.pk)


@pytest.mark.parametrize(
    ("who", "refused"),
    [
        ("anonymous", PermissionDeniedError),
        ("no role", PermissionDeniedError),
        ("finance", PermissionDeniedError),
        ("another company", NotFoundError),
        ("operations", None),
    ],
)
def test_transfer_return_permissions(
    who: str,
    refused: Any,
    make_user: Any,
    outsider: Any,
    storekeeper: Any,
    make_product: Any,
    receive: Any,
    books: Any,
) -> None:
    from django.contrib.auth.models import AnonymousUser

    receipt = receive((make_product("CHAIR"), "3", "20"))
    actor = {
        "anonymous": AnonymousUser(),
        "no role": make_user(),
        "finance": make_user("finance"),
        "another company": outsider,
        "operations": storekeeper,
    }[who]
    if refused is None:
        assert returns.transfer_return(actor=actor, transfer_id=receipt.pk).kind == TransferKind.RETURN_OUT
        return
    with pytest.raises(refused):
        returns.transfer_return(actor=actor, transfer_id=receipt.pk)
    assert not Transfer.objects.filter(return_of=receipt).exists()
