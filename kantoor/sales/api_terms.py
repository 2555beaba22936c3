"""The sales API of customer terms, targets and returns (mounted at /api/v1/ by kantoor.api):
a customer's credit limit, price list, payment term and invoicing policy with their current
exposure; monthly targets per salesperson or team and their progress; return
authorisations from request through approval (the return receipt) to the credit note."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core.auth import actor_of
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id
from kantoor.sales import returns, targets, terms
from kantoor.sales.models import ReturnAuthorisation, SalesTarget
from kantoor.sales.schemas_terms import (
    ReturnableOut,
    ReturnCreateIn,
    ReturnFilters,
    ReturnOut,
    ReturnPage,
    ReturnVersionIn,
    TargetFilters,
    TargetIn,
    TargetOut,
    TargetProgressOut,
    TermsIn,
    TermsOut,
)

router = Router(tags=["sales"])


def _terms_out(request: HttpRequest, party_id: int) -> dict[str, Any]:
    party, row = terms.terms_for_actor(actor=actor_of(request), party_id=party_id)
    base = terms.base_currency(party.company_id)
    return {
        "party_id": party.pk,
        "credit_limit": row.credit_limit if row else None,
        "price_list_id": row.price_list_id if row else None,
        "payment_term_id": row.payment_term_id if row else None,
        "invoicing_policy": row.invoicing_policy if row else "",
        "version": row.version if row else None,
        "exposure": terms.customer_exposure(party.company_id, party.pk, base=base),
        "currency": base,
    }


@router.get("/customers/{party_id}/sales-terms", response=TermsOut)
def get_customer_sales_terms(request: HttpRequest, party_id: Id) -> dict[str, Any]:
    """The customer's sales terms (nulls where the company's defaults apply) and their
    current exposure against the credit limit."""
    return _terms_out(request, party_id)


@router.put("/customers/{party_id}/sales-terms", response=TermsOut)
def set_customer_sales_terms(request: HttpRequest, party_id: Id, payload: TermsIn) -> dict[str, Any]:
    """Set the customer's terms as a whole (sales managers and finance). 409 when `version`
    is stale."""
    terms.customer_terms_set(actor=actor_of(request), party_id=party_id, **payload.model_dump())
    return _terms_out(request, party_id)


@router.get("/sales-targets", response=list[TargetProgressOut])
def list_sales_targets(request: HttpRequest, filters: Query[TargetFilters]) -> list[dict[str, Any]]:
    """The month's targets with what was achieved (untaxed, company currency): all of them
    for the sales manager and management, a rep's own and their teams'."""
    month = filters.month or timezone.localdate()
    return [
        {
            "id": row.target.pk,
            "user_id": row.target.user_id,
            "user_name": row.target.user.get_full_name() if row.target.user else "",
            "team_id": row.target.team_id,
            "team_name": row.target.team.name if row.target.team else "",
            "month": row.target.month,
            "amount": row.target.amount,
            "achieved": row.achieved,
            "percentage": row.percentage,
            "currency": row.currency,
            "missing_rates": row.missing_rates,
        }
        for row in targets.targets_progress(actor=actor_of(request), month=month)
    ]


@router.put("/sales-targets", response=TargetOut)
def set_sales_target(request: HttpRequest, payload: TargetIn) -> SalesTarget:
    """Set (or replace) the month's target of a salesperson or a team (sales managers)."""
    return targets.target_set(actor=actor_of(request), **payload.model_dump())


@router.delete("/sales-targets/{target_id}", response={204: None})
def delete_sales_target(request: HttpRequest, target_id: Id) -> Status:
    targets.target_delete(actor=actor_of(request), target_id=target_id)
    return Status(204, None)


def _return_out(rma: ReturnAuthorisation) -> dict[str, Any]:
    return {
        "id": rma.pk,
        "number": rma.number,
        "order_id": rma.order_id,
        "order_number": rma.order.number,
        "customer_id": rma.order.customer_id,
        "state": rma.state,
        "reason": rma.reason,
        "receipt_id": rma.receipt_id,
        "receipt_number": rma.receipt.number if rma.receipt else None,
        "credit_note_id": rma.credit_note_id,
        "created_at": rma.created_at,
        "version": rma.version,
        "lines": [
            {
                "order_line_id": line.order_line_id,
                "product_sku": line.order_line.product.sku,
                "description": line.order_line.description,
                "quantity": line.quantity,
                "uom": line.order_line.uom.code,
            }
            for line in returns.return_lines(rma)
        ],
    }


@router.get("/sales-returns", response=ReturnPage)
def list_sales_returns(
    request: HttpRequest, filters: Query[ReturnFilters], page: Query[PageParams]
) -> KeysetPage[ReturnAuthorisation]:
    """Return authorisations, newest first (of one order with `order_id`)."""
    rmas = returns.returns_list(actor_of(request), order_id=filters.order_id, state=filters.state or "")
    return keyset_page(rmas, ordering=["-created_at", "-id"], params=page, name="sales-returns")


@router.post("/sales-returns", response={201: ReturnOut})
def create_sales_return(request: HttpRequest, payload: ReturnCreateIn) -> Status:
    """Request a return of delivered goods of a confirmed order (at most what is left to
    return of each line: GET /sales-orders/{order_id}/returnable)."""
    rma = returns.return_create(
        actor=actor_of(request),
        order_id=payload.order_id,
        reason=payload.reason,
        lines=[line.model_dump() for line in payload.lines],
    )
    return Status(201, _return_out(returns.return_get_for_actor(actor_of(request), rma.pk)))


@router.get("/sales-returns/{return_id}", response=ReturnOut)
def get_sales_return(request: HttpRequest, return_id: Id) -> dict[str, Any]:
    return _return_out(returns.return_get_for_actor(actor_of(request), return_id))


@router.post("/sales-returns/{return_id}/approve", response=ReturnOut)
def approve_sales_return(request: HttpRequest, return_id: Id, payload: ReturnVersionIn) -> dict[str, Any]:
    """Approve: the return receipt is made in inventory (needs inventory's manage_stock too).
    When it is done, what was invoiced of the goods is credited (a draft credit note)."""
    returns.return_approve(actor=actor_of(request), return_id=return_id, version=payload.version)
    return _return_out(returns.return_get_for_actor(actor_of(request), return_id))


@router.post("/sales-returns/{return_id}/cancel", response=ReturnOut)
def cancel_sales_return(request: HttpRequest, return_id: Id, payload: ReturnVersionIn) -> dict[str, Any]:
    """Cancel a return whose goods have not come back (its return receipt too)."""
    returns.return_cancel(actor=actor_of(request), return_id=return_id, version=payload.version)
    return _return_out(returns.return_get_for_actor(actor_of(request), return_id))


@router.get("/sales-orders/{order_id}/returnable", response=list[ReturnableOut])
def list_sales_order_returnable(request: HttpRequest, order_id: Id) -> list[dict[str, Any]]:
    """The order's delivered lines with what may still be returned of each."""
    _order, rows = returns.returnable_for_actor(actor_of(request), order_id)
    return [
        {
            "order_line_id": row.line.pk,
            "product_sku": row.line.product.sku,
            "description": row.line.description,
            "uom": row.line.uom.code,
            "delivered": row.delivered,
            "pending": row.pending,
            "returnable": row.returnable,
        }
        for row in rows
    ]
