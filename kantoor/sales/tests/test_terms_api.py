"""The customer terms and sales targets endpoints: read and set through the API,
Idempotency-Key replays, permissions, refused input that writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.core.models import AuditEntry
from kantoor.core.services import team_create
from kantoor.core.tests.api_support import API, Api, anonymous_api, api_as, assert_problem
from kantoor.finance.models import PaymentTerm
from kantoor.inventory import services as inventory
from kantoor.parties.services import party_create
from kantoor.sales.models import CustomerTerms, SalesOrder, SalesTarget

__all__ = ["anonymous_api", "api_as"]

pytestmark = pytest.mark.django_db


def put(api: Api, path: str, body: Any, key: str | None = None) -> Any:
    return api.client.put(
        API + path, json.dumps(body), content_type="application/json", headers=api._headers(None, key)
    )


def delete(api: Api, path: str) -> Any:
    return api.client.delete(API + path, headers=api._headers(None, None))


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("sales_manager", username="noor")


@pytest.fixture
def customer(admin_user: Any) -> Any:
    return party_create(actor=admin_user, kind="organisation", name="Klant B.V.", roles=["customer"])


def test_terms_through_the_api(
    api_as: Callable[..., Api], manager: Any, salesperson: Any, customer: Any, company: Any, make_user: Any
) -> None:
    term = PaymentTerm.objects.create(company=company, name="Net 45")
    path = f"/customers/{customer.pk}/sales-terms"
    empty = api_as(salesperson).get(path)
    assert empty.status_code == 200, empty.content
    assert empty.json() == {
        "party_id": customer.pk,
        "credit_limit": None,
        "price_list_id": None,
        "payment_term_id": None,
        "invoicing_policy": "",
        "version": None,
        "exposure": "0.00",
        "currency": "EUR",
    }
    body = {"credit_limit": "2500", "payment_term_id": term.pk, "invoicing_policy": "order"}
    created = put(api_as(manager), path, body, key="terms-1")
    assert created.status_code == 200, created.content
    assert created.json() == {
        "party_id": customer.pk,
        "credit_limit": "2500.00",
        "price_list_id": None,
        "payment_term_id": term.pk,
        "invoicing_policy": "order",
        "version": 1,
        "exposure": "0.00",
        "currency": "EUR",
    }
    # a confirmed order not invoiced yet shows in the exposure
    warehouse = inventory.warehouse_create(actor=make_user("operations"), code="WH", name="Main")
    SalesOrder.objects.create(
        company=company,
        number="SO1",
        customer=customer,
        state="confirmed",
        order_date=timezone.localdate(),
        currency="EUR",
        warehouse=warehouse,
        amount_total=Decimal("121.50"),
    )
    assert api_as(salesperson).get(path).json()["exposure"] == "121.50"
    # the whole terms are replaced: what is left out is cleared
    changed = put(api_as(manager), path, {"credit_limit": "3000", "version": 1})
    assert (changed.json()["credit_limit"], changed.json()["payment_term_id"], changed.json()["version"]) == (
        "3000.00",
        None,
        2,
    )
    assert_problem(put(api_as(manager), path, {"credit_limit": "1", "version": 1}), 409)
    assert CustomerTerms.objects.get().credit_limit == Decimal("3000.00")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"credit_limit": "-5"}, 422),
        ({"credit_limit": 5}, 422),
        ({"credit_limit": "1.234"}, 422),
        ({"invoicing_policy": "weekly"}, 422),
        ({"payment_term_id": 999999}, 422),
        ({"unknown": 1}, 422),
    ],
)
def test_bad_terms_write_nothing(
    api_as: Callable[..., Api], manager: Any, customer: Any, body: dict[str, Any], status: int
) -> None:
    response = put(api_as(manager), f"/customers/{customer.pk}/sales-terms", body)
    assert_problem(response, status)
    assert not CustomerTerms.objects.exists()


def test_terms_permissions(
    api_as: Callable[..., Api],
    anonymous_api: Api,
    salesperson: Any,
    outsider: Any,
    nobody: Any,
    customer: Any,
) -> None:
    path = f"/customers/{customer.pk}/sales-terms"
    assert_problem(put(api_as(salesperson), path, {"credit_limit": "1"}), 403)
    assert_problem(put(api_as(outsider), path, {"credit_limit": "1"}), 404)
    assert_problem(api_as(outsider).get(path), 404)
    assert_problem(api_as(nobody).get(path), 403)
    assert anonymous_api.get(path).status_code == 401
    assert_problem(api_as(salesperson).get("/customers/999999/sales-terms"), 404)
    assert not CustomerTerms.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="sales.terms").exists()


def test_targets_through_the_api(
    api_as: Callable[..., Api], manager: Any, make_user: Callable[..., Any], admin_user: Any
) -> None:
    team = team_create(actor=admin_user, name="Zuid")
    rep = make_user("sales", team=team, username="sam")
    other = make_user("sales", username="olga")
    month = timezone.localdate().replace(day=1)
    made = put(
        api_as(manager),
        "/sales-targets",
        {"user_id": rep.pk, "month": str(month), "amount": "5000"},
        key="t1",
    )
    assert made.status_code == 200, made.content
    assert made.json() == {
        "id": made.json()["id"],
        "user_id": rep.pk,
        "team_id": None,
        "month": str(month),
        "amount": "5000.00",
    }
    again = put(
        api_as(manager),
        "/sales-targets",
        {"user_id": rep.pk, "month": str(month), "amount": "5000"},
        key="t1",
    )
    assert again.json() == made.json()
    put(api_as(manager), "/sales-targets", {"team_id": team.pk, "month": str(month), "amount": "20000"})
    put(api_as(manager), "/sales-targets", {"user_id": other.pk, "month": str(month), "amount": "1"})

    mine = api_as(rep).get("/sales-targets")
    assert mine.status_code == 200
    rows = [
        (row["user_name"], row["team_name"], row["amount"], row["achieved"], row["percentage"])
        for row in mine.json()
    ]
    assert rows == [
        (rep.get_full_name(), "", "5000.00", "0.00", "0"),
        ("", "Zuid", "20000.00", "0.00", "0"),
    ]
    assert (
        len(api_as(manager).get("/sales-targets", {"month": str(month + dt.timedelta(days=3))}).json()) == 3
    )
    assert api_as(manager).get("/sales-targets", {"month": "2000-01-01"}).json() == []

    assert_problem(
        put(api_as(rep), "/sales-targets", {"user_id": rep.pk, "month": str(month), "amount": "1"}), 403
    )
    assert_problem(put(api_as(manager), "/sales-targets", {"month": str(month), "amount": "1"}), 422)
    assert_problem(
        put(api_as(manager), "/sales-targets", {"user_id": rep.pk, "month": str(month), "amount": "-1"}), 422
    )
    target_id = made.json()["id"]
    assert_problem(delete(api_as(rep), f"/sales-targets/{target_id}"), 403)
    assert delete(api_as(manager), f"/sales-targets/{target_id}").status_code == 204
    assert_problem(delete(api_as(manager), f"/sales-targets/{target_id}"), 404)
    assert SalesTarget.objects.count() == 2


def test_read_query_budgets(
    api_as: Callable[..., Api],
    manager: Any,
    customer: Any,
    make_user: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    month = timezone.localdate().replace(day=1)
    for n in range(4):
        rep = make_user("sales", username=f"rep{n}")
        put(api_as(manager), "/sales-targets", {"user_id": rep.pk, "month": str(month), "amount": "100"})
    put(api_as(manager), f"/customers/{customer.pk}/sales-terms", {"credit_limit": "10"})
    api = api_as(manager)
    api.get("/sales-targets")
    with django_assert_max_num_queries(5):
        assert len(api.get("/sales-targets").json()) == 4
    with django_assert_max_num_queries(7):
        assert api.get(f"/customers/{customer.pk}/sales-terms").json()["credit_limit"] == "10.00"
