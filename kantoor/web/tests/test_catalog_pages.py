"""The catalog pages through the Django test client: product list (search, pages, HTMX
partial), detail, new and edit with inline errors and versions, archive, translations,
supplier prices, units, categories, price lists and their items, import and export.
Operations keeps products; management and operations set prices; IT sees nothing;
another company's records are a 404; a refusal shows on the form and writes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kantoor.catalog import services
from kantoor.catalog.models import PriceList, PriceListItem, Product, ProductCategory, SupplierPrice, Uom
from kantoor.catalog.tests.support import nothing_written
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(company: Any) -> dict[str, Uom]:
    services.units_install(company_id=company.pk)
    return {uom.code: uom for uom in Uom.objects.filter(company=company)}


@pytest.fixture
def keeper(make_user: Callable[..., Any], units: Any) -> Any:
    return make_user("operations", username="otto")


@pytest.fixture
def ops(client: Client, keeper: Any) -> Client:
    client.force_login(keeper)
    return client


def _product(keeper: Any, sku: str, **fields: Any) -> Product:
    fields.setdefault("name", f"Product {sku}")
    return services.product_create(actor=keeper, sku=sku, **fields)


def _form(units: dict[str, Uom], **fields: Any) -> dict[str, Any]:
    category = ProductCategory.objects.get(name="All")
    data = {
        "sku": "",
        "name": "",
        "description": "",
        "kind": "stockable",
        "tracking": "none",
        "category": category.pk,
        "uom": units["pc"].pk,
        "purchase_uom": "",
        "barcode": "",
        "list_price": "0",
        "cost": "0",
        "is_sold": "on",
        "is_purchased": "on",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_product_list_search_and_pages(ops: Client, keeper: Any, django_assert_max_num_queries: Any) -> None:
    for number in range(30):
        _product(keeper, f"PEN-{number:02}", name=f"Pen {number}")
    _product(keeper, "TONER-1", name="Toner black", barcode="4006381333931")
    with django_assert_max_num_queries(12):
        response = ops.get(reverse("web:product-list"))
    assert response.status_code == 200
    rows = response.context["page"].rows
    assert [p.sku for p in rows][:2] == ["PEN-00", "PEN-01"]
    assert len(rows) == 25
    assert response.context["count"] == 31
    second = ops.get(reverse("web:product-list"), {"after": response.context["page"].next_cursor})
    assert [p.sku for p in second.context["page"].rows] == [*(f"PEN-{n}" for n in range(25, 30)), "TONER-1"]
    partial = ops.get(
        reverse("web:product-list"),
        {"q": "4006381333931"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="product-results",
    )
    fragment = partial.content.decode()
    assert "<html" not in fragment
    assert ("TONER-1" in fragment, "PEN-00" in fragment) == (True, False)


def test_create_product_through_the_form(ops: Client, units: Any) -> None:
    response = ops.post(
        reverse("web:product-create"),
        _form(
            units,
            sku="LAP-14",
            name="Laptop 14",
            tracking="serial",
            list_price="899.50",
            barcode="8712345678906",
        ),
    )
    product = Product.objects.get(sku="LAP-14")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:product-detail", args=[product.pk])
    assert (product.tracking, product.list_price, product.purchase_uom.code) == (
        "serial",
        Decimal("899.50"),
        "pc",
    )


def test_form_shows_the_services_refusals_inline(ops: Client, keeper: Any, units: Any) -> None:
    _product(keeper, "TAKEN")
    with nothing_written():
        response = ops.post(
            reverse("web:product-create"),
            _form(units, sku="taken", name="Again", barcode="123", purchase_uom=units["kg"].pk),
        )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors == {
        "sku": ["A product with SKU taken exists already."],
        "barcode": ["Not a valid barcode: enter an EAN-8, EAN-13 or GTIN-14 number with its check digit."],
        "purchase_uom": ["The purchase unit must measure the same as the unit (Units)."],
        "__all__": ["Please correct the marked fields."],
    }
    assert "A product with SKU taken exists already." in response.content.decode()


def test_edit_with_version_and_stale_edit(ops: Client, keeper: Any, units: Any) -> None:
    product = _product(keeper, "PEN", list_price=Decimal("1.20"))
    page = ops.get(reverse("web:product-edit", args=[product.pk]))
    assert page.context["form"].initial["list_price"] == Decimal("1.2")
    data = _form(units, sku="PEN", name="Blue pen", list_price="1.25", version="1")
    response = ops.post(reverse("web:product-edit", args=[product.pk]), data)
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.list_price, product.version) == ("Blue pen", Decimal("1.25"), 2)
    with nothing_written():
        stale = ops.post(reverse("web:product-edit", args=[product.pk]), {**data, "name": "Red pen"})
    assert stale.status_code == 409
    assert "Someone else changed this product" in stale.content.decode()


def test_detail_archive_translation_and_supplier_price(ops: Client, keeper: Any, units: Any) -> None:
    product = _product(keeper, "PAPER", name="Copier paper")
    supplier = party_create(actor=keeper, kind="organisation", name="Papier B.V.", roles=["supplier"])
    detail = ops.get(reverse("web:product-detail", args=[product.pk]))
    assert detail.status_code == 200
    assert detail.context["supplier_form"].fields["supplier"].choices == [
        ("", "—"),
        (supplier.pk, "Papier B.V."),
    ]

    saved = ops.post(
        reverse("web:product-translation", args=[product.pk, "nl"]),
        {"name": "Kopieerpapier", "description": ""},
    )
    assert saved.status_code == 302
    assert product.translations.get().name == "Kopieerpapier"
    refused = ops.post(reverse("web:product-translation", args=[product.pk, "fr"]), {"name": "Papier"})
    assert refused.status_code == 422
    assert "Choose one of: en, nl." in refused.content.decode()

    added = ops.post(
        reverse("web:product-supplier-price", args=[product.pk]),
        {
            "supplier": supplier.pk,
            "price": "3.10",
            "currency": "EUR",
            "min_quantity": "0",
            "lead_time_days": "2",
        },
    )
    assert added.status_code == 302
    row = SupplierPrice.objects.get()
    assert (row.price, row.lead_time_days) == (Decimal("3.10"), 2)
    assert "Papier B.V." in ops.get(reverse("web:product-detail", args=[product.pk])).content.decode()
    ops.post(reverse("web:supplier-price-delete", args=[row.pk]))
    assert SupplierPrice.objects.count() == 0

    archived = ops.post(reverse("web:product-archive", args=[product.pk]), {"version": "1", "archived": "1"})
    assert archived.status_code == 302
    assert Product.objects.get(pk=product.pk).is_active is False


def test_units_and_categories_pages(ops: Client, units: Any) -> None:
    page = ops.get(reverse("web:uom-list"))
    assert [c.name for c, _units in page.context["categories"]] == [
        "Length",
        "Time",
        "Units",
        "Volume",
        "Weight",
    ]
    added = ops.post(
        reverse("web:uom-list"),
        {
            "form": "uom",
            "category": units["pc"].category_id,
            "code": "box",
            "name": "Box",
            "ratio": "10",
            "rounding": "1",
        },
    )
    assert added.status_code == 302
    assert Uom.objects.get(code="box").ratio == Decimal(10)
    refused = ops.post(
        reverse("web:uom-list"),
        {
            "form": "uom",
            "category": units["pc"].category_id,
            "code": "BOX",
            "name": "Box",
            "ratio": "10",
            "rounding": "1",
        },
    )
    assert refused.status_code == 422
    assert refused.context["uom_form"].errors["code"] == ["The unit BOX exists already."]
    category = ops.post(reverse("web:product-category-list"), {"name": "Paper", "costing_method": "fifo"})
    assert category.status_code == 302
    assert ProductCategory.objects.get(name="Paper").costing_method == "fifo"


def test_price_lists_pages(client: Client, make_user: Any, keeper: Any, units: Any) -> None:
    manager = make_user("management", username="mia")
    client.force_login(manager)
    product = _product(keeper, "PAPER", list_price=Decimal(6))
    customer = party_create(actor=keeper, kind="organisation", name="Hotel Zon", roles=["customer"])
    created = client.post(
        reverse("web:price-list-list"),
        {"name": "Hotel Zon", "currency": "EUR", "party": customer.pk, "priority": "10"},
    )
    price_list = PriceList.objects.get()
    assert created.status_code == 302
    assert (price_list.party, price_list.currency) == (customer, "EUR")
    item = client.post(
        reverse("web:price-list-detail", args=[price_list.pk]),
        {"product": "paper", "min_quantity": "10", "price": "5.00"},
    )
    assert item.status_code == 302
    assert PriceListItem.objects.get().price == Decimal("5.00")
    unknown = client.post(
        reverse("web:price-list-detail", args=[price_list.pk]),
        {"product": "NOPE", "min_quantity": "0", "price": "1"},
    )
    assert unknown.status_code == 422
    assert unknown.context["form"].errors == {"product": ["No product with this SKU or barcode."]}
    both = client.post(
        reverse("web:price-list-detail", args=[price_list.pk]),
        {"product": "PAPER", "min_quantity": "0", "price": "1", "discount": "5"},
    )
    assert both.context["form"].errors["price"] == ["Enter either a unit price or a discount."]
    page = client.get(reverse("web:product-detail", args=[product.pk]))
    assert [i.price_list.name for i in page.context["price_items"]] == ["Hotel Zon"]
    # management may not change products
    assert client.get(reverse("web:product-edit", args=[product.pk])).status_code == 403
    archived = client.post(
        reverse("web:price-list-archive", args=[price_list.pk]), {"version": "1", "archived": "1"}
    )
    assert archived.status_code == 302
    assert PriceList.objects.get().is_active is False


def test_import_page_all_or_nothing(ops: Client, units: Any) -> None:
    bad = SimpleUploadedFile(
        "products.csv", b"sku,name,uom\nA-1,First,pc\nB-2,Second,box\n", content_type="text/csv"
    )
    with nothing_written():
        refused = ops.post(reverse("web:product-import"), {"file": bad})
    assert refused.status_code == 422
    assert refused.context["problems"] == ["row 3, column uom: No unit with the code “box”."]
    assert "The file has 1 problem; nothing was imported." in refused.content.decode()
    good = SimpleUploadedFile("products.csv", b"sku,name\nA-1,First\nB-2,Second\n", content_type="text/csv")
    done = ops.post(reverse("web:product-import"), {"file": good}, follow=True)
    assert "Imported: 2 new, 0 changed, 0 unchanged." in done.content.decode()
    exported = ops.get(reverse("web:product-export"), {"format": "xlsx"})
    assert exported["Content-Disposition"] == 'attachment; filename="products.xlsx"'
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(values_only=True)][-2:] == ["A-1", "B-2"]


@pytest.mark.parametrize(
    ("role", "list_status", "create_status"),
    [("it", 403, 403), ("sales", 200, 403), ("management", 200, 403)],
)
def test_who_may_open_which_page(
    client: Client, make_user: Any, units: Any, role: str, list_status: int, create_status: int
) -> None:
    client.force_login(make_user(role))
    assert client.get(reverse("web:product-list")).status_code == list_status
    assert client.get(reverse("web:product-create")).status_code == create_status
    assert client.get(reverse("web:product-import")).status_code == create_status


def test_another_companys_product_is_not_found(client: Client, keeper: Any, outsider: Any) -> None:
    product = _product(keeper, "SECRET")
    client.force_login(outsider)
    assert client.get(reverse("web:product-detail", args=[product.pk])).status_code == 404
    assert (
        client.post(
            reverse("web:product-archive", args=[product.pk]), {"version": "1", "archived": "1"}
        ).status_code
        == 404
    )
    assert Product.objects.get(pk=product.pk).is_active is True


def test_global_search_finds_products(ops: Client, keeper: Any, make_user: Any) -> None:
    product = _product(keeper, "TONER-K", name="Toner black", barcode="4006381333931")
    hits = ops.get(reverse("web:search"), {"q": "toner"}).context["hits"]
    assert [h for h in hits if str(h["kind"]) == "Product"] == [
        {
            "kind": "Product",
            "title": "TONER-K · Toner black",
            "subtitle": "Stockable product",
            "url": reverse("web:product-detail", args=[product.pk]),
        }
    ]
    # IT does not see the catalog, in search neither
    ops.force_login(make_user("it"))
    assert [
        h
        for h in ops.get(reverse("web:search"), {"q": "toner"}).context["hits"]
        if str(h["kind"]) == "Product"
    ] == []


def test_edit_a_unit_and_a_category(ops: Client, keeper: Any, units: Any) -> None:
    _product(keeper, "CABLE", uom_id=units["m"].pk)
    page = ops.get(reverse("web:uom-edit", args=[units["m"].pk]))
    assert page.context["form"].initial["ratio"] == Decimal(1)
    renamed = ops.post(
        reverse("web:uom-edit", args=[units["m"].pk]),
        {"code": "m", "name": "Meter", "ratio": "1", "rounding": "0.01", "is_active": "on"},
    )
    assert renamed.status_code == 302
    assert Uom.objects.get(pk=units["m"].pk).name == "Meter"
    with nothing_written():
        refused = ops.post(
            reverse("web:uom-edit", args=[units["m"].pk]),
            {"code": "m", "name": "Meter", "ratio": "2", "rounding": "0.01", "is_active": "on"},
        )
    assert refused.status_code == 422
    assert refused.context["form"].errors["ratio"] == ["The unit is in use by products."]

    category = ProductCategory.objects.get(name="All")
    edited = ops.post(
        reverse("web:product-category-edit", args=[category.pk]),
        {"name": "All products", "costing_method": "fifo", "is_active": "on"},
    )
    assert edited.status_code == 302
    category.refresh_from_db()
    assert (category.name, category.costing_method) == ("All products", "fifo")
