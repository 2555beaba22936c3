"""Reactions to the activities' own events: the party's timeline (an activity logged or
done), and the reminder e-mail to the assignee.

The outbox runs each handler at least once and records a receipt per handler, so a
delivered handler never runs again; timeline entries are once per event besides.
"""

from __future__ import annotations

import logging
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kantoor.activities.events import ActivityDone, ActivityLogged, ActivityReminderDue
from kantoor.activities.models import Activity, ActivityKind, ActivityState
from kantoor.parties.services import timeline_entry_add

log = logging.getLogger(__name__)

# Stored untranslated on the timeline (gettext_noop); the party page translates them.
LOGGED_TITLES: dict[str, str] = {
    ActivityKind.TASK: gettext_noop("Task planned"),
    ActivityKind.CALL: gettext_noop("Call planned"),
    ActivityKind.MEETING: gettext_noop("Meeting planned"),
    ActivityKind.NOTE: gettext_noop("Note added"),
    ActivityKind.EMAIL: gettext_noop("E-mail logged"),
}
DONE_TITLES: dict[str, str] = {
    ActivityKind.TASK: gettext_noop("Task done"),
    ActivityKind.CALL: gettext_noop("Call made"),
    ActivityKind.MEETING: gettext_noop("Meeting held"),
    ActivityKind.NOTE: gettext_noop("Note added"),
    ActivityKind.EMAIL: gettext_noop("E-mail sent"),
}


def on_activity_logged(event: ActivityLogged) -> None:
    if event.party_id is None:
        return
    timeline_entry_add(
        party_id=event.party_id,
        kind=f"activities.{event.kind}_logged",
        title=LOGGED_TITLES.get(event.kind, gettext_noop("Activity logged")),
        body=event.subject,
        actor_id=event.actor_id,
        event=event,
    )


def on_activity_done(event: ActivityDone) -> None:
    if event.party_id is None:
        return
    timeline_entry_add(
        party_id=event.party_id,
        kind=f"activities.{event.kind}_done",
        title=DONE_TITLES.get(event.kind, gettext_noop("Activity done")),
        body=event.subject,
        actor_id=event.actor_id,
        event=event,
    )


def _when(activity: Activity) -> str:
    """When the activity is due, in the company's time zone and the active language."""
    if activity.starts_at is not None:
        try:
            zone = zoneinfo.ZoneInfo(activity.company.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        return formats.date_format(activity.starts_at.astimezone(zone), "DATETIME_FORMAT")
    if activity.due_date is not None:
        return formats.date_format(activity.due_date, "DATE_FORMAT")
    return _("no due date")


def reminder_message(activity: Activity) -> tuple[str, str]:
    """The subject and body of the reminder, in the active language."""
    values = {
        "kind": activity.get_kind_display(),
        "subject": activity.subject,
        "when": _when(activity),
        "party": activity.party.name if activity.party else "",
        "record": activity.target_label,
        "name": activity.assignee.get_full_name() or activity.assignee.username,
    }
    subject = _("Reminder: %(subject)s (%(when)s)") % values
    lines = [
        _("Hello %(name)s,") % values,
        "",
        _("This is your reminder of the following activity:") % values,
        "",
        _("%(kind)s: %(subject)s") % values,
        _("When: %(when)s") % values,
    ]
    if values["party"]:
        lines.append(_("With: %(party)s") % values)
    if values["record"]:
        lines.append(_("About: %(record)s") % values)
    lines += ["", "— Kantoor"]
    return subject, "\n".join(lines) + "\n"


def on_activity_reminder_due(event: ActivityReminderDue) -> None:
    """E-mail the reminder to the assignee, in their language. Nothing is sent for an
    activity done or cancelled meanwhile, or to an assignee without an address."""
    activity = (
        Activity.objects.select_related("assignee", "party", "company").filter(pk=event.activity_id).first()
    )
    if activity is None or activity.state != ActivityState.OPEN:
        return
    if not activity.assignee.email or not activity.assignee.is_active:
        log.info("activity %s: the assignee has no e-mail address; no reminder sent", activity.pk)
        return
    with translation.override(activity.assignee.language or settings.LANGUAGE_CODE):
        subject, body = reminder_message(activity)
    EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[activity.assignee.email]
    ).send(fail_silently=False)
