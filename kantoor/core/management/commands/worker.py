"""`kantoor worker`: the background process of a production installation. It relays the
outbox (events to their handlers, with retries), runs the periodic jobs that are due
(kantoor.core.schedule) and runs the tasks queued on the database backend with
django-tasks-db's worker, until SIGTERM or SIGINT; `--once` does what is pending now and
exits (tests, cron)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from kantoor.core import outbox, schedule
from kantoor.core.models import ScheduledJob

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
            "--no-schedule",
            action="store_true",
            help=_("Do not run the periodic jobs (another worker runs them, or none should)."),
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
        run_schedule = not options["no_schedule"]
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
            line = _("Scheduled job %(name)s: %(status)s. %(message)s") % {
                "name": outcome.name,
                "status": ScheduledJob.Status(outcome.status).label,
                "message": outcome.message,
            }
            self.stdout.write(line.rstrip())

    def _run_until_stopped(self, task_worker: TaskWorker | None, interval: float, run_schedule: bool) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            if stop.is_set():  # a second signal: stop now, even in the middle of a task
                raise SystemExit(1)
            self.stdout.write(_("Stopping after the current work… (press Ctrl+C again to force)"))
            stop.set()
            if task_worker is not None:
                task_worker.running = False

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
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
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            connections.close_all()
        self.stdout.write(_("Worker stopped."))

    @staticmethod
    def _run_tasks(task_worker: TaskWorker) -> None:
        try:
            task_worker.run()
        finally:
            connections.close_all()
