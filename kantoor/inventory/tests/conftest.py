"""Fixtures of the inventory tests: a company with the generic chart and this year's
fiscal year, a warehouse, units and products (master data, made directly), and the
people who move stock (operations) and read its value (finance)."""

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
    Tracking,
    Uom,
    UomCategory,
)
from kantoor.finance import services as ledger
from kantoor.finance.models import Account, AccountRole, JournalLine
from kantoor.inventory import services
from kantoor.inventory.models import Location, LocationUsage, Quant, Warehouse
from kantoor.parties.services import party_create


@pytest.fixture
def storekeeper(make_user: Callable[..., Any]) -> Any:
    return make_user("operations", username="otto")


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    return make_user("finance", username="fiona")


@pytest.fixture
def books(accountant: Any) -> Any:
    """The generic chart and this year's fiscal year (moves are booked today)."""
    ledger.chart_install(actor=accountant, template="generic")
    year = accountant.company.fiscal_year_of(timezone.localdate())
    ledger.fiscal_year_create(actor=accountant, year=year)
    return accountant.company


@pytest.fixture
def units(company: Any) -> dict[str, Uom]:
    pieces = UomCategory.objects.create(company=company, name="Units")
    weight = UomCategory.objects.create(company=company, name="Weight")
    return {
        "pc": Uom.objects.create(
            company=company, category=pieces, code="pc", name="Piece", ratio=1, rounding=1
        ),
        "dozen": Uom.objects.create(
            company=company, category=pieces, code="dozen", name="Dozen", ratio=12, rounding=1
        ),
        "kg": Uom.objects.create(
            company=company, category=weight, code="kg", name="Kilogram", ratio=1, rounding=Decimal("0.001")
        ),
        "g": Uom.objects.create(
            company=company, category=weight, code="g", name="Gram", ratio=Decimal("0.001"), rounding=1
        ),
    }


@pytest.fixture
def make_product(company: Any, units: dict[str, Uom]) -> Callable[..., Product]:
    average = ProductCategory.objects.create(
        company=company, name="Average", costing_method=CostingMethod.AVERAGE
    )
    fifo = ProductCategory.objects.create(company=company, name="FIFO", costing_method=CostingMethod.FIFO)

    def make(
        sku: str,
        *,
        cost: str = "10",
        costing: str = CostingMethod.AVERAGE,
        tracking: str = Tracking.NONE,
        kind: str = ProductKind.STOCKABLE,
        uom: str = "pc",
        negative: bool = False,
    ) -> Product:
        return Product.objects.create(
            company=company,
            sku=sku,
            name=f"Product {sku}",
            category=fifo if costing == CostingMethod.FIFO else average,
            uom=units[uom],
            purchase_uom=units[uom],
            cost=Decimal(cost),
            tracking=tracking,
            kind=kind,
            allows_negative_stock=negative,
        )

    return make


@pytest.fixture
def warehouse(books: Any, storekeeper: Any) -> Warehouse:
    return services.warehouse_create(actor=storekeeper, code="WH", name="Main warehouse")


@pytest.fixture
def supplier(storekeeper: Any) -> Any:
    return party_create(actor=storekeeper, kind="organisation", name="Leverancier B.V.", roles=["supplier"])


@pytest.fixture
def customer(storekeeper: Any) -> Any:
    return party_create(actor=storekeeper, kind="organisation", name="Klant B.V.", roles=["customer"])


@pytest.fixture
def receive(storekeeper: Any, warehouse: Warehouse, supplier: Any) -> Callable[..., Any]:
    """receive((product, quantity, unit_cost[, lot]), ...): a receipt, done."""

    def make(*lines: tuple[Any, ...], done: list[services.DoneIn] | None = None) -> Any:
        transfer = services.transfer_create(
            actor=storekeeper,
            kind="receipt",
            warehouse_id=warehouse.pk,
            party_id=supplier.pk,
            lines=[
                services.MoveIn(product_id=p.pk, quantity=q, unit_cost=c, lot=(rest[0] if rest else ""))
                for p, q, c, *rest in lines
            ],
        )
        return services.transfer_validate(actor=storekeeper, transfer_id=transfer.pk, done=done)

    return make


@pytest.fixture
def deliver(storekeeper: Any, warehouse: Warehouse, customer: Any) -> Callable[..., Any]:
    """deliver((product, quantity), ...): a delivery, confirmed and done."""

    def make(*lines: tuple[Any, ...], done: list[services.DoneIn] | None = None) -> Any:
        transfer = services.transfer_create(
            actor=storekeeper,
            kind="delivery",
            warehouse_id=warehouse.pk,
            party_id=customer.pk,
            lines=[services.MoveIn(product_id=p.pk, quantity=q) for p, q in lines],
        )
        services.transfer_confirm(actor=storekeeper, transfer_id=transfer.pk)
        return services.transfer_validate(actor=storekeeper, transfer_id=transfer.pk, done=done)

    return make


def on_hand(product: Product, location: Location | None = None) -> Decimal:
    """Σ quants of the product at own locations (or at `location`)."""
    rows = Quant.objects.filter(product=product, location__usage=LocationUsage.INTERNAL)
    if location is not None:
        rows = rows.filter(location=location)
    return sum((quant.quantity for quant in rows), Decimal(0))


def balance(company: Any, role: str) -> Decimal:
    """Posted debit − credit on the company's accounts with `role`."""
    accounts = Account.objects.filter(company=company, role=role)
    total = Decimal(0)
    for line in JournalLine.objects.filter(account__in=accounts, state="posted"):
        total += Decimal(str(line.debit)) - Decimal(str(line.credit))
    return total


STOCK = AccountRole.STOCK
RECEIVED = AccountRole.STOCK_RECEIVED
COGS = AccountRole.COST_OF_SALES
