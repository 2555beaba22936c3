"""Warehouses and locations, and the accounts stock books to."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.core.errors import PermissionDeniedError
from kantoor.finance.models import Account
from kantoor.inventory import configuration, services
from kantoor.inventory.errors import (
    LocationInvalidError,
    StockAccountsMissingError,
    WarehouseInvalidError,
)
from kantoor.inventory.models import Location, Move, StockAccounts, Warehouse
from kantoor.inventory.tests.conftest import balance

pytestmark = pytest.mark.django_db


def test_a_warehouse_comes_with_its_locations_and_the_company_its_partners(warehouse: Any) -> None:
    names = sorted(Location.objects.filter(company=warehouse.company).values_list("full_name", "usage"))
    assert names == [
        ("Partners", "view"),
        ("Partners/Customers", "customer"),
        ("Partners/Suppliers", "supplier"),
        ("Virtual", "view"),
        ("Virtual/Inventory loss", "inventory"),
        ("Virtual/Production", "production"),
        ("Virtual/Transit", "transit"),
        ("WH", "view"),
        ("WH/Input", "internal"),
        ("WH/Output", "internal"),
        ("WH/Packing", "internal"),
        ("WH/Stock", "internal"),
    ]
    assert warehouse.stock_location.full_name == "WH/Stock"


def test_bad_warehouses_and_locations_are_refused(warehouse: Any, storekeeper: Any) -> None:
    with pytest.raises(WarehouseInvalidError) as refused:
        services.warehouse_create(actor=storekeeper, code="wh", name="Again", delivery_steps=2)
    assert refused.value.field_errors == {
        "code": ["Warehouse WH exists already."],
        "delivery_steps": ["Deliveries take 1 or 3 steps."],
    }
    shelf = services.location_create(
        actor=storekeeper, parent_id=warehouse.stock_location_id, name="Shelf 1", barcode="LOC-1"
    )
    assert (shelf.full_name, shelf.warehouse_id) == ("WH/Stock/Shelf 1", warehouse.pk)
    with pytest.raises(LocationInvalidError) as refused:
        services.location_create(
            actor=storekeeper, parent_id=warehouse.stock_location_id, name="Shelf 1", barcode="LOC-1"
        )
    assert refused.value.field_errors == {
        "name": ["Location WH/Stock/Shelf 1 exists already."],
        "barcode": ["Another location has barcode LOC-1."],
    }
    assert Location.objects.filter(full_name__startswith="WH/Stock/").count() == 1


def test_a_warehouse_or_location_holding_stock_is_not_archived(
    warehouse: Any, storekeeper: Any, make_product: Any, receive: Any
) -> None:
    receive((make_product("CHAIR"), "1", "5"))
    with pytest.raises(WarehouseInvalidError, match="Please correct"):
        services.warehouse_update(actor=storekeeper, warehouse_id=warehouse.pk, is_active=False)
    with pytest.raises(LocationInvalidError):
        services.location_update(actor=storekeeper, location_id=warehouse.stock_location_id, is_active=False)
    renamed = services.warehouse_update(
        actor=storekeeper, warehouse_id=warehouse.pk, name="Amsterdam", delivery_steps=3, version=1
    )
    assert (renamed.name, renamed.delivery_steps, renamed.version, renamed.is_active) == (
        "Amsterdam",
        3,
        2,
        True,
    )
    assert Warehouse.objects.get(pk=warehouse.pk).is_active


def test_stock_accounts_per_category_take_precedence(
    accountant: Any, storekeeper: Any, books: Any, make_product: Any, receive: Any
) -> None:
    chair = make_product("CHAIR")
    other_stock = Account.objects.create(
        company=books, code="1210", name="Furniture stock", account_type="asset"
    )
    configuration.stock_accounts_set(
        actor=accountant, category_id=chair.category_id, stock_account_id=other_stock.pk
    )
    receipt = receive((chair, "2", "10"))
    lines = Move.objects.get(transfer=receipt).entry.lines.order_by("account__code")
    assert [(line.account.code, Decimal(str(line.debit)), Decimal(str(line.credit))) for line in lines] == [
        ("1210", Decimal("20.00"), Decimal("0.00")),
        ("2050", Decimal("0.00"), Decimal("20.00")),
    ]
    assert balance(books, "stock") == Decimal("0.00")  # the role's account was not used
    with pytest.raises(StockAccountsMissingError) as refused:
        configuration.stock_accounts_set(
            actor=accountant, stock_account_id=Account.objects.get(code="2050").pk
        )
    assert refused.value.field_errors == {"stock_account_id": ["Stock is an asset: choose an asset account."]}
    with pytest.raises(PermissionDeniedError):
        configuration.stock_accounts_set(actor=storekeeper, stock_account_id=other_stock.pk)
    assert StockAccounts.objects.count() == 1
