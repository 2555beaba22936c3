"""The sales order endpoints: a quotation's life through the API (create, send, confirm),
Idempotency-Key replays, another company's orders, stale versions, bad input as
problem+json, and refusals that write nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pypdf import PdfReader
from schemathesis.checks import not_a_server_error

from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.core.services import api_token_create
from kantoor.core.tests.api_support import anonymous_api, api_as, assert_problem
from kantoor.finance.tests.test_api_ledger_fuzz import _keep_test_connection
from kantoor.inventory.models import Transfer
from kantoor.sales.models import QuoteRevision, SalesOrder, SalesOrderLine
from kantoor.sales.tests.quote_support import (
    books,
    customer,
    pieces,
    products,
    quote_make,
    rep,
    sales_manager,
    v21,
    warehouse,
)
from kantoor.wsgi import application

__all__ = [
    "_keep_test_connection",
    "anonymous_api",
    "api_as",
    "books",
    "customer",
    "pieces",
    "products",
    "quote_make",
    "rep",
    "sales_manager",
    "v21",
    "warehouse",
]

fuzz_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"^/api/v1/(sales-orders(/\{order_id\}(/(send|mark-sent|approve-discount|confirm|cancel|invoice|revisions|pdf))?)?|quotes/.*)$"
)


@contextmanager
def nothing_written() -> Iterator[None]:
    """No order, line, version, delivery, audit row or event was added or changed."""

    def state() -> Any:
        return (
            list(SalesOrder.objects.order_by("pk").values()),
            list(SalesOrderLine.objects.order_by("pk").values()),
            QuoteRevision.objects.count(),
            Transfer.objects.count(),
            AuditEntry.objects.count(),
            OutboxEvent.objects.count(),
        )

    before = state()
    yield
    assert state() == before


@pytest.fixture
def payload(customer: Any, warehouse: Any, products: Any, v21: Any) -> dict[str, Any]:
    return {
        "customer_id": customer.pk,
        "warehouse_id": warehouse.pk,
        "valid_until": "2099-12-31",
        "lines": [
            {"product_id": products["desk"].pk, "quantity": "3", "discount": "10", "tax_id": v21.pk},
            {"product_id": products["lamp"].pk, "quantity": "1", "is_optional": True},
        ],
    }


def test_a_quotation_through_the_api(api_as: Any, sales_manager: Any, payload: dict[str, Any]) -> None:
    api = api_as(sales_manager)
    created = api.post("/sales-orders", payload, key="so-1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["state"], body["amount_untaxed"], body["amount_total"], body["amount_margin"]) == (
        "draft",
        "270.00",
        "326.70",
        "90.00",
    )
    desk, lamp = body["lines"]
    assert (desk["unit_price"], desk["discount"], desk["delivered"], desk["invoiced"]) == (
        "100",
        "10",
        "0",
        "0",
    )
    assert (lamp["is_optional"], lamp["amount_untaxed"]) == (True, "25.00")
    # a replay with the same key answers the same and creates nothing
    replay = api.post("/sales-orders", payload, key="so-1")
    assert replay.json() == body
    assert SalesOrder.objects.count() == 1
    order_id = body["id"]

    sent = api.post(f"/sales-orders/{order_id}/send", {"version": body["version"]}, key="so-send")
    assert sent.status_code == 202, sent.content
    assert sent.json()["state"] == "sent"
    (event,) = OutboxEvent.objects.filter(name="sales.QuoteSent")
    assert event.payload["to"] == ["inkoop@visser.example"]

    confirmed = api.post(f"/sales-orders/{order_id}/confirm", {"version": sent.json()["version"]})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["state"] == "confirmed"
    assert confirmed.json()["confirmed_at"] is not None

    listed = api.get("/sales-orders", {"state": "confirmed", "with_count": "true"}).json()
    assert [row["number"] for row in listed["items"]] == [body["number"]]
    assert listed["count"] == 1
    assert api.get("/sales-orders", {"state": "draft"}).json()["items"] == []


def test_the_list_filters_by_customer_and_salesperson_and_pages(
    api_as: Any, rep: Any, quote_make: Any, customer: Any
) -> None:
    first, second, third = quote_make(), quote_make(), quote_make()
    api = api_as(rep)
    page = api.get("/sales-orders", {"limit": 2, "customer_id": customer.pk}).json()
    assert [row["id"] for row in page["items"]] == [third.pk, second.pk]
    rest = api.get("/sales-orders", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [row["id"] for row in rest["items"]] == [first.pk]
    assert rest["next_cursor"] is None
    assert api.get("/sales-orders", {"salesperson_id": rep.pk + 1000}).json()["items"] == []
    assert api.get("/sales-orders", {"customer_id": customer.pk + 1000}).json()["items"] == []


def test_mark_sent_publishes_no_recipients(api_as: Any, rep: Any, quote_make: Any) -> None:
    order = quote_make()
    response = api_as(rep).post(f"/sales-orders/{order.pk}/mark-sent", {"version": order.version})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "sent"
    (event,) = OutboxEvent.objects.filter(name="sales.QuoteSent")
    assert event.payload["to"] == []


def test_a_stale_version_is_refused_with_409(api_as: Any, rep: Any, quote_make: Any) -> None:
    order = quote_make()
    api = api_as(rep)
    fresh = api.patch(f"/sales-orders/{order.pk}", {"version": order.version, "notes": "Week 12"})
    assert fresh.status_code == 200, fresh.content
    assert fresh.json()["notes"] == "Week 12"
    with nothing_written():
        stale = api.patch(f"/sales-orders/{order.pk}", {"version": order.version, "notes": "Week 13"})
        assert_problem(stale, 409)
        assert_problem(api.post(f"/sales-orders/{order.pk}/confirm", {"version": order.version}), 409)


def test_bad_input_is_a_422_problem_naming_the_fields(
    api_as: Any, rep: Any, payload: dict[str, Any], products: Any
) -> None:
    api = api_as(rep)
    with nothing_written():
        unknown = assert_problem(api.post("/sales-orders", dict(payload, colour="red")), 422)
        negative = dict(payload, lines=[{"product_id": products["desk"].pk, "quantity": "-3"}])
        shape = assert_problem(api.post("/sales-orders", negative), 422)
    assert [error["field"] for error in unknown["errors"]] == ["colour"]
    assert [error["field"] for error in shape["errors"]] == ["lines[0].quantity"]
    with nothing_written():
        assert_problem(api.post("/sales-orders", dict(payload, customer_id=10**9)), 422)


def test_sending_without_an_address_is_refused(api_as: Any, rep: Any, quote_make: Any, customer: Any) -> None:
    customer.contact_points.all().delete()
    order = quote_make()
    api = api_as(rep)
    with nothing_written():
        body = assert_problem(api.post(f"/sales-orders/{order.pk}/send", {}), 422)
    assert body["errors"][0]["field"] == "to"


def test_another_companys_order_is_not_found(
    api_as: Any, outsider: Any, quote_make: Any, payload: dict[str, Any]
) -> None:
    order = quote_make()
    api = api_as(outsider)
    assert_problem(api.get(f"/sales-orders/{order.pk}"), 404)
    assert_problem(api.get(f"/sales-orders/{order.pk}/pdf"), 404)
    assert_problem(api.get(f"/sales-orders/{order.pk}/revisions"), 404)
    with nothing_written():
        assert_problem(api.post(f"/sales-orders/{order.pk}/confirm", {}), 404)
        assert_problem(api.post(f"/sales-orders/{order.pk}/send", {}), 404)
        assert_problem(api.patch(f"/sales-orders/{order.pk}", {"version": 1, "notes": "x"}), 404)
    assert api.get("/sales-orders").json()["items"] == []


def test_anonymous_callers_are_refused(anonymous_api: Any, quote_make: Any) -> None:
    order = quote_make()
    assert_problem(anonymous_api.get(f"/sales-orders/{order.pk}"), 401)


def test_the_pdf_and_the_versions(api_as: Any, rep: Any, quote_make: Any) -> None:
    order = quote_make(sent=True)
    api = api_as(rep)
    changed = api.patch(f"/sales-orders/{order.pk}", {"version": order.version, "notes": "Week 12"})
    assert changed.json()["revision"] == 2
    (revision,) = api.get(f"/sales-orders/{order.pk}/revisions").json()
    assert revision["revision"] == 1
    assert revision["snapshot"]["amount_total"] == "326.70"
    response = api.get(f"/sales-orders/{order.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{order.number}-v2.pdf"'
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert order.number in text
    assert "€326.70" in text


def test_a_discount_above_the_allowance_waits_for_a_manager(
    api_as: Any, rep: Any, sales_manager: Any, payload: dict[str, Any]
) -> None:
    payload["lines"][0]["discount"] = "25"
    api = api_as(rep)
    created = api.post("/sales-orders", payload)
    assert created.status_code == 201, created.content
    order = created.json()
    with nothing_written():
        assert_problem(api.post(f"/sales-orders/{order['id']}/send", {}), 403)
        assert_problem(api.post(f"/sales-orders/{order['id']}/approve-discount", {}), 403)
    approved = api_as(sales_manager).post(f"/sales-orders/{order['id']}/approve-discount", {})
    assert approved.status_code == 200, approved.content
    assert approved.json()["discount_approved_by_id"] == sales_manager.pk
    assert api.post(f"/sales-orders/{order['id']}/send", {}).status_code == 202


def test_cancel(api_as: Any, rep: Any, quote_make: Any) -> None:
    order = quote_make()
    api = api_as(rep)
    response = api.post(f"/sales-orders/{order.pk}/cancel", {"version": order.version})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    with nothing_written():
        assert_problem(api.post(f"/sales-orders/{order.pk}/cancel", {}), 409)


def test_an_order_invoiced_on_order_shows_what_is_invoiced(
    api_as: Any, sales_manager: Any, make_user: Any, payload: dict[str, Any]
) -> None:
    api = api_as(sales_manager)
    created = api.post("/sales-orders", dict(payload, invoicing_policy="order")).json()
    confirmed = api.post(f"/sales-orders/{created['id']}/confirm", {})
    assert confirmed.status_code == 200, confirmed.content
    finance = api_as(make_user("finance", username="fenna"))
    invoice = finance.post(f"/sales-orders/{created['id']}/invoice")
    assert invoice.status_code == 201, invoice.content
    assert (invoice.json()["state"], invoice.json()["amount_total"]) == ("draft", "326.70")
    desk, lamp = finance.get(f"/sales-orders/{created['id']}").json()["lines"]
    assert (desk["invoiced"], desk["delivered"]) == ("3", "0")
    assert lamp["invoiced"] == "0"
    with nothing_written():
        assert_problem(finance.post(f"/sales-orders/{created['id']}/invoice"), 409)


def test_the_list_and_one_order_cost_a_bounded_number_of_queries(
    api_as: Any, rep: Any, quote_make: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        quote_make()
    api = api_as(rep)
    api.get("/sales-orders")  # the token's first use is recorded once
    with django_assert_max_num_queries(4):
        assert len(api.get("/sales-orders").json()["items"]) == 5
    order = SalesOrder.objects.first()
    assert order is not None
    with django_assert_max_num_queries(14):
        assert api.get(f"/sales-orders/{order.pk}").status_code == 200


def test_the_customer_answers_through_the_public_endpoints(anonymous_api: Any, quote_make: Any) -> None:
    from kantoor.sales import quotes

    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    shown = anonymous_api.get(f"/quotes/{token}")
    assert shown.status_code == 200, shown.content
    body = shown.json()
    assert (body["number"], body["amount_total"], len(body["lines"])) == (order.number, "326.70", 2)
    assert "amount_margin" not in body
    assert "unit_cost" not in body["lines"][0]
    with nothing_written():
        assert_problem(anonymous_api.post(f"/quotes/{token}/accept", {"name": " "}), 422)
        assert_problem(anonymous_api.get(f"/quotes/{token[:-2]}xx"), 404, "sales-quote-link")
    accepted = anonymous_api.post(f"/quotes/{token}/accept", {"name": "Jan Visser"})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["answered_by_name"] == "Jan Visser"
    with nothing_written():
        assert_problem(anonymous_api.post(f"/quotes/{token}/decline", {"name": "Jan"}), 409)


@pytest.fixture
def fuzz_rep(rep: Any, quote_make: Any) -> Any:
    quote_make()
    quote_make(sent=True)
    return rep


@fuzz_schema.parametrize()
@settings(
    max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@pytest.mark.usefixtures("_keep_test_connection")
def test_no_input_makes_the_sales_order_api_fail(case: Any, fuzz_rep: Any) -> None:
    _token, key = api_token_create(actor=fuzz_rep, name="fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])


def test_the_documented_states_are_the_orders_states() -> None:
    from typing import get_args

    from kantoor.sales.models import OrderState
    from kantoor.sales.schemas import SalesOrderState

    assert list(get_args(SalesOrderState)) == list(OrderState.values)
