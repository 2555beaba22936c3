"""The CRM pages in a real browser (Chromium through Playwright) against a live server: a
sales rep enters a lead, converts it into a party and an opportunity, drags the
opportunity to another stage of the pipeline board and moves it once more with the
keyboard alone.

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
from kantoor.core.models import Team
from kantoor.crm import selectors, services
from kantoor.crm.models import Lead, LeadState, Opportunity
from kantoor.parties import services as parties

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
def rep(make_user: Any, company: Any) -> Any:
    """A sales rep of the North team, with the company's default pipeline."""
    team = Team.objects.create(company=company, name="Sales North")
    user = make_user("sales", scope="team", team=team, username="rita")
    selectors.pipeline_stages(user)
    return user


def column(page: Page, stage: str) -> Any:
    return page.locator(".board-column", has=page.get_by_role("heading", name=stage))


def test_a_rep_enters_a_lead_converts_it_and_moves_the_deal_on_the_board(
    page: Page, live_server: Any, rep: Any
) -> None:
    # given a sales rep who opens the leads from the menu
    log_in(page, live_server, "rita")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    page.get_by_role("button", name="New lead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New lead")

    # when she saves a lead without a name, she is told what is missing
    page.get_by_label("E-mail address").fill("eva@zon.example")
    page.get_by_role("button", name="Save lead").click()
    expect(page.locator("#id_contact_name_error")).to_have_text("Give a contact name or an organisation.")

    # and with the name, the lead is saved and scored
    page.get_by_label("Contact name").fill("Eva de Vries")
    page.get_by_label("Organisation").fill("Bakkerij Zon")
    page.get_by_label("Phone").fill("+31 20 555 0101")
    page.get_by_role("button", name="Save lead").click()
    lead = Lead.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eva de Vries (Bakkerij Zon)")
    expect(page.locator("#lead-score-value")).to_have_text(str(lead.score))
    expect(page.locator("#lead-score")).to_contain_text("Phone number given")
    shot(page, "crm-01-lead")

    # when she converts it into a new organisation with an opportunity
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Convert Eva de Vries (Bakkerij Zon)")
    page.get_by_label("Create a new organisation “Bakkerij Zon”").check()
    page.get_by_label("Opportunity name").fill("Bread ovens")
    page.get_by_label("Expected revenue").fill("12500")
    page.get_by_label("Expected close date").fill("2030-05-31")
    shot(page, "crm-02-convert")
    page.get_by_role("button", name="Convert lead").click()

    # then the opportunity's page opens, in the pipeline's first stage
    expect(page.get_by_role("heading", level=1)).to_have_text("Bread ovens")
    expect(page.locator("#opportunity-revenue")).to_have_text("12500.00 EUR")
    expect(page.locator("#opportunity-activities")).not_to_contain_text("Loading activities")
    lead.refresh_from_db()
    assert lead.state == LeadState.CONVERTED
    opportunity = Opportunity.objects.get()

    # when she drags the card from "New" to "Proposal" on the board
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline", exact=True).click()
    page.wait_for_load_state()  # htmx and the board's script are ready
    card = page.locator(f'.board-card[data-opportunity-id="{opportunity.pk}"]')
    expect(column(page, "New").locator(".board-card")).to_have_count(1)
    card.drag_to(column(page, "Proposal"))

    # then the board shows it there, with the column's count and sum
    expect(page.locator("#crm-board .message")).to_have_text("“Bread ovens” moved to Proposal.")
    expect(column(page, "Proposal").locator(".board-card")).to_have_count(1)
    expect(column(page, "New").locator(".board-card")).to_have_count(0)
    expect(column(page, "Proposal").locator(".column-count")).to_have_text("1 opportunity")
    expect(column(page, "Proposal").locator(".column-sum")).to_have_text("12500.00")
    expect(page.locator(f'.board-card[data-opportunity-id="{opportunity.pk}"]')).to_be_focused()
    shot(page, "crm-03-dragged")
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Proposal"

    # when she moves it one column to the right with the keyboard alone
    card = page.locator(f'.board-card[data-opportunity-id="{opportunity.pk}"]')
    card.focus()
    page.keyboard.press("ArrowRight")

    # then it lands in "Negotiation" and keeps the focus, so she can go on
    expect(page.locator("#crm-board .message")).to_have_text("“Bread ovens” moved to Negotiation.")
    expect(column(page, "Negotiation").locator(".board-card")).to_have_count(1)
    expect(page.locator(f'.board-card[data-opportunity-id="{opportunity.pk}"]')).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#crm-board .message")).to_have_text("“Bread ovens” moved to Proposal.")
    expect(page.locator(f'.board-card[data-opportunity-id="{opportunity.pk}"]')).to_be_focused()

    # and the card's own "Move to" control does the same with Tab and Enter
    page.get_by_label("Move “Bread ovens” to").select_option(label="Qualified")
    page.get_by_role("button", name="Move").press("Enter")
    expect(page.locator("#crm-board .message")).to_have_text("“Bread ovens” moved to Qualified.")
    expect(column(page, "Qualified").locator(".board-card")).to_have_count(1)
    shot(page, "crm-04-keyboard")
    opportunity.refresh_from_db()
    assert (opportunity.stage.name, opportunity.version) == ("Qualified", 5)

    # and Enter on the card opens the opportunity
    page.locator(f'.board-card[data-opportunity-id="{opportunity.pk}"]').focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bread ovens")


def test_the_sales_manager_filters_the_board_and_marks_a_deal_lost(
    page: Page, live_server: Any, rep: Any, make_user: Any
) -> None:
    # given a sales manager, and deals of two reps
    manager = make_user("sales_manager", username="noor")
    other = make_user("sales", username="tom")
    reason = services.lost_reason_create(actor=manager, name="Price too high")
    for owner, names in ((rep, ["Ovens", "Mixers"]), (other, ["Fridges"])):
        party = parties.party_create(actor=owner, kind="organisation", name=f"Customer of {owner.username}")
        for name in names:
            services.opportunity_create(actor=owner, name=name, party=party.pk, expected_revenue="100")
    log_in(page, live_server, "noor")

    # when she looks at the whole board and then at one rep's deals
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline", exact=True).click()
    page.wait_for_load_state()  # htmx and the board's script are ready
    expect(page.locator(".board-card")).to_have_count(3)
    page.get_by_label("Owner").select_option(label=rep.get_full_name())
    expect(page.locator(".board-card")).to_have_count(2)
    expect(page).to_have_url(re.compile(rf"owner={rep.pk}"))
    shot(page, "crm-05-filtered")

    # and marks one of them lost, first forgetting the reason
    page.get_by_role("link", name="Mixers").click()
    page.get_by_text("Mark lost…").click()
    page.get_by_role("button", name="Mark lost").click()
    expect(page.locator("#opportunity-lose .error")).to_have_text("Choose why the opportunity was lost.")
    page.get_by_label("Lost reason").select_option(label="Price too high")
    page.get_by_label("Note on the loss").fill("Went with a cheaper offer")
    page.get_by_role("button", name="Mark lost").click()

    # then the deal is lost for that reason and leaves the board
    expect(page.locator("#opportunity-state")).to_have_text("Lost")
    expect(page.locator("#opportunity-lost-reason")).to_have_text("Price too high")
    shot(page, "crm-06-lost")
    item = Opportunity.objects.get(name="Mixers")
    assert (item.state, item.lost_reason_id) == ("lost", reason.pk)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline", exact=True).click()
    page.wait_for_load_state()  # htmx and the board's script are ready
    expect(page.locator(".board-card")).to_have_count(2)
