"""Periodic jobs: work that runs on a clock (the reorder check, later SLA checks, reminders,
renewals, dunning), run by `kantoor scheduler` (or by `kantoor worker --schedule`, where
one process does everything) and shown by `kantoor schedule`.

An app registers a job from its AppConfig.ready() (or a module imported there)::

    @periodic("inventory.reorder", every=dt.timedelta(days=1), at=dt.time(4, 0))
    def reorder(now: dt.datetime) -> str | None:
        ...  # calls its services; returns a one-line summary (or None)

- **When**: without `at`, a job runs `every` after its last start. With `at` (a time of day
  in UTC; `every` must divide one day) it runs at `at` and every `every` after it, each
  day: `every=6h, at=00:30` runs at 00:30, 06:30, 12:30 and 18:30 UTC. A job seen for the
  first time waits for its first slot (or one `every`); `kantoor schedule run NAME` runs it
  at once.
- **Once, in one process**: each job has a `ScheduledJob` row. A process (the scheduler,
  or a worker with `--schedule`) claims a due job with one UPDATE that sets a lease
  (`running_until`) only where the job is due and no lease is held (the row lock on
  PostgreSQL, the write lock on SQLite): of two, one runs it. A process that dies mid-run
  leaves its lease; the job runs again once the lease (default one hour) has expired.
- **Missed runs** (the scheduler was down) run once: the next run is computed from the start
  of this one, never by catching up slot after slot.
- **Failures** are logged with their traceback, recorded (`failed`, the exception and
  where it was raised) and do not stop the other jobs; the job runs again at its next slot.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core.models import ScheduledJob

log = logging.getLogger(__name__)

JobFunction = Callable[[dt.datetime], "str | None"]
DAY = dt.timedelta(days=1)
DEFAULT_LEASE = dt.timedelta(hours=1)
MESSAGE_LIMIT = 1000


class UnknownJobError(LookupError):
    """No job of that name is registered."""


class JobRunningError(RuntimeError):
    """The job is being run elsewhere (its lease is held)."""


@dataclass(frozen=True)
class Job:
    name: str
    fn: JobFunction
    every: dt.timedelta
    at: dt.time | None = None
    lease: dt.timedelta = DEFAULT_LEASE

    def next_run_after(self, now: dt.datetime) -> dt.datetime:
        """The first run strictly after `now` (aware): `now + every`, or, with `at`, the
        first instant after `now` of the day's grid `at + k·every` (UTC)."""
        if timezone.is_naive(now):
            raise ValueError("now must be timezone-aware")
        now = now.astimezone(dt.UTC)
        if self.at is None:
            return now + self.every
        anchor = dt.datetime.combine(now.date(), self.at.replace(tzinfo=None), tzinfo=dt.UTC)
        return anchor + ((now - anchor) // self.every + 1) * self.every

    def describe(self) -> str:
        every = _duration(self.every)
        if self.at is None:
            return _("every %(every)s") % {"every": every}
        return _("every %(every)s at %(at)s UTC") % {"every": every, "at": self.at.strftime("%H:%M")}


@dataclass(frozen=True)
class Outcome:
    """What one run of a job did."""

    name: str
    status: str  # ScheduledJob.Status
    message: str
    started_at: dt.datetime
    finished_at: dt.datetime
    next_run_at: dt.datetime


_jobs: dict[str, Job] = {}


def register(
    name: str,
    fn: JobFunction,
    *,
    every: dt.timedelta,
    at: dt.time | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> Job:
    """Run `fn(now)` every `every` (aligned to `at`, UTC, when given). Registering the same
    function again (a module imported twice) replaces it; another function under a name
    already taken is refused."""
    if not name or len(name) > ScheduledJob._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValueError(f"invalid job name {name!r}")
    if every <= dt.timedelta(0):
        raise ValueError(f"job {name}: every must be positive")
    if at is not None:
        if at.tzinfo is not None and at.utcoffset() != dt.timedelta(0):
            raise ValueError(f"job {name}: at is a time of day in UTC")
        if DAY % every:
            raise ValueError(f"job {name}: with at, every must divide one day")
    if lease <= dt.timedelta(0):
        raise ValueError(f"job {name}: the lease must be positive")
    existing = _jobs.get(name)
    if existing is not None and _qualname(existing.fn) != _qualname(fn):
        raise ValueError(f"job {name} is already registered by {_qualname(existing.fn)}")
    job = Job(name=name, fn=fn, every=every, at=at, lease=lease)
    _jobs[name] = job
    return job


def periodic(
    name: str, every: dt.timedelta, *, at: dt.time | None = None, lease: dt.timedelta = DEFAULT_LEASE
) -> Callable[[JobFunction], JobFunction]:
    """Decorator form of `register`."""

    def decorate(fn: JobFunction) -> JobFunction:
        register(name, fn, every=every, at=at, lease=lease)
        return fn

    return decorate


def jobs() -> list[Job]:
    """The registered jobs, by name."""
    return [_jobs[name] for name in sorted(_jobs)]


def due_jobs_run(now: dt.datetime | None = None) -> list[Outcome]:
    """Run every registered job that is due at `now` and not running elsewhere, one after
    the other; returns what each did. Cheap when nothing is due: one SELECT (plus an
    INSERT the first time a job is seen)."""
    now = now or timezone.now()
    registered = dict(_jobs)
    if not registered:
        return []
    rows = {
        name: (next_run_at, running_until)
        for name, next_run_at, running_until in ScheduledJob.objects.filter(
            name__in=list(registered)
        ).values_list("name", "next_run_at", "running_until")
    }
    missing = [
        ScheduledJob(name=name, next_run_at=job.next_run_after(now))
        for name, job in registered.items()
        if name not in rows
    ]
    if missing:
        ScheduledJob.objects.bulk_create(missing, ignore_conflicts=True)
    outcomes = []
    for name in sorted(rows):
        next_run_at, running_until = rows[name]
        if next_run_at > now or (running_until is not None and running_until >= now):
            continue
        outcome = _run(registered[name], now, due_only=True)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def job_run(name: str, now: dt.datetime | None = None) -> Outcome:
    """Run one job now, due or not (`kantoor schedule run NAME`); its next run is then
    computed from now. Refused when the job is unknown or running elsewhere."""
    now = now or timezone.now()
    job = _jobs.get(name)
    if job is None:
        raise UnknownJobError(name)
    ScheduledJob.objects.bulk_create(
        [ScheduledJob(name=name, next_run_at=job.next_run_after(now))], ignore_conflicts=True
    )
    outcome = _run(job, now, due_only=False)
    if outcome is None:
        raise JobRunningError(name)
    return outcome


def _run(job: Job, now: dt.datetime, *, due_only: bool) -> Outcome | None:
    """Claim `job` (set its lease where none is held, and, with `due_only`, only while it
    is due), run it, record the outcome and the next run. None when another worker has it."""
    lease_until = now + job.lease
    claim = ScheduledJob.objects.filter(name=job.name).filter(
        Q(running_until__isnull=True) | Q(running_until__lt=now)
    )
    if due_only:
        claim = claim.filter(next_run_at__lte=now)
    if not claim.update(running_until=lease_until, last_started_at=now):
        return None
    clock = time.monotonic()
    try:
        message = job.fn(now) or ""
        status = ScheduledJob.Status.OK
    except Exception as exc:  # one failing job must not stop the others
        log.exception("scheduled job %s failed", job.name)
        message = failure_summary(exc)
        status = ScheduledJob.Status.FAILED
    finished_at = now + dt.timedelta(seconds=time.monotonic() - clock)
    next_run_at = job.next_run_after(now)
    message = " ".join(str(message).split())[:MESSAGE_LIMIT]
    ScheduledJob.objects.filter(name=job.name).update(
        last_finished_at=finished_at,
        last_status=status,
        last_message=message,
        next_run_at=next_run_at,
        # Release our lease, not one another worker took after ours expired.
        running_until=Case(
            When(running_until=lease_until, then=Value(None, output_field=DateTimeField())),
            default=F("running_until"),
            output_field=DateTimeField(),
        ),
    )
    return Outcome(
        name=job.name,
        status=status,
        message=message,
        started_at=now,
        finished_at=finished_at,
        next_run_at=next_run_at,
    )


def failure_summary(exc: BaseException) -> str:
    """'ValueError: the message (file.py:12 in function)': the exception and the innermost
    frame it was raised in."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" ({os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return text


def overdue_jobs(now: dt.datetime | None = None, grace: dt.timedelta = DEFAULT_LEASE) -> list[str]:
    """The registered jobs due for longer than `grace` at `now` and not running: nothing has
    been running the schedule (no `kantoor scheduler`). One SELECT."""
    now = now or timezone.now()
    if not _jobs:
        return []
    return list(
        ScheduledJob.objects.filter(name__in=list(_jobs), next_run_at__lt=now - grace)
        .filter(Q(running_until__isnull=True) | Q(running_until__lt=now))
        .order_by("name")
        .values_list("name", flat=True)
    )


def states() -> list[tuple[Job | None, ScheduledJob | None]]:
    """Every registered job with its row (None before a worker first saw it), then the rows
    of jobs no longer registered (job None), by name."""
    rows = {row.name: row for row in ScheduledJob.objects.all()}
    names = sorted(set(_jobs) | set(rows))
    return [(_jobs.get(name), rows.get(name)) for name in names]


def _qualname(fn: JobFunction) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _duration(every: dt.timedelta) -> str:
    """1d, 6h, 90m, 45s: the largest unit that measures it exactly."""
    seconds = every // dt.timedelta(seconds=1)
    if every != dt.timedelta(seconds=seconds):
        return str(every)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
