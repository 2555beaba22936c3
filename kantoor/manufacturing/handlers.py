"""Reactions to other apps' events: a product made to stock that fell below its minimum
gets a draft production order (the reorder rule's route "manufacture")."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from django.db import transaction

from kantoor.inventory.events import StockBelowMinimum
from kantoor.inventory.models import ReorderRoute
from kantoor.manufacturing import services

log = logging.getLogger(__name__)


@transaction.atomic
def on_stock_below_minimum(event: StockBelowMinimum) -> None:
    """A draft production order for the missing quantity after the product's active BOM;
    planners confirm it. Skipped (with a log line) when the product has no active BOM.
    The outbox delivers an event to this handler once, so no order is made twice."""
    if event.route != ReorderRoute.MANUFACTURE or event.company_id is None:
        return
    try:
        quantity = Decimal(event.quantity)
    except (InvalidOperation, ValueError):
        log.warning("StockBelowMinimum %s: quantity %r is not a number", event.event_id, event.quantity)
        return
    order = services.production_order_for_reorder(
        company_id=event.company_id,
        product_id=event.product_id,
        warehouse_id=event.warehouse_id,
        quantity=quantity,
        origin=f"reorder rule {event.rule_id}",
    )
    if order is None:
        log.info("No production order for product %s: it has no active bill of materials", event.product_id)
