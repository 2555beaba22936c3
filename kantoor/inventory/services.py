"""Writes of inventory: warehouses and locations, and transfers (receipts, deliveries,
internal transfers, returns) from draft through reservation to done.

Every function owns its transaction, checks the policy (`inventory.manage_stock`), locks
the transfer it changes, refuses bad input with a DomainError naming the problem (nothing
is written then), records an audit row and publishes its events through the outbox.
The moves themselves are done by kantoor.inventory.moves, which also values them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.errors import UomIncompatibleError
from kantoor.catalog.models import QUANTITY, Product, Tracking, Uom, uom_convert
from kantoor.core import audit, fastsql, outbox, policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import User
from kantoor.core.numbering import number_allocate
from kantoor.core.services import require_version
from kantoor.core.validation import unique_or_field_error
from kantoor.inventory import moves as engine
from kantoor.inventory import putaway, valuation
from kantoor.inventory.errors import (
    LocationInvalidError,
    LotRequiredError,
    TransferInvalidError,
    TransferStateError,
    WarehouseInvalidError,
)
from kantoor.inventory.events import GoodsDelivered, GoodsReceived, TransferDone
from kantoor.inventory.models import (
    Location,
    LocationUsage,
    Move,
    MoveState,
    Quant,
    Transfer,
    TransferKind,
    TransferState,
    Warehouse,
)

VIEW = "inventory.view_stock"
MANAGE = "inventory.manage_stock"
VIEW_VALUATION = "inventory.view_valuation"

KIND_PREFIX: dict[str, str] = {
    TransferKind.RECEIPT: "IN",
    TransferKind.DELIVERY: "OUT",
    TransferKind.INTERNAL: "INT",
    TransferKind.PICK: "PICK",
    TransferKind.PACK: "PACK",
    TransferKind.RETURN_IN: "RET",
    TransferKind.RETURN_OUT: "RTS",
    TransferKind.ADJUSTMENT: "ADJ",
    TransferKind.PRODUCTION: "PROD",
}
# The company's locations outside its warehouses: the other side of every move in or out.
COMPANY_LOCATIONS = (
    ("Partners", LocationUsage.VIEW, None),
    ("Partners/Suppliers", LocationUsage.SUPPLIER, "Partners"),
    ("Partners/Customers", LocationUsage.CUSTOMER, "Partners"),
    ("Virtual", LocationUsage.VIEW, None),
    ("Virtual/Production", LocationUsage.PRODUCTION, "Virtual"),
    ("Virtual/Inventory loss", LocationUsage.INVENTORY, "Virtual"),
    ("Virtual/Transit", LocationUsage.TRANSIT, "Virtual"),
)
# Transfers whose goods arrive (GoodsReceived) or leave (GoodsDelivered).
RECEIVING = (TransferKind.RECEIPT, TransferKind.RETURN_IN)
DELIVERING = (TransferKind.DELIVERY, TransferKind.RETURN_OUT)
OPEN_STATES = (TransferState.DRAFT, TransferState.WAITING, TransferState.READY)


@dataclass(frozen=True)
class MoveIn:
    """A line of a new transfer: `quantity` of a product in `uom_id` (default: its stock
    unit); for goods coming from a supplier their `unit_cost` in company currency per `uom`
    (default: the product's cost); `lot` to ask for one lot or serial number."""

    product_id: int
    quantity: Decimal | int | str
    uom_id: int | None = None
    unit_cost: Decimal | int | str | None = None
    lot: str = ""
    # The document line it fulfils ("purchasing.orderline:12"): see Move.origin_line.
    origin_line: str = ""


class Line(NamedTuple):
    """A line of a new transfer, checked: quantity and unit cost in the product's unit."""

    product: Product
    quantity: Decimal
    unit_cost: Decimal | None
    lot: str
    origin_line: str


@dataclass(frozen=True)
class DoneIn:
    """What was really moved for one move of a transfer: `quantity` (in the product's stock
    unit) of lot or serial number `lot`, taken from (outgoing) or put on (incoming) the
    sub-location `location_id` when not the move's own. Several per move split it (one
    serial number each)."""

    move_id: int
    quantity: Decimal | int | str
    lot: str = ""
    expiry_date: dt.date | None = None
    location_id: int | None = None


def company_location(company_id: int, usage: str) -> Location:
    """The company's location of `usage` outside its warehouses (suppliers, customers…)."""
    found = fastsql.select(
        Location,
        "company_id = %s AND usage = %s AND warehouse_id IS NULL",
        [company_id, usage],
        order_by="id",
    )
    if not found:
        locations_install(company_id)
        return Location.objects.get(company_id=company_id, usage=usage, warehouse__isnull=True)
    return found[0]


def locations_install(company_id: int) -> None:
    """The company's locations outside its warehouses (suppliers, customers, production,
    inventory loss, transit); idempotent."""
    made: dict[str, Location] = {}
    for full_name, usage, parent in COMPANY_LOCATIONS:
        location, _created = Location.objects.get_or_create(
            company_id=company_id,
            full_name=full_name,
            defaults={
                "name": full_name.rsplit("/", 1)[-1],
                "usage": usage,
                "parent": made.get(parent) if parent else None,
            },
        )
        made[full_name] = location


def _location_add(
    company_id: int, warehouse: Warehouse | None, parent: Location | None, name: str, usage: str
) -> Location:
    full_name = f"{parent.full_name}/{name}" if parent else name
    return Location.objects.create(
        company_id=company_id, warehouse=warehouse, parent=parent, name=name, full_name=full_name, usage=usage
    )


@transaction.atomic
def warehouse_create(
    *, actor: User, code: str, name: str, delivery_steps: int = 1, receipt_steps: int = 1
) -> Warehouse:
    """A warehouse with its locations: CODE (a view), CODE/Stock, CODE/Input, CODE/Packing
    and CODE/Output. Deliveries take one step (stock → customer) or three (pick, pack, ship);
    receipts one (supplier → stock) or two (supplier → input, then a put-away to stock)."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    code, name = str(code or "").strip().upper(), str(name or "").strip()
    errors: dict[str, list[str]] = {}
    if not code or len(code) > 10 or "/" in code or " " in code:
        errors["code"] = [_("Enter a code of at most 10 characters, without spaces or slashes.")]
    elif Warehouse.objects.filter(company_id=company_id, code=code).exists():
        errors["code"] = [_("Warehouse %s exists already.") % code]
    elif Location.objects.filter(company_id=company_id, full_name=code).exists():
        errors["code"] = [_("A location is called %s already.") % code]
    if not name or len(name) > 100:
        errors["name"] = [_("Enter a name of at most 100 characters.")]
    if delivery_steps not in (1, 3):
        errors["delivery_steps"] = [_("Deliveries take 1 or 3 steps.")]
    if receipt_steps not in (1, 2):
        errors["receipt_steps"] = [_("Receipts take 1 or 2 steps.")]
    if errors:
        raise WarehouseInvalidError(_("Please correct the marked fields."), field_errors=errors)
    locations_install(company_id)
    with unique_or_field_error("code", lambda: _("Warehouse %s exists already.") % code):
        warehouse = Warehouse.objects.create(
            company_id=company_id,
            code=code,
            name=name,
            delivery_steps=delivery_steps,
            receipt_steps=receipt_steps,
        )
    view = _location_add(company_id, warehouse, None, code, LocationUsage.VIEW)
    warehouse.view_location = view
    warehouse.stock_location = _location_add(company_id, warehouse, view, "Stock", LocationUsage.INTERNAL)
    warehouse.input_location = _location_add(company_id, warehouse, view, "Input", LocationUsage.INTERNAL)
    warehouse.pack_location = _location_add(company_id, warehouse, view, "Packing", LocationUsage.INTERNAL)
    warehouse.output_location = _location_add(company_id, warehouse, view, "Output", LocationUsage.INTERNAL)
    warehouse.save(
        update_fields=[
            "view_location",
            "stock_location",
            "input_location",
            "pack_location",
            "output_location",
        ]
    )
    audit.record(
        actor=actor,
        obj=warehouse,
        action="inventory.warehouse_create",
        changes={
            "code": [None, code],
            "name": [None, name],
            "delivery_steps": [None, delivery_steps],
            "receipt_steps": [None, receipt_steps],
        },
    )
    return warehouse


@transaction.atomic
def location_create(
    *, actor: User, parent_id: int, name: str, usage: str = LocationUsage.INTERNAL, barcode: str = ""
) -> Location:
    """A location under `parent_id` (a shelf in a warehouse's stock, say); its full name is
    the path from the top and unique in the company, its barcode too."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    parent = _location(company_id, parent_id, "parent_id", LocationInvalidError)
    name, barcode = str(name or "").strip(), str(barcode or "").strip()
    errors: dict[str, list[str]] = {}
    if not name or "/" in name or len(name) > 60:
        errors["name"] = [_("Enter a name of at most 60 characters, without slashes.")]
    if usage not in LocationUsage.values or (
        usage == LocationUsage.VIEW and parent.usage != LocationUsage.VIEW
    ):
        errors["usage"] = [_("Choose a usage of: %s.") % ", ".join(LocationUsage.values)]
    full_name = f"{parent.full_name}/{name}"
    if not errors and Location.objects.filter(company_id=company_id, full_name=full_name).exists():
        errors["name"] = [_("Location %s exists already.") % full_name]
    if barcode and Location.objects.filter(company_id=company_id, barcode=barcode).exists():
        errors["barcode"] = [_("Another location has barcode %s.") % barcode]
    if errors:
        raise LocationInvalidError(_("Please correct the marked fields."), field_errors=errors)
    location = Location.objects.create(
        company_id=company_id,
        warehouse_id=parent.warehouse_id,
        parent=parent,
        name=name,
        full_name=full_name,
        usage=usage,
        barcode=barcode,
    )
    audit.record(
        actor=actor,
        obj=location,
        action="inventory.location_create",
        changes={"full_name": [None, full_name], "usage": [None, usage], "barcode": [None, barcode]},
    )
    return location


@transaction.atomic
def warehouse_update(
    *,
    actor: User,
    warehouse_id: int,
    version: int | None = None,
    name: str | None = None,
    delivery_steps: int | None = None,
    receipt_steps: int | None = None,
    is_active: bool | None = None,
) -> Warehouse:
    """Rename a warehouse, change its delivery steps (new deliveries follow them), its
    receipt steps (refused while it has open receipts, customer returns or put-aways) or
    archive it: refused while its locations hold stock or it has open transfers."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    warehouse = Warehouse.objects.select_for_update().filter(pk=warehouse_id, company_id=company_id).first()
    if warehouse is None:
        raise NotFoundError(_("Not found."))
    require_version(warehouse, version)
    errors: dict[str, list[str]] = {}
    changes: dict[str, list[Any]] = {}
    if name is not None:
        name = str(name).strip()
        if not name or len(name) > 100:
            errors["name"] = [_("Enter a name of at most 100 characters.")]
        elif name != warehouse.name:
            changes["name"] = [warehouse.name, name]
    if delivery_steps is not None:
        if delivery_steps not in (1, 3):
            errors["delivery_steps"] = [_("Deliveries take 1 or 3 steps.")]
        elif delivery_steps != warehouse.delivery_steps:
            changes["delivery_steps"] = [warehouse.delivery_steps, delivery_steps]
    if receipt_steps is not None:
        if receipt_steps not in (1, 2):
            errors["receipt_steps"] = [_("Receipts take 1 or 2 steps.")]
        elif receipt_steps != warehouse.receipt_steps:
            if putaway.receiving_busy(warehouse):
                errors["receipt_steps"] = [
                    _("The warehouse has open receipts or put-aways; finish or cancel them first.")
                ]
            changes["receipt_steps"] = [warehouse.receipt_steps, receipt_steps]
    if is_active is not None and is_active != warehouse.is_active:
        if not is_active and _warehouse_busy(warehouse):
            errors["is_active"] = [_("The warehouse holds stock or has open transfers; empty it first.")]
        changes["is_active"] = [warehouse.is_active, is_active]
    if errors:
        raise WarehouseInvalidError(_("Please correct the marked fields."), field_errors=errors)
    if not changes:
        return warehouse
    for field, (_before, after) in changes.items():
        setattr(warehouse, field, after)
    warehouse.version += 1
    warehouse.save(update_fields=[*changes, "version"])
    audit.record(actor=actor, obj=warehouse, action="inventory.warehouse_update", changes=changes)
    return warehouse


def _warehouse_busy(warehouse: Warehouse) -> bool:
    in_stock = Quant.objects.filter(company_id=warehouse.company_id, location__warehouse=warehouse).exclude(
        quantity=0
    )
    open_transfers = Transfer.objects.filter(
        company_id=warehouse.company_id, warehouse=warehouse, state__in=OPEN_STATES
    )
    return in_stock.exists() or open_transfers.exists()


@transaction.atomic
def location_update(
    *,
    actor: User,
    location_id: int,
    barcode: str | None = None,
    is_active: bool | None = None,
) -> Location:
    """Change a location's barcode or archive it (refused while it holds stock). Its name
    stays: moves and counts name it by its full name."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    location = Location.objects.select_for_update().filter(pk=location_id, company_id=company_id).first()
    if location is None:
        raise NotFoundError(_("Not found."))
    changes: dict[str, list[Any]] = {}
    errors: dict[str, list[str]] = {}
    if barcode is not None:
        barcode = str(barcode).strip()
        taken = Location.objects.filter(company_id=company_id, barcode=barcode).exclude(pk=location.pk)
        if len(barcode) > 40:
            errors["barcode"] = [_("Enter at most 40 characters.")]
        elif barcode and taken.exists():
            errors["barcode"] = [_("Another location has barcode %s.") % barcode]
        elif barcode != location.barcode:
            changes["barcode"] = [location.barcode, barcode]
    if is_active is not None and is_active != location.is_active:
        held = Quant.objects.filter(
            Q(location=location) | Q(location__full_name__startswith=location.full_name + "/"),
            company_id=company_id,
        ).exclude(quantity=0)
        if not is_active and held.exists():
            errors["is_active"] = [_("%s holds stock; move it elsewhere first.") % location.full_name]
        changes["is_active"] = [location.is_active, is_active]
    if errors:
        raise LocationInvalidError(_("Please correct the marked fields."), field_errors=errors)
    if changes:
        for field, (_before, after) in changes.items():
            setattr(location, field, after)
        location.save(update_fields=list(changes))
        audit.record(actor=actor, obj=location, action="inventory.location_update", changes=changes)
    return location


def _location(
    company_id: int,
    location_id: Any,
    field: str,
    error: type[Any] = TransferInvalidError,
    known: dict[int, Location] | None = None,
) -> Location:
    """The company's active location `location_id`; from `known` (the company's locations
    read already, by id) when it is there."""
    location = known.get(location_id) if known and isinstance(location_id, int) else None
    if location is None:
        found = (
            fastsql.select(Location, "id = %s AND company_id = %s", [location_id, company_id])
            if isinstance(location_id, int)
            else []
        )
        if not found:
            raise error(_("Unknown location."), field_errors={field: [_("Unknown location.")]})
        location = found[0]
    if not location.is_active:
        raise error(
            _("Location %s is archived.") % location.full_name,
            field_errors={field: [_("Location %s is archived.") % location.full_name]},
        )
    return location


def _quantity(value: Any, field: str) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise TransferInvalidError(
            _("Enter a number."), field_errors={field: [_("Enter a number.")]}
        ) from None
    if not quantity.is_finite() or quantity <= 0:
        raise TransferInvalidError(
            _("Enter a quantity above zero."), field_errors={field: [_("Enter a quantity above zero.")]}
        )
    if quantity != quantity.quantize(QUANTITY) or quantity >= Decimal(10) ** 14:
        raise TransferInvalidError(
            _("Enter a quantity with at most four decimals."),
            field_errors={field: [_("Enter a quantity with at most four decimals.")]},
        )
    return quantity


def _partner_location(site: Site, usage: str) -> Location:
    """The company's location of `usage` outside its warehouses, from what `site` read."""
    for location in sorted(site.places.values(), key=lambda location: location.pk):
        if location.usage == usage and location.warehouse_id is None:
            return location
    return company_location(site.warehouse.company_id, usage)


def _default_route(kind: str, site: Site) -> tuple[Location | None, Location | None]:
    warehouse = site.warehouse
    suppliers = lambda: _partner_location(site, LocationUsage.SUPPLIER)  # noqa: E731 - read when needed
    customers = lambda: _partner_location(site, LocationUsage.CUSTOMER)  # noqa: E731
    routes: dict[str, Any] = {
        TransferKind.RECEIPT: lambda: (suppliers(), putaway.receiving_location(site)),
        TransferKind.DELIVERY: lambda: (warehouse.stock_location, customers()),
        TransferKind.RETURN_IN: lambda: (customers(), putaway.receiving_location(site)),
        TransferKind.RETURN_OUT: lambda: (warehouse.stock_location, suppliers()),
    }
    if kind in routes:
        return routes[kind]()
    return None, None


class Site(NamedTuple):
    """A warehouse with the locations a transfer may name, read together: the warehouse's
    own, the locations the caller asked for and the company's partner locations
    (suppliers, customers, production), by id."""

    warehouse: Warehouse
    places: dict[int, Location]


PARTNER_USAGES = (LocationUsage.SUPPLIER, LocationUsage.CUSTOMER, LocationUsage.PRODUCTION)


def _warehouse(company_id: int, warehouse_id: Any, also: Sequence[Any] = ()) -> Site:
    """The company's active warehouse `warehouse_id` and its Site (two plain reads); `also`
    are location ids the caller will name (read with the others, checked by _location)."""
    found = (
        fastsql.select(Warehouse, "id = %s AND company_id = %s", [warehouse_id, company_id])
        if isinstance(warehouse_id, int)
        else []
    )
    if not found:
        raise TransferInvalidError(
            _("Unknown warehouse."), field_errors={"warehouse_id": [_("Unknown warehouse.")]}
        )
    warehouse = found[0]
    if not warehouse.is_active:
        raise TransferInvalidError(
            _("Warehouse %s is archived.") % warehouse.code,
            field_errors={"warehouse_id": [_("Warehouse %s is archived.") % warehouse.code]},
        )
    ids = [
        pk
        for pk in (warehouse.stock_location_id, warehouse.pack_location_id, warehouse.output_location_id)
        if pk
    ] + [pk for pk in also if isinstance(pk, int)]
    places: dict[int, Location] = {
        location.pk: location
        for location in fastsql.select(
            Location,
            f"company_id = %s AND (id IN ({fastsql.placeholders(ids)}) "
            f"OR (warehouse_id IS NULL AND usage IN ({fastsql.placeholders(PARTNER_USAGES)})))",
            [company_id, *ids, *PARTNER_USAGES],
        )
    }
    warehouse.stock_location = places.get(warehouse.stock_location_id or 0)
    warehouse.pack_location = places.get(warehouse.pack_location_id or 0)
    warehouse.output_location = places.get(warehouse.output_location_id or 0)
    return Site(warehouse, places)


def _products(company_id: int, ids: set[Any]) -> dict[int, Product]:
    """The company's products of `ids` with their categories (one plain read)."""
    valid = sorted(pk for pk in ids if isinstance(pk, int))
    if not valid:
        return {}
    products = fastsql.select_related(
        Product,
        "category",
        f"company_id = %s AND id IN ({fastsql.placeholders(valid)})",
        [company_id, *valid],
    )
    return {product.pk: product for product in products}


def _lines_clean(company_id: int, lines: Sequence[MoveIn]) -> list[Line]:
    """Each line's product, quantity in the product's unit, unit cost per that unit and lot."""
    if not lines:
        raise TransferInvalidError(
            _("Add at least one line."), field_errors={"lines": [_("Add at least one line.")]}
        )
    products = _products(company_id, {line.product_id for line in lines})
    uom_ids = [line.uom_id for line in lines if line.uom_id]
    uoms = (
        {uom.pk: uom for uom in Uom.objects.filter(company_id=company_id, pk__in=uom_ids)} if uom_ids else {}
    )
    clean = []
    for index, line in enumerate(lines):
        field = f"lines.{index}"
        product = products.get(line.product_id)
        if product is None:
            raise TransferInvalidError(
                _("Line %d: unknown product.") % (index + 1),
                field_errors={f"{field}.product_id": [_("Unknown product.")]},
            )
        if not product.is_active:
            raise TransferInvalidError(
                _("Line %(line)d: product %(sku)s is archived.") % {"line": index + 1, "sku": product.sku},
                field_errors={f"{field}.product_id": [_("Archived.")]},
            )
        quantity = _quantity(line.quantity, f"{field}.quantity")
        cost: Decimal | None = None
        if line.unit_cost is not None:
            try:
                cost = Decimal(str(line.unit_cost))
            except (InvalidOperation, ValueError):
                cost = None
            if cost is None or not cost.is_finite() or cost < 0:
                raise TransferInvalidError(
                    _("Line %d: enter a unit cost of zero or more.") % (index + 1),
                    field_errors={f"{field}.unit_cost": [_("Enter a unit cost of zero or more.")]},
                )
        if line.uom_id is not None and line.uom_id != product.uom_id:
            uom = uoms.get(line.uom_id)
            if uom is None:
                raise TransferInvalidError(
                    _("Line %d: unknown unit.") % (index + 1),
                    field_errors={f"{field}.uom_id": [_("Unknown unit.")]},
                )
            try:
                converted = uom_convert(quantity, uom, product.uom)
            except UomIncompatibleError as error:
                raise TransferInvalidError(
                    _("Line %(line)d: %(error)s") % {"line": index + 1, "error": error.message},
                    field_errors={f"{field}.uom_id": [error.message]},
                ) from None
            if cost is not None:
                cost = (cost * quantity / converted).quantize(valuation.UNIT_COST) if converted else cost
            quantity = converted
            if quantity <= 0:
                raise TransferInvalidError(
                    _("Line %d: the quantity rounds to zero in the product's unit.") % (index + 1),
                    field_errors={f"{field}.quantity": [_("Rounds to zero.")]},
                )
        clean.append(
            Line(product, quantity, cost, str(line.lot or "").strip(), str(line.origin_line or "")[:60])
        )
    return clean


def _number(
    company_id: int, warehouse: Warehouse | None, kind: str, on: dt.date, fiscal_year: int | None = None
) -> str:
    prefix = f"{warehouse.code}/{KIND_PREFIX[kind]}" if warehouse else KIND_PREFIX[kind]
    return number_allocate(
        company_id=company_id, code=f"stock.{prefix}", on=on, prefix=prefix, fiscal_year=fiscal_year
    )


def _transfer_insert(
    *,
    actor: User,
    company_id: int,
    kind: str,
    warehouse: Warehouse | None,
    source: Location,
    destination: Location,
    party_id: int | None,
    on: dt.date,
    origin: str,
    notes: str,
    lines: list[Line],
    fiscal_year: int | None = None,
) -> tuple[Transfer, list[Move]]:
    transfer = Transfer(
        company_id=company_id,
        kind=kind,
        number=_number(company_id, warehouse, kind, on, fiscal_year),
        warehouse=warehouse,
        source=source,
        destination=destination,
        party_id=party_id,
        scheduled_date=on,
        origin=origin,
        notes=notes,
        created_by=actor,
        created_at=timezone.now(),
    )
    fastsql.insert_instance(transfer)
    lots = {
        (line.product.pk, line.lot): engine.lot_for(
            company_id, line.product, line.lot, None, create=not source.is_own_stock
        )
        for line in lines
        if line.lot and line.product.tracking != Tracking.NONE
    }
    moves = [
        Move(
            company_id=company_id,
            transfer=transfer,
            product=line.product,
            lot=lots.get((line.product.pk, line.lot)),
            source=source,
            destination=destination,
            quantity=line.quantity,
            date=on,
            unit_cost=line.unit_cost if line.unit_cost is not None else line.product.cost,
            reference=transfer.number,
            origin_line=line.origin_line,
        )
        for line in lines
    ]
    fastsql.insert_objects_returning(moves)
    return transfer, moves


@transaction.atomic
def transfer_create(
    *,
    actor: User,
    kind: str,
    lines: Sequence[MoveIn],
    warehouse_id: int | None = None,
    source_id: int | None = None,
    destination_id: int | None = None,
    party_id: int | None = None,
    scheduled_date: dt.date | None = None,
    origin: str = "",
    notes: str = "",
) -> Transfer:
    """A draft transfer of `kind` with one move per line. A receipt comes from the
    suppliers into the warehouse's stock, a delivery goes from its stock to the customers
    (through packing and output when the warehouse delivers in three steps: then the pick
    and pack transfers are made too, chained before it), returns the other way; an internal
    transfer names both locations. The number is taken now (gapless per warehouse and kind)."""
    transfer, _moves, _products, change = _transfer_new(
        actor=actor,
        kind=kind,
        lines=lines,
        warehouse_id=warehouse_id,
        source_id=source_id,
        destination_id=destination_id,
        party_id=party_id,
        scheduled_date=scheduled_date,
        origin=origin,
        notes=notes,
    )
    audit.record_many([change])
    return transfer


def _transfer_new(
    *,
    actor: User,
    kind: str,
    lines: Sequence[MoveIn],
    warehouse_id: int | None,
    source_id: int | None,
    destination_id: int | None,
    party_id: int | None,
    scheduled_date: dt.date | None,
    origin: str,
    notes: str,
    site: Site | None = None,
) -> tuple[Transfer, list[Move], dict[int, Product], audit.Change]:
    """transfer_create's work: the transfer, its moves, their products and the audit row
    to write (the caller writes it, with its own when it has more). `site` is the
    warehouse of `warehouse_id` when the caller has read it (with source_id and
    destination_id)."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    if kind not in KIND_PREFIX or kind in (
        TransferKind.ADJUSTMENT,
        TransferKind.PRODUCTION,
        TransferKind.PICK,
        TransferKind.PACK,
    ):
        raise TransferInvalidError(
            _("Choose a kind of: receipt, delivery, internal, return_in, return_out."),
            field_errors={"kind": [_("Unknown kind.")]},
        )
    if site is None and warehouse_id is not None:
        site = _warehouse(company_id, warehouse_id, also=(source_id, destination_id))
    if site is None and kind != TransferKind.INTERNAL:
        raise TransferInvalidError(
            _("Choose a warehouse."), field_errors={"warehouse_id": [_("Choose a warehouse.")]}
        )
    warehouse = site.warehouse if site else None
    places = site.places if site else None
    source, destination = _default_route(kind, site) if site else (None, None)
    if source_id is not None:
        source = _location(company_id, source_id, "source_id", known=places)
    if destination_id is not None:
        destination = _location(company_id, destination_id, "destination_id", known=places)
    if source is None or destination is None:
        raise TransferInvalidError(
            _("Choose where the goods come from and go to."),
            field_errors={"source_id" if source is None else "destination_id": [_("Choose a location.")]},
        )
    for field, location in (("source_id", source), ("destination_id", destination)):
        if location.usage == LocationUsage.VIEW:
            raise TransferInvalidError(
                _("%s only groups locations; choose one of its locations.") % location.full_name,
                field_errors={field: [_("Choose a location that holds goods.")]},
            )
    if source.pk == destination.pk:
        raise TransferInvalidError(
            _("The goods must go somewhere else."),
            field_errors={"destination_id": [_("Same as the source.")]},
        )
    if kind == TransferKind.INTERNAL and not (source.is_own_stock and destination.is_own_stock):
        raise TransferInvalidError(
            _("An internal transfer moves goods between the company's own locations."),
            field_errors={"destination_id": [_("Choose an internal location.")]},
        )
    # The partner (of the company) and the start of the company's fiscal year, which names
    # the year of the transfer's number, in one read.
    statement = fastsql.cursor()
    statement.execute(
        "SELECT c.fiscal_year_start_month, c.fiscal_year_start_day, "
        "(SELECT 1 FROM parties_party p WHERE p.id = %s AND p.company_id = c.id) "
        "FROM core_company c WHERE c.id = %s",
        [party_id if isinstance(party_id, int) else None, company_id],
    )
    ((month, day, party_found),) = statement.fetchall()
    if party_id is not None and not party_found:
        raise TransferInvalidError(_("Unknown partner."), field_errors={"party_id": [_("Unknown partner.")]})
    on = scheduled_date or timezone.localdate()
    fiscal_year = on.year if (on.month, on.day) >= (month, day) else on.year - 1
    clean = _lines_clean(company_id, lines)
    origin, notes = str(origin or "").strip()[:60], str(notes or "").strip()
    if (
        kind == TransferKind.DELIVERY
        and warehouse is not None
        and warehouse.delivery_steps == 3
        and source_id is None
    ):
        moves: list[Move] = []
        transfer = _three_step_delivery(
            actor, company_id, warehouse, destination, party_id, on, origin, notes, clean
        )
    else:
        transfer, moves = _transfer_insert(
            actor=actor,
            company_id=company_id,
            kind=kind,
            warehouse=warehouse,
            source=source,
            destination=destination,
            party_id=party_id,
            on=on,
            origin=origin,
            notes=notes,
            lines=clean,
            fiscal_year=fiscal_year,
        )
    change = audit.Change(
        actor=actor,
        obj=transfer,
        action="inventory.transfer_create",
        changes={"number": [None, transfer.number], "kind": [None, kind], "lines": [None, len(clean)]},
    )
    return transfer, moves, {line.product.pk: line.product for line in clean}, change


@transaction.atomic
def transfer_record(
    *,
    actor: User,
    kind: str,
    lines: Sequence[MoveIn],
    warehouse_id: int | None = None,
    source_id: int | None = None,
    destination_id: int | None = None,
    party_id: int | None = None,
    origin: str = "",
    notes: str = "",
) -> Transfer:
    """A transfer that has happened, recorded at once: transfer_create and transfer_validate
    in one transaction (goods received at the dock and scanned in, a counter sale handed
    over, stock moved to a shelf). Refused as either would refuse it, with nothing written.
    A three-step delivery cannot be recorded at once: it is created and done step by step."""
    site = (
        _warehouse(policy.actor_company_id(actor), warehouse_id, also=(source_id, destination_id))
        if warehouse_id is not None
        else None
    )
    warehouse = site.warehouse if site else None
    if (
        kind == TransferKind.DELIVERY
        and warehouse is not None
        and warehouse.delivery_steps == 3
        and not source_id
    ):
        raise TransferInvalidError(
            _("Warehouse %s delivers in three steps: create the delivery, then pick, pack and ship.")
            % warehouse.code,
            field_errors={"kind": [_("Deliveries of this warehouse take three steps.")]},
        )
    transfer, moves, products, change = _transfer_new(
        actor=actor,
        kind=kind,
        lines=lines,
        warehouse_id=warehouse_id,
        source_id=source_id,
        destination_id=destination_id,
        party_id=party_id,
        scheduled_date=None,
        origin=origin,
        notes=notes,
        site=site,
    )
    _validate(actor, transfer, None, backorder=False, known=(moves, products), changes=[change])
    return transfer


def _three_step_delivery(
    actor: User,
    company_id: int,
    warehouse: Warehouse,
    customers: Location,
    party_id: int | None,
    on: dt.date,
    origin: str,
    notes: str,
    lines: list[Line],
) -> Transfer:
    """Pick (stock → packing), pack (packing → output) and ship (output → customer), chained."""
    # Made with the warehouse; a warehouse without them cannot exist.
    assert warehouse.stock_location is not None  # noqa: S101
    assert warehouse.pack_location is not None  # noqa: S101
    assert warehouse.output_location is not None  # noqa: S101
    ship, _moves = _transfer_insert(
        actor=actor,
        company_id=company_id,
        kind=TransferKind.DELIVERY,
        warehouse=warehouse,
        source=warehouse.output_location,
        destination=customers,
        party_id=party_id,
        on=on,
        origin=origin,
        notes=notes,
        lines=lines,
    )
    pack, _moves = _transfer_insert(
        actor=actor,
        company_id=company_id,
        kind=TransferKind.PACK,
        warehouse=warehouse,
        source=warehouse.pack_location,
        destination=warehouse.output_location,
        party_id=party_id,
        on=on,
        origin=ship.number,
        notes="",
        lines=lines,
    )
    pick, _moves = _transfer_insert(
        actor=actor,
        company_id=company_id,
        kind=TransferKind.PICK,
        warehouse=warehouse,
        source=warehouse.stock_location,
        destination=warehouse.pack_location,
        party_id=party_id,
        on=on,
        origin=ship.number,
        notes="",
        lines=lines,
    )
    pick.next_transfer = pack
    pick.save(update_fields=["next_transfer"])
    pack.next_transfer = ship
    pack.save(update_fields=["next_transfer"])
    return ship


def _locked_transfer(actor: User, transfer_id: int) -> Transfer:
    policy.require(actor, MANAGE)
    found = (
        fastsql.select(Transfer, "id = %s", [transfer_id], lock=True) if isinstance(transfer_id, int) else []
    )
    if not found or found[0].company_id != policy.actor_company_id(actor):
        raise NotFoundError(_("Not found."))
    return found[0]


def _open_moves(transfer: Transfer) -> list[Move]:
    """The transfer's moves not done or cancelled, locked, with their locations."""
    moves = fastsql.select(
        Move,
        "transfer_id = %s AND state NOT IN (%s, %s)",
        [transfer.pk, MoveState.DONE, MoveState.CANCELLED],
        lock=True,
        order_by="id",
    )
    _locations_attach(moves)
    return moves


def _locations_attach(moves: Sequence[Move], known: dict[int, Location] | None = None) -> dict[int, Location]:
    """Give each move its source and destination (one read of those not `known`); returns
    them by id."""
    places = dict(known or {})
    ids = sorted(({m.source_id for m in moves} | {m.destination_id for m in moves}) - set(places))
    if ids:
        places.update(
            (loc.pk, loc) for loc in fastsql.select(Location, f"id IN ({fastsql.placeholders(ids)})", ids)
        )
    for move in moves:
        move.source = places[move.source_id]
        move.destination = places[move.destination_id]
    return places


def _reserve_all(transfer: Transfer, moves: list[Move]) -> str:
    """Reserve what the moves out of own stock can get; the transfer's state after it."""
    products = _products(transfer.company_id, {move.product_id for move in moves})
    ready: list[Move] = []
    wanted: list[Move] = []
    for move in moves:
        if move.state == MoveState.RESERVED:
            continue
        if products[move.product_id].is_storable and move.source.is_own_stock:
            wanted.append(move)
        else:
            # Nothing to hold back: goods coming in, or products not kept in stock.
            move.state = MoveState.RESERVED
            ready.append(move)
    fastsql.update_objects(ready, ["state"])
    pieces = engine.reserve(wanted)
    return TransferState.WAITING if any(p.state == MoveState.WAITING for p in pieces) else TransferState.READY


@transaction.atomic
def transfer_confirm(*, actor: User, transfer_id: int, version: int | None = None) -> Transfer:
    """A draft transfer becomes due: stock is reserved for its moves out of own stock (lots
    expiring first). READY when everything is reserved, WAITING otherwise."""
    transfer = _locked_transfer(actor, transfer_id)
    require_version(transfer, version)
    if transfer.state != TransferState.DRAFT:
        raise TransferStateError(_("Only a draft transfer can be confirmed."))
    before = transfer.state
    transfer.state = _reserve_all(transfer, _open_moves(transfer))
    transfer.version += 1
    fastsql.update_objects([transfer], ["state", "version"])
    audit.record(
        actor=actor,
        obj=transfer,
        action="inventory.transfer_confirm",
        changes={"state": [before, transfer.state]},
    )
    return transfer


@transaction.atomic
def transfer_reserve(*, actor: User, transfer_id: int) -> Transfer:
    """Try again to reserve a waiting transfer's moves (stock may have come in)."""
    transfer = _locked_transfer(actor, transfer_id)
    if transfer.state not in (TransferState.WAITING, TransferState.READY):
        raise TransferStateError(_("Only a confirmed transfer that is not done reserves stock."))
    before = transfer.state
    transfer.state = _reserve_all(transfer, _open_moves(transfer))
    if transfer.state != before:
        transfer.version += 1
        fastsql.update_objects([transfer], ["state", "version"])
        audit.record(
            actor=actor,
            obj=transfer,
            action="inventory.transfer_reserve",
            changes={"state": [before, transfer.state]},
        )
    return transfer


@transaction.atomic
def transfer_cancel(*, actor: User, transfer_id: int, version: int | None = None) -> Transfer:
    """Cancel a transfer that is not done: its reservations are released, its moves cancelled."""
    transfer = _locked_transfer(actor, transfer_id)
    require_version(transfer, version)
    if transfer.state not in OPEN_STATES:
        raise TransferStateError(_("Transfer %s is done or cancelled already.") % transfer.number)
    moves = _open_moves(transfer)
    engine.unreserve(moves)
    Move.objects.filter(pk__in=[move.pk for move in moves]).update(state=MoveState.CANCELLED)
    before = transfer.state
    transfer.state = TransferState.CANCELLED
    transfer.version += 1
    fastsql.update_objects([transfer], ["state", "version"])
    audit.record(
        actor=actor,
        obj=transfer,
        action="inventory.transfer_cancel",
        changes={"state": [before, transfer.state]},
    )
    return transfer


def _done_plan(
    transfer: Transfer, moves: list[Move], done: Sequence[DoneIn] | None
) -> dict[int, list[DoneIn]]:
    """Per move, what was done: everything as planned when `done` is None."""
    by_id = {move.pk: move for move in moves}
    if done is None:
        return {move.pk: [DoneIn(move_id=move.pk, quantity=move.quantity)] for move in moves}
    plan: dict[int, list[DoneIn]] = {}
    for index, item in enumerate(done):
        if item.move_id not in by_id:
            raise TransferInvalidError(
                _("Line %d: not an open move of this transfer.") % (index + 1),
                field_errors={f"done.{index}.move_id": [_("Unknown move.")]},
            )
        field = f"done.{index}.quantity"
        if str(item.quantity).strip() in ("", "0"):
            continue  # nothing done of this one
        plan.setdefault(item.move_id, []).append(
            DoneIn(
                move_id=item.move_id,
                quantity=_quantity(item.quantity, field),
                lot=str(item.lot or "").strip(),
                expiry_date=item.expiry_date,
                location_id=item.location_id,
            )
        )
    if not plan:
        raise TransferInvalidError(
            _("Enter the quantities done."), field_errors={"done": [_("Nothing was done.")]}
        )
    return plan


@transaction.atomic
def transfer_validate(
    *,
    actor: User,
    transfer_id: int,
    done: Sequence[DoneIn] | None = None,
    backorder: bool = True,
    version: int | None = None,
) -> Transfer:
    """Do the transfer: every move as planned, or as `done` says (quantities, lots and
    serial numbers, sub-locations). What is left of a move goes on to a backorder (a new
    transfer for the rest), or is cancelled when `backorder` is false. Goods in and out of
    own stock are valued and booked in the same transaction. Refused with nothing written
    when stock is short (unless the product may go negative), a tracked product lacks its
    lot, or a serial number would be in two places. Publishes TransferDone and, for
    receipts and deliveries, GoodsReceived or GoodsDelivered."""
    transfer = _locked_transfer(actor, transfer_id)
    require_version(transfer, version)
    if transfer.kind == TransferKind.PRODUCTION:
        raise TransferStateError(_("A production's components are consumed with the production."))
    _validate(actor, transfer, done, backorder=backorder)
    return transfer


def _validate(
    actor: User,
    transfer: Transfer,
    done: Sequence[DoneIn] | None,
    *,
    backorder: bool,
    unit_costs: dict[int, Decimal | None] | None = None,
    known: tuple[list[Move], dict[int, Product]] | None = None,
    changes: Sequence[audit.Change] = (),
) -> list[Move]:
    """transfer_validate's work on the locked `transfer`; returns the moves done.
    `unit_costs` overrides incoming moves' cost by move id; `known` gives the open moves
    (with their locations) and their products when the caller has just made them;
    `changes` are the caller's audit rows, written with this one's."""
    if transfer.state not in OPEN_STATES:
        raise TransferStateError(_("Transfer %s is done or cancelled already.") % transfer.number)
    company_id = transfer.company_id
    if known is not None:
        moves, products = known
    else:
        moves = _open_moves(transfer)
        products = _products(company_id, {move.product_id for move in moves})
    if not moves:
        raise TransferStateError(_("Transfer %s has nothing left to do.") % transfer.number)
    allocated: dict[engine.QuantKey, Quant] = {}  # the quants allocate read, locked
    if done is None:
        # Everything as planned: goods not reserved yet are taken where they are (which
        # shelf, which lot) as a reservation would take them.
        unreserved = [
            m
            for m in moves
            if m.state != MoveState.RESERVED and m.source.is_own_stock and products[m.product_id].is_storable
        ]
        if unreserved:
            # Done at once below: split over the quants without holding them.
            places = {m.source_id: m.source for m in moves} | {m.destination_id: m.destination for m in moves}
            pieces, allocated = engine.allocate(unreserved)
            places.update((piece.source_id, piece.source) for piece in pieces)
            moves = [m for m in moves if m not in unreserved] + pieces
            _locations_attach(moves, places)
    plan = _done_plan(transfer, moves, done)
    held = engine.unreserve(moves, write=False)  # written with the moves done
    to_do: list[Move] = []
    rest: list[Move] = []
    for move in moves:
        product = products[move.product_id]
        items = plan.get(move.pk, [])
        done_total = sum((Decimal(item.quantity) for item in items), Decimal(0))
        if done_total < move.quantity:
            # Copied before the pieces change it: the rest keeps the move's lot and place.
            remainder = move if not items else engine.move_copy(move)
            remainder.quantity = move.quantity - done_total
            remainder.state = MoveState.DRAFT
            rest.append(remainder)
        first = True
        for item in items:
            piece = move if first else engine.move_copy(move)
            first = False
            piece.quantity = Decimal(item.quantity)
            if item.location_id is not None and item.location_id != (
                move.source_id if move.source.is_own_stock else move.destination_id
            ):
                _sub_location_set(piece, move, company_id, item.location_id)
            if item.lot:
                piece.lot = engine.lot_for(
                    company_id, product, item.lot, item.expiry_date, create=not move.source.is_own_stock
                )
            elif product.tracking != Tracking.NONE and piece.lot_id is None and product.is_storable:
                raise LotRequiredError(
                    _("Enter the lot or serial number of %s.") % product.sku,
                    field_errors={"lot": [_("Required for %s.") % product.sku]},
                )
            to_do.append(piece)
    fastsql.insert_objects_returning([piece for piece in to_do if piece.pk is None])
    locations = {m.source_id: m.source for m in to_do} | {m.destination_id: m.destination for m in to_do}
    costs = _incoming_costs(to_do, locations)
    posted: list[tuple[audit.Change, Any]] = []  # the stock entry's audit row and event
    for move in to_do:
        if unit_costs and move.pk in unit_costs:
            costs[move.pk] = unit_costs[move.pk]
    engine.moves_do(
        actor=actor,
        moves=to_do,
        products=products,
        locations=locations,
        unit_costs=costs,
        on=timezone.localdate(),
        reference=transfer.number,
        permission=MANAGE,
        held=held,
        locked=allocated,
        also=["quantity", "lot", "source", "destination"],
        announcements=posted,
    )
    backorder_transfer = _rest_settle(actor, transfer, rest, keep=backorder)
    transfer.state = TransferState.DONE
    transfer.done_at = timezone.now()
    transfer.version += 1
    fastsql.update_objects([transfer], ["state", "done_at", "version"])
    if transfer.next_transfer_id is not None:
        _chain_reserve(transfer.next_transfer_id)
    if transfer.kind in RECEIVING:
        # A two-step warehouse: what came into its input goes on to stock (no query otherwise).
        putaway.putaway_create(actor, transfer, to_do)
    audit.record_many(
        [
            *changes,
            *(change for change, _event in posted),
            audit.Change(
                actor=actor,
                obj=transfer,
                action="inventory.transfer_validate",
                changes={
                    "state": [None, TransferState.DONE],
                    "moves": [None, len(to_do)],
                    "backorder": [None, backorder_transfer.number if backorder_transfer else None],
                },
            ),
        ]
    )
    _announce(actor, transfer, to_do, backorder_transfer, [event for _change, event in posted])
    return to_do


def _sub_location_set(piece: Move, move: Move, company_id: int, location_id: int) -> None:
    """Take from (or put on) a location under the move's own instead."""
    own = move.source if move.source.is_own_stock else move.destination
    location = _location(company_id, location_id, "location_id")
    if location.pk != own.pk and not location.full_name.startswith(own.full_name + "/"):
        raise TransferInvalidError(
            _("%(location)s is not in %(own)s.") % {"location": location.full_name, "own": own.full_name},
            field_errors={"location_id": [_("Choose a location in %s.") % own.full_name]},
        )
    if move.source.is_own_stock:
        piece.source = location
    else:
        piece.destination = location


def _incoming_costs(moves: list[Move], locations: dict[int, Location]) -> dict[int, Decimal | None]:
    """The unit cost of each move coming into own stock: from a supplier or production its
    own; from a customer what the returned delivery cost (else the current cost); an
    inventory gain the current cost (None)."""
    costs: dict[int, Decimal | None] = {}
    origin_ids = [m.origin_move_id for m in moves if m.origin_move_id]
    origins = (
        {move.pk: move.unit_cost for move in Move.objects.filter(pk__in=origin_ids)} if origin_ids else {}
    )
    for move in moves:
        source = locations[move.source_id]
        if source.usage in (LocationUsage.SUPPLIER, LocationUsage.PRODUCTION):
            costs[move.pk] = move.unit_cost
        elif source.usage == LocationUsage.CUSTOMER and move.origin_move_id in origins:
            costs[move.pk] = origins[move.origin_move_id]
        else:
            costs[move.pk] = None
    return costs


def _rest_settle(actor: User, transfer: Transfer, rest: list[Move], *, keep: bool) -> Transfer | None:
    """What was not done: on a backorder (reserved at once where stock allows) or cancelled."""
    if not rest:
        return None
    if not keep:
        for move in rest:
            move.state = MoveState.CANCELLED
            if move.pk is None:
                move.save()
        Move.objects.bulk_update([m for m in rest if m.pk], ["quantity", "state"])
        return None
    backorder = Transfer.objects.create(
        company_id=transfer.company_id,
        kind=transfer.kind,
        number=_number(transfer.company_id, transfer.warehouse, transfer.kind, timezone.localdate()),
        warehouse_id=transfer.warehouse_id,
        source_id=transfer.source_id,
        destination_id=transfer.destination_id,
        party_id=transfer.party_id,
        scheduled_date=transfer.scheduled_date,
        origin=transfer.origin,
        notes=transfer.notes,
        backorder_of=transfer,
        next_transfer_id=transfer.next_transfer_id,
        created_by=actor,
    )
    for move in rest:
        move.transfer = backorder
        move.reference = backorder.number
        if move.pk is None:
            move.save()
    Move.objects.bulk_update(list(rest), ["transfer", "quantity", "state", "reference"])
    moves = list(
        Move.objects.filter(transfer=backorder).select_related("source", "destination").order_by("id")
    )
    backorder.state = _reserve_all(backorder, moves)
    backorder.save(update_fields=["state"])
    return backorder


def _chain_reserve(transfer_id: int) -> None:
    """The next step of a multi-step delivery may reserve what the last step brought."""
    following = Transfer.objects.select_for_update().get(pk=transfer_id)
    if following.state in (TransferState.WAITING, TransferState.READY, TransferState.DRAFT):
        following.state = _reserve_all(following, _open_moves(following))
        following.save(update_fields=["state"])


def _announce(
    actor: User, transfer: Transfer, done: list[Move], backorder: Transfer | None, before: Sequence[Any] = ()
) -> None:
    """Publish the transfer's events, after `before` (the stock entry's), in one write."""
    events: list[Any] = [
        *before,
        TransferDone(
            company_id=transfer.company_id,
            transfer_id=transfer.pk,
            number=transfer.number,
            kind=transfer.kind,
            party_id=transfer.party_id,
            origin=transfer.origin,
            backorder_id=backorder.pk if backorder else None,
            actor_id=actor.pk,
        ),
    ]
    lines: list[list[str | int]] = [[move.product_id, str(move.quantity), str(move.value)] for move in done]
    common: dict[str, Any] = {
        "company_id": transfer.company_id,
        "transfer_id": transfer.pk,
        "number": transfer.number,
        "party_id": transfer.party_id,
        "origin": transfer.origin,
        "lines": lines,
        "actor_id": actor.pk,
    }
    if transfer.kind in RECEIVING:
        events.append(GoodsReceived(**common))
    elif transfer.kind in DELIVERING:
        events.append(GoodsDelivered(**common))
    outbox.publish_many(events)


@dataclass(frozen=True)
class ProducedIn:
    """A product a production makes: `quantity` in the product's stock unit, its `lot` or
    serial number, and the percentage of the production's cost it carries (`cost_share`;
    None for the main product: what the others leave, shared by quantity)."""

    product_id: int
    quantity: Decimal | int | str
    lot: str = ""
    expiry_date: dt.date | None = None
    cost_share: Decimal | int | str | None = None
    origin_line: str = ""


@transaction.atomic
def production_transfer_create(
    *,
    actor: User,
    warehouse_id: int,
    components: Sequence[MoveIn],
    origin: str,
    scheduled_date: dt.date | None = None,
) -> Transfer:
    """The components a production will consume, as a draft transfer from the warehouse's
    stock to production; confirming it (transfer_confirm) reserves them. Consumed with
    production_record."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    site = _warehouse(company_id, warehouse_id)
    warehouse = site.warehouse
    assert warehouse.stock_location is not None  # noqa: S101 - made with the warehouse
    clean = _lines_clean(company_id, components)
    transfer, _moves = _transfer_insert(
        actor=actor,
        company_id=company_id,
        kind=TransferKind.PRODUCTION,
        warehouse=warehouse,
        source=warehouse.stock_location,
        destination=_partner_location(site, LocationUsage.PRODUCTION),
        party_id=None,
        on=scheduled_date or timezone.localdate(),
        origin=str(origin or "").strip()[:60],
        notes="",
        lines=clean,
    )
    audit.record(
        actor=actor,
        obj=transfer,
        action="inventory.transfer_create",
        changes={
            "number": [None, transfer.number],
            "kind": [None, transfer.kind],
            "lines": [None, len(clean)],
        },
    )
    return transfer


def _shares(produced: list[tuple[Product, Decimal, ProducedIn]], total: Decimal) -> list[Decimal]:
    """Each output's part of `total`: the given percentages first, the rest by quantity
    over the outputs without one; the last output takes the rounding difference."""
    values: list[Decimal] = []
    fixed = Decimal(0)
    for _product, _quantity, item in produced:
        if item.cost_share is not None:
            share = Decimal(str(item.cost_share))
            if not share.is_finite() or share < 0 or share > 100:
                raise TransferInvalidError(
                    _("A cost share is a percentage from 0 to 100."),
                    field_errors={"produced": [_("A cost share is a percentage from 0 to 100.")]},
                )
            fixed += share
    if fixed > 100:
        raise TransferInvalidError(
            _("The cost shares add up to more than 100 %."),
            field_errors={"produced": [_("The cost shares add up to more than 100 %.")]},
        )
    rest_quantity = sum((q for _p, q, item in produced if item.cost_share is None), Decimal(0))
    rest_value = total - valuation.cents(total * fixed / 100)
    for _product, quantity, item in produced:
        if item.cost_share is not None:
            values.append(valuation.cents(total * Decimal(str(item.cost_share)) / 100))
        else:
            values.append(
                valuation.cents(rest_value * quantity / rest_quantity) if rest_quantity else Decimal(0)
            )
    if values:
        values[-1] += total - sum(values, Decimal(0))
    return values


@transaction.atomic
def production_record(
    *,
    actor: User,
    transfer_id: int,
    produced: Sequence[ProducedIn],
    consumed: Sequence[DoneIn] | None = None,
    extra_cost: Decimal | int | str = 0,
    backorder: bool = True,
    version: int | None = None,
) -> Transfer:
    """Record production: consume the components of production transfer `transfer_id` (all
    of them, or as `consumed` says — the rest stays on a backorder for the next run) and
    bring `produced` into the warehouse's stock, valued at the components' value plus
    `extra_cost` (the work: hours × the work centres' rates), shared out as ProducedIn
    says. Returns the transfer of the produced goods (done; its `origin` is the
    consumption's). One transaction: nothing is written when anything is refused."""
    consumption = _locked_transfer(actor, transfer_id)
    require_version(consumption, version)
    if consumption.kind != TransferKind.PRODUCTION or consumption.source.usage == LocationUsage.PRODUCTION:
        raise TransferStateError(_("Transfer %s is not a production's components.") % consumption.number)
    try:
        work = Decimal(str(extra_cost))
    except (InvalidOperation, ValueError):
        work = Decimal(-1)
    if not work.is_finite() or work < 0:
        raise TransferInvalidError(
            _("Enter a cost of zero or more."),
            field_errors={"extra_cost": [_("Enter a cost of zero or more.")]},
        )
    if not produced:
        raise TransferInvalidError(
            _("Enter what was produced."), field_errors={"produced": [_("Enter what was produced.")]}
        )
    company_id = consumption.company_id
    outputs = _lines_clean(
        company_id,
        [
            MoveIn(product_id=p.product_id, quantity=p.quantity, lot=p.lot, origin_line=p.origin_line)
            for p in produced
        ],
    )
    pairs = [(line.product, line.quantity, item) for line, item in zip(outputs, produced, strict=True)]
    _shares(pairs, Decimal(0))  # the cost shares are checked before anything is consumed
    done_moves = _validate(actor, consumption, consumed, backorder=backorder)
    total = sum((move.value for move in done_moves), Decimal(0)) + valuation.cents(work)
    values = _shares(pairs, total)
    warehouse = consumption.warehouse
    # A production's transfer is made for a warehouse, which has its stock location.
    assert warehouse is not None  # noqa: S101
    assert warehouse.stock_location is not None  # noqa: S101
    output, moves = _transfer_insert(
        actor=actor,
        company_id=company_id,
        kind=TransferKind.PRODUCTION,
        warehouse=warehouse,
        source=consumption.destination,
        destination=warehouse.stock_location,
        party_id=None,
        on=timezone.localdate(),
        origin=consumption.origin,
        notes="",
        lines=outputs,
    )
    unit_costs: dict[int, Decimal | None] = {
        move.pk: value / move.quantity for move, value in zip(moves, values, strict=True)
    }
    done = [
        DoneIn(move_id=move.pk, quantity=move.quantity, lot=item.lot, expiry_date=item.expiry_date)
        for move, item in zip(moves, produced, strict=True)
    ]
    _validate(actor, output, done, backorder=False, unit_costs=unit_costs)
    return output
