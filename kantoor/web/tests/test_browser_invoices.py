"""The invoice pages in a real browser (Chromium through Playwright) against a live server:
a finance user enters an invoice with a line (the live totals follow), posts it, registers
a payment for the full amount and sees it paid.

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
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.finance import services, triggers
from kantoor.finance.models import Invoice, Payment
from kantoor.parties import services as party_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = 2026


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
def accountant(make_user: Any, _posted_entries_removed_afterwards: None) -> Any:
    user = make_user("finance", username="fiona")
    services.chart_install(actor=user, template="generic")
    services.fiscal_year_create(actor=user, year=YEAR)
    party_services.party_create(actor=user, kind="organisation", name="Acme Trading", roles=["customer"])
    return user


def test_a_finance_user_invoices_posts_and_is_paid(page: Page, live_server: Any, accountant: Any) -> None:
    # given a finance user who opens the invoices from the menu
    log_in(page, live_server, "fiona")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")
    page.get_by_role("button", name="New invoice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New invoice")

    # when she picks the customer, enters one line and sees the totals follow
    page.locator("#party-search").fill("Acme")
    page.get_by_label("Acme Trading").check()
    page.get_by_label("Date", exact=True).fill(f"{YEAR}-03-20")
    page.locator("[name=lines-0-description]").fill("Consulting, March")
    page.locator("[name=lines-0-quantity]").fill("4")
    page.locator("[name=lines-0-unit_price]").fill("125.00")
    expect(page.locator("#total-total")).to_have_text("605.00 EUR")  # 500.00 + 21% VAT
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("[name=lines-TOTAL_FORMS]")).to_have_value("2")
    shot(page, "invoices-01-form")
    page.get_by_role("button", name="Save draft").click()

    # then the draft shows its totals; posting gives it its number
    expect(page.get_by_text("The draft was saved.")).to_be_visible()
    expect(page.locator("#amount-total")).to_have_text("605.00 EUR")
    page.get_by_role("button", name="Post").click()
    invoice = Invoice.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(invoice.number)
    expect(page.locator("#amount-due")).to_have_text("605.00 EUR")
    shot(page, "invoices-02-posted")

    # and registering a payment for the full amount marks it paid
    page.get_by_role("button", name="Register payment").click()
    expect(page.locator("#id_amount")).to_have_value("605.00")
    page.get_by_role("button", name="Register payment").click()
    expect(page.locator("#invoice-state")).to_contain_text("Paid")
    expect(page.locator("#amount-due")).to_have_text("0.00 EUR")
    shot(page, "invoices-03-paid")
    invoice.refresh_from_db()
    assert (invoice.payment_state, invoice.amount_residual) == ("paid", Decimal(0))
    assert Payment.objects.get().amount == Decimal("605.00")


def test_a_finance_user_saves_and_posts_a_new_invoice_at_once(
    page: Page, live_server: Any, accountant: Any
) -> None:
    # given a finance user on the new-invoice form
    log_in(page, live_server, "fiona")
    page.goto(f"{live_server.url}/finance/invoices/new/?kind=customer_invoice")
    expect(page.get_by_role("heading", level=1)).to_have_text("New invoice")

    # when she fills in the customer and one line and presses "Save and post"
    page.locator("#party-search").fill("Acme")
    page.get_by_label("Acme Trading").check()
    page.get_by_label("Date", exact=True).fill(f"{YEAR}-03-21")
    page.locator("[name=lines-0-description]").fill("Workshop")
    page.locator("[name=lines-0-quantity]").fill("2")
    page.locator("[name=lines-0-unit_price]").fill("150.00")
    expect(page.locator("#total-total")).to_have_text("363.00 EUR")  # 300.00 + 21% VAT
    page.get_by_role("button", name="Save and post").click()

    # then the detail page shows the posted invoice under its number, with nothing left to post
    expect(page.get_by_role("heading", level=1)).to_have_text(f"INV-{YEAR}-00001")
    expect(page.get_by_text(f"INV-{YEAR}-00001 was posted.")).to_be_visible()
    expect(page.locator("#amount-due")).to_have_text("363.00 EUR")
    expect(page.get_by_role("button", name="Post", exact=True)).to_have_count(0)
    shot(page, "invoices-04-saved-and-posted")
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.number, invoice.amount_total) == (
        "posted",
        f"INV-{YEAR}-00001",
        Decimal("363.00"),
    )
    assert invoice.entry is not None
    assert invoice.entry.state == "posted"
