"""Endpoints of taxes and payment terms (read), and of invoices, credit notes, bills and
refunds from draft to posted, credited, sent and unreconciled. Amounts are decimal strings
in and out. Sales and service read the documents of the parties in their scope (others are
a 404) and write none (403); finance writes."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core import policy
from kantoor.core.auth import actor_of
from kantoor.core.errors import NotFoundError
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id, Version
from kantoor.finance import invoicing, payments, selectors
from kantoor.finance.models import Invoice, InvoiceState, PaymentState, PaymentTerm, Tax
from kantoor.finance.schemas_invoices import (
    CreditNoteIn,
    InvoiceCreateIn,
    InvoiceFilters,
    InvoiceOut,
    InvoicePage,
    InvoiceSendIn,
    InvoiceUpdateIn,
    InvoiceVersionIn,
    PaymentTermFilters,
    PaymentTermPage,
    TaxFilters,
    TaxPage,
    UnreconcileOut,
)

router = Router()

# Newest first; the index (company, kind, state, date) serves the usual filters.
INVOICE_ORDER = ["-date", "-id"]


def _master_data_visible(request: HttpRequest, queryset: QuerySet[Tax] | QuerySet[PaymentTerm]) -> QuerySet:
    """Taxes and terms are the company's, readable by whoever reads invoices or the ledger
    (in any scope: they belong to no party)."""
    actor = actor_of(request)
    if not (policy.has_permission(actor, invoicing.VIEW) or policy.has_permission(actor, selectors.VIEW)):
        return queryset.none()
    return queryset.filter(company_id=policy.actor_company_id(actor))


def invoices_visible(request: HttpRequest) -> QuerySet[Invoice]:
    return policy.filter_queryset(
        actor_of(request), invoicing.VIEW, Invoice.objects.select_related("party", "entry")
    )


def _invoice_get(request: HttpRequest, invoice_id: int) -> Invoice:
    invoice = invoices_visible(request).filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFoundError()
    return invoice


@router.get("/taxes", response=TaxPage)
def list_taxes(request: HttpRequest, filters: Query[TaxFilters], page: Query[PageParams]) -> KeysetPage[Tax]:
    """The sales and purchase taxes (VAT rates), by scope and code."""
    taxes = _master_data_visible(request, Tax.objects.all())
    if filters.scope is not None:
        taxes = taxes.filter(scope=filters.scope)
    if filters.active is not None:
        taxes = taxes.filter(is_active=filters.active)
    return keyset_page(taxes, ordering=["scope", "code", "id"], params=page, name="taxes")


@router.get("/payment-terms", response=PaymentTermPage)
def list_payment_terms(
    request: HttpRequest, filters: Query[PaymentTermFilters], page: Query[PageParams]
) -> KeysetPage[PaymentTerm]:
    """The payment terms with their instalments, by name."""
    terms = _master_data_visible(request, PaymentTerm.objects.prefetch_related("lines"))
    if filters.active is not None:
        terms = terms.filter(is_active=filters.active)
    return keyset_page(terms, ordering=["name", "id"], params=page, name="payment-terms")


@router.get("/invoices", response=InvoicePage)
def list_invoices(
    request: HttpRequest, filters: Query[InvoiceFilters], page: Query[PageParams]
) -> KeysetPage[Invoice]:
    """Invoices, credit notes, bills and refunds, newest first (read one for its lines)."""
    invoices = invoices_visible(request)
    if filters.kind is not None:
        invoices = invoices.filter(kind=filters.kind)
    if filters.state is not None:
        invoices = invoices.filter(state=filters.state)
    if filters.payment_state is not None:
        invoices = invoices.filter(payment_state=filters.payment_state)
    if filters.party_id is not None:
        invoices = invoices.filter(party_id=filters.party_id)
    if filters.date_from is not None:
        invoices = invoices.filter(date__gte=filters.date_from)
    if filters.date_to is not None:
        invoices = invoices.filter(date__lte=filters.date_to)
    if filters.overdue is not None:
        overdue = Q(state=InvoiceState.POSTED, due_date__lt=timezone.localdate()) & ~Q(
            payment_state=PaymentState.PAID
        )
        invoices = invoices.filter(overdue) if filters.overdue else invoices.exclude(overdue)
    return keyset_page(invoices, ordering=INVOICE_ORDER, params=page, name="invoices")


# Before /invoices/{invoice_id}: that pattern takes any text as an id, so it would answer
# POST /invoices/issue itself (with a 405).
def _document(payload: InvoiceCreateIn) -> dict[str, Any]:
    """The create payload as the services take it (creating a draft and issuing alike)."""
    return {
        "kind": payload.kind,
        "party_id": payload.party_id,
        "date": payload.date,
        "due_date": payload.due_date,
        "payment_term_id": payload.payment_term_id,
        "currency": payload.currency,
        "reference": payload.reference,
        "narration": payload.narration,
        "lines": [line.model_dump() for line in payload.lines],
    }


@router.post("/invoices/issue", response={201: InvoiceOut})
def issue_invoice(request: HttpRequest, payload: InvoiceCreateIn) -> Status:
    """Create and post at once: the invoice gets its number and journal entry in the same
    transaction, or nothing is written (the checks of creating, then of posting)."""
    return Status(201, invoicing.invoice_issue(actor=actor_of(request), **_document(payload)))


@router.get("/invoices/{invoice_id}", response=InvoiceOut)
def get_invoice(request: HttpRequest, invoice_id: Id) -> Invoice:
    return _invoice_get(request, invoice_id)


@router.post("/invoices", response={201: InvoiceOut})
def create_invoice(request: HttpRequest, payload: InvoiceCreateIn) -> Status:
    """Create a draft with its lines; its totals are computed (no number yet)."""
    return Status(201, invoicing.invoice_create(actor=actor_of(request), **_document(payload)))


@router.patch("/invoices/{invoice_id}", response=InvoiceOut)
def update_invoice(request: HttpRequest, invoice_id: Id, payload: InvoiceUpdateIn) -> Invoice:
    """Change a draft: the fields sent change; `lines`, when sent, replace all its lines.
    Refused with 409 when `version` is stale, and for a posted invoice (credit it instead)."""
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return invoicing.invoice_update(
        actor=actor_of(request), invoice_id=invoice_id, version=version, **changes
    )


@router.delete("/invoices/{invoice_id}", response={204: None})
def delete_invoice(request: HttpRequest, invoice_id: Id, version: Query[Version]) -> Status:
    """Delete a draft (it holds no number, so no gap appears). Refused with 409 when
    `version` is stale, and for a posted invoice."""
    invoicing.invoice_delete(actor=actor_of(request), invoice_id=invoice_id, version=version)
    return Status(204, None)


@router.post("/invoices/{invoice_id}/post", response=InvoiceOut)
def post_invoice(request: HttpRequest, invoice_id: Id, payload: InvoiceVersionIn) -> Invoice:
    """Post a draft: it gets its gapless number and journal entry and becomes immutable. A
    credit note made from an invoice is matched with what is still due on it."""
    return invoicing.invoice_post(actor=actor_of(request), invoice_id=invoice_id, version=payload.version)


@router.post("/invoices/{invoice_id}/credit-note", response={201: InvoiceOut})
def create_credit_note(request: HttpRequest, invoice_id: Id, payload: CreditNoteIn) -> Status:
    """A draft credit note (or supplier refund) for a posted invoice (or bill): all of it, or
    part of some `lines`. Posting it settles it against what is due on the invoice."""
    note = invoicing.credit_note_create(
        actor=actor_of(request),
        invoice_id=invoice_id,
        date=payload.date,
        reason=payload.reason,
        lines=(
            [line.model_dump(exclude_none=True) for line in payload.lines]
            if payload.lines is not None
            else None
        ),
    )
    return Status(201, note)


@router.post("/invoices/{invoice_id}/send", response={202: InvoiceOut})
def send_invoice(request: HttpRequest, invoice_id: Id, payload: InvoiceSendIn) -> Status:
    """Ask for a posted invoice to be e-mailed as a PDF (to `to`, or the party's e-mail
    address); it leaves after the answer, and `sent_at` is set then."""
    invoice = invoicing.invoice_send(actor=actor_of(request), invoice_id=invoice_id, to=payload.to)
    return Status(202, invoice)


@router.post("/invoices/{invoice_id}/unreconcile", response=UnreconcileOut)
def unreconcile_invoice(request: HttpRequest, invoice_id: Id) -> UnreconcileOut:
    """Undo every match of the invoice (payments, credit notes): what they settled is due again."""
    removed = payments.unreconcile(actor=actor_of(request), invoice_id=invoice_id)
    return UnreconcileOut(matches_removed=removed)
