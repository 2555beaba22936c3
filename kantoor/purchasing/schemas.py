"""API schemas of purchase orders. Quantities and prices travel as decimal strings both ways
("12.5"), never as JSON numbers; the patterns bound only the shape and size, the services
check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged
from kantoor.finance.schemas_invoices import MoneyText, NumberText, Percent
from kantoor.purchasing.models import OrderState, PurchaseOrder

Quantity = Annotated[
    str,
    Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$", max_length=18, description='A decimal string, e.g. "3".'),
]
UnitPrice = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,12}(\.[0-9]{1,6})?$", max_length=20, description='A decimal string, e.g. "4.25".'
    ),
]


class OrderLineIn(Input):
    """`quantity` in `uom_id` (default: the product's purchase unit); without `unit_price` the
    supplier's price for that quantity."""

    product_id: Id
    quantity: Quantity
    unit_price: UnitPrice | None = Field(None, description="Default: the supplier's price list.")
    discount: Percent = "0"
    tax_id: Id | None = Field(None, description="A purchase tax.")
    uom_id: Id | None = None
    description: str = Field("", max_length=300, description="Default: the product's name.")
    expected_date: dt.date | None = None


class OrderCreateIn(Input):
    supplier_id: Id
    warehouse_id: Id
    order_date: dt.date | None = Field(None, description="Default: today.")
    expected_date: dt.date | None = None
    currency: str = Field("", max_length=3, description="ISO 4217; default the company currency.")
    dropship_customer_id: Id | None = Field(None, description="Deliver straight to this customer.")
    notes: str = Field("", max_length=20000)
    lines: list[OrderLineIn] = Field(max_length=500)


class OrderUpdateIn(Input):
    """Only the fields sent change; `lines`, when sent, replace all the lines."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    supplier_id: Id = unchanged()
    warehouse_id: Id = unchanged()
    order_date: dt.date = unchanged()
    expected_date: dt.date = unchanged()
    currency: str = unchanged(max_length=3)
    dropship_customer_id: Id = unchanged()
    notes: str = unchanged(max_length=20000)
    lines: list[OrderLineIn] = unchanged(max_length=500)


class OrderVersionIn(Input):
    version: Version | None = Field(None, description="The version you read; a newer one → 409.")


class OrderSendIn(Input):
    to: list[Annotated[str, Field(max_length=254)]] = Field(
        [], max_length=50, description="E-mail addresses; default: the supplier's."
    )


class BillCreateIn(Input):
    date: dt.date | None = Field(None, description="The bill's date; default today.")


class OrderLineOut(Schema):
    id: int
    sequence: int
    product_id: int
    product_sku: str
    description: str
    quantity: NumberText
    uom: str
    unit_price: NumberText
    discount: NumberText
    tax_id: int | None
    expected_date: dt.date | None
    amount_untaxed: MoneyText

    @staticmethod
    def resolve_product_sku(obj: Any) -> str:
        return str(obj.product.sku)

    @staticmethod
    def resolve_uom(obj: Any) -> str:
        return str(obj.uom.code)


class OrderListOut(Schema):
    id: int
    number: str
    state: OrderState
    supplier_id: int
    supplier_name: str
    order_date: dt.date
    expected_date: dt.date | None
    currency: str
    warehouse_id: int
    dropship_customer_id: int | None
    amount_untaxed: MoneyText
    amount_tax: MoneyText
    amount_total: MoneyText
    version: int

    @staticmethod
    def resolve_supplier_name(obj: PurchaseOrder) -> str:
        return obj.supplier.name


class OrderOut(OrderListOut):
    notes: str
    buyer_id: int | None
    sent_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_lines(obj: PurchaseOrder) -> list[Any]:
        return list(obj.lines.select_related("product", "uom").order_by("sequence", "id"))


class OrderPage(Page[OrderListOut]):
    pass


class OrderFilters(QueryInput):
    state: OrderState | None = None
    supplier_id: int | None = None


class MatchLineOut(Schema):
    line_id: int
    product_sku: str
    ordered: NumberText
    received: NumberText
    billed: NumberText = Field(description="On bills (drafts too), less what posted refunds credit.")
    refunded: NumberText = Field(description="Credited by posted supplier refunds (not in billed).")
    to_bill: NumberText
    order_price: NumberText
    bill_prices: list[NumberText]
    billed_more_than_received: bool
    price_differs: bool
    over_delivered: bool
    under_delivered: bool


class BillOut(Schema):
    id: int
    state: str
    party_id: int
    currency: str
    amount_total: MoneyText
