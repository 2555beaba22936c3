"""The production order pages in a real browser (Chromium through Playwright) against a
live server: an operations user opens a production order from the menu, confirms it (its
components reserved), produces one of two tables, then the rest, and sees it done at the
components' value plus the work.

Set KANTOOR_SCREENSHOTS=<folder> to keep a screenshot of each step for a look.
"""

# ruff: noqa: F811 - the fixtures imported from the manufacturing tests are requested by name

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.finance import triggers
from kantoor.manufacturing import services
from kantoor.manufacturing.models import BillOfMaterials
from kantoor.manufacturing.tests.conftest import (  # noqa: F401 - fixtures
    accountant,
    bench,
    books,
    make_product,
    parts,
    planner,
    receive,
    storekeeper,
    supplier,
    table_bom,
    units,
    warehouse,
)

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


@pytest.fixture(autouse=True)
def _posted_entries_removed_afterwards() -> Iterator[None]:
    """A transactional test ends with a flush, which the ledger's guard refuses for posted
    entries (stock moves post them): flush here with the guard down, then put it back."""
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


def test_an_operations_user_confirms_and_produces_an_order(
    page: Page, live_server: Any, planner: Any, table_bom: BillOfMaterials, warehouse: Any
) -> None:
    # given a draft order for two tables (4 planks at 4, 20 screws at 0.05, half an hour at 40 each)
    order = services.production_order_create(
        actor=planner, bom_id=table_bom.pk, warehouse_id=warehouse.pk, quantity="2"
    )
    log_in(page, live_server, "otto")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Production orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Production orders")
    page.get_by_role("link", name="Draft", exact=True).click()
    page.get_by_role("link", name=order.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(order.number)

    # when she confirms it, the components are reserved
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("its components are reserved")).to_be_visible()
    expect(page.locator("#order-state")).to_contain_text("Components ready")
    expect(page.locator("#order-components")).to_contain_text("PLANK")
    shot(page, "manufacturing-01-confirmed")

    # when she records one table with the default hours for one
    page.get_by_label("Quantity").fill("1")
    page.get_by_label("Hours at BENCH").fill("0.5")
    page.get_by_role("button", name="Record production").click()
    expect(page.get_by_text("1 pc of TABLE made.")).to_be_visible()
    expect(page.locator("#order-state")).to_contain_text("In progress")
    expect(page.locator("#order-total-cost")).to_have_text("37.00")  # 16 + 1 + 20
    shot(page, "manufacturing-02-partial")

    # and then the other one (the form proposes what is left)
    expect(page.get_by_label("Quantity")).to_have_value("1")
    page.get_by_role("button", name="Record production").click()
    expect(page.locator("#order-state")).to_contain_text("Done")
    expect(page.locator("#order-total-cost")).to_have_text("74.00")
    shot(page, "manufacturing-03-done")
    order.refresh_from_db()
    assert (order.state, order.produced_quantity, order.cost) == ("done", Decimal("2"), Decimal("74.00"))
