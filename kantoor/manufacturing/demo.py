"""Demo manufacturing: two work centres (an assembly bench and a packing line), three
products assembled in the Amsterdam warehouse from the catalog's stocked products — a
workstation (monitor, keyboard, mouse, cables; its cardboard comes back as a by-product),
a desk starter kit and a cable set — a workplace bundle made of two of them (a two-level
product: the workstation and the cable set are sub-assemblies with BOMs of their own),
and production orders in every state: draft, confirmed (components ready), confirmed
(waiting for components), in progress (made in part), done and cancelled — and an order
for bundles confirmed with "make what is missing", which ordered the workstations and
cable sets the warehouse lacks (its child orders).

Runs after the catalog (its products) and inventory (the warehouse and its stock).
Created through the services as the operations user would; a re-run creates only what
is missing (work centres by code, products by SKU, BOMs by code, orders by origin) and
draws no random numbers, so it changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from kantoor.catalog import services as catalog
from kantoor.catalog.models import Product, ProductCategory
from kantoor.core import demo
from kantoor.core.errors import ConflictError
from kantoor.core.models import Company, User
from kantoor.inventory.models import Warehouse
from kantoor.manufacturing import services
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, WorkCentre

WORK_CENTRES = [("ASSY", "Assembly bench", "8", "45"), ("PACK", "Packing line", "16", "30")]
# Made products: SKU, name, category, list price.
MADE = [
    ("WS-ASSY", "Assembled workstation", "IT hardware", "649.00"),
    ("KIT-DESK", "Desk starter kit", "Office supplies", "39.95"),
    ("KIT-CABLE", "Cable set for a workplace", "Cables and accessories", "34.95"),
    ("CARD-RECYCLED", "Recycled cardboard", "Office supplies", "0"),
    ("WS-BUNDLE", "Workplace bundle (workstation and cables)", "IT hardware", "699.00"),
]


@dataclass(frozen=True)
class DemoBom:
    code: str
    product: str
    components: list[tuple[str, str, str]]  # SKU, quantity, scrap %
    operations: list[tuple[str, str, str]]  # work centre, operation, hours
    by_products: list[tuple[str, str, str]]  # SKU, quantity, cost share %


BOMS = [
    DemoBom(
        "WS-ASSY",
        "WS-ASSY",
        [("MON-27-QHD", "1", "0"), ("KBD-WL-NL", "1", "0"), ("MSE-WL", "1", "0"), ("CBL-HDMI-2", "1", "0")],
        [("ASSY", "Assemble and test", "0.75"), ("PACK", "Pack", "0.25")],
        [("CARD-RECYCLED", "1", "1")],
    ),
    DemoBom(
        "KIT-DESK",
        "KIT-DESK",
        [("PEN-BP-BL", "1", "0"), ("NOTE-A5-LN", "2", "0"), ("STPL-DESK", "1", "0"), ("POSTIT-76", "1", "5")],
        [("PACK", "Fill the box", "0.1")],
        [],
    ),
    DemoBom(
        "KIT-CABLE",
        "KIT-CABLE",
        [("CBL-HDMI-2", "1", "0"), ("CBL-USBC-1", "2", "0"), ("CBL-CAT6", "1", "0")],
        [("PACK", "Bundle and label", "0.05")],
        [],
    ),
    # Two levels: both components are made here after their own BOMs above.
    DemoBom(
        "WS-BUNDLE",
        "WS-BUNDLE",
        [("WS-ASSY", "1", "0"), ("KIT-CABLE", "1", "0")],
        [("PACK", "Pack the bundle", "0.2")],
        [],
    ),
]


@dataclass(frozen=True)
class DemoOrder:
    origin: str
    bom: str
    quantity: str
    # draft, ready, waiting, in_progress (how much is made: `produced`), done, cancelled,
    # make (confirmed making what is missing: child orders for the sub-assemblies lacking)
    state: str
    produced: str = "0"


# Made in this order: the order waiting for components comes last, as it reserves what is left.
ORDERS = [
    DemoOrder("DEMO-MO-01", "KIT-CABLE", "2", "done", "2"),
    DemoOrder("DEMO-MO-02", "KIT-DESK", "4", "in_progress", "2"),
    DemoOrder("DEMO-MO-03", "WS-ASSY", "1", "ready"),
    DemoOrder("DEMO-MO-04", "WS-ASSY", "1", "cancelled"),
    DemoOrder("DEMO-MO-05", "KIT-DESK", "3", "draft"),
    DemoOrder("DEMO-MO-07", "WS-BUNDLE", "3", "make"),
    DemoOrder("DEMO-MO-06", "KIT-CABLE", "900", "waiting"),
]


@demo.register("manufacturing", order=70)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """Work centres, made products and their BOMs, production orders in every state."""
    keeper = users["operations"]
    advance = progress(_("Manufacturing"), 3 + len(ORDERS))
    made_skus = {sku for sku, *_rest in MADE}
    needed = {sku for spec in BOMS for sku, _q, _s in spec.components} - made_skus
    products = {p.sku: p for p in Product.objects.filter(company=company, sku__in=needed)}
    warehouse = Warehouse.objects.filter(company=company, code="AMS").first()
    if set(products) != needed or warehouse is None:
        raise ConflictError(_("The manufacturing demo needs the catalog's products and the AMS warehouse."))
    centres = {c.code: c for c in WorkCentre.objects.filter(company=company)}
    for code, name, capacity, cost in WORK_CENTRES:
        if code not in centres:
            centres[code] = services.work_centre_create(
                actor=keeper, code=code, name=name, capacity=capacity, cost_per_hour=cost
            )
    advance(1)
    products.update(_made_products(company, keeper))
    advance(1)
    boms = {b.code: b for b in BillOfMaterials.objects.filter(company=company)}
    for spec in BOMS:
        if spec.code not in boms:
            boms[spec.code] = services.bom_create(
                actor=keeper,
                product_id=products[spec.product].pk,
                code=spec.code,
                components=[
                    services.ComponentIn(product_id=products[sku].pk, quantity=q, scrap_percent=scrap)
                    for sku, q, scrap in spec.components
                ],
                operations=[
                    services.OperationIn(work_centre_id=centres[centre].pk, name=name, hours=hours)
                    for centre, name, hours in spec.operations
                ],
                by_products=[
                    services.ByProductIn(product_id=products[sku].pk, quantity=q, cost_share=share)
                    for sku, q, share in spec.by_products
                ],
            )
    advance(1)
    made = set(ProductionOrder.objects.filter(company=company).values_list("origin", flat=True))
    for order_spec in ORDERS:
        if order_spec.origin not in made:
            _order_load(keeper, warehouse, boms[order_spec.bom], order_spec)
        advance(1)


def _made_products(company: Company, keeper: User) -> dict[str, Product]:
    existing = {p.sku: p for p in Product.objects.filter(company=company, sku__in=[m[0] for m in MADE])}
    categories = dict(ProductCategory.objects.filter(company=company).values_list("name", "pk"))
    for sku, name, category, price in MADE:
        if sku not in existing:
            existing[sku] = catalog.product_create(
                actor=keeper,
                sku=sku,
                name=name,
                category_id=categories.get(category),
                list_price=Decimal(price),
                is_purchased=False,
                is_sold=sku != "CARD-RECYCLED",
            )
    return existing


def _order_load(keeper: User, warehouse: Warehouse, bom: BillOfMaterials, spec: DemoOrder) -> None:
    order = services.production_order_create(
        actor=keeper, bom_id=bom.pk, warehouse_id=warehouse.pk, quantity=spec.quantity, origin=spec.origin
    )
    if spec.state == "draft":
        return
    services.production_order_confirm(actor=keeper, order_id=order.pk, make_components=spec.state == "make")
    if spec.state == "cancelled":
        services.production_order_cancel(actor=keeper, order_id=order.pk)
    elif spec.state in ("in_progress", "done"):
        services.production_order_produce(actor=keeper, order_id=order.pk, quantity=spec.produced)
