"""API schemas of inventory: warehouses, locations, transfers with their moves, counts with
their lines, lots and the scan lookup. Quantities and amounts travel as decimal strings
("12.5"), never JSON numbers; the patterns bound the shape, the services check the rules.
Unit costs and values show only to those who may see stock valuation (else null)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field

from kantoor.core import policy
from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged
from kantoor.inventory.models import (
    CountState,
    InventoryCount,
    InventoryCountLine,
    LocationUsage,
    Move,
    Transfer,
    TransferKind,
    TransferState,
)

VIEW_VALUATION = "inventory.view_valuation"

_QUANTITY = r"^[0-9]{1,14}(\.[0-9]{1,4})?$"
_COST = r"^[0-9]{1,14}(\.[0-9]{1,6})?$"

Quantity = Annotated[
    str, Field(pattern=_QUANTITY, max_length=19, description='A decimal string, e.g. "3".', examples=["3"])
]
UnitCost = Annotated[
    str,
    Field(pattern=_COST, max_length=21, description='A decimal string, e.g. "12.50".', examples=["12.50"]),
]
Text60 = Annotated[str, Field(max_length=60)]


def _number_text(value: Any) -> Any:
    return f"{Decimal(value).normalize():f}" if isinstance(value, Decimal) else value


NumberText = Annotated[str, BeforeValidator(_number_text)]


def _sees_value(context: Any) -> bool:
    request = (context or {}).get("request")
    return policy.has_permission(getattr(request, "auth", None), VIEW_VALUATION)


# ----------------------------------------------------------------------------- places


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    delivery_steps: int = Field(description="1: stock → customer; 3: pick, pack, ship.")
    receipt_steps: int = Field(
        description="1: supplier → stock; 2: supplier → input, then a put-away to stock."
    )
    is_active: bool
    view_location_id: int | None
    stock_location_id: int | None
    input_location_id: int | None
    pack_location_id: int | None
    output_location_id: int | None
    version: int


class WarehousePage(Page[WarehouseOut]):
    pass


class WarehouseCreateIn(Input):
    code: str = Field(max_length=10, description="Short code, e.g. AMS; prefixes its transfer numbers.")
    name: str = Field(max_length=100)
    delivery_steps: int = Field(1, description="1 or 3.")
    receipt_steps: int = Field(1, description="1 or 2.")


class WarehouseUpdateIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    name: str = unchanged(min_length=1, max_length=100)
    delivery_steps: int = unchanged(description="1 or 3.")
    receipt_steps: int = unchanged(
        description="1 or 2; refused (422) while the warehouse has open receipts or put-aways."
    )
    is_active: bool = unchanged(description="false archives it: refused while it holds stock.")


class LocationOut(Schema):
    id: int
    name: str
    full_name: str
    usage: str
    barcode: str
    warehouse_id: int | None
    parent_id: int | None
    is_active: bool


class LocationPage(Page[LocationOut]):
    pass


class LocationFilters(QueryInput):
    warehouse_id: Id | None = None
    usage: LocationUsage | None = None
    search: str = Field("", max_length=100, description="Part of the full name, or a barcode.")


class LocationCreateIn(Input):
    parent_id: Id
    name: str = Field(max_length=60)
    usage: LocationUsage = LocationUsage.INTERNAL
    barcode: str = Field("", max_length=40)


# ----------------------------------------------------------------------------- transfers


class MoveOut(Schema):
    id: int
    product_id: int
    product_sku: str
    lot: str | None = Field(description="Lot or serial number.")
    source_id: int
    destination_id: int
    quantity: NumberText = Field(description="In the product's stock unit.")
    state: str
    unit_cost: str | None = Field(description="Null without inventory.view_valuation.")
    value: str | None = Field(description="Null without inventory.view_valuation.")
    origin_move_id: int | None = Field(description="The move a return sends back.")
    origin_line: str

    @staticmethod
    def resolve_product_sku(obj: Move) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_lot(obj: Move) -> str | None:
        return obj.lot.name if obj.lot else None

    @staticmethod
    def resolve_unit_cost(obj: Move, context: Any) -> str | None:
        return _number_text(obj.unit_cost) if _sees_value(context) else None

    @staticmethod
    def resolve_value(obj: Move, context: Any) -> str | None:
        return f"{obj.value:f}" if _sees_value(context) else None


class TransferOut(Schema):
    id: int
    number: str
    kind: str
    state: str
    warehouse_id: int | None
    source_id: int
    destination_id: int
    party_id: int | None
    scheduled_date: dt.date
    done_at: dt.datetime | None
    origin: str
    notes: str
    backorder_of_id: int | None
    return_of_id: int | None
    next_transfer_id: int | None
    version: int


class TransferDetailOut(TransferOut):
    moves: list[MoveOut]

    @staticmethod
    def resolve_moves(obj: Transfer) -> list[Move]:
        return getattr(obj, "loaded_moves", [])


class TransferPage(Page[TransferOut]):
    pass


class TransferFilters(QueryInput):
    kind: TransferKind | None = None
    state: TransferState | None = None
    warehouse_id: Id | None = None
    search: str = Field("", max_length=100, description="Part of the number, origin or partner name.")


class MoveLineIn(Input):
    product_id: Id
    quantity: Quantity
    uom_id: Id | None = Field(None, description="Default: the product's stock unit.")
    unit_cost: UnitCost | None = Field(
        None, description="Goods from a supplier: cost per unit (default: product's)."
    )
    lot: Text60 = Field("", description="Ask for (or, coming in, name) one lot or serial number.")


class TransferCreateIn(Input):
    kind: TransferKind = Field(description="receipt, delivery, internal, return_in or return_out.")
    warehouse_id: Id | None = None
    source_id: Id | None = Field(None, description="Default: the kind's route in the warehouse.")
    destination_id: Id | None = None
    party_id: Id | None = None
    scheduled_date: dt.date | None = None
    origin: str = Field("", max_length=60)
    notes: str = Field("", max_length=2000)
    lines: list[MoveLineIn] = Field(min_length=1, max_length=500)


class TransferVersionIn(Input):
    version: Version | None = Field(None, description="The version you read (409 when stale).")


class DoneLineIn(Input):
    move_id: Id
    quantity: Quantity
    lot: Text60 = ""
    expiry_date: dt.date | None = None
    location_id: Id | None = Field(None, description="A location under the move's own.")


class TransferValidateIn(Input):
    version: Version | None = None
    done: list[DoneLineIn] | None = Field(
        None, max_length=2000, description="What was done per move; null: everything as planned."
    )
    backorder: bool = Field(True, description="Keep what was not done on a backorder (else cancel it).")


class ReturnLineIn(Input):
    move_id: Id
    quantity: Quantity


class TransferReturnIn(Input):
    lines: list[ReturnLineIn] | None = Field(
        None, max_length=500, description="Done moves and quantities; null: everything still returnable."
    )


# ----------------------------------------------------------------------------- counts


class CountLineOut(Schema):
    id: int
    product_id: int
    product_sku: str
    location_id: int
    lot: str | None
    expected_quantity: NumberText
    counted_quantity: NumberText | None = Field(description="Null: not counted (changes nothing).")

    @staticmethod
    def resolve_product_sku(obj: InventoryCountLine) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_lot(obj: InventoryCountLine) -> str | None:
        return obj.lot.name if obj.lot else None


class CountOut(Schema):
    id: int
    number: str
    location_id: int
    state: CountState
    scheduled_date: dt.date
    adjustment_id: int | None = Field(description="The adjustment transfer once applied.")
    done_at: dt.datetime | None
    version: int


class CountDetailOut(CountOut):
    lines: list[CountLineOut]

    @staticmethod
    def resolve_lines(obj: InventoryCount) -> list[InventoryCountLine]:
        return getattr(obj, "loaded_lines", [])


class CountPage(Page[CountOut]):
    pass


class CountFilters(QueryInput):
    state: CountState | None = None


class CountCreateIn(Input):
    location_id: Id
    product_ids: list[Id] | None = Field(None, max_length=1000, description="Null: every product held there.")
    scheduled_date: dt.date | None = None


class CountLineSetIn(Input):
    counted_quantity: Quantity | None = Field(description="Null: not counted.")


class CountLineAddIn(Input):
    product_id: Id
    counted_quantity: Quantity
    lot: Text60 = ""
    expiry_date: dt.date | None = None
    location_id: Id | None = Field(None, description="Default: the count's location.")


# ----------------------------------------------------------------------------- lots and scans


class LotOut(Schema):
    id: int
    product_id: int
    product_sku: str
    name: str
    expiry_date: dt.date | None

    @staticmethod
    def resolve_product_sku(obj: Any) -> str:
        return str(obj.product.sku)


class LotPage(Page[LotOut]):
    pass


class LotFilters(QueryInput):
    product_id: Id | None = None
    search: str = Field("", max_length=60)


class ScanQuery(QueryInput):
    code: str = Field(min_length=1, max_length=255, description="A SKU, barcode, lot or location.")


class ScanProductOut(Schema):
    id: int
    sku: str
    name: str
    barcode: str


class StockOut(Schema):
    product_id: int
    product_sku: str
    location_id: int
    location: str
    lot: str | None
    quantity: NumberText
    reserved: NumberText

    @staticmethod
    def resolve_product_id(obj: Any) -> int:
        return int(obj.product.pk)

    @staticmethod
    def resolve_product_sku(obj: Any) -> str:
        return str(obj.product.sku)

    @staticmethod
    def resolve_location_id(obj: Any) -> int:
        return int(obj.location.pk)

    @staticmethod
    def resolve_location(obj: Any) -> str:
        return str(obj.location.full_name)

    @staticmethod
    def resolve_lot(obj: Any) -> str | None:
        return obj.lot.name if obj.lot else None


class ScanOut(Schema):
    code: str
    kind: str = Field(description='"product", "lot", "location", or "" when nothing matches.')
    product: ScanProductOut | None
    lot: LotOut | None
    location: LocationOut | None
    total: NumberText = Field(description="On hand in the company (product and lot).")
    stock: list[StockOut]
