"""Financial reports of the ledger: trial balance, general ledger, profit and loss and balance
sheet. Read-only; only posted lines count.

Every figure is an SQL aggregate grouped by account over the index (company, state, account,
date, debit, credit), rounded in SQL and quantized to the company currency (SQLite sums
decimals as floating point). Only the general ledger reads lines themselves, one page of one account at
a time (keyset on (date, id)), so a ledger of millions of lines is never loaded whole.

Sign conventions: balances are debit minus credit; the profit and loss and the balance sheet
show income, liabilities and equity as positive numbers.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core import policy
from kantoor.core.errors import InvalidInputError, NotFoundError
from kantoor.core.models import Company
from kantoor.core.money import quantize
from kantoor.finance.models import (
    Account,
    AccountType,
    EntryState,
    FiscalYear,
    JournalEntry,
    JournalLine,
)
from kantoor.finance.selectors import VIEW

ZERO = Decimal("0.00")  # company-currency amounts have two decimals
LEDGER_PAGE_SIZE = 100
LEDGER_PAGE_MAX = 1000
# Exports of the general ledger read lines in pages too; beyond this many lines the caller
# is asked to filter by account or shorten the range rather than build a huge file.
LEDGER_EXPORT_MAX_LINES = 50_000

PROFIT_AND_LOSS_TYPES = (AccountType.INCOME, AccountType.EXPENSE)
BALANCE_SHEET_TYPES = (AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY)
# Shown positive when their balance is a credit.
CREDIT_TYPES = frozenset({AccountType.LIABILITY, AccountType.EQUITY, AccountType.INCOME})


class ReportPeriodInvalidError(InvalidInputError):
    code = "report-period-invalid"
    title = gettext_lazy("The report's dates are not valid")


# ----------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class DateRange:
    date_from: dt.date
    date_to: dt.date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1


def _is_whole_months(period: DateRange) -> bool:
    last = calendar.monthrange(period.date_to.year, period.date_to.month)[1]
    return period.date_from.day == 1 and period.date_to.day == last


def _month_shift(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def previous_range(period: DateRange) -> DateRange:
    """The period of the same length just before `period`: whole months shift by their number
    of months (March → February, a quarter → the quarter before, a year → the year before),
    any other range by its number of days."""
    try:
        if _is_whole_months(period):
            months = (period.date_to.year - period.date_from.year) * 12 + (
                period.date_to.month - period.date_from.month + 1
            )
            start = _month_shift(period.date_from, -months)
            return DateRange(start, period.date_from - dt.timedelta(days=1))
        end = period.date_from - dt.timedelta(days=1)
        return DateRange(end - dt.timedelta(days=period.days - 1), end)
    except (OverflowError, ValueError) as exc:
        raise ReportPeriodInvalidError.for_field(
            "date_from", _("There is no previous period before this date.")
        ) from exc


def year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        if day.year <= dt.MINYEAR:
            raise ReportPeriodInvalidError.for_field(
                "date", _("There is no comparison date before this date.")
            ) from None
        return day.replace(year=day.year - 1, day=28)


def range_check(date_from: dt.date | None, date_to: dt.date | None) -> DateRange:
    """A valid date range, or a ReportPeriodInvalidError naming the field."""
    errors: dict[str, list[str]] = {}
    if date_from is None:
        errors["date_from"] = [_("Enter the first day of the period.")]
    if date_to is None:
        errors["date_to"] = [_("Enter the last day of the period.")]
    if date_from is not None and date_to is not None and date_from > date_to:
        errors["date_to"] = [_("The end of the period lies before its start.")]
    if errors or date_from is None or date_to is None:
        raise ReportPeriodInvalidError(_("The report's dates are not valid."), field_errors=errors)
    return DateRange(date_from, date_to)


# ----------------------------------------------------------------------------- sums


def _currency(company_id: int) -> str:
    return str(Company.objects.values_list("base_currency", flat=True).get(pk=company_id))


def _sum(field: str, condition: Q | None = None) -> Any:
    """SUM(field) over the lines matching `condition`, 0 when none, rounded to cents in SQL."""
    total = Sum(field, filter=condition) if condition is not None else Sum(field)
    return Round(
        Coalesce(total, ZERO, output_field=DecimalField(max_digits=20, decimal_places=2)),
        2,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )


def _posted_lines(company_id: int) -> Any:
    return JournalLine.objects.filter(company_id=company_id, state=EntryState.POSTED)


def closing_entries(company_id: int) -> dict[int, dt.date]:
    """The entries that closed a fiscal year (its result moved to retained earnings), with
    their dates. The profit and loss leaves them out, or a closed year would show no result."""
    rows = JournalEntry.objects.filter(
        company_id=company_id,
        state=EntryState.POSTED,
        pk__in=FiscalYear.objects.filter(company_id=company_id, closing_entry__isnull=False).values(
            "closing_entry"
        ),
    )
    return dict(rows.values_list("pk", "date"))


def _amount(value: Any, currency: str) -> Decimal:
    return quantize(Decimal(str(value if value is not None else 0)), currency)


@dataclass(frozen=True)
class AccountRef:
    account_id: int | None  # None for a computed line (the result of the year)
    code: str
    name: str
    account_type: str


def _accounts(company_id: int, ids: Iterable[int]) -> dict[int, AccountRef]:
    rows = Account.objects.filter(company_id=company_id, pk__in=set(ids)).values_list(
        "pk", "code", "name", "account_type"
    )
    return {pk: AccountRef(pk, code, name, kind) for pk, code, name, kind in rows}


def _sorted(refs: Iterable[AccountRef]) -> list[AccountRef]:
    return sorted(refs, key=lambda ref: (ref.code, ref.account_id or 0))


def _shown(account_type: str, balance: Decimal) -> Decimal:
    """A debit-minus-credit balance as reports show it: credit types positive when in credit."""
    return -balance if account_type in CREDIT_TYPES else balance


# ----------------------------------------------------------------------------- trial balance


@dataclass(frozen=True)
class TrialBalanceFigures:
    opening: Decimal  # debit minus credit before the period
    debit: Decimal
    credit: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit


EMPTY_FIGURES = TrialBalanceFigures(ZERO, ZERO, ZERO)


@dataclass(frozen=True)
class TrialBalanceRow:
    account: AccountRef
    current: TrialBalanceFigures
    previous: TrialBalanceFigures | None


@dataclass(frozen=True)
class TrialBalanceReport:
    currency: str
    period: DateRange
    previous_period: DateRange | None
    rows: tuple[TrialBalanceRow, ...]
    total: TrialBalanceFigures
    previous_total: TrialBalanceFigures | None


def _company_accounts(company_id: int) -> dict[int, AccountRef]:
    rows = Account.objects.filter(company_id=company_id).values_list("pk", "code", "name", "account_type")
    return {pk: AccountRef(pk, code, name, kind) for pk, code, name, kind in rows}


def _trial_figures(
    company_id: int, period: DateRange, currency: str, account_ids: Sequence[int]
) -> dict[int, TrialBalanceFigures]:
    # Two sums per date range (before the period, within it) rather than four conditional
    # sums over every line up to its end; naming the accounts makes each account's lines one
    # range of the index (company, state, account, date, debit, credit), which holds the
    # amounts: SQLite reads the index alone, and neither database reads the lines after the
    # period nor, for the opening balances, those within it. SQLite, without statistics, does
    # not skip through that index by date unless the accounts are named.
    lines = _posted_lines(company_id).filter(account_id__in=account_ids)

    def sums(dates: Q) -> dict[int, tuple[Decimal, Decimal]]:
        rows = (
            lines.filter(dates)
            .values("account_id")
            .annotate(debit=_sum("debit"), credit=_sum("credit"))
            .order_by()
        )
        return {
            row["account_id"]: (_amount(row["debit"], currency), _amount(row["credit"], currency))
            for row in rows
        }

    before = sums(Q(date__lt=period.date_from))
    within = sums(Q(date__gte=period.date_from, date__lte=period.date_to))
    figures = {}
    for account_id in before.keys() | within.keys():
        opening_debit, opening_credit = before.get(account_id, (ZERO, ZERO))
        debit, credit = within.get(account_id, (ZERO, ZERO))
        item = TrialBalanceFigures(opening_debit - opening_credit, debit, credit)
        if item != EMPTY_FIGURES:
            figures[account_id] = item
    return figures


def _total(figures: Iterable[TrialBalanceFigures]) -> TrialBalanceFigures:
    items = list(figures)
    return TrialBalanceFigures(
        sum((f.opening for f in items), ZERO),
        sum((f.debit for f in items), ZERO),
        sum((f.credit for f in items), ZERO),
    )


def trial_balance(
    *, company_id: int, date_from: dt.date | None, date_to: dt.date | None, compare: bool = False
) -> TrialBalanceReport:
    """Per account with posted lines: the balance before `date_from`, the debits and credits
    from `date_from` to `date_to`, and the closing balance; with `compare`, the same for the
    previous period of the same length. Totals: debit equals credit, and the opening and
    closing balances add up to zero."""
    period = range_check(date_from, date_to)
    currency = _currency(company_id)
    chart = _company_accounts(company_id)
    current = _trial_figures(company_id, period, currency, list(chart))
    earlier = previous_range(period) if compare else None
    previous = _trial_figures(company_id, earlier, currency, list(chart)) if earlier else {}
    accounts = [chart[pk] for pk in set(current) | set(previous)]
    rows = tuple(
        TrialBalanceRow(
            account=ref,
            current=current.get(ref.account_id or 0, EMPTY_FIGURES),
            previous=previous.get(ref.account_id or 0, EMPTY_FIGURES) if earlier else None,
        )
        for ref in _sorted(accounts)
    )
    return TrialBalanceReport(
        currency=currency,
        period=period,
        previous_period=earlier,
        rows=rows,
        total=_total(current.values()),
        previous_total=_total(previous.values()) if earlier else None,
    )


def trial_balance_for_actor(
    actor: policy.Actor, *, date_from: dt.date | None, date_to: dt.date | None, compare: bool = False
) -> TrialBalanceReport:
    policy.require(actor, VIEW)
    return trial_balance(
        company_id=policy.actor_company_id(actor), date_from=date_from, date_to=date_to, compare=compare
    )


# ----------------------------------------------------------------------------- general ledger


@dataclass(frozen=True)
class LedgerAccount:
    """One account's summary in the general ledger: its balance before the period, its debits
    and credits within it and its closing balance (all debit minus credit)."""

    account: AccountRef
    opening: Decimal
    debit: Decimal
    credit: Decimal
    line_count: int

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit


@dataclass(frozen=True)
class GeneralLedgerReport:
    currency: str
    period: DateRange
    accounts: tuple[LedgerAccount, ...]

    @property
    def total_debit(self) -> Decimal:
        return sum((a.debit for a in self.accounts), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((a.credit for a in self.accounts), ZERO)

    @property
    def line_count(self) -> int:
        return sum(a.line_count for a in self.accounts)


@dataclass(frozen=True)
class LedgerLine:
    line_id: int
    date: dt.date
    entry_id: int
    entry_number: str
    label: str
    party_id: int | None
    party_name: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running balance after this line, debit minus credit


@dataclass(frozen=True)
class LedgerLinesPage:
    """A page of one account's lines in (date, id) order; `next_cursor` continues after it."""

    account_id: int
    lines: tuple[LedgerLine, ...]
    next_cursor: str | None


def general_ledger(
    *,
    company_id: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
    account_ids: Sequence[int] | None = None,
) -> GeneralLedgerReport:
    """Each account with a balance or posted lines in the period (or each of `account_ids`):
    opening balance, debits, credits, number of lines and closing balance — one aggregate
    query. Read the lines themselves page by page with `ledger_lines`."""
    period = range_check(date_from, date_to)
    currency = _currency(company_id)
    lines = _posted_lines(company_id).filter(date__lte=period.date_to)
    if account_ids is not None:
        lines = lines.filter(account_id__in=list(account_ids))
    within = Q(date__gte=period.date_from)
    rows = (
        lines.values("account_id")
        .annotate(
            opening_debit=_sum("debit", ~within),
            opening_credit=_sum("credit", ~within),
            period_debit=_sum("debit", within),
            period_credit=_sum("credit", within),
            line_count=Count("id", filter=within),
        )
        .order_by()
    )
    found = {row["account_id"]: row for row in rows}
    wanted = set(account_ids) if account_ids is not None else set(found)
    accounts = _accounts(company_id, wanted)
    result = []
    for ref in _sorted(accounts.values()):
        row = found.get(ref.account_id)
        if row is None:
            result.append(LedgerAccount(ref, ZERO, ZERO, ZERO, 0))
            continue
        opening = _amount(row["opening_debit"], currency) - _amount(row["opening_credit"], currency)
        item = LedgerAccount(
            ref,
            opening,
            _amount(row["period_debit"], currency),
            _amount(row["period_credit"], currency),
            int(row["line_count"] or 0),
        )
        if account_ids is not None or item.opening or item.line_count:
            result.append(item)
    return GeneralLedgerReport(currency=currency, period=period, accounts=tuple(result))


def _cursor_parse(cursor: str) -> tuple[dt.date, int]:
    try:
        day, _sep, line_id = cursor.partition("~")
        return dt.date.fromisoformat(day), int(line_id)
    except ValueError as exc:
        raise ReportPeriodInvalidError.for_field("cursor", _("The page cursor is not valid.")) from exc


def ledger_lines(
    *,
    company_id: int,
    account_id: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
    cursor: str | None = None,
    limit: int = LEDGER_PAGE_SIZE,
) -> LedgerLinesPage:
    """One page of an account's posted lines in the period, by date and id, each with the
    running balance (the opening balance included). The balance at the start of the page is
    one aggregate query; only the page's lines are read."""
    period = range_check(date_from, date_to)
    limit = max(1, min(limit, LEDGER_PAGE_MAX))
    currency = _currency(company_id)
    account_lines = _posted_lines(company_id).filter(account_id=account_id)
    in_range = account_lines.filter(date__gte=period.date_from, date__lte=period.date_to)
    before = Q(date__lt=period.date_from)
    after = Q()
    if cursor:
        day, line_id = _cursor_parse(cursor)
        earlier = Q(date__lt=day) | Q(date=day, id__lte=line_id)
        before |= Q(date__gte=period.date_from) & earlier
        after = Q(date__gt=day) | Q(date=day, id__gt=line_id)  # positive, so the index serves it
    start = account_lines.filter(before).aggregate(total_debit=_sum("debit"), total_credit=_sum("credit"))
    balance = _amount(start["total_debit"], currency) - _amount(start["total_credit"], currency)
    rows = list(
        in_range.filter(after)
        .order_by("date", "id")
        .values_list(
            "id", "date", "entry_id", "entry__number", "label", "party_id", "party__name", "debit", "credit"
        )[: limit + 1]
    )
    lines = []
    for line_id, day, entry_id, number, label, party_id, party_name, debit, credit in rows[:limit]:
        debit_amount, credit_amount = _amount(debit, currency), _amount(credit, currency)
        balance += debit_amount - credit_amount
        lines.append(
            LedgerLine(
                line_id=line_id,
                date=day,
                entry_id=entry_id,
                entry_number=number,
                label=label,
                party_id=party_id,
                party_name=party_name or "",
                debit=debit_amount,
                credit=credit_amount,
                balance=balance,
            )
        )
    next_cursor = None
    if len(rows) > limit:
        last = lines[-1]
        next_cursor = f"{last.date.isoformat()}~{last.line_id}"
    return LedgerLinesPage(account_id=account_id, lines=tuple(lines), next_cursor=next_cursor)


def general_ledger_for_actor(
    actor: policy.Actor,
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    account_ids: Sequence[int] | None = None,
) -> GeneralLedgerReport:
    policy.require(actor, VIEW)
    return general_ledger(
        company_id=policy.actor_company_id(actor),
        date_from=date_from,
        date_to=date_to,
        account_ids=account_ids,
    )


def ledger_lines_for_actor(
    actor: policy.Actor,
    *,
    account_id: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
    cursor: str | None = None,
    limit: int = LEDGER_PAGE_SIZE,
) -> LedgerLinesPage:
    policy.require(actor, VIEW)
    company_id = policy.actor_company_id(actor)
    if not Account.objects.filter(company_id=company_id, pk=account_id).exists():
        raise NotFoundError()
    return ledger_lines(
        company_id=company_id,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        cursor=cursor,
        limit=limit,
    )


def general_ledger_export_rows(
    *, company_id: int, report: GeneralLedgerReport, max_lines: int = LEDGER_EXPORT_MAX_LINES
) -> list[tuple[AccountRef, LedgerAccount, list[LedgerLine]]]:
    """Every account of `report` with all its lines, read page by page, for a file export;
    refused (ReportPeriodInvalidError) beyond `max_lines` lines."""
    if report.line_count > max_lines:
        raise ReportPeriodInvalidError(
            _(
                "The general ledger has %(count)s lines in this period, more than %(max)s for one "
                "file: choose accounts or a shorter period."
            )
            % {"count": report.line_count, "max": max_lines},
            field_errors={"date_to": [_("Choose accounts or a shorter period.")]},
        )
    result = []
    for item in report.accounts:
        assert item.account.account_id is not None  # noqa: S101 - general ledger rows are accounts
        lines: list[LedgerLine] = []
        cursor: str | None = None
        while True:
            page = ledger_lines(
                company_id=company_id,
                account_id=item.account.account_id,
                date_from=report.period.date_from,
                date_to=report.period.date_to,
                cursor=cursor,
                limit=LEDGER_PAGE_MAX,
            )
            lines.extend(page.lines)
            cursor = page.next_cursor
            if cursor is None:
                break
        result.append((item.account, item, lines))
    return result


# ----------------------------------------------------------------------------- profit and loss


@dataclass(frozen=True)
class ReportRow:
    """An account (or a computed line) with its amount as the report shows it."""

    account: AccountRef
    amount: Decimal
    previous: Decimal | None


@dataclass(frozen=True)
class ReportSection:
    account_type: str
    label: str
    rows: tuple[ReportRow, ...]
    total: Decimal
    previous_total: Decimal | None


@dataclass(frozen=True)
class ProfitAndLossReport:
    currency: str
    period: DateRange
    previous_period: DateRange | None
    income: ReportSection
    expense: ReportSection
    result: Decimal  # income minus expenses: a profit is positive
    previous_result: Decimal | None


def _balances(company_id: int, currency: str, types: Sequence[str], condition: Q) -> dict[int, Decimal]:
    """Debit minus credit per account of these types over the lines matching `condition`."""
    rows = (
        _posted_lines(company_id)
        .filter(condition, account__account_type__in=list(types))
        .values("account_id")
        .annotate(total_debit=_sum("debit"), total_credit=_sum("credit"))
        .order_by()
    )
    return {
        row["account_id"]: _amount(row["total_debit"], currency) - _amount(row["total_credit"], currency)
        for row in rows
    }


def _section(
    account_type: str,
    label: str,
    accounts: dict[int, AccountRef],
    current: dict[int, Decimal],
    previous: dict[int, Decimal] | None,
    extra: Sequence[ReportRow] = (),
) -> ReportSection:
    ids = {pk for pk in set(current) | set(previous or {}) if accounts[pk].account_type == account_type}
    rows = [
        ReportRow(
            account=accounts[pk],
            amount=_shown(account_type, current.get(pk, ZERO)),
            previous=_shown(account_type, previous.get(pk, ZERO)) if previous is not None else None,
        )
        for pk in ids
        if current.get(pk, ZERO) or (previous or {}).get(pk, ZERO)
    ]
    rows.sort(key=lambda row: (row.account.code, row.account.account_id or 0))
    rows.extend(extra)
    return ReportSection(
        account_type=account_type,
        label=label,
        rows=tuple(rows),
        total=sum((row.amount for row in rows), ZERO),
        previous_total=sum((row.previous or ZERO for row in rows), ZERO) if previous is not None else None,
    )


def _within(period: DateRange) -> Q:
    return Q(date__gte=period.date_from, date__lte=period.date_to)


def profit_and_loss(
    *, company_id: int, date_from: dt.date | None, date_to: dt.date | None, compare: bool = False
) -> ProfitAndLossReport:
    """Income and expenses of the period per account, grouped by type (both shown positive),
    and the result (income minus expenses); with `compare`, the previous period of the same
    length beside it."""
    period = range_check(date_from, date_to)
    currency = _currency(company_id)
    not_closing = ~Q(entry_id__in=list(closing_entries(company_id)))
    current = _balances(company_id, currency, PROFIT_AND_LOSS_TYPES, _within(period) & not_closing)
    earlier = previous_range(period) if compare else None
    previous = (
        _balances(company_id, currency, PROFIT_AND_LOSS_TYPES, _within(earlier) & not_closing)
        if earlier
        else None
    )
    accounts = _accounts(company_id, set(current) | set(previous or {}))
    income = _section(AccountType.INCOME, _("Income"), accounts, current, previous)
    expense = _section(AccountType.EXPENSE, _("Expenses"), accounts, current, previous)
    return ProfitAndLossReport(
        currency=currency,
        period=period,
        previous_period=earlier,
        income=income,
        expense=expense,
        result=income.total - expense.total,
        previous_result=(
            income.previous_total - expense.previous_total
            if income.previous_total is not None and expense.previous_total is not None
            else None
        ),
    )


def profit_and_loss_for_actor(
    actor: policy.Actor, *, date_from: dt.date | None, date_to: dt.date | None, compare: bool = False
) -> ProfitAndLossReport:
    policy.require(actor, VIEW)
    return profit_and_loss(
        company_id=policy.actor_company_id(actor), date_from=date_from, date_to=date_to, compare=compare
    )


# ----------------------------------------------------------------------------- balance sheet


@dataclass(frozen=True)
class BalanceSheetReport:
    currency: str
    at: dt.date
    previous_at: dt.date | None
    fiscal_year_start: dt.date
    assets: ReportSection
    liabilities: ReportSection
    equity: ReportSection  # the result of the current year and earlier unclosed years included

    @property
    def liabilities_and_equity(self) -> Decimal:
        return self.liabilities.total + self.equity.total

    @property
    def previous_liabilities_and_equity(self) -> Decimal | None:
        if self.liabilities.previous_total is None or self.equity.previous_total is None:
            return None
        return self.liabilities.previous_total + self.equity.previous_total


def fiscal_year_start(company_id: int, day: dt.date) -> dt.date:
    """The first day of the fiscal year containing `day`: the fiscal year's own start when it
    exists, else the company's fiscal-year start day."""
    start = (
        FiscalYear.objects.filter(company_id=company_id, start_date__lte=day, end_date__gte=day)
        .values_list("start_date", flat=True)
        .first()
    )
    if start is not None:
        return start
    company = Company.objects.get(pk=company_id)
    year = company.fiscal_year_of(day)
    if year < dt.MINYEAR:  # a day before the first fiscal year the calendar can hold
        return dt.date.min
    return dt.date(year, company.fiscal_year_start_month, company.fiscal_year_start_day)


RESULT_CURRENT = "current-year-result"
RESULT_EARLIER = "earlier-years-result"


def _balance_sheet_figures(
    company_id: int, currency: str, at: dt.date
) -> tuple[dt.date, dict[int, Decimal], Decimal, Decimal]:
    """Balance per balance-sheet account at `at`, and the results (credit minus debit of the
    income and expense accounts) of the fiscal year up to `at` and of the years before."""
    start = fiscal_year_start(company_id, at)
    result_types = [str(t) for t in PROFIT_AND_LOSS_TYPES]
    # The closing of the current year (dated on its last day) is left out, so that a balance
    # sheet on that day shows the year's result rather than retained earnings that already
    # hold it; closings of earlier years count (their results are in retained earnings).
    this_years_closing = [pk for pk, day in closing_entries(company_id).items() if day >= start]
    rows = (
        _posted_lines(company_id)
        .filter(date__lte=at)
        .exclude(entry_id__in=this_years_closing)
        .values("account_id", "account__account_type")
        .annotate(
            total_debit=_sum("debit"),
            total_credit=_sum("credit"),
            earlier_debit=_sum("debit", Q(date__lt=start)),
            earlier_credit=_sum("credit", Q(date__lt=start)),
        )
        .order_by()
    )
    balances: dict[int, Decimal] = {}
    current_result = earlier_result = ZERO
    for row in rows:
        balance = _amount(row["total_debit"], currency) - _amount(row["total_credit"], currency)
        if row["account__account_type"] in result_types:
            earlier = _amount(row["earlier_debit"], currency) - _amount(row["earlier_credit"], currency)
            earlier_result -= earlier
            current_result -= balance - earlier
        else:
            balances[row["account_id"]] = balance
    return start, balances, current_result, earlier_result


def balance_sheet(
    *, company_id: int, at: dt.date | None, compare: bool = False, compare_at: dt.date | None = None
) -> BalanceSheetReport:
    """Assets, liabilities and equity at `at` (liabilities and equity positive when in
    credit). Equity includes the result of the current fiscal year up to `at` and the
    results of earlier years not yet closed into retained earnings, so assets always equal
    liabilities plus equity. With `compare`, the same at `compare_at` (default: a year
    earlier)."""
    if at is None:
        raise ReportPeriodInvalidError.for_field("date", _("Enter the date of the balance sheet."))
    currency = _currency(company_id)
    start, current, current_result, earlier_result = _balance_sheet_figures(company_id, currency, at)
    previous_at = (compare_at or year_before(at)) if compare or compare_at else None
    previous: dict[int, Decimal] | None = None
    previous_result = previous_earlier = ZERO
    if previous_at is not None:
        _start, previous, previous_result, previous_earlier = _balance_sheet_figures(
            company_id, currency, previous_at
        )
    accounts = _accounts(company_id, set(current) | set(previous or {}))
    equity_type = str(AccountType.EQUITY)
    results = []
    if earlier_result or previous_earlier:
        results.append(
            ReportRow(
                AccountRef(None, "", _("Result of earlier years (not closed)"), equity_type),
                earlier_result,
                previous_earlier if previous is not None else None,
            )
        )
    results.append(
        ReportRow(
            AccountRef(None, "", _("Current year result"), equity_type),
            current_result,
            previous_result if previous is not None else None,
        )
    )
    return BalanceSheetReport(
        currency=currency,
        at=at,
        previous_at=previous_at,
        fiscal_year_start=start,
        assets=_section(AccountType.ASSET, _("Assets"), accounts, current, previous),
        liabilities=_section(AccountType.LIABILITY, _("Liabilities"), accounts, current, previous),
        equity=_section(AccountType.EQUITY, _("Equity"), accounts, current, previous, results),
    )


def balance_sheet_for_actor(
    actor: policy.Actor, *, at: dt.date | None, compare: bool = False, compare_at: dt.date | None = None
) -> BalanceSheetReport:
    policy.require(actor, VIEW)
    return balance_sheet(
        company_id=policy.actor_company_id(actor), at=at, compare=compare, compare_at=compare_at
    )
