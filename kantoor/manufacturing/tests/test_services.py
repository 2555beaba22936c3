"""Work centres, bills of materials and production orders: exact costs (components plus
work), partial runs, by-products, scrap, cycles and units refused, permissions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog.models import Tracking
from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import AuditEntry
from kantoor.finance.models import AccountRole
from kantoor.inventory.models import Lot, Move, MoveState, ProductValuation, Transfer, TransferState
from kantoor.inventory.tests.conftest import STOCK, balance, on_hand
from kantoor.manufacturing import services
from kantoor.manufacturing.errors import (
    BomCycleError,
    BomInvalidError,
    ProductionInvalidError,
    ProductionStateError,
    WorkCentreInvalidError,
)
from kantoor.manufacturing.models import (
    BillOfMaterials,
    BomComponent,
    ProductionOrder,
    ProductionState,
    WorkCentre,
)

pytestmark = pytest.mark.django_db


def order_for(planner: Any, bom: BillOfMaterials, warehouse: Any, quantity: str = "2") -> ProductionOrder:
    return services.production_order_create(
        actor=planner, bom_id=bom.pk, warehouse_id=warehouse.pk, quantity=quantity
    )


def output_values(order: ProductionOrder) -> dict[str, Decimal]:
    values: dict[str, Decimal] = {}
    for move in Move.objects.filter(transfer__in=order.output_transfers.all()).select_related("product"):
        values[move.product.sku] = values.get(move.product.sku, Decimal(0)) + move.value
    return values


def test_a_table_costs_its_components_plus_the_work(
    planner: Any, table_bom: BillOfMaterials, warehouse: Any, parts: dict[str, Any], books: Any
) -> None:
    # given an order for 2 tables, confirmed: its components reserved
    order = order_for(planner, table_bom, warehouse)
    assert order.number == f"MO-{order.scheduled_date.year}-00001"
    order = services.production_order_confirm(actor=planner, order_id=order.pk)
    assert (order.state, order.availability) == (ProductionState.CONFIRMED, "ready")
    moves = Move.objects.filter(transfer=order.component_transfer)
    assert sorted((m.product.sku, m.quantity, m.state) for m in moves) == [
        ("PLANK", Decimal("8"), MoveState.RESERVED),
        ("SCREW", Decimal("40"), MoveState.RESERVED),
    ]
    # when both are made, with the BOM's hours
    order = services.production_order_produce(actor=planner, order_id=order.pk, quantity="2")
    # then 8 planks × 4 + 40 screws × 0.05 = 34, plus 2 × 0.5 h × 40 = 40 of work: 74
    assert order.state == ProductionState.DONE
    assert (order.components_cost, order.work_cost, order.cost) == (
        Decimal("34.00"),
        Decimal("40.00"),
        Decimal("74.00"),
    )
    assert order.hours_worked == Decimal("1")
    assert order.component_transfer is None
    assert output_values(order) == {"TABLE": Decimal("74.00")}
    table = table_bom.product
    assert on_hand(table) == Decimal("2")
    assert (on_hand(parts["plank"]), on_hand(parts["screw"])) == (Decimal("2"), Decimal("60"))
    assert ProductValuation.objects.get(product=table).value == Decimal("74.00")
    # the work is absorbed from production: stock grew by the work only
    assert balance(books, STOCK) == Decimal("45.00") + Decimal("40.00")
    assert balance(books, AccountRole.PRODUCTION) == Decimal("-40.00")


def test_partial_runs_keep_the_order_in_progress_and_consume_their_share(
    planner: Any, table_bom: BillOfMaterials, warehouse: Any, parts: dict[str, Any], bench: WorkCentre
) -> None:
    order = services.production_order_confirm(
        actor=planner, order_id=order_for(planner, table_bom, warehouse).pk
    )
    first = order.component_transfer
    # when one table of two is made, with 0.75 hours really worked
    order = services.production_order_produce(
        actor=planner,
        order_id=order.pk,
        quantity="1",
        hours=[services.HoursIn(work_centre_id=bench.pk, hours="0.75")],
    )
    # then half the components are consumed (17), the rest stays reserved on a backorder
    assert (order.state, order.produced_quantity) == (ProductionState.IN_PROGRESS, Decimal("1"))
    assert (order.components_cost, order.work_cost) == (Decimal("17.00"), Decimal("30.00"))
    assert order.component_transfer is not None
    assert order.component_transfer.backorder_of_id == first.pk
    assert sorted(
        Move.objects.filter(transfer=order.component_transfer).values_list("quantity", "state")
    ) == [(Decimal("4"), MoveState.RESERVED), (Decimal("20"), MoveState.RESERVED)]
    assert order.availability == "ready"
    # when the second is made: the rest of the components, the BOM's half hour
    order = services.production_order_produce(actor=planner, order_id=order.pk, quantity="1")
    assert order.state == ProductionState.DONE
    assert (order.components_cost, order.work_cost, order.hours_worked) == (
        Decimal("34.00"),
        Decimal("50.00"),
        Decimal("1.25"),
    )
    assert output_values(order) == {"TABLE": Decimal("84.00")}
    assert order.output_transfers.count() == 2
    assert (on_hand(parts["plank"]), on_hand(parts["screw"])) == (Decimal("2"), Decimal("60"))
    with pytest.raises(ProductionStateError):
        services.production_order_produce(actor=planner, order_id=order.pk, quantity="1")


def test_more_than_is_left_is_refused_and_nothing_written(
    planner: Any, table_bom: BillOfMaterials, warehouse: Any
) -> None:
    order = services.production_order_confirm(
        actor=planner, order_id=order_for(planner, table_bom, warehouse).pk
    )
    moves, audits = Move.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ProductionInvalidError, match="At most 2 is left to make"):
        services.production_order_produce(actor=planner, order_id=order.pk, quantity="3")
    with pytest.raises(ProductionInvalidError, match="TABLE has no lots"):
        services.production_order_produce(actor=planner, order_id=order.pk, quantity="1", lots=["L1"])
    assert (Move.objects.count(), AuditEntry.objects.count()) == (moves, audits)
    order.refresh_from_db()
    assert (order.state, order.produced_quantity) == (ProductionState.CONFIRMED, Decimal("0"))


def test_by_products_carry_their_cost_share(
    planner: Any,
    parts: dict[str, Any],
    make_product: Any,
    bench: WorkCentre,
    warehouse: Any,
) -> None:
    table, offcut = make_product("TABLE"), make_product("OFFCUT")
    bom = services.bom_create(
        actor=planner,
        product_id=table.pk,
        code="TABLE",
        components=[
            services.ComponentIn(product_id=parts["plank"].pk, quantity="4"),
            services.ComponentIn(product_id=parts["screw"].pk, quantity="20"),
        ],
        by_products=[services.ByProductIn(product_id=offcut.pk, quantity="3", cost_share="10")],
        operations=[services.OperationIn(work_centre_id=bench.pk, name="Assemble", hours="0.5")],
    )
    order = services.production_order_confirm(
        actor=planner, order_id=order_for(planner, bom, warehouse, "1").pk
    )
    order = services.production_order_produce(actor=planner, order_id=order.pk, quantity="1")
    # 16 + 1 of components and 20 of work = 37: 10 % to the offcuts
    assert output_values(order) == {"TABLE": Decimal("33.30"), "OFFCUT": Decimal("3.70")}
    assert order.cost == Decimal("37.00")
    assert on_hand(offcut) == Decimal("3")


def test_scrap_is_added_and_rounded_up_to_the_unit(
    planner: Any, make_product: Any, units: dict[str, Any], receive: Any
) -> None:
    board, glue, shelf = make_product("BOARD"), make_product("GLUE", uom="kg"), make_product("SHELF")
    bom = services.bom_create(
        actor=planner,
        product_id=shelf.pk,
        code="SHELF",
        components=[
            services.ComponentIn(product_id=board.pk, quantity="3", scrap_percent="10"),
            services.ComponentIn(product_id=glue.pk, quantity="333", uom_id=units["g"].pk, scrap_percent="5"),
        ],
    )
    needed = services.bom_explode(actor=planner, bom_id=bom.pk, quantity="1")
    # 3 × 1.1 = 3.3 boards → 4; 333 g × 1.05 = 349.65 g = 0.34965 kg → 0.350 kg
    assert [(n.product.sku, n.quantity) for n in needed] == [
        ("BOARD", Decimal("4")),
        ("GLUE", Decimal("0.3500")),
    ]
    needed = services.bom_explode(actor=planner, bom_id=bom.pk, quantity="10")
    assert [(n.product.sku, n.quantity) for n in needed] == [
        ("BOARD", Decimal("33")),
        ("GLUE", Decimal("3.4970")),
    ]
    # a dozen of them, in dozens
    needed = services.bom_explode(actor=planner, bom_id=bom.pk, quantity="1", uom_id=units["dozen"].pk)
    assert needed[0].quantity == Decimal("40")  # 36 × 1.1 = 39.6


def test_a_bom_that_contains_itself_is_refused_naming_the_path(planner: Any, make_product: Any) -> None:
    table, leg, foot = make_product("TABLE"), make_product("LEG"), make_product("FOOT")
    with pytest.raises(BomCycleError, match="TABLE → TABLE"):
        services.bom_create(
            actor=planner,
            product_id=table.pk,
            code="TABLE",
            components=[services.ComponentIn(product_id=table.pk, quantity="1")],
        )
    services.bom_create(
        actor=planner,
        product_id=table.pk,
        code="TABLE",
        components=[services.ComponentIn(product_id=leg.pk, quantity="4")],
    )
    leg_bom = services.bom_create(
        actor=planner,
        product_id=leg.pk,
        code="LEG",
        components=[services.ComponentIn(product_id=foot.pk, quantity="1")],
    )
    before = BomComponent.objects.count()
    with pytest.raises(BomCycleError, match="LEG → TABLE → LEG") as refused:
        services.bom_update(
            actor=planner,
            bom_id=leg_bom.pk,
            components=[
                services.ComponentIn(product_id=foot.pk, quantity="1"),
                services.ComponentIn(product_id=table.pk, quantity="1"),
            ],
        )
    assert refused.value.extra == {"path": "LEG → TABLE → LEG"}
    with pytest.raises(BomCycleError, match="FOOT → TABLE → LEG → FOOT"):
        services.bom_create(
            actor=planner,
            product_id=foot.pk,
            code="FOOT",
            components=[services.ComponentIn(product_id=table.pk, quantity="1")],
        )
    assert BomComponent.objects.count() == before
    assert list(BillOfMaterials.objects.values_list("code", flat=True)) == ["LEG", "TABLE"]


def test_units_of_another_kind_are_refused(planner: Any, make_product: Any, units: dict[str, Any]) -> None:
    table, plank = make_product("TABLE"), make_product("PLANK")
    with pytest.raises(BomInvalidError, match="kg cannot be converted into pc") as refused:
        services.bom_create(
            actor=planner,
            product_id=table.pk,
            code="TABLE",
            components=[services.ComponentIn(product_id=plank.pk, quantity="4", uom_id=units["kg"].pk)],
        )
    assert refused.value.field_errors == {
        "components.0.uom_id": ["kg cannot be converted into pc: they measure different things."]
    }
    with pytest.raises(BomInvalidError, match="Add at least one component"):
        services.bom_create(actor=planner, product_id=table.pk, code="TABLE", components=[])
    assert not BillOfMaterials.objects.exists()


def test_bom_update_replaces_the_lines_and_checks_the_version(
    planner: Any, table_bom: BillOfMaterials, parts: dict[str, Any]
) -> None:
    bom = services.bom_update(
        actor=planner,
        bom_id=table_bom.pk,
        version=1,
        name="Table, sturdy",
        components=[services.ComponentIn(product_id=parts["plank"].pk, quantity="5")],
    )
    assert (bom.version, bom.name) == (2, "Table, sturdy")
    assert list(bom.components.values_list("product__sku", "quantity")) == [("PLANK", Decimal("5"))]
    assert bom.operations.count() == 1  # not given: kept
    with pytest.raises(Exception, match="changed by someone else"):
        services.bom_update(actor=planner, bom_id=bom.pk, version=1, name="x")


def test_serial_numbered_goods_get_one_serial_per_unit(
    planner: Any, parts: dict[str, Any], make_product: Any, warehouse: Any
) -> None:
    cabinet = make_product("CABINET", tracking=Tracking.SERIAL)
    bom = services.bom_create(
        actor=planner,
        product_id=cabinet.pk,
        code="CABINET",
        components=[services.ComponentIn(product_id=parts["plank"].pk, quantity="2")],
    )
    order = services.production_order_confirm(
        actor=planner, order_id=order_for(planner, bom, warehouse, "2").pk
    )
    with pytest.raises(ProductionInvalidError, match="Enter 2 different serial numbers for CABINET"):
        services.production_order_produce(actor=planner, order_id=order.pk, quantity="2", lots=["C-1", "C-1"])
    order = services.production_order_produce(
        actor=planner, order_id=order.pk, quantity="2", lots=["C-1", "C-2"]
    )
    assert sorted(Lot.objects.filter(product=cabinet).values_list("name", flat=True)) == ["C-1", "C-2"]
    assert on_hand(cabinet) == Decimal("2")


def test_lot_tracked_components_are_consumed_from_the_lots_reserved(
    planner: Any, make_product: Any, receive: Any, warehouse: Any
) -> None:
    resin = make_product("RESIN", tracking=Tracking.LOT)
    receive((resin, "3", "2", "R-1"))
    receive((resin, "5", "3", "R-2"))
    board = make_product("BOARD", tracking=Tracking.LOT)
    bom = services.bom_create(
        actor=planner,
        product_id=board.pk,
        code="BOARD",
        components=[services.ComponentIn(product_id=resin.pk, quantity="2")],
    )
    order = services.production_order_confirm(
        actor=planner, order_id=order_for(planner, bom, warehouse, "2").pk
    )
    order = services.production_order_produce(actor=planner, order_id=order.pk, quantity="2")
    # R-1's 3 and one of R-2, valued at the average cost (21.00 for 8): 4 × 2.625; the
    # boards in one lot named after the order
    assert order.components_cost == Decimal("10.50")
    lots = dict(
        Move.objects.filter(transfer__origin=order.number, state=MoveState.DONE, product=resin).values_list(
            "lot__name", "quantity"
        )
    )
    assert lots == {"R-1": Decimal("3"), "R-2": Decimal("1")}
    assert list(Lot.objects.filter(product=board).values_list("name", flat=True)) == [order.number]


def test_tracked_components_not_reserved_are_refused_and_nothing_written(
    planner: Any, make_product: Any, receive: Any, warehouse: Any
) -> None:
    resin = make_product("RESIN", tracking=Tracking.LOT)
    receive((resin, "1", "2", "R-1"))
    board = make_product("BOARD")
    bom = services.bom_create(
        actor=planner,
        product_id=board.pk,
        code="BOARD",
        components=[services.ComponentIn(product_id=resin.pk, quantity="2")],
    )
    order = services.production_order_confirm(
        actor=planner, order_id=order_for(planner, bom, warehouse, "1").pk
    )
    assert order.availability == "waiting"
    moves, audits = Move.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ProductionStateError, match="RESIN is not reserved yet: check availability first"):
        services.production_order_produce(actor=planner, order_id=order.pk, quantity="1")
    assert (Move.objects.count(), AuditEntry.objects.count()) == (moves, audits)


def test_waiting_components_are_reserved_when_stock_comes_in(
    planner: Any, table_bom: BillOfMaterials, warehouse: Any, parts: dict[str, Any], receive: Any
) -> None:
    order = order_for(planner, table_bom, warehouse, "3")  # 12 planks, 10 in stock
    order = services.production_order_confirm(actor=planner, order_id=order.pk)
    assert order.availability == "waiting"
    receive((parts["plank"], "2", "4"))
    order = services.production_order_check_availability(actor=planner, order_id=order.pk)
    assert order.availability == "ready"


def test_cancel_releases_the_reserved_components(
    planner: Any, table_bom: BillOfMaterials, warehouse: Any, parts: dict[str, Any]
) -> None:
    order = services.production_order_confirm(
        actor=planner, order_id=order_for(planner, table_bom, warehouse).pk
    )
    transfer = order.component_transfer
    order = services.production_order_cancel(actor=planner, order_id=order.pk, version=order.version)
    assert order.state == ProductionState.CANCELLED
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.CANCELLED
    assert not Move.objects.filter(transfer=transfer, state=MoveState.RESERVED).exists()
    with pytest.raises(ProductionStateError, match="cannot become"):
        services.production_order_confirm(actor=planner, order_id=order.pk)


def test_work_centres_are_checked(planner: Any, bench: WorkCentre) -> None:
    with pytest.raises(Exception, match="Work centre BENCH exists already"):
        services.work_centre_create(actor=planner, code="bench", name="Other")
    centre = services.work_centre_update(
        actor=planner, work_centre_id=bench.pk, version=1, cost_per_hour="45.50"
    )
    assert (centre.cost_per_hour, centre.version) == (Decimal("45.50"), 2)
    with pytest.raises(WorkCentreInvalidError) as refused:
        services.work_centre_update(actor=planner, work_centre_id=bench.pk, capacity="25")
    assert refused.value.field_errors == {"capacity": ["A day has at most 24 hours."]}
    assert WorkCentre.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("anonymous", PermissionDeniedError),
        ("no role", PermissionDeniedError),
        ("finance", PermissionDeniedError),
        ("other company", NotFoundError),
        ("operations", None),
    ],
)
def test_only_operations_of_the_company_manages_production(
    who: str,
    error: type[Exception] | None,
    make_user: Any,
    other_company: Any,
    table_bom: BillOfMaterials,
    warehouse: Any,
    planner: Any,
) -> None:
    order = order_for(planner, table_bom, warehouse)
    actor = {
        "anonymous": lambda: None,
        "no role": lambda: make_user(),
        "finance": lambda: make_user("finance"),
        "other company": lambda: make_user("operations", in_company=other_company),
        "operations": lambda: make_user("operations"),
    }[who]()
    if error is None:
        services.production_order_confirm(actor=actor, order_id=order.pk)
        assert ProductionOrder.objects.get(pk=order.pk).state == ProductionState.CONFIRMED
        return
    with pytest.raises(error):
        services.production_order_confirm(actor=actor, order_id=order.pk)
    if who != "other company":
        with pytest.raises(PermissionDeniedError):
            services.work_centre_create(actor=actor, code="X", name="X")
        assert not WorkCentre.objects.filter(code="X").exists()
    assert ProductionOrder.objects.get(pk=order.pk).state == ProductionState.DRAFT
    assert not Transfer.objects.filter(origin=order.number).exists()
