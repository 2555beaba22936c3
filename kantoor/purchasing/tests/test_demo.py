"""The purchasing demo step: orders in every state, a price difference flagged — re-runnable;
skipped with a message without the inventory demo's warehouse."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kantoor.core import demo as core_demo
from kantoor.inventory.models import Warehouse
from kantoor.purchasing import selectors
from kantoor.purchasing.demo import DEMO_ORDERS
from kantoor.purchasing.models import PurchaseOrder

pytestmark = pytest.mark.django_db


def load(*names: str) -> Any:
    loaded = core_demo.demo_company_load()
    steps = {step.name: step for step in core_demo.steps()}
    for name in names:
        options = {"parties": 40} if name == "parties" else {}
        steps[name].load(
            loaded.company, loaded.users, core_demo.step_random(name), lambda *_: lambda n=1: None, options
        )
    return loaded


def test_the_demo_makes_orders_in_every_state_once(caplog: Any) -> None:
    loaded = load("parties", "catalog", "finance")
    load("purchasing")
    assert PurchaseOrder.objects.count() == 0
    assert "purchasing demo skipped" in caplog.text
    load("inventory")
    assert Warehouse.objects.filter(company=loaded.company, code="AMS").exists()
    load("purchasing")
    orders = {order.notes: order for order in PurchaseOrder.objects.all()}
    assert len(orders) == len(DEMO_ORDERS)
    assert Counter(order.state for order in orders.values()) == Counter(
        {"draft": 1, "sent": 1, "confirmed": 2, "done": 1, "cancelled": 1}
    )
    billed = orders["Demo: mice and chairs, billed dearer"]
    assert billed.state == "done"
    flagged = [row for row in selectors.three_way_match(billed) if row.price_differs]
    assert [row.line.product.sku for row in flagged] == ["MSE-WL"]
    partial = orders["Demo: keyboards for the new hires"]
    assert [str(row.received.normalize()) for row in selectors.three_way_match(partial)] == ["12"]
    assert orders["Demo: sit-stand desk straight to the customer"].dropship_customer_id is not None
    load("purchasing")
    assert PurchaseOrder.objects.count() == len(DEMO_ORDERS)
