"""API schemas of quotations and sales orders. Quantities and prices travel as decimal
strings both ways ("12.5"), never as JSON numbers; the patterns bound only the shape and
size, the services check the rules. The margin is for staff: the API is, the customer's
public page and PDF never show it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged
from kantoor.finance.schemas_invoices import MoneyText, NumberText, Percent, Quantity, UnitPrice
from kantoor.sales import selectors
from kantoor.sales.models import InvoicingPolicy, SalesOrder, SalesOrderLine

# The states by value (purchasing's OrderState would share the enum's name in the document).
SalesOrderState = Literal["draft", "sent", "declined", "confirmed", "done", "cancelled"]


class SalesOrderLineIn(Input):
    """`quantity` in `uom_id` (default: the product's unit); without `unit_price` the
    customer's price (price list, else list price); without `tax_id` the default sales tax.
    An optional line is offered but not in the total."""

    product_id: Id
    quantity: Quantity
    unit_price: UnitPrice | None = Field(None, description="Default: the customer's price.")
    discount: Percent = "0"
    tax_id: Id | None = Field(None, description="A sales tax; default the company's.")
    uom_id: Id | None = None
    description: str = Field("", max_length=300, description="Default: the product's name.")
    is_optional: bool = False


class SalesOrderCreateIn(Input):
    customer_id: Id
    order_date: dt.date | None = Field(None, description="Default: today.")
    valid_until: dt.date | None = Field(None, description="Default: the sales settings' validity.")
    currency: str = Field("", max_length=3, description="ISO 4217; default the company currency.")
    price_list_id: Id | None = None
    payment_term_id: Id | None = None
    warehouse_id: Id | None = Field(None, description="Default: the sales settings' warehouse.")
    invoicing_policy: InvoicingPolicy | None = Field(
        None, description="Default: the customer's or company's."
    )
    salesperson_id: Id | None = Field(None, description="Default: you.")
    team_id: Id | None = None
    customer_reference: str = Field("", max_length=120)
    origin: str = Field("", max_length=120)
    notes: str = Field("", max_length=20000)
    lines: list[SalesOrderLineIn] = Field(max_length=500)


class SalesOrderUpdateIn(Input):
    """Only the fields sent change; `lines`, when sent, replace all the lines. Changing a sent
    or declined quotation makes a new version (the old one is kept)."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    customer_id: Id = unchanged()
    order_date: dt.date = unchanged()
    valid_until: dt.date = unchanged()
    currency: str = unchanged(max_length=3)
    price_list_id: Id = unchanged()
    payment_term_id: Id = unchanged()
    warehouse_id: Id = unchanged()
    invoicing_policy: InvoicingPolicy = unchanged()
    salesperson_id: Id = unchanged()
    team_id: Id = unchanged()
    customer_reference: str = unchanged(max_length=120)
    notes: str = unchanged(max_length=20000)
    lines: list[SalesOrderLineIn] = unchanged(max_length=500)


class SalesOrderVersionIn(Input):
    version: Version | None = Field(None, description="The version you read; a newer one → 409.")


class SalesOrderSendIn(SalesOrderVersionIn):
    to: list[Annotated[str, Field(max_length=254)]] | None = Field(
        None, max_length=50, description="E-mail addresses; default (null or absent): the customer's."
    )


class SalesOrderConfirmIn(SalesOrderVersionIn):
    credit_override: bool = Field(
        False, description="A sales manager confirms over the customer's credit limit (audited)."
    )


class SalesOrderLineOut(Schema):
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
    is_optional: bool
    unit_cost: NumberText = Field(description="Cost per unit when priced (company currency): staff only.")
    amount_untaxed: MoneyText
    delivered: NumberText = Field(description="In the line's unit, net of returns.")
    invoiced: NumberText = Field(description="On invoices (drafts too), less posted credit notes.")

    @staticmethod
    def resolve_product_sku(obj: Any) -> str:
        return str(obj.product.sku)

    @staticmethod
    def resolve_uom(obj: Any) -> str:
        return str(obj.uom.code)


class SalesOrderListOut(Schema):
    id: int
    number: str
    state: SalesOrderState
    revision: int
    customer_id: int
    customer_name: str
    order_date: dt.date
    valid_until: dt.date | None
    currency: str
    salesperson_id: int | None
    team_id: int | None
    amount_untaxed: MoneyText
    amount_tax: MoneyText
    amount_total: MoneyText
    version: int

    @staticmethod
    def resolve_customer_name(obj: SalesOrder) -> str:
        return obj.customer.name


class SalesOrderOut(SalesOrderListOut):
    warehouse_id: int
    price_list_id: int | None
    payment_term_id: int | None
    invoicing_policy: InvoicingPolicy
    customer_reference: str
    origin: str
    notes: str
    amount_margin: MoneyText = Field(description="Untaxed less the lines' cost: staff only.")
    max_discount: NumberText
    discount_approved_by_id: int | None
    credit_override_by_id: int | None
    sent_at: dt.datetime | None
    answered_by_name: str
    answered_at: dt.datetime | None
    decline_reason: str
    confirmed_at: dt.datetime | None
    paid_at: dt.datetime | None
    lines: list[SalesOrderLineOut]

    @staticmethod
    def resolve_lines(obj: SalesOrder) -> list[SalesOrderLine]:
        lines = selectors.order_lines(obj)
        status = {row.line.pk: row for row in selectors.order_lines_status(obj, lines)}
        for line in lines:
            row = status.get(line.pk)
            line.delivered = row.delivered if row else Decimal(0)  # type: ignore[attr-defined]
            line.invoiced = row.invoiced.net if row else Decimal(0)  # type: ignore[attr-defined]
        return lines


class SalesOrderPage(Page[SalesOrderListOut]):
    pass


class SalesOrderFilters(QueryInput):
    state: SalesOrderState | None = None
    customer_id: int | None = None
    salesperson_id: int | None = None
    q: str = Field("", max_length=100, description="Part of the number or the customer's name.")


class QuoteRevisionOut(Schema):
    revision: int
    created_at: dt.datetime
    snapshot: dict[str, Any] = Field(description="The quotation as it was sent: header and lines.")


class SalesOrderInvoiceOut(Schema):
    id: int
    state: str
    party_id: int
    currency: str
    amount_total: MoneyText


class PublicQuoteLineOut(Schema):
    """A line as the customer sees it: no cost."""

    description: str
    quantity: NumberText
    uom: str
    unit_price: NumberText
    discount: NumberText
    is_optional: bool
    amount_untaxed: MoneyText

    @staticmethod
    def resolve_uom(obj: Any) -> str:
        return str(obj.uom.code)


class PublicQuoteOut(Schema):
    """The quotation of an acceptance link, as the customer sees it: no cost, no margin."""

    number: str
    state: SalesOrderState
    revision: int
    company_name: str
    customer_name: str
    order_date: dt.date
    valid_until: dt.date | None
    currency: str
    amount_untaxed: MoneyText
    amount_tax: MoneyText
    amount_total: MoneyText
    answered_by_name: str
    answered_at: dt.datetime | None
    lines: list[PublicQuoteLineOut]

    @staticmethod
    def resolve_company_name(obj: SalesOrder) -> str:
        return obj.company.name

    @staticmethod
    def resolve_customer_name(obj: SalesOrder) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_lines(obj: SalesOrder) -> list[SalesOrderLine]:
        return selectors.order_lines(obj)


class QuoteAcceptIn(Input):
    name: str = Field(max_length=200, description="Who accepts, as they sign.")


class QuoteDeclineIn(Input):
    name: str = Field(max_length=200, description="Who declines.")
    reason: str = Field("", max_length=2000)
