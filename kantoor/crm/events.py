"""Events the crm app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class LeadCreated(Event):
    """A lead came in (web form, API, import, e-mail or by hand)."""

    lead_id: int
    source: str
    channel: str
    score: int
    owner_id: int | None = None
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class LeadConverted(Event):
    """A lead became (or was linked to) a party, with an opportunity for it."""

    lead_id: int
    party_id: int
    opportunity_id: int
    party_created: bool
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OpportunityWon(Event):
    opportunity_id: int
    party_id: int
    name: str
    currency: str
    expected_revenue: str
    owner_id: int | None = None
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OpportunityLost(Event):
    opportunity_id: int
    party_id: int
    name: str
    reason: str
    actor_id: int | None = None
