"""The purchasing demo: requests for quotation and purchase orders in every state — a draft
RFQ, one sent, an order partly received (its backorder still expected), one received and
billed at a higher price than ordered (the three-way match flags it), a cancelled one and a
drop-shipped order — bought for warehouse AMS from the catalog's suppliers.

Runs after the catalog (products, supplier prices), the ledger and inventory (warehouse
AMS); without them it skips with a message. Re-running creates only what is missing: each
order is known by its note.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.models import Product
from kantoor.catalog.selectors import supplier_price_for
from kantoor.core import demo
from kantoor.core.demo import DEMO_DOMAIN
from kantoor.core.models import Company, User
from kantoor.finance import invoicing
from kantoor.finance.models import Account, InvoiceLine
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Move, Transfer, TransferState, Warehouse
from kantoor.parties.models import Party, PartyRoleType
from kantoor.purchasing import services
from kantoor.purchasing.models import PurchaseOrder

log = logging.getLogger(__name__)

WAREHOUSE = "AMS"


@dataclass(frozen=True)
class DemoOrder:
    """An order of the demo: its note (the natural key), what it buys and how far it goes."""

    note: str
    lines: tuple[tuple[str, str], ...]  # (SKU, quantity in the purchase unit)
    stage: str  # draft, sent, partial, billed, cancelled, dropship
    received: str = ""  # for "partial": how much of the first line came in


DEMO_ORDERS = (
    DemoOrder("Demo: paper for the new quarter", (("PAP-A4-80", "10"), ("PAP-A4-RC", "5")), "draft"),
    DemoOrder("Demo: pens and markers", (("PEN-BP-BL", "20"), ("MRK-HL-4", "30")), "sent"),
    DemoOrder("Demo: keyboards for the new hires", (("KBD-WL-NL", "20"),), "partial", received="12"),
    DemoOrder("Demo: mice and chairs, billed dearer", (("MSE-WL", "30"), ("CHR-ERGO", "2")), "billed"),
    DemoOrder("Demo: cables, no longer needed", (("CBL-HDMI-2", "50"),), "cancelled"),
    DemoOrder("Demo: sit-stand desk straight to the customer", (("DSK-SITSTAND", "1"),), "dropship"),
)
# The supplier of the "billed" order charges this much more per mouse than ordered.
BILLED_SURCHARGE = Decimal("0.60")


@demo.register("purchasing", order=70)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """RFQs and orders in every state, where missing."""
    advance = progress(_("Purchasing"), len(DEMO_ORDERS))
    warehouse = Warehouse.objects.filter(company=company, code=WAREHOUSE).first()
    products = {p.sku: p for p in Product.objects.filter(company=company).select_related("purchase_uom")}
    needed = {sku for spec in DEMO_ORDERS for sku, _quantity in spec.lines}
    if (
        warehouse is None
        or not needed <= set(products)
        or not Account.objects.filter(company=company).exists()
    ):
        log.warning(
            "purchasing demo skipped: it needs warehouse %s (inventory demo), the catalog's products "
            "(%s) and the chart of accounts (finance demo)",
            WAREHOUSE,
            ", ".join(sorted(needed - set(products))) or "present",
        )
        advance(len(DEMO_ORDERS))
        return
    existing = set(PurchaseOrder.objects.filter(company=company).values_list("notes", flat=True))
    customer = (
        Party.objects.filter(company=company, roles__role=PartyRoleType.CUSTOMER, is_archived=False)
        .order_by("normalized_name", "id")
        .first()
    )
    for spec in DEMO_ORDERS:
        if spec.note not in existing and (spec.stage != "dropship" or customer is not None):
            _order_load(spec, users, warehouse, products, customer)
        advance(1)


@transaction.atomic
def _order_load(
    spec: DemoOrder,
    users: Mapping[str, User],
    warehouse: Warehouse,
    products: Mapping[str, Product],
    customer: Party | None,
) -> None:
    buyer, accountant = users["operations"], users["finance"]
    today = timezone.localdate()
    first = products[spec.lines[0][0]]
    price = supplier_price_for(first, None, Decimal(spec.lines[0][1]), today)
    if price is None:
        return
    order = services.rfq_create(
        actor=buyer,
        supplier_id=price.supplier_id,
        warehouse_id=warehouse.pk,
        dropship_customer_id=customer.pk if spec.stage == "dropship" and customer else None,
        notes=spec.note,
        lines=[
            services.OrderLineIn(product_id=products[sku].pk, quantity=quantity)
            for sku, quantity in spec.lines
        ],
    )
    if spec.stage == "draft":
        return
    if spec.stage == "sent":
        has_email = order.supplier.contact_points.filter(kind="email").exists()
        services.rfq_send(actor=buyer, order_id=order.pk, to=None if has_email else [f"inkoop@{DEMO_DOMAIN}"])
        return
    if spec.stage == "cancelled":
        services.order_cancel(actor=buyer, order_id=order.pk)
        return
    order = services.order_confirm(actor=buyer, order_id=order.pk)
    receipt = Transfer.objects.filter(origin=order.number, state=TransferState.READY).order_by("id").first()
    if receipt is None:
        return
    if spec.stage == "partial":
        move = Move.objects.filter(transfer=receipt).order_by("id").first()
        assert move is not None  # noqa: S101 - a receipt has a move per line
        inventory.transfer_validate(
            actor=buyer,
            transfer_id=receipt.pk,
            done=[inventory.DoneIn(move_id=move.pk, quantity=spec.received)],
        )
        return
    inventory.transfer_validate(actor=buyer, transfer_id=receipt.pk)
    if spec.stage != "billed":
        return
    bill = services.bill_create_from_order(actor=accountant, order_id=order.pk)
    lines = list(InvoiceLine.objects.filter(invoice=bill).order_by("sequence"))
    # The supplier billed the mice dearer than ordered: the accountant books the bill as it
    # came (the three-way match then flags the difference).
    bill = invoicing.invoice_update(
        actor=accountant,
        invoice_id=bill.pk,
        version=bill.version,
        lines=[
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price + (BILLED_SURCHARGE if index == 0 else 0),
                "discount": line.discount,
                "account_id": line.account_id,
                "tax_id": line.tax_id,
                "product_code": line.product_code,
            }
            for index, line in enumerate(lines)
        ],
    )
    invoicing.invoice_post(actor=accountant, invoice_id=bill.pk)
    services.order_done_check(order_id=order.pk)
