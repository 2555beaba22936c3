"""Reads of manufacturing, scoped to the actor's company and permission: the lists, the
explosion of a BOM into what it needs (one level) and its structure and cost through the
sub-assemblies' own BOMs (every level)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from kantoor.catalog.errors import UomIncompatibleError
from kantoor.catalog.models import QUANTITY, Product, Uom, uom_convert
from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import User
from kantoor.inventory.models import Move, MoveState
from kantoor.manufacturing.errors import BomInvalidError
from kantoor.manufacturing.models import (
    BillOfMaterials,
    BomByProduct,
    BomComponent,
    BomOperation,
    ProductionOrder,
    WorkCentre,
)

VIEW = "manufacturing.view_production"
# How deep sub-assemblies may nest. The cycle check keeps the graph of active BOMs acyclic;
# this bounds the work of a walk through it all the same.
MAX_DEPTH = 20


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


def production_order_children(order: ProductionOrder) -> QuerySet[ProductionOrder]:
    """The orders made for `order`'s missing components (their origin is its number)."""
    return ProductionOrder.objects.select_related("product", "uom", "component_transfer").filter(
        company_id=order.company_id, origin=order.number
    )


def production_order_parent(order: ProductionOrder) -> ProductionOrder | None:
    """The order `order` was made for, when its origin is an order's number."""
    if not order.origin.startswith("MO"):
        return None
    return ProductionOrder.objects.filter(company_id=order.company_id, number=order.origin).first()


# ----------------------------------------------------------------------------- explosion


@dataclass(frozen=True)
class Exploded:
    """What a quantity of a BOM needs of one component, in the component's stock unit,
    scrap included and rounded up to that unit's precision."""

    component: BomComponent
    product: Product
    quantity: Decimal

    @property
    def origin_line(self) -> str:
        return f"manufacturing.bomcomponent:{self.component.pk}"


def round_up(quantity: Decimal, uom: Uom) -> Decimal:
    """`quantity` rounded up to `uom`'s precision (never less than what is needed)."""
    steps = (quantity / uom.rounding).quantize(Decimal(1), rounding=ROUND_CEILING)
    return (steps * uom.rounding).quantize(QUANTITY)


def round_down(quantity: Decimal, uom: Uom) -> Decimal:
    steps = (quantity / uom.rounding).quantize(Decimal(1), rounding=ROUND_FLOOR)
    return (steps * uom.rounding).quantize(QUANTITY)


def component_need(line: BomComponent, factor: Decimal) -> Decimal:
    """What `factor` × the BOM's quantity needs of a component line: the line's quantity,
    plus scrap, in the product's stock unit (converted unrounded), rounded up."""
    raw = line.quantity * factor * (1 + line.scrap_percent / 100)
    in_stock_unit = uom_convert(raw, line.uom, line.product.uom, rounded=False)
    return round_up(in_stock_unit, line.product.uom)


def explode(bom: BillOfMaterials, quantity: Decimal) -> list[Exploded]:
    """The components `quantity` (in the BOM's unit) of `bom` needs, one level deep."""
    factor = quantity / bom.quantity
    return [
        Exploded(line, line.product, component_need(line, factor))
        for line in bom.components.select_related("product__uom", "uom").order_by("sequence", "id")
    ]


def bom_for_product(company_id: int, product_id: int) -> BillOfMaterials | None:
    """The product's active BOM (the first by code when it has several)."""
    return (
        BillOfMaterials.objects.select_related("product__uom", "uom")
        .filter(company_id=company_id, product_id=product_id, is_active=True)
        .order_by("code", "id")
        .first()
    )


def boms_for_products(company_id: int, product_ids: Iterable[int]) -> dict[int, BillOfMaterials]:
    """Per product of `product_ids` that has one: its active BOM (the first by code), with
    its components, operations and by-products (four reads, whatever the number)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    found: dict[int, BillOfMaterials] = {}
    for bom in _with_lines(
        BillOfMaterials.objects.filter(company_id=company_id, product_id__in=ids, is_active=True)
    ).order_by("code", "id"):
        found.setdefault(bom.product_id, bom)
    return found


def _with_lines(boms: QuerySet[BillOfMaterials]) -> QuerySet[BillOfMaterials]:
    return boms.select_related("product__uom", "uom").prefetch_related(
        Prefetch(
            "components",
            BomComponent.objects.select_related("product__uom", "uom").order_by("sequence", "id"),
        ),
        Prefetch("operations", BomOperation.objects.select_related("work_centre").order_by("sequence", "id")),
        Prefetch(
            "by_products",
            BomByProduct.objects.select_related("product__uom", "uom").order_by("sequence", "id"),
        ),
    )


# ----------------------------------------------------------------------------- structure and cost


@dataclass(frozen=True)
class StructureOperation:
    """An operation of a level: its hours for the level's quantity and what they cost."""

    name: str
    work_centre_id: int
    work_centre: str
    hours: Decimal
    cost_per_hour: Decimal

    @property
    def cost(self) -> Decimal:
        return self.hours * self.cost_per_hour


@dataclass(frozen=True)
class StructureByProduct:
    """A by-product of a level: what comes out besides, and the share of the level's cost
    it carries (taken off the cost of the product made)."""

    product_id: int
    sku: str
    name: str
    quantity: Decimal
    uom: str
    cost_share: Decimal
    cost: Decimal


@dataclass(frozen=True)
class StructureLine:
    """A component of a level: what the level's quantity needs of it (scrap included, in
    its stock unit, rounded up as bom_explode does), its cost at the product's cost and —
    when it has an active BOM of its own — the structure that makes that quantity."""

    component_id: int
    product_id: int
    sku: str
    name: str
    quantity: Decimal
    uom: str
    scrap_percent: Decimal
    unit_cost: Decimal
    structure: BomStructure | None = None

    @property
    def line_cost(self) -> Decimal:
        """The quantity at the product's cost."""
        return self.quantity * self.unit_cost

    @property
    def cost(self) -> Decimal:
        """What the line adds to its level: rolled up from its own structure when it has one
        (materials and work of every level below), else the quantity at the product's cost."""
        return self.structure.cost if self.structure is not None else self.line_cost


@dataclass(frozen=True)
class BomStructure:
    """One level of a BOM's structure: `quantity` `uom` of its product made after the BOM,
    with its components (each with its own structure when it is made in turn), operations
    and by-products. Amounts are exact Decimals; round them (to cents) only to show them."""

    bom_id: int
    code: str
    product_id: int
    sku: str
    name: str
    quantity: Decimal
    uom: str
    depth: int
    components: list[StructureLine]
    operations: list[StructureOperation]
    by_products: list[StructureByProduct]

    @property
    def material_cost(self) -> Decimal:
        return sum((line.cost for line in self.components), Decimal(0))

    @property
    def work_cost(self) -> Decimal:
        return sum((operation.cost for operation in self.operations), Decimal(0))

    @property
    def total_cost(self) -> Decimal:
        """Materials plus work: the cost of the whole production, by-products included."""
        return self.material_cost + self.work_cost

    @property
    def by_products_cost(self) -> Decimal:
        return sum((by_product.cost for by_product in self.by_products), Decimal(0))

    @property
    def cost(self) -> Decimal:
        """What the product made carries: the total less the by-products' shares."""
        return self.total_cost - self.by_products_cost

    @property
    def unit_cost(self) -> Decimal:
        """The cost of one unit (of `uom`) when `quantity` is made at once."""
        return self.cost / self.quantity


def _level(
    bom: BillOfMaterials, quantity: Decimal, uom: Uom, in_bom_unit: Decimal, depth: int
) -> BomStructure:
    """The structure of `quantity` `uom` (`in_bom_unit` in the BOM's unit) made after `bom`,
    whose lines are prefetched; the sub-assemblies' levels below it."""
    if depth > MAX_DEPTH:
        message = _("The bill of materials %(code)s nests more than %(depth)d levels deep.") % {
            "code": bom.code,
            "depth": MAX_DEPTH,
        }
        raise BomInvalidError(message)
    factor = in_bom_unit / bom.quantity
    lines = list(bom.components.all())
    subs = boms_for_products(bom.company_id, [line.product_id for line in lines])
    components = []
    for line in lines:
        part = line.product
        need = component_need(line, factor)
        sub = subs.get(part.pk)
        components.append(
            StructureLine(
                component_id=line.pk,
                product_id=part.pk,
                sku=part.sku,
                name=part.name,
                quantity=need,
                uom=part.uom.code,
                scrap_percent=line.scrap_percent,
                unit_cost=part.cost,
                structure=(
                    None
                    if sub is None
                    else _level(
                        sub, need, part.uom, uom_convert(need, part.uom, sub.uom, rounded=False), depth + 1
                    )
                ),
            )
        )
    operations = [
        StructureOperation(
            name=operation.name,
            work_centre_id=operation.work_centre_id,
            work_centre=operation.work_centre.code,
            hours=operation.hours * factor,
            cost_per_hour=operation.work_centre.cost_per_hour,
        )
        for operation in bom.operations.all()
    ]
    total = sum((c.cost for c in components), Decimal(0)) + sum((o.cost for o in operations), Decimal(0))
    by_products = [
        StructureByProduct(
            product_id=made.product_id,
            sku=made.product.sku,
            name=made.product.name,
            quantity=uom_convert(made.quantity * factor, made.uom, made.product.uom),
            uom=made.product.uom.code,
            cost_share=made.cost_share,
            cost=total * made.cost_share / 100,
        )
        for made in bom.by_products.all()
    ]
    return BomStructure(
        bom_id=bom.pk,
        code=bom.code,
        product_id=bom.product_id,
        sku=bom.product.sku,
        name=bom.product.name,
        quantity=quantity,
        uom=uom.code,
        depth=depth,
        components=components,
        operations=operations,
        by_products=by_products,
    )


def _positive_quantity(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal(0)
    if not number.is_finite() or number <= 0 or number >= Decimal(10) ** 12:
        raise BomInvalidError(
            _("Enter a number above zero."), field_errors={"quantity": [_("Enter a number above zero.")]}
        )
    if number != number.quantize(QUANTITY):
        message = _("Enter at most %d decimals.") % 4
        raise BomInvalidError(message, field_errors={"quantity": [message]})
    return number


def bom_structure(
    actor: User, bom_id: int, quantity: Decimal | int | str = 1, uom_id: int | None = None
) -> BomStructure:
    """The multi-level structure and cost of making `quantity` (in `uom_id`, default the
    BOM's unit) after a BOM: every component with what that quantity needs of it (as
    bom_explode: scrap included, in its stock unit, rounded up) at the product's cost and,
    when the component has an active BOM of its own, the structure that makes exactly that
    quantity of it, down to the bought-in parts; each level with the work of its operations
    (hours × the work centre's hourly cost) and its by-products' cost shares. A sub-assembly
    adds the cost rolled up from its levels, not its product cost. A BOM of another company
    is not found; nothing is rounded but the quantities (up, as the explosion does)."""
    policy.require(actor, VIEW)
    company_id = policy.actor_company_id(actor)
    bom = (
        _with_lines(BillOfMaterials.objects.filter(pk=bom_id, company_id=company_id)).first()
        if isinstance(bom_id, int)
        else None
    )
    if bom is None:
        raise NotFoundError(_("Not found."))
    amount = _positive_quantity(quantity)
    uom = bom.uom
    if uom_id is not None and uom_id != bom.uom_id:
        found = (
            Uom.objects.filter(company_id=company_id, pk=uom_id).first() if isinstance(uom_id, int) else None
        )
        if found is None:
            raise BomInvalidError(_("Unknown unit."), field_errors={"uom_id": [_("Unknown unit.")]})
        uom = found
    try:
        in_bom_unit = uom_convert(amount, uom, bom.uom, rounded=False)
    except UomIncompatibleError as error:
        raise BomInvalidError(error.message, field_errors={"uom_id": [error.message]}) from None
    return _level(bom, amount, uom, in_bom_unit, 0)
