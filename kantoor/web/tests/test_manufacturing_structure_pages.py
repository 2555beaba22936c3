"""The multi-level pages of manufacturing through the Django test client: a BOM's structure
and cost (full page and HTMX fragment), confirming with "make what is missing" and the
orders made for it linked both ways."""

# ruff: noqa: F811 - the fixtures imported from the manufacturing tests are requested by name

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kantoor.manufacturing import services
from kantoor.manufacturing.models import ProductionOrder
from kantoor.manufacturing.tests.conftest import (  # noqa: F401 - fixtures
    accountant,
    bench,
    books,
    make_product,
    planner,
    storekeeper,
    units,
    warehouse,
    workshop,
)

pytestmark = pytest.mark.django_db


def test_the_structure_page_shows_the_rolled_up_cost_and_confirm_can_make_components(
    client: Any, planner: Any, workshop: dict[str, Any], warehouse: Any
) -> None:
    client.force_login(planner)
    bom = workshop["bom"]
    detail = client.get(reverse("web:bom-detail", args=[bom.pk]))
    assert reverse("web:bom-structure", args=[bom.pk]).encode() in detail.content
    page = client.get(reverse("web:bom-structure", args=[bom.pk]), {"quantity": "2"})
    assert page.status_code == 200
    content = page.content.decode()
    assert 'id="structure-cost">176.59<' in content
    assert 'id="structure-unit-cost">88.29<' in content
    assert "LEG" in content
    assert "WOOD" in content
    fragment = client.get(
        reverse("web:bom-structure", args=[bom.pk]),
        {"quantity": "1"},
        headers={"HX-Request": "true", "HX-Target": "bom-structure"},
    )
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert b'id="structure-cost">88.29<' in fragment.content
    # confirm with "make what is missing" ticked
    order = services.production_order_create(
        actor=planner, bom_id=bom.pk, warehouse_id=warehouse.pk, quantity="1"
    )
    form = client.get(reverse("web:production-order-detail", args=[order.pk]))
    assert b'name="make_components"' in form.content
    confirmed = client.post(
        reverse("web:production-order-confirm", args=[order.pk]), {"version": "1", "make_components": "on"}
    )
    assert confirmed.status_code == 302
    (frame,) = ProductionOrder.objects.filter(origin=order.number)
    shown = client.get(reverse("web:production-order-detail", args=[order.pk]))
    assert reverse("web:production-order-detail", args=[frame.pk]).encode() in shown.content
    assert frame.number.encode() in shown.content
    child_page = client.get(reverse("web:production-order-detail", args=[frame.pk]))
    assert reverse("web:production-order-detail", args=[order.pk]).encode() in child_page.content
