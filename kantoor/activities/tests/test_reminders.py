"""Reminders: the scheduler's job finds the reminders whose time passed, marks them sent
and the handler e-mails the assignee through a real SMTP server; nothing twice, nothing
for activities done or cancelled, nothing before its time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kantoor.activities import services
from kantoor.activities.models import Activity
from kantoor.activities.targets import target_of
from kantoor.core import schedule
from kantoor.core.models import AuditEntry
from kantoor.core.outbox import run_pending_events

pytestmark = pytest.mark.django_db


def test_the_job_is_registered_every_five_minutes() -> None:
    job = next(job for job in schedule.jobs() if job.name == "activities.reminders")
    assert (job.every, job.at) == (dt.timedelta(minutes=5), None)


def test_due_reminders_are_mailed_once_to_the_assignee(rep: Any, customer: Any, smtp_server: Any) -> None:
    now = timezone.now()
    due = services.activity_create(
        actor=rep,
        kind="call",
        subject="Call the baker",
        starts_at=now + dt.timedelta(minutes=10),
        reminder_at=now - dt.timedelta(minutes=1),
        target=target_of(customer),
    )
    later = services.activity_create(
        actor=rep, kind="task", subject="Not yet", reminder_at=now + dt.timedelta(hours=1)
    )
    done = services.activity_create(actor=rep, kind="task", subject="Done already", reminder_at=now)
    services.activity_done(actor=rep, activity_id=done.pk)
    # when the scheduler runs the job
    outcome = schedule.job_run("activities.reminders", now=now)
    run_pending_events()
    # then one reminder went out, to the assignee, and it is marked sent
    assert (outcome.status, outcome.message) == ("ok", "Reminders sent: 1.")
    messages = smtp_server.messages()
    assert len(messages) == 1
    message = messages[0]
    assert (message["To"], message["From"]) == (rep.email, "kantoor@tulip.example")
    assert message["Subject"].startswith("Reminder: Call the baker (")
    body = message.get_content()
    assert "Call: Call the baker" in body
    assert "With: Bakkerij De Korenschoof" in body
    assert Activity.objects.get(pk=due.pk).reminded_at == now
    assert Activity.objects.get(pk=later.pk).reminded_at is None
    assert Activity.objects.get(pk=done.pk).reminded_at is None
    assert AuditEntry.objects.filter(action="activities.reminder_send", object_id=str(due.pk)).count() == 1
    # and a second run sends nothing more
    assert schedule.job_run("activities.reminders", now=now + dt.timedelta(minutes=5)).message == (
        "Reminders sent: 0."
    )
    run_pending_events()
    assert len(smtp_server.messages()) == 1


def test_a_moved_reminder_is_sent_again(rep: Any, smtp_server: Any) -> None:
    now = timezone.now()
    activity = services.activity_create(
        actor=rep, kind="task", subject="Renew the contract", reminder_at=now - dt.timedelta(minutes=1)
    )
    schedule.job_run("activities.reminders", now=now)
    run_pending_events()
    services.activity_update(
        actor=rep, activity_id=activity.pk, version=1, reminder_at=now + dt.timedelta(minutes=2)
    )
    assert Activity.objects.get(pk=activity.pk).reminded_at is None
    schedule.job_run("activities.reminders", now=now + dt.timedelta(minutes=5))
    run_pending_events()
    assert [m["Subject"].split(" (")[0] for m in smtp_server.messages()] == [
        "Reminder: Renew the contract",
        "Reminder: Renew the contract",
    ]


def test_a_reminder_of_an_activity_cancelled_after_the_job_sends_nothing(rep: Any, smtp_server: Any) -> None:
    now = timezone.now()
    activity = services.activity_create(actor=rep, kind="task", subject="Maybe", reminder_at=now)
    services.reminders_send(now=now)
    services.activity_cancel(actor=rep, activity_id=activity.pk)
    run_pending_events()
    assert smtp_server.messages() == []
