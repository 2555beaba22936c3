"""API schemas of the catalog. As in finance, prices and quantities travel as decimal
strings both ways ("5.95"), never as JSON numbers; the patterns bound only their shape and
size, the services check the rules. Prices are answered as stored without the storage's
trailing zeros beyond two decimals ("5.95", not "5.950000")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field

from kantoor.catalog.models import CostingMethod, PriceList, Product, ProductKind, StockValuation, Tracking
from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged

_PRICE = r"^[0-9]{1,14}(\.[0-9]{1,6})?$"
_QUANTITY = r"^[0-9]{1,14}(\.[0-9]{1,4})?$"
_RATIO = r"^[0-9]{1,10}(\.[0-9]{1,10})?$"
_PERCENT = r"^[0-9]{1,3}(\.[0-9]{1,4})?$"

Price = Annotated[
    str, Field(pattern=_PRICE, max_length=21, description='A decimal string, e.g. "5.95".', examples=["5.95"])
]
Quantity = Annotated[
    str, Field(pattern=_QUANTITY, max_length=19, description='A decimal string, e.g. "10".', examples=["10"])
]
Ratio = Annotated[
    str,
    Field(
        pattern=_RATIO,
        max_length=21,
        description="Reference units of the category in one of this unit (kg: 1, g: 0.001).",
        examples=["0.001"],
    ),
]
Percent = Annotated[
    str, Field(pattern=_PERCENT, max_length=8, description="A percentage, 0 to 100.", examples=["10"])
]


def trimmed(value: Decimal, places: int = 2) -> str:
    """`value` as text with at least `places` decimals and no trailing zeros beyond them."""
    value = Decimal(value)
    short = value.quantize(Decimal(1).scaleb(-places))
    if short == value:
        return f"{short:f}"
    return f"{value.normalize():f}"


def _money_text(value: Any) -> Any:
    return trimmed(value) if isinstance(value, Decimal) else value


def _number_text(value: Any) -> Any:
    return trimmed(value, 0) if isinstance(value, Decimal) else value


MoneyText = Annotated[str, BeforeValidator(_money_text)]
NumberText = Annotated[str, BeforeValidator(_number_text)]


# ----------------------------------------------------------------------------- units


class UomCategoryOut(Schema):
    id: int
    name: str


class UomCategoryIn(Input):
    name: str = Field(min_length=1, max_length=60)


class UomOut(Schema):
    id: int
    category_id: int
    code: str
    name: str
    ratio: NumberText
    rounding: NumberText
    is_active: bool


class UomCreateIn(Input):
    category_id: Id
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=60)
    ratio: Ratio
    rounding: Quantity = Field("0.0001", description="Quantities in the unit are rounded to this step.")


class UomUpdateIn(Input):
    code: str = unchanged(min_length=1, max_length=20)
    name: str = unchanged(min_length=1, max_length=60)
    ratio: Ratio = unchanged()
    rounding: Quantity = unchanged()
    is_active: bool = unchanged()


# ----------------------------------------------------------------------------- categories


class ProductCategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    costing_method: str
    stock_valuation: str
    is_active: bool


class ProductCategoryCreateIn(Input):
    name: str = Field(min_length=1, max_length=100)
    parent_id: Id | None = None
    costing_method: CostingMethod = CostingMethod.AVERAGE
    stock_valuation: StockValuation = StockValuation.PERPETUAL


class ProductCategoryUpdateIn(Input):
    name: str = unchanged(min_length=1, max_length=100)
    parent_id: Id | None = unchanged()
    costing_method: CostingMethod = unchanged()
    stock_valuation: StockValuation = unchanged()
    is_active: bool = unchanged()


# ----------------------------------------------------------------------------- products


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    description: str
    kind: str
    tracking: str
    category_id: int
    uom_id: int
    uom: str = Field(description="The unit's code.")
    purchase_uom_id: int
    barcode: str
    list_price: MoneyText
    cost: MoneyText
    allows_negative_stock: bool
    allows_backorder: bool
    is_sold: bool
    is_purchased: bool
    is_active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_uom(obj: Product) -> str:
        return obj.uom.code


class ProductPage(Page[ProductOut]):
    pass


class ProductFilters(QueryInput):
    q: str = Field("", max_length=200, description="SKU prefix, part of the name, or a barcode.")
    category_id: Id | None = None
    kind: ProductKind | None = None
    include_archived: bool = False


class ProductCreateIn(Input):
    sku: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    kind: ProductKind = ProductKind.STOCKABLE
    tracking: Tracking = Tracking.NONE
    category_id: Id | None = Field(None, description='Default: the category "All".')
    uom_id: Id | None = Field(None, description="Default: pieces (pc).")
    purchase_uom_id: Id | None = Field(None, description="Default: the unit. Of the same category.")
    barcode: str = Field("", max_length=20, description="EAN-8, EAN-13 or GTIN-14 with its check digit.")
    list_price: Price = "0"
    cost: Price = "0"
    allows_negative_stock: bool = False
    allows_backorder: bool = True
    is_sold: bool = True
    is_purchased: bool = True


class ProductUpdateIn(Input):
    """Only the fields sent change."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    sku: str = unchanged(min_length=1, max_length=40)
    name: str = unchanged(min_length=1, max_length=200)
    description: str = unchanged(max_length=20000)
    kind: ProductKind = unchanged()
    tracking: Tracking = unchanged()
    category_id: Id = unchanged()
    uom_id: Id = unchanged()
    purchase_uom_id: Id = unchanged()
    barcode: str = unchanged(max_length=20)
    list_price: Price = unchanged()
    cost: Price = unchanged()
    allows_negative_stock: bool = unchanged()
    allows_backorder: bool = unchanged()
    is_sold: bool = unchanged()
    is_purchased: bool = unchanged()


class VersionIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")


class TranslationOut(Schema):
    language: str
    name: str
    description: str


class TranslationIn(Input):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)


class PriceQuery(QueryInput):
    party_id: Id | None = Field(None, description="The customer; without one, the prices for everyone.")
    quantity: Quantity = "1"
    date: dt.date | None = Field(None, description="Default: today.")
    currency: str = Field("", max_length=3, description="Default: the company's currency.")


class PriceOut(Schema):
    product_id: int
    unit_price: MoneyText
    currency: str
    source: str = Field(description="price_list or list_price.")
    price_list_id: int | None
    item_id: int | None
    discount: NumberText | None


# ----------------------------------------------------------------------------- price lists


class PriceListOut(Schema):
    id: int
    name: str
    currency: str
    party_id: int | None
    customer_group_id: int | None
    customer_group: str | None = Field(description="The tag's name.")
    priority: int
    valid_from: dt.date | None
    valid_to: dt.date | None
    is_active: bool
    version: int

    @staticmethod
    def resolve_customer_group(obj: PriceList) -> str | None:
        return obj.customer_group.name if obj.customer_group else None


class PriceListPage(Page[PriceListOut]):
    pass


class PriceListCreateIn(Input):
    name: str = Field(min_length=1, max_length=100)
    currency: str = Field(min_length=3, max_length=3)
    party_id: Id | None = Field(None, description="For one customer.")
    customer_group_id: Id | None = Field(None, description="For the customers with this tag.")
    priority: int = Field(10, ge=0, le=2**31 - 1, description="Lower first, among lists of one kind.")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class PriceListUpdateIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    name: str = unchanged(min_length=1, max_length=100)
    currency: str = unchanged(min_length=3, max_length=3)
    party_id: Id | None = unchanged()
    customer_group_id: Id | None = unchanged()
    priority: int = unchanged(ge=0, le=2**31 - 1)
    valid_from: dt.date | None = unchanged()
    valid_to: dt.date | None = unchanged()
    is_active: bool = unchanged()


class PriceListItemOut(Schema):
    id: int
    price_list_id: int
    product_id: int
    min_quantity: NumberText
    price: MoneyText | None
    discount: NumberText | None
    valid_from: dt.date | None
    valid_to: dt.date | None


class PriceListItemPage(Page[PriceListItemOut]):
    pass


class PriceListItemIn(Input):
    product_id: Id
    min_quantity: Quantity = "0"
    price: Price | None = Field(None, description="A unit price in the list's currency, or:")
    discount: Percent | None = Field(None, description="A percentage off the list price.")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    item_id: Id | None = Field(
        None, description="The item to change; default: the same product and quantity."
    )


# ----------------------------------------------------------------------------- supplier prices


class SupplierPriceOut(Schema):
    id: int
    product_id: int
    supplier_id: int
    supplier_sku: str
    currency: str
    price: MoneyText
    min_quantity: NumberText
    lead_time_days: int
    priority: int
    valid_from: dt.date | None
    valid_to: dt.date | None


class SupplierPriceIn(Input):
    supplier_id: Id
    price: Price
    currency: str = Field(min_length=3, max_length=3)
    supplier_sku: str = Field("", max_length=60)
    min_quantity: Quantity = "0"
    lead_time_days: int = Field(0, ge=0, le=3660)
    priority: int = Field(10, ge=0, le=2**31 - 1)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int


class ExportQuery(QueryInput):
    format: str = Field("csv", pattern="^(csv|xlsx)$")
    include_archived: bool = False
