"""Leads: capture, scoring, qualification, disqualification and conversion into a party
(linked when it exists — never copied) and an opportunity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kantoor.core.errors import StaleVersionError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.core.outbox import run_pending_events
from kantoor.crm import services
from kantoor.crm.errors import LeadInvalidError, LeadStateError
from kantoor.crm.events import LeadConverted, LeadCreated
from kantoor.crm.models import Lead, LeadState, Opportunity
from kantoor.crm.tests.conftest import nothing_written
from kantoor.parties.errors import DuplicatePartyError
from kantoor.parties.models import Party, PartyRole, TimelineEntry
from kantoor.parties.services import party_create


def _lead(actor, **values):
    defaults = {
        "contact_name": "Jan de Vries",
        "organisation_name": "Bakkerij De Vries",
        "email": "jan@bakkerijdevries.nl",
        "phone": "+31 20 123 4567",
        "country": "NL",
        "message": "We would like a quote for 20 ovens.",
        "source": "manual",
        "channel": "phone",
    }
    defaults.update(values)
    return services.lead_create(actor=actor, **defaults)


def test_lead_create_scores_and_announces(rep, sales_team):
    lead = _lead(rep)
    assert lead.state == LeadState.NEW
    assert (lead.owner_id, lead.team_id, lead.created_by_id) == (rep.pk, sales_team.pk, rep.pk)
    # organisation 15 + business e-mail 20 + phone 10 + short message 5 + home country 10
    assert lead.score == 60
    assert [item["rule"] for item in lead.score_details] == [
        "has_organisation",
        "business_email",
        "has_phone",
        "short_message",
        "home_country",
    ]
    event = OutboxEvent.objects.get(name=LeadCreated.event_name)
    assert event.payload["lead_id"] == lead.pk
    assert event.payload["source"] == "manual"
    assert AuditEntry.objects.filter(model="crm.lead", object_id=str(lead.pk), action="create").count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"contact_name": "", "organisation_name": ""}, "contact_name"),
        ({"email": "not-an-address"}, "email"),
        ({"country": "Netherlands"}, "country"),
        ({"source": "carrier-pigeon"}, "source"),
        ({"channel": "fax"}, "channel"),
        ({"phone": "1" * 41}, "phone"),
    ],
)
def test_lead_create_refuses_bad_input_and_writes_nothing(rep, values, field):
    with nothing_written(), pytest.raises(LeadInvalidError) as refused:
        _lead(rep, **values)
    assert field in refused.value.field_errors


def test_lead_update_rescores_and_refuses_a_stale_version(rep):
    lead = _lead(rep)
    updated = services.lead_update(
        actor=rep, lead_id=lead.pk, version=1, changes={"email": "jan@gmail.com", "phone": ""}
    )
    assert updated.version == 2
    # organisation 15 + free mail -5 + short message 5 + home country 10
    assert updated.score == 25
    with nothing_written(), pytest.raises(StaleVersionError):
        services.lead_update(actor=rep, lead_id=lead.pk, version=1, changes={"phone": "123"})


def test_lead_qualify_then_disqualify_needs_a_reason(rep):
    lead = _lead(rep)
    lead = services.lead_qualify(actor=rep, lead_id=lead.pk, version=1)
    assert lead.state == LeadState.QUALIFIED
    assert lead.qualified_at is not None
    with nothing_written(), pytest.raises(LeadInvalidError) as refused:
        services.lead_disqualify(actor=rep, lead_id=lead.pk, reason="  ")
    assert list(refused.value.field_errors) == ["reason"]
    lead = services.lead_disqualify(actor=rep, lead_id=lead.pk, reason="No budget this year")
    assert (lead.state, lead.disqualify_reason) == (LeadState.DISQUALIFIED, "No budget this year")
    with nothing_written(), pytest.raises(LeadStateError):
        services.lead_qualify(actor=rep, lead_id=lead.pk)
    with nothing_written(), pytest.raises(LeadStateError):
        services.lead_update(actor=rep, lead_id=lead.pk, version=None, changes={"phone": "1"})
    lead = services.lead_reopen(actor=rep, lead_id=lead.pk)
    assert (lead.state, lead.disqualify_reason) == (LeadState.NEW, "")


def test_lead_convert_creates_party_and_opportunity(rep, stages):
    lead = _lead(rep)
    lead = services.lead_convert(
        actor=rep, lead_id=lead.pk, expected_revenue="12000.00", opportunity_name="20 ovens"
    )
    assert lead.state == LeadState.CONVERTED
    party = Party.objects.get(pk=lead.party_id)
    assert (party.name, party.kind, party.owner_id) == ("Bakkerij De Vries", "organisation", rep.pk)
    assert set(PartyRole.objects.filter(party=party).values_list("role", flat=True)) == {"prospect"}
    opportunity = Opportunity.objects.get(pk=lead.opportunity_id)
    assert (opportunity.name, opportunity.party_id, opportunity.lead_id) == ("20 ovens", party.pk, lead.pk)
    assert opportunity.stage == stages["New"]
    assert opportunity.probability == Decimal(10)
    assert opportunity.expected_revenue == Decimal("12000.00")
    assert opportunity.currency == "EUR"
    assert opportunity.owner_id == rep.pk
    event = OutboxEvent.objects.get(name=LeadConverted.event_name)
    assert event.payload["party_created"] is True
    run_pending_events()
    entry = TimelineEntry.objects.get(party=party, kind="crm.lead_converted")
    assert entry.title == "Lead converted into an opportunity"
    with nothing_written(), pytest.raises(LeadStateError):
        services.lead_convert(actor=rep, lead_id=lead.pk)


def test_lead_convert_links_an_existing_customer_and_copies_nothing(rep, stages):
    customer = party_create(actor=rep, kind="organisation", name="Bakkerij De Vries", roles=["customer"])
    lead = _lead(rep)
    parties_before = Party.objects.count()
    lead = services.lead_convert(actor=rep, lead_id=lead.pk, party_id=customer.pk)
    assert Party.objects.count() == parties_before
    assert lead.party_id == customer.pk
    # A customer stays a customer (not demoted to a prospect, no second role added).
    assert list(PartyRole.objects.filter(party=customer).values_list("role", flat=True)) == ["customer"]
    assert Opportunity.objects.get(pk=lead.opportunity_id).party_id == customer.pk
    assert OutboxEvent.objects.get(name=LeadConverted.event_name).payload["party_created"] is False


def test_lead_convert_stops_at_a_look_alike_party_until_confirmed(rep, stages):
    existing = party_create(
        actor=rep,
        kind="organisation",
        name="Other name B.V.",
        contact_points=[{"kind": "email", "value": "jan@bakkerijdevries.nl"}],
    )
    lead = _lead(rep)
    with nothing_written(), pytest.raises(DuplicatePartyError) as refused:
        services.lead_convert(actor=rep, lead_id=lead.pk)
    assert [c["id"] for c in refused.value.candidates] == [existing.pk]
    lead = services.lead_convert(actor=rep, lead_id=lead.pk, confirmed_duplicate_ids=[existing.pk])
    assert lead.party_id not in (None, existing.pk)


def test_lead_convert_refuses_a_party_out_of_sight(rep, stranger_rep, stages):
    hidden = party_create(actor=stranger_rep, kind="organisation", name="Hidden B.V.")
    lead = _lead(rep)
    with nothing_written(), pytest.raises(LeadInvalidError) as refused:
        services.lead_convert(actor=rep, lead_id=lead.pk, party_id=hidden.pk)
    assert list(refused.value.field_errors) == ["party_id"]
    assert Lead.objects.get(pk=lead.pk).state == LeadState.NEW
