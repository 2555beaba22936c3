"""Reads of inventory, scoped to the actor's company and `inventory.view_stock`: warehouses,
locations, transfers with their moves, counts with their lines, lots, the stock at a
place, and what a scanned code is (a product, a lot or serial number, or a location)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from kantoor.catalog.models import Product
from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import User
from kantoor.inventory.models import (
    InventoryCount,
    InventoryCountLine,
    Location,
    LocationUsage,
    Lot,
    Move,
    Quant,
    Transfer,
    TransferKind,
    Warehouse,
)

VIEW = "inventory.view_stock"

# The transfer list's tabs: what a storekeeper looks for together.
TRANSFER_TABS: dict[str, tuple[str, ...]] = {
    "receipts": (TransferKind.RECEIPT, TransferKind.RETURN_IN),
    "deliveries": (TransferKind.DELIVERY, TransferKind.PICK, TransferKind.PACK, TransferKind.RETURN_OUT),
    "internal": (TransferKind.INTERNAL, TransferKind.ADJUSTMENT, TransferKind.PRODUCTION),
}


def warehouses_for_actor(actor: User) -> QuerySet[Warehouse]:
    return policy.filter_queryset(actor, VIEW, Warehouse.objects.select_related("stock_location"))


def locations_for_actor(
    actor: User, *, warehouse_id: int | None = None, usage: str | None = None, search: str = ""
) -> QuerySet[Location]:
    """The company's locations (the active ones), by full name."""
    locations = policy.filter_queryset(actor, VIEW, Location.objects.filter(is_active=True))
    if warehouse_id is not None:
        locations = locations.filter(warehouse_id=warehouse_id)
    if usage:
        locations = locations.filter(usage=usage)
    search = search.strip()
    if search:
        locations = locations.filter(Q(full_name__icontains=search) | Q(barcode=search))
    return locations.order_by("full_name", "id")


def transfers_for_actor(
    actor: User,
    *,
    kind: str | None = None,
    kinds: tuple[str, ...] | None = None,
    state: str | None = None,
    warehouse_id: int | None = None,
    search: str = "",
) -> QuerySet[Transfer]:
    """Transfers of the company, newest scheduled first; `search` matches the number, the
    origin or the partner's name."""
    transfers = policy.filter_queryset(
        actor, VIEW, Transfer.objects.select_related("party", "source", "destination", "warehouse")
    )
    if kind:
        transfers = transfers.filter(kind=kind)
    if kinds:
        transfers = transfers.filter(kind__in=kinds)
    if state:
        transfers = transfers.filter(state=state)
    if warehouse_id is not None:
        transfers = transfers.filter(warehouse_id=warehouse_id)
    search = search.strip()
    if search:
        transfers = transfers.filter(
            Q(number__icontains=search) | Q(origin__icontains=search) | Q(party__name__icontains=search)
        )
    return transfers


def transfer_get_for_actor(actor: User, transfer_id: int) -> Transfer:
    transfer = (
        transfers_for_actor(actor)
        .select_related("backorder_of", "return_of", "next_transfer", "created_by")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None:
        raise NotFoundError()
    return transfer


def transfer_moves(transfer: Transfer) -> list[Move]:
    """The transfer's moves with what a page or an answer shows of them."""
    return list(
        Move.objects.filter(transfer=transfer)
        .select_related("product", "product__uom", "lot", "source", "destination")
        .order_by("id")
    )


def transfer_related(transfer: Transfer) -> dict[str, list[Transfer]]:
    """Its backorders, its returns and the steps before it (pick and pack of a delivery)."""
    rows = list(
        Transfer.objects.filter(
            Q(backorder_of=transfer) | Q(return_of=transfer) | Q(next_transfer=transfer),
            company_id=transfer.company_id,
        ).order_by("id")
    )
    return {
        "backorders": [t for t in rows if t.backorder_of_id == transfer.pk],
        "returns": [t for t in rows if t.return_of_id == transfer.pk],
        "previous": [t for t in rows if t.next_transfer_id == transfer.pk],
    }


def counts_for_actor(actor: User, *, state: str | None = None) -> QuerySet[InventoryCount]:
    counts = policy.filter_queryset(
        actor, VIEW, InventoryCount.objects.select_related("location", "adjustment")
    )
    if state:
        counts = counts.filter(state=state)
    return counts


def count_get_for_actor(actor: User, count_id: int) -> InventoryCount:
    count = counts_for_actor(actor).filter(pk=count_id).first()
    if count is None:
        raise NotFoundError()
    return count


def count_lines(count: InventoryCount) -> list[InventoryCountLine]:
    return list(
        count.lines.select_related("product", "product__uom", "lot", "location").order_by(
            "location__full_name", "product__sku", "lot__name", "id"
        )
    )


def lots_for_actor(actor: User, *, product_id: int | None = None, search: str = "") -> QuerySet[Lot]:
    lots = policy.filter_queryset(actor, VIEW, Lot.objects.select_related("product"))
    if product_id is not None:
        lots = lots.filter(product_id=product_id)
    search = search.strip()
    if search:
        lots = lots.filter(name__icontains=search)
    return lots


@dataclass(frozen=True)
class StockRow:
    """What is at one place of one product (and lot): on hand, and of it reserved."""

    product: Product
    location: Location
    lot: Lot | None
    quantity: Decimal
    reserved: Decimal


def stock_rows(actor: User, quants: QuerySet[Quant], limit: int = 100) -> list[StockRow]:
    """The non-zero quants of `quants` the actor may see (at most `limit`)."""
    if not policy.has_permission(actor, VIEW):
        return []
    rows = (
        quants.filter(company_id=policy.actor_company_id(actor), location__usage=LocationUsage.INTERNAL)
        .exclude(quantity=0)
        .select_related("product", "product__uom", "location", "lot")
        .order_by("location__full_name", "product__sku", "lot__name", "id")[:limit]
    )
    return [StockRow(q.product, q.location, q.lot, q.quantity, q.reserved_quantity) for q in rows]


@dataclass
class ScanResult:
    """What a scanned code is: `kind` is "product", "lot" or "location" ("" when unknown),
    with the stock it has (per place) or holds (per product)."""

    code: str
    kind: str = ""
    product: Product | None = None
    lot: Lot | None = None
    location: Location | None = None
    stock: list[StockRow] = field(default_factory=list)
    total: Decimal = Decimal(0)


def scan_lookup(actor: User, code: str) -> ScanResult:
    """A product by SKU or barcode, else a location by barcode or full name, else a lot or
    serial number by name (the first of the company's products that has it), with its
    stock. Unknown codes (and actors who may not see stock) find nothing."""
    code = str(code or "").strip()
    result = ScanResult(code=code)
    if not code or len(code) > 255 or not policy.has_permission(actor, VIEW):
        return result
    company_id = policy.actor_company_id(actor)
    quants = Quant.objects.all()
    product = (
        Product.objects.select_related("uom")
        .filter(Q(sku=code) | Q(barcode=code), company_id=company_id)
        .order_by("-is_active", "id")
        .first()
    )
    if product is not None:
        result.kind, result.product = "product", product
        quants = quants.filter(product=product)
    else:
        location = (
            Location.objects.filter(Q(barcode=code) | Q(full_name__iexact=code), company_id=company_id)
            .order_by("id")
            .first()
        )
        if location is not None:
            result.kind, result.location = "location", location
            quants = quants.filter(
                Q(location=location) | Q(location__full_name__startswith=location.full_name + "/")
            )
        else:
            lot = (
                Lot.objects.select_related("product", "product__uom")
                .filter(company_id=company_id, name=code)
                .first()
            )
            if lot is None:
                return result
            result.kind, result.lot, result.product = "lot", lot, lot.product
            quants = quants.filter(lot=lot)
    result.stock = stock_rows(actor, quants)
    if result.kind != "location":
        total = quants.filter(company_id=company_id, location__usage=LocationUsage.INTERNAL).aggregate(
            total=Sum("quantity")
        )["total"]
        result.total = total or Decimal(0)
    return result
