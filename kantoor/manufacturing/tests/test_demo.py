"""The manufacturing demo step: work centres, four BOMs (one of two levels) and production
orders in every state — one confirmed making what is missing, with its child orders —
after the parties, catalog, finance and inventory steps; re-runnable without change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kantoor.core import demo as core_demo
from kantoor.inventory.reports import stock_accounts_balance, stock_value
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, WorkCentre

pytestmark = pytest.mark.django_db

STEPS = (
    ("parties", {"parties": 40}),
    ("catalog", {}),
    ("finance", {}),
    ("inventory", {}),
    ("manufacturing", {}),
)


def load() -> int:
    loaded = core_demo.demo_company_load()
    steps = {step.name: step for step in core_demo.steps()}
    for name, options in STEPS:
        steps[name].load(
            loaded.company, loaded.users, core_demo.step_random(name), lambda *_: lambda n=1: None, options
        )
    return loaded.company.pk


def snapshot(company_id: int) -> list[tuple[object, ...]]:
    return list(
        ProductionOrder.objects.filter(company_id=company_id)
        .order_by("pk")
        .values_list("number", "origin", "state", "produced_quantity", "components_cost", "work_cost")
    )


def test_the_manufacturing_demo_shows_every_state_and_a_rerun_changes_nothing() -> None:
    company_id = load()
    before = snapshot(company_id)
    load()
    assert snapshot(company_id) == before
    assert list(WorkCentre.objects.filter(company_id=company_id).values_list("code", flat=True)) == [
        "ASSY",
        "PACK",
    ]
    assert list(BillOfMaterials.objects.filter(company_id=company_id).values_list("code", flat=True)) == [
        "KIT-CABLE",
        "KIT-DESK",
        "WS-ASSY",
        "WS-BUNDLE",
    ]
    orders = {
        o.origin: o for o in ProductionOrder.objects.filter(company_id=company_id, origin__startswith="DEMO-")
    }
    assert {origin: (o.state, o.availability) for origin, o in orders.items()} == {
        "DEMO-MO-01": ("done", ""),
        "DEMO-MO-02": ("in_progress", "ready"),
        "DEMO-MO-03": ("confirmed", "ready"),
        "DEMO-MO-04": ("cancelled", ""),
        "DEMO-MO-05": ("draft", ""),
        "DEMO-MO-06": ("confirmed", "waiting"),
        "DEMO-MO-07": ("confirmed", "waiting"),
    }
    # the three bundles wait for the workstations and the cable set made for them
    bundle = orders["DEMO-MO-07"]
    children = ProductionOrder.objects.filter(company_id=company_id, origin=bundle.number).order_by("id")
    assert [(c.product.sku, c.quantity, c.state) for c in children] == [
        ("WS-ASSY", Decimal("3"), "confirmed"),
        ("KIT-CABLE", Decimal("1"), "confirmed"),
    ]
    # two cable sets: 0.05 h each at the packing line's 30 an hour
    assert orders["DEMO-MO-01"].work_cost == Decimal("3.00")
    # the goods made keep the stock and the ledger in step
    assert stock_accounts_balance(company_id) == stock_value(company_id)
