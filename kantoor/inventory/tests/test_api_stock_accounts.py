"""The stock accounts at /api/v1/stock-accounts: the overview (as set, effective, fallback),
setting the company defaults and a category's accounts with only the sent fields changing,
an Idempotency-Key replay, bad accounts refused with nothing written, and who may read and
write. (The router is kantoor.inventory.api_configuration, mounted by kantoor.api.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from kantoor.catalog.models import ProductCategory
from kantoor.core.models import AuditEntry
from kantoor.core.tests.api_support import API, Api, anonymous_api, api_as, assert_problem
from kantoor.finance.models import Account
from kantoor.inventory.models import StockAccounts
from kantoor.inventory.tests.test_api_transfers import nothing_changed

pytestmark = pytest.mark.django_db
__all__ = ["anonymous_api", "api_as"]  # fixtures

FIELDS = ["stock_account", "received_account", "cogs_account", "difference_account", "production_account"]


def _put(api: Api, body: dict[str, Any], *, key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {api.token}"} if api.token else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.client.put(
        API + "/stock-accounts", json.dumps(body), content_type="application/json", headers=headers
    )


def _ref(books: Any, code: str) -> dict[str, Any]:
    account = Account.objects.get(company=books, code=code)
    return {"id": account.pk, "code": account.code, "name": account.name}


def _codes(row: dict[str, Any], kind: str) -> list[str | None]:
    return [row[field][kind] and row[field][kind]["code"] for field in FIELDS]


@pytest.fixture
def fiona(api_as: Callable[..., Api], accountant: Any, books: Any) -> Api:
    return api_as(accountant)


@pytest.fixture
def chair(make_product: Any) -> Any:
    return make_product("CHAIR")  # in the fixture's category "Average" (next to "FIFO")


@pytest.fixture
def accounts(books: Any) -> dict[str, Account]:
    return {
        "furniture": Account.objects.create(
            company=books, code="1210", name="Furniture stock", account_type="asset"
        ),
        "accrued": Account.objects.create(
            company=books, code="2060", name="Accrued receipts", account_type="liability"
        ),
    }


def test_the_overview_shows_each_row_as_set_effective_and_fallback(
    fiona: Api, books: Any, chair: Any
) -> None:
    response = fiona.get("/stock-accounts")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    average = ProductCategory.objects.get(name="Average")
    fifo = ProductCategory.objects.get(name="FIFO")
    assert [(row["category_id"], row["category_name"]) for row in items] == [
        (None, None),
        (average.pk, "Average"),
        (fifo.pk, "FIFO"),
    ]
    inventory = _ref(books, "1200")
    assert items[0]["stock_account"] == {
        "chosen": None,
        "effective": inventory,
        "fallback": inventory,
        "missing": "",
    }
    for row in items:
        assert _codes(row, "chosen") == [None] * 5
        assert _codes(row, "effective") == ["1200", "2050", "5000", "5100", "1250"]
        assert _codes(row, "fallback") == ["1200", "2050", "5000", "5100", "1250"]


def test_defaults_and_a_category_are_set_and_only_sent_fields_change(
    fiona: Api, books: Any, chair: Any, accounts: dict[str, Account]
) -> None:
    # the company's goods received not invoiced goes to 2060
    response = _put(fiona, {"received_account_id": accounts["accrued"].pk})
    assert response.status_code == 200, response.content
    row = response.json()
    assert row["category_id"] is None
    assert _codes(row, "chosen") == [None, "2060", None, None, None]
    assert _codes(row, "effective") == ["1200", "2060", "5000", "5100", "1250"]
    assert row["received_account"]["fallback"] == _ref(books, "2050")

    # the chairs' category keeps its stock on 1210 and takes 2060 from the company
    body = {"category_id": chair.category_id, "stock_account_id": accounts["furniture"].pk}
    row = _put(fiona, body).json()
    assert row["category_id"] == chair.category_id
    assert row["category_name"] == "Average"
    assert _codes(row, "chosen") == ["1210", None, None, None, None]
    assert _codes(row, "effective") == ["1210", "2060", "5000", "5100", "1250"]
    assert _codes(row, "fallback") == ["1200", "2060", "5000", "5100", "1250"]

    # a second call with only the cost of sales leaves the stock account as it is
    five = Account.objects.get(company=books, code="5100")
    row = _put(fiona, {"category_id": chair.category_id, "cogs_account_id": five.pk}).json()
    assert _codes(row, "chosen") == ["1210", None, "5100", None, None]

    # null makes a field fall back again
    row = _put(fiona, {"category_id": chair.category_id, "stock_account_id": None}).json()
    assert _codes(row, "chosen") == [None, None, "5100", None, None]
    assert _codes(row, "effective") == ["1200", "2060", "5100", "5100", "1250"]

    stored = StockAccounts.objects.get(company=books, category_id=chair.category_id)
    assert (stored.stock_account_id, stored.cogs_account_id) == (None, five.pk)
    items = fiona.get("/stock-accounts").json()["items"]
    assert _codes(items[1], "effective") == ["1200", "2060", "5100", "5100", "1250"]
    assert _codes(items[2], "effective") == ["1200", "2060", "5000", "5100", "1250"]


def test_a_replay_with_the_same_key_answers_the_first_response_and_writes_once(
    fiona: Api, books: Any, chair: Any, accounts: dict[str, Account]
) -> None:
    body = {"category_id": chair.category_id, "stock_account_id": accounts["furniture"].pk}
    first = _put(fiona, body, key="stock-accounts-1")
    assert first.status_code == 200, first.content
    with nothing_changed():
        again = _put(fiona, body, key="stock-accounts-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert AuditEntry.objects.filter(action="inventory.stock_accounts_set").count() == 1


def test_bad_accounts_and_categories_are_refused_and_nothing_is_written(
    fiona: Api, books: Any, chair: Any, other_company: Any
) -> None:
    liability = Account.objects.get(company=books, code="2050")
    elsewhere = ProductCategory.objects.create(company=other_company, name="Elsewhere")
    archived = Account.objects.create(
        company=books, code="1290", name="Old stock", account_type="asset", is_active=False
    )
    cases = [
        (
            {"stock_account_id": liability.pk},
            "stock_account_id",
            "Stock is an asset: choose an asset account.",
        ),
        ({"cogs_account_id": archived.pk}, "cogs_account_id", "No such active account."),
        (
            {"category_id": elsewhere.pk, "cogs_account_id": liability.pk},
            "category_id",
            "Unknown product category.",
        ),
    ]
    for body, field, message in cases:
        with nothing_changed():
            problem = assert_problem(_put(fiona, body), 422, "stock-accounts-missing")
        assert [(error["field"], error["message"]) for error in problem["errors"]] == [(field, message)]
    with nothing_changed():
        assert_problem(_put(fiona, {"stock_account": liability.pk}), 422)  # unknown field
        assert_problem(_put(fiona, {"stock_account_id": 0}), 422)
    assert StockAccounts.objects.count() == 0


def test_finance_writes_management_reads_operations_and_strangers_neither(
    api_as: Callable[..., Api],
    anonymous_api: Api,
    books: Any,
    storekeeper: Any,
    make_user: Any,
    accounts: dict[str, Account],
) -> None:
    manager = api_as(make_user("management"))
    otto = api_as(storekeeper)
    body = {"stock_account_id": accounts["furniture"].pk}
    assert manager.get("/stock-accounts").status_code == 200
    assert_problem(otto.get("/stock-accounts"), 403)
    assert_problem(anonymous_api.get("/stock-accounts"), 401)
    for api, status in ((manager, 403), (otto, 403), (anonymous_api, 401)):
        with nothing_changed():
            assert_problem(_put(api, body), status)
    assert StockAccounts.objects.count() == 0
