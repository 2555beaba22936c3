"""Stock reports: what is on hand (reserved and available beside it), what a warehouse will
have once its open moves are done (the forecast the reorder check reads), and what the
stock is worth beside the balance of the stock accounts.

Every figure is an aggregate in SQL over the quants (on hand), the product valuations
(value now) or the valuation layers (value at a past date) — never a loop over moves — so a
report costs the same with a thousand moves or a million: quants and ProductValuation hold
one row per product and place, kept by the move engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.catalog.models import StockValuation
from kantoor.core import policy
from kantoor.core.errors import InvalidInputError
from kantoor.core.models import Company
from kantoor.finance.models import Account, AccountRole, EntryState, JournalLine
from kantoor.inventory.models import (
    OWN_STOCK,
    Location,
    Move,
    MoveState,
    ProductValuation,
    Quant,
    StockAccounts,
    ValuationLayer,
    Warehouse,
)

VIEW = "inventory.view_stock"
VIEW_VALUATION = "inventory.view_valuation"
ZERO = Decimal(0)
CENT = Decimal("0.01")
QUANTITY = Decimal("0.0001")
PAGE_SIZE = 50
PAGE_SIZE_MAX = 500
OPEN_MOVE_STATES = (MoveState.DRAFT, MoveState.WAITING, MoveState.RESERVED)
_QUANTITY: Any = DecimalField(max_digits=18, decimal_places=4)
_AMOUNT: Any = DecimalField(max_digits=20, decimal_places=2)


class StockReportFilterError(InvalidInputError):
    code = "stock-report-filter"
    title = gettext_lazy("The report's filters are not valid")


def _amount(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(CENT)


def _quantity(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(QUANTITY)


def _sum(field: str, output: DecimalField, places: int) -> Any:
    """SUM(field), 0 when there are no rows, rounded in SQL (SQLite sums decimals as floats)."""
    return Round(Coalesce(Sum(field), ZERO, output_field=output), places, output_field=output)


# ----------------------------------------------------------------------------- on hand


@dataclass(frozen=True)
class StockRow:
    """A product's stock (at one location and of one lot, when the report is split so)."""

    product_id: int
    sku: str
    name: str
    uom: str
    location_id: int | None
    location: str
    lot_id: int | None
    lot: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@dataclass(frozen=True)
class OnHandReport:
    rows: list[StockRow]
    count: int  # rows over every page
    page: int
    page_size: int
    by_location: bool
    by_lot: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _location_under(company_id: int, location_id: Any, field: str) -> Location:
    location = (
        Location.objects.filter(pk=location_id, company_id=company_id).first()
        if isinstance(location_id, int)
        else None
    )
    if location is None:
        raise StockReportFilterError.for_field(field, _("Unknown location."))
    return location


def _warehouse_view(company_id: int, warehouse_id: Any) -> Location:
    warehouse = (
        Warehouse.objects.select_related("view_location")
        .filter(pk=warehouse_id, company_id=company_id)
        .first()
        if isinstance(warehouse_id, int)
        else None
    )
    if warehouse is None or warehouse.view_location is None:
        raise StockReportFilterError.for_field("warehouse_id", _("Unknown warehouse."))
    return warehouse.view_location


def _at_or_under(prefix: str, location: Location) -> Q:
    """The location and every location under it, by the full name kept on each row."""
    return Q(**{f"{prefix}id": location.pk}) | Q(
        **{f"{prefix}full_name__startswith": location.full_name + "/"}
    )


def own_quants(company_id: int, *, under: Iterable[Location] = ()) -> QuerySet[Quant]:
    """The company's quants of own stock (internal and transit locations), at or under
    each of `under` (all of them)."""
    quants = Quant.objects.filter(company_id=company_id, location__usage__in=OWN_STOCK)
    for location in under:
        quants = quants.filter(_at_or_under("location__", location))
    return quants


def on_hand(
    *,
    actor: policy.Actor,
    warehouse_id: int | None = None,
    location_id: int | None = None,
    product_id: int | None = None,
    search: str = "",
    by_location: bool = False,
    by_lot: bool = False,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> OnHandReport:
    """Per product (and per location and lot when asked): on hand, reserved and available
    (on hand − reserved), over own stock at or under the warehouse and the location given,
    products matching `search` (SKU or name). Rows with nothing on hand and nothing
    reserved are left out. Ordered by SKU, location, lot; `page` of `page_size` rows."""
    policy.require(actor, VIEW)
    company_id = policy.actor_company_id(actor)
    if not isinstance(page, int) or page < 1:
        raise StockReportFilterError.for_field("page", _("Enter a page number of 1 or more."))
    if not isinstance(page_size, int) or not 1 <= page_size <= PAGE_SIZE_MAX:
        raise StockReportFilterError.for_field(
            "page_size", _("Enter a page size from 1 to %d.") % PAGE_SIZE_MAX
        )
    under = []
    if warehouse_id is not None:
        under.append(_warehouse_view(company_id, warehouse_id))
    if location_id is not None:
        under.append(_location_under(company_id, location_id, "location_id"))
    quants = own_quants(company_id, under=under)
    if product_id is not None:
        quants = quants.filter(product_id=product_id)
    search = str(search or "").strip()
    if search:
        quants = quants.filter(Q(product__sku__icontains=search) | Q(product__name__icontains=search))
    keys = ["product_id", "product__sku", "product__name", "product__uom__code"]
    order = ["product__sku", "product_id"]
    if by_location:
        keys += ["location_id", "location__full_name"]
        order += ["location__full_name"]
    if by_lot:
        keys += ["lot_id", "lot__name"]
        order += ["lot__name", "lot_id"]
    grouped = (
        quants.values(*keys)
        .annotate(
            on_hand=_sum("quantity", _QUANTITY, 4),
            reserved=_sum("reserved_quantity", _QUANTITY, 4),
        )
        .exclude(on_hand=0, reserved=0)
        .order_by(*order)
    )
    count = grouped.count()
    start = (page - 1) * page_size
    rows = [
        StockRow(
            product_id=row["product_id"],
            sku=row["product__sku"],
            name=row["product__name"],
            uom=row["product__uom__code"],
            location_id=row.get("location_id"),
            location=row.get("location__full_name") or "",
            lot_id=row.get("lot_id"),
            lot=row.get("lot__name") or "",
            on_hand=_quantity(row["on_hand"]),
            reserved=_quantity(row["reserved"]),
            available=_quantity(row["on_hand"]) - _quantity(row["reserved"]),
        )
        for row in grouped[start : start + page_size]
    ]
    return OnHandReport(
        rows=rows, count=count, page=page, page_size=page_size, by_location=by_location, by_lot=by_lot
    )


# ----------------------------------------------------------------------------- forecast


@dataclass(frozen=True)
class Forecast:
    """A product in a warehouse: on hand now, coming in and going out with the moves not
    done yet, and what is left when they are (on hand + incoming − outgoing)."""

    on_hand: Decimal
    incoming: Decimal
    outgoing: Decimal

    @property
    def forecast(self) -> Decimal:
        return self.on_hand + self.incoming - self.outgoing


def forecast(*, company_id: int, product_ids: Iterable[int], warehouse_id: int) -> dict[int, Forecast]:
    """Per product of `product_ids`: its Forecast in the warehouse. Incoming are the open
    moves (draft, waiting, reserved) from outside the warehouse into one of its locations,
    outgoing the other way; moves inside the warehouse (picking, packing) change nothing.
    Three queries, whatever the number of products."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    on_hand_by = dict(
        Quant.objects.filter(
            company_id=company_id,
            product_id__in=ids,
            location__warehouse_id=warehouse_id,
            location__usage__in=OWN_STOCK,
        )
        .values("product_id")
        .annotate(total=_sum("quantity", _QUANTITY, 4))
        .values_list("product_id", "total")
    )
    open_moves = Move.objects.filter(company_id=company_id, product_id__in=ids, state__in=OPEN_MOVE_STATES)
    incoming_by = dict(
        open_moves.filter(destination__warehouse_id=warehouse_id)
        .exclude(source__warehouse_id=warehouse_id)
        .values("product_id")
        .annotate(total=_sum("quantity", _QUANTITY, 4))
        .values_list("product_id", "total")
    )
    outgoing_by = dict(
        open_moves.filter(source__warehouse_id=warehouse_id)
        .exclude(destination__warehouse_id=warehouse_id)
        .values("product_id")
        .annotate(total=_sum("quantity", _QUANTITY, 4))
        .values_list("product_id", "total")
    )
    return {
        pk: Forecast(
            on_hand=_quantity(on_hand_by.get(pk)),
            incoming=_quantity(incoming_by.get(pk)),
            outgoing=_quantity(outgoing_by.get(pk)),
        )
        for pk in ids
    }


# ----------------------------------------------------------------------------- valuation


@dataclass(frozen=True)
class ValuationRow:
    product_id: int
    sku: str
    name: str
    category: str
    uom: str
    quantity: Decimal
    value: Decimal

    @property
    def unit_cost(self) -> Decimal | None:
        """The average cost of what is in stock (None when nothing is)."""
        if not self.quantity:
            return None
        return (self.value / self.quantity).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class ValuationReport:
    """What the stock is worth per product (at `at`, or now when None), with the total of
    the rows; beside it the company's whole stock value and the balance of the stock
    accounts, which are equal unless something was booked behind the stock's back."""

    at: dt.date | None
    category_id: int | None
    currency: str
    rows: list[ValuationRow]
    total_value: Decimal
    company_value: Decimal  # every category valued perpetually: what the stock accounts hold
    ledger_balance: Decimal

    @property
    def difference(self) -> Decimal:
        """The stock accounts' balance − the stock value (0 when they agree)."""
        return self.ledger_balance - self.company_value


def stock_account_ids(company_id: int) -> list[int]:
    """The accounts stock value is booked to: those set as a category's (or the company's)
    stock account, and every account with the role stock (where valuation falls back to)."""
    configured = StockAccounts.objects.filter(company_id=company_id, stock_account__isnull=False).values_list(
        "stock_account_id", flat=True
    )
    by_role = Account.objects.filter(company_id=company_id, role=AccountRole.STOCK).values_list(
        "pk", flat=True
    )
    return sorted(set(configured) | set(by_role))


def stock_accounts_balance(company_id: int, *, at: dt.date | None = None) -> Decimal:
    """Posted debit − credit on the stock accounts (up to and including `at`)."""
    lines = JournalLine.objects.filter(
        company_id=company_id, state=EntryState.POSTED, account_id__in=stock_account_ids(company_id)
    )
    if at is not None:
        lines = lines.filter(date__lte=at)
    totals = lines.aggregate(debit=_sum("debit", _AMOUNT, 2), credit=_sum("credit", _AMOUNT, 2))
    return _amount(totals["debit"]) - _amount(totals["credit"])


def stock_value(company_id: int, *, at: dt.date | None = None, booked: bool = False) -> Decimal:
    """The company's stock value: Σ product valuations now, Σ layers up to `at` before;
    `booked`: only of the categories valued perpetually (what the stock accounts hold)."""
    source: QuerySet[Any]
    if at is None:
        source = ProductValuation.objects.filter(company_id=company_id)
    else:
        source = ValuationLayer.objects.filter(company_id=company_id, date__lte=at)
    if booked:
        source = source.filter(product__category__stock_valuation=StockValuation.PERPETUAL)
    return _amount(source.aggregate(total=_sum("value", _AMOUNT, 2))["total"])


def valuation(
    *, actor: policy.Actor, at: dt.date | None = None, category_id: int | None = None
) -> ValuationReport:
    """Per product (of `category_id`, else all): quantity, value and average unit cost of
    the stock — now from the product valuations, at a past date `at` from the valuation
    layers up to that day — with the total, and the stock accounts' ledger balance beside
    the company's whole stock value. Products with neither quantity nor value are left out."""
    policy.require(actor, VIEW_VALUATION)
    company_id = policy.actor_company_id(actor)
    if at is not None and not isinstance(at, dt.date):
        raise StockReportFilterError.for_field("at", _("Enter a date."))
    if category_id is not None and not isinstance(category_id, int):
        raise StockReportFilterError.for_field("category_id", _("Unknown category."))
    source: QuerySet[Any]
    if at is None:
        source = ProductValuation.objects.filter(company_id=company_id)
    else:
        source = ValuationLayer.objects.filter(company_id=company_id, date__lte=at)
    if category_id is not None:
        source = source.filter(product__category_id=category_id)
    grouped = (
        source.values(
            "product_id", "product__sku", "product__name", "product__category__name", "product__uom__code"
        )
        .annotate(total_quantity=_sum("quantity", _QUANTITY, 4), total_value=_sum("value", _AMOUNT, 2))
        .exclude(total_quantity=0, total_value=0)
        .order_by("product__sku", "product_id")
    )
    rows = [
        ValuationRow(
            product_id=row["product_id"],
            sku=row["product__sku"],
            name=row["product__name"],
            category=row["product__category__name"],
            uom=row["product__uom__code"],
            quantity=_quantity(row["total_quantity"]),
            value=_amount(row["total_value"]),
        )
        for row in grouped
    ]
    total = sum((row.value for row in rows), ZERO.quantize(CENT))
    company_value = stock_value(company_id, at=at, booked=True)
    currency = str(Company.objects.values_list("base_currency", flat=True).get(pk=company_id))
    return ValuationReport(
        at=at,
        category_id=category_id,
        currency=currency,
        rows=rows,
        total_value=total,
        company_value=company_value,
        ledger_balance=stock_accounts_balance(company_id, at=at),
    )


# ----------------------------------------------------------------------------- ledger verify


def valuation_verify(company_id: int) -> list[str]:
    """What `kantoor ledger verify` reports of the stock (registered in apps.py): the
    stock value (Σ product valuations) against the stock accounts' balance, and each
    product's valuation against the sum of its layers. A company that keeps no stock
    (no product valuation at all) is skipped: its stock accounts may hold an opening
    balance booked by hand."""
    if not ProductValuation.objects.filter(company_id=company_id).exists():
        return []
    problems: list[str] = []
    value = stock_value(company_id, booked=True)
    balance = stock_accounts_balance(company_id)
    if value != balance:
        problems.append(
            _("stock value %(value)s differs from the stock accounts' balance %(balance)s by %(difference)s")
            % {"value": value, "balance": balance, "difference": balance - value}
        )
    layers = (
        ValuationLayer.objects.filter(company_id=company_id)
        .values("product_id")
        .annotate(quantity=_sum("quantity", _QUANTITY, 4), value=_sum("value", _AMOUNT, 2))
    )
    by_layers = {row["product_id"]: (_quantity(row["quantity"]), _amount(row["value"])) for row in layers}
    valuations = ProductValuation.objects.filter(company_id=company_id).values_list(
        "product_id", "product__sku", "quantity", "value"
    )
    for product_id, sku, quantity, product_value in valuations:
        expected = by_layers.get(product_id, (_quantity(0), _amount(0)))
        if (quantity, product_value) != expected:
            problems.append(
                _(
                    "product %(sku)s: valuation %(quantity)s = %(value)s, its layers add up to "
                    "%(layer_quantity)s = %(layer_value)s"
                )
                % {
                    "sku": sku,
                    "quantity": quantity,
                    "value": product_value,
                    "layer_quantity": expected[0],
                    "layer_value": expected[1],
                }
            )
    return problems
