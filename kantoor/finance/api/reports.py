"""Endpoints of the financial reports: trial balance, general ledger (account summaries, and
each account's lines page by page), profit and loss and balance sheet, from posted lines.
Amounts are decimal strings. With `format=csv|xlsx|pdf` a report answers as a file
(Content-Disposition: attachment) instead of JSON."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from kantoor.core import policy
from kantoor.core.auth import actor_of
from kantoor.core.exports import ExportFile, ExportFormat
from kantoor.core.schemas import Id, QueryInput
from kantoor.finance import report_exports, reports
from kantoor.finance.schemas import DecimalText

router = Router()

FORMAT_DESCRIPTION = "csv, xlsx or pdf: answer with the report as a file instead of JSON."


def _file(exported: ExportFile) -> HttpResponse:
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


# ----------------------------------------------------------------------------- schemas


class ReportRangeFilters(QueryInput):
    date_from: dt.date | None = Field(None, description="First day of the period (required).")
    date_to: dt.date | None = Field(None, description="Last day of the period (required).")
    compare: bool = Field(False, description="Add the previous period of the same length.")
    format: ExportFormat | None = Field(None, description=FORMAT_DESCRIPTION)


class GeneralLedgerFilters(QueryInput):
    date_from: dt.date | None = Field(None, description="First day of the period (required).")
    date_to: dt.date | None = Field(None, description="Last day of the period (required).")
    account_id: list[Id] | None = Field(None, description="Only these accounts (repeat the parameter).")
    format: ExportFormat | None = Field(
        None, description=FORMAT_DESCRIPTION + " The file holds every line (at most 50,000)."
    )


class LedgerLinesFilters(QueryInput):
    date_from: dt.date | None = Field(None, description="First day of the period (required).")
    date_to: dt.date | None = Field(None, description="Last day of the period (required).")
    cursor: str | None = Field(None, max_length=40, description="`next_cursor` of the previous page.")
    limit: int = Field(reports.LEDGER_PAGE_SIZE, ge=1, le=reports.LEDGER_PAGE_MAX)


class BalanceSheetFilters(QueryInput):
    date: dt.date | None = Field(None, description="The day of the balance sheet (required).")
    compare: bool = Field(False, description="Add the balance sheet a year earlier (or at `compare_date`).")
    compare_date: dt.date | None = Field(None, description="The day to compare with; implies `compare`.")
    format: ExportFormat | None = Field(None, description=FORMAT_DESCRIPTION)


class ReportPeriodOut(Schema):
    date_from: dt.date
    date_to: dt.date


class AccountRefOut(Schema):
    account_id: int | None = Field(description="Null for a computed line (the result of a year).")
    code: str
    name: str
    account_type: str


class TrialBalanceFiguresOut(Schema):
    opening: DecimalText = Field(description="Debit minus credit before the period.")
    debit: DecimalText
    credit: DecimalText
    closing: DecimalText = Field(description="Debit minus credit at the end of the period.")


class ReportTrialBalanceRowOut(Schema):
    account: AccountRefOut
    current: TrialBalanceFiguresOut
    previous: TrialBalanceFiguresOut | None


class TrialBalanceReportOut(Schema):
    currency: str
    period: ReportPeriodOut
    previous_period: ReportPeriodOut | None
    rows: list[ReportTrialBalanceRowOut]
    total: TrialBalanceFiguresOut
    previous_total: TrialBalanceFiguresOut | None


class LedgerAccountOut(Schema):
    account: AccountRefOut
    opening: DecimalText
    debit: DecimalText
    credit: DecimalText
    closing: DecimalText
    line_count: int


class GeneralLedgerReportOut(Schema):
    currency: str
    period: ReportPeriodOut
    accounts: list[LedgerAccountOut]
    total_debit: DecimalText
    total_credit: DecimalText


class LedgerLineOut(Schema):
    line_id: int
    date: dt.date
    entry_id: int
    entry_number: str
    label: str
    party_id: int | None
    party_name: str
    debit: DecimalText
    credit: DecimalText
    balance: DecimalText = Field(description="Running balance after the line, debit minus credit.")


class LedgerLinesPageOut(Schema):
    account_id: int
    lines: list[LedgerLineOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class ReportRowOut(Schema):
    account: AccountRefOut
    amount: DecimalText
    previous: DecimalText | None


class ReportSectionOut(Schema):
    account_type: str
    label: str
    rows: list[ReportRowOut]
    total: DecimalText
    previous_total: DecimalText | None


class ProfitAndLossReportOut(Schema):
    currency: str
    period: ReportPeriodOut
    previous_period: ReportPeriodOut | None
    income: ReportSectionOut = Field(description="Income accounts, positive when earned.")
    expense: ReportSectionOut = Field(description="Expense accounts, positive when spent.")
    result: DecimalText = Field(description="Income minus expenses: a profit is positive.")
    previous_result: DecimalText | None


class BalanceSheetReportOut(Schema):
    currency: str
    at: dt.date
    previous_at: dt.date | None
    fiscal_year_start: dt.date
    assets: ReportSectionOut
    liabilities: ReportSectionOut = Field(description="Positive when owed.")
    equity: ReportSectionOut = Field(
        description="Positive when in credit; includes the current year's result and earlier years' "
        "results not yet closed."
    )
    liabilities_and_equity: DecimalText = Field(description="Always equal to the total of the assets.")
    previous_liabilities_and_equity: DecimalText | None


# ----------------------------------------------------------------------------- endpoints


@router.get("/reports/trial-balance", response=TrialBalanceReportOut)
def get_report_trial_balance(request: HttpRequest, filters: Query[ReportRangeFilters]) -> object:
    """Per account: balance before the period, debits and credits within it, closing balance;
    with `compare`, the previous period of the same length beside it."""
    report = reports.trial_balance_for_actor(
        actor_of(request), date_from=filters.date_from, date_to=filters.date_to, compare=filters.compare
    )
    if filters.format:
        return _file(report_exports.trial_balance_export(report, filters.format))
    return report


@router.get("/reports/general-ledger", response=GeneralLedgerReportOut)
def get_report_general_ledger(request: HttpRequest, filters: Query[GeneralLedgerFilters]) -> object:
    """Per account: opening balance, debits, credits, number of lines and closing balance in
    the period. Read an account's lines at /reports/general-ledger/{account_id}/lines; with
    `format`, the file holds every line."""
    actor = actor_of(request)
    report = reports.general_ledger_for_actor(
        actor, date_from=filters.date_from, date_to=filters.date_to, account_ids=filters.account_id
    )
    if filters.format:
        exported = report_exports.general_ledger_export(
            company_id=policy.actor_company_id(actor), report=report, export_format=filters.format
        )
        return _file(exported)
    return report


@router.get("/reports/general-ledger/{account_id}/lines", response=LedgerLinesPageOut)
def get_report_ledger_lines(
    request: HttpRequest, account_id: Id, filters: Query[LedgerLinesFilters]
) -> reports.LedgerLinesPage:
    """One page of an account's posted lines in the period, by date, each with the running
    balance and its entry's id for drill-down."""
    return reports.ledger_lines_for_actor(
        actor_of(request),
        account_id=account_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
        cursor=filters.cursor,
        limit=filters.limit,
    )


@router.get("/reports/profit-and-loss", response=ProfitAndLossReportOut)
def get_report_profit_and_loss(request: HttpRequest, filters: Query[ReportRangeFilters]) -> object:
    """Income and expenses of the period per account (both positive) and the result; with
    `compare`, the previous period of the same length beside it."""
    report = reports.profit_and_loss_for_actor(
        actor_of(request), date_from=filters.date_from, date_to=filters.date_to, compare=filters.compare
    )
    if filters.format:
        return _file(report_exports.profit_and_loss_export(report, filters.format))
    return report


@router.get("/reports/balance-sheet", response=BalanceSheetReportOut)
def get_report_balance_sheet(request: HttpRequest, filters: Query[BalanceSheetFilters]) -> object:
    """Assets, liabilities and equity on `date` (liabilities and equity positive), the year's
    result included so that it balances; with `compare`, a year earlier (or `compare_date`)."""
    report = reports.balance_sheet_for_actor(
        actor_of(request), at=filters.date, compare=filters.compare, compare_at=filters.compare_date
    )
    if filters.format:
        return _file(report_exports.balance_sheet_export(report, filters.format))
    return report
