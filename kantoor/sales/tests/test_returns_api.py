"""The return endpoints: request, approve and cancel through the API, the list and the
returnable lines, Idempotency-Key replays, permissions, refused input that writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kantoor.core.outbox import run_pending_events
from kantoor.core.services import api_token_create
from kantoor.core.tests.api_support import Api, anonymous_api, api_as, assert_problem
from kantoor.finance.tests.test_api_ledger_fuzz import _keep_test_connection
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Transfer
from kantoor.sales.models import ReturnAuthorisation, SalesOrder, SalesOrderLine
from kantoor.sales.tests.quote_support import books, customer, pieces, products, quote_make, v21, warehouse
from kantoor.sales.tests.test_returns import _subscribed, delivered, rep
from kantoor.wsgi import application

__all__ = [
    "_keep_test_connection",
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

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"^/api/v1/(sales-returns|sales-targets|customers/\{party_id\}/sales-terms"
    r"|sales-orders/\{order_id\}/returnable)"
)


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


@pytest.fixture
def fuzz_manager(make_user: Callable[..., Any], delivered: SalesOrder) -> Any:
    """A sales manager who may approve (operations too), with a delivered order and an RMA."""
    user = make_user("sales_manager", "operations", username="fuzzy")
    from kantoor.sales import returns

    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    returns.return_create(
        actor=user, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
    )
    return user


@schema.parametrize()
@settings(
    max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@pytest.mark.usefixtures("_keep_test_connection")
def test_no_input_makes_the_terms_targets_returns_api_fail(case: Any, fuzz_manager: Any) -> None:
    _token, key = api_token_create(actor=fuzz_manager, name="fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
