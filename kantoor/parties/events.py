"""Events the parties app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class PartyCreated(Event):
    party_id: int
    name: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PartyUpdated(Event):
    party_id: int
    changed_fields: list[str] = field(default_factory=list)
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PartyArchived(Event):
    party_id: int
    is_archived: bool
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PartiesMerged(Event):
    """`source_id` was merged into `target_id`; every reference now points at the target."""

    source_id: int
    target_id: int
    source_name: str
    actor_id: int | None = None
