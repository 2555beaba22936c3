"""Events the activities app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class ActivityLogged(Event):
    """An activity was logged (planned, or recorded as it happened); `target` is the record
    it is logged against ("sales.salesorder:12", or "")."""

    activity_id: int
    kind: str
    subject: str
    party_id: int | None = None
    target: str = ""
    assignee_id: int | None = None
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ActivityDone(Event):
    activity_id: int
    kind: str
    subject: str
    party_id: int | None = None
    target: str = ""
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ActivityReminderDue(Event):
    """The reminder time of an open activity passed: a handler e-mails the assignee."""

    activity_id: int
    assignee_id: int
