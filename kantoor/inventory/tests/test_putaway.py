"""Two-step receipts: a warehouse receiving in two steps takes goods into CODE/Input, and
each receipt done there makes a confirmed put-away (input → stock) of what was done, lots
and document lines kept. The receipt is valued, the put-away is not. Receipt steps change
only while nothing is on its way in; the API and the warehouse page carry the setting."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kantoor.catalog.models import Tracking
from kantoor.core.tests.api_support import Api, api_as, assert_problem
from kantoor.finance.models import AccountRole
from kantoor.inventory import services
from kantoor.inventory.errors import WarehouseInvalidError
from kantoor.inventory.models import (
    Move,
    ProductValuation,
    Quant,
    Transfer,
    TransferKind,
    ValuationLayer,
    Warehouse,
)
from kantoor.inventory.tests.conftest import balance, on_hand

pytestmark = pytest.mark.django_db
__all__ = ["api_as"]  # fixtures


@pytest.fixture
def dc(books: Any, storekeeper: Any) -> Warehouse:
    return services.warehouse_create(actor=storekeeper, code="DC", name="Distribution", receipt_steps=2)


@pytest.fixture
def receive_dc(storekeeper: Any, dc: Warehouse, supplier: Any) -> Callable[..., Transfer]:
    """receive_dc((product, quantity, unit_cost[, lot]), ..., done=...): a receipt into DC."""

    def make(*lines: tuple[Any, ...], done: list[services.DoneIn] | None = None, **extra: Any) -> Transfer:
        transfer = services.transfer_create(
            actor=storekeeper,
            kind="receipt",
            warehouse_id=dc.pk,
            party_id=supplier.pk,
            origin="PO-7",
            lines=[
                services.MoveIn(
                    product_id=p.pk, quantity=q, unit_cost=c, lot=(rest[0] if rest else ""), origin_line="x:1"
                )
                for p, q, c, *rest in lines
            ],
            **extra,
        )
        return services.transfer_validate(actor=storekeeper, transfer_id=transfer.pk, done=done)

    return make


def _putaways() -> list[Transfer]:
    return list(Transfer.objects.filter(kind=TransferKind.INTERNAL).order_by("id"))


def _moves(transfer: Transfer) -> list[tuple[str, str, str, str | None, Decimal, str, str]]:
    return [
        (
            m.product.sku,
            m.source.full_name,
            m.destination.full_name,
            m.lot.name if m.lot else None,
            m.quantity,
            m.state,
            m.origin_line,
        )
        for m in Move.objects.filter(transfer=transfer)
        .select_related("product", "source", "destination", "lot")
        .order_by("id")
    ]


def _quants() -> list[tuple[str, str, str | None, Decimal, Decimal]]:
    return [
        (q.product.sku, q.location.full_name, q.lot.name if q.lot else None, q.quantity, q.reserved_quantity)
        for q in Quant.objects.select_related("product", "location", "lot").order_by(
            "product__sku", "location__full_name", "lot__name"
        )
    ]


def test_a_receipt_lands_in_input_and_its_put_away_takes_it_to_stock(
    storekeeper: Any, dc: Warehouse, receive_dc: Any, make_product: Any, books: Any
) -> None:
    chair = make_product("CHAIR", cost="20")
    wine = make_product("WINE", cost="8", tracking=Tracking.LOT)
    receipt = Transfer.objects.get(pk=receive_dc((chair, "10", "20"), (wine, "6", "8", "L-1")).pk)
    assert (receipt.source.full_name, receipt.destination.full_name, receipt.state) == (
        "Partners/Suppliers",
        "DC/Input",
        "done",
    )
    # Reserved by the put-away, which is confirmed at once.
    assert _quants() == [
        ("CHAIR", "DC/Input", None, Decimal("10"), Decimal("10")),
        ("WINE", "DC/Input", "L-1", Decimal("6"), Decimal("6")),
    ]
    (putaway,) = _putaways()
    year = receipt.number.split("-")[1]
    assert (putaway.number, putaway.origin, putaway.state, putaway.warehouse_id) == (
        f"DC/INT-{year}-00001",
        receipt.number,
        "ready",
        dc.pk,
    )
    assert (putaway.source.full_name, putaway.destination.full_name) == ("DC/Input", "DC/Stock")
    assert _moves(putaway) == [
        ("CHAIR", "DC/Input", "DC/Stock", None, Decimal("10"), "reserved", "x:1"),
        ("WINE", "DC/Input", "DC/Stock", "L-1", Decimal("6"), "reserved", "x:1"),
    ]
    stock_value = balance(books, AccountRole.STOCK)
    assert stock_value == Decimal("248.00")
    layers_before = ValuationLayer.objects.count()

    services.transfer_validate(actor=storekeeper, transfer_id=putaway.pk)

    assert _quants() == [
        ("CHAIR", "DC/Input", None, Decimal("0"), Decimal("0")),
        ("CHAIR", "DC/Stock", None, Decimal("10"), Decimal("0")),
        ("WINE", "DC/Input", "L-1", Decimal("0"), Decimal("0")),
        ("WINE", "DC/Stock", "L-1", Decimal("6"), Decimal("0")),
    ]
    assert on_hand(chair, dc.stock_location) == Decimal("10")
    # The put-away moves own stock: no entry, no layer, the stock account still equals the valuation.
    assert balance(books, AccountRole.STOCK) == stock_value
    assert ValuationLayer.objects.count() == layers_before
    valued = sum((v.value for v in ProductValuation.objects.all()), Decimal(0))
    assert valued == stock_value
    # Done put-aways make no put-aways of their own.
    assert len(_putaways()) == 1


def test_a_partial_receipt_puts_away_only_what_was_done(
    storekeeper: Any, dc: Warehouse, receive_dc: Any, make_product: Any
) -> None:
    chair = make_product("CHAIR", cost="20")
    draft = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=dc.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="10", unit_cost="20")],
    )
    move = Move.objects.get(transfer=draft)
    services.transfer_validate(
        actor=storekeeper, transfer_id=draft.pk, done=[services.DoneIn(move_id=move.pk, quantity="4")]
    )
    (first,) = _putaways()
    assert _moves(first) == [("CHAIR", "DC/Input", "DC/Stock", None, Decimal("4"), "reserved", "")]
    backorder = Transfer.objects.get(backorder_of=draft)
    assert backorder.destination_id == dc.input_location_id
    services.transfer_validate(actor=storekeeper, transfer_id=backorder.pk)
    first_again, second = _putaways()
    assert (first_again.pk, second.origin) == (first.pk, backorder.number)
    assert _moves(second) == [("CHAIR", "DC/Input", "DC/Stock", None, Decimal("6"), "reserved", "")]


def test_serial_numbers_are_put_away_one_by_one(
    storekeeper: Any, dc: Warehouse, receive_dc: Any, make_product: Any
) -> None:
    laptop = make_product("LAPTOP", tracking=Tracking.SERIAL)
    draft = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=dc.pk,
        lines=[services.MoveIn(product_id=laptop.pk, quantity="2", unit_cost="900")],
    )
    move = Move.objects.get(transfer=draft)
    done = [services.DoneIn(move_id=move.pk, quantity="1", lot=serial) for serial in ("SN-1", "SN-2")]
    services.transfer_validate(actor=storekeeper, transfer_id=draft.pk, done=done)
    (putaway,) = _putaways()
    assert _moves(putaway) == [
        ("LAPTOP", "DC/Input", "DC/Stock", "SN-1", Decimal("1"), "reserved", ""),
        ("LAPTOP", "DC/Input", "DC/Stock", "SN-2", Decimal("1"), "reserved", ""),
    ]
    services.transfer_validate(actor=storekeeper, transfer_id=putaway.pk)
    assert on_hand(laptop, dc.stock_location) == Decimal("2")


def test_recorded_receipts_and_customer_returns_go_through_input_too(
    storekeeper: Any, dc: Warehouse, customer: Any, make_product: Any
) -> None:
    chair = make_product("CHAIR", cost="20")
    services.transfer_record(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=dc.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="3", unit_cost="20")],
    )
    returned = services.transfer_record(
        actor=storekeeper,
        kind="return_in",
        warehouse_id=dc.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="1")],
    )
    assert returned.destination_id == dc.input_location_id
    assert [_moves(p) for p in _putaways()] == [
        [("CHAIR", "DC/Input", "DC/Stock", None, Decimal("3"), "reserved", "")],
        [("CHAIR", "DC/Input", "DC/Stock", None, Decimal("1"), "reserved", "")],
    ]


def test_a_receipt_named_into_stock_or_in_a_one_step_warehouse_makes_no_put_away(
    storekeeper: Any, dc: Warehouse, warehouse: Warehouse, receive: Any, make_product: Any
) -> None:
    chair = make_product("CHAIR", cost="20")
    services.transfer_record(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=dc.pk,
        destination_id=dc.stock_location_id,
        lines=[services.MoveIn(product_id=chair.pk, quantity="3", unit_cost="20")],
    )
    one_step = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="2", unit_cost="20")],
    )
    assert one_step.destination_id == warehouse.stock_location_id
    with CaptureQueriesContext(connection) as queries:
        services.transfer_validate(actor=storekeeper, transfer_id=one_step.pk)
    # The hook reads no warehouse for a receipt into stock.
    assert [q["sql"] for q in queries.captured_queries if "inventory_warehouse" in q["sql"]] == []
    assert _putaways() == []
    assert on_hand(chair, dc.stock_location) == Decimal("3")
    assert on_hand(chair, warehouse.stock_location) == Decimal("2")


def test_receipt_steps_are_checked_and_change_only_while_nothing_is_on_its_way_in(
    storekeeper: Any, warehouse: Warehouse, make_product: Any
) -> None:
    with pytest.raises(WarehouseInvalidError) as refused:
        services.warehouse_create(actor=storekeeper, code="X", name="X", receipt_steps=3)
    assert refused.value.field_errors == {"receipt_steps": ["Receipts take 1 or 2 steps."]}
    chair = make_product("CHAIR", cost="20")
    receipt = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="2", unit_cost="20")],
    )
    with pytest.raises(WarehouseInvalidError) as busy:
        services.warehouse_update(actor=storekeeper, warehouse_id=warehouse.pk, receipt_steps=2)
    assert busy.value.field_errors == {
        "receipt_steps": ["The warehouse has open receipts or put-aways; finish or cancel them first."]
    }
    assert Warehouse.objects.get(pk=warehouse.pk).receipt_steps == 1
    services.transfer_validate(actor=storekeeper, transfer_id=receipt.pk)
    changed = services.warehouse_update(
        actor=storekeeper, warehouse_id=warehouse.pk, receipt_steps=2, version=1
    )
    assert (changed.receipt_steps, changed.version) == (2, 2)
    services.transfer_record(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="1", unit_cost="20")],
    )
    (putaway,) = _putaways()
    # The open put-away holds the setting too.
    with pytest.raises(WarehouseInvalidError):
        services.warehouse_update(actor=storekeeper, warehouse_id=warehouse.pk, receipt_steps=1)
    services.transfer_validate(actor=storekeeper, transfer_id=putaway.pk)
    back = services.warehouse_update(actor=storekeeper, warehouse_id=warehouse.pk, receipt_steps=1)
    assert (back.receipt_steps, back.version) == (1, 3)
    assert on_hand(chair, warehouse.stock_location) == Decimal("3")


@pytest.fixture
def otto(api_as: Callable[..., Api], storekeeper: Any, books: Any) -> Api:
    return api_as(storekeeper)


def test_the_api_creates_and_updates_receipt_steps(otto: Api) -> None:
    made = otto.post("/warehouses", {"code": "rtm", "name": "Rotterdam", "receipt_steps": 2})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["code"], body["receipt_steps"], body["delivery_steps"], body["version"]) == ("RTM", 2, 1, 1)
    assert_problem(
        otto.post("/warehouses", {"code": "AMS", "name": "A", "receipt_steps": 3}), 422, "warehouse-invalid"
    )
    assert not Warehouse.objects.filter(code="AMS").exists()
    changed = otto.patch(
        f"/warehouses/{body['id']}", {"version": 1, "receipt_steps": 1, "name": "Rotterdam-Zuid"}
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["receipt_steps"], changed.json()["name"], changed.json()["version"]) == (
        1,
        "Rotterdam-Zuid",
        2,
    )
    problem = assert_problem(
        otto.patch(f"/warehouses/{body['id']}", {"version": 2, "receipt_steps": 3}), 422, "warehouse-invalid"
    )
    assert problem["errors"] == [{"field": "receipt_steps", "message": "Receipts take 1 or 2 steps."}]
    assert_problem(otto.patch(f"/warehouses/{body['id']}", {"version": 1, "receipt_steps": 2}), 409)
    assert Warehouse.objects.get(pk=body["id"]).receipt_steps == 1


def test_the_warehouse_page_offers_and_shows_receipt_steps(
    client: Any, storekeeper: Any, books: Any, settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client.force_login(storekeeper)
    page = client.get(reverse("web:warehouse-list"))
    assert 'name="receipt_steps"' in page.content.decode()
    assert "Two steps (input, then put away)" in page.content.decode()
    made = client.post(
        reverse("web:warehouse-list"),
        {"code": "dc", "name": "DC", "delivery_steps": "1", "receipt_steps": "2"},
    )
    assert made.status_code == 302
    dc = Warehouse.objects.get(code="DC")
    assert dc.receipt_steps == 2
    detail = client.get(reverse("web:warehouse-detail", args=[dc.pk]))
    assert "Two steps (input, then put away)" in detail.content.decode()
    bad = client.post(
        reverse("web:warehouse-list"), {"code": "X", "name": "X", "delivery_steps": "1", "receipt_steps": "3"}
    )
    assert bad.status_code == 422
    assert not Warehouse.objects.filter(code="X").exists()


def test_the_demo_receives_in_rotterdam_in_two_steps_with_one_put_away_open() -> None:
    from kantoor.inventory.tests.test_demo import load

    company_id = load()
    assert list(
        Warehouse.objects.filter(company_id=company_id).values_list("code", "delivery_steps", "receipt_steps")
    ) == [("AMS", 1, 1), ("RTM", 3, 2)]
    putaways = Transfer.objects.filter(company_id=company_id, kind=TransferKind.INTERNAL).order_by("id")
    receipts = dict(
        Transfer.objects.filter(company_id=company_id, kind=TransferKind.RECEIPT).values_list(
            "number", "origin"
        )
    )
    assert [(receipts[p.origin], p.state) for p in putaways] == [
        ("DEMO-IN-05", "done"),
        ("DEMO-IN-06", "ready"),
    ]
    rtm = Warehouse.objects.get(company_id=company_id, code="RTM")
    in_input = Quant.objects.filter(location=rtm.input_location).exclude(quantity=0)
    rows = ((q.product.sku, q.lot.name if q.lot else None, q.quantity, q.reserved_quantity) for q in in_input)
    assert sorted(rows) == [
        ("INK-302-BK", "L06-INK-302-BK", Decimal("24"), Decimal("24")),
        ("MSE-WL", None, Decimal("6"), Decimal("6")),
    ]
