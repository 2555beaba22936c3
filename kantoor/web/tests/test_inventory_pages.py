"""Inventory pages through the Django test client: warehouses and locations, the transfer
list with its tabs, a transfer from draft to done with a backorder and a return, a new
transfer form with inline errors, the count sheet (HTMX line saves, apply), the scan page,
and who may see and do what."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kantoor.catalog.models import Tracking
from kantoor.inventory import counts, services
from kantoor.inventory.models import (
    CountState,
    InventoryCount,
    Move,
    Transfer,
    TransferKind,
    TransferState,
    Warehouse,
)
from kantoor.inventory.tests.conftest import (
    accountant,
    books,
    customer,
    deliver,
    make_product,
    on_hand,
    receive,
    storekeeper,
    supplier,
    units,
    warehouse,
)

pytestmark = pytest.mark.django_db
FIXTURES = [
    accountant,
    books,
    customer,
    deliver,
    make_product,
    receive,
    storekeeper,
    supplier,
    units,
    warehouse,
]


@pytest.fixture
def otto(client: Any, storekeeper: Any, books: Any) -> Any:
    client.force_login(storekeeper)
    return client


@pytest.fixture
def chair(make_product: Any) -> Any:
    return make_product("CHAIR", cost="20")


def _text(response: Any) -> str:
    return response.content.decode()


def test_warehouses_and_locations_are_listed_and_made(otto: Any, warehouse: Warehouse) -> None:
    page = otto.get(reverse("web:warehouse-list"))
    assert page.status_code == 200
    assert "Main warehouse" in _text(page)
    made = otto.post(
        reverse("web:warehouse-list"), {"code": "rtm", "name": "Rotterdam", "delivery_steps": "3"}
    )
    rotterdam = Warehouse.objects.get(code="RTM")
    assert made.status_code == 302
    assert made["Location"] == reverse("web:warehouse-detail", args=[rotterdam.pk])
    again = otto.post(reverse("web:warehouse-list"), {"code": "RTM", "name": "Again", "delivery_steps": "1"})
    assert again.status_code == 422
    assert "Warehouse RTM exists already." in _text(again)
    assert Warehouse.objects.count() == 2
    shelf = otto.post(
        reverse("web:warehouse-detail", args=[rotterdam.pk]),
        {"parent_id": rotterdam.stock_location_id, "name": "A1", "barcode": "RTM-A1"},
    )
    assert shelf.status_code == 302
    detail = otto.get(reverse("web:warehouse-detail", args=[rotterdam.pk]))
    assert "RTM/Stock/A1" in _text(detail)
    assert "RTM-A1" in _text(detail)


def test_a_receipt_is_created_and_validated_then_a_partial_delivery_leaves_a_backorder(
    otto: Any, warehouse: Warehouse, supplier: Any, customer: Any, chair: Any
) -> None:
    form = otto.get(reverse("web:transfer-create") + "?kind=receipt")
    assert form.status_code == 200
    assert "CHAIR — Product CHAIR" in _text(form)
    data = {
        "kind": "receipt",
        "warehouse_id": str(warehouse.pk),
        "party_id": str(supplier.pk),
        "scheduled_date": "2026-03-10",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product_id": str(chair.pk),
        "lines-0-quantity": "10",
        "lines-0-unit_cost": "20",
    }
    created = otto.post(reverse("web:transfer-create"), data)
    assert created.status_code == 302, _text(created)
    receipt = Transfer.objects.get(kind=TransferKind.RECEIPT)
    move = Move.objects.get(transfer=receipt)
    detail = otto.get(created["Location"])
    assert "Validate" in _text(detail)
    done = otto.post(
        reverse("web:transfer-validate", args=[receipt.pk]),
        {"version": receipt.version, f"qty-{move.pk}": "10", "backorder": "1"},
        follow=True,
    )
    assert f"{receipt.number} is done." in _text(done)
    assert on_hand(chair) == Decimal("10")

    delivery = services.transfer_create(
        actor=otto_user(otto),
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="8")],
    )
    confirmed = otto.post(reverse("web:transfer-confirm", args=[delivery.pk]), {"version": "1"}, follow=True)
    assert f"{delivery.number} is ready." in _text(confirmed)
    delivery.refresh_from_db()
    out = Move.objects.get(transfer=delivery)
    validated = otto.post(
        reverse("web:transfer-validate", args=[delivery.pk]),
        {"version": delivery.version, f"qty-{out.pk}": "5", "backorder": "1"},
        follow=True,
    )
    backorder = Transfer.objects.get(backorder_of=delivery)
    assert f"the rest is on backorder {backorder.number}" in _text(validated)
    assert backorder.state == TransferState.READY
    listed = otto.get(reverse("web:transfer-list") + "?tab=deliveries&state=ready")
    assert backorder.number in _text(listed)
    assert delivery.number not in _text(listed)
    # a customer returns 2 of the 5
    returned = otto.post(reverse("web:transfer-return", args=[delivery.pk]), {f"return-{out.pk}": "2"})
    back = Transfer.objects.get(return_of=delivery)
    assert returned["Location"] == reverse("web:transfer-detail", args=[back.pk])
    assert (back.kind, Move.objects.get(transfer=back).quantity) == (TransferKind.RETURN_IN, Decimal("2"))
    refused = otto.post(
        reverse("web:transfer-return", args=[delivery.pk]), {f"return-{out.pk}": "4"}, follow=True
    )
    assert "at most 3 can be returned" in _text(refused)
    assert Transfer.objects.filter(return_of=delivery).count() == 1


def otto_user(client: Any) -> Any:
    from django.contrib.auth import get_user

    return get_user(client)


def test_the_new_transfer_form_shows_the_service_s_errors_and_writes_nothing(
    otto: Any, warehouse: Warehouse, chair: Any
) -> None:
    data = {
        "kind": "receipt",
        "warehouse_id": str(warehouse.pk),
        "scheduled_date": "2026-03-10",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product_id": str(chair.pk),
        "lines-0-quantity": "-3",
    }
    refused = otto.post(reverse("web:transfer-create"), data)
    assert refused.status_code == 422
    assert "Enter a quantity above zero." in _text(refused)
    empty = otto.post(reverse("web:transfer-create"), {**data, "lines-0-product_id": ""})
    assert empty.status_code == 422
    assert "Add at least one line." in _text(empty)
    assert Transfer.objects.count() == 0


def test_a_tracked_product_is_validated_with_its_serial_numbers(
    otto: Any, warehouse: Warehouse, supplier: Any, make_product: Any, storekeeper: Any
) -> None:
    phone = make_product("PHONE", tracking=Tracking.SERIAL)
    receipt = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        party_id=supplier.pk,
        lines=[services.MoveIn(product_id=phone.pk, quantity="3", unit_cost="100")],
    )
    move = Move.objects.get(transfer=receipt)
    page = otto.get(reverse("web:transfer-detail", args=[receipt.pk]))
    assert f'name="lot-{move.pk}"' in _text(page)
    missing = otto.post(
        reverse("web:transfer-validate", args=[receipt.pk]), {f"qty-{move.pk}": "3"}, follow=True
    )
    assert "Enter the lot or serial number of PHONE." in _text(missing)
    otto.post(
        reverse("web:transfer-validate", args=[receipt.pk]),
        {f"qty-{move.pk}": "3", f"lot-{move.pk}": "SN1, SN2\nSN3", "backorder": "1"},
    )
    lots = sorted(Move.objects.filter(transfer=receipt).values_list("lot__name", flat=True))
    assert lots == ["SN1", "SN2", "SN3"]
    assert on_hand(phone) == Decimal("3")


def test_received_goods_are_put_on_a_shelf(
    otto: Any, warehouse: Any, supplier: Any, chair: Any, storekeeper: Any
) -> None:
    shelf = services.location_create(actor=storekeeper, parent_id=warehouse.stock_location.pk, name="A1")
    receipt = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        party_id=supplier.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="6", unit_cost="20")],
    )
    move = Move.objects.get(transfer=receipt)
    page = otto.get(reverse("web:transfer-detail", args=[receipt.pk]))
    assert f'<option value="{shelf.pk}">WH/Stock/A1</option>' in _text(page)
    otto.post(
        reverse("web:transfer-validate", args=[receipt.pk]),
        {f"qty-{move.pk}": "6", f"loc-{move.pk}": str(shelf.pk), "backorder": "1"},
    )
    assert (on_hand(chair, shelf), on_hand(chair, warehouse.stock_location)) == (Decimal("6"), Decimal("0"))


def test_the_count_sheet_saves_lines_by_htmx_and_applies(
    otto: Any, warehouse: Warehouse, receive: Any, chair: Any
) -> None:
    receive((chair, "10", "20"))
    started = otto.post(
        reverse("web:count-list"),
        {"location_id": warehouse.stock_location_id, "scheduled_date": "2026-03-10"},
    )
    count = InventoryCount.objects.get()
    assert started["Location"] == reverse("web:count-detail", args=[count.pk])
    line = count.lines.get()
    url = reverse("web:count-line-set", args=[count.pk, line.pk])
    saved = otto.post(url, {"counted": "8,5"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert 'value="8.5"' in _text(saved)
    assert "-1.5" in _text(saved)
    assert "<html" not in _text(saved)
    bad = otto.post(url, {"counted": "-1"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert "Enter a quantity of zero or more." in _text(bad)
    line.refresh_from_db()
    assert line.counted_quantity == Decimal("8.5")
    applied = otto.post(reverse("web:count-apply", args=[count.pk]), {"version": "1"}, follow=True)
    assert f"Count {count.number} was applied." in _text(applied)
    count.refresh_from_db()
    assert count.state == CountState.DONE
    assert on_hand(chair) == Decimal("8.5")
    assert count.adjustment is not None
    assert count.adjustment.number in _text(otto.get(reverse("web:count-list")))


def test_goods_found_are_added_to_the_count(otto: Any, warehouse: Any, make_product: Any) -> None:
    milk = make_product("MILK", tracking=Tracking.LOT)
    count = counts.count_create(actor=otto_user(otto), location_id=warehouse.stock_location.pk)
    page = otto.get(reverse("web:count-detail", args=[count.pk]))
    assert "The books hold nothing here" in _text(page)
    otto.post(
        reverse("web:count-line-add", args=[count.pk]),
        {"product_id": str(milk.pk), "lot": "L9", "counted": "4"},
    )
    line = count.lines.select_related("lot").get()
    assert (line.lot and line.lot.name, line.counted_quantity) == ("L9", Decimal("4"))
    refused = otto.post(
        reverse("web:count-line-add", args=[count.pk]),
        {"product_id": str(milk.pk), "counted": "1"},
        follow=True,
    )
    assert "Enter the lot or serial number of MILK." in _text(refused)
    assert count.lines.count() == 1
    # a shelf under the counted location is offered, and goods found there go there
    shelf = services.location_create(actor=otto_user(otto), parent_id=warehouse.stock_location.pk, name="S1")
    page = otto.get(reverse("web:count-detail", args=[count.pk]))
    assert f'<option value="{shelf.pk}">WH/Stock/S1</option>' in _text(page)
    assert "WH/Input" not in _text(page)
    otto.post(
        reverse("web:count-line-add", args=[count.pk]),
        {"product_id": str(milk.pk), "lot": "L9", "counted": "2", "location_id": str(shelf.pk)},
    )
    assert sorted(count.lines.values_list("location__full_name", "counted_quantity")) == [
        ("WH/Stock", Decimal("4")),
        ("WH/Stock/S1", Decimal("2")),
    ]


def test_the_scan_page_finds_a_product_lot_or_location(
    otto: Any, warehouse: Warehouse, receive: Any, chair: Any
) -> None:
    receive((chair, "10", "20"))
    page = otto.get(reverse("web:inventory-scan"))
    assert "autofocus" in _text(page)
    found = otto.get(
        reverse("web:inventory-scan"),
        {"code": "CHAIR"},
        headers={"HX-Request": "true", "HX-Target": "scan-result"},
    )
    assert found.status_code == 200
    assert "<html" not in _text(found)
    assert 'id="scan-total">10<' in _text(found)
    place = otto.get(reverse("web:inventory-scan"), {"code": "WH/Stock"})
    assert "WH/Stock" in _text(place)
    assert "CHAIR" in _text(place)
    unknown = otto.get(reverse("web:inventory-scan"), {"code": "NOPE"})
    assert "Nothing is known by “NOPE”." in _text(unknown)


def test_who_may_see_and_do_what(
    client: Any, make_user: Any, warehouse: Warehouse, chair: Any, storekeeper: Any, outsider: Any
) -> None:
    receipt = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="1")],
    )
    seller = make_user("sales", username="sam")
    client.force_login(seller)
    assert client.get(reverse("web:transfer-list")).status_code == 200
    detail = client.get(reverse("web:transfer-detail", args=[receipt.pk]))
    assert detail.status_code == 200
    assert "Confirm" not in _text(detail)
    assert client.post(reverse("web:transfer-confirm", args=[receipt.pk])).status_code == 403
    assert client.get(reverse("web:transfer-create")).status_code == 403
    assert (
        client.post(
            reverse("web:warehouse-list"), {"code": "X", "name": "X", "delivery_steps": "1"}
        ).status_code
        == 403
    )
    client.force_login(make_user(username="nora"))
    for name in ("web:transfer-list", "web:warehouse-list", "web:count-list", "web:inventory-scan"):
        assert client.get(reverse(name)).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("web:transfer-detail", args=[receipt.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("web:transfer-list")).status_code == 302
    receipt.refresh_from_db()
    assert receipt.state == TransferState.DRAFT


def test_the_transfer_list_costs_the_same_for_1_or_5(
    otto: Any, warehouse: Warehouse, chair: Any, supplier: Any, storekeeper: Any
) -> None:
    def make() -> None:
        services.transfer_create(
            actor=storekeeper,
            kind="receipt",
            warehouse_id=warehouse.pk,
            party_id=supplier.pk,
            lines=[services.MoveIn(product_id=chair.pk, quantity="1")],
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert otto.get(reverse("web:transfer-list")).status_code == 200
        return len(captured)

    make()
    few = queries()
    for _ in range(4):
        make()
    assert queries() == few


__all__ = ["FIXTURES"]
