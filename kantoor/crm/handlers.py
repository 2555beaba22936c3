"""Reactions to the crm app's own events: the party's 360° timeline shows the lead it came
from, and each opportunity won or lost.

The outbox runs each handler at least once and records a receipt per handler; the timeline
adds an entry once per event besides, so a redelivery changes nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from kantoor.crm.events import LeadConverted, OpportunityLost, OpportunityWon
from kantoor.crm.models import Lead, Opportunity
from kantoor.parties.services import timeline_entry_add


def on_lead_converted(event: LeadConverted) -> None:
    lead = Lead.objects.filter(pk=event.lead_id).first()
    opportunity = Opportunity.objects.filter(pk=event.opportunity_id).first()
    parts = [lead.get_source_display() if lead else "", opportunity.name if opportunity else ""]
    timeline_entry_add(
        party_id=event.party_id,
        kind="crm.lead_converted",
        title=gettext_noop("Lead converted into an opportunity"),
        body=" · ".join(p for p in parts if p),
        actor_id=event.actor_id,
        event=event,
    )


def on_opportunity_won(event: OpportunityWon) -> None:
    timeline_entry_add(
        party_id=event.party_id,
        kind="crm.opportunity_won",
        title=gettext_noop("Opportunity won"),
        body=f"{event.name} · {event.currency} {event.expected_revenue}",
        actor_id=event.actor_id,
        event=event,
    )


def on_opportunity_lost(event: OpportunityLost) -> None:
    timeline_entry_add(
        party_id=event.party_id,
        kind="crm.opportunity_lost",
        title=gettext_noop("Opportunity lost"),
        body=f"{event.name} · {event.reason}",
        actor_id=event.actor_id,
        event=event,
    )
