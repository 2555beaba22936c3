"""Product import (CSV and XLSX, all or nothing, every problem named) and export."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from kantoor.catalog import imports
from kantoor.catalog.errors import ProductImportError
from kantoor.catalog.models import Product, ProductTranslation
from kantoor.catalog.tests.support import nothing_written
from kantoor.core.errors import PermissionDeniedError

pytestmark = pytest.mark.django_db

GOOD = (
    "sku,name,description,kind,tracking,category,uom,purchase_uom,barcode,list_price,cost,allows_negative_stock,name_nl\n"
    "PAP-A4,Copier paper A4,500 sheets,consumable,none,All,pc,dozen,"
    '8712345678906,"5,95",3.10,no,Kopieerpapier A4\n'
    "LAP-14,Laptop 14,,stockable,serial,,pc,,,899,650,false,\n"
    "SRV-INST,Installation,Per hour,service,,,h,,,85.00,0,,Installatie\n"
)


def run(actor, text, file_format="csv"):
    content = text.encode() if isinstance(text, str) else text
    return imports.products_import(actor=actor, content=content, file_format=file_format)


def test_import_creates_products_with_translations(keeper, units):
    result = run(keeper, GOOD)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    rows = list(
        Product.objects.order_by("sku").values_list(
            "sku", "kind", "tracking", "uom__code", "purchase_uom__code", "barcode", "list_price", "cost"
        )
    )
    assert rows == [
        ("LAP-14", "stockable", "serial", "pc", "pc", "", Decimal("899"), Decimal("650")),
        ("PAP-A4", "consumable", "none", "pc", "dozen", "8712345678906", Decimal("5.95"), Decimal("3.10")),
        ("SRV-INST", "service", "none", "h", "h", "", Decimal("85.00"), Decimal("0")),
    ]
    assert sorted(ProductTranslation.objects.values_list("product__sku", "language", "name")) == [
        ("PAP-A4", "nl", "Kopieerpapier A4"),
        ("SRV-INST", "nl", "Installatie"),
    ]


def test_a_second_import_updates_by_sku_and_counts_unchanged(keeper, units):
    run(keeper, GOOD)
    result = run(
        keeper, "sku;name;list_price\npap-a4;Copier paper A4;6,25\nLAP-14;Laptop 14;899\nNEW-1;New one;1\n"
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    paper = Product.objects.get(sku="PAP-A4")
    # the columns not in the file stay as they were
    assert (paper.list_price, paper.description, paper.purchase_uom.code, paper.version) == (
        Decimal("6.25"),
        "500 sheets",
        "dozen",
        2,
    )


def test_any_bad_row_imports_nothing_and_every_problem_is_named(keeper, units, make_product):
    make_product("TAKEN", barcode="96385074")
    text = (
        "sku,name,kind,tracking,uom,purchase_uom,barcode,list_price,allows_negative_stock,description_nl\n"
        "OK-1,Fine,stockable,none,pc,,,1.00,no,\n"
        ",No sku,gadget,none,pc,,,1.00,no,\n"
        "BAD-2,,service,serial,kgs,,12345,abc,maybe,Alleen omschrijving\n"
        "BAD-3,Three,stockable,none,kg,pc,96385074,-1,no,\n"
        "OK-1,Again,stockable,none,pc,,,1.00,no,\n"
    )
    with nothing_written(), pytest.raises(ProductImportError) as refused:
        run(keeper, text)
    assert refused.value.message == "The file has 13 problems; nothing was imported."
    assert refused.value.field_errors == {
        "file": [
            "row 3, column kind: Choose one of: stockable, consumable, service.",
            "row 3, column sku: Enter a SKU.",
            "row 4, column uom: No unit with the code “kgs”.",
            "row 4, column allows_negative_stock: Enter true or false.",
            "row 4, column name: Enter a name.",
            "row 4, column barcode: Not a valid barcode: enter an EAN-8, EAN-13 or GTIN-14 number with its "
            "check digit.",
            "row 4, column list_price: Enter a number.",
            "row 4, column tracking: Only stockable products are tracked by lot or serial number.",
            "row 4, column name_nl: Required with a translated description.",
            "row 5, column list_price: Must be at least 0.",
            "row 5, column purchase_uom: The purchase unit must measure the same as the unit (Weight).",
            "row 5, column barcode: Product TAKEN has this barcode already.",
            "row 6, column sku: The SKU is in row 2 already.",
        ]
    }
    assert refused.value.extra["problems"][1] == {"row": 3, "column": "sku", "message": "Enter a SKU."}


def test_barcode_of_another_product_is_refused(keeper, units, make_product):
    make_product("TAKEN", barcode="96385074")
    with pytest.raises(ProductImportError) as refused:
        run(keeper, "sku,name,barcode\nNEW,New,96385074\nTAKEN,Taken,96385074\n")
    assert refused.value.field_errors == {
        "file": [
            "row 2, column barcode: Product TAKEN has this barcode already.",
            "row 3, column barcode: The barcode is in row 2 already.",
        ]
    }


def test_problems_are_capped(keeper, units):
    text = "sku,name\n" + "".join(f"P{i},\n" for i in range(60))
    with pytest.raises(ProductImportError) as refused:
        run(keeper, text)
    lines = refused.value.field_errors["file"]
    assert len(lines) == 51
    assert lines[0] == "row 2, column name: Enter a name."
    assert lines[49] == "row 51, column name: Enter a name."
    assert lines[-1] == "… and 10 more problems."
    assert refused.value.message == "The file has 60 problems; nothing was imported."


def test_wrong_headings_and_files(keeper, units):
    with pytest.raises(ProductImportError) as refused:
        run(keeper, "sku,naam,price\nA,B,1\n")
    assert refused.value.field_errors == {
        "file": [
            "row 1, column naam: Unknown column.",
            "row 1, column price: Unknown column.",
            "row 1, column name: The column is missing.",
        ]
    }
    with pytest.raises(ProductImportError) as refused:
        run(keeper, "code,name\nA,B\n")
    assert refused.value.field_errors == {
        "file": ["No heading row with the column “sku” found in the first rows of the file."]
    }
    with pytest.raises(ProductImportError) as refused:
        run(keeper, b"\x00\x01not a workbook", "xlsx")
    assert refused.value.field_errors == {"file": ["The file is not an Excel workbook (.xlsx)."]}
    with pytest.raises(ProductImportError) as refused:
        run(keeper, "sku,name\n".encode("utf-16"))
    assert refused.value.field_errors == {"file": ["The file is not UTF-8 text; save it as “CSV UTF-8”."]}


def test_import_needs_the_permission(pricer, units):
    with nothing_written(), pytest.raises(PermissionDeniedError):
        run(pricer, GOOD)


def test_xlsx_import_and_export_round_trip(keeper, units):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["SKU", "Name", "Barcode", "List_price", "allows_negative_stock"])
    sheet.append(["TONER-K", "Toner black", 4006381333931, 79.95, True])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(keeper, buffer.getvalue(), "xlsx")
    assert result.created == 1
    toner = Product.objects.get(sku="TONER-K")
    assert (toner.barcode, toner.list_price, toner.allows_negative_stock) == (
        "4006381333931",
        Decimal("79.95"),
        True,
    )
    run(keeper, GOOD)

    exported = imports.products_export(actor=keeper, file_format="xlsx")
    assert exported.filename == "products.xlsx"
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows.index(imports.COLUMNS)
    assert [row[0] for row in rows[header + 1 :]] == ["LAP-14", "PAP-A4", "SRV-INST", "TONER-K"]
    # the export imports again and changes nothing
    again = run(keeper, exported.content, "xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_csv_export_in_the_import_columns(keeper, units):
    run(keeper, GOOD)
    exported = imports.products_export(actor=keeper, file_format="csv")
    text = exported.content.decode("utf-8-sig")
    assert text.splitlines()[:3] == [
        ",".join(imports.COLUMNS),
        "LAP-14,Laptop 14,,stockable,serial,All,pc,pc,,899.00,650.00,false,,",
        "PAP-A4,Copier paper A4,500 sheets,consumable,none,All,pc,dozen,8712345678906,5.95,3.10,false,"
        "Kopieerpapier A4,",
    ]
    again = run(keeper, exported.content)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
