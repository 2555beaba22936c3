"""The manufacturing endpoints: work centres, BOMs and their explosion, production orders
from create through confirm and produce to done; problems with nothing written,
permissions, idempotency and the lists' query budgets."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kantoor.core.tests.api_support import Api, assert_problem, token_for
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, WorkCentre
from kantoor.manufacturing.tests.support import nothing_written

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(planner: Any) -> Api:
    return Api(Client(), token_for(planner), planner)


@pytest.fixture
def finance_api(accountant: Any) -> Api:
    return Api(Client(), token_for(accountant), accountant)


def test_work_centres_are_created_listed_and_changed(api: Api) -> None:
    created = api.post("/work-centres", {"code": "SAW", "name": "Saw", "cost_per_hour": "45.5"}, key="saw")
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("code", "capacity", "cost_per_hour", "version")} == {
        "code": "SAW",
        "capacity": "8",
        "cost_per_hour": "45.50",
        "version": 1,
    }
    again = api.post("/work-centres", {"code": "SAW", "name": "Saw", "cost_per_hour": "45.5"}, key="saw")
    assert (again.status_code, again.json()["id"]) == (201, body["id"])
    assert WorkCentre.objects.count() == 1
    changed = api.patch(f"/work-centres/{body['id']}", {"version": 1, "capacity": "16"})
    assert (changed.status_code, changed.json()["capacity"], changed.json()["version"]) == (200, "16", 2)
    stale = api.patch(f"/work-centres/{body['id']}", {"version": 1, "capacity": "4"})
    assert_problem(stale, 409, "stale-version")
    assert [c["code"] for c in api.get("/work-centres").json()] == ["SAW"]


def test_a_bom_is_created_exploded_and_refused_when_it_contains_itself(
    api: Api, parts: dict[str, Any], make_product: Any, bench: WorkCentre, units: dict[str, Any]
) -> None:
    table = make_product("TABLE")
    payload = {
        "product_id": table.pk,
        "code": "table",
        "components": [
            {"product_id": parts["plank"].pk, "quantity": "4", "scrap_percent": "10"},
            {"product_id": parts["screw"].pk, "quantity": "20"},
        ],
        "operations": [{"work_centre_id": bench.pk, "name": "Assemble", "hours": "0.5"}],
    }
    created = api.post("/boms", payload, key="bom-table")
    assert created.status_code == 201, created.content
    bom = created.json()
    assert (bom["code"], bom["product_sku"], bom["quantity"], bom["uom"]) == ("TABLE", "TABLE", "1", "pc")
    assert [(c["sku"], c["quantity"], c["scrap_percent"]) for c in bom["components"]] == [
        ("PLANK", "4", "10"),
        ("SCREW", "20", "0"),
    ]
    assert bom["operations"] == [
        {
            "work_centre_id": bench.pk,
            "work_centre": "BENCH",
            "name": "Assemble",
            "hours": "0.5",
            "sequence": 10,
        }
    ]
    exploded = api.get(f"/boms/{bom['id']}/explosion", {"quantity": "3"})
    assert exploded.json() == [
        {"product_id": parts["plank"].pk, "sku": "PLANK", "quantity": "14", "uom": "pc"},  # 13.2 up
        {"product_id": parts["screw"].pk, "sku": "SCREW", "quantity": "60", "uom": "pc"},
    ]
    with nothing_written():
        cycle = api.post(
            "/boms",
            {
                **payload,
                "code": "PLANK",
                "product_id": parts["plank"].pk,
                "components": [{"product_id": table.pk, "quantity": "1"}],
            },
        )
        body = assert_problem(cycle, 422, "bom-cycle")
        assert body["path"] == "PLANK → TABLE → PLANK"
        foreign = api.post(
            "/boms",
            {
                **payload,
                "code": "T2",
                "components": [{"product_id": parts["plank"].pk, "quantity": "4", "uom_id": units["kg"].pk}],
            },
        )
        assert assert_problem(foreign, 422, "bom-invalid")["errors"] == [
            {
                "field": "components.0.uom_id",
                "message": "kg cannot be converted into pc: they measure different things.",
            }
        ]
        shape = api.post(
            "/boms", {**payload, "code": "T3", "components": [{"product_id": 1, "quantity": "-1"}]}
        )
        assert shape.status_code == 422
        stale = api.patch(f"/boms/{bom['id']}", {"version": 7, "name": "x"})
        assert_problem(stale, 409, "stale-version")
    changed = api.patch(
        f"/boms/{bom['id']}",
        {"version": 1, "components": [{"product_id": parts["plank"].pk, "quantity": "5"}]},
    )
    assert (changed.status_code, [c["quantity"] for c in changed.json()["components"]]) == (200, ["5"])
    assert len(changed.json()["operations"]) == 1


def test_a_production_order_from_draft_to_done(
    api: Api, table_bom: BillOfMaterials, warehouse: Any, bench: WorkCentre
) -> None:
    created = api.post(
        "/production-orders",
        {"product_id": table_bom.product_id, "warehouse_id": warehouse.pk, "quantity": "2"},
        key="mo-1",
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert (order["state"], order["bom_id"], order["availability"]) == ("draft", table_bom.pk, "")
    confirmed = api.post(f"/production-orders/{order['id']}/confirm", {"version": 1}, key="mo-1-confirm")
    assert (confirmed.status_code, confirmed.json()["availability"]) == (200, "ready")
    assert [(c["sku"], c["needed"], c["reserved"]) for c in confirmed.json()["components"]] == [
        ("PLANK", "8", "8"),
        ("SCREW", "40", "40"),
    ]
    checked = api.post(f"/production-orders/{order['id']}/check-availability")
    assert checked.json()["availability"] == "ready"
    with nothing_written():
        too_much = api.post(f"/production-orders/{order['id']}/produce", {"quantity": "3"})
        assert_problem(too_much, 422, "production-invalid")
        unknown = api.post("/production-orders/999999/produce", {"quantity": "1"})
        assert_problem(unknown, 404)
    run = api.post(
        f"/production-orders/{order['id']}/produce",
        {"quantity": "1", "hours": [{"work_centre_id": bench.pk, "hours": "1"}]},
        key="mo-1-run-1",
    )
    assert run.status_code == 200, run.content
    body = run.json()
    assert (
        body["state"],
        body["produced_quantity"],
        body["components_cost"],
        body["work_cost"],
        body["cost"],
    ) == (
        "in_progress",
        "1",
        "17.00",
        "40.00",
        "57.00",
    )
    assert [(c["sku"], c["needed"], c["consumed"]) for c in body["components"]] == [
        ("PLANK", "4", "4"),
        ("SCREW", "20", "20"),
    ]
    replay = api.post(
        f"/production-orders/{order['id']}/produce",
        {"quantity": "1", "hours": [{"work_centre_id": bench.pk, "hours": "1"}]},
        key="mo-1-run-1",
    )
    assert replay.json() == body
    done = api.post(f"/production-orders/{order['id']}/produce", {"quantity": "1"}, key="mo-1-run-2")
    assert (done.json()["state"], done.json()["cost"], len(done.json()["output_transfer_ids"])) == (
        "done",
        "94.00",
        2,
    )
    assert_problem(api.post(f"/production-orders/{order['id']}/cancel", {}), 409, "production-state")
    assert [o["number"] for o in api.get("/production-orders", {"state": "done"}).json()["items"]] == [
        order["number"]
    ]


def test_finance_reads_but_does_not_write_and_other_companies_see_nothing(
    finance_api: Api,
    api: Api,
    table_bom: BillOfMaterials,
    warehouse: Any,
    make_user: Any,
    other_company: Any,
) -> None:
    order = api.post(
        "/production-orders", {"bom_id": table_bom.pk, "warehouse_id": warehouse.pk, "quantity": "1"}
    ).json()
    assert finance_api.get(f"/production-orders/{order['id']}").status_code == 200
    assert finance_api.get(f"/boms/{table_bom.pk}").status_code == 200
    with nothing_written():
        assert_problem(finance_api.post(f"/production-orders/{order['id']}/confirm", {}), 403)
        assert_problem(finance_api.post("/work-centres", {"code": "X", "name": "X"}), 403)
    stranger = make_user("operations", in_company=other_company)
    other = Api(Client(), token_for(stranger), stranger)
    assert_problem(other.get(f"/production-orders/{order['id']}"), 404)
    assert other.get("/production-orders").json()["items"] == []
    assert_problem(other.post(f"/production-orders/{order['id']}/confirm", {}), 404)
    assert ProductionOrder.objects.get(pk=order["id"]).state == "draft"


def test_list_query_budgets(
    api: Api,
    table_bom: BillOfMaterials,
    warehouse: Any,
    planner: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from kantoor.manufacturing import services

    for index in range(5):
        services.bom_create(
            actor=planner,
            product_id=table_bom.product_id,
            code=f"T{index}",
            components=[
                services.ComponentIn(product_id=table_bom.components.first().product_id, quantity="1")
            ],
        )
        services.production_order_create(
            actor=planner, bom_id=table_bom.pk, warehouse_id=warehouse.pk, quantity="1"
        )
    with django_assert_max_num_queries(8):
        assert len(api.get("/boms").json()["items"]) == 6
    with django_assert_max_num_queries(5):
        assert len(api.get("/production-orders").json()["items"]) == 5
    with django_assert_max_num_queries(4):
        assert len(api.get("/work-centres").json()) == 1
