"""Table exports read back: CSV through the csv module, XLSX through its XML (zipfile + lxml),
PDF by its structure."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from decimal import Decimal

import pytest
from lxml import etree

from kantoor.core.exports import ExportFormatError, ExportRow, table_export

TITLE = "Trial balance Q1 2026"
HEADINGS = ["Date", "Account", "Debit", "Count"]
ROWS = [
    [dt.date(2026, 3, 15), "Bank – Rabobank €", Decimal("1234.50"), 2],
    [dt.date(2026, 3, 16), '=HYPERLINK("x")', Decimal("-0.05"), None],
    ExportRow(["", "Total", Decimal("1234.45"), 2], strong=True),
]
PAGE = re.compile(rb"/Type\s*/Page\b")


def _pdf_objects(content: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated."""
    parts = [content]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def test_csv_is_utf8_with_bom_and_plain_decimals() -> None:
    exported = table_export(title=TITLE, headings=HEADINGS, rows=ROWS, format="csv")
    assert exported.content_type == "text/csv; charset=utf-8"
    assert exported.filename == "trial-balance-q1-2026.csv"
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows == [
        ["Date", "Account", "Debit", "Count"],
        ["2026-03-15", "Bank – Rabobank €", "1234.50", "2"],
        ["2026-03-16", '\'=HYPERLINK("x")', "-0.05", ""],  # never a formula in a spreadsheet
        ["", "Total", "1234.45", "2"],
    ]


def _xlsx_cells(content: bytes) -> tuple[dict[str, tuple[str | None, str, str | None]], etree._Element]:
    """{"A5": (type, value, style index)} of the first sheet, shared strings resolved."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        shared = [
            "".join(si.itertext())
            for si in etree.fromstring(archive.read("xl/sharedStrings.xml")).findall("m:si", NS)
        ]
        sheet = etree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
        styles = etree.fromstring(archive.read("xl/styles.xml"))
    cells = {}
    for cell in sheet.iterfind(".//m:c", NS):
        kind = cell.get("t")
        value = cell.findtext("m:v", namespaces=NS) or ""
        if kind == "s":
            value = shared[int(value)]
        cells[cell.get("r")] = (kind, value, cell.get("s"))
    return cells, styles


def _number_format(styles: etree._Element, style_index: str | None) -> str:
    xf = styles.findall("m:cellXfs/m:xf", NS)[int(style_index or 0)]
    format_id = xf.get("numFmtId")
    custom = {f.get("numFmtId"): f.get("formatCode") for f in styles.iterfind("m:numFmts/m:numFmt", NS)}
    return custom.get(format_id, format_id or "")


def test_xlsx_has_numeric_cells_with_two_decimals_and_date_cells() -> None:
    exported = table_export(title=TITLE, headings=HEADINGS, rows=ROWS, format="xlsx", subtitle="EUR")
    assert exported.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert exported.filename == "trial-balance-q1-2026.xlsx"
    cells, styles = _xlsx_cells(exported.content)
    assert cells["A1"][1] == TITLE
    assert cells["A2"][1] == "EUR"
    assert [cells[f"{c}4"][1] for c in "ABCD"] == HEADINGS
    # a number cell (no type attribute) with a two-decimal format
    kind, value, style = cells["C5"]
    assert kind is None
    assert Decimal(value) == Decimal("1234.5")
    assert _number_format(styles, style) == "#,##0.00"
    assert Decimal(cells["C6"][1]) == Decimal("-0.05")
    # a date cell: the serial number of 15 March 2026 with a date format
    kind, value, style = cells["A5"]
    assert kind is None
    assert dt.date(1899, 12, 30) + dt.timedelta(days=int(float(value))) == dt.date(2026, 3, 15)
    assert _number_format(styles, style) == "yyyy-mm-dd"
    # text stays text, even when it looks like a formula
    assert cells["B6"] == ("s", '=HYPERLINK("x")', cells["B6"][2])
    assert cells["B5"][1] == "Bank – Rabobank €"
    assert "D6" not in cells  # an empty cell is left out


def test_pdf_is_a_document_with_a_page_and_the_title() -> None:
    exported = table_export(title=TITLE, headings=HEADINGS, rows=ROWS * 3, format="pdf")
    assert exported.content_type == "application/pdf"
    assert exported.filename == "trial-balance-q1-2026.pdf"
    assert exported.content.startswith(b"%PDF")
    assert len(PAGE.findall(_pdf_objects(exported.content))) == 1
    # the document's title is the report's (UTF-16 or plain, as WeasyPrint writes it)
    title = re.search(rb"/Title\s*(\((?:[^)\\]|\\.)*\)|<[0-9A-Fa-f]+>)", _pdf_objects(exported.content))
    assert title is not None
    raw = title.group(1)
    text = (
        bytes.fromhex(raw[1:-1].decode()).decode("utf-16")
        if raw.startswith(b"<")
        else raw[1:-1].decode("latin-1")
    )
    assert text.lstrip("\ufeff") == TITLE


def test_a_long_pdf_has_several_pages() -> None:
    rows = [[dt.date(2026, 1, 1), f"Line {n}", Decimal(n), n] for n in range(200)]
    exported = table_export(title=TITLE, headings=HEADINGS, rows=rows, format="pdf")
    assert len(PAGE.findall(_pdf_objects(exported.content))) > 1


def test_empty_table_and_filename() -> None:
    exported = table_export(
        title="Über/Report", headings=["A"], rows=[], format="XLSX", filename="ledger 2026"
    )
    assert exported.filename == "ledger-2026.xlsx"
    assert table_export(title="", headings=["A"], rows=[], format="csv").filename == "export.csv"
    assert table_export(title="Empty", headings=["A"], rows=[], format="pdf").content.startswith(b"%PDF")


def test_an_unknown_format_is_refused_naming_the_field() -> None:
    with pytest.raises(ExportFormatError) as caught:
        table_export(title=TITLE, headings=HEADINGS, rows=ROWS, format="docx")
    assert caught.value.field_errors == {"format": ["Choose csv, xlsx or pdf."]}
