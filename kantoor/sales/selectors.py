"""Reads of sales, scoped to the actor: quotations and orders, their lines with what is
delivered and invoiced of each, and the order an event's document belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kantoor.catalog.models import Product, Uom
from kantoor.core import fastsql, policy
from kantoor.core.errors import NotFoundError
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceState, Tax
from kantoor.inventory.models import LocationUsage, MoveState
from kantoor.sales.models import (
    OrderState,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderLine,
    origin_line_of,
)

VIEW = "sales.view_order"
MANAGE = "sales.manage_order"
ZERO = Decimal(0)
QUANTITY = Decimal("0.0001")


def orders_visible(actor: policy.Actor) -> QuerySet[SalesOrder]:
    return policy.filter_queryset(actor, VIEW, SalesOrder.objects.all())


def orders_list(
    actor: policy.Actor,
    *,
    state: str = "",
    customer_id: int | None = None,
    salesperson_id: int | None = None,
    search: str = "",
    quotations: bool | None = None,
) -> QuerySet[SalesOrder]:
    """The quotations and orders the actor may see, newest first, filtered."""
    orders = orders_visible(actor).select_related("customer", "salesperson")
    if state:
        orders = orders.filter(state=state)
    if quotations is True:
        orders = orders.filter(state__in=[OrderState.DRAFT, OrderState.SENT, OrderState.DECLINED])
    elif quotations is False:
        orders = orders.filter(state__in=[OrderState.CONFIRMED, OrderState.DONE])
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if salesperson_id is not None:
        orders = orders.filter(salesperson_id=salesperson_id)
    if search.strip():
        term = search.strip()
        orders = orders.filter(number__icontains=term) | orders.filter(customer__name__icontains=term)
    return orders.order_by("-order_date", "-id")


def order_get_for_actor(actor: policy.Actor, order_id: int) -> SalesOrder:
    order = (
        orders_visible(actor)
        .select_related("customer", "salesperson", "warehouse")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFoundError(_("Not found."))
    return order


def order_lines(order: SalesOrder) -> list[SalesOrderLine]:
    """The order's lines in order, each with its product (and the product's unit), unit and
    tax attached: three reads through fastsql (the hot path of confirming and invoicing)."""
    lines = fastsql.select(SalesOrderLine, "order_id = %s", [order.pk], order_by="sequence, id")
    if not lines:
        return lines
    product_ids = sorted({line.product_id for line in lines})
    products = {
        product.pk: product
        for product in fastsql.select_related(
            Product, "uom", f"id IN ({fastsql.placeholders(product_ids)})", product_ids
        )
    }
    units = {product.uom_id: product.uom for product in products.values()}
    other_units = sorted({line.uom_id for line in lines} - set(units))
    if other_units:
        units.update(
            (uom.pk, uom)
            for uom in fastsql.select(Uom, f"id IN ({fastsql.placeholders(other_units)})", other_units)
        )
    tax_ids = sorted({line.tax_id for line in lines if line.tax_id is not None})
    taxes = (
        {tax.pk: tax for tax in fastsql.select(Tax, f"id IN ({fastsql.placeholders(tax_ids)})", tax_ids)}
        if tax_ids
        else {}
    )
    for line in lines:
        line.order = order
        line.product = products[line.product_id]
        line.uom = units[line.uom_id]
        line.tax = taxes[line.tax_id] if line.tax_id is not None else None
    return lines


def order_by_number(company_id: int, number: str) -> SalesOrder | None:
    """The order an inventory transfer or an invoice names as its origin / reference."""
    rows = fastsql.select(SalesOrder, "company_id = %s AND number = %s", [company_id, number])
    return rows[0] if rows else None


def _decimal(value: object) -> Decimal:
    """A quantity read by raw SQL (SQLite gives a float) as the exact Decimal it was stored as."""
    return Decimal(str(value)).quantize(QUANTITY)


def delivered_by_line(lines: Iterable[SalesOrderLine]) -> dict[int, Decimal]:
    """Per order line: Σ done moves to the customers − Σ done moves back from them (returns),
    in the product's stock unit."""
    lines = list(lines)
    result: dict[int, Decimal] = dict.fromkeys((line.pk for line in lines), ZERO)
    if not lines:
        return result
    by_origin = {origin_line_of(line.pk): line.pk for line in lines}
    origins = list(by_origin)
    statement = fastsql.cursor()
    statement.execute(
        "SELECT m.origin_line, m.quantity, s.usage, d.usage FROM inventory_move m "  # noqa: S608 - placeholders only
        "JOIN inventory_location s ON s.id = m.source_id "
        "JOIN inventory_location d ON d.id = m.destination_id "
        f"WHERE m.origin_line IN ({fastsql.placeholders(origins)}) AND m.state = %s",
        [*origins, MoveState.DONE],
    )
    for origin, quantity, source, destination in statement.fetchall():
        if destination == LocationUsage.CUSTOMER and source != LocationUsage.CUSTOMER:
            result[by_origin[origin]] += _decimal(quantity)
        elif source == LocationUsage.CUSTOMER and destination != LocationUsage.CUSTOMER:
            result[by_origin[origin]] -= _decimal(quantity)
    return result


@dataclass(frozen=True)
class Invoiced:
    """What the invoices made from an order line invoice of it: on every invoice (drafts
    too, so nothing is invoiced twice), on posted ones, and credited by posted credit notes."""

    quantity: Decimal
    posted: Decimal
    credited: Decimal

    @property
    def net(self) -> Decimal:
        return self.quantity - self.credited


def invoiced_by_line(lines: Iterable[SalesOrderLine]) -> dict[int, Invoiced]:
    """Per order line: what its linked invoice lines invoice (in the order line's unit), on
    every invoice, on posted ones, and what posted credit notes credit of them. One query."""
    lines = list(lines)
    totals: dict[int, list[Decimal]] = {line.pk: [ZERO, ZERO, ZERO] for line in lines}
    if not lines:
        return {}
    line_ids = list(totals)
    statement = fastsql.cursor()
    statement.execute(
        "SELECT s.order_line_id, l.quantity, i.state, "  # noqa: S608 - placeholders only
        "(SELECT SUM(c.quantity) FROM finance_invoiceline c JOIN finance_invoice n ON n.id = c.invoice_id "
        " WHERE c.credited_line_id = l.id AND n.state = %s AND n.kind = %s) "
        "FROM sales_salesinvoiceline s "
        "JOIN finance_invoiceline l ON l.invoice_id = s.invoice_id AND l.sequence = s.sequence "
        "JOIN finance_invoice i ON i.id = s.invoice_id "
        f"WHERE s.order_line_id IN ({fastsql.placeholders(line_ids)})",
        [InvoiceState.POSTED, InvoiceKind.CUSTOMER_CREDIT_NOTE, *line_ids],
    )
    for line_id, quantity, state, credited in statement.fetchall():
        totals[line_id][0] += _decimal(quantity)
        if state == InvoiceState.POSTED:
            totals[line_id][1] += _decimal(quantity)
        if credited is not None:
            totals[line_id][2] += _decimal(credited)
    return {pk: Invoiced(*row) for pk, row in totals.items()}


@dataclass(frozen=True)
class LineStatus:
    line: SalesOrderLine
    delivered: Decimal  # in the line's unit
    invoiced: Invoiced

    @property
    def to_invoice_on_order(self) -> Decimal:
        return self.line.quantity - self.invoiced.net

    @property
    def to_invoice_on_delivery(self) -> Decimal:
        return self.delivered - self.invoiced.net


def _in_line_unit(line: SalesOrderLine, quantity: Decimal) -> Decimal:
    """A quantity in the product's stock unit expressed in the line's unit."""
    if line.uom_id == line.product.uom_id:
        return quantity
    return (quantity * line.product.uom.ratio / line.uom.ratio).quantize(QUANTITY)


def order_lines_status(order: SalesOrder, lines: list[SalesOrderLine] | None = None) -> list[LineStatus]:
    """Per line of the order (optional lines not taken are left out): ordered, delivered and
    invoiced."""
    lines = [line for line in (lines if lines is not None else order_lines(order)) if not line.is_optional]
    delivered = delivered_by_line(lines)
    invoiced = invoiced_by_line(lines)
    return [
        LineStatus(line=line, delivered=_in_line_unit(line, delivered[line.pk]), invoiced=invoiced[line.pk])
        for line in lines
    ]


def order_invoice_ids(order: SalesOrder) -> list[int]:
    """The invoices made from the order (and credit notes of them), oldest first."""
    ids = set(
        SalesInvoiceLine.objects.filter(order_line__order_id=order.pk).values_list("invoice_id", flat=True)
    )
    credit_notes = Invoice.objects.filter(credit_note_of_id__in=ids).values_list("pk", flat=True)
    return sorted(ids | set(credit_notes))
