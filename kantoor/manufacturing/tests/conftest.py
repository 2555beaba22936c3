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


@pytest.fixture
def workshop(planner: Any, make_product: Any, bench: WorkCentre) -> dict[str, Any]:
    """A table (BOM TABLE) of a frame and a top, 0.5 h at the bench, 10 % of its cost to an
    offcut; a frame (FRAME) of 4 legs and 8 screws, 0.25 h; a leg (LEG) of 2 wood blocks
    with 10 % scrap, 0.1 h. The bench costs 40 an hour."""
    wood, screw, top = (
        make_product("WOOD", cost="3"),
        make_product("SCREW", cost="0.013"),
        make_product("TOP", cost="25"),
    )
    leg, frame, table = (
        make_product("LEG", cost="9"),
        make_product("FRAME", cost="60"),
        make_product("TABLE", cost="0"),
    )
    offcut = make_product("OFFCUT", cost="0")
    services.bom_create(
        actor=planner,
        product_id=leg.pk,
        code="LEG",
        components=[services.ComponentIn(product_id=wood.pk, quantity="2", scrap_percent="10")],
        operations=[services.OperationIn(work_centre_id=bench.pk, name="Turn", hours="0.1")],
    )
    services.bom_create(
        actor=planner,
        product_id=frame.pk,
        code="FRAME",
        components=[
            services.ComponentIn(product_id=leg.pk, quantity="4"),
            services.ComponentIn(product_id=screw.pk, quantity="8"),
        ],
        operations=[services.OperationIn(work_centre_id=bench.pk, name="Join", hours="0.25")],
    )
    table_bom = services.bom_create(
        actor=planner,
        product_id=table.pk,
        code="TABLE",
        components=[
            services.ComponentIn(product_id=frame.pk, quantity="1"),
            services.ComponentIn(product_id=top.pk, quantity="1"),
        ],
        operations=[services.OperationIn(work_centre_id=bench.pk, name="Assemble", hours="0.5")],
        by_products=[services.ByProductIn(product_id=offcut.pk, quantity="1", cost_share="10")],
    )
    return {
        "bom": table_bom,
        **{p.sku.lower(): p for p in (wood, screw, top, leg, frame, table, offcut)},
    }


def total(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0))
