"""The financial reports as files (CSV, XLSX, PDF): each report laid out as one table for
`core.exports.table_export`, with the comparison columns when the report has them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from kantoor.core.exports import Cell, ExportFile, ExportRow, table_export
from kantoor.finance.reports import (
    BalanceSheetReport,
    DateRange,
    GeneralLedgerReport,
    ProfitAndLossReport,
    ReportSection,
    TrialBalanceReport,
    general_ledger_export_rows,
)


def _range(period: DateRange) -> str:
    return f"{period.date_from.isoformat()} – {period.date_to.isoformat()}"


def _subtitle(currency: str, current: str, previous: str | None) -> str:
    text = f"{current} ({currency})"
    if previous:
        text += " · " + _("compared with %(previous)s") % {"previous": previous}
    return text


def trial_balance_export(report: TrialBalanceReport, export_format: str) -> ExportFile:
    compare = report.previous_total is not None
    headings = [_("Code"), _("Account"), _("Opening balance"), _("Debit"), _("Credit"), _("Closing balance")]
    if compare:
        headings += [_("Previous: debit"), _("Previous: credit"), _("Previous: closing balance")]
    rows: list[Sequence[Cell] | ExportRow] = []
    for row in report.rows:
        cells: list[Cell] = [
            row.account.code,
            row.account.name,
            row.current.opening,
            row.current.debit,
            row.current.credit,
            row.current.closing,
        ]
        if row.previous is not None:
            cells += [row.previous.debit, row.previous.credit, row.previous.closing]
        rows.append(cells)
    total: list[Cell] = [
        "",
        _("Total"),
        report.total.opening,
        report.total.debit,
        report.total.credit,
        report.total.closing,
    ]
    if report.previous_total is not None:
        total += [report.previous_total.debit, report.previous_total.credit, report.previous_total.closing]
    rows.append(ExportRow(total, strong=True))
    return table_export(
        title=_("Trial balance"),
        subtitle=_subtitle(
            report.currency,
            _range(report.period),
            _range(report.previous_period) if report.previous_period else None,
        ),
        headings=headings,
        rows=rows,
        format=export_format,
        filename=f"trial-balance-{report.period.date_from}-{report.period.date_to}",
    )


def general_ledger_export(*, company_id: int, report: GeneralLedgerReport, export_format: str) -> ExportFile:
    """Every account's opening balance, lines with running balance, and closing balance;
    refused beyond `reports.LEDGER_EXPORT_MAX_LINES` lines."""
    headings = [
        _("Date"),
        _("Entry"),
        _("Account"),
        _("Label"),
        _("Party"),
        _("Debit"),
        _("Credit"),
        _("Balance"),
    ]
    rows: list[Sequence[Cell] | ExportRow] = []
    for ref, summary, lines in general_ledger_export_rows(company_id=company_id, report=report):
        account = f"{ref.code} {ref.name}"
        rows.append(
            ExportRow(
                [report.period.date_from, "", account, _("Opening balance"), "", None, None, summary.opening],
                strong=True,
            )
        )
        rows.extend(
            [
                line.date,
                line.entry_number,
                account,
                line.label,
                line.party_name,
                line.debit,
                line.credit,
                line.balance,
            ]
            for line in lines
        )
        rows.append(
            ExportRow(
                [
                    report.period.date_to,
                    "",
                    account,
                    _("Closing balance"),
                    "",
                    summary.debit,
                    summary.credit,
                    summary.closing,
                ],
                strong=True,
            )
        )
    return table_export(
        title=_("General ledger"),
        subtitle=_subtitle(report.currency, _range(report.period), None),
        headings=headings,
        rows=rows,
        format=export_format,
        filename=f"general-ledger-{report.period.date_from}-{report.period.date_to}",
    )


def _section_rows(section: ReportSection, compare: bool) -> list[Sequence[Cell] | ExportRow]:
    rows: list[Sequence[Cell] | ExportRow] = [ExportRow([section.label, "", None], strong=True)]
    for row in section.rows:
        cells: list[Cell] = [row.account.code, row.account.name, row.amount]
        if compare:
            cells.append(row.previous)
        rows.append(cells)
    total: list[Cell] = ["", _("Total %(section)s") % {"section": section.label.lower()}, section.total]
    if compare:
        total.append(section.previous_total)
    rows.append(ExportRow(total, strong=True))
    return rows


def _amount_headings(current: str, previous: str | None) -> list[str]:
    headings = [_("Code"), _("Account"), current]
    if previous:
        headings.append(previous)
    return headings


def profit_and_loss_export(report: ProfitAndLossReport, export_format: str) -> ExportFile:
    compare = report.previous_period is not None
    previous = _range(report.previous_period) if report.previous_period else None
    rows = _section_rows(report.income, compare) + _section_rows(report.expense, compare)
    result: list[Cell] = ["", _("Result"), report.result]
    if compare:
        result.append(report.previous_result)
    rows.append(ExportRow(result, strong=True))
    return table_export(
        title=_("Profit and loss"),
        subtitle=_subtitle(report.currency, _range(report.period), previous),
        headings=_amount_headings(_range(report.period), previous),
        rows=rows,
        format=export_format,
        filename=f"profit-and-loss-{report.period.date_from}-{report.period.date_to}",
    )


def _date(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def balance_sheet_export(report: BalanceSheetReport, export_format: str) -> ExportFile:
    compare = report.previous_at is not None
    rows = _section_rows(report.assets, compare)
    rows += _section_rows(report.liabilities, compare)
    rows += _section_rows(report.equity, compare)
    total: list[Cell] = ["", _("Total liabilities and equity"), report.liabilities_and_equity]
    if compare:
        total.append(report.previous_liabilities_and_equity)
    rows.append(ExportRow(total, strong=True))
    return table_export(
        title=_("Balance sheet"),
        subtitle=_subtitle(report.currency, report.at.isoformat(), _date(report.previous_at)),
        headings=_amount_headings(report.at.isoformat(), _date(report.previous_at)),
        rows=rows,
        format=export_format,
        filename=f"balance-sheet-{report.at}",
    )
