"""The manufacturing endpoints under /api/v1/: work centres, bills of materials (their
explosion into components and their multi-level structure and cost) and production
orders (create, confirm — making what is missing when asked —, check availability,
produce, cancel). Every write takes an Idempotency-Key (kantoor.core.idempotency)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core.auth import actor_of
from kantoor.core.errors import NotFoundError
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id
from kantoor.manufacturing import selectors, services
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, WorkCentre
from kantoor.manufacturing.schemas import (
    BomFilters,
    BomIn,
    BomOut,
    BomPage,
    BomPatch,
    BomStructureOut,
    ConfirmIn,
    ExplodedOut,
    ExplosionQuery,
    ProduceIn,
    ProductionOrderFilters,
    ProductionOrderIn,
    ProductionOrderOut,
    ProductionOrderPage,
    StructureQuery,
    VersionIn,
    WorkCentreFilters,
    WorkCentreIn,
    WorkCentreOut,
    WorkCentrePatch,
)

router = Router(tags=["manufacturing"])


def _lines(payload: BomIn | BomPatch, fields: set[str]) -> dict[str, Any]:
    lines: dict[str, Any] = {}
    if "components" in fields and payload.components is not None:
        lines["components"] = [services.ComponentIn(**c.model_dump()) for c in payload.components]
    if "by_products" in fields and payload.by_products is not None:
        lines["by_products"] = [services.ByProductIn(**b.model_dump()) for b in payload.by_products]
    if "operations" in fields and payload.operations is not None:
        lines["operations"] = [services.OperationIn(**o.model_dump()) for o in payload.operations]
    return lines


@router.get("/work-centres", response=list[WorkCentreOut])
def list_work_centres(request: HttpRequest, filters: Query[WorkCentreFilters]) -> list[WorkCentre]:
    found = selectors.work_centres_visible(actor_of(request))
    if filters.is_active is not None:
        found = found.filter(is_active=filters.is_active)
    return list(found.order_by("code")[:1000])


@router.get("/work-centres/{work_centre_id}", response=WorkCentreOut)
def get_work_centre(request: HttpRequest, work_centre_id: Id) -> WorkCentre:
    centre = selectors.work_centres_visible(actor_of(request)).filter(pk=work_centre_id).first()
    if centre is None:
        raise NotFoundError()
    return centre


@router.post("/work-centres", response={201: WorkCentreOut})
def create_work_centre(request: HttpRequest, payload: WorkCentreIn) -> Status:
    return Status(201, services.work_centre_create(actor=actor_of(request), **payload.model_dump()))


@router.patch("/work-centres/{work_centre_id}", response=WorkCentreOut)
def update_work_centre(request: HttpRequest, work_centre_id: Id, payload: WorkCentrePatch) -> WorkCentre:
    """Change the given fields; refused with 409 when `version` is stale."""
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    return services.work_centre_update(
        actor=actor_of(request), work_centre_id=work_centre_id, version=version, **changes
    )


@router.get("/boms", response=BomPage)
def list_boms(
    request: HttpRequest, filters: Query[BomFilters], page: Query[PageParams]
) -> KeysetPage[BillOfMaterials]:
    found = selectors.boms_visible(actor_of(request))
    if filters.product_id is not None:
        found = found.filter(product_id=filters.product_id)
    if filters.is_active is not None:
        found = found.filter(is_active=filters.is_active)
    return keyset_page(found, ordering=["code", "id"], params=page, name="boms")


@router.get("/boms/{bom_id}", response=BomOut)
def get_bom(request: HttpRequest, bom_id: Id) -> BillOfMaterials:
    bom = selectors.boms_visible(actor_of(request)).filter(pk=bom_id).first()
    if bom is None:
        raise NotFoundError()
    return bom


@router.post("/boms", response={201: BomOut})
def create_bom(request: HttpRequest, payload: BomIn) -> Status:
    """A bill of materials. Refused (422) when a line's unit measures something else than its
    product, or when the product would contain itself (`path` names the cycle)."""
    actor = actor_of(request)
    bom = services.bom_create(
        actor=actor,
        product_id=payload.product_id,
        code=payload.code,
        name=payload.name,
        quantity=payload.quantity,
        uom_id=payload.uom_id,
        **_lines(payload, {"components", "by_products", "operations"}),
    )
    return Status(201, selectors.boms_visible(actor).get(pk=bom.pk))


@router.patch("/boms/{bom_id}", response=BomOut)
def update_bom(request: HttpRequest, bom_id: Id, payload: BomPatch) -> BillOfMaterials:
    """Change the given fields; a list given replaces the old one."""
    actor = actor_of(request)
    changes = payload.model_dump(exclude_unset=True)
    services.bom_update(
        actor=actor,
        bom_id=bom_id,
        **{k: v for k, v in changes.items() if k not in ("components", "by_products", "operations")},
        **_lines(payload, set(changes)),
    )
    return selectors.boms_visible(actor).get(pk=bom_id)


@router.get("/boms/{bom_id}/explosion", response=list[ExplodedOut])
def explode_bom(request: HttpRequest, bom_id: Id, query: Query[ExplosionQuery]) -> list[dict[str, Any]]:
    """The components `quantity` of the BOM needs (one level), scrap included."""
    needed = services.bom_explode(
        actor=actor_of(request), bom_id=bom_id, quantity=query.quantity, uom_id=query.uom_id
    )
    return [
        {"product_id": n.product.pk, "sku": n.product.sku, "quantity": n.quantity, "uom": n.product.uom.code}
        for n in needed
    ]


@router.get("/boms/{bom_id}/structure", response=BomStructureOut)
def get_bom_structure(
    request: HttpRequest, bom_id: Id, query: Query[StructureQuery]
) -> selectors.BomStructure:
    """The structure and cost of making `quantity` after the BOM, through every level: each
    component's need at the product's cost, with the structure that makes it when it has an
    active BOM of its own; each level's work and by-products. Amounts are computed exactly
    and rounded to cents only here."""
    return selectors.bom_structure(
        actor_of(request), bom_id=bom_id, quantity=query.quantity, uom_id=query.uom_id
    )


@router.get("/production-orders", response=ProductionOrderPage)
def list_production_orders(
    request: HttpRequest, filters: Query[ProductionOrderFilters], page: Query[PageParams]
) -> KeysetPage[ProductionOrder]:
    found = selectors.production_orders_visible(actor_of(request))
    if filters.state is not None:
        found = found.filter(state=filters.state)
    if filters.product_id is not None:
        found = found.filter(product_id=filters.product_id)
    return keyset_page(found, ordering=["-scheduled_date", "-id"], params=page, name="production-orders")


def _order(request: HttpRequest, order_id: int) -> ProductionOrder:
    order = selectors.production_orders_visible(actor_of(request)).filter(pk=order_id).first()
    if order is None:
        raise NotFoundError()
    return order


@router.get("/production-orders/{order_id}", response=ProductionOrderOut)
def get_production_order(request: HttpRequest, order_id: Id) -> ProductionOrder:
    return _order(request, order_id)


@router.post("/production-orders", response={201: ProductionOrderOut})
def create_production_order(request: HttpRequest, payload: ProductionOrderIn) -> Status:
    """A draft order for the product of `bom_id` (or `product_id` after its active BOM)."""
    order = services.production_order_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, _order(request, order.pk))


@router.post("/production-orders/{order_id}/confirm", response=ProductionOrderOut)
def confirm_production_order(request: HttpRequest, order_id: Id, payload: ConfirmIn) -> ProductionOrder:
    """Reserve the components; `availability` says whether all of them are there. With
    `make_components`, what is missing of the components made in-house is ordered too
    (`child_order_ids`), every level down, in the same transaction."""
    services.production_order_confirm(
        actor=actor_of(request),
        order_id=order_id,
        version=payload.version,
        make_components=payload.make_components,
    )
    return _order(request, order_id)


@router.post("/production-orders/{order_id}/check-availability", response=ProductionOrderOut)
def check_production_order_availability(request: HttpRequest, order_id: Id) -> ProductionOrder:
    services.production_order_check_availability(actor=actor_of(request), order_id=order_id)
    return _order(request, order_id)


@router.post("/production-orders/{order_id}/produce", response=ProductionOrderOut)
def produce_production_order(request: HttpRequest, order_id: Id, payload: ProduceIn) -> ProductionOrder:
    """Record a run of `quantity`: its share of the components is consumed, the goods come
    into stock at the components' value plus the work."""
    services.production_order_produce(
        actor=actor_of(request),
        order_id=order_id,
        quantity=payload.quantity,
        lots=payload.lots,
        hours=(
            None
            if payload.hours is None
            else [services.HoursIn(work_centre_id=h.work_centre_id, hours=h.hours) for h in payload.hours]
        ),
        version=payload.version,
    )
    return _order(request, order_id)


@router.post("/production-orders/{order_id}/cancel", response=ProductionOrderOut)
def cancel_production_order(request: HttpRequest, order_id: Id, payload: VersionIn) -> ProductionOrder:
    services.production_order_cancel(actor=actor_of(request), order_id=order_id, version=payload.version)
    return _order(request, order_id)
