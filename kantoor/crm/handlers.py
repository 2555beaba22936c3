"""Reactions to the crm app's own events: the party's 360° timeline shows the lead it came
from, and each opportunity won or lost.

The outbox runs each handler at least once and records a receipt per handler; the timeline
adds an entry once per event besides, so a redelivery changes nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from kantoor.crm import services
from kantoor.crm.events import LeadConverted, OpportunityLost, OpportunityWon
from kantoor.crm.models import Lead, Opportunity
from kantoor.parties.services import timeline_entry_add
from kantoor.sales.events import OrderConfirmed


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


def on_order_confirmed(event: OrderConfirmed) -> None:
    """An order confirmed from a quotation made for an opportunity: the deal is won."""
    opportunity_id = services.opportunity_of_origin(event.origin)
    if opportunity_id is not None and event.company_id is not None:
        services.opportunity_won_by_order(company_id=event.company_id, opportunity_id=opportunity_id)
