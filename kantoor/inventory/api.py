"""The inventory endpoints under /api/v1/: warehouses and locations, transfers from draft to
done (and returned), inventory counts, lots and the scan lookup. Operations writes; sales,
service, finance and management read (unit costs and values only with view_valuation).
Every write takes an Idempotency-Key (installed for the whole API)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core.auth import actor_of
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id
from kantoor.inventory import counts, returns, selectors, services
from kantoor.inventory.models import InventoryCount, Location, Lot, Transfer, Warehouse
from kantoor.inventory.schemas import (
    CountCreateIn,
    CountDetailOut,
    CountFilters,
    CountLineAddIn,
    CountLineSetIn,
    CountPage,
    LocationCreateIn,
    LocationFilters,
    LocationOut,
    LocationPage,
    LotFilters,
    LotPage,
    ScanOut,
    ScanQuery,
    TransferCreateIn,
    TransferDetailOut,
    TransferFilters,
    TransferPage,
    TransferReturnIn,
    TransferValidateIn,
    TransferVersionIn,
    WarehouseCreateIn,
    WarehouseOut,
    WarehousePage,
    WarehouseUpdateIn,
)
from kantoor.inventory.selectors import ScanResult

router = Router(tags=["inventory"])


def _transfer_detail(request, transfer_id: int) -> Transfer:
    transfer = selectors.transfer_get_for_actor(actor_of(request), transfer_id)
    transfer.loaded_moves = selectors.transfer_moves(transfer)  # type: ignore[attr-defined]
    return transfer


def _count_detail(request, count_id: int) -> InventoryCount:
    count = selectors.count_get_for_actor(actor_of(request), count_id)
    count.loaded_lines = selectors.count_lines(count)  # type: ignore[attr-defined]
    return count


@router.get("/warehouses", response=WarehousePage)
def list_warehouses(request: HttpRequest, page: Query[PageParams]) -> KeysetPage[Warehouse]:
    """The company's warehouses by code."""
    return keyset_page(
        selectors.warehouses_for_actor(actor_of(request)),
        ordering=["code", "id"],
        params=page,
        name="warehouses",
    )


@router.post("/warehouses", response={201: WarehouseOut})
def create_warehouse(request: HttpRequest, payload: WarehouseCreateIn) -> Status:
    """A warehouse with its locations (CODE/Stock, Input, Packing, Output)."""
    warehouse = services.warehouse_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, warehouse)


@router.patch("/warehouses/{warehouse_id}", response=WarehouseOut)
def update_warehouse(request: HttpRequest, warehouse_id: Id, payload: WarehouseUpdateIn) -> Warehouse:
    """Rename a warehouse, change its delivery or receipt steps, or archive it."""
    return services.warehouse_update(
        actor=actor_of(request), warehouse_id=warehouse_id, **payload.model_dump(exclude_unset=True)
    )


@router.get("/locations", response=LocationPage)
def list_locations(
    request: HttpRequest, filters: Query[LocationFilters], page: Query[PageParams]
) -> KeysetPage[Location]:
    """The company's active locations by full name."""
    locations = selectors.locations_for_actor(
        actor_of(request), warehouse_id=filters.warehouse_id, usage=filters.usage, search=filters.search
    )
    return keyset_page(locations, ordering=["full_name", "id"], params=page, name="locations")


@router.post("/locations", response={201: LocationOut})
def create_location(request: HttpRequest, payload: LocationCreateIn) -> Status:
    """A location under another (a shelf in a warehouse's stock, say)."""
    return Status(201, services.location_create(actor=actor_of(request), **payload.model_dump()))


@router.get("/transfers", response=TransferPage)
def list_transfers(
    request: HttpRequest, filters: Query[TransferFilters], page: Query[PageParams]
) -> KeysetPage[Transfer]:
    """Transfers, latest scheduled first (read one for its moves)."""
    transfers = selectors.transfers_for_actor(
        actor_of(request),
        kind=filters.kind,
        state=filters.state,
        warehouse_id=filters.warehouse_id,
        search=filters.search,
    )
    return keyset_page(transfers, ordering=["-scheduled_date", "-id"], params=page, name="transfers")


@router.post("/transfers", response={201: TransferDetailOut})
def create_transfer(request: HttpRequest, payload: TransferCreateIn) -> Status:
    """A draft transfer with one move per line; its number is taken now. A delivery from a
    three-step warehouse makes its pick and pack transfers too."""
    data = payload.model_dump(exclude={"lines"})
    transfer = services.transfer_create(
        actor=actor_of(request),
        lines=[services.MoveIn(**line.model_dump()) for line in payload.lines],
        **data,
    )
    return Status(201, _transfer_detail(request, transfer.pk))


@router.get("/transfers/{transfer_id}", response=TransferDetailOut)
def get_transfer(request: HttpRequest, transfer_id: Id) -> Transfer:
    return _transfer_detail(request, transfer_id)


@router.post("/transfers/{transfer_id}/confirm", response=TransferDetailOut)
def confirm_transfer(request: HttpRequest, transfer_id: Id, payload: TransferVersionIn) -> Transfer:
    """A draft becomes due and reserves its stock: ready, or waiting for stock."""
    services.transfer_confirm(actor=actor_of(request), transfer_id=transfer_id, version=payload.version)
    return _transfer_detail(request, transfer_id)


@router.post("/transfers/{transfer_id}/reserve", response=TransferDetailOut)
def reserve_transfer(request: HttpRequest, transfer_id: Id) -> Transfer:
    """Check availability again (stock may have come in)."""
    services.transfer_reserve(actor=actor_of(request), transfer_id=transfer_id)
    return _transfer_detail(request, transfer_id)


@router.post("/transfers/{transfer_id}/validate", response=TransferDetailOut)
def validate_transfer(request: HttpRequest, transfer_id: Id, payload: TransferValidateIn) -> Transfer:
    """Do the transfer, as planned or as `done` says; the rest goes on a backorder (or is
    cancelled with `backorder: false`). Goods in and out of stock are valued and booked."""
    done = (
        [services.DoneIn(**item.model_dump()) for item in payload.done] if payload.done is not None else None
    )
    services.transfer_validate(
        actor=actor_of(request),
        transfer_id=transfer_id,
        done=done,
        backorder=payload.backorder,
        version=payload.version,
    )
    return _transfer_detail(request, transfer_id)


@router.post("/transfers/{transfer_id}/cancel", response=TransferDetailOut)
def cancel_transfer(request: HttpRequest, transfer_id: Id, payload: TransferVersionIn) -> Transfer:
    """Cancel a transfer that is not done; its reservations are released."""
    services.transfer_cancel(actor=actor_of(request), transfer_id=transfer_id, version=payload.version)
    return _transfer_detail(request, transfer_id)


@router.post("/transfers/{transfer_id}/return", response={201: TransferDetailOut})
def return_transfer(request: HttpRequest, transfer_id: Id, payload: TransferReturnIn) -> Status:
    """A draft return of a done receipt (to the supplier) or delivery (from the customer)."""
    lines = [(line.move_id, line.quantity) for line in payload.lines] if payload.lines is not None else None
    back = returns.transfer_return(actor=actor_of(request), transfer_id=transfer_id, lines=lines)
    return Status(201, _transfer_detail(request, back.pk))


@router.get("/counts", response=CountPage)
def list_counts(
    request: HttpRequest, filters: Query[CountFilters], page: Query[PageParams]
) -> KeysetPage[InventoryCount]:
    """Inventory counts, latest first."""
    found = selectors.counts_for_actor(actor_of(request), state=filters.state)
    return keyset_page(found, ordering=["-scheduled_date", "-id"], params=page, name="counts")


@router.post("/counts", response={201: CountDetailOut})
def create_count(request: HttpRequest, payload: CountCreateIn) -> Status:
    """A count of a location: every product held there, or the products named."""
    count = counts.count_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, _count_detail(request, count.pk))


@router.get("/counts/{count_id}", response=CountDetailOut)
def get_count(request: HttpRequest, count_id: Id) -> InventoryCount:
    return _count_detail(request, count_id)


@router.patch("/counts/{count_id}/lines/{line_id}", response=CountDetailOut)
def set_count_line(
    request: HttpRequest, count_id: Id, line_id: Id, payload: CountLineSetIn
) -> InventoryCount:
    """Enter what was counted on a line (null: not counted)."""
    counts.count_line_set(
        actor=actor_of(request), count_id=count_id, line_id=line_id, counted_quantity=payload.counted_quantity
    )
    return _count_detail(request, count_id)


@router.post("/counts/{count_id}/lines", response={201: CountDetailOut})
def add_count_line(request: HttpRequest, count_id: Id, payload: CountLineAddIn) -> Status:
    """Goods found that the count does not list (a new lot is made)."""
    counts.count_line_add(actor=actor_of(request), count_id=count_id, **payload.model_dump())
    return Status(201, _count_detail(request, count_id))


@router.post("/counts/{count_id}/apply", response=CountDetailOut)
def apply_count(request: HttpRequest, count_id: Id, payload: TransferVersionIn) -> InventoryCount:
    """Move the differences to or from inventory loss in one adjustment transfer."""
    counts.count_apply(actor=actor_of(request), count_id=count_id, version=payload.version)
    return _count_detail(request, count_id)


@router.post("/counts/{count_id}/cancel", response=CountDetailOut)
def cancel_count(request: HttpRequest, count_id: Id, payload: TransferVersionIn) -> InventoryCount:
    counts.count_cancel(actor=actor_of(request), count_id=count_id, version=payload.version)
    return _count_detail(request, count_id)


@router.get("/lots", response=LotPage)
def list_lots(request: HttpRequest, filters: Query[LotFilters], page: Query[PageParams]) -> KeysetPage[Lot]:
    """Lots and serial numbers by name."""
    lots = selectors.lots_for_actor(actor_of(request), product_id=filters.product_id, search=filters.search)
    return keyset_page(lots, ordering=["name", "id"], params=page, name="lots")


@router.get("/scan", response=ScanOut)
def scan(request: HttpRequest, query: Query[ScanQuery]) -> ScanResult:
    """What a scanned code is — a product (SKU or barcode), a location (barcode or full
    name) or a lot — with its stock per place."""
    return selectors.scan_lookup(actor_of(request), query.code)
