"""Writes of the catalog: units of measure and their categories, product categories,
products and their translations, price lists with their items, and supplier prices.

Every function owns its transaction, checks the policy, locks and re-reads the row it
changes, refuses bad input with a DomainError carrying field errors (nothing is written
then) and records an audit row. Products and price lists carry a `version` (a stale one
is a 409); the other records are last-write-wins (each write locks its row).

Catalog records are the company's master data: a role that grants an action reaches every
record of the company, whatever the scope of the assignment (there is no owner or team).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import ean

from kantoor.catalog.errors import (
    PriceListInvalidError,
    ProductCategoryInvalidError,
    ProductInvalidError,
    SupplierPriceInvalidError,
    UomInUseError,
    UomInvalidError,
)
from kantoor.catalog.events import ProductCreated, ProductUpdated
from kantoor.catalog.models import (
    CostingMethod,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    ProductKind,
    ProductTranslation,
    StockValuation,
    SupplierPrice,
    Tracking,
    Uom,
    UomCategory,
)
from kantoor.core import audit, policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.core.models import Company, User
from kantoor.core.money import currency_validate
from kantoor.core.outbox import publish
from kantoor.core.services import require_version
from kantoor.core.validation import text_errors, unique_or_field_error
from kantoor.parties.models import Party, PartyRole, PartyRoleType, Tag

VIEW = "catalog.view_product"
MANAGE = "catalog.manage_product"
MANAGE_PRICES = "catalog.manage_prices"

PRODUCT_FIELDS = [
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
    "allows_backorder",
    "is_sold",
    "is_purchased",
]
# The service's names for the product's fields (relations by id).
PRODUCT_INPUTS = [
    "sku",
    "name",
    "description",
    "kind",
    "tracking",
    "category_id",
    "uom_id",
    "purchase_uom_id",
    "barcode",
    "list_price",
    "cost",
    "allows_negative_stock",
    "allows_backorder",
    "is_sold",
    "is_purchased",
]
UOM_FIELDS = ["category", "code", "name", "ratio", "rounding", "is_active"]
CATEGORY_FIELDS = ["name", "parent", "costing_method", "stock_valuation", "is_active"]
PRICE_LIST_FIELDS = [
    "name",
    "currency",
    "party",
    "customer_group",
    "priority",
    "valid_from",
    "valid_to",
    "is_active",
]
PRICE_LIST_INPUTS = [
    "name",
    "currency",
    "party_id",
    "customer_group_id",
    "priority",
    "valid_from",
    "valid_to",
    "is_active",
]
ITEM_FIELDS = ["product", "min_quantity", "price", "discount", "valid_from", "valid_to"]
SUPPLIER_PRICE_FIELDS = [
    "product",
    "supplier",
    "supplier_sku",
    "currency",
    "price",
    "min_quantity",
    "lead_time_days",
    "priority",
    "valid_from",
    "valid_to",
]
SKU = re.compile(r"^\S+$")
PRICE_PLACES = 6
QUANTITY_PLACES = 4
MAX_PRICE = Decimal(10) ** 14  # max_digits 20, 6 decimals
MAX_QUANTITY = Decimal(10) ** 14  # max_digits 18, 4 decimals
MAX_RATIO = Decimal(10) ** 10  # max_digits 20, 10 decimals
MAX_PRIORITY = 2**31 - 1

# The units and the product category every company starts with (`units_install`): per
# category, (code, name, ratio to the category's reference unit, rounding).
DEFAULT_UNITS: dict[str, list[tuple[str, str, str, str]]] = {
    "Units": [("pc", "Piece", "1", "1"), ("dozen", "Dozen", "12", "1")],
    "Weight": [
        ("g", "Gram", "0.001", "0.01"),
        ("kg", "Kilogram", "1", "0.001"),
        ("t", "Tonne", "1000", "0.001"),
    ],
    "Length": [
        ("cm", "Centimetre", "0.01", "0.1"),
        ("m", "Metre", "1", "0.01"),
        ("km", "Kilometre", "1000", "0.001"),
    ],
    "Volume": [
        ("ml", "Millilitre", "0.001", "1"),
        ("l", "Litre", "1", "0.001"),
        ("m3", "Cubic metre", "1000", "0.001"),
    ],
    "Time": [("min", "Minute", "0.0166666667", "1"), ("h", "Hour", "1", "0.01"), ("day", "Day", "8", "0.01")],
}
DEFAULT_UOM = "pc"
DEFAULT_CATEGORY = "All"

FieldErrors = dict[str, list[str]]


def _add(errors: FieldErrors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _raise(error: type[DomainError], errors: FieldErrors) -> None:
    if errors:
        raise error(_("Please correct the marked fields."), field_errors=errors)


def _company_of(actor: User, action: str) -> int:
    """The actor's company once a role grants them `action` (any scope reaches the
    company's whole catalog)."""
    policy.require(actor, action)
    return policy.actor_company_id(actor)


def _locked(actor: User, action: str, model: type[Any], pk: Any, *, company: str = "company_id") -> Any:
    """The row `pk` of `model` locked for update, once the actor may `action`; a row of
    another company (or none) is a 404."""
    company_id = _company_of(actor, action)
    obj = model.objects.select_for_update().filter(pk=pk).first() if isinstance(pk, int) else None
    if obj is None or _attr(obj, company) != company_id:
        raise NotFoundError(_("Not found."))
    return obj


def _locked_current(actor: User, action: str, model: type[Any], pk: Any, version: int | None) -> Any:
    """`_locked`, refusing a stale `version` (409) of a record that carries one."""
    obj = _locked(actor, action, model, pk)
    require_version(obj, version)
    return obj


def _locked_child(model: type[Any], pk: Any, **parent: Any) -> Any:
    """The row `pk` of `model` under `parent` locked for update, or None without a `pk`;
    a row elsewhere (or none) is a 404."""
    if pk is None:
        return None
    obj = model.objects.select_for_update().filter(pk=pk, **parent).first() if isinstance(pk, int) else None
    if obj is None:
        raise NotFoundError(_("Not found."))
    return obj


def _company_row(model: type[Any], pk: Any, company_id: int, **filters: Any) -> Any:
    """The row `pk` of `model` in the company (and `filters`), or None (also for a `pk`
    that is not a number)."""
    if not isinstance(pk, int):
        return None
    return model.objects.filter(pk=pk, company_id=company_id, **filters).first()


def _row_set(
    actor: User,
    row: Any,
    *,
    model: type[Any],
    same: Mapping[str, Any],
    create: Mapping[str, Any],
    values: dict[str, Any],
    fields: list[str],
    actions: tuple[str, str],
    company_id: int | None = None,
) -> Any:
    """Set `values` on `row`, or else on the row with the `same` key (locked), or else on a
    new row (made with `create` too); audited with the first of `actions` when made, the
    second when changed (nothing when nothing changed)."""
    if row is None:
        row = model.objects.select_for_update().filter(**same).first()
    if row is None:
        row = model.objects.create(**create, **values)
        audit.record(
            actor=actor,
            obj=row,
            action=actions[0],
            changes=audit.snapshot(row, fields),
            company_id=company_id,
        )
        return row
    diff = _changes(row, fields, values)
    if diff:
        row.save()
        audit.record(actor=actor, obj=row, action=actions[1], changes=diff, company_id=company_id)
    return row


def _audit_delete(
    actor: User, obj: Model, fields: list[str], action: str, company_id: int | None = None
) -> None:
    """Audit that `obj` goes: each field from its value to None (before it is deleted)."""
    before = audit.snapshot(obj, fields)
    audit.record(
        actor=actor,
        obj=obj,
        action=action,
        changes={name: [value, None] for name, value in before.items()},
        company_id=company_id,
    )


def _attr(obj: Any, path: str) -> Any:
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def _unknown_fields(error: type[DomainError], changes: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise error(
            _("These fields cannot be changed: %s.") % ", ".join(unknown),
            field_errors={name: [_("Cannot be changed.")] for name in unknown},
        )


def _differs(obj: Model, name: str, value: Any) -> bool:
    """Whether setting `value` changes the field (5.95 and 5.950000 are the same price)."""
    field = obj._meta.get_field(name)
    current = getattr(obj, getattr(field, "attname", name))
    return current != (value.pk if isinstance(value, Model) else value)


def _changes(obj: Model, fields: list[str], values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set the values that differ; their audit changes."""
    values = {name: value for name, value in values.items() if _differs(obj, name, value)}
    before = audit.snapshot(obj, fields)
    for name, value in values.items():
        setattr(obj, name, value)
    return audit.diff(before, audit.snapshot(obj, fields))


def decimal_clean(
    value: Any,
    field: str,
    errors: FieldErrors,
    *,
    places: int,
    maximum: Decimal,
    minimum: Decimal = Decimal(0),
    positive: bool = False,
) -> Decimal | None:
    """`value` as a Decimal with at most `places` decimals within the bounds, or a field error."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        _add(errors, field, _("Enter a number."))
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        _add(errors, field, _("Enter a number."))
        return None
    if not number.is_finite():
        _add(errors, field, _("Enter a number."))
        return None
    if positive and number <= 0:
        _add(errors, field, _("Must be more than zero."))
        return None
    if number < minimum:
        _add(errors, field, _("Must be at least %s.") % minimum)
        return None
    if number >= maximum:
        _add(errors, field, _("Must be less than %s.") % f"{maximum:,.0f}")
        return None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        _add(errors, field, _("At most %d decimals.") % places)
        return None
    return number


def _dates_check(valid_from: Any, valid_to: Any, errors: FieldErrors) -> None:
    for name, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            _add(errors, name, _("Enter a date."))
            return
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        _add(errors, "valid_to", _("The end date is before the start date."))


def _priority_check(priority: Any, errors: FieldErrors) -> None:
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
        _add(errors, "priority", _("Enter a whole number of 0 or more."))


def _bool_check(values: Mapping[str, Any], names: tuple[str, ...], errors: FieldErrors) -> None:
    for name in names:
        if name in values and not isinstance(values[name], bool):
            _add(errors, name, _("Enter true or false."))


# ----------------------------------------------------------------------------- units


@transaction.atomic
def uom_category_create(*, actor: User, name: str) -> UomCategory:
    """Add a family of units that convert into each other; its name is unique in the company."""
    company_id = _company_of(actor, MANAGE)
    name = str(name or "").strip()
    errors = text_errors(UomCategory, {"name": name})
    if not name:
        _add(errors, "name", _("Enter a name."))
    elif UomCategory.objects.filter(company_id=company_id, name__iexact=name).exists():
        _add(errors, "name", _("The unit category %s exists already.") % name)
    _raise(UomInvalidError, errors)
    with unique_or_field_error("name", lambda: _("The unit category %s exists already.") % name):
        category = UomCategory.objects.create(company_id=company_id, name=name)
    audit.record(actor=actor, obj=category, action="catalog.uom_category_create", changes={"name": name})
    return category


def _uom_values_clean(values: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    clean = dict(values)
    for name in ("code", "name"):
        if name in clean:
            clean[name] = str(clean[name] or "").strip()
    errors.update(text_errors(Uom, {k: v for k, v in clean.items() if k in ("code", "name")}))
    if "code" in clean:
        if not clean["code"]:
            _add(errors, "code", _("Enter a code."))
        elif not SKU.match(clean["code"]):
            _add(errors, "code", _("A code has no spaces."))
    if "name" in clean and not clean["name"]:
        _add(errors, "name", _("Enter a name."))
    if "ratio" in clean:
        clean["ratio"] = decimal_clean(
            clean["ratio"], "ratio", errors, places=10, maximum=MAX_RATIO, positive=True
        )
    if "rounding" in clean:
        clean["rounding"] = decimal_clean(
            clean["rounding"], "rounding", errors, places=4, maximum=Decimal(10**6), positive=True
        )
    _bool_check(clean, ("is_active",), errors)
    return clean


def _code_taken(company_id: int, code: str, exclude: int | None = None) -> bool:
    rows = Uom.objects.filter(company_id=company_id, code__iexact=code)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.exists()


@transaction.atomic
def uom_create(
    *,
    actor: User,
    category_id: int,
    code: str,
    name: str,
    ratio: Decimal,
    rounding: Decimal = Decimal("0.0001"),
) -> Uom:
    """Add a unit to a category: `ratio` reference units of the category make one of it."""
    company_id = _company_of(actor, MANAGE)
    errors: FieldErrors = {}
    clean = _uom_values_clean({"code": code, "name": name, "ratio": ratio, "rounding": rounding}, errors)
    category = _company_row(UomCategory, category_id, company_id)
    if category is None:
        _add(errors, "category_id", _("No such unit category."))
    if "code" not in errors and _code_taken(company_id, clean["code"]):
        _add(errors, "code", _("The unit %s exists already.") % clean["code"])
    _raise(UomInvalidError, errors)
    with unique_or_field_error("code", lambda: _("The unit %s exists already.") % clean["code"]):
        uom = Uom.objects.create(company_id=company_id, category=cast("UomCategory", category), **clean)
    audit.record(actor=actor, obj=uom, action="catalog.uom_create", changes=audit.snapshot(uom, UOM_FIELDS))
    return uom


def _uom_in_use(uom: Uom) -> bool:
    return Product.objects.filter(Q(uom=uom) | Q(purchase_uom=uom), company_id=uom.company_id).exists()


@transaction.atomic
def uom_update(*, actor: User, uom_id: int, **changes: Any) -> Uom:
    """Change a unit's `code`, `name`, `ratio`, `rounding` or `is_active`. The ratio of a
    unit products are counted or bought in stays (their quantities would change meaning)."""
    uom: Uom = _locked(actor, MANAGE, Uom, uom_id)
    _unknown_fields(UomInvalidError, changes, {"code", "name", "ratio", "rounding", "is_active"})
    errors: FieldErrors = {}
    clean = _uom_values_clean(changes, errors)
    _raise(UomInvalidError, errors)
    clean = {k: v for k, v in clean.items() if getattr(uom, k) != v}
    if "code" in clean and _code_taken(uom.company_id, clean["code"], exclude=uom.pk):
        _add(errors, "code", _("The unit %s exists already.") % clean["code"])
    _raise(UomInvalidError, errors)
    if ("ratio" in clean or clean.get("is_active") is False) and _uom_in_use(uom):
        field = "ratio" if "ratio" in clean else "is_active"
        raise UomInUseError(
            _("Products are counted or bought in %s; its size cannot change and it stays active.") % uom.code,
            field_errors={field: [_("The unit is in use by products.")]},
        )
    if not clean:
        return uom
    diff = _changes(uom, UOM_FIELDS, clean)
    with unique_or_field_error("code", lambda: _("The unit %s exists already.") % uom.code):
        uom.save(update_fields=list(clean))
    audit.record(actor=actor, obj=uom, action="catalog.uom_update", changes=diff)
    return uom


@transaction.atomic
def units_install(*, company_id: int, actor: User | None = None) -> list[Uom]:
    """The default unit categories and units (pieces, weight, length, volume, time) and the
    product category "All", creating whatever is missing (a second call changes nothing);
    returns the units it created. Runs at `kantoor init` and for companies made before the
    catalog existed; no policy check: it is part of setting a company up. One audit row on
    the company names what was installed (like a chart of accounts' installation)."""

    created: list[Uom] = []
    categories = {c.name: c for c in UomCategory.objects.filter(company_id=company_id)}
    codes = set(Uom.objects.filter(company_id=company_id).values_list("code", flat=True))
    new_categories: list[str] = []
    for category_name, units in DEFAULT_UNITS.items():
        category = categories.get(category_name)
        if category is None:
            category = UomCategory.objects.create(company_id=company_id, name=category_name)
            new_categories.append(category_name)
        for code, name, ratio, rounding in units:
            if code not in codes:
                created.append(
                    Uom.objects.create(
                        company_id=company_id,
                        category=category,
                        code=code,
                        name=name,
                        ratio=Decimal(ratio),
                        rounding=Decimal(rounding),
                    )
                )
    product_categories: list[str] = []
    if not ProductCategory.objects.filter(company_id=company_id, name=DEFAULT_CATEGORY).exists():
        ProductCategory.objects.create(company_id=company_id, name=DEFAULT_CATEGORY)
        product_categories.append(DEFAULT_CATEGORY)
    if created or new_categories or product_categories:
        audit.record(
            actor=actor,
            obj=Company.objects.get(pk=company_id),
            action="catalog.units_install",
            changes={
                "uom_categories": new_categories,
                "uoms": [uom.code for uom in created],
                "product_categories": product_categories,
            },
        )
    return created


# ----------------------------------------------------------------------------- product categories


def _category_values_clean(
    company_id: int, values: Mapping[str, Any], errors: FieldErrors, current: ProductCategory | None = None
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in values:
        clean["name"] = str(values["name"] or "").strip()
        errors.update(text_errors(ProductCategory, {"name": clean["name"]}))
        if not clean["name"]:
            _add(errors, "name", _("Enter a name."))
        else:
            taken = ProductCategory.objects.filter(company_id=company_id, name__iexact=clean["name"])
            if current is not None:
                taken = taken.exclude(pk=current.pk)
            if taken.exists():
                _add(errors, "name", _("The product category %s exists already.") % clean["name"])
    if "costing_method" in values:
        clean["costing_method"] = values["costing_method"]
        if values["costing_method"] not in CostingMethod.values:
            _add(errors, "costing_method", _("Choose one of: %s.") % ", ".join(CostingMethod.values))
    if "stock_valuation" in values:
        clean["stock_valuation"] = values["stock_valuation"]
        if values["stock_valuation"] not in StockValuation.values:
            _add(errors, "stock_valuation", _("Choose one of: %s.") % ", ".join(StockValuation.values))
        elif (
            current is not None
            and values["stock_valuation"] != current.stock_valuation
            and current.products.exists()
        ):
            # Its products' value would sit in the ledger by one method and move by the other.
            _add(errors, "stock_valuation", _("The category has products; the stock valuation stays."))
    if "parent_id" in values:
        parent_id = values["parent_id"]
        parent = None
        if parent_id is not None:
            parent = _company_row(ProductCategory, parent_id, company_id)
            if parent is None:
                _add(errors, "parent_id", _("No such product category."))
            elif current is not None and _is_within(parent, current):
                _add(errors, "parent_id", _("A category cannot sit inside itself."))
        clean["parent"] = parent
    _bool_check(values, ("is_active",), errors)
    if "is_active" in values:
        clean["is_active"] = values["is_active"]
    return clean


def _is_within(category: ProductCategory, ancestor: ProductCategory) -> bool:
    """Whether `category` is `ancestor` or lies below it."""
    seen: set[int] = set()
    node: ProductCategory | None = category
    while node is not None and node.pk not in seen:
        if node.pk == ancestor.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


@transaction.atomic
def product_category_create(
    *,
    actor: User,
    name: str,
    parent_id: int | None = None,
    costing_method: str = CostingMethod.AVERAGE,
    stock_valuation: str = StockValuation.PERPETUAL,
) -> ProductCategory:
    """Add a product category; its name is unique in the company."""
    company_id = _company_of(actor, MANAGE)
    errors: FieldErrors = {}
    values = {
        "name": name,
        "parent_id": parent_id,
        "costing_method": costing_method,
        "stock_valuation": stock_valuation,
    }
    clean = _category_values_clean(company_id, values, errors)
    _raise(ProductCategoryInvalidError, errors)
    with unique_or_field_error("name", lambda: _("The product category %s exists already.") % clean["name"]):
        category = ProductCategory.objects.create(company_id=company_id, **clean)
    audit.record(
        actor=actor,
        obj=category,
        action="catalog.product_category_create",
        changes=audit.snapshot(category, CATEGORY_FIELDS),
    )
    return category


@transaction.atomic
def product_category_update(*, actor: User, category_id: int, **changes: Any) -> ProductCategory:
    """Change a category's `name`, `parent_id`, `costing_method`, `stock_valuation` (only
    while it has no products) or `is_active`. Last write wins."""
    category: ProductCategory = _locked(actor, MANAGE, ProductCategory, category_id)
    _unknown_fields(
        ProductCategoryInvalidError,
        changes,
        {"name", "parent_id", "costing_method", "stock_valuation", "is_active"},
    )
    errors: FieldErrors = {}
    clean = _category_values_clean(category.company_id, changes, errors, current=category)
    _raise(ProductCategoryInvalidError, errors)
    diff = _changes(category, CATEGORY_FIELDS, clean)
    if not diff:
        return category
    with unique_or_field_error("name", lambda: _("The product category %s exists already.") % category.name):
        category.save(update_fields=list(clean))
    audit.record(actor=actor, obj=category, action="catalog.product_category_update", changes=diff)
    return category


# ----------------------------------------------------------------------------- products


def barcode_clean(value: Any, errors: FieldErrors, field: str = "barcode") -> str:
    """The barcode compact (digits only), or a field error unless it is a valid EAN-8,
    UPC-A (12), EAN-13 or GTIN-14 with its check digit; empty is allowed."""
    code = ean.compact(str(value or ""))
    if code and not ean.is_valid(code):
        _add(
            errors,
            field,
            _("Not a valid barcode: enter an EAN-8, EAN-13 or GTIN-14 number with its check digit."),
        )
    return code


@transaction.atomic
def product_create(
    *,
    actor: User,
    sku: str,
    name: str,
    description: str = "",
    kind: str = ProductKind.STOCKABLE,
    tracking: str = Tracking.NONE,
    category_id: int | None = None,
    uom_id: int | None = None,
    purchase_uom_id: int | None = None,
    barcode: str = "",
    list_price: Decimal = Decimal(0),
    cost: Decimal = Decimal(0),
    allows_negative_stock: bool = False,
    allows_backorder: bool = True,
    is_sold: bool = True,
    is_purchased: bool = True,
) -> Product:
    """Add a product. Without a category it goes in "All", without a unit it is counted in
    pieces (`units_install` made both); it is bought in its own unit unless another of the
    same category is given. SKU and barcode are unique in the company. Publishes ProductCreated."""
    company_id = _company_of(actor, MANAGE)
    values = {
        "sku": sku,
        "name": name,
        "description": description,
        "kind": kind,
        "tracking": tracking,
        "category_id": category_id,
        "uom_id": uom_id,
        "purchase_uom_id": purchase_uom_id,
        "barcode": barcode,
        "list_price": list_price,
        "cost": cost,
        "allows_negative_stock": allows_negative_stock,
        "allows_backorder": allows_backorder,
        "is_sold": is_sold,
        "is_purchased": is_purchased,
    }
    clean = product_values_check(company_id, values, lookups=ProductLookups(company_id))
    with unique_or_field_error("sku", lambda: _("A product with SKU %s exists already.") % clean["sku"]):
        product = Product.objects.create(company_id=company_id, **clean)
    audit.record(
        actor=actor,
        obj=product,
        action="catalog.product_create",
        changes=audit.snapshot(product, PRODUCT_FIELDS),
    )
    publish(
        ProductCreated(
            company_id=company_id,
            product_id=product.pk,
            sku=product.sku,
            name=product.name,
            actor_id=actor.pk,
        )
    )
    return product


class ProductLookups:
    """What checking a product's values reads: the company's categories, units and the
    SKUs and barcodes taken. Loaded once per lookup kind, so an import of a thousand rows
    reads each table once."""

    def __init__(self, company_id: int) -> None:
        self.company_id = company_id
        self._categories: dict[int, ProductCategory] | None = None
        self._uoms: dict[int, Uom] | None = None

    def categories(self) -> dict[int, ProductCategory]:
        if self._categories is None:
            self._categories = {c.pk: c for c in ProductCategory.objects.filter(company_id=self.company_id)}
        return self._categories

    def uoms(self) -> dict[int, Uom]:
        if self._uoms is None:
            self._uoms = {u.pk: u for u in Uom.objects.filter(company_id=self.company_id)}
        return self._uoms

    def default_category(self) -> ProductCategory | None:
        return next((c for c in self.categories().values() if c.name == DEFAULT_CATEGORY), None)

    def default_uom(self) -> Uom | None:
        return next((u for u in self.uoms().values() if u.code == DEFAULT_UOM), None)

    def sku_taken(self, sku: str, exclude: int | None) -> bool:
        rows = Product.objects.filter(company_id=self.company_id, sku__iexact=sku)
        return (rows.exclude(pk=exclude) if exclude else rows).exists()

    def barcode_taken(self, barcode: str, exclude: int | None) -> str:
        """The SKU of the other product with this barcode, or ""."""
        rows = Product.objects.filter(company_id=self.company_id, barcode=barcode)
        return (rows.exclude(pk=exclude) if exclude else rows).values_list("sku", flat=True).first() or ""


def product_values_check(
    company_id: int,
    values: Mapping[str, Any],
    *,
    lookups: ProductLookups,
    current: Product | None = None,
    check_unique: bool = True,
) -> dict[str, Any]:
    """The product's model fields from the service's `values` (PRODUCT_INPUTS; on a change
    only those that change), checked all at once: one ProductInvalidError lists every
    faulty field. Nothing is written. Used by the services and by the import."""
    errors: FieldErrors = {}
    current_pk = current.pk if current else None
    _unknown = sorted(set(values) - set(PRODUCT_INPUTS))
    for name in _unknown:
        _add(errors, name, _("Unknown field."))
    clean: dict[str, Any] = {}
    for name in ("sku", "name", "description"):
        if name in values:
            clean[name] = str(values[name] if values[name] is not None else "").strip()
    errors.update(text_errors(Product, clean))
    if "sku" in clean:
        if not clean["sku"]:
            _add(errors, "sku", _("Enter a SKU."))
        elif not SKU.match(clean["sku"]):
            _add(errors, "sku", _("A SKU has no spaces."))
        elif check_unique and "sku" not in errors and lookups.sku_taken(clean["sku"], current_pk):
            _add(errors, "sku", _("A product with SKU %s exists already.") % clean["sku"])
    if "name" in clean and not clean["name"]:
        _add(errors, "name", _("Enter a name."))
    for name, choices in (("kind", ProductKind.values), ("tracking", Tracking.values)):
        if name in values:
            clean[name] = values[name]
            if values[name] not in choices:
                _add(errors, name, _("Choose one of: %s.") % ", ".join(choices))
    if "barcode" in values:
        clean["barcode"] = barcode_clean(values["barcode"], errors)
        if check_unique and clean["barcode"] and "barcode" not in errors:
            other = lookups.barcode_taken(clean["barcode"], current_pk)
            if other:
                _add(errors, "barcode", _("Product %s has this barcode already.") % other)
    for name in ("list_price", "cost"):
        if name in values:
            clean[name] = decimal_clean(values[name], name, errors, places=PRICE_PLACES, maximum=MAX_PRICE)
    _bool_check(values, ("allows_negative_stock", "allows_backorder", "is_sold", "is_purchased"), errors)
    for name in ("allows_negative_stock", "allows_backorder", "is_sold", "is_purchased"):
        if name in values:
            clean[name] = values[name]
    if "category_id" in values or current is None:
        category_id = values.get("category_id")
        category = (
            lookups.default_category()
            if category_id is None
            else lookups.categories().get(category_id)
            if isinstance(category_id, int)
            else None
        )
        if category is None:
            _add(
                errors,
                "category_id",
                _("No such product category.") if category_id is not None else _("Choose a category."),
            )
        elif not category.is_active and (current is None or current.category_id != category.pk):
            _add(errors, "category_id", _("The category %s is archived.") % category.name)
        clean["category"] = category
    uom = current.uom if current is not None else None
    if "uom_id" in values or current is None:
        uom = _uom_pick(lookups, values.get("uom_id"), "uom_id", errors, current.uom_id if current else None)
        clean["uom"] = uom
    purchase_uom = current.purchase_uom if current is not None else None
    if "purchase_uom_id" in values or current is None:
        if values.get("purchase_uom_id") is None:
            purchase_uom = uom
        else:
            purchase_uom = _uom_pick(
                lookups,
                values["purchase_uom_id"],
                "purchase_uom_id",
                errors,
                current.purchase_uom_id if current else None,
            )
        clean["purchase_uom"] = purchase_uom
    elif (
        "uom_id" in values
        and uom is not None
        and purchase_uom is not None
        and purchase_uom.category_id != uom.category_id
    ):
        # A new unit of another category takes the purchase unit along.
        clean["purchase_uom"] = purchase_uom = uom
    if (
        uom is not None
        and purchase_uom is not None
        and purchase_uom.category_id != uom.category_id
        and "purchase_uom_id" not in errors
    ):
        _add(
            errors,
            "purchase_uom_id",
            _("The purchase unit must measure the same as the unit (%(category)s).")
            % {"category": uom.category.name},
        )
    kind = clean.get("kind", current.kind if current else ProductKind.STOCKABLE)
    tracking = clean.get("tracking", current.tracking if current else Tracking.NONE)
    if "kind" not in errors and "tracking" not in errors:
        if tracking != Tracking.NONE and kind != ProductKind.STOCKABLE:
            _add(errors, "tracking", _("Only stockable products are tracked by lot or serial number."))
        if tracking == Tracking.SERIAL and uom is not None and uom.rounding != 1:
            _add(errors, "uom_id", _("A product with serial numbers is counted in whole units."))
    _raise(ProductInvalidError, errors)
    return clean


def _uom_pick(
    lookups: ProductLookups, uom_id: Any, field: str, errors: FieldErrors, current_id: int | None
) -> Uom | None:
    uom = (
        lookups.default_uom()
        if uom_id is None
        else lookups.uoms().get(uom_id)
        if isinstance(uom_id, int)
        else None
    )
    if uom is None:
        _add(errors, field, _("No such unit.") if uom_id is not None else _("Choose a unit."))
    elif not uom.is_active and uom.pk != current_id:
        _add(errors, field, _("The unit %s is archived.") % uom.code)
    return uom


def _locked_product(actor: User, product_id: int, action: str = MANAGE) -> Product:
    product: Product = _locked(actor, action, Product, product_id)
    return product


def _product_touch(product: Product) -> None:
    """A new version of the product, changed now (saved by the caller)."""
    product.version += 1
    product.updated_at = timezone.now()


def _product_saved(actor: User, product: Product, changed_fields: list[str]) -> None:
    """Tell the other apps the product changed (after its save and audit)."""
    publish(
        ProductUpdated(
            company_id=product.company_id,
            product_id=product.pk,
            changed_fields=changed_fields,
            actor_id=actor.pk,
        )
    )


@transaction.atomic
def product_update(*, actor: User, product_id: int, version: int | None, **changes: Any) -> Product:
    """Change the product's fields given (the names of `product_create`). Refuses a stale
    `version` (409). Publishes ProductUpdated when anything changed."""
    product: Product = _locked_current(actor, MANAGE, Product, product_id, version)
    clean = product_values_check(
        product.company_id, changes, lookups=ProductLookups(product.company_id), current=product
    )
    diff = _changes(product, PRODUCT_FIELDS, clean)
    if not diff:
        return product
    _product_touch(product)
    with unique_or_field_error("sku", lambda: _("A product with SKU %s exists already.") % product.sku):
        product.save()
    audit.record(actor=actor, obj=product, action="catalog.product_update", changes=diff)
    _product_saved(actor, product, sorted(diff))
    return product


@transaction.atomic
def product_archive(*, actor: User, product_id: int, version: int | None, archived: bool = True) -> Product:
    """Archive a product (it is no longer offered in pickers; its history and stock stay)
    or restore it. Publishes ProductUpdated (`is_active`) when it changed."""
    product: Product = _locked_current(actor, MANAGE, Product, product_id, version)
    if product.is_active is (not archived):
        return product
    product.is_active = not archived
    _product_touch(product)
    product.save(update_fields=["is_active", "version", "updated_at"])
    audit.record(
        actor=actor,
        obj=product,
        action="catalog.product_archive" if archived else "catalog.product_restore",
        changes={"is_active": [archived, not archived]},
    )
    _product_saved(actor, product, ["is_active"])
    return product


def _language_check(language: str, errors: FieldErrors) -> str:
    code = str(language or "").strip().lower()
    if code not in {code for code, _label in settings.LANGUAGES}:
        _add(
            errors,
            "language",
            _("Choose one of: %s.") % ", ".join(code for code, _label in settings.LANGUAGES),
        )
    return code


@transaction.atomic
def product_translation_set(
    *, actor: User, product_id: int, language: str, name: str, description: str = ""
) -> ProductTranslation:
    """The product's name and description in `language` (documents to parties who read
    it), created or replaced. Publishes ProductUpdated (`translations.<language>`)."""
    product = _locked_product(actor, product_id)
    errors: FieldErrors = {}
    code = _language_check(language, errors)
    name, description = str(name or "").strip(), str(description or "").strip()
    errors.update(text_errors(ProductTranslation, {"name": name, "description": description}))
    if not name:
        _add(errors, "name", _("Enter a name."))
    _raise(ProductInvalidError, errors)
    translation = ProductTranslation.objects.filter(product=product, language=code).first()
    if translation is None:
        translation = ProductTranslation.objects.create(
            product=product, language=code, name=name, description=description
        )
        diff = audit.snapshot(translation, ["language", "name", "description"])
    else:
        diff = _changes(translation, ["name", "description"], {"name": name, "description": description})
        if not diff:
            return translation
        translation.save(update_fields=["name", "description"])
    audit.record(
        actor=actor,
        obj=product,
        action="catalog.product_translation_set",
        changes={f"{key}_{code}": value for key, value in diff.items() if key != "language"},
    )
    _product_saved(actor, product, [f"translations.{code}"])
    return translation


@transaction.atomic
def product_translation_delete(*, actor: User, product_id: int, language: str) -> None:
    """Remove the product's translation into `language` (documents fall back to its own name)."""
    product = _locked_product(actor, product_id)
    translation = ProductTranslation.objects.filter(product=product, language=language).first()
    if translation is None:
        raise NotFoundError(_("Not found."))
    translation.delete()
    audit.record(
        actor=actor,
        obj=product,
        action="catalog.product_translation_delete",
        changes={f"name_{language}": [translation.name, None]},
    )
    _product_saved(actor, product, [f"translations.{language}"])


# ----------------------------------------------------------------------------- price lists


def _price_list_values_clean(
    company_id: int, values: Mapping[str, Any], errors: FieldErrors, current: PriceList | None = None
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in values:
        clean["name"] = str(values["name"] or "").strip()
        errors.update(text_errors(PriceList, {"name": clean["name"]}))
        if not clean["name"]:
            _add(errors, "name", _("Enter a name."))
        else:
            taken = PriceList.objects.filter(company_id=company_id, name__iexact=clean["name"])
            if current is not None:
                taken = taken.exclude(pk=current.pk)
            if taken.exists():
                _add(errors, "name", _("The price list %s exists already.") % clean["name"])
    if "currency" in values:
        try:
            clean["currency"] = currency_validate(str(values["currency"] or ""))
        except DomainError:
            _add(errors, "currency", _("Unknown currency “%s”.") % values["currency"])
    if "party_id" in values:
        party_id = values["party_id"]
        party = None
        if party_id is not None:
            party = _company_row(Party, party_id, company_id, merged_into__isnull=True)
            if party is None:
                _add(errors, "party_id", _("No such customer."))
        clean["party"] = party
    if "customer_group_id" in values:
        tag_id = values["customer_group_id"]
        tag = None
        if tag_id is not None:
            tag = _company_row(Tag, tag_id, company_id)
            if tag is None:
                _add(errors, "customer_group_id", _("No such customer group."))
        clean["customer_group"] = tag
    party = clean.get("party", current.party if current else None)
    group = clean.get("customer_group", current.customer_group if current else None)
    if party is not None and group is not None:
        _add(
            errors,
            "customer_group_id",
            _("A price list is for one customer or for a customer group, not both."),
        )
    if "priority" in values:
        clean["priority"] = values["priority"]
        _priority_check(values["priority"], errors)
    for name in ("valid_from", "valid_to"):
        if name in values:
            clean[name] = values[name]
    _dates_check(
        clean.get("valid_from", current.valid_from if current else None),
        clean.get("valid_to", current.valid_to if current else None),
        errors,
    )
    if "is_active" in values:
        clean["is_active"] = values["is_active"]
        _bool_check(values, ("is_active",), errors)
    return clean


@transaction.atomic
def price_list_create(
    *,
    actor: User,
    name: str,
    currency: str,
    party_id: int | None = None,
    customer_group_id: int | None = None,
    priority: int = 10,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> PriceList:
    """Add a price list for one customer (`party_id`), for the customers with a tag
    (`customer_group_id`), or for every customer (neither), in one currency."""
    company_id = _company_of(actor, MANAGE_PRICES)
    errors: FieldErrors = {}
    clean = _price_list_values_clean(
        company_id,
        {
            "name": name,
            "currency": currency,
            "party_id": party_id,
            "customer_group_id": customer_group_id,
            "priority": priority,
            "valid_from": valid_from,
            "valid_to": valid_to,
        },
        errors,
    )
    _raise(PriceListInvalidError, errors)
    with unique_or_field_error("name", lambda: _("The price list %s exists already.") % clean["name"]):
        price_list = PriceList.objects.create(company_id=company_id, **clean)
    audit.record(
        actor=actor,
        obj=price_list,
        action="catalog.price_list_create",
        changes=audit.snapshot(price_list, PRICE_LIST_FIELDS),
    )
    return price_list


@transaction.atomic
def price_list_update(*, actor: User, price_list_id: int, version: int | None, **changes: Any) -> PriceList:
    """Change the price list's fields given (those of `price_list_create` and `is_active`).
    Refuses a stale `version` (409)."""
    price_list: PriceList = _locked_current(actor, MANAGE_PRICES, PriceList, price_list_id, version)
    _unknown_fields(PriceListInvalidError, changes, set(PRICE_LIST_INPUTS))
    errors: FieldErrors = {}
    clean = _price_list_values_clean(price_list.company_id, changes, errors, current=price_list)
    _raise(PriceListInvalidError, errors)
    diff = _changes(price_list, PRICE_LIST_FIELDS, clean)
    if not diff:
        return price_list
    price_list.version += 1
    with unique_or_field_error("name", lambda: _("The price list %s exists already.") % price_list.name):
        price_list.save()
    audit.record(actor=actor, obj=price_list, action="catalog.price_list_update", changes=diff)
    return price_list


def _company_product(company_id: int, product_id: Any, errors: FieldErrors) -> Product | None:
    product: Product | None = _company_row(Product, product_id, company_id)
    if product is None:
        _add(errors, "product_id", _("No such product."))
    return product


@transaction.atomic
def price_list_item_set(
    *,
    actor: User,
    price_list_id: int,
    product_id: int,
    min_quantity: Decimal = Decimal(0),
    price: Decimal | None = None,
    discount: Decimal | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    item_id: int | None = None,
) -> PriceListItem:
    """The unit `price` (in the list's currency) or the `discount` (a percentage of the
    list price) of a product from `min_quantity` on. With `item_id` that item changes;
    otherwise the item of the same product, quantity and dates is replaced, or a new one
    is added."""
    price_list: PriceList = _locked(actor, MANAGE_PRICES, PriceList, price_list_id)
    errors: FieldErrors = {}
    product = _company_product(price_list.company_id, product_id, errors)
    quantity = decimal_clean(
        min_quantity, "min_quantity", errors, places=QUANTITY_PLACES, maximum=MAX_QUANTITY
    )
    if (price is None) == (discount is None):
        _add(errors, "price", _("Enter either a unit price or a discount."))
    if price is not None:
        price = decimal_clean(price, "price", errors, places=PRICE_PLACES, maximum=MAX_PRICE)
    if discount is not None:
        discount = decimal_clean(discount, "discount", errors, places=4, maximum=Decimal(1000))
        if discount is not None and discount > 100:
            _add(errors, "discount", _("A discount is at most 100%."))
    _dates_check(valid_from, valid_to, errors)
    item: PriceListItem | None = _locked_child(PriceListItem, item_id, price_list=price_list)
    _raise(PriceListInvalidError, errors)
    quantity = cast("Decimal", quantity)  # None was a field error above
    values = {
        "product": product,
        "min_quantity": quantity,
        "price": price,
        "discount": discount,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    return cast(
        "PriceListItem",
        _row_set(
            actor,
            item,
            model=PriceListItem,
            same={
                "price_list": price_list,
                "product": product,
                "min_quantity": quantity,
                "valid_from": valid_from,
                "valid_to": valid_to,
            },
            create={"price_list": price_list},
            values=values,
            fields=ITEM_FIELDS,
            actions=("catalog.price_list_item_create", "catalog.price_list_item_update"),
            company_id=price_list.company_id,
        ),
    )


@transaction.atomic
def price_list_item_delete(*, actor: User, item_id: int) -> None:
    """Remove an item from its price list."""
    company_id = _company_of(actor, MANAGE_PRICES)
    item = (
        PriceListItem.objects.select_for_update().select_related("price_list").filter(pk=item_id).first()
        if isinstance(item_id, int)
        else None
    )
    if item is None or item.price_list.company_id != company_id:
        raise NotFoundError(_("Not found."))
    _audit_delete(actor, item, ITEM_FIELDS, "catalog.price_list_item_delete", company_id=company_id)
    item.delete()


# ----------------------------------------------------------------------------- supplier prices


@transaction.atomic
def supplier_price_set(
    *,
    actor: User,
    product_id: int,
    supplier_id: int,
    price: Decimal,
    currency: str,
    supplier_sku: str = "",
    min_quantity: Decimal = Decimal(0),
    lead_time_days: int = 0,
    priority: int = 10,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    supplier_price_id: int | None = None,
) -> SupplierPrice:
    """What `supplier` (a party with the supplier role) charges for the product from
    `min_quantity` on (in the product's purchase unit) and how many days it takes to
    deliver. With `supplier_price_id` that price changes; otherwise the price of the same
    supplier, quantity and dates is replaced, or a new one is added."""
    product = _locked_product(actor, product_id)
    company_id = product.company_id
    errors: FieldErrors = {}
    supplier = _company_row(Party, supplier_id, company_id, merged_into__isnull=True)
    if supplier is None:
        _add(errors, "supplier_id", _("No such supplier."))
    elif not PartyRole.objects.filter(party=supplier, role=PartyRoleType.SUPPLIER).exists():
        _add(
            errors,
            "supplier_id",
            _("%s is not a supplier; give the party the supplier role first.") % supplier.name,
        )
    supplier_sku = str(supplier_sku or "").strip()
    errors.update(text_errors(SupplierPrice, {"supplier_sku": supplier_sku}))
    code = ""
    try:
        code = currency_validate(str(currency or ""))
    except DomainError:
        _add(errors, "currency", _("Unknown currency “%s”.") % currency)
    amount = decimal_clean(price, "price", errors, places=PRICE_PLACES, maximum=MAX_PRICE)
    quantity = decimal_clean(
        min_quantity, "min_quantity", errors, places=QUANTITY_PLACES, maximum=MAX_QUANTITY
    )
    if (
        isinstance(lead_time_days, bool)
        or not isinstance(lead_time_days, int)
        or not 0 <= lead_time_days <= 3660
    ):
        _add(errors, "lead_time_days", _("Enter a number of days from 0 to 3660."))
    _priority_check(priority, errors)
    _dates_check(valid_from, valid_to, errors)
    row: SupplierPrice | None = _locked_child(SupplierPrice, supplier_price_id, product=product)
    _raise(SupplierPriceInvalidError, errors)
    quantity = cast("Decimal", quantity)  # None was a field error above
    values = {
        "supplier": supplier,
        "supplier_sku": supplier_sku,
        "currency": code,
        "price": amount,
        "min_quantity": quantity,
        "lead_time_days": lead_time_days,
        "priority": priority,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    return cast(
        "SupplierPrice",
        _row_set(
            actor,
            row,
            model=SupplierPrice,
            same={
                "product": product,
                "supplier": supplier,
                "min_quantity": quantity,
                "valid_from": valid_from,
                "valid_to": valid_to,
            },
            create={"company_id": company_id, "product": product},
            values=values,
            fields=SUPPLIER_PRICE_FIELDS,
            actions=("catalog.supplier_price_create", "catalog.supplier_price_update"),
        ),
    )


@transaction.atomic
def supplier_price_delete(*, actor: User, supplier_price_id: int) -> None:
    """Remove a supplier's price."""
    row: SupplierPrice = _locked(actor, MANAGE, SupplierPrice, supplier_price_id)
    _audit_delete(actor, row, SUPPLIER_PRICE_FIELDS, "catalog.supplier_price_delete")
    row.delete()
