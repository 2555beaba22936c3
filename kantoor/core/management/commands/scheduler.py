"""`kantoor scheduler`: the process that runs the periodic jobs (kantoor.core.schedule) when
they are due, until SIGTERM or SIGINT (the job running then finishes first); `--once` runs
what is due now and exits (tests, cron). One per installation is enough; a second one is
harmless (a job's lease lets one process run it). Where one process must do everything,
`kantoor worker --schedule` runs the jobs instead."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.utils.translation import gettext as _

from kantoor.core import schedule
from kantoor.core.management.background import outcome_line, stop_on_signal

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 10.0


class Command(BaseCommand):
    help = _(
        "Run the periodic jobs when they are due until stopped (SIGTERM or Ctrl+C finish the "
        "current job first). With --once: run what is due and exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help=_("Run the jobs that are due, then exit."))
        parser.add_argument(
            "--interval",
            type=float,
            default=DEFAULT_INTERVAL,
            help=_("Seconds between two looks for due jobs (default %s).") % f"{DEFAULT_INTERVAL:g}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError(_("--interval must be more than 0 seconds."))
        if options["once"]:
            outcomes = schedule.due_jobs_run()
            self._report(outcomes)
            self.stdout.write(_("Ran %d periodic jobs.") % len(outcomes))
            return
        with stop_on_signal(self.stdout.write) as stop:
            names = ", ".join(job.name for job in schedule.jobs()) or "-"
            self.stdout.write(
                _("Scheduler started: %(count)d periodic jobs (%(names)s). Stop with SIGTERM or Ctrl+C.")
                % {"count": len(schedule.jobs()), "names": names}
            )
            try:
                while not stop.is_set():
                    close_old_connections()
                    try:  # one SELECT when nothing is due
                        self._report(schedule.due_jobs_run())
                    except Exception:  # the jobs' own failures are recorded; this is the database
                        log.exception("running the periodic jobs failed; retrying")
                    stop.wait(options["interval"])
            finally:
                connections.close_all()
        self.stdout.write(_("Scheduler stopped."))

    def _report(self, outcomes: list[schedule.Outcome]) -> None:
        for outcome in outcomes:
            self.stdout.write(outcome_line(outcome))
