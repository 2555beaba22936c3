"""The calendar feed: parsed back with icalendar, it holds the user's own timed calls and
meetings as events and their tasks as all-day events, with stable UIDs; nobody else's,
nothing cancelled, nothing without a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from icalendar import Calendar

from kantoor.activities import feed, selectors, services
from kantoor.core.services import user_update

pytestmark = pytest.mark.django_db


def _calendar(user: Any) -> Calendar:
    token = services.feed_rotate(actor=user).token
    content = feed.feed_ics(token)
    assert content is not None
    return Calendar.from_ical(content)


def test_the_feed_holds_the_users_own_activities(rep: Any, teammate: Any, customer: Any) -> None:
    today = selectors.company_today(rep.company)
    meeting = services.activity_create(
        actor=rep,
        kind="meeting",
        subject="Tasting",
        starts_at=dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 3, 4, 10, 30, tzinfo=dt.UTC),
        party_id=customer.pk,
        notes="Bring samples",
    )
    call = services.activity_create(
        actor=rep, kind="call", subject="Ring", starts_at=dt.datetime(2030, 3, 5, 14, 0, tzinfo=dt.UTC)
    )
    task = services.activity_create(actor=rep, kind="task", subject="Send offer", due_date=today)
    done = services.activity_create(actor=rep, kind="task", subject="Sent", due_date=today)
    services.activity_done(actor=rep, activity_id=done.pk)
    cancelled = services.activity_create(actor=rep, kind="task", subject="Dropped", due_date=today)
    services.activity_cancel(actor=rep, activity_id=cancelled.pk)
    services.activity_create(actor=rep, kind="task", subject="Some day")  # no day: not in a calendar
    services.activity_create(
        actor=rep, kind="task", subject="Long ago", due_date=today - dt.timedelta(days=200)
    )
    services.activity_create(actor=teammate, kind="task", subject="Tom's", due_date=today)

    calendar = _calendar(rep)
    assert str(calendar["X-WR-CALNAME"]) == f"Kantoor activities of {rep.get_full_name()}"
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {f"activity-{a.pk}-{rep.company_id}@kantoor" for a in (meeting, call, task, done)}
    timed = events[f"activity-{meeting.pk}-{rep.company_id}@kantoor"]
    assert str(timed["SUMMARY"]) == "Meeting: Tasting"
    assert timed.decoded("DTSTART") == dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)
    assert timed.decoded("DTEND") == dt.datetime(2030, 3, 4, 10, 30, tzinfo=dt.UTC)
    assert str(timed["DESCRIPTION"]) == "With: Bakkerij De Korenschoof\nBring samples"
    assert int(timed["SEQUENCE"]) == 1
    ring = events[f"activity-{call.pk}-{rep.company_id}@kantoor"]
    assert ring.decoded("DTEND") - ring.decoded("DTSTART") == dt.timedelta(minutes=15)
    all_day = events[f"activity-{task.pk}-{rep.company_id}@kantoor"]
    assert (all_day.decoded("DTSTART"), all_day.decoded("DTEND")) == (today, today + dt.timedelta(days=1))
    assert str(all_day["TRANSP"]) == "TRANSPARENT"
    assert str(events[f"activity-{done.pk}-{rep.company_id}@kantoor"]["SUMMARY"]) == "✓ Task: Sent"


def test_the_uid_stays_when_the_activity_changes(rep: Any) -> None:
    task = services.activity_create(actor=rep, kind="task", subject="Plan", due_date=dt.date(2030, 1, 1))
    before = [str(e["UID"]) for e in _calendar(rep).walk("VEVENT")]
    services.activity_reschedule(actor=rep, activity_id=task.pk, due_date=dt.date(2030, 1, 9))
    after = _calendar(rep).walk("VEVENT")
    assert [str(e["UID"]) for e in after] == before
    assert (after[0].decoded("DTSTART"), int(after[0]["SEQUENCE"])) == (dt.date(2030, 1, 9), 2)


def test_an_unknown_token_or_an_inactive_user_has_no_feed(rep: Any, admin_user: Any) -> None:
    token = services.feed_rotate(actor=rep).token
    assert feed.feed_ics("nope") is None
    assert feed.feed_ics("") is None
    # without any role, no feed
    user_update(actor=admin_user, user_id=rep.pk, changes={}, roles={})
    assert feed.feed_ics(token) is None
    user_update(actor=admin_user, user_id=rep.pk, changes={}, roles={"sales": "own"})
    assert feed.feed_ics(token) is not None
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    assert feed.feed_ics(token) is None
