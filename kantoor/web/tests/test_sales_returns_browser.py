"""A customer return in a real browser (Chromium through Playwright) against a live server:
a sales rep opens the return form of a delivered order, asks to return one desk, approves
the return, and — once the warehouse has validated the return receipt — sees it received.

Set KANTOOR_SCREENSHOTS=<folder> to keep a screenshot of each step for a look.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.core import outbox
from kantoor.core.outbox import run_pending_events
from kantoor.finance import triggers
from kantoor.inventory import services as inventory
from kantoor.inventory.events import GoodsReceived
from kantoor.inventory.models import Transfer, TransferKind
from kantoor.sales import services
from kantoor.sales.models import ReturnAuthorisation, SalesOrder, SalesOrderLine
from kantoor.sales.return_handlers import on_return_received
from kantoor.sales.tests.quote_support import books, customer, pieces, products, quote_make, v21, warehouse

__all__ = ["books", "customer", "pieces", "products", "quote_make", "v21", "warehouse"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _quick_failures(page: Page) -> None:
    page.set_default_timeout(5000)


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("KANTOOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


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
def rep(make_user: Callable[..., Any], _posted_entries_removed_afterwards: None) -> Any:
    return make_user("sales", "operations", username="sam")


def test_a_return_in_the_browser(
    page: Page, live_server: Any, rep: Any, quote_make: Callable[..., SalesOrder]
) -> None:
    outbox.subscribe(GoodsReceived, on_return_received)
    order = quote_make(actor=rep)
    services.order_confirm(actor=rep, order_id=order.pk)
    delivery = Transfer.objects.get(origin=order.number, kind=TransferKind.DELIVERY)
    inventory.transfer_validate(actor=rep, transfer_id=delivery.pk)
    run_pending_events()
    line = SalesOrderLine.objects.get(order=order, is_optional=False)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")

    page.goto(f"{live_server.url}/sales/orders/{order.pk}/return/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Return of {order.number}")
    page.locator(f'input[name="line-{line.pk}-quantity"]').fill("1")
    page.get_by_label("Reason").fill("Scratched top")
    shot(page, "return-1-form")
    page.get_by_role("button", name="Request return").click()

    rma = ReturnAuthorisation.objects.get()
    expect(page.locator("#return-title")).to_have_text(rma.number)
    expect(page.locator("#return-state")).to_have_text("Requested")
    expect(page.locator("#return-lines")).to_contain_text("1 pc")
    page.get_by_role("button", name="Approve return").click()
    expect(page.locator("#return-state")).to_have_text("Approved")
    rma.refresh_from_db()
    assert rma.receipt is not None
    expect(page.locator("#return-receipt")).to_contain_text(rma.receipt.number)
    shot(page, "return-2-approved")

    inventory.transfer_validate(actor=rep, transfer_id=rma.receipt.pk)
    run_pending_events()
    page.reload()
    expect(page.locator("#return-state")).to_have_text("Received")
    expect(page.locator("#return-credit-note")).to_contain_text("nothing to credit")
    expect(page.get_by_role("button", name="Cancel return")).to_have_count(0)
    shot(page, "return-3-received")
