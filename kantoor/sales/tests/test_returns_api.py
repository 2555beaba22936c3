"""The return endpoints: request, approve and cancel through the API, the list and the
returnable lines, Idempotency-Key replays, permissions, refused input that writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kantoor.core.outbox import run_pending_events
from kantoor.core.tests.api_support import Api, anonymous_api, api_as, assert_problem
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Transfer
from kantoor.sales.models import ReturnAuthorisation, SalesOrder, SalesOrderLine
from kantoor.sales.tests.quote_support import books, customer, pieces, products, quote_make, v21, warehouse
from kantoor.sales.tests.test_returns import _subscribed, delivered, rep

__all__ = [
    "_subscribed",
    "anonymous_api",
    "api_as",
    "books",
    "customer",
    "delivered",
    "pieces",
    "products",
    "quote_make",
    "rep",
    "v21",
    "warehouse",
]

pytestmark = pytest.mark.django_db


def test_a_return_through_the_api(api_as: Callable[..., Api], rep: Any, delivered: SalesOrder) -> None:
    api = api_as(rep)
    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    returnable = api.get(f"/sales-orders/{delivered.pk}/returnable")
    assert returnable.status_code == 200, returnable.content
    assert returnable.json() == [
        {
            "order_line_id": line.pk,
            "product_sku": "DESK",
            "description": "Standing desk",
            "uom": "pc",
            "delivered": "3",
            "pending": "0",
            "returnable": "3",
        }
    ]
    body = {
        "order_id": delivered.pk,
        "reason": "Wrong colour",
        "lines": [{"order_line_id": line.pk, "quantity": "2"}],
    }
    created = api.post("/sales-returns", body, key="rma-1")
    assert created.status_code == 201, created.content
    rma = created.json()
    assert rma == {
        "id": rma["id"],
        "number": rma["number"],
        "order_id": delivered.pk,
        "order_number": delivered.number,
        "customer_id": delivered.customer_id,
        "state": "draft",
        "reason": "Wrong colour",
        "receipt_id": None,
        "receipt_number": None,
        "credit_note_id": None,
        "created_at": rma["created_at"],
        "version": 1,
        "lines": [
            {
                "order_line_id": line.pk,
                "product_sku": "DESK",
                "description": "Standing desk",
                "quantity": "2",
                "uom": "pc",
            }
        ],
    }
    assert rma["number"].startswith("RMA-")
    again = api.post("/sales-returns", body, key="rma-1")
    assert (again.status_code, again.json()["id"]) == (201, rma["id"])
    assert ReturnAuthorisation.objects.count() == 1
    assert api.get(f"/sales-orders/{delivered.pk}/returnable").json()[0]["returnable"] == "1"

    assert_problem(api.post(f"/sales-returns/{rma['id']}/approve", {"version": 9}), 409)
    approved = api.post(f"/sales-returns/{rma['id']}/approve", {"version": 1})
    assert approved.status_code == 200, approved.content
    receipt = Transfer.objects.get(pk=approved.json()["receipt_id"])
    assert (approved.json()["state"], approved.json()["receipt_number"], receipt.origin) == (
        "approved",
        receipt.number,
        rma["number"],
    )
    inventory.transfer_validate(actor=rep, transfer_id=receipt.pk)
    run_pending_events()
    # the delivery's invoice is a draft: nothing to credit
    assert api.get(f"/sales-returns/{rma['id']}").json()["state"] == "received"
    assert_problem(api.post(f"/sales-returns/{rma['id']}/cancel", {}), 409)

    listed = api.get("/sales-returns", {"order_id": delivered.pk})
    assert [
        (row["number"], row["order_number"], row["customer_name"], row["state"])
        for row in listed.json()["items"]
    ] == [(rma["number"], delivered.number, delivered.customer.name, "received")]
    assert api.get("/sales-returns", {"state": "draft"}).json()["items"] == []


def test_cancel_through_the_api(api_as: Callable[..., Api], rep: Any, delivered: SalesOrder) -> None:
    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    api = api_as(rep)
    rma = api.post(
        "/sales-returns", {"order_id": delivered.pk, "lines": [{"order_line_id": line.pk, "quantity": "1"}]}
    )
    cancelled = api.post(f"/sales-returns/{rma.json()['id']}/cancel", {"version": 1})
    assert (cancelled.status_code, cancelled.json()["state"], cancelled.json()["version"]) == (
        200,
        "cancelled",
        2,
    )


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [{"order_line_id": 0, "quantity": "1"}],
        [{"order_line_id": 999999, "quantity": "1"}],
        [{"quantity": "1"}],
        [{"order_line_id": 1, "quantity": 1}],
        [{"order_line_id": 1, "quantity": "-1"}],
        [{"order_line_id": 1, "quantity": "4"}],
    ],
)
def test_bad_returns_write_nothing(
    api_as: Callable[..., Api], rep: Any, delivered: SalesOrder, lines: list[dict[str, Any]]
) -> None:
    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    lines = [{**item, "order_line_id": line.pk} if item.get("order_line_id") == 1 else item for item in lines]
    response = api_as(rep).post("/sales-returns", {"order_id": delivered.pk, "lines": lines})
    assert_problem(response, 422)
    assert not ReturnAuthorisation.objects.exists()


def test_return_permissions(
    api_as: Callable[..., Api],
    anonymous_api: Api,
    delivered: SalesOrder,
    outsider: Any,
    nobody: Any,
    make_user: Callable[..., Any],
) -> None:
    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    body = {"order_id": delivered.pk, "lines": [{"order_line_id": line.pk, "quantity": "1"}]}
    assert anonymous_api.post("/sales-returns", body).status_code == 401
    assert_problem(api_as(outsider).post("/sales-returns", body), 404)
    assert_problem(api_as(nobody).post("/sales-returns", body), 404)
    assert_problem(api_as(make_user("finance", username="frank")).post("/sales-returns", body), 403)
    assert_problem(api_as(outsider).get(f"/sales-orders/{delivered.pk}/returnable"), 404)
    assert not ReturnAuthorisation.objects.exists()
    assert api_as(outsider).get("/sales-returns").json()["items"] == []


def test_list_query_budget(
    api_as: Callable[..., Api], rep: Any, delivered: SalesOrder, django_assert_max_num_queries: Any
) -> None:
    from kantoor.sales import returns

    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    for _ in range(3):
        returns.return_create(
            actor=rep, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
        )
    api = api_as(rep)
    api.get("/sales-returns")  # the token's first use is written once
    with django_assert_max_num_queries(3):
        listed = api.get("/sales-returns")
    assert len(listed.json()["items"]) == 3
