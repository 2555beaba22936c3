"""Periodic jobs (kantoor.core.schedule): when they run, that one process runs each, that a
failure is recorded without stopping the others, and that missed runs run once; the
commands that run them (`kantoor scheduler`, `kantoor worker --schedule`) and show them."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import signal
import threading
import zoneinfo
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kantoor.core import schedule
from kantoor.core.models import ScheduledJob

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 27, 10, 15, 30, tzinfo=UTC)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)

ran: list[tuple[str, dt.datetime]] = []


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, schedule.Job]:
    """An empty job registry for the test (the apps' own jobs are put aside)."""
    jobs: dict[str, schedule.Job] = {}
    monkeypatch.setattr(schedule, "_jobs", jobs)
    ran.clear()
    return jobs


def counting(name: str) -> schedule.JobFunction:
    def job(now: dt.datetime) -> str:
        ran.append((name, now))
        return f"{name} ran"

    job.__qualname__ = f"counting.{name}"
    return job


def broken(now: dt.datetime) -> None:
    ran.append(("broken", now))
    raise RuntimeError("the ledger is gone")


def at(hour: int, minute: int = 0, day: int = 27) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# --- when a job runs -----------------------------------------------------------------


def test_without_at_the_next_run_is_one_period_after_the_start() -> None:
    job = schedule.Job(name="x", fn=counting("x"), every=dt.timedelta(minutes=90))
    assert job.next_run_after(NOW) == dt.datetime(2026, 11, 27, 11, 45, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("every", "time_of_day", "now", "expected"),
    [
        (DAY, dt.time(4, 0), at(3, 59), at(4, 0)),
        (DAY, dt.time(4, 0), at(4, 0), at(4, 0, day=28)),  # a run exactly at its slot: the next day
        (DAY, dt.time(4, 0), at(10, 15), at(4, 0, day=28)),
        (6 * HOUR, dt.time(0, 30), at(13, 0), at(18, 30)),
        (6 * HOUR, dt.time(0, 30), at(23, 0), at(0, 30, day=28)),
        (6 * HOUR, dt.time(0, 30), at(0, 10), at(0, 30)),
        (dt.timedelta(minutes=15), dt.time(0, 5), at(10, 15), at(10, 20)),
    ],
)
def test_with_at_the_next_run_is_the_next_slot_of_the_day_grid(
    every: dt.timedelta, time_of_day: dt.time, now: dt.datetime, expected: dt.datetime
) -> None:
    job = schedule.Job(name="x", fn=counting("x"), every=every, at=time_of_day)
    assert job.next_run_after(now) == expected


def test_at_is_utc_whatever_the_zone_of_now() -> None:
    job = schedule.Job(name="x", fn=counting("x"), every=DAY, at=dt.time(4, 0))
    amsterdam = dt.datetime(2026, 11, 27, 4, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))  # 03:30 UTC
    assert job.next_run_after(amsterdam) == at(4, 0)
    with pytest.raises(ValueError, match="aware"):
        job.next_run_after(dt.datetime(2026, 11, 27, 4, 30))  # noqa: DTZ001 - the point of the test


DIVISORS_OF_A_DAY = [dt.timedelta(minutes=m) for m in range(1, 1441) if 1440 % m == 0]


@given(
    every=st.sampled_from(DIVISORS_OF_A_DAY),
    time_of_day=st.times(),
    now=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)
def test_the_next_aligned_run_is_after_now_within_one_period_and_on_the_grid(
    every: dt.timedelta, time_of_day: dt.time, now: dt.datetime
) -> None:
    job = schedule.Job(name="x", fn=counting("x"), every=every, at=time_of_day)
    following = job.next_run_after(now)
    assert now < following <= now + every
    assert (
        following - dt.datetime.combine(following.date(), time_of_day, tzinfo=UTC)
    ) % every == dt.timedelta(0)


def test_registering_refuses_a_schedule_that_does_not_fit(registry: dict[str, schedule.Job]) -> None:
    with pytest.raises(ValueError, match="every must divide one day"):
        schedule.register("x.weekly", counting("x"), every=7 * DAY, at=dt.time(4, 0))
    with pytest.raises(ValueError, match="at is a time of day in UTC"):
        schedule.register(
            "x.local",
            counting("x"),
            every=DAY,
            at=dt.time(4, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam")),
        )
    with pytest.raises(ValueError, match="every must be positive"):
        schedule.register("x.never", counting("x"), every=dt.timedelta(0))
    assert registry == {}


def test_a_name_belongs_to_one_function(registry: dict[str, schedule.Job]) -> None:
    first = counting("x")
    schedule.periodic("x.job", HOUR)(first)
    schedule.periodic("x.job", 2 * HOUR)(first)  # the same function again (a module imported twice)
    assert registry["x.job"].every == 2 * HOUR
    with pytest.raises(ValueError, match=r"x\.job is already registered by .*counting\.x"):
        schedule.register("x.job", broken, every=HOUR)
    assert registry["x.job"].fn is first


# --- running due jobs ----------------------------------------------------------------


def _row(name: str) -> Any:
    return ScheduledJob.objects.filter(name=name).values(
        "next_run_at", "running_until", "last_started_at", "last_finished_at", "last_status", "last_message"
    )[0]


@pytest.mark.django_db
def test_a_new_job_waits_for_its_first_slot_then_runs_and_records_it(
    registry: dict[str, schedule.Job],
) -> None:
    schedule.register("x.daily", counting("daily"), every=DAY, at=dt.time(4, 0))

    assert schedule.due_jobs_run(NOW) == []
    assert ran == []
    assert _row("x.daily")["next_run_at"] == at(4, 0, day=28)

    slot = at(4, 0, day=28)
    [outcome] = schedule.due_jobs_run(slot)

    assert ran == [("daily", slot)]
    assert (outcome.name, outcome.status, outcome.message) == ("x.daily", "ok", "daily ran")
    assert outcome.next_run_at == at(4, 0, day=29)
    row = _row("x.daily")
    assert row["last_started_at"] == slot
    assert slot <= row["last_finished_at"] < slot + dt.timedelta(seconds=5)
    assert (row["last_status"], row["last_message"], row["running_until"]) == ("ok", "daily ran", None)
    assert row["next_run_at"] == at(4, 0, day=29)
    # and within the day nothing more
    assert schedule.due_jobs_run(slot + 23 * HOUR) == []
    assert len(ran) == 1


@pytest.mark.django_db
def test_nothing_due_costs_one_query(
    registry: dict[str, schedule.Job], django_assert_num_queries: Any
) -> None:
    schedule.register("x.a", counting("a"), every=HOUR)
    schedule.register("x.b", counting("b"), every=DAY, at=dt.time(4, 0))
    schedule.due_jobs_run(NOW)  # first sight: the rows are made
    with django_assert_num_queries(1):
        assert schedule.due_jobs_run(NOW + dt.timedelta(minutes=5)) == []


@pytest.mark.django_db
def test_a_job_whose_lease_is_held_is_not_run_twice(registry: dict[str, schedule.Job]) -> None:
    schedule.register("x.hourly", counting("hourly"), every=HOUR)
    # another worker is running it: it holds the lease until 10:45
    ScheduledJob.objects.create(name="x.hourly", next_run_at=at(10, 0), running_until=at(10, 45))

    assert schedule.due_jobs_run(NOW) == []
    assert ran == []
    with pytest.raises(schedule.JobRunningError):
        schedule.job_run("x.hourly", NOW)
    assert ran == []

    # that worker died: once its lease has expired the job runs here
    later = at(10, 46)
    [outcome] = schedule.due_jobs_run(later)
    assert ran == [("hourly", later)]
    assert outcome.next_run_at == later + HOUR
    assert _row("x.hourly")["running_until"] is None


@pytest.mark.django_db
def test_a_second_worker_arriving_during_a_run_does_not_start_it_again(
    registry: dict[str, schedule.Job],
) -> None:
    inner: list[list[schedule.Outcome]] = []

    def slow(now: dt.datetime) -> str:
        ran.append(("slow", now))
        inner.append(schedule.due_jobs_run(now + dt.timedelta(seconds=1)))  # the other worker's round
        return "done"

    schedule.register("x.slow", slow, every=HOUR)
    ScheduledJob.objects.create(name="x.slow", next_run_at=at(10, 0))

    [outcome] = schedule.due_jobs_run(NOW)

    assert ran == [("slow", NOW)]
    assert inner == [[]]
    assert outcome.status == "ok"
    # nor does one that read the job as due just before the run ended: the claim re-checks
    assert schedule._run(registry["x.slow"], NOW, due_only=True) is None
    assert ran == [("slow", NOW)]


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_the_others_still_run(
    registry: dict[str, schedule.Job], caplog: pytest.LogCaptureFixture
) -> None:
    schedule.register("a.broken", broken, every=HOUR)
    schedule.register("b.fine", counting("fine"), every=HOUR)
    for name in ("a.broken", "b.fine"):
        ScheduledJob.objects.create(name=name, next_run_at=at(10, 0))

    with caplog.at_level(logging.ERROR, logger="kantoor.core.schedule"):
        outcomes = schedule.due_jobs_run(NOW)

    assert [(o.name, o.status) for o in outcomes] == [("a.broken", "failed"), ("b.fine", "ok")]
    assert ran == [("broken", NOW), ("fine", NOW)]
    broken_row = _row("a.broken")
    assert broken_row["last_status"] == "failed"
    assert re.fullmatch(
        r"RuntimeError: the ledger is gone \(test_schedule\.py:\d+ in broken\)", broken_row["last_message"]
    )
    assert broken_row["next_run_at"] == NOW + HOUR  # tried again at its next run, not at once
    assert broken_row["running_until"] is None
    assert _row("b.fine")["last_status"] == "ok"
    [record] = caplog.records
    assert record.getMessage() == "scheduled job a.broken failed"
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError


@pytest.mark.django_db
def test_runs_missed_while_the_worker_was_down_run_once(registry: dict[str, schedule.Job]) -> None:
    schedule.register("x.quarter", counting("quarter"), every=dt.timedelta(minutes=15), at=dt.time(0, 0))
    ScheduledJob.objects.create(name="x.quarter", next_run_at=at(10, 0, day=24))  # three days missed

    [outcome] = schedule.due_jobs_run(NOW)
    assert schedule.due_jobs_run(NOW + dt.timedelta(minutes=10)) == []

    assert ran == [("quarter", NOW)]
    assert outcome.next_run_at == at(10, 30)


@pytest.mark.django_db
def test_a_job_no_longer_registered_is_left_alone(registry: dict[str, schedule.Job]) -> None:
    ScheduledJob.objects.create(name="gone.job", next_run_at=at(10, 0))
    assert schedule.due_jobs_run(NOW) == []
    assert _row("gone.job")["last_started_at"] is None


# --- the commands ------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_jobs_are_those_no_process_ran_within_the_grace(registry: dict[str, schedule.Job]) -> None:
    for name in ("x.late", "x.running", "x.recent", "x.later"):
        schedule.register(name, counting(name), every=HOUR)
    ScheduledJob.objects.create(name="x.late", next_run_at=at(9, 0))
    ScheduledJob.objects.create(name="x.running", next_run_at=at(9, 0), running_until=at(10, 30))
    ScheduledJob.objects.create(name="x.recent", next_run_at=at(9, 30))  # due 45 minutes
    ScheduledJob.objects.create(name="x.later", next_run_at=at(11, 0))
    ScheduledJob.objects.create(name="gone.job", next_run_at=at(1, 0))  # no longer registered

    assert schedule.overdue_jobs(NOW) == ["x.late"]
    assert schedule.overdue_jobs(NOW, grace=dt.timedelta(minutes=30)) == ["x.late", "x.recent"]


def _due_and_later_jobs() -> None:
    schedule.register("x.due", counting("due"), every=HOUR)
    schedule.register("x.later", counting("later"), every=HOUR)
    ScheduledJob.objects.create(name="x.due", next_run_at=timezone.now() - dt.timedelta(minutes=1))
    ScheduledJob.objects.create(name="x.later", next_run_at=timezone.now() + dt.timedelta(minutes=30))


@pytest.mark.django_db
def test_the_scheduler_once_runs_the_due_jobs_and_records_them(registry: dict[str, schedule.Job]) -> None:
    _due_and_later_jobs()
    before = timezone.now()
    out = io.StringIO()

    call_command("scheduler", "--once", stdout=out)

    assert [name for name, _ in ran] == ["due"]
    assert out.getvalue().splitlines() == ["Scheduled job x.due: OK. due ran", "Ran 1 periodic jobs."]
    due = _row("x.due")
    assert before <= due["last_started_at"] <= timezone.now()
    assert (due["last_status"], due["last_message"], due["running_until"]) == ("ok", "due ran", None)
    assert due["next_run_at"] == due["last_started_at"] + HOUR
    later = _row("x.later")
    assert (later["last_started_at"], later["last_status"], later["last_message"]) == (None, "", "")

    # run again at once: nothing is due any more
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert [name for name, _ in ran] == ["due"]
    assert out.getvalue().splitlines() == ["Ran 0 periodic jobs."]


@pytest.mark.django_db(transaction=True)  # the loop closes its connections when it stops
def test_the_scheduler_finishes_the_running_job_on_sigterm_then_stops(
    registry: dict[str, schedule.Job],
) -> None:
    def stopped_midway(now: dt.datetime) -> str:
        ran.append(("before the signal", now))
        os.kill(os.getpid(), signal.SIGTERM)  # the supervisor stops the scheduler now
        ran.append(("after the signal", now))
        return "finished"

    schedule.register("x.due", stopped_midway, every=HOUR)
    ScheduledJob.objects.create(name="x.due", next_run_at=timezone.now() - dt.timedelta(minutes=1))
    handler_before = signal.getsignal(signal.SIGTERM)
    out = io.StringIO()

    call_command("scheduler", "--interval", "0.01", stdout=out)

    assert [what for what, _ in ran] == ["before the signal", "after the signal"]
    assert out.getvalue().splitlines() == [
        "Scheduler started: 1 periodic jobs (x.due). Stop with SIGTERM or Ctrl+C.",
        "Stopping after the current work… (press Ctrl+C again to force)",
        "Scheduled job x.due: OK. finished",
        "Scheduler stopped.",
    ]
    assert (_row("x.due")["last_status"], _row("x.due")["running_until"]) == ("ok", None)
    assert signal.getsignal(signal.SIGTERM) is handler_before


def test_the_scheduler_refuses_an_interval_of_zero() -> None:
    with pytest.raises(CommandError, match=r"^--interval must be more than 0 seconds\.$"):
        call_command("scheduler", "--interval", "0", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_worker_once_with_schedule_runs_the_due_jobs_before_relaying(
    registry: dict[str, schedule.Job], settings: Any
) -> None:
    settings.KANTOOR_OUTBOX_INLINE = False
    _due_and_later_jobs()
    out = io.StringIO()

    call_command("worker", "--once", "--no-tasks", "--schedule", stdout=out)

    assert [name for name, _ in ran] == ["due"]
    assert out.getvalue().splitlines() == [
        "Scheduled job x.due: OK. due ran",
        "Relayed 0 events and ran 0 tasks.",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_worker_once_runs_no_job_without_schedule(registry: dict[str, schedule.Job]) -> None:
    schedule.register("x.due", counting("due"), every=HOUR)
    ScheduledJob.objects.create(name="x.due", next_run_at=timezone.now() - dt.timedelta(minutes=1))
    out = io.StringIO()

    call_command("worker", "--once", "--no-tasks", stdout=out)

    assert ran == []
    assert out.getvalue().splitlines() == ["Relayed 0 events and ran 0 tasks."]
    assert _row("x.due")["last_started_at"] is None


@pytest.mark.django_db(transaction=True)
def test_the_worker_without_schedule_warns_of_jobs_no_scheduler_ran(
    registry: dict[str, schedule.Job], settings: Any
) -> None:
    # given a job due for two hours: no scheduler has been running
    settings.KANTOOR_OUTBOX_INLINE = False
    schedule.register("x.late", counting("late"), every=HOUR)
    ScheduledJob.objects.create(name="x.late", next_run_at=timezone.now() - 2 * HOUR)
    out, err = io.StringIO(), io.StringIO()
    stopper = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))

    # when a worker starts without --schedule (and is stopped)
    stopper.start()
    try:
        call_command("worker", "--no-tasks", "--interval", "0.01", stdout=out, stderr=err)
    finally:
        stopper.cancel()

    # then it says so, and leaves the job to the scheduler
    assert err.getvalue().splitlines() == [
        "Periodic jobs are overdue (x.late): is `kantoor scheduler` running? "
        "(Or start this worker with --schedule.)"
    ]
    assert out.getvalue().splitlines() == [
        "Worker started: relaying events. Stop with SIGTERM or Ctrl+C.",
        "Stopping after the current work… (press Ctrl+C again to force)",
        "Worker stopped.",
    ]
    assert ran == []


@pytest.mark.django_db
def test_schedule_lists_the_jobs_with_their_last_and_next_run(registry: dict[str, schedule.Job]) -> None:
    schedule.register("x.daily", counting("daily"), every=DAY, at=dt.time(4, 0))
    schedule.register("x.hourly", broken, every=HOUR)
    ScheduledJob.objects.create(name="x.daily", next_run_at=at(4, 0))
    ScheduledJob.objects.create(name="x.hourly", next_run_at=at(10, 0))
    ScheduledJob.objects.create(name="old.job", next_run_at=at(10, 0))
    schedule.due_jobs_run(at(4, 0))
    schedule.due_jobs_run(at(10, 0))
    schedule.register("x.new", counting("new"), every=dt.timedelta(minutes=90))  # no worker saw it yet
    out = io.StringIO()

    call_command("schedule", stdout=out)

    assert out.getvalue().splitlines() == [
        "Job       Schedule                Last run          Status  Next run          Message",
        "old.job   (no longer registered)  -                 -       -",
        "x.daily   every 1d at 04:00 UTC   2026-11-27 04:00  OK      2026-11-28 04:00  daily ran",
        "x.hourly  every 1h                2026-11-27 10:00  Failed  2026-11-27 11:00  "
        + _row("x.hourly")["last_message"],
        "x.new     every 90m               -                 -       -",
    ]


@pytest.mark.django_db
def test_schedule_run_runs_one_job_now(registry: dict[str, schedule.Job]) -> None:
    schedule.register("x.daily", counting("daily"), every=DAY, at=dt.time(4, 0))
    schedule.register("x.broken", broken, every=DAY)
    out = io.StringIO()

    call_command("schedule", "run", "x.daily", stdout=out)

    assert [name for name, _ in ran] == ["daily"]
    tomorrow = (
        (timezone.now() + DAY).date() if timezone.now().time() >= dt.time(4, 0) else timezone.now().date()
    )
    assert out.getvalue().strip() == f"Job x.daily done: daily ran Next run {tomorrow:%Y-%m-%d} 04:00 UTC."
    assert _row("x.daily")["last_status"] == "ok"

    with pytest.raises(CommandError, match=r"^Job x\.broken failed: RuntimeError: the ledger is gone"):
        call_command("schedule", "run", "x.broken", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"^Unknown job x\.nope\. Jobs: x\.broken, x\.daily\.$"):
        call_command("schedule", "run", "x.nope", stdout=io.StringIO())
