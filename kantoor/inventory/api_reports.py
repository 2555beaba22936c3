"""Endpoints of the stock reports: on hand (reserved, available) per product, location and
lot, and the stock valuation beside the stock accounts' balance. Quantities and amounts are
decimal strings. Each endpoint is one call of kantoor.inventory.reports with the caller."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import BeforeValidator, Field

from kantoor.core.auth import actor_of
from kantoor.core.schemas import Id, QueryInput
from kantoor.inventory import reports

router = Router(tags=["inventory"])


def _as_text(value: Any) -> Any:
    return f"{value:f}" if isinstance(value, Decimal) else value


# An exact quantity or amount as the database holds it, as a string ("12.5000").
DecimalText = Annotated[str, BeforeValidator(_as_text)]


class OnHandFilters(QueryInput):
    warehouse_id: Id | None = Field(None, description="Only stock in this warehouse.")
    location_id: Id | None = Field(None, description="Only stock at this location or under it.")
    product_id: Id | None = Field(None, description="Only this product.")
    search: str = Field("", max_length=100, description="Products whose SKU or name contains this.")
    by_location: bool = Field(False, description="A row per location.")
    by_lot: bool = Field(False, description="A row per lot or serial number.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(reports.PAGE_SIZE, ge=1, le=reports.PAGE_SIZE_MAX)


class StockRowOut(Schema):
    product_id: int
    sku: str
    name: str
    uom: str
    location_id: int | None = Field(description="Set when the report is split per location.")
    location: str
    lot_id: int | None = Field(description="Set when the report is split per lot.")
    lot: str
    on_hand: DecimalText
    reserved: DecimalText = Field(description="Promised to moves not done yet.")
    available: DecimalText = Field(description="On hand minus reserved.")


class OnHandOut(Schema):
    rows: list[StockRowOut]
    count: int = Field(description="Rows over every page.")
    page: int
    page_size: int
    pages: int


class ValuationFilters(QueryInput):
    at: dt.date | None = Field(None, description="The value at the end of this day; default: now.")
    category_id: Id | None = Field(None, description="Only products of this category.")


class ValuationRowOut(Schema):
    product_id: int
    sku: str
    name: str
    category: str
    uom: str
    quantity: DecimalText
    value: DecimalText
    unit_cost: DecimalText | None = Field(description="Average cost of what is in stock.")


class ValuationOut(Schema):
    at: dt.date | None
    category_id: int | None
    currency: str
    rows: list[ValuationRowOut]
    total_value: DecimalText = Field(description="Σ value of the rows.")
    company_value: DecimalText = Field(
        description="The value of the stock valued perpetually: what the stock accounts hold."
    )
    ledger_balance: DecimalText = Field(description="The stock accounts' posted balance.")
    difference: DecimalText = Field(description="Ledger balance minus stock value: 0 when they agree.")


@router.get("/inventory/stock/on-hand", response=OnHandOut)
def get_stock_on_hand(request: HttpRequest, filters: Query[OnHandFilters]) -> object:
    """Stock on hand, reserved and available per product (and location, lot), over the
    company's own locations at or under the warehouse and location given."""
    return reports.on_hand(actor=actor_of(request), **filters.dict())


@router.get("/inventory/stock/valuation", response=ValuationOut)
def get_stock_valuation(request: HttpRequest, filters: Query[ValuationFilters]) -> object:
    """Quantity, value and average cost per product (now, or at the end of `at`), with the
    stock accounts' ledger balance beside the stock value."""
    return reports.valuation(actor=actor_of(request), at=filters.at, category_id=filters.category_id)
