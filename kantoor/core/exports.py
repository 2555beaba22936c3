"""Table exports for every app: a title, column headings and rows of text, Decimals, integers
and dates, as CSV, Excel (XLSX) or PDF bytes with their content type and file name.

- CSV: UTF-8 with a byte-order mark (so Excel reads the accents), comma-separated, decimals
  as plain text with a dot ("1234.50"), dates as ISO 8601. Text that a spreadsheet would run
  as a formula (starting with =, +, -, @) gets a leading apostrophe.
- XLSX (xlsxwriter): numbers are numeric cells with two decimals, dates are date cells, and
  text is never turned into formulas, numbers or links.
- PDF (WeasyPrint): a small HTML table (`core/export_table.html`), landscape beyond six
  columns, page numbers in the footer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from babel.numbers import format_decimal
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core.errors import InvalidInputError

Cell = str | Decimal | int | dt.date | None


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


class ExportFormatError(InvalidInputError):
    code = "export-format"
    title = gettext_lazy("Unknown export format")


@dataclass(frozen=True)
class ExportRow:
    """A row with emphasis (a total): `strong` rows are bold in XLSX and PDF."""

    cells: Sequence[Cell]
    strong: bool = False


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def export_format(value: str | None) -> ExportFormat:
    """The format named `value` (csv, xlsx or pdf), or an ExportFormatError naming the field."""
    try:
        return ExportFormat((value or "").lower())
    except ValueError:
        raise ExportFormatError.for_field("format", _("Choose csv, xlsx or pdf.")) from None


def _rows(rows: Iterable[Sequence[Cell] | ExportRow]) -> list[ExportRow]:
    return [row if isinstance(row, ExportRow) else ExportRow(tuple(row)) for row in rows]


def _is_number(cell: Cell) -> bool:
    return isinstance(cell, (Decimal, int)) and not isinstance(cell, bool)


def table_export(
    *,
    title: str,
    headings: Sequence[str],
    rows: Iterable[Sequence[Cell] | ExportRow],
    format: str,
    subtitle: str = "",
    filename: str = "",
) -> ExportFile:
    """The table as a file in `format` (csv, xlsx or pdf); `filename` defaults to the title."""
    kind = export_format(format)
    table = _rows(rows)
    stem = slugify(filename or title) or "export"
    if kind == ExportFormat.CSV:
        content = _csv(headings, table)
    elif kind == ExportFormat.XLSX:
        content = _xlsx(title, subtitle, headings, table)
    else:
        content = _pdf(title, subtitle, headings, table)
    return ExportFile(content=content, content_type=CONTENT_TYPES[kind], filename=f"{stem}.{kind.value}")


# ----------------------------------------------------------------------------- CSV


def _csv_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return format(cell, "f")
    if isinstance(cell, (dt.date, int)):
        return cell.isoformat() if isinstance(cell, dt.date) else str(cell)
    text = str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(headings: Sequence[str], rows: list[ExportRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(str(h)) for h in headings])
    for row in rows:
        writer.writerow([_csv_text(cell) for cell in row.cells])
    return buffer.getvalue().encode("utf-8-sig")


# ----------------------------------------------------------------------------- XLSX


def _sheet_name(title: str) -> str:
    return (_SHEET_NAME_BAD.sub(" ", title).strip() or "Export")[:31]


def _xlsx(title: str, subtitle: str, headings: Sequence[str], rows: list[ExportRow]) -> bytes:
    import xlsxwriter  # imported here: only exports need it

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"title": title, "subject": subtitle})
    sheet = workbook.add_worksheet(_sheet_name(title))
    styles: dict[tuple[str, bool], Any] = {}
    for strong in (False, True):
        bold = {"bold": True} if strong else {}
        styles["text", strong] = workbook.add_format(bold)
        styles["number", strong] = workbook.add_format({"num_format": "#,##0.00", **bold})
        styles["integer", strong] = workbook.add_format({"num_format": "0", **bold})
        styles["date", strong] = workbook.add_format({"num_format": "yyyy-mm-dd", **bold})
    sheet.write_string(0, 0, title, workbook.add_format({"bold": True, "font_size": 14}))
    if subtitle:
        sheet.write_string(1, 0, subtitle)
    header_row = 3  # title, subtitle, a blank row, then the headings
    heading_style = workbook.add_format({"bold": True, "bottom": 1})
    widths = [len(str(h)) for h in headings]
    for column, heading in enumerate(headings):
        sheet.write_string(header_row, column, str(heading), heading_style)
    for offset, row in enumerate(rows, start=header_row + 1):
        for column, cell in enumerate(row.cells):
            if cell is None:
                continue
            if isinstance(cell, Decimal):
                sheet.write_number(offset, column, float(cell), styles["number", row.strong])
                text = f"{cell:,.2f}"
            elif isinstance(cell, int) and not isinstance(cell, bool):
                sheet.write_number(offset, column, cell, styles["integer", row.strong])
                text = str(cell)
            elif isinstance(cell, dt.date):
                day = cell.date() if isinstance(cell, dt.datetime) else cell
                sheet.write_datetime(offset, column, day, styles["date", row.strong])
                text = "2026-01-01"
            else:
                text = str(cell)
                sheet.write_string(offset, column, text, styles["text", row.strong])
            if column < len(widths):
                widths[column] = max(widths[column], len(text))
            else:
                widths.append(len(text))
    for column, width in enumerate(widths):
        sheet.set_column(column, column, min(max(width + 2, 8), 60))
    sheet.freeze_panes(header_row + 1, 0)
    workbook.close()
    return buffer.getvalue()


# ----------------------------------------------------------------------------- PDF


def _pdf_text(cell: Cell, language: str) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return str(format_decimal(cell, format="#,##0.00", locale=language))
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


def _pdf(title: str, subtitle: str, headings: Sequence[str], rows: list[ExportRow]) -> bytes:
    from weasyprint import HTML  # imported here: only PDF exports need it (and it loads slowly)

    language = (translation.get_language() or "en").split("-")[0]
    numeric = [
        any(_is_number(row.cells[i]) for row in rows if i < len(row.cells)) for i in range(len(headings))
    ]
    html = render_to_string(
        "core/export_table.html",
        {
            "language": language,
            "title": title,
            "subtitle": subtitle,
            "orientation": "landscape" if len(headings) > 6 else "portrait",
            "generated": _("Made %(when)s") % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
            "headings": [{"text": str(h), "is_number": numeric[i]} for i, h in enumerate(headings)],
            "rows": [
                {
                    "strong": row.strong,
                    "cells": [
                        {"text": _pdf_text(cell, language), "is_number": _is_number(cell)}
                        for cell in row.cells
                    ],
                }
                for row in rows
            ],
        },
    )
    pdf = HTML(string=html).write_pdf()
    return bytes(pdf or b"")
