"""API schemas of customer terms, sales targets and returns. Amounts and quantities travel
as decimal strings both ways ("1500.00"), never as JSON numbers; the patterns bound only
the shape and size, the services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from kantoor.core.schemas import Id, Input, Page, QueryInput, Version
from kantoor.finance.schemas_invoices import MoneyText, NumberText
from kantoor.sales.models import ReturnAuthorisation, ReturnState

Amount = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,15}(\.[0-9]{1,2})?$", max_length=18, description='A decimal string, e.g. "5000".'
    ),
]
Quantity = Annotated[
    str,
    Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$", max_length=18, description='A decimal string, e.g. "2".'),
]


# ----------------------------------------------------------------------------- terms


class TermsIn(Input):
    """The customer's terms as a whole: a field left out or null clears it (the company's
    default applies)."""

    credit_limit: Amount | None = Field(None, description="In the company's currency; null: no limit.")
    price_list_id: Id | None = None
    payment_term_id: Id | None = None
    invoicing_policy: Literal["", "order", "delivery"] = Field("", description='"": the company\'s default.')
    version: Version | None = Field(
        None, description="The version you read; a newer one on the server → 409."
    )


class TermsOut(Schema):
    party_id: int
    credit_limit: MoneyText | None
    price_list_id: int | None
    payment_term_id: int | None
    invoicing_policy: str
    version: int | None = Field(description="null until terms are set.")
    exposure: MoneyText = Field(
        description="Open receivables plus confirmed orders not invoiced yet, in the company's currency."
    )
    currency: str


# ----------------------------------------------------------------------------- targets


class TargetIn(Input):
    """One of `user_id` and `team_id`; `month` any day of it."""

    user_id: Id | None = None
    team_id: Id | None = None
    month: dt.date
    amount: Amount


class TargetOut(Schema):
    id: int
    user_id: int | None
    team_id: int | None
    month: dt.date
    amount: MoneyText


class TargetProgressOut(Schema):
    id: int
    user_id: int | None
    user_name: str
    team_id: int | None
    team_name: str
    month: dt.date
    amount: MoneyText
    achieved: MoneyText
    percentage: NumberText | None = Field(description="Of the target, one decimal; null for a zero target.")
    currency: str
    missing_rates: list[str] = Field(
        description="Currencies of orders left out for want of an exchange rate."
    )


class TargetFilters(QueryInput):
    month: dt.date | None = Field(None, description="Any day of the month; default this month.")


# ----------------------------------------------------------------------------- returns


class ReturnLineIn(Input):
    order_line_id: Id
    quantity: Quantity = Field(description="In the order line's unit.")


class ReturnCreateIn(Input):
    order_id: Id
    reason: str = Field("", max_length=5000)
    lines: list[ReturnLineIn] = Field(max_length=500)


class ReturnVersionIn(Input):
    version: Version | None = None


class ReturnLineOut(Schema):
    order_line_id: int
    product_sku: str
    description: str
    quantity: NumberText
    uom: str


class ReturnOut(Schema):
    id: int
    number: str
    order_id: int
    order_number: str
    customer_id: int
    state: ReturnState
    reason: str
    receipt_id: int | None
    receipt_number: str | None
    credit_note_id: int | None
    created_at: dt.datetime
    version: int
    lines: list[ReturnLineOut]


class ReturnListOut(Schema):
    id: int
    number: str
    order_id: int
    order_number: str
    customer_id: int
    customer_name: str
    state: ReturnState
    receipt_id: int | None
    credit_note_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_order_number(obj: ReturnAuthorisation) -> str:
        return obj.order.number

    @staticmethod
    def resolve_customer_id(obj: ReturnAuthorisation) -> int:
        return obj.order.customer_id

    @staticmethod
    def resolve_customer_name(obj: ReturnAuthorisation) -> str:
        return obj.order.customer.name


class ReturnPage(Page[ReturnListOut]):
    pass


class ReturnFilters(QueryInput):
    order_id: Id | None = None
    state: ReturnState | None = None


class ReturnableOut(Schema):
    order_line_id: int
    product_sku: str
    description: str
    uom: str
    delivered: NumberText
    pending: NumberText = Field(description="Taken back by open returns (requested or approved).")
    returnable: NumberText
