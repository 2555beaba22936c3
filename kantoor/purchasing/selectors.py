"""Reads of purchasing, scoped to the actor's company: orders, their receipts and the
three-way match of what was ordered, received and billed.

Received quantities come from inventory's done moves whose `origin_line` names the order
line (from the suppliers: received; back to the suppliers: returned). Billed quantities come
from the supplier bill lines linked to the order line (PurchaseBillLine), drafts included, so
nothing is billed twice while a bill waits to be posted, less what posted supplier refunds
credit of those bill lines.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from kantoor.catalog.models import Product, ProductKind, uom_convert
from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceLine, InvoiceState, Tax, TaxScope
from kantoor.inventory.models import LocationUsage, Move, MoveState, Transfer, TransferKind, Warehouse
from kantoor.parties.models import Party
from kantoor.purchasing.models import (
    OrderState,
    PurchaseBillLine,
    PurchaseOrder,
    PurchaseOrderLine,
    origin_line_of,
)

VIEW = "purchasing.view_order"
MANAGE = "purchasing.manage_order"
ZERO = Decimal(0)


def orders_visible(actor: policy.Actor) -> QuerySet[PurchaseOrder]:
    """The orders of the actor's company, if they may see purchasing (none otherwise)."""
    return policy.filter_queryset(
        actor, VIEW, PurchaseOrder.objects.select_related("supplier", "warehouse", "dropship_customer")
    )


def orders_list(
    actor: policy.Actor, *, state: str = "", supplier_id: int | None = None
) -> QuerySet[PurchaseOrder]:
    orders = orders_visible(actor)
    if state:
        orders = orders.filter(state=state)
    if supplier_id is not None:
        orders = orders.filter(supplier_id=supplier_id)
    return orders


def order_get_for_actor(actor: policy.Actor, order_id: int) -> PurchaseOrder:
    """The order (a 404 for one of another company or without the permission to see it)."""
    order = orders_visible(actor).filter(pk=order_id).first() if isinstance(order_id, int) else None
    if order is None:
        raise NotFoundError(_("Not found."))
    return order


def order_lines(order: PurchaseOrder) -> list[PurchaseOrderLine]:
    return list(
        order.lines.select_related("product", "product__uom", "uom", "tax").order_by("sequence", "id")
    )


def order_receipts(order: PurchaseOrder) -> list[Transfer]:
    """The receipts (and returns to the supplier) made for the order, backorders included."""
    if not order.number:
        return []
    return list(
        Transfer.objects.filter(
            company_id=order.company_id,
            origin=order.number,
            kind__in=[TransferKind.RECEIPT, TransferKind.RETURN_OUT],
        ).order_by("id")
    )


def order_bills(order: PurchaseOrder) -> list[Invoice]:
    """The supplier bills with lines made from the order, and the refunds of those bills."""
    ids = PurchaseBillLine.objects.filter(order_line__order=order).values_list("invoice_id", flat=True)
    refunds = Q(credit_note_of_id__in=ids, kind=InvoiceKind.SUPPLIER_REFUND)
    return list(Invoice.objects.filter(Q(pk__in=ids) | refunds).order_by("id"))


def received_by_line(lines: list[PurchaseOrderLine]) -> dict[int, Decimal]:
    """Per order line: what was received from the supplier less what was returned to it,
    in the line's unit (moves count in the product's stock unit). Two queries at most."""
    if not lines:
        return {}
    keys = {origin_line_of(line.pk): line for line in lines}
    rows = (
        Move.objects.filter(origin_line__in=list(keys), state=MoveState.DONE)
        .values("origin_line")
        .annotate(
            came=Sum("quantity", filter=Q(source__usage=LocationUsage.SUPPLIER)),
            went=Sum("quantity", filter=Q(destination__usage=LocationUsage.SUPPLIER)),
        )
    )
    result = {line.pk: ZERO for line in lines}
    for row in rows:
        line = keys[row["origin_line"]]
        net = Decimal(row["came"] or 0) - Decimal(row["went"] or 0)
        result[line.pk] = uom_convert(net, line.product.uom, line.uom, rounded=False).quantize(
            Decimal("0.0001")
        )
    return result


@dataclass(frozen=True)
class Billed:
    quantity: Decimal  # billed on bills (drafts too) less refunded on posted refunds
    posted_quantity: Decimal  # billed on posted bills less refunded on any refund (drafts too)
    amount: Decimal  # untaxed, in the bills' currency, less posted refunds
    prices: tuple[Decimal, ...]  # the net unit prices billed (after discount)
    refunded: Decimal = ZERO  # refunded on posted refunds


def billed_by_line(lines: list[PurchaseOrderLine]) -> dict[int, Billed]:
    """Per order line: what its bill lines bill (drafts and posted), less what supplier
    refunds credit of those bill lines, and at what prices. Three queries.

    A refund line names the bill line it credits (finance's `credited_line`; the bill is
    posted, so its line rows no longer change), and so the order line through the bill
    line's link. Both sides are counted cautiously: a draft bill already counts as billed
    (nothing is billed twice) while a draft refund does not yet give anything back to bill;
    and for the done check a bill counts once posted, a refund as soon as it is drafted."""
    found: dict[int, list[tuple[Decimal, Decimal, Decimal, bool]]] = defaultdict(list)
    links = list(PurchaseBillLine.objects.filter(order_line__in=[line.pk for line in lines]))
    invoice_ids = {link.invoice_id for link in links}
    bill_lines = {
        (row.invoice_id, row.sequence): row
        for row in InvoiceLine.objects.filter(invoice_id__in=invoice_ids).select_related("invoice")
    }
    # (bill, sequence) → [(quantity, amount, refund posted)] of the refund lines crediting it.
    refunds: dict[tuple[int, int], list[tuple[Decimal, Decimal, bool]]] = defaultdict(list)
    if invoice_ids:
        rows = InvoiceLine.objects.filter(
            credited_line__invoice_id__in=invoice_ids, invoice__kind=InvoiceKind.SUPPLIER_REFUND
        ).values_list(
            "credited_line__invoice_id",
            "credited_line__sequence",
            "quantity",
            "amount_untaxed",
            "invoice__state",
        )
        for bill_id, sequence, quantity, amount, state in rows:
            refunds[(bill_id, sequence)].append((quantity, amount, state == InvoiceState.POSTED))
    refunded: dict[int, list[tuple[Decimal, Decimal, bool]]] = defaultdict(list)
    for link in links:
        bill_line = bill_lines.get((link.invoice_id, link.sequence))
        if bill_line is None:  # the line was removed from the draft bill
            continue
        found[link.order_line_id].append(
            (
                bill_line.quantity,
                bill_line.amount_untaxed,
                net_price(bill_line.unit_price, bill_line.discount),
                bill_line.invoice.state == InvoiceState.POSTED,
            )
        )
        refunded[link.order_line_id] += refunds.get((link.invoice_id, link.sequence), [])
    result = {}
    for line in lines:
        billed = found.get(line.pk, [])
        back = refunded.get(line.pk, [])
        posted_back = sum((r[0] for r in back if r[2]), ZERO)
        result[line.pk] = Billed(
            quantity=sum((r[0] for r in billed), ZERO) - posted_back,
            posted_quantity=sum((r[0] for r in billed if r[3]), ZERO) - sum((r[0] for r in back), ZERO),
            amount=sum((r[1] for r in billed), ZERO) - sum((r[1] for r in back if r[2]), ZERO),
            prices=tuple(dict.fromkeys(r[2] for r in billed)),
            refunded=posted_back,
        )
    return result


def net_price(unit_price: Decimal, discount: Decimal) -> Decimal:
    """The unit price less the discount percentage, to six decimals."""
    return (Decimal(unit_price) * (100 - Decimal(discount)) / 100).quantize(Decimal("0.000001"))


def is_received_goods(line: PurchaseOrderLine) -> bool:
    """Whether the line is billed on what was received (stockable and consumable goods) or
    on what was ordered (services: nothing is received)."""
    return line.product.kind != ProductKind.SERVICE


@dataclass(frozen=True)
class MatchLine:
    """One order line of the three-way match, with what is wrong with it."""

    line: PurchaseOrderLine
    ordered: Decimal
    received: Decimal
    billed: Decimal
    to_bill: Decimal
    order_price: Decimal
    bill_prices: tuple[Decimal, ...]
    billed_more_than_received: bool
    price_differs: bool
    over_delivered: bool
    under_delivered: bool
    refunded: Decimal = ZERO  # on posted supplier refunds, already subtracted from `billed`

    @property
    def has_mismatch(self) -> bool:
        return self.billed_more_than_received or self.price_differs or self.over_delivered


def three_way_match(order: PurchaseOrder) -> list[MatchLine]:
    """Per line: ordered, received (net of returns) and billed (net of refunds) quantities,
    the order's net unit price beside the prices billed, what is left to bill, and the
    flags: billed more than received, a billed price that differs from the order's, received
    more (over-delivery) or less (under-delivery, only once the order is confirmed) than
    ordered.
    Services are received as ordered (nothing comes through the warehouse)."""
    lines = order_lines(order)
    received = received_by_line(lines)
    billed = billed_by_line(lines)
    confirmed = order.state in (OrderState.CONFIRMED, OrderState.DONE)
    result = []
    for line in lines:
        goods = is_received_goods(line)
        got = received[line.pk] if goods else (line.quantity if confirmed else ZERO)
        bill = billed[line.pk]
        price = net_price(line.unit_price, line.discount)
        billable = got if goods else line.quantity
        result.append(
            MatchLine(
                line=line,
                ordered=line.quantity,
                received=got,
                billed=bill.quantity,
                to_bill=max(billable - bill.quantity, ZERO) if confirmed else ZERO,
                order_price=price,
                bill_prices=bill.prices,
                billed_more_than_received=bill.quantity > got,
                price_differs=any(p != price for p in bill.prices),
                over_delivered=got > line.quantity,
                under_delivered=confirmed and got < line.quantity,
                refunded=bill.refunded,
            )
        )
    return result


def order_is_complete(order: PurchaseOrder) -> bool:
    """Everything ordered was received (or more) and what was received is billed on posted
    bills; with no receipt left open."""
    lines = order_lines(order)
    if not lines:
        return False
    received = received_by_line(lines)
    billed = billed_by_line(lines)
    for line in lines:
        got = received[line.pk] if is_received_goods(line) else line.quantity
        if got < line.quantity or billed[line.pk].posted_quantity < got:
            return False
    return True


def open_receipts(order: PurchaseOrder) -> list[Transfer]:
    return [t for t in order_receipts(order) if t.state not in ("done", "cancelled")]


# ----------------------------------------------------------------------------- form choices


def _company_id(actor: policy.Actor) -> int | None:
    return policy.actor_company_id(actor) if policy.has_permission(actor, VIEW) else None


def parties_with_role(actor: policy.Actor, role: str, *, limit: int = 500) -> list[Party]:
    """The company's active parties with `role` (suppliers, customers) for the order form."""
    company_id = _company_id(actor)
    if company_id is None:
        return []
    return list(
        Party.objects.filter(
            company_id=company_id, is_archived=False, merged_into__isnull=True, roles__role=role
        )
        .order_by("name", "id")
        .distinct()[:limit]
    )


def products_to_buy(actor: policy.Actor, *, limit: int = 1000) -> list[Product]:
    company_id = _company_id(actor)
    if company_id is None:
        return []
    return list(
        Product.objects.filter(company_id=company_id, is_active=True, is_purchased=True)
        .select_related("purchase_uom")
        .order_by("sku")[:limit]
    )


def warehouses_to_receive(actor: policy.Actor) -> list[Warehouse]:
    company_id = _company_id(actor)
    if company_id is None:
        return []
    return list(Warehouse.objects.filter(company_id=company_id, is_active=True).order_by("code"))


def purchase_taxes(actor: policy.Actor) -> list[Tax]:
    company_id = _company_id(actor)
    if company_id is None:
        return []
    return list(
        Tax.objects.filter(company_id=company_id, scope=TaxScope.PURCHASE, is_active=True).order_by("code")
    )
