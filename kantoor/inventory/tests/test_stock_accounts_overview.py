"""The stock accounts overview: per row (company defaults, then each category) the accounts
as set, the ones stock moves book to and what an empty field falls back to — the same
accounts valuation resolves, including the lowest active code and a chart with none."""

from __future__ import annotations

from typing import Any

import pytest

from kantoor.catalog.models import ProductCategory
from kantoor.core.errors import PermissionDeniedError
from kantoor.finance.models import Account
from kantoor.inventory import configuration
from kantoor.inventory.models import Move
from kantoor.inventory.stock_accounts import StockAccountsRow, stock_accounts_overview

pytestmark = pytest.mark.django_db

GENERIC = ["1200", "2050", "5000", "5100", "1250"]  # stock, received, cogs, difference, production


def _code(account: Account | None) -> str | None:
    return None if account is None else account.code


def _table(rows: list[StockAccountsRow]) -> list[tuple[str, list[Any], list[Any], list[Any]]]:
    """(row name, chosen codes, effective codes, fallback codes) per row."""
    return [
        (
            "company" if row.category is None else row.category.name,
            [_code(slot.chosen) for slot in row.slots],
            [_code(slot.effective) for slot in row.slots],
            [_code(slot.fallback) for slot in row.slots],
        )
        for row in rows
    ]


def test_without_settings_every_row_books_to_the_role_accounts(
    accountant: Any, books: Any, make_product: Any
) -> None:
    make_product("CHAIR")  # the fixture's categories: Average and FIFO
    rows = stock_accounts_overview(accountant)
    assert [slot.field for slot in rows[0].slots] == list(configuration.FIELDS)
    assert [row.category_id for row in rows] == [
        None,
        ProductCategory.objects.get(name="Average").pk,
        ProductCategory.objects.get(name="FIFO").pk,
    ]
    none = [None] * 5
    assert _table(rows) == [
        ("company", none, GENERIC, GENERIC),
        ("Average", none, GENERIC, GENERIC),
        ("FIFO", none, GENERIC, GENERIC),
    ]
    assert {slot.missing for row in rows for slot in row.slots} == {""}


def test_a_category_takes_its_own_then_the_company_default_then_the_role(
    accountant: Any, books: Any, make_product: Any, receive: Any
) -> None:
    chair = make_product("CHAIR")
    furniture = Account.objects.create(
        company=books, code="1210", name="Furniture stock", account_type="asset"
    )
    accrued = Account.objects.create(
        company=books, code="2060", name="Accrued receipts", account_type="liability"
    )
    configuration.stock_accounts_set(actor=accountant, received_account_id=accrued.pk)
    configuration.stock_accounts_set(
        actor=accountant, category_id=chair.category_id, stock_account_id=furniture.pk
    )

    rows = stock_accounts_overview(accountant)

    assert _table(rows) == [
        (
            "company",
            [None, "2060", None, None, None],
            ["1200", "2060", "5000", "5100", "1250"],
            GENERIC,
        ),
        (
            "Average",
            ["1210", None, None, None, None],
            ["1210", "2060", "5000", "5100", "1250"],
            ["1200", "2060", "5000", "5100", "1250"],
        ),
        (
            "FIFO",
            [None] * 5,
            ["1200", "2060", "5000", "5100", "1250"],
            ["1200", "2060", "5000", "5100", "1250"],
        ),
    ]
    # and a receipt books to exactly the accounts the overview shows for the chair's category
    receipt = receive((chair, "2", "10"))
    entry = Move.objects.get(transfer=receipt).entry
    assert entry is not None
    lines = entry.lines.order_by("account__code")
    assert [line.account.code for line in lines] == ["1210", "2060"]


def test_the_lowest_active_code_with_the_role_is_the_fallback(
    accountant: Any, books: Any, make_product: Any
) -> None:
    Account.objects.create(company=books, code="1190", name="Old stock", account_type="asset", role="stock")
    Account.objects.filter(company=books, code="1190").update(is_active=False)
    Account.objects.create(company=books, code="1195", name="Shop stock", account_type="asset", role="stock")
    rows = stock_accounts_overview(accountant)
    assert [_code(slot.effective) for slot in rows[0].slots] == ["1195", "2050", "5000", "5100", "1250"]
    assert [_code(slot.fallback) for slot in rows[0].slots] == ["1195", "2050", "5000", "5100", "1250"]


def test_without_a_chart_nothing_resolves_and_the_overview_says_why(accountant: Any) -> None:
    rows = stock_accounts_overview(accountant)
    assert _table(rows) == [("company", [None] * 5, [None] * 5, [None] * 5)]
    assert [slot.missing for slot in rows[0].slots] == [
        "No account for “Stock”: add one (role stock) or set the stock accounts.",
        "No account for “Goods received not invoiced”: add one (role stock_received)"
        " or set the stock accounts.",
        "No account for “Cost of sales”: add one (role cost_of_sales) or set the stock accounts.",
        "No account for “Stock differences”: add one (role stock_difference) or set the stock accounts.",
        "No account for “Work in progress”: add one (role production) or set the stock accounts.",
    ]


def test_only_the_own_company_and_only_who_reads_the_ledger(
    accountant: Any, storekeeper: Any, books: Any, make_product: Any, make_user: Any, other_company: Any
) -> None:
    make_product("CHAIR")
    ProductCategory.objects.create(company=other_company, name="Elsewhere")
    manager = make_user("management")
    assert [row.category.name for row in stock_accounts_overview(manager) if row.category] == [
        "Average",
        "FIFO",
    ]
    with pytest.raises(PermissionDeniedError):
        stock_accounts_overview(storekeeper)
    olga = make_user("finance", in_company=other_company, username="olga")
    rows = stock_accounts_overview(olga)
    assert [(row.category_id, row.category and row.category.name) for row in rows] == [
        (None, None),
        (ProductCategory.objects.get(name="Elsewhere").pk, "Elsewhere"),
    ]
