"""Writes of activities: log one (against a record and its party), change it, reschedule
it, tick it off, reopen or cancel it; the reminders the scheduler sends; each user's
calendar feed token.

Every function owns its transaction, checks the policy (`activities.manage_activity`,
within the actor's scope: own, team or company), locks the activity it changes and re-reads
it, refuses bad input with an ActivityInvalidError naming the fields (nothing is written
then), records an audit row and publishes its events through the outbox. Reminder e-mails
leave only after commit, from a handler (handlers.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.activities.errors import ActivityInvalidError, ActivityStateError
from kantoor.activities.events import ActivityDone, ActivityLogged, ActivityReminderDue
from kantoor.activities.models import (
    TIMED_KINDS,
    Activity,
    ActivityFeed,
    ActivityKind,
    ActivityState,
    agenda_key_of,
)
from kantoor.activities.selectors import MANAGE, VIEW, reminders_due
from kantoor.activities.targets import Target, target_of, target_resolve
from kantoor.core import audit, policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import Company, Team, User
from kantoor.core.outbox import publish
from kantoor.core.services import require_version
from kantoor.core.validation import text_errors
from kantoor.parties.models import Party

__all__ = [
    "activity_cancel",
    "activity_create",
    "activity_done",
    "activity_reopen",
    "activity_reschedule",
    "activity_update",
    "feed_rotate",
    "reminders_send",
    "target_of",
]

NOTES_LIMIT = 20000
# The fields activity_update changes (None clears the optional ones).
EDITABLE = frozenset(
    {
        "kind",
        "subject",
        "notes",
        "due_date",
        "starts_at",
        "ends_at",
        "assignee_id",
        "team_id",
        "party_id",
        "target",
        "reminder_at",
    }
)
AUDITED = [
    "kind",
    "subject",
    "notes",
    "state",
    "due_date",
    "starts_at",
    "ends_at",
    "assignee",
    "team",
    "party",
    "target_type",
    "target_id",
    "reminder_at",
]
REMINDER_BATCH = 500


def _zone(company: Company) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(company.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _aware(value: Any, name: str, errors: dict[str, list[str]]) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        errors.setdefault(name, []).append(_("Enter a date and time."))
        return None
    if timezone.is_naive(value):
        errors.setdefault(name, []).append(_("Give the time with its time zone."))
        return None
    return value


def _check(actor: User, company: Company, values: Mapping[str, Any]) -> dict[str, Any]:
    """The checked field values of an activity (its whole new state), or ActivityInvalidError
    with every field at fault."""
    errors: dict[str, list[str]] = {}
    kind = values.get("kind")
    if kind not in ActivityKind.values:
        errors["kind"] = [_("Choose a task, call, meeting, note or e-mail.")]
    subject = " ".join(str(values.get("subject") or "").split())
    if not subject:
        errors["subject"] = [_("Give the activity a subject.")]
    notes = str(values.get("notes") or "")
    if len(notes) > NOTES_LIMIT:
        errors["notes"] = [_("At most %d characters.") % NOTES_LIMIT]
    errors.update(text_errors(Activity, {"subject": subject, "notes": notes}))
    due_date = values.get("due_date")
    if due_date is not None and (not isinstance(due_date, dt.date) or isinstance(due_date, dt.datetime)):
        errors["due_date"] = [_("Enter a date.")]
        due_date = None
    starts_at = _aware(values.get("starts_at"), "starts_at", errors)
    ends_at = _aware(values.get("ends_at"), "ends_at", errors)
    reminder_at = _aware(values.get("reminder_at"), "reminder_at", errors)
    if starts_at is not None and kind in ActivityKind.values and kind not in TIMED_KINDS:
        errors.setdefault("starts_at", []).append(_("Only calls and meetings have a start time."))
    if kind == ActivityKind.MEETING and starts_at is None and "starts_at" not in errors:
        errors["starts_at"] = [_("A meeting needs a start time.")]
    if ends_at is not None and starts_at is None and "starts_at" not in errors:
        errors.setdefault("ends_at", []).append(_("An end time needs a start time."))
    if ends_at is not None and starts_at is not None and ends_at < starts_at:
        errors.setdefault("ends_at", []).append(_("The end is before the start."))
    if starts_at is not None:
        # A timed activity is due on the day it starts, in the company's time zone.
        due_date = starts_at.astimezone(_zone(company)).date()

    assignee_id = values.get("assignee_id") or actor.pk
    assignee = User.objects.filter(pk=assignee_id, company_id=company.pk, is_active=True).first()
    if assignee is None:
        errors["assignee_id"] = [_("Choose an active colleague.")]
    team_id = values.get("team_id")
    if team_id is not None and not Team.objects.filter(pk=team_id, company_id=company.pk).exists():
        errors["team_id"] = [_("Choose a team of your company.")]
        team_id = None

    target: Target | None = None
    reference = values.get("target") or ""
    if reference:
        try:
            target = target_resolve(actor, reference, company_id=company.pk)
        except ActivityInvalidError as exc:
            errors.update(exc.field_errors)
    party_id = values.get("party_id")
    if party_id is not None:
        party = Party.objects.filter(pk=party_id, company_id=company.pk).first()
        if party is None or not policy.allows(actor, "parties.view_party", party):
            errors["party_id"] = [_("That party does not exist.")]
        elif party.merged_into_id is not None:
            errors["party_id"] = [_("This party was merged into another one; choose that one.")]
    elif target is not None:
        party_id = target.party_id  # logged against a record: its party

    if errors:
        raise ActivityInvalidError(_("Please correct the marked fields."), field_errors=errors)
    return {
        "kind": kind,
        "subject": subject,
        "notes": notes,
        "due_date": due_date,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "assignee_id": assignee_id,
        "team_id": team_id,
        "party_id": party_id,
        "target_type": target.content_type if target else None,
        "target_id": target.object_id if target else None,
        "target_label": target.label if target else "",
        "reminder_at": reminder_at,
    }


def _require_reach(actor: User, activity: Activity) -> None:
    """The activity as it will be must stay within the actor's reach (assigning it to a
    colleague beyond it would hand it out of the actor's own sight)."""
    if not policy.allows(actor, MANAGE, activity):
        raise ActivityInvalidError(
            _("You can only assign activities to yourself or, with a team scope, to your team."),
            field_errors={"assignee_id": [_("Beyond your reach: choose yourself or your team.")]},
        )


def _logged(activity: Activity, actor: User | None) -> ActivityLogged:
    return ActivityLogged(
        company_id=activity.company_id,
        activity_id=activity.pk,
        kind=activity.kind,
        subject=activity.subject,
        party_id=activity.party_id,
        target=activity.target,
        assignee_id=activity.assignee_id,
        actor_id=actor.pk if actor else None,
    )


def _done(activity: Activity, actor: User | None) -> ActivityDone:
    return ActivityDone(
        company_id=activity.company_id,
        activity_id=activity.pk,
        kind=activity.kind,
        subject=activity.subject,
        party_id=activity.party_id,
        target=activity.target,
        actor_id=actor.pk if actor else None,
    )


def _rekey(activity: Activity) -> None:
    activity.agenda_key = agenda_key_of(activity.state, activity.due_date, activity.starts_at)


@transaction.atomic
def activity_create(
    *,
    actor: User,
    kind: str,
    subject: str,
    notes: str = "",
    due_date: dt.date | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    assignee_id: int | None = None,
    team_id: int | None = None,
    party_id: int | None = None,
    target: str = "",
    reminder_at: dt.datetime | None = None,
) -> Activity:
    """Log an activity, assigned to the actor unless another colleague (within the actor's
    reach) is given. Against a record (`target`, "sales.salesorder:12"), its party is filled
    in unless one is given. A note records what happened: it is done at once; the other kinds
    are open. Publishes ActivityLogged."""
    policy.require(actor, MANAGE)
    company = Company.objects.get(pk=policy.actor_company_id(actor))
    values = _check(
        actor,
        company,
        {
            "kind": kind,
            "subject": subject,
            "notes": notes,
            "due_date": due_date,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "assignee_id": assignee_id,
            "team_id": team_id,
            "party_id": party_id,
            "target": target,
            "reminder_at": reminder_at,
        },
    )
    now = timezone.now()
    activity = Activity(company=company, created_by=actor, created_at=now, updated_at=now, **values)
    if activity.kind == ActivityKind.NOTE:
        activity.state, activity.done_at = ActivityState.DONE, now
    _require_reach(actor, activity)
    _rekey(activity)
    activity.save()
    audit.record(
        actor=actor,
        obj=activity,
        action="activities.activity_create",
        changes={name: [None, value] for name, value in audit.snapshot(activity, AUDITED).items()},
    )
    publish(_logged(activity, actor))
    return activity


def _locked(actor: User, activity_id: int) -> Activity:
    """The activity under lock, re-read (a 404 for one the actor may not see, a 403 for one
    they see but may not change)."""
    policy.require(actor, MANAGE)
    activity = (
        Activity.objects.select_for_update().filter(pk=activity_id).first()
        if isinstance(activity_id, int)
        else None
    )
    if activity is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, MANAGE, activity, visible_with=VIEW)
    return activity


def _save(actor: User, activity: Activity, before: dict[str, Any], action: str) -> None:
    _rekey(activity)
    activity.version += 1
    activity.updated_at = timezone.now()
    activity.save()
    changes = audit.diff(before, audit.snapshot(activity, AUDITED))
    audit.record(actor=actor, obj=activity, action=action, changes=changes)


@transaction.atomic
def activity_update(*, actor: User, activity_id: int, version: int, **changes: Any) -> Activity:
    """Change the fields given (one of EDITABLE; None clears an optional one). A stale
    `version` is a 409, and so is a cancelled activity. A new reminder time is reminded
    anew."""
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        refused = {name: [_("This field cannot be changed.")] for name in unknown}
        raise ActivityInvalidError(_("Unknown fields."), field_errors=refused)
    activity = _locked(actor, activity_id)
    require_version(activity, version)
    if activity.state == ActivityState.CANCELLED:
        raise ActivityStateError(_("A cancelled activity cannot be changed."))
    current = {
        "kind": activity.kind,
        "subject": activity.subject,
        "notes": activity.notes,
        "due_date": activity.due_date,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "assignee_id": activity.assignee_id,
        "team_id": activity.team_id,
        "party_id": activity.party_id,
        "target": activity.target,
        "reminder_at": activity.reminder_at,
    }
    merged = {**current, **changes}
    if "target" in changes and "party_id" not in changes and activity.party_id is not None:
        merged["party_id"] = None  # a new record brings its own party
    keep_target = merged["target"] == current["target"] and activity.target_type_id is not None
    company = Company.objects.get(pk=activity.company_id)
    if keep_target:
        # The record it is logged against stays as it is (its label too), even if the actor
        # may no longer see it: only a new target is checked.
        merged["target"] = ""
    values = _check(actor, company, merged)
    if keep_target:
        values.pop("target_type"), values.pop("target_id"), values.pop("target_label")
    before = audit.snapshot(activity, AUDITED)
    for name, value in values.items():
        setattr(activity, name, value)
    if activity.reminder_at != current["reminder_at"]:
        activity.reminded_at = None
    _require_reach(actor, activity)
    _save(actor, activity, before, "activities.activity_update")
    return activity


@transaction.atomic
def activity_reschedule(
    *,
    actor: User,
    activity_id: int,
    version: int | None = None,
    due_date: dt.date | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
) -> Activity:
    """Move an open activity to another day (`due_date`) or time (`starts_at`, keeping its
    length unless `ends_at` is given). A timed activity moved to another day keeps its time
    of day; its reminder moves along and will be sent again."""
    activity = _locked(actor, activity_id)
    require_version(activity, version)
    if activity.state != ActivityState.OPEN:
        raise ActivityStateError(_("Only an open activity can be rescheduled."))
    if due_date is None and starts_at is None:
        raise ActivityInvalidError.for_field("due_date", _("Give the new day or start time."))
    company = Company.objects.get(pk=activity.company_id)
    zone = _zone(company)
    if starts_at is None and activity.starts_at is not None and due_date is not None:
        local = activity.starts_at.astimezone(zone)
        starts_at = dt.datetime.combine(due_date, local.timetz().replace(tzinfo=None), tzinfo=zone)
    delta = dt.timedelta(0)
    if starts_at is not None and activity.starts_at is not None:
        delta = starts_at - activity.starts_at
        if ends_at is None and activity.ends_at is not None:
            ends_at = activity.ends_at + delta
    elif due_date is not None and activity.due_date is not None:
        delta = dt.timedelta(days=(due_date - activity.due_date).days)
    changes: dict[str, Any] = {"due_date": due_date if starts_at is None else None, "starts_at": starts_at}
    if starts_at is None:
        changes.pop("starts_at")
    else:
        changes["ends_at"] = ends_at
    if activity.reminder_at is not None:
        changes["reminder_at"] = activity.reminder_at + delta
    before = audit.snapshot(activity, AUDITED)
    values = _check(
        actor,
        company,
        {
            "kind": activity.kind,
            "subject": activity.subject,
            "notes": activity.notes,
            "due_date": activity.due_date,
            "starts_at": activity.starts_at,
            "ends_at": activity.ends_at,
            "assignee_id": activity.assignee_id,
            "team_id": activity.team_id,
            "party_id": activity.party_id,
            "reminder_at": activity.reminder_at,
            **changes,
        },
    )
    for name in ("due_date", "starts_at", "ends_at", "reminder_at"):
        setattr(activity, name, values[name])
    if delta:
        activity.reminded_at = None
    _save(actor, activity, before, "activities.activity_reschedule")
    return activity


def _transition(actor: User, activity_id: int, version: int | None, state: str, message: str) -> Activity:
    activity = _locked(actor, activity_id)
    require_version(activity, version)
    if not activity.can_transition_to(state):
        raise ActivityStateError(message)
    return activity


@transaction.atomic
def activity_done(*, actor: User, activity_id: int, version: int | None = None) -> Activity:
    """Tick off an open activity. Publishes ActivityDone."""
    activity = _transition(
        actor, activity_id, version, ActivityState.DONE, _("Only an open activity can be marked done.")
    )
    before = audit.snapshot(activity, AUDITED)
    activity.state, activity.done_at = ActivityState.DONE, timezone.now()
    _save(actor, activity, before, "activities.activity_done")
    publish(_done(activity, actor))
    return activity


@transaction.atomic
def activity_reopen(*, actor: User, activity_id: int, version: int | None = None) -> Activity:
    """Open a done activity again (ticked off by mistake)."""
    activity = _transition(
        actor, activity_id, version, ActivityState.OPEN, _("Only a done activity can be reopened.")
    )
    before = audit.snapshot(activity, AUDITED)
    activity.state, activity.done_at = ActivityState.OPEN, None
    _save(actor, activity, before, "activities.activity_reopen")
    return activity


@transaction.atomic
def activity_cancel(*, actor: User, activity_id: int, version: int | None = None) -> Activity:
    """Cancel an open activity (it will not happen); it stays in the history."""
    activity = _transition(
        actor, activity_id, version, ActivityState.CANCELLED, _("Only an open activity can be cancelled.")
    )
    before = audit.snapshot(activity, AUDITED)
    activity.state = ActivityState.CANCELLED
    _save(actor, activity, before, "activities.activity_cancel")
    return activity


@transaction.atomic
def reminders_send(*, now: dt.datetime) -> int:
    """Mark the due reminders sent (at most REMINDER_BATCH, oldest first) and publish an
    ActivityReminderDue for each; the handler e-mails the assignee after commit. A system
    write (the scheduler acts for no user): audited without an actor. Returns how many."""
    due = list(reminders_due(now).select_for_update()[:REMINDER_BATCH])
    for activity in due:
        activity.reminded_at = now
        publish(
            ActivityReminderDue(
                company_id=activity.company_id, activity_id=activity.pk, assignee_id=activity.assignee_id
            )
        )
    if not due:
        return 0
    Activity.objects.bulk_update(due, ["reminded_at"])
    audit.record_many(
        [
            audit.Change(
                actor=None,
                obj=activity,
                action="activities.reminder_send",
                changes={"reminded_at": [None, now]},
            )
            for activity in due
        ]
    )
    return len(due)


@transaction.atomic
def feed_rotate(*, actor: User) -> ActivityFeed:
    """Give the actor a new secret calendar feed URL; the old one stops working at once."""
    policy.require(actor, VIEW)
    feed = ActivityFeed.objects.select_for_update().filter(user=actor).first()
    token = secrets.token_urlsafe(32)
    if feed is None:
        feed = ActivityFeed.objects.create(user=actor, token=token)
        action = "activities.feed_create"
    else:
        feed.token, feed.created_at = token, timezone.now()
        feed.save(update_fields=["token", "created_at"])
        action = "activities.feed_rotate"
    # The token itself stays out of the audit trail.
    audit.record(actor=actor, obj=feed, action=action, company_id=actor.company_id)
    return feed


def party_references_move(source_id: int, target_id: int) -> int:
    """Parties' merge: activities logged against the merged party now name the survivor
    (their `party` foreign key is moved by the merge itself). Runs in the merge's transaction."""
    content_type = ContentType.objects.get_for_model(Party)
    return Activity.objects.filter(target_type=content_type, target_id=source_id).update(target_id=target_id)
