"""Endpoints of the ledger: the chart of accounts, journals and fiscal years (read), journal
entries from draft to posted and reversed, and the trial balance. Amounts are decimal
strings in and out."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core import policy
from kantoor.core.auth import actor_of
from kantoor.core.errors import NotFoundError
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id, Version
from kantoor.finance import closing, selectors, services
from kantoor.finance.models import Account, FinanceSettings, FiscalYear, Journal, JournalEntry, Period
from kantoor.finance.schemas import (
    AccountFilters,
    AccountPage,
    EntryCreateIn,
    EntryFilters,
    EntryOut,
    EntryPage,
    EntryReverseIn,
    EntryUpdateIn,
    EntryVersionIn,
    FiscalYearCreateIn,
    FiscalYearDetailOut,
    FiscalYearPage,
    JournalPage,
    LedgerVersionIn,
    LockDateIn,
    LockDateOut,
    PeriodOut,
    TrialBalanceFilters,
    TrialBalanceOut,
)

router = Router()

# Newest first; the index (company, state, date) serves the date range and the order.
ENTRY_ORDER = ["-date", "-id"]


@router.get("/accounts", response=AccountPage)
def list_accounts(
    request: HttpRequest, filters: Query[AccountFilters], page: Query[PageParams]
) -> KeysetPage[Account]:
    """The chart of accounts, by code."""
    accounts = selectors.accounts_visible(actor_of(request))
    if filters.type is not None:
        accounts = accounts.filter(account_type=filters.type)
    if filters.role is not None:
        accounts = accounts.filter(role=filters.role)
    if filters.active is not None:
        accounts = accounts.filter(is_active=filters.active)
    return keyset_page(accounts, ordering=["code", "id"], params=page, name="accounts")


@router.get("/journals", response=JournalPage)
def list_journals(request: HttpRequest, page: Query[PageParams]) -> KeysetPage[Journal]:
    """The journals (sales, purchases, bank, cash, general), by code."""
    journals = selectors.journals_visible(actor_of(request))
    return keyset_page(journals, ordering=["code", "id"], params=page, name="journals")


@router.get("/fiscal-years", response=FiscalYearPage)
def list_fiscal_years(request: HttpRequest, page: Query[PageParams]) -> KeysetPage[FiscalYear]:
    """The fiscal years with their periods, oldest first."""
    years = policy.filter_queryset(actor_of(request), selectors.VIEW, FiscalYear.objects.all())
    years = years.prefetch_related("periods")
    return keyset_page(years, ordering=["start_date", "id"], params=page, name="fiscal-years")


@router.post("/fiscal-years", response={201: FiscalYearDetailOut})
def create_fiscal_year(request: HttpRequest, payload: FiscalYearCreateIn) -> Status:
    """Open a fiscal year (named by the calendar year it starts in, starting on the
    company's fiscal-year start) with its twelve monthly periods."""
    year = services.fiscal_year_create(actor=actor_of(request), year=payload.year)
    return Status(201, year)


@router.get("/fiscal-years/{fiscal_year_id}", response=FiscalYearDetailOut)
def get_fiscal_year(request: HttpRequest, fiscal_year_id: Id) -> FiscalYear:
    """One fiscal year with its periods, its version and its closing entry's number."""
    years = policy.filter_queryset(actor_of(request), selectors.VIEW, FiscalYear.objects.all())
    year = years.select_related("closing_entry").prefetch_related("periods").filter(pk=fiscal_year_id).first()
    if year is None:
        raise NotFoundError()
    return year


@router.post("/fiscal-years/{fiscal_year_id}/close", response=FiscalYearDetailOut)
def close_fiscal_year(request: HttpRequest, fiscal_year_id: Id, payload: LedgerVersionIn) -> FiscalYear:
    """Close a fiscal year: its result moves to retained earnings by a posted closing entry
    dated on its last day, and the year and its periods close for good. Refused with 409
    when `version` is stale, the year is closed, drafts are dated in it, or the next
    fiscal year does not exist yet."""
    return closing.fiscal_year_close(
        actor=actor_of(request), fiscal_year_id=fiscal_year_id, version=payload.version
    )


@router.post("/periods/{period_id}/close", response=PeriodOut)
def close_period(request: HttpRequest, period_id: Id, payload: LedgerVersionIn) -> Period:
    """Close a period: nothing more is posted or reversed into it."""
    return services.period_close(actor=actor_of(request), period_id=period_id, version=payload.version)


@router.post("/periods/{period_id}/reopen", response=PeriodOut)
def reopen_period(request: HttpRequest, period_id: Id, payload: LedgerVersionIn) -> Period:
    """Reopen a closed period; refused with 409 for a period on or before the lock date."""
    return services.period_reopen(actor=actor_of(request), period_id=period_id, version=payload.version)


@router.get("/lock-date", response=LockDateOut)
def get_lock_date(request: HttpRequest) -> LockDateOut:
    """The company's lock date and the version of its finance settings (send it to change it)."""
    actor = actor_of(request)
    policy.require(actor, selectors.VIEW)
    settings = policy.filter_queryset(actor, selectors.VIEW, FinanceSettings.objects.all()).first()
    # No settings row yet: the service creates it at version 1 on the first change.
    if settings is None:
        return LockDateOut(lock_date=None, version=1)
    return LockDateOut(lock_date=settings.lock_date, version=settings.version)


@router.put("/lock-date", response=LockDateOut)
def set_lock_date(request: HttpRequest, payload: LockDateIn) -> LockDateOut:
    """Set (or with null remove) the lock date: nothing is posted, reversed or reconciled on
    or before it, and periods on or before it cannot be reopened. 409 when `version` is stale."""
    settings = services.lock_date_set(
        actor=actor_of(request), lock_date=payload.lock_date, version=payload.version
    )
    return LockDateOut(lock_date=settings.lock_date, version=settings.version)


@router.get("/entries", response=EntryPage)
def list_entries(
    request: HttpRequest, filters: Query[EntryFilters], page: Query[PageParams]
) -> KeysetPage[JournalEntry]:
    """Journal entries, newest first (without their lines: read one entry for those)."""
    entries = selectors.entries_visible(actor_of(request))
    if filters.journal is not None:
        entries = entries.filter(journal_id=filters.journal)
    if filters.state is not None:
        entries = entries.filter(state=filters.state)
    if filters.date_from is not None:
        entries = entries.filter(date__gte=filters.date_from)
    if filters.date_to is not None:
        entries = entries.filter(date__lte=filters.date_to)
    return keyset_page(entries, ordering=ENTRY_ORDER, params=page, name="entries")


@router.get("/entries/{entry_id}", response=EntryOut)
def get_entry(request: HttpRequest, entry_id: Id) -> JournalEntry:
    return selectors.entry_get_for_actor(actor_of(request), entry_id)


@router.post("/entries", response={201: EntryOut})
def create_entry(request: HttpRequest, payload: EntryCreateIn) -> Status:
    """Create a draft entry with its lines (a draft has no number and need not balance)."""
    entry = services.entry_create(
        actor=actor_of(request),
        journal_id=payload.journal_id,
        date=payload.date,
        reference=payload.reference,
        narration=payload.narration,
        lines=[line.model_dump() for line in payload.lines],
    )
    return Status(201, entry)


@router.patch("/entries/{entry_id}", response=EntryOut)
def update_entry(request: HttpRequest, entry_id: Id, payload: EntryUpdateIn) -> JournalEntry:
    """Change a draft: the fields sent change; `lines`, when sent, replace all its lines.
    Refused with 409 when `version` is stale, and for a posted entry (reverse it instead)."""
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return services.entry_update(actor=actor_of(request), entry_id=entry_id, version=version, **changes)


@router.delete("/entries/{entry_id}", response={204: None})
def delete_entry(request: HttpRequest, entry_id: Id, version: Query[Version]) -> Status:
    """Delete a draft (it holds no number, so no gap appears). Refused with 409 when
    `version` is stale, and for a posted entry."""
    services.entry_delete(actor=actor_of(request), entry_id=entry_id, version=version)
    return Status(204, None)


@router.post("/entries/{entry_id}/post", response=EntryOut)
def post_entry(request: HttpRequest, entry_id: Id, payload: EntryVersionIn) -> JournalEntry:
    """Post a draft: it must balance exactly and be dated in an open period after the lock
    date. It gets the journal's next gapless number and becomes immutable."""
    return services.entry_post(actor=actor_of(request), entry_id=entry_id, version=payload.version)


@router.post("/entries/{entry_id}/reverse", response={201: EntryOut})
def reverse_entry(request: HttpRequest, entry_id: Id, payload: EntryReverseIn) -> Status:
    """Reverse a posted entry: answers the new, posted reversal (debits and credits swapped,
    same journal). An entry is reversed at most once."""
    reversal = services.entry_reverse(
        actor=actor_of(request), entry_id=entry_id, date=payload.date, narration=payload.narration
    )
    return Status(201, reversal)


@router.get("/trial-balance", response=TrialBalanceOut)
def get_trial_balance(request: HttpRequest, filters: Query[TrialBalanceFilters]) -> TrialBalanceOut:
    """Posted debits and credits per account with posted lines, by code."""
    rows = selectors.trial_balance_for_actor(actor_of(request), up_to=filters.up_to)
    return TrialBalanceOut.model_validate(
        {
            "up_to": filters.up_to,
            "rows": rows,
            "total_debit": sum((row.debit for row in rows), Decimal(0)),
            "total_credit": sum((row.credit for row in rows), Decimal(0)),
        }
    )
