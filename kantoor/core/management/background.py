"""What the long-running commands share (`kantoor worker`, `kantoor scheduler`): stopping
on SIGTERM or SIGINT after the current work, and the line that reports a periodic job's run."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from django.utils.translation import gettext as _

from kantoor.core import schedule
from kantoor.core.models import ScheduledJob


@contextlib.contextmanager
def stop_on_signal(
    write: Callable[[str], None], on_stop: Callable[[], None] | None = None
) -> Iterator[threading.Event]:
    """Within the block, SIGTERM and SIGINT set the event it yields: the loop finishes what it
    is doing (a task, a job) and stops. `on_stop` tells other threads; a second signal exits
    at once (status 1), even in the middle of the work. The previous handlers come back at
    the end of the block. Main thread only (where Python runs signal handlers)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # a second signal: stop now, even in the middle of a task
            raise SystemExit(1)
        write(_("Stopping after the current work… (press Ctrl+C again to force)"))
        stop.set()
        if on_stop is not None:
            on_stop()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def outcome_line(outcome: schedule.Outcome) -> str:
    """'Scheduled job inventory.reorder: OK. Reorder check done: 1 proposal(s).'"""
    line = _("Scheduled job %(name)s: %(status)s. %(message)s") % {
        "name": outcome.name,
        "status": ScheduledJob.Status(outcome.status).label,
        "message": outcome.message,
    }
    return line.rstrip()
