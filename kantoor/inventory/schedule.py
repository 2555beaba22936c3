"""The inventory's periodic jobs (kantoor.core.schedule), registered by apps.py: the daily
reorder check."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils.translation import gettext as _

from kantoor.core.models import Company
from kantoor.core.schedule import periodic
from kantoor.inventory.reordering import reorder_check

log = logging.getLogger(__name__)


@periodic("inventory.reorder", every=dt.timedelta(days=1), at=dt.time(4, 0))
def reorder(now: dt.datetime) -> str:
    """What `kantoor stock reorder` does, for every company, each day at 04:00 UTC (before
    the working day in Europe). The check acts for no user (the system, like the command):
    it reads the rules and publishes StockBelowMinimum. A company whose check fails is
    logged and the others still run; the job is then recorded failed."""
    proposals = 0
    failed: list[int] = []
    for company_id in Company.objects.order_by("pk").values_list("pk", flat=True):
        try:
            proposals += len(reorder_check(company_id=company_id, now=now))
        except Exception:
            log.exception("the reorder check failed for company %s", company_id)
            failed.append(company_id)
    if failed:
        raise RuntimeError(
            f"the reorder check failed for companies {', '.join(map(str, failed))} "
            f"({proposals} proposal(s) in the others)"
        )
    return _("Reorder check done: %d proposal(s).") % proposals
