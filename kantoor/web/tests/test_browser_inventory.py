"""The inventory pages in a real browser (Chromium through Playwright) against a live
server: a storekeeper receives goods, validates the receipt, delivers part of an order and
sees the rest on a backorder.

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
from kantoor.catalog.models import Product, ProductCategory, Uom, UomCategory
from kantoor.finance import services as ledger
from kantoor.finance import triggers
from kantoor.inventory import services
from kantoor.inventory.models import InventoryCount, Move, Transfer, TransferKind, TransferState, Warehouse
from kantoor.inventory.tests.conftest import on_hand
from kantoor.parties import services as party_services

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
    entries (stock moves post some): flush here with the guard down, then put it back."""
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
def storekeeper(make_user: Any, _posted_entries_removed_afterwards: None) -> Any:
    accountant = make_user("finance", username="fiona")
    ledger.chart_install(actor=accountant, template="generic")
    ledger.fiscal_year_create(actor=accountant, year=accountant.company.fiscal_year_of(timezone.localdate()))
    user = make_user("operations", username="otto")
    services.warehouse_create(actor=user, code="WH", name="Main warehouse")
    party_services.party_create(actor=user, kind="organisation", name="Leverancier B.V.", roles=["supplier"])
    party_services.party_create(actor=user, kind="organisation", name="Klant B.V.", roles=["customer"])
    company = user.company
    pieces = UomCategory.objects.create(company=company, name="Units")
    piece = Uom.objects.create(company=company, category=pieces, code="pc", name="Piece", ratio=1, rounding=1)
    category = ProductCategory.objects.create(company=company, name="Furniture")
    Product.objects.create(
        company=company,
        sku="CHAIR",
        name="Office chair",
        category=category,
        uom=piece,
        purchase_uom=piece,
        cost=20,
    )
    return user


def test_receive_validate_deliver_partially_and_see_the_backorder(
    page: Page, live_server: Any, storekeeper: Any
) -> None:
    # given a storekeeper who opens the transfers from the menu
    log_in(page, live_server, "otto")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transfers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transfers")

    # when she enters a receipt of 10 chairs from the supplier and validates it
    page.get_by_role("button", name="New transfer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New transfer")
    page.get_by_label("Partner").select_option(label="Leverancier B.V.")
    page.locator("[name=lines-0-product_id]").select_option(label="CHAIR — Office chair")
    page.locator("[name=lines-0-quantity]").fill("10")
    page.locator("[name=lines-0-unit_cost]").fill("20")
    shot(page, "inventory-01-receipt-form")
    page.get_by_role("button", name="Create transfer").click()
    receipt = Transfer.objects.get(kind=TransferKind.RECEIPT)
    expect(page.get_by_role("heading", level=1)).to_have_text(receipt.number)
    page.get_by_role("button", name="Validate").click()

    # then the receipt is done and the chairs are in stock
    expect(page.get_by_text(f"{receipt.number} is done.")).to_be_visible()
    expect(page.locator("#transfer-state")).to_contain_text("Done")
    shot(page, "inventory-02-receipt-done")
    assert on_hand(Product.objects.get(sku="CHAIR")) == Decimal("10")

    # when she makes a delivery of 8 to the customer, confirms it and ships only 5
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transfers").click()
    page.get_by_role("link", name="Deliveries").click()
    page.get_by_role("button", name="New transfer").click()
    page.get_by_label("Partner").select_option(label="Klant B.V.")
    page.locator("[name=lines-0-product_id]").select_option(label="CHAIR — Office chair")
    page.locator("[name=lines-0-quantity]").fill("8")
    page.get_by_role("button", name="Create transfer").click()
    delivery = Transfer.objects.get(kind=TransferKind.DELIVERY, backorder_of__isnull=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(delivery.number)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"{delivery.number} is ready.")).to_be_visible()
    move = Move.objects.get(transfer=delivery)
    page.locator(f"[name=qty-{move.pk}]").fill("5")
    shot(page, "inventory-03-partial")
    page.get_by_role("button", name="Validate").click()

    # then the delivery is done and the 3 left wait on a backorder, ready to go
    backorder = Transfer.objects.get(backorder_of=delivery)
    expect(page.get_by_text(f"the rest is on backorder {backorder.number}")).to_be_visible()
    expect(page.locator("#backorders")).to_contain_text(backorder.number)
    shot(page, "inventory-04-backorder")
    page.locator("#backorders").get_by_role("link", name=backorder.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(backorder.number)
    expect(page.locator("#transfer-moves")).to_contain_text("3")
    assert backorder.state == TransferState.READY
    assert on_hand(Product.objects.get(sku="CHAIR")) == Decimal("5")


def test_count_the_stock_on_the_sheet_apply_it_and_scan_the_product(
    page: Page, live_server: Any, storekeeper: Any
) -> None:
    # given 10 chairs in stock
    warehouse = Warehouse.objects.get(code="WH")
    chair = Product.objects.get(sku="CHAIR")
    receipt = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="10", unit_cost="20")],
    )
    services.transfer_validate(actor=storekeeper, transfer_id=receipt.pk)
    log_in(page, live_server, "otto")

    # when she starts a count of the stock location and counts 9 on the sheet
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inventory counts").click()
    page.get_by_label("Location").select_option(label="WH/Stock")
    page.get_by_role("button", name="Start count").click()
    count = InventoryCount.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(count.number)
    page.get_by_label("Counted CHAIR").fill("9")
    page.get_by_label("Counted CHAIR").press("Tab")

    # then the line is saved in place and shows the difference
    expect(page.locator(f"#line-{count.lines.get().pk}")).to_contain_text("-1")
    shot(page, "inventory-05-count-sheet")
    page.get_by_role("button", name="Apply count").click()
    expect(page.get_by_text(f"Count {count.number} was applied.")).to_be_visible()
    assert on_hand(chair) == Decimal("9")

    # and the scan page tells what CHAIR is and how many are left
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Scan").click()
    page.get_by_label("Code").fill("CHAIR")
    page.get_by_label("Code").press("Enter")
    expect(page.locator("#scan-total")).to_have_text("9")
    expect(page.locator("#scan-stock")).to_contain_text("WH/Stock")
    shot(page, "inventory-06-scan")
