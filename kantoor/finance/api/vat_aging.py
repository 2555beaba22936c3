"""Endpoints of the VAT return, the aged receivables and payables, and a party's statement
and open balance. Amounts are decimal strings; a missing or impossible date is a 422
problem naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from kantoor.core.auth import actor_of
from kantoor.core.schemas import Id, QueryInput
from kantoor.finance import aging, statements, vat
from kantoor.finance.schemas import DecimalText, SignedAmount

router = Router()


# ----------------------------------------------------------------------------- schemas


class VatReturnFilters(QueryInput):
    date_from: dt.date | None = Field(None, description="First day of the period (required).")
    date_to: dt.date | None = Field(None, description="Last day of the period (required).")
    rounded: bool = Field(
        False,
        description="Whole euros as the Belastingdienst's form takes them, rounded in the taxpayer's "
        "favour (owed amounts down, input VAT up); 5a, 5c and 5g follow from the rounded figures.",
    )
    previous_estimate: SignedAmount | None = Field(None, description="Box 5e (positive: more to pay).")
    this_estimate: SignedAmount | None = Field(None, description="Box 5f (positive: more to pay).")


class VatBoxOut(Schema):
    code: str = Field(description='The box: "1a" … "5g".')
    label: str
    label_nl: str = Field(description="The box's words on the Belastingdienst's form.")
    base: DecimalText | None = Field(description="The turnover (omzet); null where the box has none.")
    tax: DecimalText | None = Field(description="The VAT (omzetbelasting); null where the box has none.")


class UnknownTagLineOut(Schema):
    line_id: int
    entry_id: int
    entry_number: str
    date: dt.date
    account_code: str
    tax_tag: str
    debit: DecimalText
    credit: DecimalText


class VatReturnOut(Schema):
    currency: str
    date_from: dt.date
    date_to: dt.date
    is_rounded: bool
    boxes: list[VatBoxOut]
    total: DecimalText = Field(description="Box 5g: to pay; negative when it is refunded.")
    unknown_tag_count: int = Field(description="Posted lines of the period with a VAT box tag not known.")
    unknown_tag_lines: list[UnknownTagLineOut] = Field(description=f"At most {vat.UNKNOWN_TAG_LIMIT}.")


class AgingFilters(QueryInput):
    date: dt.date | None = Field(None, description="The day of the report (required).")


class AgingBucketsOut(Schema):
    not_due: DecimalText
    days_1_30: DecimalText
    days_31_60: DecimalText
    days_61_90: DecimalText
    over_90: DecimalText


class AgingRowOut(Schema):
    party_id: int | None = Field(description="Null for items without a party.")
    party_name: str
    buckets: AgingBucketsOut
    total: DecimalText


class AgingReportOut(Schema):
    kind: str
    at: dt.date
    currency: str
    rows: list[AgingRowOut]
    totals: AgingBucketsOut
    total: DecimalText


class StatementFilters(QueryInput):
    kind: Literal["receivable", "payable"] = Field(
        "receivable", description="The customer's receivable or the supplier's payable accounts."
    )
    date_from: dt.date | None = Field(None, description="First day of the period (required).")
    date_to: dt.date | None = Field(None, description="Last day of the period (required).")


class StatementLineOut(Schema):
    line_id: int
    date: dt.date
    entry_id: int
    entry_number: str
    reference: str
    label: str
    due_date: dt.date | None
    debit: DecimalText
    credit: DecimalText
    balance: DecimalText = Field(description="Running balance after the line, positive when owed.")


class StatementOpenItemOut(Schema):
    line_id: int
    date: dt.date
    entry_number: str
    reference: str
    due_date: dt.date
    amount: DecimalText
    open: DecimalText = Field(description="Still open at the end of the period, positive when owed.")
    days_overdue: int


class StatementOut(Schema):
    party_id: int
    party_name: str
    kind: str
    currency: str
    date_from: dt.date
    date_to: dt.date
    opening: DecimalText = Field(description="Positive when owed (by the customer, or to the supplier).")
    lines: list[StatementLineOut]
    is_truncated: bool = Field(
        description=f"More than {statements.STATEMENT_MAX_LINES} lines: shorten the period."
    )
    closing: DecimalText
    open_items: list[StatementOpenItemOut]


class PartyBalanceOut(Schema):
    party_id: int
    currency: str
    on: dt.date
    receivable: DecimalText = Field(description="What the party owes (negative: a credit in its favour).")
    receivable_overdue: DecimalText
    payable: DecimalText = Field(description="What is owed to the party.")
    payable_overdue: DecimalText


# ----------------------------------------------------------------------------- endpoints


@router.get("/reports/vat-return", response=VatReturnOut)
def get_vat_return(request: HttpRequest, filters: Query[VatReturnFilters]) -> vat.VatReturn:
    """The Dutch VAT return (aangifte omzetbelasting) of the period from posted lines, per box;
    exact, or with `rounded` in the form's whole euros. Box 5d (small business scheme) is 0."""
    result = vat.vat_return_for_actor(
        actor_of(request),
        date_from=filters.date_from,
        date_to=filters.date_to,
        previous_estimate=Decimal(filters.previous_estimate or 0),
        this_estimate=Decimal(filters.this_estimate or 0),
    )
    return result.rounded() if filters.rounded else result


@router.get("/reports/aged-receivables", response=AgingReportOut)
def get_aged_receivables(request: HttpRequest, filters: Query[AgingFilters]) -> aging.AgingReport:
    """Per customer, what was open on `date` by days past due: not yet due, 1–30, 31–60,
    61–90, over 90. The total equals the receivable accounts' balance on that day."""
    return aging.aging_for_actor(actor_of(request), kind=aging.RECEIVABLE, at=filters.date)


@router.get("/reports/aged-payables", response=AgingReportOut)
def get_aged_payables(request: HttpRequest, filters: Query[AgingFilters]) -> aging.AgingReport:
    """Per supplier, what was owed on `date` (positive) by days past due."""
    return aging.aging_for_actor(actor_of(request), kind=aging.PAYABLE, at=filters.date)


@router.get("/parties/{party_id}/statement", response=StatementOut)
def get_party_statement(
    request: HttpRequest, party_id: Id, filters: Query[StatementFilters]
) -> statements.Statement:
    """The party's statement of the period: opening balance, each posted line with a running
    balance, closing balance and the items still open at the end with their days overdue."""
    return statements.statement_for_actor(
        actor_of(request),
        party_id=party_id,
        kind=filters.kind,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )


@router.get("/parties/{party_id}/balance", response=PartyBalanceOut)
def get_party_balance(request: HttpRequest, party_id: Id) -> aging.PartyBalance:
    """What is open now on the party's receivable and payable accounts, and how much is overdue."""
    return aging.party_balance_for_actor(actor_of(request), party_id=party_id)
