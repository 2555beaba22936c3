"""API schemas of manufacturing. As in finance and the catalog, quantities, hours and
amounts travel as decimal strings both ways ("0.5"), never as JSON numbers; the patterns
bound their shape, the services check the rules."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field

from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, ProductionState
from kantoor.manufacturing.selectors import production_order_children, production_order_components

_DECIMAL = r"^[0-9]{1,12}(\.[0-9]{1,4})?$"
_PERCENT = r"^[0-9]{1,3}(\.[0-9]{1,4})?$"

Quantity = Annotated[
    str, Field(pattern=_DECIMAL, max_length=17, description='A decimal string, e.g. "2".', examples=["2"])
]
Hours = Annotated[
    str, Field(pattern=_DECIMAL, max_length=17, description='Hours as a decimal string, e.g. "0.5".')
]
Amount = Annotated[
    str, Field(pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$", max_length=13, description='e.g. "45.00".')
]
Percent = Annotated[
    str, Field(pattern=_PERCENT, max_length=8, description="A percentage, 0 to 100.", examples=["10"])
]


def trimmed(value: Decimal, places: int = 2) -> str:
    """`value` as text with at least `places` decimals and no trailing zeros beyond them."""
    value = Decimal(value)
    short = value.quantize(Decimal(1).scaleb(-places))
    if short == value:
        return f"{short:f}"
    return f"{value.normalize():f}"


def _money_text(value: Any) -> Any:
    return trimmed(value) if isinstance(value, Decimal) else value


def _number_text(value: Any) -> Any:
    return trimmed(value, 0) if isinstance(value, Decimal) else value


def _cents_text(value: Any) -> Any:
    return (
        f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
        if isinstance(value, Decimal)
        else value
    )


def _hours_text(value: Any) -> Any:
    return (
        trimmed(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), 0)
        if isinstance(value, Decimal)
        else value
    )


MoneyText = Annotated[str, BeforeValidator(_money_text)]
NumberText = Annotated[str, BeforeValidator(_number_text)]
# An amount computed exactly and rounded (half up) to cents only here, where it is shown.
CentsText = Annotated[str, BeforeValidator(_cents_text)]
HoursText = Annotated[str, BeforeValidator(_hours_text)]


class WorkCentreOut(Schema):
    id: int
    code: str
    name: str
    capacity: NumberText = Field(description="Hours per day.")
    cost_per_hour: MoneyText
    is_active: bool
    version: int


class WorkCentreIn(Input):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    capacity: Hours = "8"
    cost_per_hour: Amount = "0"


class WorkCentrePatch(Input):
    version: Version | None = None
    code: str = unchanged(min_length=1, max_length=20)
    name: str = unchanged(min_length=1, max_length=100)
    capacity: Hours = unchanged()
    cost_per_hour: Amount = unchanged()
    is_active: bool = unchanged()


class ComponentSchema(Input):
    product_id: Id
    quantity: Quantity
    uom_id: Id | None = Field(None, description="Default: the product's unit.")
    scrap_percent: Percent = "0"


class ByProductSchema(Input):
    product_id: Id
    quantity: Quantity
    uom_id: Id | None = None
    cost_share: Percent = Field("0", description="Percent of the production's cost it carries.")


class OperationSchema(Input):
    work_centre_id: Id
    name: str = Field(min_length=1, max_length=100)
    hours: Hours = Field(description="Hours for the BOM's quantity.")
    sequence: int | None = Field(None, ge=0, le=100000)


class ComponentOut(Schema):
    product_id: int
    sku: str = Field(alias="product.sku")
    quantity: NumberText
    uom: str = Field(alias="uom.code")
    scrap_percent: NumberText


class ByProductOut(Schema):
    product_id: int
    sku: str = Field(alias="product.sku")
    quantity: NumberText
    uom: str = Field(alias="uom.code")
    cost_share: NumberText


class OperationOut(Schema):
    work_centre_id: int
    work_centre: str = Field(alias="work_centre.code")
    name: str
    hours: NumberText
    sequence: int


class BomOut(Schema):
    id: int
    code: str
    name: str
    product_id: int
    product_sku: str = Field(alias="product.sku")
    quantity: NumberText
    uom: str = Field(alias="uom.code")
    is_active: bool
    version: int
    components: list[ComponentOut]
    by_products: list[ByProductOut]
    operations: list[OperationOut]

    @staticmethod
    def resolve_components(obj: BillOfMaterials) -> list[Any]:
        return list(obj.components.all())

    @staticmethod
    def resolve_by_products(obj: BillOfMaterials) -> list[Any]:
        return list(obj.by_products.all())

    @staticmethod
    def resolve_operations(obj: BillOfMaterials) -> list[Any]:
        return list(obj.operations.all())


class BomPage(Page[BomOut]):
    pass


class BomIn(Input):
    product_id: Id
    code: str = Field(min_length=1, max_length=40)
    name: str = Field("", max_length=200)
    quantity: Quantity = "1"
    uom_id: Id | None = None
    components: list[ComponentSchema] = Field(min_length=1, max_length=500)
    by_products: list[ByProductSchema] = Field([], max_length=100)
    operations: list[OperationSchema] = Field([], max_length=100)


class BomPatch(Input):
    version: Version | None = None
    code: str = unchanged(min_length=1, max_length=40)
    name: str = unchanged(max_length=200)
    quantity: Quantity = unchanged()
    uom_id: Id = unchanged()
    is_active: bool = unchanged()
    components: list[ComponentSchema] = unchanged(min_length=1, max_length=500)
    by_products: list[ByProductSchema] = unchanged(max_length=100)
    operations: list[OperationSchema] = unchanged(max_length=100)


class ExplosionQuery(QueryInput):
    quantity: Quantity = "1"
    uom_id: Id | None = None


class ExplodedOut(Schema):
    product_id: int
    sku: str
    quantity: NumberText = Field(description="In the product's stock unit, scrap included, rounded up.")
    uom: str


class StructureQuery(QueryInput):
    quantity: Quantity = "1"
    uom_id: Id | None = Field(None, description="Default: the BOM's unit.")


class StructureOperationOut(Schema):
    name: str
    work_centre_id: int
    work_centre: str
    hours: HoursText = Field(description="For the level's quantity (rounded to 4 decimals here).")
    cost_per_hour: MoneyText
    cost: CentsText


class StructureByProductOut(Schema):
    product_id: int
    sku: str
    name: str
    quantity: NumberText
    uom: str
    cost_share: NumberText
    cost: CentsText = Field(description="The level's total cost × the cost share.")


class StructureLineOut(Schema):
    component_id: int
    product_id: int
    sku: str
    name: str
    quantity: NumberText = Field(description="In the product's stock unit, scrap included, rounded up.")
    uom: str
    scrap_percent: NumberText
    unit_cost: MoneyText = Field(description="The product's cost.")
    line_cost: CentsText = Field(description="quantity × unit_cost.")
    cost: CentsText = Field(
        description="What the line adds: its structure's cost when it has one, else line_cost."
    )
    structure: BomStructureOut | None = Field(
        None, description="How the quantity is made, when the component has an active BOM of its own."
    )


class BomStructureOut(Schema):
    bom_id: int
    code: str
    product_id: int
    sku: str
    name: str
    quantity: NumberText
    uom: str
    depth: int = Field(description="0 for the BOM asked for, 1 for its sub-assemblies, …")
    components: list[StructureLineOut]
    operations: list[StructureOperationOut]
    by_products: list[StructureByProductOut]
    material_cost: CentsText
    work_cost: CentsText
    total_cost: CentsText = Field(description="Materials plus work.")
    by_products_cost: CentsText
    cost: CentsText = Field(description="What the product made carries: total less the by-products' shares.")
    unit_cost: CentsText = Field(description="cost ÷ quantity: one unit when the quantity is made at once.")


StructureLineOut.model_rebuild()


class WorkCentreFilters(QueryInput):
    is_active: bool | None = None


class BomFilters(QueryInput):
    product_id: Id | None = None
    is_active: bool | None = None


class ProductionOrderFilters(QueryInput):
    state: ProductionState | None = None
    product_id: Id | None = None


class ProductionOrderListOut(Schema):
    id: int
    number: str
    state: ProductionState
    availability: str = Field(description='"ready", "waiting" (confirmed orders) or "".')
    product_id: int
    product_sku: str = Field(alias="product.sku")
    bom_id: int
    quantity: NumberText
    produced_quantity: NumberText
    uom: str = Field(alias="uom.code")
    warehouse_id: int
    scheduled_date: dt.date
    origin: str
    component_transfer_id: int | None
    hours_worked: NumberText
    components_cost: MoneyText
    work_cost: MoneyText
    cost: MoneyText = Field(description="What the goods made so far cost: components plus work.")
    version: int


class OrderComponentOut(Schema):
    product_id: int
    sku: str
    uom: str
    needed: NumberText = Field(description="Still to consume (open on the component transfer).")
    reserved: NumberText
    consumed: NumberText
    lots: list[str]


class ProductionOrderOut(ProductionOrderListOut):
    output_transfer_ids: list[int]
    components: list[OrderComponentOut]
    child_order_ids: list[int] = Field(description="The orders made for its missing components.")

    @staticmethod
    def resolve_child_order_ids(obj: ProductionOrder) -> list[int]:
        return list(production_order_children(obj).order_by("id").values_list("id", flat=True))

    @staticmethod
    def resolve_output_transfer_ids(obj: ProductionOrder) -> list[int]:
        return list(obj.output_transfers.order_by("id").values_list("id", flat=True))

    @staticmethod
    def resolve_components(obj: ProductionOrder) -> list[Any]:
        return production_order_components(obj)


class ProductionOrderPage(Page[ProductionOrderListOut]):
    pass


class ProductionOrderIn(Input):
    warehouse_id: Id
    quantity: Quantity
    bom_id: Id | None = Field(None, description="Default: the product's active BOM.")
    product_id: Id | None = None
    uom_id: Id | None = None
    scheduled_date: dt.date | None = None


class VersionIn(Input):
    version: Version | None = None


class ConfirmIn(VersionIn):
    make_components: bool = Field(
        False,
        description="Also make what is missing: a confirmed order (origin: this order's number) for "
        "each component with an active BOM whose forecast in the warehouse falls short, every level down.",
    )


class HoursSchema(Input):
    work_centre_id: Id
    hours: Hours


class ProduceIn(Input):
    version: Version | None = None
    quantity: Quantity
    lots: list[Annotated[str, Field(max_length=60)]] = Field(
        [], max_length=10000, description="Lot (one) or serial numbers (one per unit) of the goods made."
    )
    hours: list[HoursSchema] | None = Field(
        None, max_length=100, description="Hours per work centre; default the BOM's operations."
    )
