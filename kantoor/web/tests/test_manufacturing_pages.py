"""Manufacturing pages through the Django test client: work centres, the BOM form with its
components, by-products and operations (inline errors, cycles refused), production
orders from the list's tabs through confirm, produce and cancel, and who may see and do
what."""

# ruff: noqa: F811 - the fixtures imported from the manufacturing tests are requested by name

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kantoor.inventory.tests.conftest import on_hand
from kantoor.manufacturing import services
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, ProductionState, WorkCentre
from kantoor.manufacturing.tests.conftest import (  # noqa: F401 - fixtures
    accountant,
    bench,
    books,
    make_product,
    parts,
    planner,
    receive,
    storekeeper,
    supplier,
    table_bom,
    units,
    warehouse,
)

pytestmark = pytest.mark.django_db


def rows(prefix: str, items: list[dict[str, Any]], total: int = 3) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items):
        for key, value in item.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def test_work_centres_are_listed_created_and_edited(client: Any, planner: Any, bench: WorkCentre) -> None:
    client.force_login(planner)
    page = client.get(reverse("web:work-centre-list"))
    assert page.status_code == 200
    assert b"BENCH" in page.content
    created = client.post(
        reverse("web:work-centre-list"),
        {"code": "saw", "name": "Saw", "capacity": "8", "cost_per_hour": "30"},
    )
    assert created.status_code == 302
    saw = WorkCentre.objects.get(code="SAW")
    refused = client.post(
        reverse("web:work-centre-list"),
        {"code": "SAW", "name": "Saw", "capacity": "8", "cost_per_hour": "30"},
    )
    assert refused.status_code == 200
    assert b"Work centre SAW exists already." in refused.content
    edited = client.post(
        reverse("web:work-centre-edit", args=[saw.pk]),
        {
            "code": "SAW",
            "name": "Band saw",
            "capacity": "16",
            "cost_per_hour": "35",
            "is_active": "on",
            "version": 1,
        },
    )
    assert edited.status_code == 302
    saw.refresh_from_db()
    assert (saw.name, saw.cost_per_hour, saw.version) == ("Band saw", Decimal("35.00"), 2)


def test_a_bom_is_made_through_its_form_and_a_cycle_is_shown_on_it(
    client: Any, planner: Any, parts: dict[str, Any], make_product: Any, bench: WorkCentre
) -> None:
    client.force_login(planner)
    table, offcut = make_product("TABLE"), make_product("OFFCUT")
    assert client.get(reverse("web:bom-create")).status_code == 200
    data = {
        "product": table.pk,
        "code": "TABLE",
        "name": "Table",
        "quantity": "1",
        **rows("components", [{"product": parts["plank"].pk, "quantity": "4", "scrap_percent": "10"}]),
        **rows("by_products", [{"product": offcut.pk, "quantity": "2", "cost_share": "5"}]),
        **rows("operations", [{"work_centre": bench.pk, "name": "Assemble", "hours": "0.5"}]),
    }
    created = client.post(reverse("web:bom-create"), data)
    assert created.status_code == 302, created.content.decode()[:3000]
    bom = BillOfMaterials.objects.get(code="TABLE")
    assert list(bom.components.values_list("product__sku", "quantity", "scrap_percent")) == [
        ("PLANK", Decimal("4"), Decimal("10"))
    ]
    assert list(bom.by_products.values_list("product__sku", "cost_share")) == [("OFFCUT", Decimal("5"))]
    detail = client.get(reverse("web:bom-detail", args=[bom.pk]), {"quantity": "3"})
    assert detail.status_code == 200
    assert b"Assemble" in detail.content
    assert b'<td class="amount">14</td>' in detail.content  # 3 × 4 × 1.1 = 13.2 → 14
    explosion = client.get(
        reverse("web:bom-detail", args=[bom.pk]),
        {"quantity": "5"},
        headers={"HX-Request": "true", "HX-Target": "bom-explosion"},
    )
    assert b'<td class="amount">22</td>' in explosion.content
    assert b"<h1>" not in explosion.content
    cycle = client.post(
        reverse("web:bom-create"),
        {
            "product": parts["plank"].pk,
            "code": "PLANK",
            "quantity": "1",
            **rows("components", [{"product": table.pk, "quantity": "1"}]),
            **rows("by_products", []),
            **rows("operations", []),
        },
    )
    assert cycle.status_code == 200
    assert "The bill of materials contains itself: PLANK → TABLE → PLANK." in cycle.content.decode()
    assert BillOfMaterials.objects.count() == 1


def test_a_production_order_is_created_confirmed_produced_in_two_runs(
    client: Any, planner: Any, table_bom: BillOfMaterials, warehouse: Any, bench: WorkCentre
) -> None:
    client.force_login(planner)
    created = client.post(
        reverse("web:production-order-create"),
        {"bom": table_bom.pk, "quantity": "2", "warehouse": warehouse.pk, "scheduled_date": "2026-03-10"},
    )
    assert created.status_code == 302
    order = ProductionOrder.objects.get()
    detail = reverse("web:production-order-detail", args=[order.pk])
    assert (
        client.post(reverse("web:production-order-confirm", args=[order.pk]), {"version": 1}).status_code
        == 302
    )
    page = client.get(detail)
    assert b"Components ready" in page.content
    assert b"Record production" in page.content
    refused = client.post(
        reverse("web:production-order-produce", args=[order.pk]),
        {"quantity": "5", "hours_centre": bench.pk, f"hours_{bench.pk}": "1"},
    )
    assert refused.status_code == 422
    assert b"At most 2 is left to make." in refused.content
    run = client.post(
        reverse("web:production-order-produce", args=[order.pk]),
        {"quantity": "1", "hours_centre": bench.pk, f"hours_{bench.pk}": "0.25"},
    )
    assert run.status_code == 302
    order.refresh_from_db()
    assert (order.state, order.work_cost, order.components_cost) == (
        ProductionState.IN_PROGRESS,
        Decimal("10.00"),
        Decimal("17.00"),
    )
    client.post(reverse("web:production-order-produce", args=[order.pk]), {"quantity": "1"})
    order.refresh_from_db()
    assert (order.state, order.cost) == (ProductionState.DONE, Decimal("64.00"))  # 34 + 10 + 20
    assert on_hand(table_bom.product) == Decimal("2")
    listing = client.get(reverse("web:production-order-list"), {"state": "done"})
    assert order.number.encode() in listing.content
    assert (
        order.number.encode()
        not in client.get(reverse("web:production-order-list"), {"state": "draft"}).content
    )
    partial = client.get(
        reverse("web:production-order-list"),
        {"q": order.number},
        headers={"HX-Request": "true", "HX-Target": "order-results"},
    )
    assert order.number.encode() in partial.content
    assert b"<h1>" not in partial.content


def test_cancel_releases_the_components(
    client: Any, planner: Any, table_bom: BillOfMaterials, warehouse: Any
) -> None:
    client.force_login(planner)
    order = services.production_order_create(
        actor=planner, bom_id=table_bom.pk, warehouse_id=warehouse.pk, quantity="1"
    )
    services.production_order_confirm(actor=planner, order_id=order.pk)
    response = client.post(reverse("web:production-order-cancel", args=[order.pk]), follow=True)
    assert b"was cancelled" in response.content
    order.refresh_from_db()
    assert order.state == ProductionState.CANCELLED


def test_finance_reads_but_cannot_act_and_others_get_nothing(
    client: Any,
    accountant: Any,
    planner: Any,
    table_bom: BillOfMaterials,
    warehouse: Any,
    make_user: Any,
    other_company: Any,
) -> None:
    order = services.production_order_create(
        actor=planner, bom_id=table_bom.pk, warehouse_id=warehouse.pk, quantity="1"
    )
    client.force_login(accountant)
    page = client.get(reverse("web:production-order-detail", args=[order.pk]))
    assert page.status_code == 200
    assert b">Confirm<" not in page.content
    assert client.post(reverse("web:production-order-confirm", args=[order.pk])).status_code == 403
    assert client.get(reverse("web:bom-create")).status_code == 403
    assert client.get(reverse("web:bom-list")).status_code == 200
    client.force_login(make_user("sales"))
    assert client.get(reverse("web:production-order-list")).status_code == 403
    client.force_login(make_user("operations", in_company=other_company))
    assert client.get(reverse("web:production-order-detail", args=[order.pk])).status_code == 404
    assert client.post(reverse("web:production-order-confirm", args=[order.pk])).status_code == 404
    order.refresh_from_db()
    assert order.state == ProductionState.DRAFT
