"""The purchasing endpoints: the order's life through the API, Idempotency-Key replays,
permissions, and refused input that writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.core.tests.api_support import assert_problem
from kantoor.finance.models import Invoice
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Transfer
from kantoor.purchasing.models import PurchaseBillLine, PurchaseOrder, PurchaseOrderLine


@contextmanager
def nothing_written() -> Iterator[None]:
    """No order, line, bill link, receipt, audit row or event was added or changed."""

    def state() -> Any:
        return (
            list(PurchaseOrder.objects.order_by("pk").values()),
            list(PurchaseOrderLine.objects.order_by("pk").values()),
            PurchaseBillLine.objects.count(),
            list(Transfer.objects.order_by("pk").values("pk", "state")),
            Invoice.objects.count(),
            AuditEntry.objects.count(),
            OutboxEvent.objects.count(),
        )

    before = state()
    yield
    assert state() == before


@pytest.fixture
def payload(supplier: Any, warehouse: Any, widget: Any) -> dict[str, Any]:
    return {
        "supplier_id": supplier.pk,
        "warehouse_id": warehouse.pk,
        "lines": [{"product_id": widget.pk, "quantity": "10"}],
    }


def test_an_order_through_the_api(api_as: Any, buyer: Any, accountant: Any, payload: dict[str, Any]) -> None:
    api = api_as(buyer)
    created = api.post("/purchase-orders", payload, key="po-1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["state"], body["amount_total"], body["lines"][0]["unit_price"], body["lines"][0]["uom"]) == (
        "draft",
        "40.00",
        "4",
        "pc",
    )
    # a replay with the same key answers the same and creates nothing
    again = api.post("/purchase-orders", payload, key="po-1")
    assert (again.status_code, again.json()["id"]) == (201, body["id"])
    assert PurchaseOrder.objects.count() == 1

    order_id = body["id"]
    changed = api.patch(f"/purchase-orders/{order_id}", {"version": 1, "notes": "Deliver before noon"})
    assert (changed.status_code, changed.json()["version"]) == (200, 2)
    stale = api.patch(f"/purchase-orders/{order_id}", {"version": 1, "notes": "late"})
    assert_problem(stale, 409)

    confirmed = api.post(f"/purchase-orders/{order_id}/confirm", {"version": 2})
    assert (confirmed.status_code, confirmed.json()["state"]) == (200, "confirmed")
    receipt = Transfer.objects.get(origin=body["number"])
    inventory.transfer_validate(actor=buyer, transfer_id=receipt.pk)

    match = api.get(f"/purchase-orders/{order_id}/match")
    assert match.status_code == 200
    assert match.json() == [
        {
            "line_id": body["lines"][0]["id"],
            "product_sku": "WID",
            "ordered": "10",
            "received": "10",
            "billed": "0",
            "refunded": "0",
            "to_bill": "10",
            "order_price": "4",
            "bill_prices": [],
            "billed_more_than_received": False,
            "price_differs": False,
            "over_delivered": False,
            "under_delivered": False,
        }
    ]
    # operations may not bill; finance does
    assert_problem(api.post(f"/purchase-orders/{order_id}/bill", {}), 403)
    bill = api_as(accountant).post(f"/purchase-orders/{order_id}/bill", {}, key="bill-1")
    assert bill.status_code == 201, bill.content
    assert (bill.json()["state"], bill.json()["amount_total"]) == ("draft", "40.00")
    assert_problem(api_as(accountant).post(f"/purchase-orders/{order_id}/bill", {}), 409)

    listed = api_as(accountant).get("/purchase-orders", {"state": "confirmed"})
    assert [row["id"] for row in listed.json()["items"]] == [order_id]

    pdf = api.get(f"/purchase-orders/{order_id}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="{body["number"]}.pdf"'


@pytest.mark.parametrize(
    "change",
    [
        {"lines": []},
        {"lines": [{"product_id": 0, "quantity": "1"}]},
        {"lines": [{"product_id": 999999, "quantity": "1"}]},
        {"lines": [{"quantity": "1"}]},
        {"lines": [{"product_id": 1, "quantity": "-1"}]},
        {"lines": [{"product_id": 1, "quantity": 1.5}]},
        {"supplier_id": 999999},
        {"warehouse_id": "AMS"},
        {"currency": "EURO"},
        {"unknown": True},
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    api_as: Any, buyer: Any, payload: dict[str, Any], change: dict[str, Any]
) -> None:
    api = api_as(buyer)
    with nothing_written():
        response = api.post("/purchase-orders", {**payload, **change})
    assert response.status_code in (400, 422), response.content
    assert_problem(response, response.status_code)


def test_cancel_through_the_api_cancels_the_receipt(api_as: Any, buyer: Any, rfq: Any) -> None:
    order = rfq()
    api = api_as(buyer)
    api.post(f"/purchase-orders/{order.pk}/confirm", {})
    cancelled = api.post(f"/purchase-orders/{order.pk}/cancel", {})
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")
    assert Transfer.objects.get(origin=order.number).state == "cancelled"
    with nothing_written():
        assert_problem(api.post(f"/purchase-orders/{order.pk}/confirm", {}), 409)


def test_send_without_an_address_is_refused(api_as: Any, buyer: Any, other_supplier: Any, rfq: Any) -> None:
    order = rfq(supplier_id=other_supplier.pk)
    api = api_as(buyer)
    with nothing_written():
        response = api.post(f"/purchase-orders/{order.pk}/send", {})
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "to"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("operations", 200, 201),
        ("finance", 200, 403),
        ("management", 200, 403),
        ("sales", 404, 403),
        ("", 404, 403),
    ],
)
def test_who_reads_and_writes(
    api_as: Any, make_user: Any, rfq: Any, payload: dict[str, Any], role: str, read: int, write: int
) -> None:
    order = rfq()
    api = api_as(make_user(*([role] if role else [])))
    assert api.get(f"/purchase-orders/{order.pk}").status_code == read
    assert api.post("/purchase-orders", payload).status_code == write


def test_another_companys_order_is_not_found(api_as: Any, outsider: Any, rfq: Any) -> None:
    order = rfq()
    api = api_as(outsider)
    assert_problem(api.get(f"/purchase-orders/{order.pk}"), 404)
    with nothing_written():
        assert_problem(api.post(f"/purchase-orders/{order.pk}/confirm", {}), 404)
    assert api.get("/purchase-orders").json()["items"] == []


def test_anonymous_is_refused(anonymous_api: Any, rfq: Any) -> None:
    order = rfq()
    assert anonymous_api.get(f"/purchase-orders/{order.pk}").status_code == 401


def test_the_list_keeps_to_a_query_budget(
    api_as: Any, buyer: Any, rfq: Any, widget: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        rfq((widget, str(n + 1)))
    api = api_as(buyer)
    api.get("/purchase-orders")
    with django_assert_max_num_queries(8):
        response = api.get("/purchase-orders")
    assert len(response.json()["items"]) == 10
