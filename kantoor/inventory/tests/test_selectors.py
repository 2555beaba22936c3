"""Reads of inventory: company-scoped, only for roles that see stock, and the scan lookup."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog.models import Tracking
from kantoor.core.errors import NotFoundError
from kantoor.inventory import counts, selectors, services
from kantoor.inventory.models import TransferState

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(storekeeper: Any, make_product: Any, receive: Any, warehouse: Any) -> dict[str, Any]:
    chair = make_product("CHAIR")
    chair.barcode = "8712345678906"
    chair.save(update_fields=["barcode"])
    milk = make_product("MILK", tracking=Tracking.LOT)
    shelf = services.location_create(
        actor=storekeeper, parent_id=warehouse.stock_location.pk, name="Shelf 1", barcode="LOC-S1"
    )
    receipt = receive(
        (chair, "10", "20"),
        (milk, "6", "2", "L7"),
        done=None,
    )
    internal = services.transfer_create(
        actor=storekeeper,
        kind="internal",
        source_id=warehouse.stock_location.pk,
        destination_id=shelf.pk,
        origin="MOVE-1",
        lines=[services.MoveIn(product_id=chair.pk, quantity="4")],
    )
    services.transfer_confirm(actor=storekeeper, transfer_id=internal.pk)
    services.transfer_validate(actor=storekeeper, transfer_id=internal.pk)
    return {"chair": chair, "milk": milk, "shelf": shelf, "receipt": receipt, "internal": internal}


def test_lists_are_the_company_s_and_only_for_roles_that_see_stock(
    storekeeper: Any, make_user: Any, outsider: Any, warehouse: Any, stocked: Any
) -> None:
    seller, nobody = make_user("sales"), make_user()
    assert [w.code for w in selectors.warehouses_for_actor(seller)] == ["WH"]
    assert list(selectors.warehouses_for_actor(nobody)) == []
    assert list(selectors.warehouses_for_actor(outsider)) == []
    assert list(selectors.transfers_for_actor(outsider)) == []
    names = [loc.full_name for loc in selectors.locations_for_actor(seller, warehouse_id=warehouse.pk)]
    assert names == ["WH", "WH/Input", "WH/Output", "WH/Packing", "WH/Stock", "WH/Stock/Shelf 1"]
    assert [loc.full_name for loc in selectors.locations_for_actor(seller, search="LOC-S1")] == [
        "WH/Stock/Shelf 1"
    ]
    assert [lot.name for lot in selectors.lots_for_actor(seller)] == ["L7"]
    assert list(selectors.lots_for_actor(outsider)) == []
    with pytest.raises(NotFoundError):
        selectors.transfer_get_for_actor(outsider, stocked["receipt"].pk)
    assert selectors.transfer_get_for_actor(seller, stocked["receipt"].pk) == stocked["receipt"]


def test_transfers_filter_by_tab_state_and_search(storekeeper: Any, stocked: Any) -> None:
    receipts = selectors.transfers_for_actor(storekeeper, kinds=selectors.TRANSFER_TABS["receipts"])
    assert list(receipts) == [stocked["receipt"]]
    internal = selectors.transfers_for_actor(storekeeper, kinds=selectors.TRANSFER_TABS["internal"])
    assert list(internal) == [stocked["internal"]]
    assert list(selectors.transfers_for_actor(storekeeper, search="move-1")) == [stocked["internal"]]
    assert list(selectors.transfers_for_actor(storekeeper, search="Leverancier")) == [stocked["receipt"]]
    assert list(selectors.transfers_for_actor(storekeeper, state=TransferState.DRAFT)) == []
    moves = selectors.transfer_moves(stocked["receipt"])
    assert [(m.product.sku, m.lot.name if m.lot else "", m.quantity) for m in moves] == [
        ("CHAIR", "", Decimal("10")),
        ("MILK", "L7", Decimal("6")),
    ]


def test_scan_finds_a_product_a_lot_or_a_location_with_its_stock(
    storekeeper: Any, make_user: Any, outsider: Any, warehouse: Any, stocked: Any
) -> None:
    seller = make_user("sales")
    by_sku = selectors.scan_lookup(seller, " CHAIR ")
    by_barcode = selectors.scan_lookup(seller, "8712345678906")
    for found in (by_sku, by_barcode):
        assert (found.kind, found.product, found.total) == ("product", stocked["chair"], Decimal("10"))
        assert [(row.location.full_name, row.quantity) for row in found.stock] == [
            ("WH/Stock", Decimal("6")),
            ("WH/Stock/Shelf 1", Decimal("4")),
        ]
    lot = selectors.scan_lookup(seller, "L7")
    assert (lot.kind, lot.lot and lot.lot.name, lot.product, lot.total) == (
        "lot",
        "L7",
        stocked["milk"],
        Decimal("6"),
    )
    for code in ("LOC-S1", "wh/stock/shelf 1"):
        place = selectors.scan_lookup(seller, code)
        assert (place.kind, place.location) == ("location", stocked["shelf"])
        assert [(row.product.sku, row.quantity) for row in place.stock] == [("CHAIR", Decimal("4"))]
    stock = selectors.scan_lookup(seller, "WH/Stock")
    assert [(r.location.name, r.product.sku, r.quantity) for r in stock.stock] == [
        ("Stock", "CHAIR", Decimal("6")),
        ("Stock", "MILK", Decimal("6")),
        ("Shelf 1", "CHAIR", Decimal("4")),
    ]
    assert selectors.scan_lookup(seller, "NOPE").kind == ""
    assert selectors.scan_lookup(seller, "").kind == ""
    assert selectors.scan_lookup(outsider, "CHAIR").kind == ""
    assert selectors.scan_lookup(make_user(), "CHAIR").kind == ""


def test_counts_are_read_with_their_lines(
    storekeeper: Any, outsider: Any, warehouse: Any, stocked: Any
) -> None:
    count = counts.count_create(actor=storekeeper, location_id=warehouse.stock_location.pk)
    assert list(selectors.counts_for_actor(storekeeper)) == [count]
    assert list(selectors.counts_for_actor(outsider)) == []
    with pytest.raises(NotFoundError):
        selectors.count_get_for_actor(outsider, count.pk)
    lines = selectors.count_lines(selectors.count_get_for_actor(storekeeper, count.pk))
    assert [(ln.location.full_name, ln.product.sku, ln.expected_quantity) for ln in lines] == [
        ("WH/Stock", "CHAIR", Decimal("6")),
        ("WH/Stock", "MILK", Decimal("6")),
        ("WH/Stock/Shelf 1", "CHAIR", Decimal("4")),
    ]
