"""Who may do what: a sales rep changes own leads and opportunities and sees the team's;
the sales manager sees and changes all; marketing sees and brings in leads; another
company's users, or reps of another team, do not even learn that a record exists (404)."""

from __future__ import annotations

import pytest

from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.crm import selectors, services
from kantoor.crm.tests.conftest import nothing_written
from kantoor.parties.services import party_create


@pytest.fixture
def rita_lead(rep):
    return services.lead_create(actor=rep, contact_name="Piet Jansen", email="piet@jansen.nl")


@pytest.fixture
def rita_deal(rep, stages):
    party = party_create(actor=rep, kind="organisation", name="Jansen B.V.")
    return services.opportunity_create(actor=rep, name="Jansen", party=party.pk, expected_revenue="100")


def test_rep_sees_the_teams_leads_but_changes_only_own(rep, teammate, rita_lead, rita_deal):
    assert list(selectors.leads_list(teammate)) == [rita_lead]
    assert selectors.lead_get_for_actor(teammate, rita_lead.pk) == rita_lead
    assert list(selectors.opportunities_list(teammate)) == [rita_deal]
    assert selectors.lead_can_change(rep, rita_lead) is True
    assert selectors.lead_can_change(teammate, rita_lead) is False
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.lead_update(actor=teammate, lead_id=rita_lead.pk, version=None, changes={"phone": "1"})
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.lead_qualify(actor=teammate, lead_id=rita_lead.pk)
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.opportunity_win(actor=teammate, opportunity_id=rita_deal.pk)


def test_rep_cannot_hand_a_lead_to_someone_else(rep, teammate, rita_lead):
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.lead_update(actor=rep, lead_id=rita_lead.pk, version=None, changes={"owner": teammate.pk})
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.lead_create(actor=rep, contact_name="X", owner=teammate.pk)


@pytest.mark.parametrize("who", ["stranger_rep", "outsider"])
def test_other_teams_and_companies_get_not_found(request, who, rita_lead, rita_deal):
    actor = request.getfixturevalue(who)
    assert list(selectors.leads_list(actor)) == []
    assert list(selectors.opportunities_list(actor)) == []
    with pytest.raises(NotFoundError):
        selectors.lead_get_for_actor(actor, rita_lead.pk)
    with nothing_written(), pytest.raises(NotFoundError):
        services.lead_update(actor=actor, lead_id=rita_lead.pk, version=None, changes={"phone": "1"})
    with nothing_written(), pytest.raises(NotFoundError):
        services.opportunity_move(
            actor=actor, opportunity_id=rita_deal.pk, stage_id=rita_deal.stage_id, version=None
        )


def test_manager_sees_and_changes_everything(manager, rita_lead, rita_deal, stages):
    assert list(selectors.leads_list(manager)) == [rita_lead]
    lead = services.lead_qualify(actor=manager, lead_id=rita_lead.pk)
    assert lead.state == "qualified"
    deal = services.opportunity_move(
        actor=manager, opportunity_id=rita_deal.pk, stage_id=stages["Proposal"].pk, version=None
    )
    assert deal.stage_id == stages["Proposal"].pk


def test_marketing_brings_in_leads_but_does_not_sell(marketer, rita_lead, rita_deal, stages):
    lead = services.lead_create(actor=marketer, contact_name="Event visitor", source="event", channel="event")
    assert lead.owner_id == marketer.pk
    assert len(selectors.leads_list(marketer)) == 2
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.lead_qualify(actor=marketer, lead_id=lead.pk)
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.opportunity_win(actor=marketer, opportunity_id=rita_deal.pk)


def test_only_the_manager_configures_the_pipeline(rep, manager, stages):
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.stage_create(actor=rep, name="Demo", probability="50")
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.lost_reason_create(actor=rep, name="Timing")
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.web_form_create(actor=rep, name="Landing page")
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.scoring_weights_set(actor=rep, weights={"has_phone": 30})
    stage = services.stage_create(actor=manager, name="Demo", probability="50")
    assert (stage.sequence, stage.probability) == (50, 50)


def test_without_a_role_nothing(nobody, rita_lead):
    assert list(selectors.leads_list(nobody)) == []
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.lead_create(actor=nobody, contact_name="X")


def test_global_search_finds_what_the_actor_sees(rep, stranger_rep, rita_lead, rita_deal):
    hits = selectors.crm_search_hits(rep, "jans", 10)
    assert [(h.kind, h.title, h.url_args) for h in hits] == [
        ("Lead", "Piet Jansen", (rita_lead.pk,)),
        ("Opportunity", "Jansen", (rita_deal.pk,)),
    ]
    assert selectors.crm_search_hits(stranger_rep, "jans", 10) == []
