"""Demo ledger: the Dutch chart, the current fiscal year and a handful of realistic posted
entries — opening balances, rent, a cash sale, a sales invoice, purchases, and a wrongly
booked fuel bill that is reversed and booked again.

Every entry is found again by its reference, so a re-run creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import demo
from kantoor.core.models import Company, User
from kantoor.finance import services
from kantoor.finance.models import Account, FiscalYear, Journal, JournalEntry


class DemoEntry(NamedTuple):
    reference: str
    journal: str
    day: int  # days after the start of the fiscal year
    narration: str
    lines: tuple[tuple[str, str, str], ...]  # account code, debit, credit


DEMO_ENTRIES = (
    DemoEntry(
        "OPENING",
        "MEM",
        0,
        "Openingsbalans",
        (
            ("1100", "48250.00", "0"),
            ("1000", "350.00", "0"),
            ("0400", "12500.00", "0"),
            ("3000", "18400.00", "0"),
            ("0800", "0", "18000.00"),
            ("0820", "0", "41500.00"),
            ("1600", "0", "6200.00"),
            ("0900", "0", "13800.00"),
        ),
    ),
    DemoEntry(
        "RENT-01",
        "BNK",
        2,
        "Huur bedrijfsruimte januari",
        (("4100", "2450.00", "0"), ("1100", "0", "2450.00")),
    ),
    DemoEntry(
        "CASH-0107",
        "KAS",
        6,
        "Contante verkoop balie",
        (("1000", "605.00", "0"), ("8000", "0", "500.00"), ("1510", "0", "105.00")),
    ),
    DemoEntry(
        "INV-SUPPLY-311",
        "IK",
        8,
        "Kantoorbenodigdheden Papierhuis",
        (("4300", "186.00", "0"), ("1500", "39.06", "0"), ("1600", "0", "225.06")),
    ),
    DemoEntry(
        "SALES-0113",
        "VK",
        12,
        "Levering tulpenbollen Bloemenhandel Visser",
        (("1300", "3025.00", "0"), ("8000", "0", "2500.00"), ("1510", "0", "525.00")),
    ),
    DemoEntry(
        "SOFTWARE-01",
        "BNK",
        14,
        "Boekhoudsoftware abonnement januari",
        (("4320", "89.00", "0"), ("1500", "18.69", "0"), ("1100", "0", "107.69")),
    ),
    DemoEntry(
        "FUEL-0118", "BNK", 17, "Brandstof bestelbus", (("4100", "74.38", "0"), ("1100", "0", "74.38"))
    ),
    DemoEntry(
        "FUEL-0118-C",
        "BNK",
        17,
        "Brandstof bestelbus (gecorrigeerd)",
        (("4200", "74.38", "0"), ("1100", "0", "74.38")),
    ),
)
# The first fuel bill went to rent by mistake; the demo reverses it (the correction follows).
REVERSED = "FUEL-0118"


@demo.register("finance", order=50)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """The Dutch chart, this fiscal year and the demo entries, created where missing."""
    actor = users["finance"]
    advance = progress(_("Ledger"), len(DEMO_ENTRIES) + 2)
    if not Account.objects.filter(company=company).exists():
        services.chart_install(actor=actor, template="nl")
    year = company.fiscal_year_of(timezone.localdate())
    fiscal_year = FiscalYear.objects.filter(company=company, year=year).first()
    if fiscal_year is None:
        fiscal_year = services.fiscal_year_create(actor=actor, year=year)
    advance(1)
    accounts = dict(Account.objects.filter(company=company).values_list("code", "pk"))
    journals = dict(Journal.objects.filter(company=company).values_list("code", "pk"))
    existing = {
        e.reference: e
        for e in JournalEntry.objects.filter(
            company=company,
            reference__startswith="DEMO-",
            reversal_of__isnull=True,  # a reversal keeps the reference
        )
    }
    for spec in DEMO_ENTRIES:
        reference = f"DEMO-{spec.reference}"
        entry = existing.get(reference)
        if entry is None:
            entry = services.entry_create(
                actor=actor,
                journal_id=journals[spec.journal],
                date=fiscal_year.start_date + dt.timedelta(days=spec.day),
                reference=reference,
                narration=spec.narration,
                lines=[
                    services.LineIn(account_id=accounts[code], debit=Decimal(debit), credit=Decimal(credit))
                    for code, debit, credit in spec.lines
                ],
            )
        if not entry.is_posted:
            entry = services.entry_post(actor=actor, entry_id=entry.pk)
        if spec.reference == REVERSED and not JournalEntry.objects.filter(reversal_of=entry).exists():
            services.entry_reverse(actor=actor, entry_id=entry.pk)
        advance(1)
    advance(1)
