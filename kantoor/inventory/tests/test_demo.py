"""The inventory demo step: warehouses, receipts, deliveries in every state, a return and
two counts, after the parties, catalog and finance steps — re-runnable without change."""

from __future__ import annotations

from collections import Counter

import pytest

from kantoor.core import demo as core_demo
from kantoor.inventory.models import CountState, InventoryCount, Quant, Transfer, Warehouse
from kantoor.inventory.reports import stock_accounts_balance, stock_value, valuation_verify

pytestmark = pytest.mark.django_db


def load() -> int:
    loaded = core_demo.demo_company_load()
    steps = {step.name: step for step in core_demo.steps()}
    for name, options in (("parties", {"parties": 40}), ("catalog", {}), ("finance", {}), ("inventory", {})):
        steps[name].load(
            loaded.company, loaded.users, core_demo.step_random(name), lambda *_: lambda n=1: None, options
        )
    return loaded.company.pk


def snapshot(company_id: int) -> list[list[tuple[object, ...]]]:
    return [
        list(
            Transfer.objects.filter(company_id=company_id)
            .order_by("pk")
            .values_list("number", "kind", "state")
        ),
        list(
            Quant.objects.filter(company_id=company_id).order_by("pk").values_list("product_id", "quantity")
        ),
        list(
            InventoryCount.objects.filter(company_id=company_id).order_by("pk").values_list("number", "state")
        ),
    ]


def test_the_inventory_demo_shows_every_state_once() -> None:
    company_id = load()
    before = snapshot(company_id)
    load()
    assert snapshot(company_id) == before
    assert list(Warehouse.objects.filter(company_id=company_id).values_list("code", "delivery_steps")) == [
        ("AMS", 1),
        ("RTM", 3),
    ]
    deliveries = Counter(
        Transfer.objects.filter(company_id=company_id, kind="delivery").values_list("state", flat=True)
    )
    assert deliveries == Counter({"done": 2, "draft": 2, "waiting": 1, "ready": 2})
    assert (
        Transfer.objects.filter(company_id=company_id, kind="delivery", backorder_of__isnull=False).count()
        == 1
    )
    assert Transfer.objects.filter(company_id=company_id, kind="return_in", state="done").count() == 1
    assert Transfer.objects.filter(company_id=company_id, kind="pick", state="ready").count() == 1
    assert sorted(InventoryCount.objects.filter(company_id=company_id).values_list("state", flat=True)) == [
        CountState.DONE,
        CountState.DRAFT,
    ]
    # The stock value equals the stock accounts.
    assert stock_accounts_balance(company_id) == stock_value(company_id)
    assert valuation_verify(company_id) == []
