"""The catalog in a real browser (Chromium through Playwright) against a live server:
someone in operations creates a product through the form, is told what is wrong, and
finds it in the list.

Set KANTOOR_SCREENSHOTS=<folder> to keep a screenshot of each step for a look.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.catalog import services
from kantoor.catalog.models import Product

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


def test_create_a_product_through_the_form(
    page: Page, live_server: Any, make_user: Any, company: Any
) -> None:
    # given someone in operations, in a company with the default units and one product
    services.units_install(company_id=company.pk)
    keeper = make_user("operations", username="otto")
    services.product_create(actor=keeper, sku="TONER-K", name="Toner black", barcode="4006381333931")
    log_in(page, live_server, "otto")

    # when he opens Products from the navigation and creates a laptop with a taken barcode
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Products").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    page.get_by_role("button", name="New product").click()
    page.get_by_label("SKU").fill("LAP-14")
    page.get_by_label("Name", exact=True).fill("Laptop 14 inch")
    page.get_by_label("Tracking").select_option("serial")
    page.get_by_label("Barcode (EAN)").fill("4006381333931")
    page.get_by_label("List price").fill("899.50")
    shot(page, "catalog-01-form")
    page.get_by_role("button", name="Create product").click()

    # then the form tells him, next to the field, and nothing is created
    expect(page.get_by_text("Product TONER-K has this barcode already.")).to_be_visible()
    assert not Product.objects.filter(sku="LAP-14").exists()
    shot(page, "catalog-02-error")

    # when he clears the barcode and saves again
    page.get_by_label("Barcode (EAN)").fill("")
    page.get_by_role("button", name="Create product").click()

    # then the product's page shows it, and the list finds it by its SKU
    expect(page.get_by_role("heading", level=1)).to_have_text("Laptop 14 inch")
    expect(page.get_by_text("LAP-14 was created.")).to_be_visible()
    expect(page.locator("#details")).to_contain_text("899.50")
    laptop = Product.objects.get(sku="LAP-14")
    assert (laptop.tracking, laptop.list_price, laptop.uom.code) == ("serial", Decimal("899.50"), "pc")
    shot(page, "catalog-03-detail")
    page.get_by_role("link", name="Products").first.click()
    page.get_by_label("Search products").fill("lap")
    expect(page.locator("#product-results")).to_contain_text("LAP-14")
    expect(page.locator("#product-results")).not_to_contain_text("TONER-K")
    expect(page).to_have_url(re.compile(r"q=lap"))
