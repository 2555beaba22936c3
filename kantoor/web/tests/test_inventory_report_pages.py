# ruff: noqa: F811 - the inventory fixtures are imported below, then named as test arguments
"""The stock report pages through the Django test client: the figures shown, the filters and
their errors, the pages, the exports and who may see them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kantoor.catalog.models import CostingMethod
from kantoor.inventory import services
from kantoor.inventory.tests.conftest import (  # noqa: F401 - fixtures
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(
    storekeeper: Any, warehouse: Any, make_product: Any, receive: Any, deliver: Any
) -> dict[str, Any]:
    chair = make_product("CHAIR")
    toner = make_product("TONER", costing=CostingMethod.FIFO)
    shelf = services.location_create(actor=storekeeper, parent_id=warehouse.stock_location_id, name="Shelf 1")
    receive((chair, "10", "25.50"), (toner, "2", "30"))
    receive((toner, "2", "40"))
    deliver((toner, "3"))
    return {"chair": chair, "toner": toner, "shelf": shelf}


def test_stock_on_hand_page(client: Any, storekeeper: Any, stocked: Any, warehouse: Any) -> None:
    client.force_login(storekeeper)
    response = client.get(reverse("web:stock-on-hand"))
    assert response.status_code == 200
    assert [(r.sku, r.on_hand) for r in response.context["report"].rows] == [
        ("CHAIR", Decimal("10")),
        ("TONER", Decimal("1")),
    ]
    content = response.content.decode()
    assert "CHAIR" in content
    assert "Page 1 of 1 (2 rows)" in content
    filtered = client.get(
        reverse("web:stock-on-hand"), {"warehouse": warehouse.pk, "search": "ton", "by_location": "on"}
    )
    assert filtered.status_code == 200
    assert [(r.sku, r.location) for r in filtered.context["report"].rows] == [("TONER", "WH/Stock")]
    assert "WH/Stock" in filtered.content.decode()


def test_stock_on_hand_pages_through(client: Any, storekeeper: Any, stocked: Any, monkeypatch: Any) -> None:
    from kantoor.web.views import inventory_reports

    monkeypatch.setattr(inventory_reports, "ON_HAND_PAGE_SIZE", 1)
    client.force_login(storekeeper)
    first = client.get(reverse("web:stock-on-hand"), {"search": ""})
    assert [r.sku for r in first.context["report"].rows] == ["CHAIR"]
    assert 'rel="next"' in first.content.decode()
    second = client.get(reverse("web:stock-on-hand"), {"search": "", "page": "2"})
    assert [r.sku for r in second.context["report"].rows] == ["TONER"]
    assert 'rel="prev"' in second.content.decode()


def test_a_bad_filter_shows_on_the_form(client: Any, storekeeper: Any, stocked: Any) -> None:
    client.force_login(storekeeper)
    response = client.get(reverse("web:stock-on-hand"), {"warehouse": "999999"})
    assert response.status_code == 422
    assert response.context["report"] is None
    assert response.context["form"].errors["warehouse"]


def test_stock_valuation_page_beside_the_ledger(client: Any, accountant: Any, stocked: Any) -> None:
    client.force_login(accountant)
    response = client.get(reverse("web:stock-valuation"))
    assert response.status_code == 200
    report = response.context["report"]
    assert [(r.sku, r.quantity, r.value) for r in report.rows] == [
        ("CHAIR", Decimal("10"), Decimal("255.00")),
        ("TONER", Decimal("1"), Decimal("40.00")),
    ]
    content = response.content.decode()
    assert '<td class="amount" id="stock-total">295.00</td>' in content
    assert '<td class="amount" id="stock-ledger-balance">295.00</td>' in content
    assert '<td class="amount" id="stock-difference">0.00</td>' in content
    fifo = client.get(reverse("web:stock-valuation"), {"category": stocked["toner"].category_id})
    assert [r.sku for r in fifo.context["report"].rows] == ["TONER"]
    bad = client.get(reverse("web:stock-valuation"), {"at": "yesterday"})
    assert bad.status_code == 422


def test_stock_valuation_exports(client: Any, accountant: Any, stocked: Any) -> None:
    client.force_login(accountant)
    response = client.get(reverse("web:stock-valuation"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="stock-valuation')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["SKU", "Product", "Category", "Quantity", "Unit", "Unit cost", "Value"]
    assert rows[1][0] == "CHAIR"
    assert rows[1][-1] == "255.00"
    assert rows[-2][1:] == ["Total", "", "", "", "", "295.00"]
    xlsx = client.get(reverse("web:stock-valuation"), {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"


@pytest.mark.parametrize(
    ("role", "on_hand", "valuation"),
    [("", 403, 403), ("sales", 200, 403), ("finance", 200, 200), ("operations", 200, 200)],
)
def test_who_sees_the_stock_pages(
    client: Any, make_user: Any, stocked: Any, role: str, on_hand: int, valuation: int
) -> None:
    client.force_login(make_user(*([role] if role else [])))
    assert client.get(reverse("web:stock-on-hand")).status_code == on_hand
    assert client.get(reverse("web:stock-valuation")).status_code == valuation


def test_anonymous_visitors_sign_in_first(client: Any) -> None:
    response = client.get(reverse("web:stock-on-hand"))
    assert response.status_code == 302


def test_the_menu_links_the_reports_for_who_may_see_them(client: Any, make_user: Any) -> None:
    client.force_login(make_user("sales"))
    content = client.get(reverse("web:stock-on-hand")).content.decode()
    assert f'href="{reverse("web:stock-on-hand")}"' in content
    assert f'href="{reverse("web:stock-valuation")}"' not in content
