"""Every writing catalog service, for anonymous, no role, IT, another company, and allowed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from kantoor.catalog import selectors, services
from kantoor.catalog.errors import UomInvalidError
from kantoor.catalog.tests.support import nothing_written
from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(keeper, pricer, make_user, outsider, units, make_product):
    services.units_install(company_id=outsider.company_id)
    product = make_product("P-1", list_price="10")
    price_list = services.price_list_create(actor=pricer, name="Retail", currency="EUR")
    item = services.price_list_item_set(
        actor=pricer, price_list_id=price_list.pk, product_id=product.pk, price=Decimal(9)
    )
    supplier = party_create(actor=keeper, kind="organisation", name="Supplies B.V.", roles=["supplier"])
    supplier_price = services.supplier_price_set(
        actor=keeper, product_id=product.pk, supplier_id=supplier.pk, price=Decimal(5), currency="EUR"
    )
    return {
        "product": product,
        "price_list": price_list,
        "item": item,
        "supplier": supplier,
        "supplier_price": supplier_price,
        "units": units,
        "anonymous": AnonymousUser(),
        "no role": make_user(),
        "it": make_user("it"),
        "sales": make_user("sales", scope="own"),
        "other company": outsider,
        "operations": keeper,
        "management": pricer,
    }


CALLS = {
    "uom_category_create": (
        "manage_product",
        lambda a, w: services.uom_category_create(actor=a, name="Area"),
    ),
    "uom_create": (
        "manage_product",
        lambda a, w: services.uom_create(
            actor=a, category_id=w["units"]["pc"].category_id, code="box", name="Box", ratio=Decimal(10)
        ),
    ),
    "uom_update": (
        "manage_product",
        lambda a, w: services.uom_update(actor=a, uom_id=w["units"]["pc"].pk, name="Stuk"),
    ),
    "product_category_create": (
        "manage_product",
        lambda a, w: services.product_category_create(actor=a, name="Paper"),
    ),
    "product_create": (
        "manage_product",
        lambda a, w: services.product_create(actor=a, sku="P-2", name="Two"),
    ),
    "product_update": (
        "manage_product",
        lambda a, w: services.product_update(actor=a, product_id=w["product"].pk, version=1, name="One"),
    ),
    "product_archive": (
        "manage_product",
        lambda a, w: services.product_archive(actor=a, product_id=w["product"].pk, version=1),
    ),
    "product_translation_set": (
        "manage_product",
        lambda a, w: services.product_translation_set(
            actor=a, product_id=w["product"].pk, language="nl", name="Een"
        ),
    ),
    "price_list_create": (
        "manage_prices",
        lambda a, w: services.price_list_create(actor=a, name="Wholesale", currency="EUR"),
    ),
    "price_list_update": (
        "manage_prices",
        lambda a, w: services.price_list_update(
            actor=a, price_list_id=w["price_list"].pk, version=1, priority=5
        ),
    ),
    "price_list_item_set": (
        "manage_prices",
        lambda a, w: services.price_list_item_set(
            actor=a, price_list_id=w["price_list"].pk, product_id=w["product"].pk, price=Decimal(8)
        ),
    ),
    "price_list_item_delete": (
        "manage_prices",
        lambda a, w: services.price_list_item_delete(actor=a, item_id=w["item"].pk),
    ),
    "supplier_price_set": (
        "manage_product",
        lambda a, w: services.supplier_price_set(
            actor=a,
            product_id=w["product"].pk,
            supplier_id=w["supplier"].pk,
            price=Decimal(4),
            currency="EUR",
            valid_from=dt.date(2026, 1, 1),
        ),
    ),
    "supplier_price_delete": (
        "manage_product",
        lambda a, w: services.supplier_price_delete(actor=a, supplier_price_id=w["supplier_price"].pk),
    ),
}
# Records that exist already: another company learns nothing of them (404), whoever has no
# role that grants the action is refused first (403).
ON_RECORD = {
    "uom_update",
    "product_update",
    "product_archive",
    "product_translation_set",
    "price_list_update",
    "price_list_item_set",
    "price_list_item_delete",
    "supplier_price_set",
    "supplier_price_delete",
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("who", ["anonymous", "no role", "it", "sales", "other company", "allowed"])
def test_catalog_writes_by_role(world, call, who):
    permission, run = CALLS[call]
    if who == "allowed":
        actor = world["operations"] if permission == "manage_product" else world["management"]
        run(actor, world)
        return
    actor = world[who]
    if who == "other company":
        # another company's unit category is no category of theirs (a field error)
        refusal = NotFoundError if call in ON_RECORD else UomInvalidError if call == "uom_create" else None
    else:
        refusal = PermissionDeniedError
    if refusal is None:
        # an administrator of another company writes in their own company only
        run(actor, world)
        return
    with nothing_written(), pytest.raises(refusal):
        run(actor, world)


def test_management_may_not_change_products(world):
    with nothing_written(), pytest.raises(PermissionDeniedError):
        services.product_update(
            actor=world["management"], product_id=world["product"].pk, version=1, name="x"
        )


@pytest.mark.parametrize(
    ("who", "sees"), [("no role", False), ("it", False), ("sales", True), ("other company", False)]
)
def test_who_sees_the_catalog(world, who, sees):
    assert list(selectors.products_visible(world[who])) == ([world["product"]] if sees else [])
    if not sees:
        with pytest.raises(NotFoundError):
            selectors.product_get_for_actor(world[who], world["product"].pk)
