"""A product made to stock that fell below its minimum gets a draft production order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from kantoor.core.outbox import publish, run_pending_events
from kantoor.inventory.events import StockBelowMinimum
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, ProductionState

pytestmark = pytest.mark.django_db


def announce(company: Any, product_id: int, warehouse_id: int, quantity: str, route: str) -> None:
    with transaction.atomic():
        publish(
            StockBelowMinimum(
                company_id=company.pk,
                rule_id=7,
                product_id=product_id,
                warehouse_id=warehouse_id,
                quantity=quantity,
                route=route,
            )
        )
    run_pending_events()


def test_stock_below_minimum_makes_a_draft_order_after_the_active_bom(
    table_bom: BillOfMaterials, warehouse: Any, company: Any
) -> None:
    announce(company, table_bom.product_id, warehouse.pk, "6", "manufacture")
    order = ProductionOrder.objects.get()
    assert (order.state, order.bom_id, order.quantity, order.warehouse_id, order.origin) == (
        ProductionState.DRAFT,
        table_bom.pk,
        Decimal("6"),
        warehouse.pk,
        "reorder rule 7",
    )
    assert order.created_by is None


def test_buy_route_and_products_without_a_bom_are_skipped(
    table_bom: BillOfMaterials, warehouse: Any, company: Any, parts: dict[str, Any], caplog: Any
) -> None:
    announce(company, table_bom.product_id, warehouse.pk, "6", "buy")
    with caplog.at_level("INFO", logger="kantoor.manufacturing.handlers"):
        announce(company, parts["plank"].pk, warehouse.pk, "6", "manufacture")
    assert not ProductionOrder.objects.exists()
    assert "has no active bill of materials" in caplog.text
