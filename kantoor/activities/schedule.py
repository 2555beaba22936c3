"""The activities' periodic jobs (kantoor.core.schedule), registered by apps.py: the
reminders, every five minutes."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from kantoor.activities.services import REMINDER_BATCH, reminders_send
from kantoor.core.schedule import periodic


@periodic("activities.reminders", every=dt.timedelta(minutes=5))
def reminders(now: dt.datetime) -> str:
    """Send the reminders whose time has passed (for every company; the system acts, no
    user). Batches of REMINDER_BATCH until none is left, each its own transaction, so a
    long backlog is sent without one huge transaction."""
    sent = 0
    while True:
        count = reminders_send(now=now)
        sent += count
        if count < REMINDER_BATCH:
            break
    return _("Reminders sent: %d.") % sent
