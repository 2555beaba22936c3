"""The stock accounts page through the Django test client: the table of the company default
and each category with the fallback named in each empty choice, a row saved, a bad account
shown on its row with nothing written, read-only for management and a 403 for operations."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.catalog.models import ProductCategory
from kantoor.core.models import AuditEntry
from kantoor.finance.models import Account
from kantoor.inventory import configuration
from kantoor.inventory.models import StockAccounts
from kantoor.inventory.tests.conftest import accountant, books, make_product, storekeeper, units

pytestmark = pytest.mark.django_db
FIXTURES = [accountant, books, make_product, storekeeper, units]
URL = "/inventory/stock-accounts/"


@pytest.fixture
def fin(client: Client, accountant: Any, books: Any) -> Client:
    client.force_login(accountant)
    return client


@pytest.fixture
def average(make_product: Any) -> ProductCategory:
    make_product("CHAIR")  # makes the categories "Average" and "FIFO"
    return ProductCategory.objects.get(name="Average")


def _account(books: Any, code: str) -> Account:
    return Account.objects.get(company=books, code=code)


def _row(category: ProductCategory | None, **accounts: Account | None) -> dict[str, Any]:
    """The POST of one row: all five selects (empty unless given) and the row's key."""
    key = "company" if category is None else f"category-{category.pk}"
    data: dict[str, Any] = {"row": key}
    for field in configuration.FIELDS:
        account = accounts.get(field)
        data[f"{key}-{field}_id"] = "" if account is None else str(account.pk)
    return data


def test_the_page_lists_the_company_default_and_each_category_with_their_fallbacks(
    fin: Client, accountant: Any, books: Any, average: ProductCategory
) -> None:
    accrued = Account.objects.create(
        company=books, code="2060", name="Accrued receipts", account_type="liability"
    )
    configuration.stock_accounts_set(actor=accountant, received_account_id=accrued.pk)

    response = fin.get(reverse("web:stock-accounts"))

    assert response.status_code == 200
    assert reverse("web:stock-accounts") == URL
    html = response.content.decode()
    fifo = ProductCategory.objects.get(name="FIFO")
    assert html.index('id="row-company"') < html.index(f'id="row-category-{average.pk}"')
    assert html.index(f'id="row-category-{average.pk}"') < html.index(f'id="row-category-{fifo.pk}"')
    # the company falls back to the role's account, a category to the company default
    assert '<option value="">— (default: 2050 Goods received not invoiced)</option>' in html
    assert html.count('<option value="" selected>— (default: 2060 Accrued receipts)</option>') == 2
    assert html.count('<option value="" selected>— (default: 1200 Inventory)</option>') == 3
    assert f'<option value="{accrued.pk}" selected>2060 Accrued receipts</option>' in html
    # under each empty select (15 less the company's chosen 2060), the account it uses
    assert html.count('<small class="help">Uses ') == 14
    assert html.count('<small class="help">Uses 2060 Accrued receipts</small>') == 2
    assert html.count('<form method="post" id="form-') == 3
    assert 'form="form-company"' in html


def test_a_row_is_saved(fin: Client, books: Any, average: ProductCategory) -> None:
    furniture = Account.objects.create(
        company=books, code="1210", name="Furniture stock", account_type="asset"
    )
    cogs = _account(books, "5000")

    response = fin.post(URL, _row(average, stock_account=furniture, cogs_account=cogs))

    assert response.status_code == 302
    assert response["Location"] == URL
    row = StockAccounts.objects.get(company=books, category=average)
    assert [getattr(row, f"{field}_id") for field in configuration.FIELDS] == [
        furniture.pk,
        None,
        cogs.pk,
        None,
        None,
    ]
    assert StockAccounts.objects.count() == 1
    html = fin.get(URL).content.decode()
    assert "Your changes were saved." in html
    assert f'<option value="{furniture.pk}" selected>1210 Furniture stock</option>' in html


def test_a_bad_account_shows_on_its_row_and_nothing_changes(
    fin: Client, accountant: Any, books: Any, average: ProductCategory
) -> None:
    furniture = Account.objects.create(
        company=books, code="1210", name="Furniture stock", account_type="asset"
    )
    configuration.stock_accounts_set(actor=accountant, category_id=average.pk, stock_account_id=furniture.pk)
    before = list(StockAccounts.objects.values())
    audits = AuditEntry.objects.count()

    response = fin.post(URL, _row(average, stock_account=_account(books, "2050")))

    assert response.status_code == 422
    html = response.content.decode()
    key = f"category-{average.pk}"
    error = "Stock is an asset: choose an asset account."
    assert f'<small class="error" id="id_{key}-stock_account_id_error">{error}</small>' in html
    assert "Please correct the marked fields." in html
    assert list(StockAccounts.objects.values()) == before
    assert AuditEntry.objects.count() == audits

    # a choice the select does not offer (another company's or an archived account) is refused by the form
    archived = Account.objects.create(
        company=books, code="1290", name="Old stock", account_type="asset", is_active=False
    )
    response = fin.post(URL, _row(None, stock_account=archived))
    assert response.status_code == 422
    assert 'id="id_company-stock_account_id_error">Select a valid choice.' in response.content.decode()
    assert list(StockAccounts.objects.values()) == before

    # a row that is not there
    assert fin.post(URL, {"row": "category-999999"}).status_code == 404
    assert list(StockAccounts.objects.values()) == before


def test_management_reads_operations_is_refused(
    client: Client, books: Any, average: ProductCategory, storekeeper: Any, make_user: Any
) -> None:
    manager = Client()
    manager.force_login(make_user("management"))
    response = manager.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="post" id="form-' not in html
    assert "disabled" in html
    assert manager.post(URL, _row(None, stock_account=_account(books, "1200"))).status_code == 403

    client.force_login(storekeeper)
    assert client.get(URL).status_code == 403
    assert client.post(URL, _row(None, stock_account=_account(books, "1200"))).status_code == 403
    assert StockAccounts.objects.count() == 0
    assert Client().get(URL).status_code == 302  # to the login page


def test_the_queries_do_not_grow_with_the_categories(
    fin: Client, books: Any, average: ProductCategory
) -> None:
    with CaptureQueriesContext(connection) as few:
        assert fin.get(URL).status_code == 200
    for n in range(10):
        ProductCategory.objects.create(company=books, name=f"Category {n}")
    with CaptureQueriesContext(connection) as many:
        html = fin.get(URL).content.decode()
    assert html.count('<form method="post" id="form-') == 13
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_row_is_saved_in_a_browser(
    page: Page, live_server: Any, books: Any, average: ProductCategory
) -> None:
    # the selects sit in the row's cells and join the row's form (in its last cell) by id
    page.set_default_timeout(5000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("fiona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{URL}")
    row = page.locator(f"#row-category-{average.pk}")
    expect(row.get_by_label("Stock", exact=True)).to_have_value("")
    row.get_by_label("Cost of goods sold").select_option(label="5100 Stock differences")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your changes were saved.")).to_be_visible()
    stored = StockAccounts.objects.get(category=average)
    assert (stored.stock_account_id, stored.cogs_account_id) == (None, _account(books, "5100").pk)
    expect(row.get_by_label("Cost of goods sold")).to_have_value(str(_account(books, "5100").pk))
    # the company row's selects still show their fallback, untouched
    expect(page.locator("#row-company").get_by_label("Cost of goods sold")).to_have_value("")
