"""My activities in a real browser (Chromium through Playwright) against a live server: a
sales rep opens "My activities" from the menu, logs a call with the quick-add form and
ticks it off with the HTMX "Done" button, without leaving the page.

Set KANTOOR_SCREENSHOTS=<folder> to keep a screenshot of each step for a look.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.activities.models import Activity, ActivityState

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


def test_a_rep_logs_a_call_and_marks_it_done(page: Page, live_server: Any, make_user: Any) -> None:
    # given a sales rep who opens their activities from the menu
    make_user("sales", scope="own", username="rita")
    log_in(page, live_server, "rita")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My activities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My activities")
    expect(page.locator("#activity-results")).to_contain_text("No activities match these filters.")

    # when she logs a call for tomorrow with the quick-add form
    quick = page.get_by_role("form", name="Log an activity")
    quick.get_by_label("Kind").select_option(label="Call")
    quick.get_by_label("Subject").fill("Call the baker about the order")
    quick.get_by_label("Due date").fill("2030-01-02")
    shot(page, "activities-01-quick-add")
    quick.get_by_role("button", name="Log activity").click()

    # then it is listed, open
    expect(page.get_by_text("“Call the baker about the order” was logged.")).to_be_visible()
    activity = Activity.objects.get()
    row = page.locator(f"#activity-{activity.pk}")
    expect(row).to_contain_text("Call the baker about the order")
    expect(row).to_contain_text("2030-01-02")
    expect(row).to_contain_text("Open")
    shot(page, "activities-02-listed")

    # and the Done button ticks it off in place
    row.get_by_role("button", name="Mark “Call the baker about the order” done").click()
    expect(page.locator(f"#activity-{activity.pk}")).to_have_class("state-done")
    expect(page.locator(f"#activity-{activity.pk}")).to_contain_text("Done")
    shot(page, "activities-03-done")
    assert Activity.objects.get().state == ActivityState.DONE

    # and the calendar shows it on its day, ticked off
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.goto(f"{live_server.url}/calendar/?month=2030-01")
    expect(page.get_by_role("heading", level=1)).to_have_text("January 2030")
    expect(page.locator('td[data-date="2030-01-02"]')).to_contain_text("Call the baker about the order")
    page.get_by_role("link", name="Next month →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("February 2030")
    shot(page, "activities-04-calendar")

    # and its form opens from the list, where it can be reopened
    page.goto(f"{live_server.url}/activities/?state=done")
    page.get_by_role("link", name="Call the baker about the order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call the baker about the order")
    expect(page.get_by_label("Subject")).to_have_value("Call the baker about the order")
    shot(page, "activities-05-form")
    page.get_by_role("button", name="Reopen").click()
    expect(page.get_by_text("“Call the baker about the order” is open again.")).to_be_visible()
    assert Activity.objects.get().state == ActivityState.OPEN
