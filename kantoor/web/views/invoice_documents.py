"""Pages of finance: an invoice as a PDF, shown in the browser (or downloaded with
`?download=1`). Who may not see the invoice gets a 404, who may see no invoice a 403."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import URLPattern, path

from kantoor.finance import documents
from kantoor.web.shortcuts import AuthedRequest, page


@page
def invoice_pdf(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    exported = documents.invoice_pdf_for_actor(request.user, invoice_id)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    disposition = "attachment" if request.GET.get("download") == "1" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{exported.filename}"'
    return response


urlpatterns: list[URLPattern] = [
    path("finance/invoices/<int:invoice_id>/pdf/", invoice_pdf, name="invoice-pdf"),
]
