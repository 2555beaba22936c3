"""Quote to acceptance in a real browser (Chromium through Playwright) against a live
server: a sales rep enters a quotation with an optional line, marks it sent, the customer
opens the link without signing in and accepts it with their name, and the rep sees it
accepted.

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
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD
from kantoor.catalog.models import CostingMethod, Product, ProductCategory, Uom, UomCategory
from kantoor.finance import services, triggers
from kantoor.finance.tests.documents_support import customer_make
from kantoor.inventory import services as inventory
from kantoor.sales import quotes
from kantoor.sales.models import SalesOrder

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
def rep(make_user: Any, company: Any, _posted_entries_removed_afterwards: None) -> Any:
    """A sales rep, with a warehouse, a customer and two products to offer."""
    accountant = make_user("finance", username="fiona")
    services.chart_install(actor=accountant, template="generic")
    services.fiscal_year_create(actor=accountant, year=company.fiscal_year_of(timezone.localdate()))
    inventory.warehouse_create(actor=make_user("operations", username="otto"), code="WH", name="Main")
    user = make_user("sales", username="sam")
    customer_make(user)
    pieces = UomCategory.objects.create(company=company, name="Units")
    pc = Uom.objects.create(company=company, category=pieces, code="pc", name="Piece", ratio=1, rounding=1)
    category = ProductCategory.objects.create(
        company=company, name="Furniture", costing_method=CostingMethod.AVERAGE
    )
    for sku, name, price in (("DESK", "Standing desk", "100"), ("LAMP", "Desk lamp", "25")):
        Product.objects.create(
            company=company,
            sku=sku,
            name=name,
            category=category,
            uom=pc,
            purchase_uom=pc,
            list_price=Decimal(price),
            cost=Decimal(60),
            kind="consumable",
        )
    return user


def test_a_quotation_is_entered_sent_and_accepted_online(
    page: Page, browser: Browser, live_server: Any, rep: Any
) -> None:
    # given a rep who enters a quotation: two desks, and a lamp as an option
    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/sales/orders/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quotations and orders")
    page.get_by_role("button", name="New quotation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New quotation")
    page.get_by_label("Customer", exact=True).select_option(label="Bloemenhandel Visser B.V.")
    page.get_by_label("Warehouse").select_option(label="WH · Main")
    page.locator("[name=lines-0-product_id]").select_option(label="DESK · Standing desk")
    page.locator("[name=lines-0-quantity]").fill("2")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("[name=lines-TOTAL_FORMS]")).to_have_value("2")
    page.locator("[name=lines-1-product_id]").select_option(label="LAMP · Desk lamp")
    page.locator("[name=lines-1-is_optional]").check()
    shot(page, "sales-01-form")
    page.get_by_role("button", name="Save quotation").click()

    # then the quotation takes the list prices, the option outside the total
    order = SalesOrder.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    expect(page.locator("#order-state")).to_contain_text("Quotation")
    expect(page.locator("#line-table")).to_contain_text("optional")

    # when the rep marks it sent (it went another way than e-mail)
    page.get_by_role("button", name="Mark as sent").click()
    expect(page.locator("#order-state")).to_contain_text("Quotation sent")
    shot(page, "sales-02-sent")

    # and the customer opens the link, without signing in, and accepts it
    customer = browser.new_context().new_page()
    customer.set_default_timeout(5000)
    token = quotes.quote_link_token(SalesOrder.objects.get())
    customer.goto(f"{live_server.url}/q/{token}/")
    expect(customer.get_by_role("heading", level=1)).to_contain_text(f"Quotation {order.number}")
    expect(customer.locator("#public-quote")).to_contain_text("Desk lamp")
    expect(customer.locator("#public-quote")).not_to_contain_text("argin")
    customer.get_by_role("button", name="Accept the quotation").click()
    expect(customer.locator("#accept-form .error")).to_contain_text("required")
    customer.locator("#accept-form").get_by_label("Your name").fill("Jan Visser")
    shot(customer, "sales-03-public")
    customer.get_by_role("button", name="Accept the quotation").click()
    expect(customer.locator("#public-answer")).to_contain_text("Accepted by Jan Visser")
    expect(customer.locator("#accept-form")).to_have_count(0)
    shot(customer, "sales-04-accepted")

    # then the rep sees who accepted it
    page.reload()
    expect(page.locator("#customer-answer")).to_contain_text("Accepted online by Jan Visser")
    shot(page, "sales-05-rep-sees-it")
    assert SalesOrder.objects.get().answered_by_name == "Jan Visser"
