"""The activities' services: logging against a record and its party, changes with their
version, the workflow, the reach of each scope, and refusals that change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.utils import timezone

from kantoor.activities import selectors, services
from kantoor.activities.errors import ActivityInvalidError, ActivityStateError
from kantoor.activities.models import Activity, ActivityState
from kantoor.activities.targets import target_of
from kantoor.core.errors import NotFoundError, PermissionDeniedError, StaleVersionError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.core.outbox import run_pending_events
from kantoor.parties.models import TimelineEntry
from kantoor.parties.services import party_create, party_merge

pytestmark = pytest.mark.django_db


@contextmanager
def nothing_written() -> Iterator[None]:
    """No activity, audit row or event was added or changed."""

    def state() -> Any:
        return (
            list(Activity.objects.order_by("pk").values()),
            AuditEntry.objects.count(),
            OutboxEvent.objects.count(),
        )

    before = state()
    yield
    assert state() == before


def aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def test_a_call_logged_against_the_customer_lands_on_its_timeline(rep: Any, customer: Any) -> None:
    # given a call planned against the customer, with a start
    day = timezone.localdate() + dt.timedelta(days=2)
    activity = services.activity_create(
        actor=rep,
        kind="call",
        subject="Call back about the quotation",
        starts_at=aware(day, 9, 30),
        ends_at=aware(day, 9, 45),
        target=target_of(customer),
    )
    run_pending_events()
    # then it is open, assigned to the rep, due that day (Amsterdam), with the customer as party
    activity.refresh_from_db()
    assert (activity.state, activity.assignee_id, activity.created_by_id) == ("open", rep.pk, rep.pk)
    assert (activity.due_date, activity.party_id, activity.target) == (
        day,
        customer.pk,
        f"parties.party:{customer.pk}",
    )
    assert activity.target_label == "Bakkerij De Korenschoof"
    assert activity.version == 1
    assert list(
        TimelineEntry.objects.filter(party=customer, kind__startswith="activities.").values_list(
            "kind", "title", "body", "actor_id"
        )
    ) == [("activities.call_logged", "Call planned", "Call back about the quotation", rep.pk)]
    assert (
        AuditEntry.objects.filter(action="activities.activity_create", object_id=str(activity.pk)).count()
        == 1
    )

    # when it is done
    done = services.activity_done(actor=rep, activity_id=activity.pk, version=1)
    run_pending_events()
    assert (done.state, done.version, done.done_at is not None) == ("done", 2, True)
    assert (
        TimelineEntry.objects.filter(party=customer, kind="activities.call_done", title="Call made").count()
        == 1
    )


def test_a_note_is_done_at_once_and_has_no_start(rep: Any, customer: Any) -> None:
    note = services.activity_create(actor=rep, kind="note", subject="Prefers e-mail", party_id=customer.pk)
    assert (note.state, note.done_at is not None, note.party_id) == ("done", True, customer.pk)
    with nothing_written(), pytest.raises(ActivityInvalidError) as refused:
        services.activity_create(
            actor=rep, kind="note", subject="Has a start", starts_at=timezone.now(), party_id=customer.pk
        )
    assert refused.value.field_errors == {"starts_at": ["Only calls and meetings have a start time."]}


def test_bad_input_names_every_field_and_writes_nothing(rep: Any, manager: Any) -> None:
    now = timezone.now()
    with nothing_written(), pytest.raises(ActivityInvalidError) as refused:
        services.activity_create(
            actor=rep,
            kind="meeting",
            subject="   ",
            ends_at=now,
            target="sales.nothing:1",
            party_id=999999,
            assignee_id=manager.pk,
        )
    assert set(refused.value.field_errors) == {"subject", "starts_at", "target", "party_id"}
    with nothing_written(), pytest.raises(ActivityInvalidError) as refused:
        services.activity_create(
            actor=rep, kind="call", subject="Backwards", starts_at=now, ends_at=now - dt.timedelta(minutes=1)
        )
    assert refused.value.field_errors == {"ends_at": ["The end is before the start."]}
    with nothing_written(), pytest.raises(ActivityInvalidError) as refused:
        services.activity_create(actor=rep, kind="dance", subject="x", target="core.user:1")
    assert set(refused.value.field_errors) == {"kind", "target"}


def test_a_record_the_actor_may_not_see_is_refused_like_a_missing_one(
    rep: Any, teammate: Any, make_user: Any, other_company: Any
) -> None:
    # the teammate's own customer, beyond the rep's own scope; and another company's party
    theirs = party_create(actor=teammate, kind="organisation", name="Not Yours B.V.", owner=teammate.pk)
    outsider = make_user("admin", in_company=other_company, username="olga")
    foreign = party_create(actor=outsider, kind="organisation", name="Foreign Ltd")
    for party in (theirs, foreign):
        with nothing_written(), pytest.raises(ActivityInvalidError) as refused:
            services.activity_create(actor=rep, kind="task", subject="Peek", target=target_of(party))
        assert refused.value.field_errors == {"target": ["That record does not exist."]}


def test_assigning_beyond_the_reach_is_refused(rep: Any, teammate: Any, manager: Any) -> None:
    # own scope: only to oneself
    with nothing_written(), pytest.raises(ActivityInvalidError) as refused:
        services.activity_create(actor=rep, kind="task", subject="For Tom", assignee_id=teammate.pk)
    assert list(refused.value.field_errors) == ["assignee_id"]
    # team scope: to a team member (the rep); company scope: anyone
    given = services.activity_create(actor=teammate, kind="task", subject="For Rita", assignee_id=rep.pk)
    assert given.assignee_id == rep.pk
    assert (
        services.activity_create(actor=manager, kind="task", subject="x", assignee_id=rep.pk).assignee_id
        == rep.pk
    )


@pytest.mark.parametrize("who", ["anonymous", "nobody", "outsider", "other rep"])
def test_who_may_not_change_an_activity(
    who: str, rep: Any, make_user: Any, nobody: Any, outsider: Any
) -> None:
    activity = services.activity_create(actor=rep, kind="task", subject="Mine")
    actor = {
        "anonymous": None,
        "nobody": nobody,
        "outsider": outsider,
        "other rep": make_user("sales", scope="own", username="otherrep"),
    }[who]
    expected = PermissionDeniedError if who in ("anonymous", "nobody") else NotFoundError
    with nothing_written(), pytest.raises(expected):
        services.activity_done(actor=actor, activity_id=activity.pk)
    with nothing_written(), pytest.raises(expected):
        services.activity_update(actor=actor, activity_id=activity.pk, version=1, subject="Theirs")


def test_update_with_a_stale_version_is_refused(rep: Any, customer: Any) -> None:
    activity = services.activity_create(actor=rep, kind="task", subject="Send the price list")
    updated = services.activity_update(
        actor=rep,
        activity_id=activity.pk,
        version=1,
        subject="Send the new price list",
        party_id=customer.pk,
        due_date=dt.date(2030, 1, 7),
    )
    assert (updated.subject, updated.party_id, updated.due_date, updated.version) == (
        "Send the new price list",
        customer.pk,
        dt.date(2030, 1, 7),
        2,
    )
    entry = AuditEntry.objects.get(action="activities.activity_update", object_id=str(activity.pk))
    assert entry.changes == {
        "subject": ["Send the price list", "Send the new price list"],
        "party": [None, customer.pk],
        "due_date": [None, "2030-01-07"],
    }
    with nothing_written(), pytest.raises(StaleVersionError):
        services.activity_update(actor=rep, activity_id=activity.pk, version=1, subject="Too late")
    with nothing_written(), pytest.raises(ActivityInvalidError):
        services.activity_update(actor=rep, activity_id=activity.pk, version=2, state="done")


def test_the_workflow(rep: Any) -> None:
    activity = services.activity_create(actor=rep, kind="task", subject="Tidy up")
    cancelled = services.activity_cancel(actor=rep, activity_id=activity.pk)
    assert (cancelled.state, cancelled.version) == ("cancelled", 2)
    for refused in (services.activity_done, services.activity_reopen, services.activity_cancel):
        with nothing_written(), pytest.raises(ActivityStateError):
            refused(actor=rep, activity_id=activity.pk)
    with nothing_written(), pytest.raises(ActivityStateError):
        services.activity_update(actor=rep, activity_id=activity.pk, version=2, subject="Again")
    other = services.activity_create(actor=rep, kind="task", subject="Tick")
    services.activity_done(actor=rep, activity_id=other.pk)
    reopened = services.activity_reopen(actor=rep, activity_id=other.pk, version=2)
    assert (reopened.state, reopened.done_at, reopened.version) == ("open", None, 3)


def test_reschedule_moves_the_time_the_end_and_the_reminder(rep: Any) -> None:
    day = dt.date(2030, 3, 4)
    activity = services.activity_create(
        actor=rep,
        kind="meeting",
        subject="Review",
        starts_at=aware(day, 13),
        ends_at=aware(day, 14),
        reminder_at=aware(day, 12, 45),
    )
    moved = services.activity_reschedule(
        actor=rep, activity_id=activity.pk, version=1, due_date=dt.date(2030, 3, 6)
    )
    assert (moved.starts_at, moved.ends_at, moved.reminder_at, moved.due_date) == (
        aware(dt.date(2030, 3, 6), 13),
        aware(dt.date(2030, 3, 6), 14),
        aware(dt.date(2030, 3, 6), 12, 45),
        dt.date(2030, 3, 6),
    )
    task = services.activity_create(actor=rep, kind="task", subject="Call", due_date=day)
    assert services.activity_reschedule(
        actor=rep, activity_id=task.pk, due_date=day + dt.timedelta(days=1)
    ).due_date == (day + dt.timedelta(days=1))


def test_my_activities_open_first_overdue_flagged(rep: Any, manager: Any) -> None:
    today = selectors.company_today(rep.company)
    late = services.activity_create(
        actor=rep, kind="task", subject="Late", due_date=today - dt.timedelta(days=2)
    )
    soon = services.activity_create(
        actor=rep, kind="task", subject="Soon", due_date=today + dt.timedelta(days=1)
    )
    undated = services.activity_create(actor=rep, kind="task", subject="Some day")
    done = services.activity_create(
        actor=rep, kind="task", subject="Done", due_date=today - dt.timedelta(days=9)
    )
    services.activity_done(actor=rep, activity_id=done.pk)
    services.activity_create(actor=manager, kind="task", subject="Not mine", due_date=today)
    rows = [(a.subject, a.is_overdue) for a in selectors.my_activities(rep)]
    assert rows == [("Late", True), ("Soon", False), ("Some day", False)]
    everything = [a.subject for a in selectors.my_activities(rep, state="")]
    assert everything == ["Late", "Soon", "Some day", "Done"]
    assert {late.pk, soon.pk, undated.pk} < {a.pk for a in selectors.activities_list(manager)}


def test_activities_of_a_record_and_of_a_party(rep: Any, customer: Any, manager: Any) -> None:
    on_customer = services.activity_create(
        actor=rep, kind="task", subject="On it", target=target_of(customer)
    )
    services.activity_create(actor=rep, kind="task", subject="Elsewhere")
    assert [a.pk for a in selectors.activities_of_target(rep, target_of(customer))] == [on_customer.pk]
    assert [a.pk for a in selectors.activities_of_party(manager, customer.pk)] == [on_customer.pk]


def test_calendar_month(rep: Any) -> None:
    services.activity_create(actor=rep, kind="task", subject="Mid", due_date=dt.date(2030, 5, 15))
    services.activity_create(actor=rep, kind="task", subject="Spill", due_date=dt.date(2030, 6, 1))
    services.activity_create(actor=rep, kind="task", subject="Out", due_date=dt.date(2030, 6, 3))
    month = selectors.calendar_month(rep, 2030, 5)
    assert (month.weeks[0][0].day, month.weeks[-1][-1].day) == (dt.date(2030, 4, 29), dt.date(2030, 6, 2))
    days = {
        day.day: [a.subject for a in day.activities] for week in month.weeks for day in week if day.activities
    }
    assert days == {dt.date(2030, 5, 15): ["Mid"], dt.date(2030, 6, 1): ["Spill"]}
    assert (month.previous, month.next) == (dt.date(2030, 4, 1), dt.date(2030, 6, 1))


def test_a_party_merge_moves_the_activities_logged_against_it(manager: Any, admin_user: Any) -> None:
    source = party_create(actor=admin_user, kind="organisation", name="Old Name B.V.")
    target = party_create(actor=admin_user, kind="organisation", name="New Name B.V.")
    activity = services.activity_create(actor=manager, kind="task", subject="Ring", target=target_of(source))
    party_merge(actor=admin_user, source_id=source.pk, target_id=target.pk)
    activity.refresh_from_db()
    assert (activity.party_id, activity.target) == (target.pk, f"parties.party:{target.pk}")


def test_feed_rotate_gives_a_new_token(rep: Any) -> None:
    first = services.feed_rotate(actor=rep)
    token = first.token
    second = services.feed_rotate(actor=rep)
    assert second.pk == first.pk
    assert second.token != token
    assert selectors.feed_by_token(token) is None
    assert selectors.feed_by_token(second.token) == second
    assert ActivityState.OPEN == "open"
