"""Endpoints of payments (registered with what they pay, cancelled, unreconciled) and of open
items (listed, matched by hand). Amounts are decimal strings in and out. Sales and service
read the payments and open items of the parties in their scope; finance writes."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core import policy
from kantoor.core.auth import actor_of
from kantoor.core.errors import NotFoundError
from kantoor.core.models import Scope
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id
from kantoor.finance import payments
from kantoor.finance.models import AccountRole, OpenItem, Payment
from kantoor.finance.schemas_invoices import (
    ItemsReconcileIn,
    OpenItemFilters,
    OpenItemPage,
    PaymentCancelIn,
    PaymentCreateIn,
    PaymentFilters,
    PaymentOut,
    PaymentPage,
    ReconciledOut,
    UnreconcileOut,
)
from kantoor.parties.models import Party

router = Router()

PAYMENT_ORDER = ["-date", "-id"]
# Oldest due first, as they are matched.
OPEN_ITEM_ORDER = ["due_date", "line_id"]


def payments_visible(request: HttpRequest) -> QuerySet[Payment]:
    return policy.filter_queryset(
        actor_of(request), payments.VIEW, Payment.objects.select_related("party", "entry")
    )


def open_items_visible(request: HttpRequest) -> QuerySet[OpenItem]:
    """The open items of the receivable and payable accounts, of the parties in the actor's
    scope (all of them in company scope)."""
    actor = actor_of(request)
    scope = policy.scope_for(actor, payments.VIEW)
    items = OpenItem.objects.select_related("entry__invoice").filter(
        account__role__in=[AccountRole.RECEIVABLE, AccountRole.PAYABLE]
    )
    if scope is None:
        return items.none()
    items = items.filter(company_id=policy.actor_company_id(actor))
    if scope != Scope.COMPANY:
        items = items.filter(party__in=policy.filter_queryset(actor, payments.VIEW, Party.objects.all()))
    return items


@router.get("/payments", response=PaymentPage)
def list_payments(
    request: HttpRequest, filters: Query[PaymentFilters], page: Query[PageParams]
) -> KeysetPage[Payment]:
    """Payments received and sent, newest first (read one for what it settled)."""
    found = payments_visible(request)
    if filters.kind is not None:
        found = found.filter(kind=filters.kind)
    if filters.status is not None:
        found = found.filter(status=filters.status)
    if filters.party_id is not None:
        found = found.filter(party_id=filters.party_id)
    if filters.date_from is not None:
        found = found.filter(date__gte=filters.date_from)
    if filters.date_to is not None:
        found = found.filter(date__lte=filters.date_to)
    return keyset_page(found, ordering=PAYMENT_ORDER, params=page, name="payments")


@router.get("/payments/{payment_id}", response=PaymentOut)
def get_payment(request: HttpRequest, payment_id: Id) -> Payment:
    payment = payments_visible(request).filter(pk=payment_id).first()
    if payment is None:
        raise NotFoundError()
    return payment


@router.post("/payments", response={201: PaymentOut})
def create_payment(request: HttpRequest, payload: PaymentCreateIn) -> Status:
    """Register money received (`inbound`) or sent (`outbound`) through a bank or cash
    journal, posted at once, and settle it against the invoices in `allocations` (each in
    full unless an amount is given). What is not allocated stays open on the party."""
    payment = payments.payment_register(
        actor=actor_of(request),
        kind=payload.kind,
        party_id=payload.party_id,
        journal_id=payload.journal_id,
        date=payload.date,
        amount=payload.amount,
        reference=payload.reference,
        allocations=[allocation.model_dump() for allocation in payload.allocations],
        currency=payload.currency,
        counterpart=payload.counterpart,
    )
    return Status(201, payment)


@router.post("/payments/{payment_id}/cancel", response=PaymentOut)
def cancel_payment(request: HttpRequest, payment_id: Id, payload: PaymentCancelIn) -> Payment:
    """Cancel a payment: its matches are undone and its entry reversed (on `date`), so what it
    paid is due again. Refused with 409 when `version` is stale or it is cancelled already."""
    return payments.payment_cancel(
        actor=actor_of(request), payment_id=payment_id, version=payload.version, date=payload.date
    )


@router.post("/payments/{payment_id}/unreconcile", response=UnreconcileOut)
def unreconcile_payment(request: HttpRequest, payment_id: Id) -> UnreconcileOut:
    """Undo every match of the payment: the invoices are due again and the payment is an
    open credit on the party."""
    removed = payments.unreconcile(actor=actor_of(request), payment_id=payment_id)
    return UnreconcileOut(matches_removed=removed)


@router.get("/open-items", response=OpenItemPage)
def list_open_items(
    request: HttpRequest, filters: Query[OpenItemFilters], page: Query[PageParams]
) -> KeysetPage[OpenItem]:
    """Receivable and payable items, oldest due first: positive for what the party owes or
    is owed by an invoice, negative for payments and credit notes."""
    items = open_items_visible(request)
    if filters.party_id is not None:
        items = items.filter(party_id=filters.party_id)
    if filters.account_role is not None:
        items = items.filter(account__role=filters.account_role)
    if filters.open is not None:
        items = items.exclude(residual=0) if filters.open else items.filter(residual=0)
    return keyset_page(items, ordering=OPEN_ITEM_ORDER, params=page, name="open-items")


@router.post("/open-items/reconcile", response=ReconciledOut)
def reconcile_open_items(request: HttpRequest, payload: ItemsReconcileIn) -> ReconciledOut:
    """Match open items of one account and party with each other (an open credit with an
    invoice, say), oldest due first; answers the amount settled."""
    settled = payments.items_reconcile(actor=actor_of(request), item_ids=payload.item_ids)
    return ReconciledOut.model_validate({"amount": settled})
