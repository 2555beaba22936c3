"""The catalog's demo step: a realistic assortment that a second run leaves unchanged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog import demo as catalog_demo
from kantoor.catalog import selectors
from kantoor.catalog.models import PriceList, PriceListItem, Product, ProductCategory, SupplierPrice
from kantoor.core import demo
from kantoor.core.models import AuditEntry
from kantoor.parties import demo as parties_demo

pytestmark = pytest.mark.django_db


def _progress(description: str, total: int) -> Any:
    return lambda n: None


def _load() -> Any:
    loaded = demo.demo_company_load()
    parties_demo.demo_load(
        loaded.company, loaded.users, demo.step_random("parties"), _progress, {"parties": 80}
    )
    catalog_demo.demo_load(loaded.company, loaded.users, demo.step_random("catalog"), _progress, {})
    return loaded


def test_demo_catalog_is_complete_and_a_rerun_changes_nothing() -> None:
    loaded = _load()
    company = loaded.company
    products = Product.objects.filter(company=company)
    assert products.count() == 40
    kinds = {kind: products.filter(kind=kind).count() for kind in ("stockable", "consumable", "service")}
    assert kinds == {"stockable": 32, "consumable": 4, "service": 4}
    assert set(products.exclude(tracking="none").values_list("sku", "tracking")) >= {
        ("TNR-K-410", "lot"),
        ("LAP-14-PRO", "serial"),
    }
    assert set(ProductCategory.objects.filter(company=company).values_list("costing_method", flat=True)) == {
        "average",
        "fifo",
    }
    assert products.filter(translations__language="nl").count() == 40
    assert SupplierPrice.objects.filter(company=company).count() >= 36
    assert PriceList.objects.filter(company=company).count() == 2
    contract = PriceList.objects.get(company=company, party__isnull=False)
    paper = products.get(sku="PAP-A4-80")
    assert selectors.price_for(
        company_id=company.pk,
        product=paper,
        party_id=contract.party_id,
        quantity=Decimal(60),
        on=paper.created_at.date(),
    ) == Decimal("4.95")

    before = (
        AuditEntry.objects.count(),
        PriceListItem.objects.count(),
        SupplierPrice.objects.count(),
        list(products.order_by("sku").values_list("sku", "barcode", "list_price")),
    )
    _load()
    after = (
        AuditEntry.objects.count(),
        PriceListItem.objects.count(),
        SupplierPrice.objects.count(),
        list(products.order_by("sku").values_list("sku", "barcode", "list_price")),
    )
    assert after == before
