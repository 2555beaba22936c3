"""Fixtures of the purchasing tests: a company with the generic chart and this year's fiscal
year, a warehouse, units, products with supplier prices (master data, made directly), a
supplier with an e-mail address and a customer; the buyer (operations) and the accountant
(finance). The SMTP server and the API fixtures come from finance's and core's supports."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.catalog.models import (
    CostingMethod,
    Product,
    ProductCategory,
    ProductKind,
    SupplierPrice,
    Uom,
    UomCategory,
)
from kantoor.core.tests.api_support import anonymous_api, api_as
from kantoor.finance import services as ledger
from kantoor.finance.models import Account, JournalLine, Tax
from kantoor.finance.tests.documents_support import smtp_server
from kantoor.inventory import services as inventory
from kantoor.inventory.models import LocationUsage, Quant, Warehouse
from kantoor.parties.services import party_create
from kantoor.purchasing import services
from kantoor.purchasing.models import PurchaseOrder

__all__ = ["anonymous_api", "api_as", "smtp_server"]


@pytest.fixture
def buyer(make_user: Callable[..., Any]) -> Any:
    return make_user("operations", username="otto")


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    return make_user("finance", username="fiona")


@pytest.fixture
def books(accountant: Any) -> Any:
    """The generic chart and this year's fiscal year (moves and bills are booked today)."""
    ledger.chart_install(actor=accountant, template="generic")
    year = accountant.company.fiscal_year_of(timezone.localdate())
    ledger.fiscal_year_create(actor=accountant, year=year)
    return accountant.company


@pytest.fixture
def units(company: Any) -> dict[str, Uom]:
    pieces = UomCategory.objects.create(company=company, name="Units")
    return {
        "pc": Uom.objects.create(
            company=company, category=pieces, code="pc", name="Piece", ratio=1, rounding=1
        ),
        "box": Uom.objects.create(
            company=company, category=pieces, code="box", name="Box of 10", ratio=10, rounding=1
        ),
    }


@pytest.fixture
def warehouse(books: Any, buyer: Any) -> Warehouse:
    return inventory.warehouse_create(actor=buyer, code="WH", name="Main warehouse")


@pytest.fixture
def supplier(buyer: Any) -> Any:
    return party_create(
        actor=buyer,
        kind="organisation",
        name="Leverancier B.V.",
        roles=["supplier"],
        contact_points=[{"kind": "email", "value": "verkoop@leverancier.example", "is_primary": True}],
    )


@pytest.fixture
def other_supplier(buyer: Any) -> Any:
    return party_create(actor=buyer, kind="organisation", name="Other Supplies Ltd", roles=["supplier"])


@pytest.fixture
def customer(buyer: Any) -> Any:
    return party_create(actor=buyer, kind="organisation", name="Klant B.V.", roles=["customer"])


@pytest.fixture
def make_product(company: Any, units: dict[str, Uom]) -> Callable[..., Product]:
    category = ProductCategory.objects.create(
        company=company, name="Goods", costing_method=CostingMethod.AVERAGE
    )

    def make(
        sku: str, *, cost: str = "10", kind: str = ProductKind.STOCKABLE, purchase_uom: str = "pc"
    ) -> Product:
        return Product.objects.create(
            company=company,
            sku=sku,
            name=f"Product {sku}",
            category=category,
            uom=units["pc"],
            purchase_uom=units[purchase_uom],
            cost=Decimal(cost),
            kind=kind,
        )

    return make


@pytest.fixture
def widget(make_product: Callable[..., Product], supplier: Any, other_supplier: Any) -> Product:
    """Bought from the supplier at 4.00 a piece (3.50 from 100 on, 7 days), and from the other
    supplier at 3.00 but with a lower preference."""
    product = make_product("WID", cost="5")
    SupplierPrice.objects.create(
        company=product.company,
        product=product,
        supplier=supplier,
        currency="EUR",
        price=Decimal("4.00"),
        lead_time_days=7,
        priority=1,
    )
    SupplierPrice.objects.create(
        company=product.company,
        product=product,
        supplier=supplier,
        currency="EUR",
        price=Decimal("3.50"),
        min_quantity=100,
        lead_time_days=7,
        priority=1,
    )
    SupplierPrice.objects.create(
        company=product.company,
        product=product,
        supplier=other_supplier,
        currency="EUR",
        price=Decimal("3.00"),
        priority=5,
    )
    return product


@pytest.fixture
def tax21(books: Any) -> Tax | None:
    return Tax.objects.filter(company=books, scope="purchase", rate=21).order_by("pk").first()


@pytest.fixture
def rfq(buyer: Any, supplier: Any, warehouse: Warehouse, widget: Product) -> Callable[..., PurchaseOrder]:
    """rfq((product, quantity[, unit_price]), ..., **header): a draft RFQ to the supplier."""

    def make(*lines: tuple[Any, ...], **header: Any) -> PurchaseOrder:
        header.setdefault("supplier_id", supplier.pk)
        header.setdefault("warehouse_id", warehouse.pk)
        return services.rfq_create(
            actor=buyer,
            lines=[
                services.OrderLineIn(product_id=p.pk, quantity=q, unit_price=(rest[0] if rest else None))
                for p, q, *rest in (lines or ((widget, "10"),))
            ],
            **header,
        )

    return make


def on_hand(product: Product) -> Decimal:
    rows = Quant.objects.filter(product=product, location__usage=LocationUsage.INTERNAL)
    return sum((quant.quantity for quant in rows), Decimal(0))


def balance(company: Any, role: str) -> Decimal:
    """Posted debit − credit on the company's accounts with `role`."""
    accounts = Account.objects.filter(company=company, role=role)
    total = Decimal(0)
    for line in JournalLine.objects.filter(account__in=accounts, state="posted"):
        total += Decimal(str(line.debit)) - Decimal(str(line.credit))
    return total
