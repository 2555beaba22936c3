"""The activities demo step: open, overdue, done and cancelled activities, meetings this
week and reminders, for the demo's users and parties — re-runnable without duplicates."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kantoor.activities.demo import DEMO_ACTIVITIES
from kantoor.activities.models import Activity
from kantoor.activities.selectors import company_today
from kantoor.core import demo as core_demo

pytestmark = pytest.mark.django_db


def load(*names: str) -> Any:
    loaded = core_demo.demo_company_load()
    steps = {step.name: step for step in core_demo.steps()}
    for name in names:
        options = {"parties": 40} if name == "parties" else {}
        steps[name].load(
            loaded.company, loaded.users, core_demo.step_random(name), lambda *_: lambda n=1: None, options
        )
    return loaded


def test_the_demo_makes_activities_in_every_state_once() -> None:
    loaded = load("parties", "activities")
    activities = {a.subject: a for a in Activity.objects.filter(company=loaded.company)}
    assert len(activities) == len(DEMO_ACTIVITIES)
    assert Counter(a.state for a in activities.values()) == Counter({"open": 8, "done": 2, "cancelled": 1})
    today = company_today(loaded.company)
    assert activities["Demo: send the revised price list"].is_overdue_on(today)
    meetings = [a for a in activities.values() if a.kind == "meeting"]
    assert len(meetings) == 3
    assert all(a.due_date.isocalendar()[:2] == today.isocalendar()[:2] for a in meetings if a.due_date)
    assert sum(1 for a in activities.values() if a.reminder_at is not None) == 2
    assert activities["Demo: product demonstration at the customer"].party_id is not None
    assert activities["Demo: team planning"].party_id is None
    load("activities")
    assert Activity.objects.filter(company=loaded.company).count() == len(DEMO_ACTIVITIES)
