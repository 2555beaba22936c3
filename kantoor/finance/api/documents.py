"""Endpoints of documents: an invoice, credit note, bill or refund as a PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from kantoor.core.auth import actor_of
from kantoor.core.schemas import Id
from kantoor.finance import documents

router = Router()

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The document as a PDF, in the party's language.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get("/invoices/{invoice_id}/pdf", openapi_extra=PDF_RESPONSE)
def get_invoice_pdf(request: HttpRequest, invoice_id: Id) -> HttpResponse:
    """The invoice as a PDF (Content-Disposition: attachment, named after its number)."""
    exported = documents.invoice_pdf_for_actor(actor_of(request), invoice_id)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
