"""Inventory counts: expected from the books, counted by the storekeeper, applied as one
adjustment transfer valued against stock differences."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog.models import Tracking
from kantoor.core.errors import NotFoundError, PermissionDeniedError, StaleVersionError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.finance.models import AccountRole
from kantoor.inventory import counts, services
from kantoor.inventory.models import (
    CountState,
    InventoryCount,
    InventoryCountLine,
    LocationUsage,
    Move,
    Transfer,
    TransferKind,
    TransferState,
)
from kantoor.inventory.tests.conftest import STOCK, balance, on_hand

pytestmark = pytest.mark.django_db
DIFFERENCE = AccountRole.STOCK_DIFFERENCE


def _lines(count: InventoryCount) -> list[tuple[str, str, Decimal, Decimal | None]]:
    return [
        (line.product.sku, line.lot.name if line.lot else "", line.expected_quantity, line.counted_quantity)
        for line in count.lines.select_related("product", "lot").order_by("product__sku", "lot__name")
    ]


def test_a_count_lists_what_the_books_expect_and_applies_gains_and_losses(
    storekeeper: Any, make_product: Any, receive: Any, warehouse: Any, books: Any
) -> None:
    chair, table, lamp = make_product("CHAIR"), make_product("TABLE"), make_product("LAMP")
    receive((chair, "10", "20"), (table, "4", "100"), (lamp, "2", "5"))
    count = counts.count_create(actor=storekeeper, location_id=warehouse.stock_location.pk)
    assert count.number.startswith("WH/CNT-")
    assert count.state == CountState.DRAFT
    assert _lines(count) == [
        ("CHAIR", "", Decimal("10"), None),
        ("LAMP", "", Decimal("2"), None),
        ("TABLE", "", Decimal("4"), None),
    ]
    by_sku = {line.product.sku: line for line in count.lines.select_related("product")}
    counts.count_line_set(
        actor=storekeeper, count_id=count.pk, line_id=by_sku["CHAIR"].pk, counted_quantity="12"
    )
    counts.count_line_set(
        actor=storekeeper, count_id=count.pk, line_id=by_sku["TABLE"].pk, counted_quantity="3"
    )
    # the lamp is not counted: it changes nothing
    applied = counts.count_apply(actor=storekeeper, count_id=count.pk, version=count.version)
    assert applied.state == CountState.DONE
    assert applied.version == 2
    adjustment = applied.adjustment
    assert adjustment is not None
    assert (adjustment.kind, adjustment.state, adjustment.origin) == (
        TransferKind.ADJUSTMENT,
        TransferState.DONE,
        count.number,
    )
    assert adjustment.number.startswith("WH/ADJ-")
    assert (on_hand(chair), on_hand(table), on_hand(lamp)) == (Decimal("12"), Decimal("3"), Decimal("2"))
    loss = services.company_location(books.pk, LocationUsage.INVENTORY)
    moves = {m.product.sku: m for m in Move.objects.filter(transfer=adjustment).select_related("product")}
    assert set(moves) == {"CHAIR", "TABLE"}
    assert (moves["CHAIR"].source_id, moves["CHAIR"].destination_id) == (loss.pk, warehouse.stock_location.pk)
    assert (moves["CHAIR"].quantity, moves["CHAIR"].value) == (Decimal("2"), Decimal("40.00"))
    assert (moves["TABLE"].source_id, moves["TABLE"].destination_id) == (warehouse.stock_location.pk, loss.pk)
    assert (moves["TABLE"].quantity, moves["TABLE"].value) == (Decimal("1"), Decimal("100.00"))
    # 200 + 400 + 10 received, + 40 gained, − 100 lost
    assert balance(books, STOCK) == Decimal("550.00")
    assert balance(books, DIFFERENCE) == Decimal("60.00")
    assert (
        OutboxEvent.objects.filter(name="inventory.TransferDone", payload__transfer_id=adjustment.pk).count()
        == 1
    )


def test_the_difference_is_taken_against_the_books_when_the_count_is_applied(
    storekeeper: Any, make_product: Any, receive: Any, deliver: Any, warehouse: Any, books: Any
) -> None:
    chair = make_product("CHAIR")
    receive((chair, "10", "20"))
    count = counts.count_create(actor=storekeeper, location_id=warehouse.stock_location.pk)
    line = count.lines.get()
    deliver((chair, "3"))  # goods leave while the count is going on; counted after
    counts.count_line_set(actor=storekeeper, count_id=count.pk, line_id=line.pk, counted_quantity="6")
    counts.count_apply(actor=storekeeper, count_id=count.pk)
    line.refresh_from_db()
    assert (line.expected_quantity, line.counted_quantity) == (Decimal("7"), Decimal("6"))
    assert on_hand(chair) == Decimal("6")
    assert balance(books, DIFFERENCE) == Decimal("20.00")


def test_a_count_without_differences_makes_no_adjustment(
    storekeeper: Any, make_product: Any, receive: Any, warehouse: Any, books: Any
) -> None:
    chair = make_product("CHAIR")
    receive((chair, "5", "20"))
    count = counts.count_create(actor=storekeeper, location_id=warehouse.stock_location.pk)
    counts.count_line_set(
        actor=storekeeper, count_id=count.pk, line_id=count.lines.get().pk, counted_quantity="5"
    )
    applied = counts.count_apply(actor=storekeeper, count_id=count.pk)
    assert (applied.state, applied.adjustment) == (CountState.DONE, None)
    assert not Transfer.objects.filter(kind=TransferKind.ADJUSTMENT).exists()


def test_a_cycle_count_of_named_products_and_a_found_lot(
    storekeeper: Any, make_product: Any, receive: Any, warehouse: Any, books: Any
) -> None:
    chair, table = make_product("CHAIR"), make_product("TABLE", cost="50")
    milk = make_product("MILK", cost="2", tracking=Tracking.LOT)
    receive((chair, "10", "20"), (milk, "5", "2", "L1"))
    shelf = services.location_create(actor=storekeeper, parent_id=warehouse.stock_location.pk, name="Shelf 1")
    count = counts.count_create(
        actor=storekeeper, location_id=warehouse.stock_location.pk, product_ids=[table.pk, milk.pk]
    )
    assert _lines(count) == [("MILK", "L1", Decimal("5"), None), ("TABLE", "", Decimal("0"), None)]
    table_line = count.lines.get(product=table)
    counts.count_line_set(actor=storekeeper, count_id=count.pk, line_id=table_line.pk, counted_quantity="2")
    found = counts.count_line_add(
        actor=storekeeper,
        count_id=count.pk,
        product_id=milk.pk,
        lot="L2",
        counted_quantity="3",
        location_id=shelf.pk,
    )
    assert (found.expected_quantity, found.counted_quantity, found.location_id) == (
        Decimal("0"),
        Decimal("3"),
        shelf.pk,
    )
    counts.count_apply(actor=storekeeper, count_id=count.pk)
    assert on_hand(table) == Decimal("2")
    assert on_hand(milk, shelf) == Decimal("3")
    assert on_hand(milk, warehouse.stock_location) == Decimal("5")  # the L1 line was not counted
    assert on_hand(chair) == Decimal("10")
    # gains at the current cost: 2 × 50 + 3 × 2
    assert balance(books, DIFFERENCE) == Decimal("-106.00")


def test_refused_count_input_writes_nothing(
    storekeeper: Any, make_product: Any, receive: Any, warehouse: Any, books: Any
) -> None:
    chair = make_product("CHAIR")
    serial = make_product("PHONE", tracking=Tracking.SERIAL)
    receive((chair, "5", "20"))
    count = counts.count_create(actor=storekeeper, location_id=warehouse.stock_location.pk)
    line = count.lines.get()
    audits = AuditEntry.objects.count()
    for bad in ("-1", "abc", "1.00001", "NaN"):
        with pytest.raises(counts.CountInvalidError):
            counts.count_line_set(actor=storekeeper, count_id=count.pk, line_id=line.pk, counted_quantity=bad)
    with pytest.raises(counts.CountInvalidError):
        counts.count_line_add(
            actor=storekeeper, count_id=count.pk, product_id=serial.pk, counted_quantity="1"
        )
    with pytest.raises(counts.CountInvalidError):
        counts.count_line_add(
            actor=storekeeper, count_id=count.pk, product_id=serial.pk, lot="S1", counted_quantity="2"
        )
    with pytest.raises(counts.CountInvalidError):
        counts.count_line_add(actor=storekeeper, count_id=count.pk, product_id=chair.pk, counted_quantity="1")
    with pytest.raises(counts.CountInvalidError):
        counts.count_create(actor=storekeeper, location_id=services.company_location(books.pk, "customer").pk)
    with pytest.raises(StaleVersionError):
        counts.count_apply(actor=storekeeper, count_id=count.pk, version=count.version + 1)
    line.refresh_from_db()
    assert line.counted_quantity is None
    assert InventoryCountLine.objects.count() == 1
    assert InventoryCount.objects.count() == 1
    assert AuditEntry.objects.count() == audits


def test_an_applied_or_cancelled_count_is_final(
    storekeeper: Any, make_product: Any, receive: Any, warehouse: Any, books: Any
) -> None:
    chair = make_product("CHAIR")
    receive((chair, "5", "20"))
    count = counts.count_create(actor=storekeeper, location_id=warehouse.stock_location.pk)
    cancelled = counts.count_cancel(actor=storekeeper, count_id=count.pk, version=1)
    assert cancelled.state == CountState.CANCELLED
    with pytest.raises(counts.CountStateError):
        counts.count_apply(actor=storekeeper, count_id=count.pk)
    with pytest.raises(counts.CountStateError):
        counts.count_line_set(
            actor=storekeeper, count_id=count.pk, line_id=count.lines.get().pk, counted_quantity="1"
        )
    assert on_hand(chair) == Decimal("5")


def test_a_loss_cannot_take_stock_reserved_for_a_delivery(
    storekeeper: Any, make_product: Any, receive: Any, warehouse: Any, customer: Any, books: Any
) -> None:
    chair = make_product("CHAIR")
    receive((chair, "5", "20"))
    delivery = services.transfer_create(
        actor=storekeeper,
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="4")],
    )
    services.transfer_confirm(actor=storekeeper, transfer_id=delivery.pk)
    count = counts.count_create(actor=storekeeper, location_id=warehouse.stock_location.pk)
    counts.count_line_set(
        actor=storekeeper, count_id=count.pk, line_id=count.lines.get().pk, counted_quantity="2"
    )
    with pytest.raises(Exception, match="Not enough CHAIR"):
        counts.count_apply(actor=storekeeper, count_id=count.pk)
    count.refresh_from_db()
    assert count.state == CountState.DRAFT
    assert on_hand(chair) == Decimal("5")
    assert not Transfer.objects.filter(kind=TransferKind.ADJUSTMENT).exists()


def test_only_operations_counts_and_only_in_its_company(
    storekeeper: Any,
    make_user: Any,
    make_product: Any,
    receive: Any,
    warehouse: Any,
    books: Any,
    outsider: Any,
) -> None:
    chair = make_product("CHAIR")
    receive((chair, "5", "20"))
    seller = make_user("sales", username="sam")
    with pytest.raises(PermissionDeniedError):
        counts.count_create(actor=seller, location_id=warehouse.stock_location.pk)
    count = counts.count_create(actor=storekeeper, location_id=warehouse.stock_location.pk)
    with pytest.raises(NotFoundError):
        counts.count_apply(actor=outsider, count_id=count.pk)
    with pytest.raises(counts.CountInvalidError):
        counts.count_create(actor=outsider, location_id=warehouse.stock_location.pk)


@pytest.mark.parametrize(
    ("who", "refused"),
    [
        ("anonymous", PermissionDeniedError),
        ("no role", PermissionDeniedError),
        ("finance", PermissionDeniedError),
        ("another company", counts.CountInvalidError),
        ("operations", None),
    ],
)
def test_count_create_permissions(
    who: str, refused: Any, make_user: Any, outsider: Any, storekeeper: Any, warehouse: Any
) -> None:
    from django.contrib.auth.models import AnonymousUser

    actor = {
        "anonymous": AnonymousUser(),
        "no role": make_user(),
        "finance": make_user("finance"),
        "another company": outsider,
        "operations": storekeeper,
    }[who]
    location_id = warehouse.stock_location.pk
    if refused is None:
        assert counts.count_create(actor=actor, location_id=location_id).state == CountState.DRAFT
        return
    with pytest.raises(refused):
        counts.count_create(actor=actor, location_id=location_id)
    assert InventoryCount.objects.count() == 0
