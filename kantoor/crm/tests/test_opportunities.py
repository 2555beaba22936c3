"""Opportunities through the pipeline: create, change, move between stages, win, lose with
a reason, reopen — and the party's timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kantoor.core.errors import StaleVersionError
from kantoor.core.models import OutboxEvent
from kantoor.core.outbox import run_pending_events
from kantoor.crm import services
from kantoor.crm.errors import OpportunityInvalidError, OpportunityStateError
from kantoor.crm.events import OpportunityLost, OpportunityWon
from kantoor.crm.models import Opportunity, OpportunityState
from kantoor.crm.tests.conftest import nothing_written
from kantoor.parties.models import PartyRole, TimelineEntry
from kantoor.parties.services import party_create


@pytest.fixture
def customer(rep):
    return party_create(actor=rep, kind="organisation", name="Hotel Zeezicht", roles=["prospect"])


@pytest.fixture
def deal(rep, customer, stages):
    return services.opportunity_create(
        actor=rep,
        name="Breakfast buffet",
        party=customer.pk,
        expected_revenue="8000",
        close_date=dt.date(2030, 3, 15),
    )


def test_opportunity_create_takes_the_first_stage_and_its_probability(deal, rep, sales_team, stages):
    assert deal.stage == stages["New"]
    assert deal.probability == Decimal(10)
    assert (deal.state, deal.currency, deal.owner_id, deal.team_id) == ("open", "EUR", rep.pk, sales_team.pk)
    assert deal.expected_revenue == Decimal("8000.00")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " "}, "name"),
        ({"expected_revenue": "-1"}, "expected_revenue"),
        ({"expected_revenue": "1.234"}, "expected_revenue"),
        ({"probability": "101"}, "probability"),
        ({"currency": "XXY"}, "currency"),
        ({"party": 999999}, "party"),
        ({"stage": 999999}, "stage"),
    ],
)
def test_opportunity_create_refuses_bad_input(rep, customer, stages, values, field):
    data = {"name": "Deal", "party": customer.pk, **values}
    with nothing_written(), pytest.raises(OpportunityInvalidError) as refused:
        services.opportunity_create(actor=rep, **data)
    assert field in refused.value.field_errors


def test_opportunity_move_sets_the_stage_probability_and_refuses_stale_versions(deal, rep, stages):
    moved = services.opportunity_move(
        actor=rep, opportunity_id=deal.pk, stage_id=stages["Proposal"].pk, version=1
    )
    assert (moved.stage_id, moved.probability, moved.version) == (stages["Proposal"].pk, Decimal(60), 2)
    with nothing_written(), pytest.raises(StaleVersionError):
        services.opportunity_move(actor=rep, opportunity_id=deal.pk, stage_id=stages["New"].pk, version=1)


def test_opportunity_update_keeps_a_given_probability(deal, rep, stages):
    changed = services.opportunity_update(
        actor=rep,
        opportunity_id=deal.pk,
        version=1,
        changes={"stage": stages["Negotiation"].pk, "probability": "70", "expected_revenue": "9000"},
    )
    assert (changed.stage_id, changed.probability, changed.expected_revenue) == (
        stages["Negotiation"].pk,
        Decimal(70),
        Decimal(9000),
    )


def test_opportunity_win_puts_it_on_the_timeline(deal, rep, customer):
    won = services.opportunity_win(actor=rep, opportunity_id=deal.pk, version=1)
    assert (won.state, won.probability) == (OpportunityState.WON, Decimal(100))
    assert won.won_at is not None
    # The prospect became a customer, keeping its earlier role.
    assert sorted(PartyRole.objects.filter(party=customer).values_list("role", flat=True)) == [
        "customer",
        "prospect",
    ]
    payload = OutboxEvent.objects.get(name=OpportunityWon.event_name).payload
    assert (payload["party_id"], payload["expected_revenue"]) == (customer.pk, "8000.00")
    with nothing_written(), pytest.raises(OpportunityStateError):
        services.opportunity_win(actor=rep, opportunity_id=deal.pk)
    with nothing_written(), pytest.raises(OpportunityStateError):
        services.opportunity_move(actor=rep, opportunity_id=deal.pk, stage_id=deal.stage_id, version=None)
    run_pending_events()
    entry = TimelineEntry.objects.get(party=customer, kind="crm.opportunity_won")
    assert entry.body == "Breakfast buffet · EUR 8000.00"


def test_opportunity_lose_needs_a_reason_then_reopen(deal, rep, customer, price_reason, stages):
    with nothing_written(), pytest.raises(OpportunityInvalidError) as refused:
        services.opportunity_lose(actor=rep, opportunity_id=deal.pk, lost_reason_id=999999)
    assert list(refused.value.field_errors) == ["lost_reason"]
    lost = services.opportunity_lose(
        actor=rep, opportunity_id=deal.pk, lost_reason_id=price_reason.pk, note="Went with a cheaper offer"
    )
    assert (lost.state, lost.lost_reason_id, lost.probability) == ("lost", price_reason.pk, Decimal(0))
    assert OutboxEvent.objects.get(name=OpportunityLost.event_name).payload["reason"] == "Price too high"
    run_pending_events()
    assert TimelineEntry.objects.get(party=customer, kind="crm.opportunity_lost").body == (
        "Breakfast buffet · Price too high"
    )
    reopened = services.opportunity_reopen(actor=rep, opportunity_id=deal.pk)
    assert (reopened.state, reopened.lost_reason_id, reopened.lost_at, reopened.probability) == (
        "open",
        None,
        None,
        Decimal(10),
    )
    with nothing_written(), pytest.raises(OpportunityStateError):
        services.opportunity_reopen(actor=rep, opportunity_id=deal.pk)


def test_an_inactive_lost_reason_is_refused(deal, rep, manager, price_reason):
    services.lost_reason_update(actor=manager, lost_reason_id=price_reason.pk, is_active=False)
    with nothing_written(), pytest.raises(OpportunityInvalidError):
        services.opportunity_lose(actor=rep, opportunity_id=deal.pk, lost_reason_id=price_reason.pk)
    assert Opportunity.objects.get(pk=deal.pk).state == "open"
