"""Inventory counts, lots and the scan lookup at /api/v1/."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog.models import Tracking
from kantoor.core.tests.api_support import Api, api_as, assert_problem
from kantoor.inventory.models import InventoryCount, TransferKind
from kantoor.inventory.tests.conftest import on_hand
from kantoor.inventory.tests.test_api_transfers import nothing_changed

pytestmark = pytest.mark.django_db
__all__ = ["api_as"]  # fixtures


@pytest.fixture
def otto(api_as: Callable[..., Api], storekeeper: Any, books: Any) -> Api:
    return api_as(storekeeper)


def test_a_count_is_made_counted_and_applied(
    otto: Api, make_product: Any, receive: Any, warehouse: Any
) -> None:
    chair = make_product("CHAIR", cost="20")
    milk = make_product("MILK", cost="2", tracking=Tracking.LOT)
    receive((chair, "10", "20"), (milk, "4", "2", "L1"))
    made = otto.post("/counts", {"location_id": warehouse.stock_location.pk})
    assert made.status_code == 201, made.content
    count = made.json()
    assert count["number"].startswith("WH/CNT-")
    assert [
        (ln["product_sku"], ln["lot"], ln["expected_quantity"], ln["counted_quantity"])
        for ln in count["lines"]
    ] == [
        ("CHAIR", None, "10", None),
        ("MILK", "L1", "4", None),
    ]
    chair_line = count["lines"][0]["id"]
    set_line = otto.patch(f"/counts/{count['id']}/lines/{chair_line}", {"counted_quantity": "9.5"})
    assert set_line.status_code == 200, set_line.content
    assert set_line.json()["lines"][0]["counted_quantity"] == "9.5"
    added = otto.post(
        f"/counts/{count['id']}/lines", {"product_id": milk.pk, "lot": "L2", "counted_quantity": "2"}
    )
    assert added.status_code == 201, added.content
    assert [ln["lot"] for ln in added.json()["lines"]] == [None, "L1", "L2"]
    applied = otto.post(f"/counts/{count['id']}/apply", {"version": count["version"]})
    assert applied.status_code == 200, applied.content
    assert (applied.json()["state"], applied.json()["version"]) == ("done", 2)
    adjustment = otto.get(f"/transfers/{applied.json()['adjustment_id']}").json()
    assert adjustment["kind"] == TransferKind.ADJUSTMENT
    assert sorted((m["product_sku"], m["quantity"], m["value"]) for m in adjustment["moves"]) == [
        ("CHAIR", "0.5", "10.00"),
        ("MILK", "2", "4.00"),
    ]
    assert (on_hand(chair), on_hand(milk)) == (Decimal("9.5"), Decimal("6"))
    lots = otto.get("/lots", {"product_id": milk.pk}).json()
    assert [lot["name"] for lot in lots["items"]] == ["L1", "L2"]
    scanned = otto.get("/scan", {"code": "L2"}).json()
    assert (scanned["kind"], scanned["product"]["sku"], scanned["total"]) == ("lot", "MILK", "2")
    assert [(row["location"], row["quantity"]) for row in scanned["stock"]] == [("WH/Stock", "2")]


def test_bad_count_input_is_a_problem_and_writes_nothing(
    otto: Api, make_product: Any, receive: Any, warehouse: Any, api_as: Any, make_user: Any
) -> None:
    chair = make_product("CHAIR", cost="20")
    receive((chair, "10", "20"))
    count = otto.post("/counts", {"location_id": warehouse.stock_location.pk}).json()
    line = count["lines"][0]["id"]
    seller = api_as(make_user("sales"))
    with nothing_changed():
        assert_problem(otto.patch(f"/counts/{count['id']}/lines/{line}", {"counted_quantity": "-2"}), 422)
        assert_problem(
            otto.patch(f"/counts/{count['id']}/lines/{line}", {"counted_quantity": "1.23456"}), 422
        )
        assert_problem(otto.patch(f"/counts/{count['id']}/lines/999999", {"counted_quantity": "1"}), 404)
        assert_problem(otto.post("/counts", {"location_id": 999999}), 422, "count-invalid")
        assert_problem(
            otto.post("/counts", {"location_id": warehouse.stock_location.pk, "product_ids": []}), 422
        )
        assert_problem(
            otto.post(f"/counts/{count['id']}/lines", {"product_id": chair.pk, "counted_quantity": "1"}),
            422,
            "count-invalid",
        )
        assert_problem(otto.post(f"/counts/{count['id']}/apply", {"version": 5}), 409)
        assert_problem(seller.post(f"/counts/{count['id']}/apply", {}), 403)
        assert_problem(otto.get("/scan"), 422)
    cancelled = otto.post(f"/counts/{count['id']}/cancel", {"version": 1}).json()
    assert cancelled["state"] == "cancelled"
    with nothing_changed():
        assert_problem(otto.post(f"/counts/{count['id']}/apply", {}), 409, "count-state")
    assert InventoryCount.objects.get().state == "cancelled"
    assert on_hand(chair) == Decimal("10")
