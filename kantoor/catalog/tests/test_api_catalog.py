"""The catalog endpoints: products (list, pages, create, change with versions, archive,
translations, price), units, categories, price lists and items, supplier prices, import
and export; problems, permissions, idempotency and the list's query budget."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client

from kantoor.catalog.models import PriceListItem, Product
from kantoor.catalog.tests.support import nothing_written
from kantoor.core.tests.api_support import Api, assert_problem, token_for
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(keeper: Any) -> Api:
    return Api(Client(), token_for(keeper), keeper)


@pytest.fixture
def sales_api(make_user: Any, units: Any) -> Api:
    user = make_user("sales", scope="own", username="sam")
    return Api(Client(), token_for(user), user)


def test_create_read_update_archive_a_product(api: Api, units: Any) -> None:
    created = api.post(
        "/products",
        {
            "sku": "LAP-14",
            "name": "Laptop 14",
            "tracking": "serial",
            "list_price": "899.5",
            "barcode": "8712345678906",
        },
        key="create-lap",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert {
        k: body[k] for k in ("sku", "kind", "tracking", "uom", "list_price", "cost", "barcode", "version")
    } == {
        "sku": "LAP-14",
        "kind": "stockable",
        "tracking": "serial",
        "uom": "pc",
        "list_price": "899.50",
        "cost": "0.00",
        "barcode": "8712345678906",
        "version": 1,
    }
    # a replay with the same key answers the same and creates nothing
    again = api.post(
        "/products",
        {
            "sku": "LAP-14",
            "name": "Laptop 14",
            "tracking": "serial",
            "list_price": "899.5",
            "barcode": "8712345678906",
        },
        key="create-lap",
    )
    assert (again.status_code, again.json()["id"]) == (201, body["id"])
    assert Product.objects.count() == 1

    product_id = body["id"]
    assert api.get(f"/products/{product_id}").json()["name"] == "Laptop 14"
    changed = api.patch(f"/products/{product_id}", {"version": 1, "list_price": "849"})
    assert (changed.status_code, changed.json()["list_price"], changed.json()["version"]) == (
        200,
        "849.00",
        2,
    )
    stale = api.patch(f"/products/{product_id}", {"version": 1, "name": "Old"})
    assert assert_problem(stale, 409, "stale-version")["current_version"] == 2

    archived = api.post(f"/products/{product_id}/archive", {"version": 2})
    assert archived.json()["is_active"] is False
    assert api.get("/products").json()["items"] == []
    assert [p["sku"] for p in api.get("/products", {"include_archived": "true"}).json()["items"]] == [
        "LAP-14"
    ]
    restored = api.post(f"/products/{product_id}/restore", {"version": 3})
    assert restored.json()["is_active"] is True


def test_invalid_product_is_a_problem_with_field_errors(api: Api, units: Any) -> None:
    with nothing_written():
        response = api.post("/products", {"sku": "A B", "name": "x", "barcode": "123", "uom_id": 999999})
    body = assert_problem(response, 422, "product-invalid")
    assert body["errors"] == [
        {"field": "sku", "message": "A SKU has no spaces."},
        {
            "field": "barcode",
            "message": "Not a valid barcode: enter an EAN-8, EAN-13 or GTIN-14 number with its check digit.",
        },
        {"field": "uom_id", "message": "No such unit."},
    ]
    assert_problem(api.post("/products", {"sku": "A", "name": "x", "list_price": 5}), 422)


def test_sales_reads_but_may_not_write(sales_api: Api, make_product: Any) -> None:
    product = make_product("P-1")
    assert sales_api.get(f"/products/{product.pk}").status_code == 200
    with nothing_written():
        assert_problem(sales_api.post("/products", {"sku": "X", "name": "X"}), 403)
        assert_problem(sales_api.patch(f"/products/{product.pk}", {"version": 1, "name": "Y"}), 403)


def test_another_company_sees_nothing(api_as: Any, outsider: Any, make_product: Any) -> None:
    product = make_product("P-1")
    other = api_as(outsider)
    assert other.get("/products").json()["items"] == []
    assert_problem(other.get(f"/products/{product.pk}"), 404)
    with nothing_written():
        assert_problem(other.patch(f"/products/{product.pk}", {"version": 1, "name": "Y"}), 404)


def test_product_list_filters_and_pages(api: Api, make_product: Any, units: Any) -> None:
    for number in range(5):
        make_product(f"PEN-{number}", name=f"Pen {number}")
    make_product("TONER-1", name="Toner black", barcode="4006381333931", kind="consumable")
    first = api.get("/products", {"limit": 4}).json()
    assert [p["sku"] for p in first["items"]] == ["PEN-0", "PEN-1", "PEN-2", "PEN-3"]
    second = api.get("/products", {"limit": 4, "cursor": first["next_cursor"]}).json()
    assert ([p["sku"] for p in second["items"]], second["next_cursor"]) == (["PEN-4", "TONER-1"], None)
    assert [p["sku"] for p in api.get("/products", {"q": "tone"}).json()["items"]] == ["TONER-1"]
    assert [p["sku"] for p in api.get("/products", {"q": "4006381333931"}).json()["items"]] == ["TONER-1"]
    assert [p["sku"] for p in api.get("/products", {"kind": "consumable"}).json()["items"]] == ["TONER-1"]


def test_product_list_query_budget(api: Api, make_product: Any, django_assert_max_num_queries: Any) -> None:
    for number in range(30):
        make_product(f"P-{number:02}")
    api.get("/users/me")
    # token + roles of the caller + products with their units
    with django_assert_max_num_queries(4):
        response = api.get("/products", {"limit": 200})
    assert len(response.json()["items"]) == 30


def test_translations(api: Api, make_product: Any) -> None:
    product = make_product("PEN", name="Pen")
    put = api.client.put(
        f"/api/v1/products/{product.pk}/translations/nl",
        '{"name": "Pen (NL)", "description": "Blauw"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert put.status_code == 200, put.content
    assert api.get(f"/products/{product.pk}/translations").json() == [
        {"language": "nl", "name": "Pen (NL)", "description": "Blauw"}
    ]
    bad = api.client.put(
        f"/api/v1/products/{product.pk}/translations/fr",
        '{"name": "Stylo"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert assert_problem(bad, 422)["errors"] == [{"field": "language", "message": "Choose one of: en, nl."}]
    deleted = api.client.delete(
        f"/api/v1/products/{product.pk}/translations/nl", headers={"Authorization": f"Bearer {api.token}"}
    )
    assert deleted.status_code == 204
    assert api.get(f"/products/{product.pk}/translations").json() == []


def test_units_and_categories(api: Api, units: Any) -> None:
    codes = [u["code"] for u in api.get("/uoms").json()]
    assert len(codes) == 14
    category = api.post("/uom-categories", {"name": "Area"})
    assert category.status_code == 201
    uom = api.post(
        "/uoms", {"category_id": category.json()["id"], "code": "m2", "name": "Square metre", "ratio": "1"}
    )
    assert (uom.status_code, uom.json()["ratio"], uom.json()["rounding"]) == (201, "1", "0.0001")
    renamed = api.patch(f"/uoms/{uom.json()['id']}", {"name": "m²"})
    assert renamed.json()["name"] == "m²"
    paper = api.post("/product-categories", {"name": "Paper", "costing_method": "fifo"})
    assert (paper.status_code, paper.json()["costing_method"]) == (201, "fifo")
    assert [c["name"] for c in api.get("/product-categories").json()] == ["All", "Paper"]
    changed = api.patch(f"/product-categories/{paper.json()['id']}", {"costing_method": "average"})
    assert changed.json()["costing_method"] == "average"


def test_price_lists_items_and_the_price_endpoint(
    api_as: Any, pricer: Any, keeper: Any, make_product: Any
) -> None:
    product = make_product("PAPER", list_price="6")
    customer = party_create(actor=keeper, kind="organisation", name="Hotel Zon", roles=["customer"])
    api = api_as(pricer)
    plist = api.post("/price-lists", {"name": "Hotel Zon", "currency": "EUR", "party_id": customer.pk})
    assert plist.status_code == 201, plist.content
    plist_id = plist.json()["id"]
    for quantity, price in (("0", "5.5"), ("10", "5")):
        item = api.post(
            f"/price-lists/{plist_id}/items",
            {"product_id": product.pk, "min_quantity": quantity, "price": price},
        )
        assert item.status_code == 200, item.content
    assert [
        (i["min_quantity"], i["price"]) for i in api.get(f"/price-lists/{plist_id}/items").json()["items"]
    ] == [
        ("0", "5.50"),
        ("10", "5.00"),
    ]
    quote = api.get(
        f"/products/{product.pk}/price", {"party_id": customer.pk, "quantity": "12", "date": "2026-06-01"}
    )
    assert quote.json() == {
        "product_id": product.pk,
        "unit_price": "5.00",
        "currency": "EUR",
        "source": "price_list",
        "price_list_id": plist_id,
        "item_id": PriceListItem.objects.get(min_quantity=10).pk,
        "discount": None,
    }
    nobody = api.get(f"/products/{product.pk}/price", {"quantity": "12"}).json()
    assert (nobody["unit_price"], nobody["source"]) == ("6.00", "list_price")
    renamed = api.patch(f"/price-lists/{plist_id}", {"version": 1, "priority": 3})
    assert (renamed.json()["priority"], renamed.json()["version"]) == (3, 2)
    item_id = PriceListItem.objects.get(min_quantity=10).pk
    assert (
        api.client.delete(
            f"/api/v1/price-list-items/{item_id}", headers={"Authorization": f"Bearer {api.token}"}
        ).status_code
        == 204
    )
    # operations reads the price lists too (and holds manage_prices)
    assert api_as(keeper).get(f"/price-lists/{plist_id}").status_code == 200


def test_supplier_prices(api: Api, make_product: Any, keeper: Any) -> None:
    product = make_product("PAPER")
    supplier = party_create(actor=keeper, kind="organisation", name="Papier B.V.", roles=["supplier"])
    created = api.post(
        f"/products/{product.pk}/supplier-prices",
        {
            "supplier_id": supplier.pk,
            "price": "3.1",
            "currency": "EUR",
            "lead_time_days": 2,
            "supplier_sku": "PB-1",
        },
    )
    assert created.status_code == 201, created.content
    assert {k: created.json()[k] for k in ("price", "currency", "lead_time_days", "min_quantity")} == {
        "price": "3.10",
        "currency": "EUR",
        "lead_time_days": 2,
        "min_quantity": "0",
    }
    row_id = created.json()["id"]
    updated = api.client.put(
        f"/api/v1/supplier-prices/{row_id}",
        json.dumps({"supplier_id": supplier.pk, "price": "2.9", "currency": "EUR"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert (updated.status_code, updated.json()["price"], updated.json()["id"]) == (200, "2.90", row_id)
    assert [r["price"] for r in api.get(f"/products/{product.pk}/supplier-prices").json()] == ["2.90"]
    deleted = api.client.delete(
        f"/api/v1/supplier-prices/{row_id}", headers={"Authorization": f"Bearer {api.token}"}
    )
    assert deleted.status_code == 204


def test_import_and_export(api: Api, units: Any) -> None:
    upload = io.BytesIO(b"sku,name,list_price\nA-1,First,1.50\nB-2,Second,2\n")
    upload.name = "products.csv"
    response = api.client.post(
        "/api/v1/products/import",
        {"file": upload},
        headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": "import-1"},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    # the same upload again with the same key: the first answer, nothing imported twice
    upload.seek(0)
    with nothing_written():
        replay = api.client.post(
            "/api/v1/products/import",
            {"file": upload},
            headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": "import-1"},
        )
    assert (replay.status_code, replay.json()) == (200, {"created": 2, "updated": 0, "unchanged": 0})

    bad = io.BytesIO(b"sku,name,uom\nC-3,Third,box\n")
    bad.name = "products.csv"
    with nothing_written():
        refused = api.client.post(
            "/api/v1/products/import", {"file": bad}, headers={"Authorization": f"Bearer {api.token}"}
        )
    body = assert_problem(refused, 422, "product-import-invalid")
    assert body["detail"] == "The file has 1 problem; nothing was imported."
    assert body["errors"] == [{"field": "file", "message": "row 2, column uom: No unit with the code “box”."}]
    assert body["problems"] == [{"row": 2, "column": "uom", "message": "No unit with the code “box”."}]

    exported = api.get("/products/export", {"format": "csv"})
    assert exported["Content-Disposition"] == 'attachment; filename="products.csv"'
    assert (
        exported.content.decode("utf-8-sig")
        .splitlines()[1]
        .startswith("A-1,First,,stockable,none,All,pc,pc,,1.50,")
    )
