"""The quotation as the customer reads it: the PDF (lines, the optional ones apart,
discounts, VAT, totals, validity, the link to accept) never shows a cost or the margin;
sending it mails the PDF with the link through a real SMTP server after commit."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from pypdf import PdfReader

from kantoor.core.outbox import run_pending_events
from kantoor.finance.tests.documents_support import smtp_server
from kantoor.parties.models import TimelineEntry
from kantoor.sales import documents, quote_handlers, quotes, services
from kantoor.sales.events import QuoteSent
from kantoor.sales.models import SalesOrder
from kantoor.sales.tests.quote_support import (
    CUSTOMER_EMAIL,
    books,
    customer,
    pieces,
    products,
    quote_make,
    rep,
    v21,
    warehouse,
)

__all__ = ["books", "customer", "pieces", "products", "quote_make", "rep", "smtp_server", "v21", "warehouse"]


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_shows_lines_optional_items_vat_totals_and_the_link(quote_make: Any) -> None:
    order = quote_make(sent=True)
    assert order.amount_margin == Decimal("90.00")  # 270.00 less 3 × 60.00: staff only
    text = _text(documents.order_pdf(order))
    flat = " ".join(text.split())
    assert f"Quotation {order.number}" in flat
    assert "Standing desk" in flat
    assert "€270.00" in flat  # 3 × 100.00 less 10 %
    assert "10%" in flat
    assert "Optional items" in flat
    assert "Desk lamp" in flat
    assert "€25.00" in flat
    assert "€56.70" in flat  # VAT 21 % of 270.00 (the lamp is not in the total)
    assert "€326.70" in flat
    assert "Valid until" in flat
    assert "Accept online" in flat
    html = documents.order_html(order)
    assert quotes.quote_link_url(order) in html
    body = html.split("<body>", 1)[1]  # the styles speak of page margins
    for secret in ("Margin", "margin", "90.00", "60.00", "12.50", "Cost", "cost"):
        assert secret not in flat, secret
        assert secret not in body, secret


def test_a_draft_has_no_link_and_a_confirmed_order_no_validity(quote_make: Any) -> None:
    draft = quote_make()
    html = documents.order_html(draft)
    assert "/q/" not in html
    assert "Accept online" not in html
    SalesOrder.objects.filter(pk=draft.pk).update(state="confirmed")
    text = " ".join(_text(documents.order_pdf(draft)).split())
    assert f"Order confirmation {draft.number}" in text
    assert "Valid until" not in text


def test_the_pdf_is_in_the_customers_language(quote_make: Any, customer: Any) -> None:
    customer.language = "nl"
    customer.save(update_fields=["language"])
    order = quote_make(sent=True)
    html = documents.order_html(order)
    assert 'lang="nl"' in html
    assert order.number in _text(documents.order_pdf(order))


def test_sending_mails_the_pdf_with_the_link_after_commit(
    quote_make: Any, rep: Any, smtp_server: Any
) -> None:
    order = quote_make()
    sent = services.quotation_send(actor=rep, order_id=order.pk)
    assert smtp_server.messages() == []  # after commit only
    assert SalesOrder.objects.get(pk=order.pk).sent_at is None
    run_pending_events()
    (message,) = smtp_server.messages()
    assert message["To"] == CUSTOMER_EMAIL
    assert message["From"] == "facturen@tulip.example"
    assert message["Subject"] == f"Quotation {order.number} from Tulip Trading B.V."
    # The link signs the moment it was made: the one in the mail opens this quotation.
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"http://127\.0\.0\.1:8000/q/([^/\s]+)/", body.get_content())
    assert found is not None
    assert quotes.quote_public_get(found.group(1)).pk == order.pk
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert found.group(0) in html.get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"{order.number}.pdf"
    assert "€326.70" in _text(attachment.get_content())
    assert SalesOrder.objects.get(pk=order.pk).sent_at is not None
    assert sent.state == "sent"
    entry = TimelineEntry.objects.get(party_id=order.customer_id, kind="sales.quote_sent")
    assert entry.body == f"{order.number} → {CUSTOMER_EMAIL}"


def test_marking_sent_mails_nothing(quote_make: Any, smtp_server: Any) -> None:
    quote_make(sent=True)
    run_pending_events()
    assert smtp_server.messages() == []


def test_an_event_for_a_version_changed_since_mails_nothing(
    quote_make: Any, rep: Any, smtp_server: Any
) -> None:
    order = quote_make(sent=True)
    stale = QuoteSent(
        company_id=order.company_id,
        order_id=order.pk,
        customer_id=order.customer_id,
        number=order.number,
        revision=order.revision - 1 if order.revision > 1 else order.revision + 1,
        to=(CUSTOMER_EMAIL,),
    )
    quote_handlers.on_quote_sent(stale)
    assert smtp_server.messages() == []
