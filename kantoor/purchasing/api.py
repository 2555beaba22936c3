"""The purchasing endpoints under /api/v1/: RFQs and purchase orders from draft through sent
and confirmed (with the receipt) to done, cancelled, bills from orders, the three-way match
and the PDF. Operations writes; finance makes the bills; finance and management read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core.auth import actor_of
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id
from kantoor.purchasing import documents, selectors, services
from kantoor.purchasing.models import PurchaseOrder
from kantoor.purchasing.schemas import (
    BillCreateIn,
    BillOut,
    MatchLineOut,
    OrderCreateIn,
    OrderFilters,
    OrderOut,
    OrderPage,
    OrderSendIn,
    OrderUpdateIn,
    OrderVersionIn,
)

router = Router(tags=["purchasing"])

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The RFQ or order as a PDF, in the supplier's language.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get("/purchase-orders", response=OrderPage)
def list_purchase_orders(
    request: HttpRequest, filters: Query[OrderFilters], page: Query[PageParams]
) -> KeysetPage[PurchaseOrder]:
    """RFQs and purchase orders, newest first (read one for its lines)."""
    orders = selectors.orders_list(
        actor_of(request), state=filters.state or "", supplier_id=filters.supplier_id
    )
    return keyset_page(orders, ordering=["-order_date", "-id"], params=page, name="purchase-orders")


@router.post("/purchase-orders", response={201: OrderOut})
def create_purchase_order(request: HttpRequest, payload: OrderCreateIn) -> Status:
    """A request for quotation with its lines (prices default to the supplier's)."""
    values = payload.model_dump()
    lines = values.pop("lines")
    return Status(
        201,
        services.rfq_create(
            actor=actor_of(request), lines=lines, order_date=values.pop("order_date"), **values
        ),
    )


@router.get("/purchase-orders/{order_id}", response=OrderOut)
def get_purchase_order(request: HttpRequest, order_id: Id) -> PurchaseOrder:
    return selectors.order_get_for_actor(actor_of(request), order_id)


@router.patch("/purchase-orders/{order_id}", response=OrderOut)
def update_purchase_order(request: HttpRequest, order_id: Id, payload: OrderUpdateIn) -> PurchaseOrder:
    """Change an RFQ: the fields sent change; `lines`, when sent, replace all the lines.
    409 when `version` is stale or the order is confirmed."""
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return services.rfq_update(actor=actor_of(request), order_id=order_id, version=version, **changes)


@router.post("/purchase-orders/{order_id}/send", response={202: OrderOut})
def send_purchase_order(request: HttpRequest, order_id: Id, payload: OrderSendIn) -> Status:
    """E-mail the RFQ (or order) as a PDF to the supplier; it leaves after the answer."""
    return Status(202, services.rfq_send(actor=actor_of(request), order_id=order_id, to=payload.to))


@router.post("/purchase-orders/{order_id}/confirm", response=OrderOut)
def confirm_purchase_order(request: HttpRequest, order_id: Id, payload: OrderVersionIn) -> PurchaseOrder:
    """The RFQ becomes a purchase order and its receipt is made in inventory."""
    return services.order_confirm(actor=actor_of(request), order_id=order_id, version=payload.version)


@router.post("/purchase-orders/{order_id}/cancel", response=OrderOut)
def cancel_purchase_order(request: HttpRequest, order_id: Id, payload: OrderVersionIn) -> PurchaseOrder:
    """Cancel an order of which nothing was received or billed (its receipts too)."""
    return services.order_cancel(actor=actor_of(request), order_id=order_id, version=payload.version)


@router.post("/purchase-orders/{order_id}/bill", response={201: BillOut})
def bill_purchase_order(request: HttpRequest, order_id: Id, payload: BillCreateIn) -> Status:
    """A draft supplier bill for what was received and not billed yet (finance)."""
    return Status(
        201, services.bill_create_from_order(actor=actor_of(request), order_id=order_id, date=payload.date)
    )


@router.get("/purchase-orders/{order_id}/match", response=list[MatchLineOut])
def match_purchase_order(request: HttpRequest, order_id: Id) -> list[dict[str, Any]]:
    """The three-way match per line: ordered, received, billed (net of posted refunds, which
    are shown too), prices and the flags."""
    order = selectors.order_get_for_actor(actor_of(request), order_id)
    return [
        {
            "line_id": row.line.pk,
            "product_sku": row.line.product.sku,
            "ordered": row.ordered,
            "received": row.received,
            "billed": row.billed,
            "refunded": row.refunded,
            "to_bill": row.to_bill,
            "order_price": row.order_price,
            "bill_prices": list(row.bill_prices),
            "billed_more_than_received": row.billed_more_than_received,
            "price_differs": row.price_differs,
            "over_delivered": row.over_delivered,
            "under_delivered": row.under_delivered,
        }
        for row in selectors.three_way_match(order)
    ]


@router.get("/purchase-orders/{order_id}/pdf", openapi_extra=PDF_RESPONSE)
def get_purchase_order_pdf(request: HttpRequest, order_id: Id) -> HttpResponse:
    """The RFQ or order as a PDF (Content-Disposition: attachment, named after its number)."""
    exported = documents.order_pdf_for_actor(actor_of(request), order_id)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
