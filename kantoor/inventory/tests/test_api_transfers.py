"""Warehouses, locations, transfers and returns at /api/v1/: the receipt-to-delivery flow,
bad input refused with a problem and nothing written, reads scoped by role and company,
an Idempotency-Key replay, and list endpoints whose queries do not grow with their rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kantoor.core.tests.api_support import Api, anonymous_api, api_as, assert_problem, nothing_written
from kantoor.inventory.models import Move, Transfer, TransferState

pytestmark = pytest.mark.django_db
__all__ = ["anonymous_api", "api_as"]  # fixtures


def _rows() -> dict[str, list[dict[str, Any]]]:
    models = [m for m in apps.get_models() if m._meta.app_label in {"inventory", "finance"}]
    return {m._meta.label_lower: list(m._default_manager.order_by("pk").values()) for m in models}


@contextmanager
def nothing_changed() -> Iterator[None]:
    """No row of core, parties, finance or inventory changed (outbox and audit included)."""
    before = _rows()
    with nothing_written():
        yield
    after = _rows()
    assert [label for label in before if before[label] != after[label]] == []


@pytest.fixture
def otto(api_as: Callable[..., Api], storekeeper: Any, books: Any) -> Api:
    return api_as(storekeeper)


@pytest.fixture
def chair(make_product: Any) -> Any:
    return make_product("CHAIR", cost="20")


def _receipt(
    api: Api, warehouse: Any, supplier: Any, product: Any, quantity: str = "10", **extra: Any
) -> Any:
    body = {
        "kind": "receipt",
        "warehouse_id": warehouse.pk,
        "party_id": supplier.pk,
        "lines": [{"product_id": product.pk, "quantity": quantity, "unit_cost": "20"}],
        **extra,
    }
    return api.post("/transfers", body)


def test_a_receipt_validated_then_a_partial_delivery_leaves_a_backorder(
    otto: Api, warehouse: Any, supplier: Any, customer: Any, chair: Any
) -> None:
    created = _receipt(otto, warehouse, supplier, chair)
    assert created.status_code == 201, created.content
    receipt = created.json()
    assert (receipt["kind"], receipt["state"], receipt["version"]) == ("receipt", "draft", 1)
    assert [(m["product_sku"], m["quantity"], m["unit_cost"]) for m in receipt["moves"]] == [
        ("CHAIR", "10", "20")
    ]
    done = otto.post(f"/transfers/{receipt['id']}/validate", {"version": 1})
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["moves"][0]["value"]) == ("done", "200.00")

    delivery = otto.post(
        "/transfers",
        {
            "kind": "delivery",
            "warehouse_id": warehouse.pk,
            "party_id": customer.pk,
            "lines": [{"product_id": chair.pk, "quantity": "8"}],
        },
    ).json()
    confirmed = otto.post(f"/transfers/{delivery['id']}/confirm", {"version": delivery["version"]}).json()
    assert confirmed["state"] == "ready"
    move_id = confirmed["moves"][0]["id"]
    validated = otto.post(
        f"/transfers/{delivery['id']}/validate", {"done": [{"move_id": move_id, "quantity": "5"}]}
    ).json()
    assert validated["state"] == "done"
    backorder = Transfer.objects.get(backorder_of_id=delivery["id"])
    assert backorder.state == TransferState.READY
    assert [m.quantity for m in Move.objects.filter(transfer=backorder)] == [3]
    listed = otto.get("/transfers", {"kind": "delivery", "state": "ready"}).json()
    assert [t["id"] for t in listed["items"]] == [backorder.pk]
    assert listed["items"][0]["backorder_of_id"] == delivery["id"]

    back = otto.post(
        f"/transfers/{delivery['id']}/return", {"lines": [{"move_id": move_id, "quantity": "2"}]}
    )
    assert back.status_code == 201, back.content
    assert (back.json()["kind"], back.json()["return_of_id"]) == ("return_in", delivery["id"])
    assert back.json()["moves"][0]["origin_move_id"] == move_id
    cancelled = otto.post(f"/transfers/{back.json()['id']}/cancel", {}).json()
    assert cancelled["state"] == "cancelled"


def test_bad_input_is_a_problem_and_writes_nothing(
    otto: Api, warehouse: Any, supplier: Any, chair: Any, make_user: Any, api_as: Any
) -> None:
    receipt = _receipt(otto, warehouse, supplier, chair).json()
    seller = api_as(make_user("sales"))
    with nothing_changed():
        assert_problem(_receipt(otto, warehouse, supplier, chair, quantity="-1"), 422)
        assert_problem(_receipt(otto, warehouse, supplier, chair, quantity="abc"), 422)
        assert_problem(_receipt(otto, warehouse, supplier, chair, colour="red"), 422)
        assert_problem(otto.post("/transfers", {"kind": "adjustment", "lines": []}), 422)
        bad_product = {
            "kind": "receipt",
            "warehouse_id": warehouse.pk,
            "lines": [{"product_id": 999, "quantity": "1"}],
        }
        problem = assert_problem(otto.post("/transfers", bad_product), 422, "transfer-invalid")
        assert problem["errors"] == [{"field": "lines.0.product_id", "message": "Unknown product."}]
        assert_problem(otto.post(f"/transfers/{receipt['id']}/confirm", {"version": 7}), 409)
        assert_problem(otto.post(f"/transfers/{receipt['id']}/return", {}), 409, "transfer-state")
        assert_problem(otto.post("/transfers/999999/validate", {}), 404)
        wrong_move = {"done": [{"move_id": 999999, "quantity": "1"}]}
        assert_problem(otto.post(f"/transfers/{receipt['id']}/validate", wrong_move), 422, "transfer-invalid")
        assert_problem(otto.post("/warehouses", {"code": "WH", "name": "Again"}), 422, "warehouse-invalid")
        assert_problem(
            otto.post("/locations", {"parent_id": warehouse.stock_location.pk, "name": "a/b"}),
            422,
            "location-invalid",
        )
        assert_problem(_receipt(seller, warehouse, supplier, chair), 403)
        assert_problem(seller.post(f"/transfers/{receipt['id']}/cancel", {}), 403)


def test_reads_are_scoped_and_values_need_the_valuation_right(
    otto: Api,
    warehouse: Any,
    supplier: Any,
    chair: Any,
    make_user: Any,
    api_as: Any,
    outsider: Any,
    anonymous_api: Api,
) -> None:
    receipt = _receipt(otto, warehouse, supplier, chair).json()
    seller = api_as(make_user("sales"))
    seen = seller.get(f"/transfers/{receipt['id']}")
    assert seen.status_code == 200
    assert (seen.json()["moves"][0]["unit_cost"], seen.json()["moves"][0]["value"]) == (None, None)
    assert [w["code"] for w in seller.get("/warehouses").json()["items"]] == ["WH"]
    stranger = api_as(outsider)
    assert_problem(stranger.get(f"/transfers/{receipt['id']}"), 404)
    assert stranger.get("/transfers").json()["items"] == []
    assert stranger.get("/locations").json()["items"] == []
    assert_problem(anonymous_api.get("/transfers"), 401)


def test_warehouses_and_locations_are_made_and_listed(otto: Api, warehouse: Any) -> None:
    made = otto.post("/warehouses", {"code": "rtm", "name": "Rotterdam", "delivery_steps": 3})
    assert made.status_code == 201, made.content
    assert (made.json()["code"], made.json()["delivery_steps"]) == ("RTM", 3)
    shelf = otto.post(
        "/locations", {"parent_id": made.json()["stock_location_id"], "name": "A1", "barcode": "RTM-A1"}
    )
    assert shelf.status_code == 201, shelf.content
    assert shelf.json()["full_name"] == "RTM/Stock/A1"
    found = otto.get("/locations", {"warehouse_id": made.json()["id"], "usage": "internal"}).json()
    assert [loc["full_name"] for loc in found["items"]] == [
        "RTM/Input",
        "RTM/Output",
        "RTM/Packing",
        "RTM/Stock",
        "RTM/Stock/A1",
    ]
    assert [w["code"] for w in otto.get("/warehouses").json()["items"]] == ["RTM", "WH"]
    scanned = otto.get("/scan", {"code": "RTM-A1"}).json()
    assert (scanned["kind"], scanned["location"]["full_name"], scanned["stock"]) == (
        "location",
        "RTM/Stock/A1",
        [],
    )


def test_a_retried_create_with_its_idempotency_key_makes_one_transfer(
    otto: Api, warehouse: Any, supplier: Any, chair: Any
) -> None:
    body = {
        "kind": "receipt",
        "warehouse_id": warehouse.pk,
        "lines": [{"product_id": chair.pk, "quantity": "2"}],
    }
    first = otto.post("/transfers", body, key="receipt-0001")
    again = otto.post("/transfers", body, key="receipt-0001")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Transfer.objects.count() == 1


def test_the_lists_cost_the_same_for_1_or_5_rows(
    otto: Api, warehouse: Any, supplier: Any, chair: Any, storekeeper: Any
) -> None:
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = otto.get(path, {"limit": 200})
        assert response.status_code == 200
        return len(captured)

    paths = ("/transfers", "/warehouses", "/locations", "/lots", "/counts")
    receipt = _receipt(otto, warehouse, supplier, chair).json()
    otto.post(f"/transfers/{receipt['id']}/validate", {})
    otto.post("/counts", {"location_id": warehouse.stock_location.pk})
    few = [queries(path) for path in paths]
    for index in range(4):
        _receipt(otto, warehouse, supplier, chair)
        otto.post("/warehouses", {"code": f"W{index}", "name": f"Warehouse {index}"})
        otto.post("/counts", {"location_id": warehouse.stock_location.pk})
    assert len(otto.get("/transfers", {"limit": 200}).json()["items"]) == 5
    assert [queries(path) for path in paths] == few
    with CaptureQueriesContext(connection) as captured:
        assert otto.get(f"/transfers/{receipt['id']}").status_code == 200
    assert len(captured) <= 8
