"""The activities demo: for the demo's parties and users, open tasks and calls (one
overdue), meetings this week, a call with a reminder, a note, a task done and one
cancelled — dated from today, in the company's time zone.

Runs after the parties demo; re-running creates only what is missing (each activity is
known by its subject).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.activities import services
from kantoor.activities.models import Activity
from kantoor.activities.targets import target_of
from kantoor.core import demo, policy
from kantoor.core.models import Company, User
from kantoor.parties.models import Party

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoActivity:
    """An activity of the demo: its subject (the natural key), who does it, when and how far
    it goes. `day` counts from today (`weekday` instead: from this week's Monday)."""

    subject: str
    user: str
    kind: str
    day: int = 0
    weekday: int | None = None
    at: tuple[int, int] | None = None  # local start time of calls and meetings
    minutes: int = 0  # length
    stage: str = "open"  # open, done, cancelled
    remind_before: int | None = None  # minutes before the start (or 08:00 on the day)
    party: int | None = 0  # which of the user's visible parties (by name), None for none


DEMO_ACTIVITIES = (
    DemoActivity(
        "Demo: call back about the quotation", "sales", "call", at=(10, 0), minutes=15, remind_before=15
    ),
    DemoActivity("Demo: send the revised price list", "sales", "task", day=-3),
    DemoActivity(
        "Demo: product demonstration at the customer",
        "sales",
        "meeting",
        weekday=3,
        at=(14, 0),
        minutes=90,
        party=1,
    ),
    DemoActivity("Demo: check the delivery address", "sales", "task", day=-5, stage="done", party=2),
    DemoActivity("Demo: prefers e-mail over phone calls", "sales", "note", party=1),
    DemoActivity(
        "Demo: quarterly account review",
        "sales_manager",
        "meeting",
        weekday=4,
        at=(9, 0),
        minutes=60,
        party=0,
    ),
    DemoActivity(
        "Demo: follow up on the broken chair",
        "service",
        "call",
        day=1,
        at=(11, 0),
        minutes=15,
        remind_before=30,
        party=3,
    ),
    DemoActivity("Demo: ask for the missing purchase order number", "finance", "task", day=2, party=4),
    DemoActivity("Demo: confirm the delivery window", "operations", "email", day=0, party=5),
    DemoActivity("Demo: invite to the spring fair", "marketing", "task", day=10, stage="cancelled"),
    DemoActivity(
        "Demo: team planning", "management", "meeting", weekday=0, at=(9, 30), minutes=30, party=None
    ),
)


@demo.register("activities", order=80)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """Activities in every state for the demo users, where missing."""
    advance = progress(_("Activities"), len(DEMO_ACTIVITIES))
    existing = set(Activity.objects.filter(company=company).values_list("subject", flat=True))
    zone = zoneinfo.ZoneInfo(company.time_zone)
    today = timezone.now().astimezone(zone).date()
    for spec in DEMO_ACTIVITIES:
        user = users.get(spec.user)
        if user is not None and spec.subject not in existing:
            _activity_load(spec, user, today, zone)
        advance(1)


@transaction.atomic
def _activity_load(spec: DemoActivity, user: User, today: dt.date, zone: zoneinfo.ZoneInfo) -> None:
    parties = list(
        policy.filter_queryset(
            user, "parties.view_party", Party.objects.filter(is_archived=False, merged_into__isnull=True)
        ).order_by("normalized_name", "id")[:6]
    )
    party = parties[spec.party % len(parties)] if parties and spec.party is not None else None
    day = today + dt.timedelta(days=spec.day)
    if spec.weekday is not None:
        day = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=spec.weekday)
    starts_at = ends_at = None
    if spec.at is not None:
        starts_at = dt.datetime.combine(day, dt.time(*spec.at), tzinfo=zone)
        ends_at = starts_at + dt.timedelta(minutes=spec.minutes) if spec.minutes else None
    reminder_at = None
    if spec.remind_before is not None:
        reminder_at = (starts_at or dt.datetime.combine(day, dt.time(8, 0), tzinfo=zone)) - dt.timedelta(
            minutes=spec.remind_before
        )
    activity = services.activity_create(
        actor=user,
        kind=spec.kind,
        subject=spec.subject,
        due_date=None if starts_at else day,
        starts_at=starts_at,
        ends_at=ends_at,
        reminder_at=reminder_at,
        target=target_of(party) if party else "",
    )
    if spec.stage == "done":
        services.activity_done(actor=user, activity_id=activity.pk)
    elif spec.stage == "cancelled":
        services.activity_cancel(actor=user, activity_id=activity.pk)
