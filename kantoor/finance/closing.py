"""Closing a fiscal year: the year's result moves to retained earnings and the year is
locked for good.

The closing entry is an ordinary journal entry of the general journal, created and posted
through the ledger's services (so it is numbered, chained and checked like any other),
dated on the year's last day. It zeroes every income and expense account for the year
against the account with the role `retained_earnings`. Then all periods and the year close.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kantoor.core import audit, policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import Company, User
from kantoor.core.money import quantize
from kantoor.core.outbox import publish
from kantoor.core.services import require_version
from kantoor.finance import services
from kantoor.finance.errors import FiscalYearCloseError, FiscalYearStateError
from kantoor.finance.events import PeriodLocked
from kantoor.finance.models import (
    Account,
    AccountRole,
    AccountType,
    EntryState,
    FiscalYear,
    JournalEntry,
    JournalKind,
    JournalLine,
    Period,
)

VIEW = "finance.view_ledger"
MANAGE = "finance.manage_ledger"
RESULT_TYPES = (AccountType.INCOME, AccountType.EXPENSE)


@dataclass(frozen=True)
class ResultBalance:
    """Posted debit minus credit of one income or expense account over a date range."""

    account_id: int
    code: str
    balance: Decimal


def result_balances(*, company_id: int, start: dt.date, end: dt.date) -> list[ResultBalance]:
    """The non-zero balance (debit − credit) of every income and expense account from the
    posted lines dated `start`…`end`, summed in SQL and quantized to the company currency
    (SQLite sums decimals as floating point). The year's result is minus their sum."""
    currency = Company.objects.values_list("base_currency", flat=True).get(pk=company_id)
    rows = (
        JournalLine.objects.filter(
            company_id=company_id,
            state=EntryState.POSTED,
            date__gte=start,
            date__lte=end,
            account__account_type__in=RESULT_TYPES,
        )
        .values("account_id", "account__code")
        .annotate(debit=Coalesce(Sum("debit"), Decimal(0)), credit=Coalesce(Sum("credit"), Decimal(0)))
        .order_by("account__code")
    )
    balances = [
        ResultBalance(
            account_id=row["account_id"],
            code=row["account__code"],
            balance=quantize(Decimal(str(row["debit"])), currency)
            - quantize(Decimal(str(row["credit"])), currency),
        )
        for row in rows
    ]
    return [b for b in balances if b.balance]


def _retained_earnings(company_id: int) -> Account:
    account = (
        Account.objects.filter(company_id=company_id, role=AccountRole.RETAINED_EARNINGS, is_active=True)
        .order_by("code")
        .first()
    )
    if account is None:
        raise FiscalYearCloseError(
            _("The chart of accounts has no active account with the role “retained earnings”.")
        )
    return account


def _closing_lines(balances: list[ResultBalance], retained: Account, label: str) -> list[services.LineIn]:
    """One line per account that undoes its balance, and the net on retained earnings."""
    lines = [
        services.LineIn(
            account_id=b.account_id,
            debit=-b.balance if b.balance < 0 else Decimal(0),
            credit=b.balance if b.balance > 0 else Decimal(0),
            label=label,
        )
        for b in balances
    ]
    # Debit − credit of the accounts' own balances: positive is a loss (debited to retained
    # earnings), negative a profit (credited).
    net = sum((b.balance for b in balances), Decimal(0))
    if net:
        lines.append(
            services.LineIn(
                account_id=retained.pk,
                debit=net if net > 0 else Decimal(0),
                credit=-net if net < 0 else Decimal(0),
                label=label,
            )
        )
    return lines


@transaction.atomic
def fiscal_year_close(*, actor: User, fiscal_year_id: int, version: int | None = None) -> FiscalYear:
    """Close a fiscal year: post the closing entry (dated on the year's last day, in the
    general journal) that zeroes every income and expense account for the year against
    retained earnings, then close its twelve periods and the year itself.

    Refuses a closed year (FiscalYearStateError), and (FiscalYearCloseError) a year with
    draft entries dated in it, a year whose next fiscal year does not exist yet, or a
    company without a retained-earnings account or general journal; the closing entry's
    posting refuses a closed last period or a lock date on or after the year's end
    (PeriodLockedError). With no income or expense balance the year closes without an
    entry. Locks the year and its periods (and, by posting, the general journal).
    Publishes EntryPosted (through the posting) and PeriodLocked (locked until year end).
    """
    year = FiscalYear.objects.select_for_update().filter(pk=fiscal_year_id).first()
    if year is None:
        raise NotFoundError(_("Not found."))
    # Who may not see the ledger learns nothing of the year (404), as for periods.
    policy.require(actor, MANAGE, year, visible_with=VIEW)
    require_version(year, version)
    if year.is_closed:
        raise FiscalYearStateError(_("Fiscal year %s is closed already.") % year.year)
    company_id = year.company_id
    drafts = JournalEntry.objects.filter(
        company_id=company_id, state=EntryState.DRAFT, date__gte=year.start_date, date__lte=year.end_date
    ).count()
    if drafts:
        raise FiscalYearCloseError(
            ngettext(
                "%(count)d draft entry is dated in fiscal year %(year)s: post or delete it first.",
                "%(count)d draft entries are dated in fiscal year %(year)s: post or delete them first.",
                drafts,
            )
            % {"count": drafts, "year": year.year}
        )
    next_start = year.end_date + dt.timedelta(days=1)
    if not FiscalYear.objects.filter(company_id=company_id, start_date=next_start).exists():
        raise FiscalYearCloseError(
            _("Create the next fiscal year (starting %(date)s) first: it receives the result.")
            % {"date": next_start.isoformat()}
        )
    periods = list(Period.objects.select_for_update().filter(fiscal_year=year).order_by("number"))
    balances = result_balances(company_id=company_id, start=year.start_date, end=year.end_date)
    result = -sum((b.balance for b in balances), Decimal(0))
    entry: JournalEntry | None = None
    if balances:
        retained = _retained_earnings(company_id)
        try:
            journal = services.journal_for(company_id=company_id, kind=JournalKind.GENERAL)
        except NotFoundError as exc:
            raise FiscalYearCloseError(exc.message) from exc
        label = _("Closing of fiscal year %s") % year.year
        # Posted before the periods close: the posting refuses a closed period.
        draft = services.entry_create(
            actor=actor,
            journal_id=journal.pk,
            date=year.end_date,
            reference=_("Closing %s") % year.year,
            narration=label,
            lines=_closing_lines(balances, retained, label),
        )
        entry = services.entry_post(actor=actor, entry_id=draft.pk)
    closed = Period.objects.filter(pk__in=[p.pk for p in periods if not p.is_closed]).update(
        is_closed=True, version=F("version") + 1
    )
    year.is_closed = True
    year.closing_entry = entry
    year.version += 1
    year.save(update_fields=["is_closed", "closing_entry", "version"])
    audit.record(
        actor=actor,
        obj=year,
        action="finance.fiscal_year_close",
        changes={
            "is_closed": [False, True],
            "result": result,
            "closing_entry": entry.number if entry is not None else "",
            "periods_closed": closed,
        },
    )
    publish(
        PeriodLocked(
            company_id=company_id,
            period_id=periods[-1].pk if periods else None,
            locked_until=year.end_date.isoformat(),
            actor_id=actor.pk,
        )
    )
    return year
