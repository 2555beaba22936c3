"""The purchase order pages in a real browser (Chromium through Playwright) against a live
server: a buyer opens the purchase orders from the menu, enters a request for quotation
whose price comes from the supplier's list, confirms it and sees the receipt it expects.

Set KANTOOR_SCREENSHOTS=<folder> to keep a screenshot of each step for a look.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.catalog.models import CostingMethod, Product, ProductCategory, SupplierPrice, Uom, UomCategory
from kantoor.finance import services, triggers
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Transfer
from kantoor.parties import services as party_services
from kantoor.purchasing.models import OrderState, PurchaseOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick_failures(page: Page) -> None:
    page.set_default_timeout(5000)


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("KANTOOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def log_in(page: Page, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")


@pytest.fixture
def _posted_entries_removed_afterwards() -> Iterator[None]:
    """A transactional test ends with a flush, which the ledger's guard refuses for posted
    entries: flush here with the guard down, then put the guard back for the next tests."""
    yield
    with connection.cursor() as cursor:
        for statement in triggers.drop_statements(connection.vendor):
            cursor.execute(statement)
    try:
        call_command("flush", verbosity=0, interactive=False)
    finally:
        with connection.cursor() as cursor:
            for statement in triggers.create_statements(connection.vendor):
                cursor.execute(statement)


@pytest.fixture
def buyer(make_user: Any, company: Any, _posted_entries_removed_afterwards: None) -> Any:
    """A buyer, with a warehouse, a supplier and a cup the supplier sells at 0.08."""
    accountant = make_user("finance", username="fiona")
    services.chart_install(actor=accountant, template="generic")
    services.fiscal_year_create(actor=accountant, year=company.fiscal_year_of(timezone.localdate()))
    user = make_user("operations", username="otto")
    inventory.warehouse_create(actor=user, code="WH", name="Main warehouse")
    supplier = party_services.party_create(
        actor=user, kind="organisation", name="Papierfabriek B.V.", roles=["supplier"]
    )
    pieces = UomCategory.objects.create(company=company, name="Units")
    pc = Uom.objects.create(company=company, category=pieces, code="pc", name="Piece", ratio=1, rounding=1)
    category = ProductCategory.objects.create(
        company=company, name="Cups", costing_method=CostingMethod.AVERAGE
    )
    cups = Product.objects.create(
        company=company, sku="CUP-01", name="Paper cup", category=category, uom=pc, purchase_uom=pc
    )
    SupplierPrice.objects.create(
        company=company, product=cups, supplier=supplier, currency="EUR", price=Decimal("0.08")
    )
    return user


def test_a_buyer_enters_an_rfq_and_confirms_it(page: Page, live_server: Any, buyer: Any) -> None:
    # given a buyer who opens the purchase orders from the menu
    log_in(page, live_server, "otto")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Purchase orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Purchase orders")
    page.get_by_role("button", name="New request for quotation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New request for quotation")

    # when he picks the supplier and one product, without a price
    page.get_by_label("Supplier").select_option(label="Papierfabriek B.V.")
    page.locator("[name=lines-0-product_id]").select_option(label="CUP-01 · Paper cup")
    page.locator("[name=lines-0-quantity]").fill("500")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("[name=lines-TOTAL_FORMS]")).to_have_value("2")
    shot(page, "purchasing-01-form")
    page.get_by_role("button", name="Save RFQ").click()

    # then the RFQ takes the supplier's price
    order = PurchaseOrder.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(order.number)
    expect(page.locator("#order-total")).to_have_text("40.00 EUR")
    expect(page.locator("#order-state")).to_contain_text("Request for quotation")
    shot(page, "purchasing-02-rfq")

    # and confirming it makes the purchase order and its receipt
    page.get_by_role("button", name="Confirm order").click()
    expect(page.locator("#order-state")).to_contain_text("Purchase order")
    receipt = Transfer.objects.get(origin=order.number)
    expect(page.locator("#order-receipts")).to_contain_text(receipt.number)
    expect(page.locator("#match-table")).to_contain_text("Under-delivered")
    shot(page, "purchasing-03-confirmed")
    assert PurchaseOrder.objects.get().state == OrderState.CONFIRMED
