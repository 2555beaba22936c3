"""Receipts, deliveries, backorders, lots and serial numbers through the transfer services,
with the quants and the ledger checked to the unit and the cent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog.models import CostingMethod, Tracking
from kantoor.core.errors import PermissionDeniedError
from kantoor.core.models import OutboxEvent
from kantoor.inventory import services
from kantoor.inventory.errors import (
    LotRequiredError,
    SerialNumberError,
    StockUnavailableError,
    TransferInvalidError,
)
from kantoor.inventory.models import (
    Move,
    MoveState,
    ProductValuation,
    Transfer,
    TransferState,
    ValuationLayer,
)
from kantoor.inventory.tests.conftest import COGS, RECEIVED, STOCK, balance, on_hand

pytestmark = pytest.mark.django_db


def test_a_receipt_puts_goods_in_stock_at_their_cost_and_books_them(
    make_product: Any, receive: Any, books: Any, warehouse: Any
) -> None:
    chair = make_product("CHAIR")
    receipt = receive((chair, "10", "25.50"))
    assert receipt.state == TransferState.DONE
    assert receipt.number.startswith("WH/IN-")
    assert on_hand(chair, warehouse.stock_location) == Decimal("10")
    valuation = ProductValuation.objects.get(product=chair)
    assert (valuation.quantity, valuation.value) == (Decimal("10"), Decimal("255.00"))
    assert balance(books, STOCK) == Decimal("255.00")
    assert balance(books, RECEIVED) == Decimal("-255.00")
    move = Move.objects.get(transfer=receipt)
    assert (move.state, move.unit_cost, move.value) == (MoveState.DONE, Decimal("25.5"), Decimal("255.00"))
    assert move.entry is not None
    assert move.entry.state == "posted"
    names = list(OutboxEvent.objects.order_by("id").values_list("name", flat=True))
    assert names[-2:] == ["inventory.TransferDone", "inventory.GoodsReceived"]


def test_a_delivery_takes_the_average_cost_and_the_last_unit_takes_what_is_left(
    make_product: Any, receive: Any, deliver: Any, books: Any
) -> None:
    pen = make_product("PEN")
    receive((pen, "3", "10"))
    receive((pen, "3", "10.01"))  # average 10.005 a piece
    first = deliver((pen, "1"))
    assert Move.objects.get(transfer=first).value == Decimal("10.01")  # 10.005 rounded half up
    deliver((pen, "5"))
    valuation = ProductValuation.objects.get(product=pen)
    assert (valuation.quantity, valuation.value) == (Decimal("0"), Decimal("0.00"))
    assert balance(books, STOCK) == Decimal("0.00")
    assert balance(books, COGS) == Decimal("60.03")


def test_fifo_takes_the_oldest_layers_first(
    make_product: Any, receive: Any, deliver: Any, books: Any
) -> None:
    toner = make_product("TONER", costing=CostingMethod.FIFO)
    receive((toner, "2", "30"))
    receive((toner, "2", "40"))
    delivery = deliver((toner, "3"))
    assert Move.objects.get(transfer=delivery).value == Decimal("100.00")  # 2 × 30 + 1 × 40
    open_layers = ValuationLayer.objects.filter(product=toner, remaining_quantity__gt=0)
    assert [(layer.remaining_quantity, layer.remaining_value) for layer in open_layers] == [
        (Decimal("1"), Decimal("40.00"))
    ]
    assert balance(books, STOCK) == Decimal("40.00")


def test_delivering_more_than_available_is_refused_and_changes_nothing(
    make_product: Any, receive: Any, deliver: Any, warehouse: Any
) -> None:
    desk = make_product("DESK")
    receive((desk, "2", "100"))
    events = OutboxEvent.objects.count()
    moves = list(Move.objects.values_list("id", "state", "quantity"))
    with pytest.raises(StockUnavailableError, match=r"Not enough DESK at WH/Stock: 3 needed, 2 available\."):
        deliver((desk, "3"), done=None)
    assert on_hand(desk) == Decimal("2")
    # The delivery itself was created and confirmed in transactions of their own; the
    # refused validation left its moves as they were.
    delivery = Transfer.objects.get(kind="delivery")
    assert delivery.state == TransferState.WAITING
    assert OutboxEvent.objects.count() == events
    assert set(moves) <= set(Move.objects.values_list("id", "state", "quantity"))


def test_a_partial_delivery_leaves_a_backorder_with_the_rest(
    make_product: Any, receive: Any, storekeeper: Any, warehouse: Any, customer: Any
) -> None:
    lamp = make_product("LAMP")
    receive((lamp, "4", "20"))
    delivery = services.transfer_create(
        actor=storekeeper,
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=lamp.pk, quantity="10")],
    )
    delivery = services.transfer_confirm(actor=storekeeper, transfer_id=delivery.pk)
    assert delivery.state == TransferState.WAITING
    reserved = Move.objects.get(transfer=delivery, state=MoveState.RESERVED)
    assert reserved.quantity == Decimal("4")
    services.transfer_validate(
        actor=storekeeper, transfer_id=delivery.pk, done=[services.DoneIn(move_id=reserved.pk, quantity="4")]
    )
    backorder = Transfer.objects.get(backorder_of=delivery)
    assert backorder.state == TransferState.WAITING
    assert [(m.quantity, m.state) for m in Move.objects.filter(transfer=backorder)] == [
        (Decimal("6"), MoveState.WAITING)
    ]
    assert on_hand(lamp) == Decimal("0")


def test_serial_numbers_are_one_unit_in_one_place(make_product: Any, receive: Any, deliver: Any) -> None:
    laptop = make_product("LAPTOP", tracking=Tracking.SERIAL)
    with pytest.raises(LotRequiredError):
        receive((laptop, "2", "900"))
    move_events = OutboxEvent.objects.count()
    transfer = Transfer.objects.filter(kind="receipt").latest("id")
    move = Move.objects.get(transfer=transfer)
    done = [services.DoneIn(move_id=move.pk, quantity="1", lot=serial) for serial in ("SN-1", "SN-2")]
    services.transfer_validate(actor=transfer.created_by, transfer_id=transfer.pk, done=done)
    assert on_hand(laptop) == Decimal("2")
    published = OutboxEvent.objects.order_by("id").values_list("name", flat=True)[move_events:]
    assert list(published) == ["finance.EntryPosted", "inventory.TransferDone", "inventory.GoodsReceived"]
    again = services.transfer_create(
        actor=transfer.created_by,
        kind="receipt",
        warehouse_id=transfer.warehouse_id,
        lines=[services.MoveIn(product_id=laptop.pk, quantity="1", unit_cost="900", lot="SN-1")],
    )
    with pytest.raises(SerialNumberError, match="SN-1 of LAPTOP is in stock already"):
        services.transfer_validate(actor=transfer.created_by, transfer_id=again.pk)
    assert on_hand(laptop) == Decimal("2")


def test_units_convert_into_the_products_unit_and_incompatible_ones_are_refused(
    make_product: Any, storekeeper: Any, warehouse: Any, units: Any
) -> None:
    egg = make_product("EGG")
    transfer = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[services.MoveIn(product_id=egg.pk, quantity="2", uom_id=units["dozen"].pk, unit_cost="3.60")],
    )
    move = Move.objects.get(transfer=transfer)
    assert (move.quantity, move.unit_cost) == (Decimal("24"), Decimal("0.3"))
    count = Transfer.objects.count()
    with pytest.raises(
        TransferInvalidError, match=r"dozen cannot be converted into pc|kg cannot be converted into pc"
    ):
        services.transfer_create(
            actor=storekeeper,
            kind="receipt",
            warehouse_id=warehouse.pk,
            lines=[services.MoveIn(product_id=egg.pk, quantity="2", uom_id=units["kg"].pk)],
        )
    assert Transfer.objects.count() == count


def test_a_location_of_another_company_is_unknown(
    make_product: Any, storekeeper: Any, warehouse: Any, make_user: Any, other_company: Any
) -> None:
    from kantoor.inventory.models import Location

    foreign = Location.objects.create(
        company=other_company, name="Elsewhere", full_name="Elsewhere", usage="internal"
    )
    chair = make_product("CHAIR")
    with pytest.raises(TransferInvalidError, match="Unknown location"):
        services.transfer_create(
            actor=storekeeper,
            kind="internal",
            source_id=warehouse.stock_location_id,
            destination_id=foreign.pk,
            lines=[services.MoveIn(product_id=chair.pk, quantity="1")],
        )
    assert not Transfer.objects.exists()


def test_three_step_delivery_picks_packs_and_ships(
    make_product: Any, storekeeper: Any, books: Any, customer: Any, supplier: Any
) -> None:
    site = services.warehouse_create(actor=storekeeper, code="DC", name="Distribution", delivery_steps=3)
    box = make_product("BOX")
    receipt = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=site.pk,
        lines=[services.MoveIn(product_id=box.pk, quantity="5", unit_cost="2")],
    )
    services.transfer_validate(actor=storekeeper, transfer_id=receipt.pk)
    ship = services.transfer_create(
        actor=storekeeper,
        kind="delivery",
        warehouse_id=site.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=box.pk, quantity="5")],
    )
    pack = Transfer.objects.get(next_transfer=ship)
    pick = Transfer.objects.get(next_transfer=pack)
    assert (pick.kind, pack.kind, ship.kind) == ("pick", "pack", "delivery")
    services.transfer_confirm(actor=storekeeper, transfer_id=pick.pk)
    services.transfer_validate(actor=storekeeper, transfer_id=pick.pk)
    assert on_hand(box, site.pack_location) == Decimal("5")
    assert balance(books, STOCK) == Decimal("10.00")  # inside the company: no value moved
    services.transfer_validate(actor=storekeeper, transfer_id=pack.pk)
    services.transfer_validate(actor=storekeeper, transfer_id=ship.pk)
    assert on_hand(box) == Decimal("0")
    assert balance(books, STOCK) == Decimal("0.00")
    assert balance(books, COGS) == Decimal("10.00")


def test_a_customer_return_comes_back_at_what_the_delivery_cost(
    make_product: Any, receive: Any, deliver: Any, storekeeper: Any, warehouse: Any, books: Any
) -> None:
    mug = make_product("MUG")
    receive((mug, "2", "4"))
    delivery = deliver((mug, "2"))
    receive((mug, "1", "9"))  # the cost has risen since
    shipped = Move.objects.get(transfer=delivery)
    back = services.transfer_create(
        actor=storekeeper,
        kind="return_in",
        warehouse_id=warehouse.pk,
        lines=[services.MoveIn(product_id=mug.pk, quantity="1")],
    )
    Move.objects.filter(transfer=back).update(origin_move=shipped)
    services.transfer_validate(actor=storekeeper, transfer_id=back.pk)
    assert Move.objects.get(transfer=back).value == Decimal("4.00")
    assert balance(books, COGS) == Decimal("4.00")
    assert balance(books, STOCK) == Decimal("13.00")


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("nobody", PermissionDeniedError),
        ("accountant", PermissionDeniedError),
        ("outsider", TransferInvalidError),  # another company's administrator: no such warehouse
    ],
)
def test_only_operations_moves_stock(
    who: str, refusal: type[Exception], request: Any, make_product: Any, warehouse: Any
) -> None:
    actor = request.getfixturevalue(who)
    chair = make_product("CHAIR")
    with pytest.raises(refusal):
        services.transfer_create(
            actor=actor,
            kind="receipt",
            warehouse_id=warehouse.pk,
            lines=[services.MoveIn(product_id=chair.pk, quantity="1")],
        )
    assert not Transfer.objects.exists()


def test_a_transfer_recorded_at_once_takes_goods_from_the_shelves_they_are_on(
    make_product: Any, storekeeper: Any, warehouse: Any, customer: Any, books: Any
) -> None:
    shelf_a = services.location_create(actor=storekeeper, parent_id=warehouse.stock_location_id, name="A")
    shelf_b = services.location_create(actor=storekeeper, parent_id=warehouse.stock_location_id, name="B")
    cable = make_product("CABLE")
    for shelf, quantity in ((shelf_a, "3"), (shelf_b, "4")):
        services.transfer_record(
            actor=storekeeper,
            kind="receipt",
            warehouse_id=warehouse.pk,
            destination_id=shelf.pk,
            lines=[services.MoveIn(product_id=cable.pk, quantity=quantity, unit_cost="2")],
        )
    delivery = services.transfer_record(
        actor=storekeeper,
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=cable.pk, quantity="5")],
    )
    assert delivery.state == TransferState.DONE
    taken = sorted(Move.objects.filter(transfer=delivery).values_list("source__full_name", "quantity"))
    assert taken == [("WH/Stock/A", Decimal("3")), ("WH/Stock/B", Decimal("2"))]
    assert (on_hand(cable, shelf_a), on_hand(cable, shelf_b)) == (Decimal("0"), Decimal("2"))
    assert balance(books, STOCK) == Decimal("4.00")
    transfers = Transfer.objects.count()
    with pytest.raises(StockUnavailableError, match=r"Not enough CABLE at WH/Stock: 1 needed, 0 available\."):
        services.transfer_record(
            actor=storekeeper,
            kind="delivery",
            warehouse_id=warehouse.pk,
            lines=[services.MoveIn(product_id=cable.pk, quantity="3")],
        )
    assert Transfer.objects.count() == transfers  # nothing written, not even the draft
    assert on_hand(cable) == Decimal("2")
