"""Reads of manufacturing, scoped to the actor's company and permission."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from kantoor.core import policy
from kantoor.core.models import User
from kantoor.inventory.models import Move, MoveState
from kantoor.manufacturing.models import (
    BillOfMaterials,
    BomByProduct,
    BomComponent,
    BomOperation,
    ProductionOrder,
    WorkCentre,
)

VIEW = "manufacturing.view_production"


def work_centres_visible(actor: User) -> QuerySet[WorkCentre]:
    return policy.filter_queryset(actor, VIEW, WorkCentre.objects.all())


def boms_visible(actor: User) -> QuerySet[BillOfMaterials]:
    """The BOMs with their product, unit and lines (prefetched: a list costs four reads)."""
    return policy.filter_queryset(
        actor,
        VIEW,
        BillOfMaterials.objects.select_related("product", "uom").prefetch_related(
            Prefetch("components", BomComponent.objects.select_related("product", "uom")),
            Prefetch("by_products", BomByProduct.objects.select_related("product", "uom")),
            Prefetch("operations", BomOperation.objects.select_related("work_centre")),
        ),
    )


def production_orders_visible(actor: User) -> QuerySet[ProductionOrder]:
    return policy.filter_queryset(
        actor,
        VIEW,
        ProductionOrder.objects.select_related("product", "uom", "bom", "warehouse", "component_transfer"),
    )


@dataclass
class ComponentStatus:
    """A component of an order: what is still needed (open on the component transfer), how
    much of that is reserved (and from which lots), and what earlier runs consumed."""

    product_id: int
    sku: str
    name: str
    uom: str
    needed: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    consumed: Decimal = Decimal(0)
    lots: list[str] = field(default_factory=list)


def production_order_components(order: ProductionOrder) -> list[ComponentStatus]:
    """The order's components, in the order of the BOM's lines (one read)."""
    rows: dict[str, ComponentStatus] = {}
    moves = (
        Move.objects.filter(company_id=order.company_id, transfer__origin=order.number)
        .filter(origin_line__startswith="manufacturing.bomcomponent:")
        .exclude(state=MoveState.CANCELLED)
        .select_related("product__uom", "lot")
        .order_by("id")
    )
    for move in moves:
        if move.transfer_id != order.component_transfer_id and move.state != MoveState.DONE:
            continue
        row = rows.setdefault(
            move.origin_line,
            ComponentStatus(move.product_id, move.product.sku, move.product.name, move.product.uom.code),
        )
        if move.state == MoveState.DONE:
            row.consumed += move.quantity
            continue
        row.needed += move.quantity
        if move.state == MoveState.RESERVED:
            row.reserved += move.quantity
            if move.lot is not None and move.lot.name not in row.lots:
                row.lots.append(move.lot.name)
    return list(rows.values())
