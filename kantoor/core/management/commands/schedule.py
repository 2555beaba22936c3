"""`kantoor schedule`: the periodic jobs (kantoor.core.schedule) with their last and next
run; `kantoor schedule run NAME` runs one now."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import schedule
from kantoor.core.models import ScheduledJob


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if moment else "-"


class Command(BaseCommand):
    help = _(
        "List the periodic jobs that `kantoor scheduler` runs, with their last and next run (UTC). "
        "`run NAME` runs one now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action")
        sub.add_parser("list", help=_("List the periodic jobs (the default)."))
        run = sub.add_parser("run", help=_("Run one periodic job now, due or not."))
        run.add_argument("name", help=_("The job's name, as listed."))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            self._run(options["name"])
        else:
            self._list()

    def _run(self, name: str) -> None:
        try:
            outcome = schedule.job_run(name)
        except schedule.UnknownJobError:
            known = ", ".join(job.name for job in schedule.jobs()) or "-"
            raise CommandError(
                _("Unknown job %(name)s. Jobs: %(jobs)s.") % {"name": name, "jobs": known}
            ) from None
        except schedule.JobRunningError:
            raise CommandError(_("Job %s is running elsewhere; try again when it is done.") % name) from None
        if outcome.status == ScheduledJob.Status.FAILED:
            raise CommandError(
                _("Job %(name)s failed: %(message)s") % {"name": name, "message": outcome.message}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Job %(name)s done: %(message)s Next run %(next)s UTC.")
                % {"name": name, "message": outcome.message or "-", "next": _when(outcome.next_run_at)}
            )
        )

    def _list(self) -> None:
        now = timezone.now()
        headers = [_("Job"), _("Schedule"), _("Last run"), _("Status"), _("Next run"), _("Message")]
        lines = []
        for job, row in schedule.states():
            if row is not None and row.running_until is not None and row.running_until >= now:
                status = _("running")
            elif row is not None and row.last_status:
                status = str(ScheduledJob.Status(row.last_status).label)
            else:
                status = "-"
            lines.append(
                [
                    job.name if job else row.name if row else "",
                    job.describe() if job else _("(no longer registered)"),
                    _when(row.last_started_at) if row else "-",
                    status,
                    _when(row.next_run_at) if row and job else "-",
                    row.last_message if row else "",
                ]
            )
        if not lines:
            self.stdout.write(_("No periodic jobs are registered."))
            return
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *lines, strict=False)]
        for cells in [headers, *lines]:
            text = "  ".join(
                str(cell).ljust(width) for cell, width in zip(cells[:-1], widths[:-1], strict=True)
            )
            self.stdout.write(f"{text}  {cells[-1]}".rstrip())
