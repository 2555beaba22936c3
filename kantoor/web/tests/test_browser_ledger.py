"""The ledger's draft-entry form in a real browser (Chromium through Playwright) against a
live server: a finance user enters a two-line entry, posts it and sees its number.

Set KANTOOR_SCREENSHOTS=<folder> to keep a screenshot of each step for a look.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.finance import services, triggers
from kantoor.finance.models import EntryState, JournalEntry

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
    return user


def test_a_finance_user_enters_and_posts_an_entry(page: Page, live_server: Any, accountant: Any) -> None:
    # given a finance user who signs in and opens the journal entries from the menu
    log_in(page, live_server, "fiona")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Journal entries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal entries")
    page.get_by_role("button", name="New entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New entry")

    # when she enters a two-line draft (adding a third row that she leaves blank)
    page.get_by_label("Date").fill(f"{YEAR}-03-20")
    page.get_by_label("Reference").fill("INV-2026-17")
    page.locator("[name=lines-0-account_id]").select_option(label="6100 Rent")
    page.locator("[name=lines-0-label]").fill("March rent")
    page.locator("[name=lines-0-debit]").fill("1210.00")
    page.locator("[name=lines-1-account_id]").select_option(label="1000 Bank")
    page.locator("[name=lines-1-credit]").fill("1210.00")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("[name=lines-2-account_id]")).to_be_visible()
    expect(page.locator("[name=lines-TOTAL_FORMS]")).to_have_value("3")
    shot(page, "ledger-01-entry-form")
    page.get_by_role("button", name="Save draft").click()

    # then the draft's page shows its lines, and posting gives it its number
    expect(page.get_by_text("The draft entry was saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft #1")
    expect(page.locator("#entry-lines")).to_contain_text("6100 Rent")
    expect(page.locator("#entry-lines")).to_contain_text("March rent")
    shot(page, "ledger-02-draft")
    page.get_by_role("button", name="Post").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"GEN-{YEAR}-00001")
    expect(page.get_by_text(f"Entry GEN-{YEAR}-00001 was posted.")).to_be_visible()
    expect(page.get_by_role("button", name="Reverse")).to_be_visible()
    shot(page, "ledger-03-posted")
    entry = JournalEntry.objects.get()
    assert (entry.state, entry.number, entry.reference) == (
        EntryState.POSTED,
        f"GEN-{YEAR}-00001",
        "INV-2026-17",
    )
    assert entry.lines.count() == 2
