# ruff: noqa: F811 - the fixtures imported from inventory are requested by name below
"""Fixtures of the manufacturing tests: inventory's company, books, warehouse, units and
products (shared), a carpenter's workshop — planks and screws in stock, a table made of
them at a workbench — and the people who plan production (operations)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kantoor.inventory.tests.conftest import (  # noqa: F401 - fixtures shared with inventory
    accountant,
    books,
    customer,
    deliver,
    make_product,
    receive,
    storekeeper,
    supplier,
    units,
    warehouse,
)
from kantoor.manufacturing import services
from kantoor.manufacturing.models import BillOfMaterials, WorkCentre


@pytest.fixture
def planner(storekeeper: Any) -> Any:
    """Operations plans production and keeps the stock."""
    return storekeeper


@pytest.fixture
def bench(planner: Any) -> WorkCentre:
    return services.work_centre_create(
        actor=planner, code="BENCH", name="Workbench", capacity="8", cost_per_hour="40"
    )


@pytest.fixture
def parts(make_product: Callable[..., Any], receive: Callable[..., Any]) -> dict[str, Any]:
    """10 planks at 4, 100 screws at 0.05 in stock."""
    plank, screw = make_product("PLANK"), make_product("SCREW")
    receive((plank, "10", "4"), (screw, "100", "0.05"))
    return {"plank": plank, "screw": screw}


@pytest.fixture
def table_bom(
    planner: Any, parts: dict[str, Any], make_product: Callable[..., Any], bench: WorkCentre
) -> BillOfMaterials:
    """A table: 4 planks, 20 screws and half an hour at the bench."""
    table = make_product("TABLE", cost="0")
    return services.bom_create(
        actor=planner,
        product_id=table.pk,
        code="TABLE",
        components=[
            services.ComponentIn(product_id=parts["plank"].pk, quantity="4"),
            services.ComponentIn(product_id=parts["screw"].pk, quantity="20"),
        ],
        operations=[services.OperationIn(work_centre_id=bench.pk, name="Assemble", hours="0.5")],
    )


def total(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0))
