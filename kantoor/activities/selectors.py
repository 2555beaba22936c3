"""Reads of activities, scoped by the policy to the actor's company and reach: the actor's
own list ("my activities": open first, overdue flagged, by due date), the activities of a
party or of a record, a calendar month, and the user's calendar feed."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.activities.models import Activity, ActivityFeed, ActivityState
from kantoor.activities.targets import target_parse
from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import Company, User
from kantoor.parties.models import Party

VIEW = "activities.view_activity"
MANAGE = "activities.manage_activity"
# The calendar feed shows this far back (and everything ahead).
FEED_HISTORY = dt.timedelta(days=90)
FEED_LIMIT = 2000


def company_today(company: Company | None, now: dt.datetime | None = None) -> dt.date:
    """Today in the company's time zone (due dates are days there)."""
    now = now or timezone.now()
    try:
        zone = zoneinfo.ZoneInfo(company.time_zone if company else "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return now.astimezone(zone).date()


def with_overdue(activities: QuerySet[Activity], today: dt.date) -> QuerySet[Activity]:
    """Annotate `is_overdue`: open and due before `today`."""
    return activities.annotate(
        is_overdue=Case(
            When(state=ActivityState.OPEN, due_date__lt=today, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def activities_visible(actor: policy.Actor) -> QuerySet[Activity]:
    return policy.filter_queryset(
        actor, VIEW, Activity.objects.select_related("assignee", "party", "target_type")
    )


def activities_list(
    actor: policy.Actor,
    *,
    mine: bool = False,
    party_id: int | None = None,
    target: str = "",
    state: str = "",
    kind: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    q: str = "",
) -> QuerySet[Activity]:
    """The activities the actor may see, filtered; ordered by the agenda (open first, by day)."""
    activities = activities_visible(actor)
    if mine:
        activities = activities.filter(assignee_id=getattr(actor, "pk", None))
    if party_id is not None:
        activities = activities.filter(party_id=party_id)
    if target:
        model, pk = target_parse(target)
        activities = activities.filter(target_type=ContentType.objects.get_for_model(model), target_id=pk)
    if state:
        activities = activities.filter(state=state)
    if kind:
        activities = activities.filter(kind=kind)
    if date_from is not None:
        activities = activities.filter(due_date__gte=date_from)
    if date_to is not None:
        activities = activities.filter(due_date__lte=date_to)
    if q:
        activities = activities.filter(
            Q(subject__icontains=q) | Q(party__name__icontains=q) | Q(target_label__icontains=q)
        )
    return activities.order_by("agenda_key", "id")


def my_activities(actor: User, *, state: str = ActivityState.OPEN) -> QuerySet[Activity]:
    """The actor's own activities (open ones by default), overdue flagged, by due date."""
    today = company_today(actor.company)
    return with_overdue(activities_list(actor, mine=True, state=state), today)


def activities_of_party(actor: policy.Actor, party_id: int) -> QuerySet[Activity]:
    return activities_list(actor, party_id=party_id)


def activities_of_target(actor: policy.Actor, target: str) -> QuerySet[Activity]:
    """The activities logged against one record ("sales.salesorder:12") that the actor may see."""
    return activities_list(actor, target=target)


def activity_get_for_actor(actor: policy.Actor, activity_id: int) -> Activity:
    """The activity (a 404 for one of another company or beyond the actor's reach)."""
    activity = (
        activities_visible(actor).filter(pk=activity_id).first() if isinstance(activity_id, int) else None
    )
    if activity is None:
        raise NotFoundError(_("Not found."))
    return activity


@dataclass
class CalendarDay:
    day: dt.date
    in_month: bool
    is_today: bool
    activities: list[Activity] = field(default_factory=list)


@dataclass
class CalendarMonth:
    year: int
    month: int
    weeks: list[list[CalendarDay]]

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def previous(self) -> dt.date:
        return (self.first - dt.timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> dt.date:
        return (self.first + dt.timedelta(days=31)).replace(day=1)


def activities_in_range(
    actor: policy.Actor, first: dt.date, last: dt.date, *, mine: bool = True
) -> QuerySet[Activity]:
    """The activities due from `first` to `last` (not cancelled), by day and time."""
    return activities_list(actor, mine=mine, date_from=first, date_to=last).exclude(
        state=ActivityState.CANCELLED
    )


def calendar_month(actor: User, year: int, month: int, *, mine: bool = True) -> CalendarMonth:
    """The month as weeks (Monday first) of days with their activities."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    today = company_today(actor.company)
    by_day: dict[dt.date, list[Activity]] = defaultdict(list)
    activities = activities_in_range(actor, first, last, mine=mine).order_by("due_date", "starts_at", "id")
    for activity in activities:
        if activity.due_date is not None:
            by_day[activity.due_date].append(activity)
    return CalendarMonth(
        year=year,
        month=month,
        weeks=[
            [
                CalendarDay(
                    day=day, in_month=day.month == month, is_today=day == today, activities=by_day[day]
                )
                for day in week
            ]
            for week in weeks
        ],
    )


def feed_of_user(user: User) -> ActivityFeed | None:
    return ActivityFeed.objects.filter(user=user).first()


def feed_by_token(token: str) -> ActivityFeed | None:
    """The feed of an active user with this token (None for an unknown one)."""
    if not token or len(token) > 64:
        return None
    return (
        ActivityFeed.objects.select_related("user", "user__company")
        .filter(token=token, user__is_active=True, user__company__isnull=False)
        .first()
    )


def feed_activities(user: User, now: dt.datetime | None = None) -> list[Activity]:
    """What a user's calendar feed shows: their own activities with a day, not cancelled,
    from FEED_HISTORY ago on. Read as the system (the feed has no session), limited to
    the user's company and assignments."""
    since = company_today(user.company, now) - FEED_HISTORY
    return list(
        Activity.objects.select_related("party")
        .filter(company_id=user.company_id or 0, assignee=user, due_date__gte=since)
        .exclude(state=ActivityState.CANCELLED)
        .order_by("due_date", "id")[:FEED_LIMIT]
    )


def reminders_due(now: dt.datetime) -> QuerySet[Activity]:
    """Open activities whose reminder time has passed and whose reminder was not sent."""
    return Activity.objects.filter(
        reminder_at__lte=now, reminded_at__isnull=True, state=ActivityState.OPEN
    ).order_by("reminder_at", "id")


def assignable_users(actor: User) -> QuerySet[User]:
    """The active colleagues an activity may be assigned to (the service checks the reach)."""
    return User.objects.filter(company_id=actor.company_id or 0, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def party_visible(actor: policy.Actor, party_id: int) -> Party | None:
    """The party, if the actor may see it (for forms showing the chosen party)."""
    return (
        policy.filter_queryset(actor, "parties.view_party", Party.objects.all()).filter(pk=party_id).first()
    )
