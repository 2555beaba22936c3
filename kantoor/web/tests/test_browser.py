"""The web UI in a real browser (Chromium through Playwright) against a live server.

Set KANTOOR_SCREENSHOTS=<folder> to keep a screenshot of each step for a look.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from kantoor.parties.models import Party

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


def test_create_edit_search_and_duplicate_warning(page: Page, live_server: Any, salesperson: Any) -> None:
    # given a salesperson who signs in
    page.goto(f"{live_server.url}/parties/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/parties/"))
    shot(page, "01-login")
    log_in(page, live_server, "sally")
    shot(page, "02-home")

    # when she opens Parties from the navigation and creates an organisation
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Parties").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Parties")
    page.get_by_role("button", name="New party").click()
    page.get_by_label("Name", exact=True).fill("Bakkerij De Vries B.V.")
    page.get_by_label("VAT number").fill("NL853746333B01")
    page.get_by_label("Customer").check()
    page.locator("[name=contact_points-0-value]").fill("info@devries.example")
    page.get_by_role("button", name="Add contact detail").click()
    page.locator("[name=contact_points-1-kind]").select_option("phone")
    page.locator("[name=contact_points-1-value]").fill("+31 30 123 4567")
    page.locator("[name=addresses-0-street]").fill("Dorpsstraat 1")
    page.locator("[name=addresses-0-postal_code]").fill("3511ab")
    page.locator("[name=addresses-0-city]").fill("Utrecht")
    shot(page, "03-create-form")
    page.get_by_role("button", name="Create party").click()

    # then its page shows what she entered, normalised by the service
    expect(page.get_by_role("heading", level=1)).to_have_text("Bakkerij De Vries B.V.")
    expect(page.get_by_text("was created")).to_be_visible()
    expect(page.get_by_role("link", name="+31 30 123 4567")).to_be_visible()
    expect(page.get_by_role("link", name="info@devries.example")).to_be_visible()
    expect(page.locator("#contact-details")).to_contain_text("Dorpsstraat 1, 3511 AB Utrecht")
    expect(page.locator("#timeline")).to_contain_text("Party created")
    shot(page, "04-detail")

    # when she edits it
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Tags").fill("bakery, utrecht")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your changes were saved.")).to_be_visible()
    expect(page.locator("#details")).to_contain_text("bakery")

    # and finds it again with the live search of the list and the global search
    page.goto(f"{live_server.url}/parties/")
    page.get_by_placeholder("Name, VAT number or e-mail").fill("vries")
    expect(page.locator("#party-results")).to_contain_text("Bakkerij De Vries B.V.")
    expect(page).to_have_url(re.compile(r"q=vries"))
    page.get_by_role("searchbox", name="Search", exact=True).fill("bakk")
    page.locator("#search-popup").get_by_role("link", name=re.compile("Bakkerij")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bakkerij De Vries B.V.")

    # when she creates the same bakery again, the form warns and names the existing one
    page.goto(f"{live_server.url}/parties/new/")
    page.get_by_label("Name", exact=True).fill("Bakkerij de Vries")
    page.get_by_role("button", name="Create party").click()
    expect(page.get_by_text("This party may already exist")).to_be_visible()
    expect(page.locator(".duplicates").get_by_role("link", name="Bakkerij De Vries B.V.")).to_be_visible()
    shot(page, "05-duplicate")
    assert Party.objects.count() == 1
    # and only after confirming that they differ is the second one created
    page.get_by_label("These are different parties — create anyway").check()
    page.get_by_role("button", name="Create party").click()
    expect(page.get_by_text("was created")).to_be_visible()
    assert Party.objects.count() == 2


def test_merge_flow(page: Page, live_server: Any, salesperson: Any, make_party: Any) -> None:
    # given two records of one customer
    keep = make_party(salesperson, "Jansen Transport", roles=["customer"])
    make_party(salesperson, "Jansen Transport Utrecht", roles=["supplier"], vat_number="NL853746333B01")
    log_in(page, live_server, "sally")
    # when she merges the second into the first through the merge screen
    page.goto(f"{live_server.url}/parties/{keep.pk}/")
    page.get_by_role("button", name="Merge").click()
    page.locator("#other-search").fill("jansen")
    page.get_by_label(re.compile("Jansen Transport Utrecht")).check()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("table.compare")).to_contain_text("NL853746333B01")
    shot(page, "06-merge")
    page.get_by_role("button", name="Merge these parties").click()
    # then the surviving party has both roles and the other's VAT number
    expect(page.get_by_text("was merged into Jansen Transport")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/parties/{keep.pk}/")
    expect(page.locator("hgroup")).to_contain_text("Supplier")
    expect(page.locator("#details")).to_contain_text("NL853746333B01")
    assert Party.objects.get(name="Jansen Transport Utrecht").merged_into_id == keep.pk


def test_dutch_ui_and_phone_menu(page: Page, live_server: Any, salesperson: Any) -> None:
    # given the login page switched to Dutch
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    page.get_by_label("Gebruikersnaam").fill("sally")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    # then the whole interface is Dutch, and stays so as her preference
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_contain_text("Frontoffice")
    page.goto(f"{live_server.url}/parties/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe relatie")
    expect(page.get_by_text("Btw-nummer")).to_be_visible()
    shot(page, "07-dutch-form")
    salesperson.refresh_from_db()
    assert salesperson.language == "nl"

    # on a phone the menu folds away behind ☰
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/parties/")
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu).to_be_hidden()
    page.get_by_title("Menu").click()
    expect(menu).to_be_visible()
    shot(page, "08-phone-menu")
    # and switching back to English from the user menu works
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Parties")
