"""Products from and to spreadsheets: CSV (comma or semicolon separated, UTF-8) and XLSX.

The columns are those of the export (COLUMNS); `sku` and `name` are required, the others
optional and in any order. A row whose SKU exists changes that product, any other row
creates one. An empty cell leaves the field as it is (a new product takes the default).
Categories are named, units given by their code.

Every row is checked before anything is written; when any row has a problem, nothing is
imported and one ProductImportError lists "row N, column X: message" for each problem
(the first MAX_PROBLEMS). Rows are numbered as a spreadsheet shows them (the heading is
row 1 of a CSV file).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from kantoor.catalog import selectors, services
from kantoor.catalog.errors import ProductImportError, ProductInvalidError
from kantoor.catalog.models import Product, ProductCategory, ProductKind, Tracking, Uom
from kantoor.core import policy
from kantoor.core.errors import DomainError
from kantoor.core.exports import Cell, ExportFile, table_export
from kantoor.core.models import User

BASE_COLUMNS = [
    "sku",
    "name",
    "description",
    "kind",
    "tracking",
    "category",
    "uom",
    "purchase_uom",
    "barcode",
    "list_price",
    "cost",
    "allows_negative_stock",
]
# Translations into the languages besides English: name_nl, description_nl.
TRANSLATED = [code for code, _label in settings.LANGUAGES if code != "en"]
COLUMNS = BASE_COLUMNS + [f"{name}_{code}" for code in TRANSLATED for name in ("name", "description")]
REQUIRED = ("sku", "name")
MAX_PROBLEMS = 50
MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
HEADER_SEARCH_ROWS = 10  # an XLSX export puts a title above its headings
# The service's names of the fields that columns name.
COLUMN_OF_FIELD = {"category_id": "category", "uom_id": "uom", "purchase_uom_id": "purchase_uom"}
TRUE = {"true", "yes", "y", "1", "ja", "j", "waar", "x"}
FALSE = {"false", "no", "n", "0", "nee", "onwaar"}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("row %(row)d, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("row %(row)d: %(message)s") % {"row": self.row, "message": self.message}

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]
    product: Product | None = None
    values: dict[str, Any] = field(default_factory=dict)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, row: int, column: str, message: str) -> None:
        self.items.append(Problem(row, column, message))

    def raise_any(self) -> None:
        """Raise ProductImportError naming the problems by row (the first MAX_PROBLEMS)."""
        total = len(self.items)
        if not total:
            return
        shown = sorted(self.items, key=lambda problem: problem.row)[:MAX_PROBLEMS]  # stable: by column order
        lines = [str(problem) for problem in shown]
        if total > len(shown):
            lines.append(_("… and %d more problems.") % (total - len(shown)))
        detail = (
            _("The file has %d problem; nothing was imported.")
            if total == 1
            else _("The file has %d problems; nothing was imported.")
        ) % total
        raise ProductImportError(
            detail,
            field_errors={"file": lines},
            extra={"problems": [problem.as_dict() for problem in shown], "problem_count": total},
        )


# ----------------------------------------------------------------------------- reading


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(Decimal(repr(value)).normalize()) if value != int(value) else str(int(value))
    return str(value).strip()


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProductImportError.for_field(
            "file", _("The file is not UTF-8 text; save it as “CSV UTF-8”.")
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # imported here: only imports of spreadsheets need it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged or foreign file
        raise ProductImportError.for_field("file", _("The file is not an Excel workbook (.xlsx).")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _table(content: bytes, file_format: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The headings and the numbered data rows of the file (blank rows left out)."""
    if len(content) > MAX_BYTES:
        raise ProductImportError.for_field("file", _("The file is larger than 10 MB."))
    rows = _xlsx_rows(content) if file_format == "xlsx" else _csv_rows(content)
    headings: list[str] | None = None
    data: list[tuple[int, list[Any]]] = []
    for number, row in enumerate(rows, start=1):
        if headings is None:
            names = [_text(cell).lower() for cell in row]
            if "sku" in names:
                headings = names
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        if any(_text(cell) for cell in row):
            data.append((number, row))
            if len(data) > MAX_ROWS:
                raise ProductImportError.for_field(
                    "file", _("The file has more than %d rows; split it.") % MAX_ROWS
                )
    if headings is None:
        raise ProductImportError.for_field(
            "file", _("No heading row with the column “sku” found in the first rows of the file.")
        )
    return headings, data


def file_format_of(filename: str, content_type: str = "") -> str:
    """ "xlsx" or "csv", from the file's name (or content type)."""
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")) or "spreadsheetml" in (content_type or ""):
        return "xlsx"
    if name.endswith((".csv", ".txt")) or "csv" in (content_type or "") or "text/" in (content_type or ""):
        return "csv"
    raise ProductImportError.for_field("file", _("Upload a .csv or .xlsx file."))


# ----------------------------------------------------------------------------- checking


def _decimal(text: str) -> str:
    # "5,95" as Dutch spreadsheets write it; "1.234,50" too.
    if "," in text and "." in text:
        return (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    return text.replace(",", ".")


class _Lookups(services.ProductLookups):
    def __init__(self, company_id: int) -> None:
        super().__init__(company_id)
        self.categories_by_name = {
            c.name.lower(): c for c in ProductCategory.objects.filter(company_id=company_id)
        }
        self.uoms_by_code = {u.code.lower(): u for u in Uom.objects.filter(company_id=company_id)}


def _check_row(row: _Row, headings: Sequence[str], lookups: _Lookups, problems: _Problems) -> None:
    cells = row.cells
    values: dict[str, Any] = {}
    for column in ("sku", "name", "description", "barcode"):
        if column in cells and (cells[column] or column in REQUIRED):
            values[column] = cells[column]
    for column, choices in (("kind", ProductKind.values), ("tracking", Tracking.values)):
        if cells.get(column):
            value = cells[column].lower()
            if value not in choices:
                problems.add(row.number, column, _("Choose one of: %s.") % ", ".join(choices))
            else:
                values[column] = value
    if cells.get("category"):
        category = lookups.categories_by_name.get(cells["category"].lower())
        if category is None:
            problems.add(row.number, "category", _("No product category named “%s”.") % cells["category"])
        else:
            values["category_id"] = category.pk
    for column in ("uom", "purchase_uom"):
        if cells.get(column):
            uom = lookups.uoms_by_code.get(cells[column].lower())
            if uom is None:
                problems.add(row.number, column, _("No unit with the code “%s”.") % cells[column])
            else:
                values[f"{column}_id"] = uom.pk
    for column in ("list_price", "cost"):
        if cells.get(column):
            values[column] = _decimal(cells[column])
    if cells.get("allows_negative_stock"):
        flag = cells["allows_negative_stock"].lower()
        if flag in TRUE or flag in FALSE:
            values["allows_negative_stock"] = flag in TRUE
        else:
            problems.add(row.number, "allows_negative_stock", _("Enter true or false."))
    try:
        services.product_values_check(
            lookups.company_id, values, lookups=lookups, current=row.product, check_unique=False
        )
    except ProductInvalidError as exc:
        for name, messages in exc.field_errors.items():
            for message in messages:
                problems.add(row.number, COLUMN_OF_FIELD.get(name, name), message)
    for code in TRANSLATED:
        name, description = cells.get(f"name_{code}", ""), cells.get(f"description_{code}", "")
        if name:
            if len(name) > 200:
                problems.add(row.number, f"name_{code}", _("At most %d characters.") % 200)
            row.translations[code] = {"name": name, "description": description}
        elif description:
            has_one = row.product is not None and any(
                t.language == code for t in row.product.translations.all()
            )
            if not has_one:
                problems.add(row.number, f"name_{code}", _("Required with a translated description."))
            else:
                row.translations[code] = {"description": description}
    row.values = values


def _check_unique(rows: list[_Row], company_id: int, problems: _Problems) -> None:
    """SKUs once in the file; barcodes unique among the file and the other products."""
    seen_sku: dict[str, int] = {}
    for row in rows:
        sku = str(row.cells.get("sku", "")).lower()
        if not sku:
            continue
        if sku in seen_sku:
            problems.add(row.number, "sku", _("The SKU is in row %d already.") % seen_sku[sku])
        else:
            seen_sku[sku] = row.number
    owners = dict(
        Product.objects.filter(company_id=company_id).exclude(barcode="").values_list("barcode", "sku")
    )
    seen_barcode: dict[str, int] = {}
    for row in rows:
        barcode = services.barcode_clean(row.cells.get("barcode", ""), {})
        if not barcode or not row.cells.get("barcode"):
            continue
        if barcode in seen_barcode:
            problems.add(
                row.number, "barcode", _("The barcode is in row %d already.") % seen_barcode[barcode]
            )
            continue
        seen_barcode[barcode] = row.number
        owner = owners.get(barcode)
        if owner is not None and owner.lower() != str(row.cells.get("sku", "")).lower():
            problems.add(row.number, "barcode", _("Product %s has this barcode already.") % owner)


def _rows_read(headings: list[str], data: Iterable[tuple[int, list[Any]]], problems: _Problems) -> list[_Row]:
    for name in headings:
        if name and name not in COLUMNS:
            problems.add(1, name, _("Unknown column."))
    for column in REQUIRED:
        if column not in headings:
            problems.add(1, column, _("The column is missing."))
    rows = []
    for number, raw in data:
        cells = {
            name: _text(raw[index]) if index < len(raw) else ""
            for index, name in enumerate(headings)
            if name in COLUMNS
        }
        rows.append(_Row(number=number, cells=cells))
    return rows


def products_import_check(*, actor: User, content: bytes, file_format: str) -> list[_Row]:
    """The file's rows checked against each other and the catalog; ProductImportError
    listing every problem when any. Writes nothing."""
    policy.require(actor, services.MANAGE)
    company_id = policy.actor_company_id(actor)
    headings, data = _table(content, file_format)
    problems = _Problems()
    rows = _rows_read(headings, data, problems)
    problems.raise_any()  # a wrong heading makes every row's problems noise
    if not rows:
        raise ProductImportError.for_field("file", _("The file has no products."))
    lookups = _Lookups(company_id)
    skus = sorted({str(row.cells["sku"]).lower() for row in rows if row.cells.get("sku")})
    existing: dict[str, Product] = {}
    for start in range(0, len(skus), 1000):  # SKUs in any case: "abc-1" updates "ABC-1"
        for product in (
            Product.objects.annotate(sku_lower=Lower("sku"))
            .filter(company_id=company_id, sku_lower__in=skus[start : start + 1000])
            .select_related("uom", "purchase_uom", "uom__category")
            .prefetch_related("translations")
        ):
            existing[product.sku.lower()] = product
    for row in rows:
        row.product = existing.get(str(row.cells.get("sku", "")).lower())
        _check_row(row, headings, lookups, problems)
    _check_unique(rows, company_id, problems)
    problems.raise_any()
    return rows


# ----------------------------------------------------------------------------- writing


@transaction.atomic
def products_import(*, actor: User, content: bytes, file_format: str) -> ImportResult:
    """Create or change the products of the file, all or none (see the module)."""
    rows = products_import_check(actor=actor, content=content, file_format=file_format)
    result = ImportResult()
    for row in rows:
        try:
            changed = _row_write(actor, row)
        except DomainError as exc:
            # A race with another user (the same SKU created meanwhile): nothing is kept.
            problems = _Problems()
            for name, messages in (exc.field_errors or {"": [exc.message]}).items():
                for message in messages:
                    problems.add(row.number, COLUMN_OF_FIELD.get(name, name), message)
            problems.raise_any()
        if row.product is None:
            result.created += 1
        elif changed:
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def _row_write(actor: User, row: _Row) -> bool:
    values = dict(row.values)
    if row.product is None:
        values.pop("sku", None)
        values.pop("name", None)
        product = services.product_create(actor=actor, sku=row.cells["sku"], name=row.cells["name"], **values)
        changed = True
    else:
        values.pop("sku", None)  # the row names the product; a different case changes nothing
        before = row.product.version
        product = services.product_update(
            actor=actor, product_id=row.product.pk, version=row.product.version, **values
        )
        changed = product.version != before
    current = {t.language: t for t in product.translations.all()}
    for code, text in row.translations.items():
        translation = current.get(code)
        name = text.get("name") or (translation.name if translation else "")
        description = text.get("description", translation.description if translation else "")
        if translation is None or (translation.name, translation.description) != (name, description):
            services.product_translation_set(
                actor=actor, product_id=product.pk, language=code, name=name, description=description
            )
            changed = True
    return changed


# ----------------------------------------------------------------------------- export


def _number(value: Decimal) -> Decimal:
    """A price without trailing zeros beyond the cents: 5.950000 → 5.95, 0.123400 → 0.1234."""
    normal = value.normalize()
    places = -int(normal.as_tuple().exponent)  # a stored price is finite: the exponent is an int
    return value.quantize(Decimal("0.01")) if places <= 2 else normal


def product_rows(products: Iterable[Product]) -> Iterator[list[Cell]]:
    for product in products:
        translations = {t.language: t for t in product.translations.all()}
        row: list[Cell] = [
            product.sku,
            product.name,
            product.description,
            product.kind,
            product.tracking,
            product.category.name,
            product.uom.code,
            product.purchase_uom.code,
            product.barcode,
            _number(Decimal(product.list_price)),
            _number(Decimal(product.cost)),
            "true" if product.allows_negative_stock else "false",
        ]
        for code in TRANSLATED:
            translation = translations.get(code)
            row += [translation.name if translation else "", translation.description if translation else ""]
        yield row


def products_export(*, actor: User, file_format: str, include_archived: bool = False) -> ExportFile:
    """The actor's products in the import's columns, as CSV or XLSX (both import again)."""
    if file_format not in ("csv", "xlsx"):
        raise ProductImportError.for_field("format", _("Choose csv or xlsx."))
    products = (
        selectors.products_list(actor, include_archived=include_archived)
        .select_related("category", "uom", "purchase_uom")
        .prefetch_related("translations")
        .order_by("sku", "id")
    )
    return table_export(
        title=_("Products"),
        headings=COLUMNS,
        rows=product_rows(products.iterator(chunk_size=2000)),
        format=file_format,
        filename="products",
    )
