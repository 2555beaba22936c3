"""Customer prices (price_for: party list, group lists, general lists, quantity breaks,
validity, discounts, currencies) and supplier prices (supplier_price_for)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kantoor.catalog import selectors, services
from kantoor.catalog.errors import PriceListInvalidError, SupplierPriceInvalidError
from kantoor.catalog.tests.support import nothing_written
from kantoor.core.errors import MissingExchangeRateError, StaleVersionError
from kantoor.core.models import ExchangeRate
from kantoor.parties.models import Tag
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


@pytest.fixture
def paper(make_product):
    return make_product("PAPER", name="Copier paper", list_price="6.00")


@pytest.fixture
def customer(keeper):
    return party_create(
        actor=keeper, kind="organisation", name="Hotel Zon", roles=["customer"], tags=["horeca"]
    )


def price(company, product, party, quantity, on=DAY, currency=None):
    return selectors.price_for(
        company_id=company.pk,
        product=product,
        party_id=party.pk if party else None,
        quantity=Decimal(quantity),
        on=on,
        currency=currency,
    )


def test_list_price_without_price_lists(company, paper, customer):
    assert price(company, paper, customer, 1) == Decimal("6.00")
    assert price(company, paper, None, 1) == Decimal("6.00")


def test_quantity_breaks_take_the_highest_reached(company, pricer, paper, customer):
    plist = services.price_list_create(actor=pricer, name="Hotel Zon", currency="EUR", party_id=customer.pk)
    for quantity, unit_price in (("0", "5.50"), ("10", "5.00"), ("100", "4.25")):
        services.price_list_item_set(
            actor=pricer,
            price_list_id=plist.pk,
            product_id=paper.pk,
            min_quantity=Decimal(quantity),
            price=Decimal(unit_price),
        )
    assert [price(company, paper, customer, q) for q in (1, 9, 10, 99, 100, 5000)] == [
        Decimal("5.50"),
        Decimal("5.50"),
        Decimal("5.00"),
        Decimal("5.00"),
        Decimal("4.25"),
        Decimal("4.25"),
    ]
    # another customer pays the list price
    other = party_create(actor=pricer, kind="organisation", name="Café Maan", roles=["customer"])
    assert price(company, paper, other, 100) == Decimal("6.00")


def test_party_list_before_group_lists_before_general_lists(company, pricer, paper, customer):
    horeca = Tag.objects.get(name="horeca")
    general = services.price_list_create(actor=pricer, name="Everyone", currency="EUR")
    group_late = services.price_list_create(
        actor=pricer, name="Horeca B", currency="EUR", customer_group_id=horeca.pk, priority=20
    )
    group_first = services.price_list_create(
        actor=pricer, name="Horeca A", currency="EUR", customer_group_id=horeca.pk, priority=5
    )
    own = services.price_list_create(actor=pricer, name="Hotel Zon", currency="EUR", party_id=customer.pk)

    def item(plist, value, **kwargs):
        return services.price_list_item_set(
            actor=pricer, price_list_id=plist.pk, product_id=paper.pk, price=Decimal(value), **kwargs
        )

    item(general, "5.90")
    assert price(company, paper, customer, 1) == Decimal("5.90")
    item(group_late, "5.80")
    assert price(company, paper, customer, 1) == Decimal("5.80")
    item(group_first, "5.70")
    assert price(company, paper, customer, 1) == Decimal("5.70")
    # the party's own list wins once it has an item reached by the quantity
    item(own, "5.10", min_quantity=Decimal(50))
    assert price(company, paper, customer, 1) == Decimal("5.70")
    assert price(company, paper, customer, 50) == Decimal("5.10")
    quote = selectors.price_quote(
        company_id=company.pk, product=paper, party_id=customer.pk, quantity=Decimal(50), on=DAY
    )
    assert (quote.price_list_id, quote.source, quote.currency) == (own.pk, "price_list", "EUR")
    # a customer without the tag gets the general list
    other = party_create(actor=pricer, kind="organisation", name="Café Maan", roles=["customer"])
    assert price(company, paper, other, 1) == Decimal("5.90")


def test_validity_of_lists_and_items(company, pricer, paper, customer):
    summer = services.price_list_create(
        actor=pricer,
        name="Summer",
        currency="EUR",
        party_id=customer.pk,
        valid_from=dt.date(2026, 6, 1),
        valid_to=dt.date(2026, 8, 31),
    )
    services.price_list_item_set(
        actor=pricer, price_list_id=summer.pk, product_id=paper.pk, price=Decimal("5")
    )
    services.price_list_item_set(
        actor=pricer,
        price_list_id=summer.pk,
        product_id=paper.pk,
        price=Decimal("4"),
        valid_from=dt.date(2026, 7, 1),
        valid_to=dt.date(2026, 7, 31),
    )
    assert price(company, paper, customer, 1, on=dt.date(2026, 5, 31)) == Decimal("6.00")
    assert price(company, paper, customer, 1, on=dt.date(2026, 6, 1)) == Decimal("5")
    # an item dated for July beats the undated one of the same quantity during July
    assert price(company, paper, customer, 1, on=dt.date(2026, 7, 15)) == Decimal("4")
    assert price(company, paper, customer, 1, on=dt.date(2026, 8, 31)) == Decimal("5")
    assert price(company, paper, customer, 1, on=dt.date(2026, 9, 1)) == Decimal("6.00")
    # an archived list no longer applies
    services.price_list_update(actor=pricer, price_list_id=summer.pk, version=1, is_active=False)
    assert price(company, paper, customer, 1, on=dt.date(2026, 6, 1)) == Decimal("6.00")


def test_discount_items_apply_to_the_list_price(company, pricer, paper, customer):
    plist = services.price_list_create(actor=pricer, name="Hotel Zon", currency="EUR", party_id=customer.pk)
    services.price_list_item_set(
        actor=pricer, price_list_id=plist.pk, product_id=paper.pk, discount=Decimal("12.5")
    )
    assert price(company, paper, customer, 1) == Decimal("5.250000")


def test_foreign_currency_lists_and_list_price_conversion(company, keeper, pricer, paper, customer):
    plist = services.price_list_create(actor=pricer, name="Export", currency="usd", party_id=customer.pk)
    assert plist.currency == "USD"
    services.price_list_item_set(
        actor=pricer, price_list_id=plist.pk, product_id=paper.pk, price=Decimal("7.10")
    )
    assert price(company, paper, customer, 1, currency="USD") == Decimal("7.10")
    # in euros the USD list does not apply
    assert price(company, paper, customer, 1, currency="EUR") == Decimal("6.00")
    # another product in USD: its list price at the rate of the day, or a missing rate
    other = services.product_create(actor=keeper, sku="INK", name="Ink", list_price=Decimal("10"))
    with pytest.raises(MissingExchangeRateError):
        price(company, other, customer, 1, currency="USD")
    ExchangeRate.objects.create(
        company=company, currency="USD", valid_from=dt.date(2026, 1, 1), rate=Decimal("1.08")
    )
    assert price(company, other, customer, 1, currency="USD") == Decimal("10.800000")


def test_price_list_rules(pricer, customer):
    horeca = Tag.objects.get(name="horeca")
    with nothing_written(), pytest.raises(PriceListInvalidError) as refused:
        services.price_list_create(
            actor=pricer,
            name=" ",
            currency="XXY",
            party_id=customer.pk,
            customer_group_id=horeca.pk,
            valid_from=dt.date(2026, 2, 1),
            valid_to=dt.date(2026, 1, 1),
        )
    assert refused.value.field_errors == {
        "name": ["Enter a name."],
        "currency": ["Unknown currency “XXY”."],
        "customer_group_id": ["A price list is for one customer or for a customer group, not both."],
        "valid_to": ["The end date is before the start date."],
    }
    plist = services.price_list_create(actor=pricer, name="A", currency="EUR")
    with pytest.raises(PriceListInvalidError) as refused:
        services.price_list_create(actor=pricer, name="a", currency="EUR")
    assert refused.value.field_errors == {"name": ["The price list a exists already."]}
    plist = services.price_list_update(actor=pricer, price_list_id=plist.pk, version=1, name="B")
    assert plist.version == 2
    with pytest.raises(StaleVersionError):
        services.price_list_update(actor=pricer, price_list_id=plist.pk, version=1, name="C")


def test_price_list_item_set_replaces_and_refuses_bad_input(pricer, paper):
    plist = services.price_list_create(actor=pricer, name="A", currency="EUR")
    first = services.price_list_item_set(
        actor=pricer, price_list_id=plist.pk, product_id=paper.pk, min_quantity=Decimal(10), price=Decimal(5)
    )
    again = services.price_list_item_set(
        actor=pricer,
        price_list_id=plist.pk,
        product_id=paper.pk,
        min_quantity=Decimal(10),
        discount=Decimal(3),
    )
    assert again.pk == first.pk
    assert (again.price, again.discount) == (None, Decimal(3))
    with nothing_written(), pytest.raises(PriceListInvalidError) as refused:
        services.price_list_item_set(
            actor=pricer, price_list_id=plist.pk, product_id=paper.pk, price=Decimal(5), discount=Decimal(1)
        )
    assert refused.value.field_errors == {"price": ["Enter either a unit price or a discount."]}
    with pytest.raises(PriceListInvalidError) as refused:
        services.price_list_item_set(
            actor=pricer, price_list_id=plist.pk, product_id=paper.pk, discount=Decimal(101)
        )
    assert refused.value.field_errors == {"discount": ["A discount is at most 100%."]}
    services.price_list_item_delete(actor=pricer, item_id=first.pk)
    assert list(selectors.price_list_items(plist)) == []


def test_supplier_price_for_takes_priority_then_the_cheapest(keeper, paper):
    fast = party_create(actor=keeper, kind="organisation", name="Snel B.V.", roles=["supplier"])
    cheap = party_create(actor=keeper, kind="organisation", name="Goedkoop B.V.", roles=["supplier"])
    services.supplier_price_set(
        actor=keeper,
        product_id=paper.pk,
        supplier_id=fast.pk,
        price=Decimal("4.00"),
        currency="EUR",
        lead_time_days=1,
    )
    services.supplier_price_set(
        actor=keeper,
        product_id=paper.pk,
        supplier_id=cheap.pk,
        price=Decimal("3.50"),
        currency="EUR",
        lead_time_days=5,
        supplier_sku="GK-77",
    )
    services.supplier_price_set(
        actor=keeper,
        product_id=paper.pk,
        supplier_id=cheap.pk,
        price=Decimal("3.00"),
        currency="EUR",
        lead_time_days=5,
        min_quantity=Decimal(100),
        valid_to=dt.date(2026, 6, 30),
    )
    best = selectors.supplier_price_for(paper, None, Decimal(10), DAY)
    assert (best.supplier, best.price, best.lead_time_days, best.supplier_sku) == (
        cheap,
        Decimal("3.50"),
        5,
        "GK-77",
    )
    assert selectors.supplier_price_for(paper, None, Decimal(100), DAY).price == Decimal("3.00")
    assert selectors.supplier_price_for(paper, None, Decimal(100), dt.date(2026, 7, 1)).price == Decimal(
        "3.50"
    )
    assert selectors.supplier_price_for(paper, fast.pk, Decimal(100), DAY).price == Decimal("4.00")
    # a lower priority number wins over a cheaper price
    services.supplier_price_set(
        actor=keeper,
        product_id=paper.pk,
        supplier_id=fast.pk,
        price=Decimal("4.00"),
        currency="EUR",
        lead_time_days=1,
        priority=1,
    )
    assert selectors.supplier_price_for(paper, None, Decimal(10), DAY).supplier == fast


def test_supplier_price_needs_a_supplier(keeper, paper, customer):
    with nothing_written(), pytest.raises(SupplierPriceInvalidError) as refused:
        services.supplier_price_set(
            actor=keeper,
            product_id=paper.pk,
            supplier_id=customer.pk,
            price=Decimal("-1"),
            currency="EURO",
            lead_time_days=-2,
        )
    assert refused.value.field_errors == {
        "supplier_id": ["Hotel Zon is not a supplier; give the party the supplier role first."],
        "currency": ["Unknown currency “EURO”."],
        "price": ["Must be at least 0."],
        "lead_time_days": ["Enter a number of days from 0 to 3660."],
    }
