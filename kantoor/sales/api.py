"""The sales endpoints under /api/v1/: quotations and sales orders from draft through sent
(e-mailed or marked), the discount approval and confirmation (with the credit override) to
done, cancelled, invoices from orders, the versions and the PDF. Sales writes; finance
makes the invoices; operations, finance and management read."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core.auth import actor_of
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id
from kantoor.finance.models import Invoice
from kantoor.sales import documents, quotes, selectors, services
from kantoor.sales.models import QuoteRevision, SalesOrder
from kantoor.sales.schemas import (
    PublicQuoteOut,
    QuoteAcceptIn,
    QuoteDeclineIn,
    QuoteRevisionOut,
    SalesOrderConfirmIn,
    SalesOrderCreateIn,
    SalesOrderFilters,
    SalesOrderInvoiceOut,
    SalesOrderOut,
    SalesOrderPage,
    SalesOrderSendIn,
    SalesOrderUpdateIn,
    SalesOrderVersionIn,
)

router = Router(tags=["sales"])

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The quotation or order as a PDF, in the customer's language.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get("/sales-orders", response=SalesOrderPage)
def list_sales_orders(
    request: HttpRequest, filters: Query[SalesOrderFilters], page: Query[PageParams]
) -> KeysetPage[SalesOrder]:
    """Quotations and sales orders, newest first (read one for its lines)."""
    orders = selectors.orders_list(
        actor_of(request),
        state=filters.state or "",
        customer_id=filters.customer_id,
        salesperson_id=filters.salesperson_id,
        search=filters.q,
    )
    return keyset_page(orders, ordering=["-order_date", "-id"], params=page, name="sales-orders")


@router.post("/sales-orders", response={201: SalesOrderOut})
def create_sales_order(request: HttpRequest, payload: SalesOrderCreateIn) -> Status:
    """A quotation with its lines (prices default to the customer's)."""
    values = payload.model_dump()
    lines = values.pop("lines")
    values["invoicing_policy"] = values["invoicing_policy"] or ""
    return Status(201, services.quotation_create(actor=actor_of(request), lines=lines, **values))


@router.get("/sales-orders/{order_id}", response=SalesOrderOut)
def get_sales_order(request: HttpRequest, order_id: Id) -> SalesOrder:
    """One quotation or order with its lines: what is delivered and invoiced of each."""
    return selectors.order_get_for_actor(actor_of(request), order_id)


@router.patch("/sales-orders/{order_id}", response=SalesOrderOut)
def update_sales_order(request: HttpRequest, order_id: Id, payload: SalesOrderUpdateIn) -> SalesOrder:
    """Change a quotation: the fields sent change; `lines`, when sent, replace all the lines.
    409 when `version` is stale or the order is confirmed."""
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return services.quotation_update(actor=actor_of(request), order_id=order_id, version=version, **changes)


@router.post("/sales-orders/{order_id}/send", response={202: SalesOrderOut})
def send_sales_order(request: HttpRequest, order_id: Id, payload: SalesOrderSendIn) -> Status:
    """E-mail the quotation as a PDF with the link to accept it online; it leaves after the
    answer. The quotation is "sent" at once."""
    to = payload.to if payload.to else None
    return Status(
        202,
        services.quotation_send(actor=actor_of(request), order_id=order_id, to=to, version=payload.version),
    )


@router.post("/sales-orders/{order_id}/mark-sent", response=SalesOrderOut)
def mark_sent_sales_order(request: HttpRequest, order_id: Id, payload: SalesOrderVersionIn) -> SalesOrder:
    """Mark the quotation as sent without e-mailing it (it was handed over otherwise)."""
    return services.quotation_send(actor=actor_of(request), order_id=order_id, to=(), version=payload.version)


@router.post("/sales-orders/{order_id}/approve-discount", response=SalesOrderOut)
def approve_discount_sales_order(
    request: HttpRequest, order_id: Id, payload: SalesOrderVersionIn
) -> SalesOrder:
    """A sales manager approves a discount above the reps' allowance."""
    return services.quotation_discount_approve(
        actor=actor_of(request), order_id=order_id, version=payload.version
    )


@router.post("/sales-orders/{order_id}/confirm", response=SalesOrderOut)
def confirm_sales_order(request: HttpRequest, order_id: Id, payload: SalesOrderConfirmIn) -> SalesOrder:
    """The quotation becomes a sales order and its delivery is made. 409 over the credit
    limit, unless a sales manager sends `credit_override`."""
    return services.order_confirm(
        actor=actor_of(request),
        order_id=order_id,
        version=payload.version,
        credit_override=payload.credit_override,
    )


@router.post("/sales-orders/{order_id}/cancel", response=SalesOrderOut)
def cancel_sales_order(request: HttpRequest, order_id: Id, payload: SalesOrderVersionIn) -> SalesOrder:
    """Cancel a quotation, or an order of which nothing was delivered or invoiced."""
    return services.order_cancel(actor=actor_of(request), order_id=order_id, version=payload.version)


@router.post("/sales-orders/{order_id}/invoice", response={201: SalesOrderInvoiceOut})
def invoice_sales_order(request: HttpRequest, order_id: Id) -> Status:
    """A draft customer invoice for what is to invoice (ordered or delivered, by the order's
    invoicing policy) and not invoiced yet."""
    invoice: Invoice = services.invoice_create_from_order(actor=actor_of(request), order_id=order_id)
    return Status(201, invoice)


@router.get("/sales-orders/{order_id}/revisions", response=list[QuoteRevisionOut])
def list_sales_order_revisions(request: HttpRequest, order_id: Id) -> list[QuoteRevision]:
    """The versions of the quotation sent before its current one, oldest first."""
    order = selectors.order_get_for_actor(actor_of(request), order_id)
    return list(QuoteRevision.objects.filter(order_id=order.pk).order_by("revision"))


@router.get("/sales-orders/{order_id}/pdf", openapi_extra=PDF_RESPONSE)
def get_sales_order_pdf(request: HttpRequest, order_id: Id) -> HttpResponse:
    """The quotation or order as a PDF (Content-Disposition: attachment, named after its
    number) — as the customer reads it: no costs, no margin."""
    exported = documents.order_pdf_for_actor(actor_of(request), order_id)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


# ---- the customer's answer through an acceptance link (no sign-in: the link is the key)


@router.get("/quotes/{token}", response=PublicQuoteOut, auth=None)
def get_public_quote(request: HttpRequest, token: str) -> SalesOrder:
    """The quotation of an acceptance link, as the customer sees it. 404 for a spoiled
    link, a link to an older version, or an expired one (`reason` says which)."""
    return quotes.quote_public_get(token)


@router.post("/quotes/{token}/accept", response=PublicQuoteOut, auth=None)
def accept_public_quote(request: HttpRequest, token: str, payload: QuoteAcceptIn) -> SalesOrder:
    """The customer accepts (once; 409 when answered already)."""
    return quotes.quote_accept(token=token, name=payload.name)


@router.post("/quotes/{token}/decline", response=PublicQuoteOut, auth=None)
def decline_public_quote(request: HttpRequest, token: str, payload: QuoteDeclineIn) -> SalesOrder:
    """The customer declines, with a reason if they like (once; 409 when answered already)."""
    return quotes.quote_decline(token=token, name=payload.name, reason=payload.reason)
