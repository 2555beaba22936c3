"""Multi-level bills of materials: the structure and cost of a table made of a frame made of
legs (three levels, scrap, by-products, exact amounts rounded only when shown) and
"make what is missing" — confirming the table orders exactly the frames and legs the
warehouse lacks, every level down, or nothing at all when any of them is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kantoor.catalog.models import Product
from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.tests.api_support import Api, assert_problem, token_for
from kantoor.inventory.errors import TransferInvalidError
from kantoor.inventory.models import Move
from kantoor.inventory.tests.conftest import on_hand
from kantoor.manufacturing import selectors, services
from kantoor.manufacturing.errors import BomInvalidError
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, ProductionState
from kantoor.manufacturing.tests.support import nothing_written

pytestmark = pytest.mark.django_db


def test_the_structure_of_two_tables_rolls_up_every_level_exactly(
    planner: Any, workshop: dict[str, Any]
) -> None:
    structure = selectors.bom_structure(planner, workshop["bom"].pk, "2")
    assert (structure.code, structure.quantity, structure.uom, structure.depth) == (
        "TABLE",
        Decimal("2"),
        "pc",
        0,
    )
    frame, top = structure.components
    assert (frame.sku, frame.quantity, frame.unit_cost, frame.line_cost) == (
        "FRAME",
        Decimal("2"),
        Decimal("60"),
        Decimal("120"),
    )
    assert (top.sku, top.quantity, top.line_cost, top.structure) == ("TOP", Decimal("2"), Decimal("50"), None)
    # the frames: 8 legs and 16 screws, half an hour
    assert frame.structure is not None
    legs, screws = frame.structure.components
    assert (legs.sku, legs.quantity, screws.sku, screws.quantity) == (
        "LEG",
        Decimal("8"),
        "SCREW",
        Decimal("16"),
    )
    assert screws.line_cost == Decimal("0.208")
    # the legs: 2 × 8 × 1.1 = 17.6 blocks of wood, rounded up to 18; 0.8 h
    assert legs.structure is not None
    (wood,) = legs.structure.components
    assert (wood.sku, wood.quantity, wood.scrap_percent, wood.line_cost) == (
        "WOOD",
        Decimal("18"),
        Decimal("10"),
        Decimal("54"),
    )
    assert [(o.name, o.hours, o.cost) for o in legs.structure.operations] == [
        ("Turn", Decimal("0.8"), Decimal("32"))
    ]
    assert (legs.structure.material_cost, legs.structure.work_cost, legs.structure.cost) == (
        Decimal("54"),
        Decimal("32"),
        Decimal("86"),
    )
    assert legs.structure.unit_cost == Decimal("10.75")  # not the leg's product cost of 9
    assert legs.cost == Decimal("86")
    # frames: 86 of legs + 0.208 of screws + 0.5 h × 40
    assert (frame.structure.material_cost, frame.structure.work_cost) == (Decimal("86.208"), Decimal("20"))
    assert frame.structure.cost == frame.cost == Decimal("106.208")
    # the tables: 106.208 + 50 of materials, 1 h × 40 of work; 10 % to the offcuts
    assert (structure.material_cost, structure.work_cost, structure.total_cost) == (
        Decimal("156.208"),
        Decimal("40"),
        Decimal("196.208"),
    )
    assert [(b.sku, b.quantity, b.cost) for b in structure.by_products] == [
        ("OFFCUT", Decimal("2"), Decimal("19.6208"))
    ]
    assert structure.cost == Decimal("176.5872")
    assert structure.unit_cost == Decimal("88.2936")


def test_the_structure_refuses_a_bad_quantity_and_another_companys_bom(
    planner: Any, workshop: dict[str, Any], make_user: Any, other_company: Any
) -> None:
    with pytest.raises(BomInvalidError, match="above zero"):
        selectors.bom_structure(planner, workshop["bom"].pk, "0")
    with pytest.raises(NotFoundError):
        selectors.bom_structure(make_user("operations", in_company=other_company), workshop["bom"].pk, "1")
    with pytest.raises(PermissionDeniedError):
        selectors.bom_structure(make_user(), workshop["bom"].pk, "1")


def confirmed_table(
    planner: Any, workshop: dict[str, Any], warehouse: Any, quantity: str = "2"
) -> ProductionOrder:
    order = services.production_order_create(
        actor=planner, bom_id=workshop["bom"].pk, warehouse_id=warehouse.pk, quantity=quantity
    )
    return services.production_order_confirm(actor=planner, order_id=order.pk, make_components=True)


def test_make_components_orders_exactly_what_is_missing_every_level_down(
    planner: Any, workshop: dict[str, Any], warehouse: Any, receive: Any
) -> None:
    # given 1 frame, 1 leg, the tops and the screws in stock (no wood yet)
    receive(
        (workshop["frame"], "1", "60"),
        (workshop["leg"], "1", "9"),
        (workshop["top"], "5", "25"),
        (workshop["screw"], "100", "0.013"),
    )
    # when 2 tables are confirmed making what is missing
    table = confirmed_table(planner, workshop, warehouse)
    # then 1 frame is ordered for it, and 3 legs for that frame (4 needed, 1 in stock)
    (frame,) = selectors.production_order_children(table)
    assert (frame.product.sku, frame.quantity, frame.state, frame.origin) == (
        "FRAME",
        Decimal("1"),
        ProductionState.CONFIRMED,
        table.number,
    )
    (leg,) = selectors.production_order_children(frame)
    assert (leg.product.sku, leg.quantity, leg.state, leg.origin) == (
        "LEG",
        Decimal("3"),
        ProductionState.CONFIRMED,
        frame.number,
    )
    assert list(selectors.production_order_children(leg)) == []
    assert ProductionOrder.objects.count() == 3
    assert selectors.production_order_parent(leg) == frame
    # the table and the frame wait for what their children make; the legs wait for wood:
    # 2 × 3 × 1.1 = 6.6 → 7 blocks
    assert (table.availability, frame.availability, leg.availability) == ("waiting", "waiting", "waiting")
    assert [(c.sku, c.needed, c.reserved) for c in selectors.production_order_components(table)] == [
        ("FRAME", Decimal("2"), Decimal("1")),
        ("TOP", Decimal("2"), Decimal("2")),
    ]
    assert [(c.sku, c.needed, c.reserved) for c in selectors.production_order_components(leg)] == [
        ("WOOD", Decimal("7"), Decimal("0")),
    ]
    # when the wood comes in and the children are made, bottom up, the table is ready
    receive((workshop["wood"], "7", "3"))
    for child in (leg, frame):
        services.production_order_check_availability(actor=planner, order_id=child.pk)
        done = services.production_order_produce(
            actor=planner, order_id=child.pk, quantity=str(child.quantity)
        )
        assert done.state == ProductionState.DONE
    table = services.production_order_check_availability(actor=planner, order_id=table.pk)
    assert table.availability == "ready"
    assert (on_hand(workshop["leg"]), on_hand(workshop["frame"])) == (Decimal("0"), Decimal("2"))


def test_make_components_orders_nothing_when_the_stock_covers_the_need(
    planner: Any, workshop: dict[str, Any], warehouse: Any, receive: Any
) -> None:
    receive((workshop["frame"], "2", "60"), (workshop["top"], "2", "25"))
    table = confirmed_table(planner, workshop, warehouse)
    assert (table.availability, ProductionOrder.objects.count()) == ("ready", 1)
    # a second order for the same frames: the stock is spoken for, both are made
    second = confirmed_table(planner, workshop, warehouse, "1")
    (frame,) = selectors.production_order_children(second)
    (leg,) = selectors.production_order_children(frame)
    assert (frame.quantity, leg.quantity) == (Decimal("1"), Decimal("4"))


def test_nothing_is_written_when_a_sub_assembly_cannot_be_ordered(
    planner: Any, workshop: dict[str, Any], warehouse: Any
) -> None:
    # given a table order, and the wood of the legs archived since their BOM was made
    order = services.production_order_create(
        actor=planner, bom_id=workshop["bom"].pk, warehouse_id=warehouse.pk, quantity="1"
    )
    Product.objects.filter(pk=workshop["wood"].pk).update(is_active=False)
    # when it is confirmed making what is missing, the legs' order is refused: nothing is written
    with nothing_written(), pytest.raises(TransferInvalidError, match="WOOD"):
        services.production_order_confirm(actor=planner, order_id=order.pk, make_components=True)
    # without it, the table alone is confirmed (waiting for its frame)
    order = services.production_order_confirm(actor=planner, order_id=order.pk)
    assert (order.state, order.availability, ProductionOrder.objects.count()) == (
        ProductionState.CONFIRMED,
        "waiting",
        1,
    )
    assert Move.objects.filter(transfer__origin=order.number).count() == 2


# ----------------------------------------------------------------------------- API


@pytest.fixture
def api(planner: Any) -> Api:
    return Api(Client(), token_for(planner), planner)


def test_the_structure_endpoint_returns_the_tree_rounded_to_cents(api: Api, workshop: dict[str, Any]) -> None:
    response = api.get(f"/boms/{workshop['bom'].pk}/structure", {"quantity": "2"})
    assert response.status_code == 200, response.content
    body = response.json()
    leg_level = {
        "bom_id": BillOfMaterials.objects.get(code="LEG").pk,
        "code": "LEG",
        "product_id": workshop["leg"].pk,
        "sku": "LEG",
        "name": "Product LEG",
        "quantity": "8",
        "uom": "pc",
        "depth": 2,
        "components": [
            {
                "component_id": BillOfMaterials.objects.get(code="LEG").components.get().pk,
                "product_id": workshop["wood"].pk,
                "sku": "WOOD",
                "name": "Product WOOD",
                "quantity": "18",
                "uom": "pc",
                "scrap_percent": "10",
                "unit_cost": "3.00",
                "line_cost": "54.00",
                "cost": "54.00",
                "structure": None,
            }
        ],
        "operations": [
            {
                "name": "Turn",
                "work_centre_id": workshop["bom"].operations.get().work_centre_id,
                "work_centre": "BENCH",
                "hours": "0.8",
                "cost_per_hour": "40.00",
                "cost": "32.00",
            }
        ],
        "by_products": [],
        "material_cost": "54.00",
        "work_cost": "32.00",
        "total_cost": "86.00",
        "by_products_cost": "0.00",
        "cost": "86.00",
        "unit_cost": "10.75",
    }
    frame_line = body["components"][0]
    assert {k: v for k, v in frame_line.items() if k != "structure"} == {
        "component_id": workshop["bom"].components.get(product=workshop["frame"]).pk,
        "product_id": workshop["frame"].pk,
        "sku": "FRAME",
        "name": "Product FRAME",
        "quantity": "2",
        "uom": "pc",
        "scrap_percent": "0",
        "unit_cost": "60.00",
        "line_cost": "120.00",
        "cost": "106.21",
    }
    frame = frame_line["structure"]
    assert [
        (c["sku"], c["quantity"], c["unit_cost"], c["line_cost"], c["cost"]) for c in frame["components"]
    ] == [
        ("LEG", "8", "9.00", "72.00", "86.00"),
        ("SCREW", "16", "0.013", "0.21", "0.21"),
    ]
    assert frame["components"][0]["structure"] == leg_level
    assert frame["components"][1]["structure"] is None
    assert {k: frame[k] for k in ("depth", "material_cost", "work_cost", "cost", "unit_cost")} == {
        "depth": 1,
        "material_cost": "86.21",
        "work_cost": "20.00",
        "cost": "106.21",
        "unit_cost": "53.10",
    }
    assert body["components"][1]["structure"] is None
    assert body["by_products"] == [
        {
            "product_id": workshop["offcut"].pk,
            "sku": "OFFCUT",
            "name": "Product OFFCUT",
            "quantity": "2",
            "uom": "pc",
            "cost_share": "10",
            "cost": "19.62",
        }
    ]
    assert {
        k: body[k]
        for k in (
            "code",
            "quantity",
            "depth",
            "material_cost",
            "work_cost",
            "total_cost",
            "by_products_cost",
            "cost",
            "unit_cost",
        )
    } == {
        "code": "TABLE",
        "quantity": "2",
        "depth": 0,
        "material_cost": "156.21",
        "work_cost": "40.00",
        "total_cost": "196.21",
        "by_products_cost": "19.62",
        "cost": "176.59",
        "unit_cost": "88.29",
    }


def test_the_structure_endpoint_is_404_for_another_company_and_403_without_permission(
    api: Api, workshop: dict[str, Any], make_user: Any, other_company: Any
) -> None:
    stranger = make_user("operations", in_company=other_company)
    assert_problem(
        Api(Client(), token_for(stranger), stranger).get(f"/boms/{workshop['bom'].pk}/structure"), 404
    )
    nobody = make_user()
    assert_problem(Api(Client(), token_for(nobody), nobody).get(f"/boms/{workshop['bom'].pk}/structure"), 403)
    assert_problem(api.get(f"/boms/{workshop['bom'].pk}/structure", {"quantity": "0"}), 422, "bom-invalid")
    assert_problem(api.get("/boms/999999/structure"), 404)


def test_confirm_through_the_api_makes_what_is_missing(
    api: Api, workshop: dict[str, Any], warehouse: Any
) -> None:
    order = api.post(
        "/production-orders", {"bom_id": workshop["bom"].pk, "warehouse_id": warehouse.pk, "quantity": "1"}
    ).json()
    confirmed = api.post(f"/production-orders/{order['id']}/confirm", {"version": 1, "make_components": True})
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    (frame,) = ProductionOrder.objects.filter(origin=order["number"])
    assert (body["state"], body["availability"], body["child_order_ids"]) == (
        "confirmed",
        "waiting",
        [frame.pk],
    )
    child = api.get(f"/production-orders/{frame.pk}").json()
    assert (child["product_sku"], child["quantity"], child["origin"], len(child["child_order_ids"])) == (
        "FRAME",
        "1",
        order["number"],
        1,
    )


def test_the_structure_endpoint_reads_a_few_queries_per_level(
    api: Api, workshop: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    # the token; the BOM with its lines (4); per level the sub-assemblies' BOMs with theirs
    # (4 each for the frame and the leg, 1 finding none under the leg)
    with django_assert_max_num_queries(15):
        assert api.get(f"/boms/{workshop['bom'].pk}/structure").status_code == 200
