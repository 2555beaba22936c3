"""Activities: tasks, calls, meetings, notes and e-mails logged against any record (an
order, an invoice, a party…) and its party, with a due date, an assignee and a reminder;
and each user's secret calendar feed."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kantoor.core.models import Company, Team
from kantoor.core.policy import ScopeFields
from kantoor.parties.models import Party


class ActivityKind(models.TextChoices):
    TASK = "task", _("Task")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")
    EMAIL = "email", _("E-mail")


# Calls and meetings happen at a time; the others only have a day (or none).
TIMED_KINDS = frozenset({ActivityKind.CALL, ActivityKind.MEETING})


class ActivityState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# The workflow as data: one service per transition (see services.py). A done activity
# may be reopened (ticked by mistake); a cancelled one stays cancelled.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (ActivityState.OPEN, ActivityState.DONE),
        (ActivityState.OPEN, ActivityState.CANCELLED),
        (ActivityState.DONE, ActivityState.OPEN),
    }
)
_STATE_RANK: dict[str, str] = {ActivityState.OPEN: "0", ActivityState.DONE: "1", ActivityState.CANCELLED: "2"}
NO_DAY = "9999-12-31"


def agenda_key_of(state: str, due_date: dt.date | None, starts_at: dt.datetime | None) -> str:
    """The order of "my activities": open ones first, then by day and time (undated last).
    Stored, so that lists page by an index range (keyset), never by OFFSET."""
    day = due_date.isoformat() if due_date else NO_DAY
    time = starts_at.astimezone(dt.UTC).strftime("%H:%M") if starts_at else "99:99"
    return f"{_STATE_RANK.get(state, '9')}{day}T{time}"


class Activity(models.Model):
    """Something to do or done with someone: a task, call, meeting, note or e-mail, logged
    against a record of any app and its party, assigned to a user."""

    # A user works on the activities assigned to them; a team scope reaches the team's.
    policy_scope = ScopeFields(company="company", owner="assignee", team="team")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, default="")
    state = models.CharField(
        _("state"), max_length=10, choices=ActivityState.choices, default=ActivityState.OPEN
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The record it is logged against ("sales.salesorder:12"), of any app: a generic reference,
    # with its label kept for lists that must not read every app's tables.
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_label = models.CharField(_("logged against"), max_length=200, blank=True, default="")
    reminder_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    agenda_key = models.CharField(max_length=24, editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ("agenda_key", "id")
        indexes: ClassVar = [
            models.Index(fields=["company", "assignee", "agenda_key", "id"], name="activity_agenda"),
            models.Index(fields=["company", "due_date"], name="activity_due"),
            models.Index(fields=["target_type", "target_id"], name="activity_target"),
            models.Index(fields=["party", "agenda_key"], name="activity_party"),
            # The reminder job's scan: only rows with a reminder still to send.
            models.Index(
                fields=["reminder_at"],
                condition=Q(reminded_at__isnull=True, reminder_at__isnull=False),
                name="activity_reminder_due",
            ),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=False, ends_at__gte=models.F("starts_at")),
                name="activity_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(target_type__isnull=True, target_id__isnull=True)
                | Q(target_type__isnull=False, target_id__isnull=False),
                name="activity_target_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def target(self) -> str:
        """The record it is logged against as "app_label.model:id" ("" when none)."""
        if self.target_type_id is None or self.target_id is None:
            return ""
        content_type = ContentType.objects.get_for_id(self.target_type_id)
        return f"{content_type.app_label}.{content_type.model}:{self.target_id}"

    @property
    def is_open(self) -> bool:
        return self.state == ActivityState.OPEN

    @property
    def is_timed(self) -> bool:
        return self.starts_at is not None

    def is_overdue_on(self, today: dt.date) -> bool:
        return self.state == ActivityState.OPEN and self.due_date is not None and self.due_date < today

    def can_transition_to(self, state: str) -> bool:
        return (self.state, state) in TRANSITIONS


class ActivityFeed(models.Model):
    """A user's secret iCalendar feed of their activities: whoever knows the URL may read it,
    so the user can rotate it (the old URL then stops working)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Kept readable to show the subscription URL again. It reveals only what the database
    # holds anyway (the user's activities), so a hash would protect nothing more.
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"feed of {self.user_id}"
