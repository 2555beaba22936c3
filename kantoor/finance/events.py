"""Events the finance app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class EntryPosted(Event):
    entry_id: int
    journal_id: int
    number: str
    date: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class EntryReversed(Event):
    """`entry_id` was reversed by the posted entry `reversal_id`."""

    entry_id: int
    reversal_id: int
    number: str
    reversal_number: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PeriodLocked(Event):
    """Nothing may be posted on or before `locked_until` any more (a closed period or the lock date)."""

    locked_until: str
    period_id: int | None = None
    actor_id: int | None = None
