"""A user's activities as an iCalendar feed (RFC 5545, written with `icalendar`): calls and
meetings with a start as timed events, everything else with a due day as all-day events
(calendar apps show those; few show to-dos). UIDs are stable per activity, and SEQUENCE is
its version, so a subscribed calendar updates events in place."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from kantoor.activities.models import Activity, ActivityState
from kantoor.activities.selectors import VIEW, feed_activities, feed_by_token
from kantoor.core import policy
from kantoor.core.models import User

PRODUCT_ID = "-//Kantoor//Activities//EN"
# A call without an end lasts this long in the calendar; a meeting an hour.
DEFAULT_LENGTH = {"call": dt.timedelta(minutes=15), "meeting": dt.timedelta(hours=1)}


def activity_uid(activity: Activity) -> str:
    return f"activity-{activity.pk}-{activity.company_id}@kantoor"


def _event(activity: Activity, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", activity_uid(activity))
    event.add("dtstamp", stamp)
    event.add("sequence", activity.version)
    event.add("last-modified", activity.updated_at)
    event.add("created", activity.created_at)
    done = activity.state == ActivityState.DONE
    summary = f"{activity.get_kind_display()}: {activity.subject}"
    event.add("summary", f"✓ {summary}" if done else summary)
    if activity.starts_at is not None:
        event.add("dtstart", activity.starts_at.astimezone(dt.UTC))
        length = DEFAULT_LENGTH.get(activity.kind, dt.timedelta(hours=1))
        ends = activity.ends_at or activity.starts_at + length
        event.add("dtend", ends.astimezone(dt.UTC))
        event.add("transp", "OPAQUE")
    elif activity.due_date is not None:  # feed_activities reads only activities with a day
        event.add("dtstart", activity.due_date)
        event.add("dtend", activity.due_date + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a task on a day does not make one busy
    event.add("status", "CONFIRMED")
    event.add("categories", [activity.get_kind_display()])
    details = []
    if activity.party is not None:
        details.append(_("With: %(party)s") % {"party": activity.party.name})
    if activity.target_label:
        details.append(_("About: %(record)s") % {"record": activity.target_label})
    if activity.notes:
        details.append(activity.notes)
    if details:
        event.add("description", "\n".join(details))
    return event


def feed_calendar(user: User, now: dt.datetime | None = None) -> Calendar:
    """The user's feed as a calendar, in the user's language."""
    now = now or timezone.now()
    with translation.override(user.language or None):
        calendar = Calendar()
        calendar.add("prodid", PRODUCT_ID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        name = _("Kantoor activities of %(name)s") % {"name": user.get_full_name() or user.username}
        calendar.add("x-wr-calname", name)
        calendar.add("name", name)
        calendar.add("refresh-interval", dt.timedelta(minutes=30), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT30M")
        for activity in feed_activities(user, now):
            calendar.add_component(_event(activity, now))
    return calendar


def feed_ics(token: str, now: dt.datetime | None = None) -> bytes | None:
    """The .ics of the feed with this token, or None for an unknown token."""
    feed = feed_by_token(token)
    # A user who lost every role (or left) has no feed, whatever the URL.
    if feed is None or not policy.has_permission(feed.user, VIEW):
        return None
    return feed_calendar(feed.user, now).to_ical()
