"""Demo inventory: two warehouses (Amsterdam receives and delivers in one step, Rotterdam
receives in two — input, then a put-away to stock — and delivers in three: pick, pack,
ship) with shelves; receipts done from the demo's suppliers of the catalog's stocked
products (laptops with serial numbers, toner by lot); deliveries to customers in every
state (draft, waiting for stock, ready, done, done in part with a backorder, a three-step
delivery being picked); Rotterdam's put-aways, done but one still open; a customer's return;
an inventory count applied and one in progress.

Runs after the catalog (its products) and finance (the chart and this year, to which stock
moves are booked). Created through the services as the operations user would; a re-run
creates only what is missing (warehouses by code, shelves by name, transfers by origin,
counts by location) and draws the same random numbers, so it changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from kantoor.catalog.demo import PRODUCTS
from kantoor.catalog.models import Product, Tracking
from kantoor.core import demo
from kantoor.core.errors import ConflictError
from kantoor.core.models import Company, User
from kantoor.inventory import counts, returns, services
from kantoor.inventory.models import InventoryCount, Location, Move, Transfer, Warehouse
from kantoor.parties.models import Party, PartyRoleType

# Code, name, delivery steps, receipt steps.
WAREHOUSES = [("AMS", "Amsterdam", 1, 1), ("RTM", "Rotterdam", 3, 2)]
SHELVES = {"AMS": ["A1", "A2", "B1"], "RTM": ["R1", "R2"]}
# Receipts by warehouse and origin: the SKUs each brings in (quantities are drawn).
RECEIPTS = [
    ("AMS", "DEMO-IN-01", ["PAP-A4-80", "PAP-A3-80", "PAP-A4-RC", "PAP-ROLL-57", "NOTE-A5-LN", "POSTIT-76"]),
    ("AMS", "DEMO-IN-02", ["PEN-BP-BL", "PEN-GEL-BK", "MRK-HL-4", "FLD-LEVER-80", "STP-24-6", "STPL-DESK"]),
    ("AMS", "DEMO-IN-03", ["LAP-14-PRO", "MON-27-QHD", "KBD-WL-NL", "MSE-WL", "TNR-K-410", "TNR-C-410"]),
    ("AMS", "DEMO-IN-04", ["CBL-HDMI-2", "CBL-USBC-1", "CBL-CAT6", "PWR-STRIP-6", "CHR-ERGO", "HS-USB-DUO"]),
    ("RTM", "DEMO-IN-05", ["PAP-A4-80", "LAP-15-BIZ", "DOCK-USBC", "INK-302-BK", "DSK-SITSTAND", "MSE-WL"]),
]
# A receipt into Rotterdam's input whose put-away is left open (ready): SKU, quantity.
OPEN_PUTAWAY = ("RTM", "DEMO-IN-06", [("INK-302-BK", 24), ("MSE-WL", 6)])
SERIAL_QUANTITY = 4  # units of each serial-numbered product received (one serial number each)


@dataclass(frozen=True)
class DemoDelivery:
    origin: str
    warehouse: str
    lines: list[tuple[str, str]]  # SKU, quantity
    state: str  # draft, waiting, ready, done, partial (done in part: a backorder), picking


DELIVERIES = [
    DemoDelivery("DEMO-OUT-01", "AMS", [("PAP-A4-80", "20"), ("PEN-BP-BL", "4")], "draft"),
    DemoDelivery("DEMO-OUT-02", "AMS", [("CHR-ERGO", "500")], "waiting"),
    DemoDelivery("DEMO-OUT-03", "AMS", [("PAP-A3-80", "5"), ("STPL-DESK", "2")], "ready"),
    DemoDelivery("DEMO-OUT-04", "AMS", [("PAP-A4-RC", "10"), ("MRK-HL-4", "6"), ("KBD-WL-NL", "3")], "done"),
    DemoDelivery("DEMO-OUT-05", "AMS", [("NOTE-A5-LN", "12"), ("FLD-LEVER-80", "8")], "partial"),
    DemoDelivery("DEMO-OUT-06", "RTM", [("PAP-A4-80", "15"), ("MSE-WL", "2")], "picking"),
]


def _parties(company: Company, role: str) -> list[Party]:
    return list(
        Party.objects.filter(company=company, merged_into__isnull=True, is_archived=False, roles__role=role)
        .order_by("normalized_name", "id")
        .distinct()[:8]
    )


@demo.register("inventory", order=60)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """Warehouses, shelves, receipts, deliveries in every state, a return and two counts."""
    keeper = users["operations"]
    advance = progress(_("Inventory"), len(RECEIPTS) + len(DELIVERIES) + 5)
    # Drawn before anything is created, so they do not depend on what exists already.
    quantities = {(origin, sku): rng.randint(4, 12) * 10 for _wh, origin, skus in RECEIPTS for sku in skus}
    receipt_suppliers = {origin: rng.random() for _wh, origin, _skus in RECEIPTS}
    delivery_customers = {spec.origin: rng.random() for spec in DELIVERIES}
    count_offsets = [rng.choice([-3, -2, -1, 1, 2]) for _index in range(3)]

    skus = {spec.sku for spec in PRODUCTS}
    products = {p.sku: p for p in Product.objects.filter(company=company, sku__in=skus)}
    missing = sorted(skus - set(products))
    suppliers = _parties(company, PartyRoleType.SUPPLIER)
    customers = _parties(company, PartyRoleType.CUSTOMER)
    if missing or not suppliers or not customers:
        raise ConflictError(
            _("The inventory demo needs the catalog's products and the demo's suppliers and customers.")
        )
    warehouses = _warehouses_load(company, keeper)
    advance(1)
    done = set(Transfer.objects.filter(company=company).exclude(origin="").values_list("origin", flat=True))
    for code, origin, receipt_skus in RECEIPTS:
        if origin not in done:
            supplier = suppliers[int(receipt_suppliers[origin] * len(suppliers))]
            _receipt(
                keeper, warehouses[code], supplier, origin, [products[s] for s in receipt_skus], quantities
            )
        advance(1)
    _putaways_load(company, keeper, warehouses, suppliers[0], products, done)
    advance(1)
    for spec in DELIVERIES:
        if spec.origin not in done:
            customer = customers[int(delivery_customers[spec.origin] * len(customers))]
            _delivery(keeper, warehouses[spec.warehouse], customer, spec, products)
        advance(1)
    _return_load(company, keeper)
    advance(1)
    _counts_load(company, keeper, warehouses, products, count_offsets)
    advance(2)


def _warehouses_load(company: Company, keeper: User) -> dict[str, Warehouse]:
    warehouses = {w.code: w for w in Warehouse.objects.filter(company=company)}
    for code, name, steps, receipt_steps in WAREHOUSES:
        if code not in warehouses:
            warehouses[code] = services.warehouse_create(
                actor=keeper, code=code, name=name, delivery_steps=steps, receipt_steps=receipt_steps
            )
    names = set(Location.objects.filter(company=company).values_list("full_name", flat=True))
    for code, shelves in SHELVES.items():
        stock = warehouses[code].stock_location
        assert stock is not None  # noqa: S101 - made with the warehouse
        for shelf in shelves:
            if f"{stock.full_name}/{shelf}" not in names:
                services.location_create(
                    actor=keeper, parent_id=stock.pk, name=shelf, barcode=f"{code}-{shelf}"
                )
    return warehouses


def _receipt(
    keeper: User,
    warehouse: Warehouse,
    supplier: Party,
    origin: str,
    products: list[Product],
    quantities: Mapping[tuple[str, str], int],
) -> None:
    """A receipt at the products' cost, done: serial-numbered products come in a few units,
    each with its serial number; lots are named after the receipt."""
    lines = []
    for product in products:
        serial = product.tracking == Tracking.SERIAL
        quantity = SERIAL_QUANTITY if serial else quantities[(origin, product.sku)]
        lot = f"L{origin[-2:]}-{product.sku}" if product.tracking == Tracking.LOT else ""
        lines.append(
            services.MoveIn(product_id=product.pk, quantity=quantity, unit_cost=product.cost, lot=lot)
        )
    receipt = services.transfer_create(
        actor=keeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        party_id=supplier.pk,
        origin=origin,
        lines=lines,
    )
    done: list[services.DoneIn] = []
    shelf = Location.objects.filter(parent_id=warehouse.stock_location_id).order_by("full_name").first()
    for move in Move.objects.filter(transfer=receipt).select_related("product", "lot").order_by("id"):
        if move.product.tracking == Tracking.SERIAL:
            done.extend(
                services.DoneIn(
                    move_id=move.pk, quantity=1, lot=f"SN-{move.product.sku}-{origin[-2:]}{n:03d}"
                )
                for n in range(1, SERIAL_QUANTITY + 1)
            )
        else:
            # The paper goes on the first shelf; the rest stays in the stock location itself.
            # (Not in a two-step warehouse: its receipts go to the input, not on a shelf.)
            on_shelf = (
                shelf is not None and move.product.sku.startswith("PAP-") and warehouse.receipt_steps == 1
            )
            done.append(
                services.DoneIn(
                    move_id=move.pk,
                    quantity=move.quantity,
                    lot=move.lot.name if move.lot else "",
                    location_id=shelf.pk if on_shelf and shelf else None,
                )
            )
    services.transfer_validate(actor=keeper, transfer_id=receipt.pk, done=done)


def _putaways_load(
    company: Company,
    keeper: User,
    warehouses: Mapping[str, Warehouse],
    supplier: Party,
    products: Mapping[str, Product],
    done: set[str],
) -> None:
    """Rotterdam receives in two steps: the put-aways of its receipts are done (its stock is
    what the deliveries and the count take), except that of one more receipt, left ready."""
    code, origin, lines = OPEN_PUTAWAY
    receipts = Transfer.objects.filter(
        company=company, warehouse=warehouses[code], kind="receipt", state="done"
    ).exclude(origin=origin)
    open_putaways = Transfer.objects.filter(
        company=company,
        kind="internal",
        origin__in=list(receipts.values_list("number", flat=True)),
        state__in=["waiting", "ready"],
    ).order_by("id")
    for putaway in open_putaways:
        services.transfer_validate(actor=keeper, transfer_id=putaway.pk)
    if origin not in done:
        services.transfer_record(
            actor=keeper,
            kind="receipt",
            warehouse_id=warehouses[code].pk,
            party_id=supplier.pk,
            origin=origin,
            lines=[
                services.MoveIn(
                    product_id=products[sku].pk,
                    quantity=quantity,
                    unit_cost=products[sku].cost,
                    lot=f"L{origin[-2:]}-{sku}" if products[sku].tracking == Tracking.LOT else "",
                )
                for sku, quantity in lines
            ],
        )


def _delivery(
    keeper: User, warehouse: Warehouse, customer: Party, spec: DemoDelivery, products: Mapping[str, Product]
) -> None:
    delivery = services.transfer_create(
        actor=keeper,
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        origin=spec.origin,
        lines=[
            services.MoveIn(product_id=products[sku].pk, quantity=quantity) for sku, quantity in spec.lines
        ],
    )
    if spec.state == "draft":
        return
    if spec.state == "picking":
        # The pick transfer (stock → packing) is the first step: it is confirmed, not done.
        pick = Transfer.objects.filter(next_transfer__next_transfer=delivery).first()
        if pick is not None:
            services.transfer_confirm(actor=keeper, transfer_id=pick.pk)
        return
    services.transfer_confirm(actor=keeper, transfer_id=delivery.pk)
    if spec.state in ("waiting", "ready"):
        return
    done = None
    if spec.state == "partial":
        # Half of each line now; the rest goes on a backorder.
        done = [
            services.DoneIn(move_id=move.pk, quantity=(move.quantity / 2).quantize(Decimal(1)))
            for move in Move.objects.filter(transfer=delivery).order_by("id")
        ]
    services.transfer_validate(actor=keeper, transfer_id=delivery.pk, done=done)


def _return_load(company: Company, keeper: User) -> None:
    """The customer of DEMO-OUT-04 sends two highlighter sets back; they are back in stock."""
    delivery = Transfer.objects.filter(company=company, origin="DEMO-OUT-04", state="done").first()
    if delivery is None or Transfer.objects.filter(return_of=delivery).exists():
        return
    move = Move.objects.filter(transfer=delivery, product__sku="MRK-HL-4").first()
    if move is None:
        return
    back = returns.transfer_return(actor=keeper, transfer_id=delivery.pk, lines=[(move.pk, "2")])
    services.transfer_confirm(actor=keeper, transfer_id=back.pk)
    services.transfer_validate(actor=keeper, transfer_id=back.pk)


def _counts_load(
    company: Company,
    keeper: User,
    warehouses: Mapping[str, Warehouse],
    products: Mapping[str, Product],
    offsets: list[int],
) -> None:
    """A cycle count of three products in Amsterdam, applied (small differences either
    way), and a full count of Rotterdam's stock in progress (half of it counted)."""
    ams_stock, rtm_stock = warehouses["AMS"].stock_location_id, warehouses["RTM"].stock_location_id
    assert ams_stock is not None  # noqa: S101 - made with the warehouse
    assert rtm_stock is not None  # noqa: S101
    if not InventoryCount.objects.filter(company=company, location_id=ams_stock).exists():
        skus = ["PEN-GEL-BK", "STP-24-6", "CBL-CAT6"]
        count = counts.count_create(
            actor=keeper, location_id=ams_stock, product_ids=[products[s].pk for s in skus]
        )
        for line, offset in zip(count.lines.order_by("product__sku", "id"), offsets, strict=False):
            counted = max(Decimal(0), line.expected_quantity + offset)
            counts.count_line_set(actor=keeper, count_id=count.pk, line_id=line.pk, counted_quantity=counted)
        counts.count_apply(actor=keeper, count_id=count.pk)
    if not InventoryCount.objects.filter(company=company, location_id=rtm_stock).exists():
        count = counts.count_create(actor=keeper, location_id=rtm_stock)
        for index, line in enumerate(count.lines.order_by("product__sku", "lot__name", "id")):
            if index % 2 == 0:
                counts.count_line_set(
                    actor=keeper, count_id=count.pk, line_id=line.pk, counted_quantity=line.expected_quantity
                )
