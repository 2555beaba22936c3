"""Two-step receipts: a warehouse with `receipt_steps` 2 receives into CODE/Input, and each
receipt (or customer return) done there makes a put-away, an internal transfer input →
stock of what was done, confirmed at once.

Goods in the input are own stock already: the receipt values them as a one-step receipt
does, and the put-away moves them between own locations (no valuation). Called from the
transfer services inside their transaction; one-step warehouses cost nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q
from django.utils import timezone

from kantoor.core import audit, fastsql
from kantoor.core.models import User
from kantoor.inventory import services
from kantoor.inventory.models import Location, Move, Transfer, TransferKind, TransferState, Warehouse

INPUT = "Input"  # the name of a warehouse's input location, CODE/Input (made with it)


def receiving_location(site: services.Site) -> Location | None:
    """Where the warehouse's receipts and customer returns go by default: its stock, or its
    input when it receives in two steps (read only then)."""
    warehouse = site.warehouse
    if warehouse.receipt_steps != 2 or warehouse.input_location_id is None:
        return warehouse.stock_location
    return services._location(
        warehouse.company_id, warehouse.input_location_id, "destination_id", known=site.places
    )


def receiving_busy(warehouse: Warehouse) -> bool:
    """Whether the warehouse has open receipts, customer returns or put-aways (internal
    transfers out of its input): its receipt steps stay as they are until those are done."""
    return Transfer.objects.filter(
        Q(kind__in=services.RECEIVING) | Q(kind=TransferKind.INTERNAL, source_id=warehouse.input_location_id),
        company_id=warehouse.company_id,
        warehouse=warehouse,
        state__in=services.OPEN_STATES,
    ).exists()


def _in_input(move: Move, warehouse_id: int) -> bool:
    """Whether the move put its goods on CODE/Input (or under it) of the warehouse: told by
    the location at hand, without a query."""
    location = move.destination
    parts = location.full_name.split("/")
    return location.warehouse_id == warehouse_id and len(parts) > 1 and parts[1] == INPUT


def putaway_create(actor: User, receipt: Transfer, done: Sequence[Move]) -> Transfer | None:
    """The put-away of a receipt or customer return just done into the input of a two-step
    warehouse: one move per done move (same product, lot, quantity and document line) from
    where it was put to the warehouse's stock, reserved at once. None (and no query) for
    anything else."""
    warehouse_id = receipt.warehouse_id
    if warehouse_id is None or not any(_in_input(move, warehouse_id) for move in done):
        return None
    found = fastsql.select(Warehouse, "id = %s", [warehouse_id])
    warehouse = found[0] if found else None
    if (
        warehouse is None
        or warehouse.receipt_steps != 2
        or warehouse.input_location_id != receipt.destination_id
        or warehouse.stock_location_id is None
    ):
        return None
    places = {
        location.pk: location
        for location in fastsql.select(
            Location, "id IN (%s, %s)", [warehouse.input_location_id, warehouse.stock_location_id]
        )
    }
    source, stock = places[warehouse.input_location_id], places[warehouse.stock_location_id]
    on = timezone.localdate()
    transfer = Transfer(
        company_id=receipt.company_id,
        kind=TransferKind.INTERNAL,
        number=services._number(receipt.company_id, warehouse, TransferKind.INTERNAL, on),
        warehouse=warehouse,
        source=source,
        destination=stock,
        scheduled_date=on,
        origin=receipt.number[:60],
        created_by=actor,
        created_at=timezone.now(),
    )
    fastsql.insert_instance(transfer)
    moves = [
        Move(
            company_id=receipt.company_id,
            transfer=transfer,
            product_id=move.product_id,
            lot_id=move.lot_id,
            source=move.destination,
            destination=stock,
            quantity=move.quantity,
            date=on,
            unit_cost=move.unit_cost,
            reference=transfer.number,
            origin_line=move.origin_line,
        )
        for move in done
        if _in_input(move, warehouse_id)
    ]
    fastsql.insert_objects_returning(moves)
    transfer.state = services._reserve_all(transfer, moves)
    fastsql.update_objects([transfer], ["state"])
    audit.record(
        actor=actor,
        obj=transfer,
        action="inventory.putaway_create",
        changes={
            "number": [None, transfer.number],
            "origin": [None, receipt.number],
            "lines": [None, len(moves)],
            "state": [TransferState.DRAFT, transfer.state],
        },
    )
    return transfer
