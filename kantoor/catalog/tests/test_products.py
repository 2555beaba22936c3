"""Products: create, update with versions, archive, translations; audit and events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kantoor.catalog import selectors, services
from kantoor.catalog.errors import ProductCategoryInvalidError, ProductInvalidError
from kantoor.catalog.models import Product, ProductTranslation
from kantoor.catalog.tests.support import nothing_written
from kantoor.core.errors import StaleVersionError
from kantoor.core.models import AuditEntry, OutboxEvent

pytestmark = pytest.mark.django_db


def test_product_create_with_defaults(keeper, units):
    product = services.product_create(
        actor=keeper,
        sku=" PAP-A4-500 ",
        name=" Copier paper A4 ",
        list_price=Decimal("5.95"),
        barcode="8712345678906",
    )
    assert (product.sku, product.name, product.kind, product.tracking) == (
        "PAP-A4-500",
        "Copier paper A4",
        "stockable",
        "none",
    )
    assert (product.category.name, product.uom.code, product.purchase_uom.code) == ("All", "pc", "pc")
    assert (product.list_price, product.cost, product.barcode, product.version) == (
        Decimal("5.95"),
        Decimal(0),
        "8712345678906",
        1,
    )
    entry = AuditEntry.objects.get(action="catalog.product_create")
    assert entry.changes["sku"] == "PAP-A4-500"
    assert entry.changes["list_price"] == "5.95"
    event = OutboxEvent.objects.get(name="catalog.ProductCreated")
    assert event.payload["product_id"] == product.pk
    assert event.payload["sku"] == "PAP-A4-500"


def test_product_create_reports_every_faulty_field_at_once(keeper, units, make_product):
    make_product("TONER-1", barcode="96385074")
    with nothing_written(), pytest.raises(ProductInvalidError) as refused:
        services.product_create(
            actor=keeper,
            sku="toner-1",
            name="",
            kind="gadget",
            barcode="8712345678900",
            list_price=Decimal("-1"),
            cost=Decimal("1.1234567"),
            uom_id=units["kg"].pk,
            purchase_uom_id=units["pc"].pk,
        )
    assert refused.value.field_errors == {
        "sku": ["A product with SKU toner-1 exists already."],
        "name": ["Enter a name."],
        "kind": ["Choose one of: stockable, consumable, service."],
        "barcode": ["Not a valid barcode: enter an EAN-8, EAN-13 or GTIN-14 number with its check digit."],
        "list_price": ["Must be at least 0."],
        "cost": ["At most 6 decimals."],
        "purchase_uom_id": ["The purchase unit must measure the same as the unit (Weight)."],
    }


def test_barcode_is_unique_and_compacted(keeper, units, make_product):
    make_product("A", barcode="9638-5074")
    assert Product.objects.get(sku="A").barcode == "96385074"
    with pytest.raises(ProductInvalidError) as refused:
        make_product("B", barcode="96385074")
    assert refused.value.field_errors == {"barcode": ["Product A has this barcode already."]}
    # GTIN-14 of a carton is accepted
    assert make_product("C", barcode="98412345678908").barcode == "98412345678908"


def test_tracking_only_for_stockable_products(keeper, units):
    with pytest.raises(ProductInvalidError) as refused:
        services.product_create(actor=keeper, sku="SRV", name="Install", kind="service", tracking="serial")
    assert refused.value.field_errors == {
        "tracking": ["Only stockable products are tracked by lot or serial number."]
    }
    with pytest.raises(ProductInvalidError) as refused:
        services.product_create(
            actor=keeper, sku="CBL", name="Cable", tracking="serial", uom_id=units["m"].pk
        )
    assert refused.value.field_errors == {
        "uom_id": ["A product with serial numbers is counted in whole units."]
    }


def test_product_update_checks_the_version_and_publishes(keeper, units, make_product):
    product = make_product("LAP-14", list_price="899")
    updated = services.product_update(
        actor=keeper, product_id=product.pk, version=1, list_price=Decimal("849.00"), name="Laptop 14 inch"
    )
    assert (updated.version, updated.list_price, updated.name) == (2, Decimal("849.00"), "Laptop 14 inch")
    entry = AuditEntry.objects.get(action="catalog.product_update")
    assert entry.changes == {
        "list_price": ["899.000000", "849.00"],
        "name": ["Product LAP-14", "Laptop 14 inch"],
    }
    event = OutboxEvent.objects.get(name="catalog.ProductUpdated")
    assert event.payload["changed_fields"] == ["list_price", "name"]

    with nothing_written(), pytest.raises(StaleVersionError):
        services.product_update(actor=keeper, product_id=product.pk, version=1, name="Old")

    # nothing changed: no new version, no event
    same = services.product_update(actor=keeper, product_id=product.pk, version=2, name="Laptop 14 inch")
    assert same.version == 2
    assert OutboxEvent.objects.filter(name="catalog.ProductUpdated").count() == 1


def test_changing_the_unit_to_another_category_takes_the_purchase_unit_along(keeper, units, make_product):
    product = make_product("SAND", uom_id=units["pc"].pk, purchase_uom_id=units["dozen"].pk)
    product = services.product_update(actor=keeper, product_id=product.pk, version=1, uom_id=units["kg"].pk)
    assert (product.uom.code, product.purchase_uom.code) == ("kg", "kg")
    with pytest.raises(ProductInvalidError) as refused:
        services.product_update(actor=keeper, product_id=product.pk, version=2, purchase_uom_id=units["l"].pk)
    assert refused.value.field_errors == {
        "purchase_uom_id": ["The purchase unit must measure the same as the unit (Weight)."]
    }


def test_product_archive_and_restore(keeper, units, make_product):
    product = make_product("OLD")
    archived = services.product_archive(actor=keeper, product_id=product.pk, version=1)
    assert (archived.is_active, archived.version) == (False, 2)
    assert list(selectors.products_list(keeper)) == []
    assert list(selectors.products_list(keeper, include_archived=True)) == [archived]
    restored = services.product_archive(actor=keeper, product_id=product.pk, version=2, archived=False)
    assert (restored.is_active, restored.version) == (True, 3)
    assert list(
        AuditEntry.objects.filter(model="catalog.product").order_by("id").values_list("action", flat=True)
    ) == ["catalog.product_create", "catalog.product_archive", "catalog.product_restore"]


def test_product_translation_set_and_delete(keeper, units, make_product):
    product = make_product("PEN-BLUE", name="Ballpoint pen, blue")
    translation = services.product_translation_set(
        actor=keeper, product_id=product.pk, language="nl", name="Balpen, blauw", description="Doos van 50"
    )
    assert (translation.language, translation.name, translation.description) == (
        "nl",
        "Balpen, blauw",
        "Doos van 50",
    )
    services.product_translation_set(actor=keeper, product_id=product.pk, language="nl", name="Balpen blauw")
    assert list(ProductTranslation.objects.values_list("language", "name", "description")) == [
        ("nl", "Balpen blauw", "")
    ]
    with pytest.raises(ProductInvalidError) as refused:
        services.product_translation_set(actor=keeper, product_id=product.pk, language="fr", name="Stylo")
    assert refused.value.field_errors == {"language": ["Choose one of: en, nl."]}
    services.product_translation_delete(actor=keeper, product_id=product.pk, language="nl")
    assert ProductTranslation.objects.count() == 0
    assert list(
        OutboxEvent.objects.filter(name="catalog.ProductUpdated").values_list(
            "payload__changed_fields", flat=True
        )
    ) == [["translations.nl"], ["translations.nl"], ["translations.nl"]]


def test_product_by_code_finds_sku_or_barcode(company, keeper, units, make_product):
    product = make_product("Scan-Me", barcode="4006381333931")
    assert selectors.product_by_code(company.pk, "scan-me") == product
    assert selectors.product_by_code(company.pk, " 4006381333931 ") == product
    assert selectors.product_by_code(company.pk, "nothing") is None
    assert [p.sku for p in selectors.product_search(keeper, "4006381333931")] == ["Scan-Me"]


def test_product_categories(keeper, units):
    office = services.product_category_create(actor=keeper, name="Office supplies")
    paper = services.product_category_create(
        actor=keeper, name="Paper", parent_id=office.pk, costing_method="fifo"
    )
    assert (paper.parent, paper.costing_method) == (office, "fifo")
    with pytest.raises(ProductCategoryInvalidError) as refused:
        services.product_category_update(actor=keeper, category_id=office.pk, parent_id=paper.pk)
    assert refused.value.field_errors == {"parent_id": ["A category cannot sit inside itself."]}
    with pytest.raises(ProductCategoryInvalidError) as refused:
        services.product_category_create(actor=keeper, name="paper")
    assert refused.value.field_errors == {"name": ["The product category paper exists already."]}
    office = services.product_category_update(actor=keeper, category_id=office.pk, costing_method="fifo")
    assert office.costing_method == "fifo"
