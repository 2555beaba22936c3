"""`kantoor worker`: the background process of a production installation. It relays the
outbox (events to their handlers, with retries) and runs the tasks queued on the database
backend with django-tasks-db's worker, until SIGTERM or SIGINT; `--once` does what is
pending now and exits (tests, cron). The periodic jobs (kantoor.core.schedule) are
`kantoor scheduler`'s; with `--schedule` the worker runs them too, so that a small
installation can run one process (the jobs' leases keep two runners from running a job twice)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from kantoor.core import outbox, schedule
from kantoor.core.management.background import outcome_line, stop_on_signal

log = logging.getLogger(__name__)
RELAY_BATCH = 500


class TaskWorker(Worker):
    """django-tasks-db's worker, counting the tasks it ran."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasks_run = 0

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            self.tasks_run += 1


def database_tasks_enabled() -> bool:
    """True when tasks are queued in the database (the embedded default), so this worker runs them."""
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


class Command(BaseCommand):
    help = _(
        "Relay outbox events to their handlers and run queued background tasks until stopped "
        "(SIGTERM or Ctrl+C finish the current task first). With --once: do what is pending and exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help=_("Relay every pending event and run the queued tasks, then exit."),
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=0.5,
            help=_("Seconds to wait when there is nothing to do (default 0.5)."),
        )
        parser.add_argument(
            "--queue-name",
            default="default",
            help=_("Task queues to run, comma-separated; '*' for all (default: default)."),
        )
        parser.add_argument(
            "--no-tasks", action="store_true", help=_("Only relay events; another process runs the tasks.")
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help=_(
                "Also run the periodic jobs that are due, for an installation that runs one "
                "process (otherwise `kantoor scheduler` runs them)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run_tasks = not options["no_tasks"] and database_tasks_enabled()
        task_worker = TaskWorker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"] if not options["once"] else 0,
            batch=options["once"],
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not options["once"],
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        run_schedule = options["schedule"]
        if options["once"]:
            if run_schedule:
                self._report(schedule.due_jobs_run())
            relayed = outbox.run_pending_events()
            if run_tasks:
                task_worker.run()
                relayed += outbox.run_pending_events()  # events the tasks published
            self.stdout.write(
                _("Relayed %(events)d events and ran %(tasks)d tasks.")
                % {"events": relayed, "tasks": task_worker.tasks_run}
            )
            return
        self._run_until_stopped(task_worker if run_tasks else None, options["interval"], run_schedule)

    def _report(self, outcomes: list[schedule.Outcome]) -> None:
        for outcome in outcomes:
            self.stdout.write(outcome_line(outcome))

    def _run_until_stopped(self, task_worker: TaskWorker | None, interval: float, run_schedule: bool) -> None:
        def stop_tasks() -> None:
            if task_worker is not None:
                task_worker.running = False

        with stop_on_signal(self.stdout.write, stop_tasks) as stop:
            self._loop(stop, task_worker, interval, run_schedule)
        self.stdout.write(_("Worker stopped."))

    def _loop(
        self, stop: threading.Event, task_worker: TaskWorker | None, interval: float, run_schedule: bool
    ) -> None:
        tasks_thread = None
        if task_worker is not None:
            tasks_thread = threading.Thread(
                target=self._run_tasks, args=(task_worker,), name="kantoor-tasks", daemon=True
            )
            tasks_thread.start()
        self.stdout.write(
            _("Worker started: relaying events%s. Stop with SIGTERM or Ctrl+C.")
            % (_(" and running tasks") if task_worker else "")
        )
        if run_schedule:
            self.stdout.write(_("The periodic jobs run here too (--schedule)."))
        else:
            self._warn_overdue()
        try:
            while not stop.is_set():
                if tasks_thread is not None and not tasks_thread.is_alive():
                    # Exit non-zero so the supervisor restarts us rather than relaying without tasks.
                    raise CommandError(_("The task runner stopped unexpectedly; see the error above."))
                close_old_connections()
                try:
                    relayed = outbox.relay_pending(limit=RELAY_BATCH)
                except Exception:  # e.g. the database restarting: keep trying, the events wait
                    log.exception("outbox relay failed; retrying")
                    relayed = 0
                if run_schedule:
                    try:  # one SELECT when nothing is due
                        self._report(schedule.due_jobs_run())
                    except Exception:  # the jobs' own failures are recorded; this is the database
                        log.exception("running the scheduled jobs failed; retrying")
                if relayed < RELAY_BATCH:
                    stop.wait(interval)
        finally:
            if task_worker is not None and tasks_thread is not None:
                task_worker.running = False
                tasks_thread.join()
            connections.close_all()

    def _warn_overdue(self) -> None:
        """Periodic jobs long overdue mean that no scheduler runs: say so where it is seen."""
        try:
            late = schedule.overdue_jobs(timezone.now())
        except Exception:  # a warning only; the loop reports the database's trouble
            log.exception("checking for overdue periodic jobs failed")
            return
        if late:
            self.stderr.write(
                _(
                    "Periodic jobs are overdue (%s): is `kantoor scheduler` running? "
                    "(Or start this worker with --schedule.)"
                )
                % ", ".join(late)
            )

    @staticmethod
    def _run_tasks(task_worker: TaskWorker) -> None:
        try:
            task_worker.run()
        finally:
            connections.close_all()
