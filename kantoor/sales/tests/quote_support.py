"""Builders for the quotation tests (acceptance links, documents, e-mail, API and pages):
the books, a warehouse, a product sold at 100.00 (cost 60.00) and an optional one, a
customer with an address and an e-mail address, and `quote_make` — a quotation built
through the sales services, sent (marked sent) when asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.catalog.models import CostingMethod, Product, ProductCategory, Uom, UomCategory
from kantoor.finance import services as ledger
from kantoor.finance.models import Tax
from kantoor.finance.tests.documents_support import customer_make
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Warehouse
from kantoor.sales.models import SalesOrder

CUSTOMER_EMAIL = "inkoop@visser.example"


@pytest.fixture
def rep(make_user: Callable[..., Any]) -> Any:
    """A sales rep (sees and changes the company's quotations of their own)."""
    return make_user("sales", username="sam")


@pytest.fixture
def sales_manager(make_user: Callable[..., Any]) -> Any:
    return make_user("sales_manager", username="noor")


@pytest.fixture
def books(make_user: Callable[..., Any]) -> Any:
    accountant = make_user("finance", username="fiona")
    ledger.chart_install(actor=accountant, template="generic")
    ledger.fiscal_year_create(actor=accountant, year=accountant.company.fiscal_year_of(timezone.localdate()))
    return accountant.company


@pytest.fixture
def warehouse(books: Any, make_user: Callable[..., Any]) -> Warehouse:
    return inventory.warehouse_create(actor=make_user("operations", username="otto"), code="WH", name="Main")


@pytest.fixture
def v21(books: Any) -> Tax:
    return Tax.objects.get(company=books, code="V21")


@pytest.fixture
def pieces(company: Any) -> Uom:
    category = UomCategory.objects.create(company=company, name="Units")
    return Uom.objects.create(
        company=company, category=category, code="pc", name="Piece", ratio=1, rounding=1
    )


@pytest.fixture
def products(company: Any, pieces: Uom) -> dict[str, Product]:
    category = ProductCategory.objects.create(
        company=company, name="Goods", costing_method=CostingMethod.AVERAGE
    )

    def make(sku: str, name: str, price: str, cost: str) -> Product:
        return Product.objects.create(
            company=company,
            sku=sku,
            name=name,
            category=category,
            uom=pieces,
            purchase_uom=pieces,
            list_price=Decimal(price),
            cost=Decimal(cost),
            kind="consumable",
        )

    return {
        "desk": make("DESK", "Standing desk", "100", "60"),
        "lamp": make("LAMP", "Desk lamp", "25", "12.5"),
    }


@pytest.fixture
def customer(rep: Any) -> Any:
    return customer_make(rep, email=CUSTOMER_EMAIL)


@pytest.fixture
def quote_make(
    rep: Any, customer: Any, warehouse: Warehouse, products: dict[str, Product], v21: Tax
) -> Callable[..., SalesOrder]:
    """quote_make(sent=True, valid_until=…, actor=…): 3 standing desks at 100.00 less 10 %
    (270.00 + 21 % VAT 56.70 = 326.70) and an optional desk lamp at 25.00."""
    from kantoor.sales import services

    def make(*, sent: bool = False, actor: Any = None, **header: Any) -> SalesOrder:
        header.setdefault("valid_until", timezone.localdate() + dt.timedelta(days=14))
        order = services.quotation_create(
            actor=actor or rep,
            customer_id=customer.pk,
            warehouse_id=warehouse.pk,
            lines=[
                {
                    "product_id": products["desk"].pk,
                    "quantity": Decimal(3),
                    "unit_price": Decimal("100"),
                    "discount": Decimal("10"),
                    "tax_id": v21.pk,
                },
                {
                    "product_id": products["lamp"].pk,
                    "quantity": Decimal(1),
                    "unit_price": Decimal("25"),
                    "tax_id": v21.pk,
                    "is_optional": True,
                },
            ],
            **header,
        )
        if sent:
            order = services.quotation_send(actor=actor or rep, order_id=order.pk, to=())
        return SalesOrder.objects.get(pk=order.pk)

    return make
