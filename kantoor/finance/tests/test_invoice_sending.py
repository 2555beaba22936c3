"""Sending an invoice: the request leaves after commit as one e-mail through a real SMTP
server on loopback, in the party's language with the PDF attached; `sent_at` and the party
timeline record it, a refused delivery is retried, and a delivered one never repeated.
The timeline also tells the invoice's life: posted, credited, paid, payments."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import pytest
from django.utils import translation
from pypdf import PdfReader

from kantoor.core.models import OutboxEvent
from kantoor.core.outbox import run_pending_events
from kantoor.finance import invoicing, payments
from kantoor.finance.models import Invoice, Journal, Tax
from kantoor.finance.tests.documents_support import (
    SmtpServer,
    bank_set,
    customer_make,
    free_port,
    invoice_make,
    smtp_server,
)
from kantoor.parties.models import TimelineEntry

pytestmark = pytest.mark.django_db

__all__ = ["smtp_server"]


@pytest.fixture
def bank(accountant: Any, ledger: Any) -> Journal:
    return bank_set(accountant)


def timeline(party: Any) -> list[tuple[str, str, str]]:
    return list(
        TimelineEntry.objects.filter(party=party)
        .order_by("occurred_at", "pk")
        .values_list("kind", "title", "body")
    )


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def pdf_text(content: bytes) -> str:
    """The text of a PDF as a reader extracts it (pypdf)."""
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)


def attachments(message: EmailMessage) -> list[tuple[str, str, bytes]]:
    return [
        (part.get_filename() or "", part.get_content_type(), part.get_content())
        for part in message.iter_attachments()
    ]


def test_a_sent_invoice_arrives_once_with_its_pdf(
    accountant: Any, ledger: Any, bank: Journal, smtp_server: SmtpServer
) -> None:
    party = customer_make(accountant)
    invoice = invoice_make(accountant, party)
    invoicing.invoice_send(actor=accountant, invoice_id=invoice.pk)
    assert Invoice.objects.get(pk=invoice.pk).sent_at is None  # nothing leaves before the relay

    run_pending_events()
    run_pending_events()  # a second relay finds nothing to do

    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.mail_from == "facturen@tulip.example"
    assert envelope.rcpt_tos == ["inkoop@visser.example"]
    message = smtp_server.messages()[0]
    assert message["Subject"] == f"Invoice {invoice.number} from Tulip Trading B.V."
    assert message["To"] == "inkoop@visser.example"
    assert text_of(message) == (
        "Dear Bloemenhandel Visser B.V.,\n\n"
        f"Please find attached invoice {invoice.number} of March 2, 2026 for €533.79. "
        f"We kindly ask you to pay €533.79 by April 1, 2026, quoting {invoice.number}.\n\n"
        "Kind regards,\nTulip Trading B.V.\n"
    )
    [(filename, content_type, content)] = attachments(message)
    assert (filename, content_type) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    assert Invoice.objects.get(pk=invoice.pk).sent_at is not None
    assert timeline(party) == [
        ("party.created", "Party created", ""),
        ("finance.invoice_posted", "Invoice posted", f"{invoice.number} · EUR 533.79"),
        ("finance.invoice_sent", "Invoice sent", f"{invoice.number} → inkoop@visser.example"),
    ]


def test_the_mailed_pdf_reads_as_the_invoice(
    accountant: Any, ledger: Any, bank: Journal, smtp_server: SmtpServer
) -> None:
    invoice = invoice_make(accountant, customer_make(accountant))
    invoicing.invoice_send(actor=accountant, invoice_id=invoice.pk)
    run_pending_events()

    [(_filename, _type, content)] = attachments(smtp_server.messages()[0])
    text = pdf_text(content)
    for expected in (
        f"Invoice {invoice.number}",
        "Bloemenhandel Visser B.V.",
        "Amount due",
        "€533.79",
        "NL91 ABNA 0417 1643 00",
        f"Payment reference: {invoice.number}",
    ):
        assert expected in text, expected


def test_a_dutch_party_gets_its_mail_in_dutch_at_the_given_addresses(
    accountant: Any, ledger: Any, bank: Journal, smtp_server: SmtpServer
) -> None:
    party = customer_make(accountant, "Kwekerij De Vries", language="nl", vat_number="")
    invoice = invoice_make(accountant, party)
    to = ["boekhouding@devries.example", "jan@devries.example"]
    invoicing.invoice_send(actor=accountant, invoice_id=invoice.pk, to=to)
    run_pending_events()

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == to
    message = smtp_server.messages()[0]
    with translation.override("nl"):
        subject = translation.gettext("%(title)s %(number)s from %(company)s") % {
            "title": translation.gettext("Invoice"),
            "number": invoice.number,
            "company": "Tulip Trading B.V.",
        }
    assert message["Subject"] == subject
    body = text_of(message)
    assert "2 maart 2026" in body
    assert "€\xa0533,79" in body
    assert "1 april 2026" in body
    assert timeline(party)[-1] == (
        "finance.invoice_sent",
        "Invoice sent",
        f"{invoice.number} → {', '.join(to)}",
    )


def test_a_refused_delivery_is_retried_and_then_sent_once(
    accountant: Any, ledger: Any, bank: Journal, smtp_server: SmtpServer, settings: Any
) -> None:
    party = customer_make(accountant)
    invoice = invoice_make(accountant, party)
    run_pending_events()
    invoicing.invoice_send(actor=accountant, invoice_id=invoice.pk)
    settings.EMAIL_PORT = free_port()  # nobody listens there

    run_pending_events()

    row = OutboxEvent.objects.get(name="finance.InvoiceSendRequested")
    assert (row.processed_at, row.attempts) == (None, 1)
    assert "ConnectionRefusedError" in row.last_error
    assert Invoice.objects.get(pk=invoice.pk).sent_at is None
    assert [kind for kind, _title, _body in timeline(party)] == ["party.created", "finance.invoice_posted"]

    settings.EMAIL_PORT = smtp_server.port
    run_pending_events()
    run_pending_events()

    assert len(smtp_server.envelopes) == 1
    assert Invoice.objects.get(pk=invoice.pk).sent_at is not None
    assert timeline(party)[-1][:2] == ("finance.invoice_sent", "Invoice sent")


def test_the_timeline_tells_the_life_of_invoices_bills_and_payments(
    accountant: Any, ledger: Any, bank: Journal
) -> None:
    party = customer_make(accountant)
    first = invoice_make(accountant, party)
    second = invoice_make(accountant, party, on=dt.date(2026, 3, 9))
    payment = payments.payment_register(
        actor=accountant,
        kind="inbound",
        party_id=party.pk,
        journal_id=bank.pk,
        date=dt.date(2026, 3, 20),
        amount="600.00",
        allocations=[{"invoice_id": first.pk}],
    )
    note = invoicing.credit_note_create(actor=accountant, invoice_id=second.pk, date=dt.date(2026, 3, 21))
    note = invoicing.invoice_post(actor=accountant, invoice_id=note.pk)
    supplier = customer_make(accountant, "Papierhuis", email="info@papierhuis.example", vat_number="")
    i21 = Tax.objects.get(company=ledger, code="I21")
    bill = invoicing.invoice_create(
        actor=accountant,
        kind="supplier_bill",
        party_id=supplier.pk,
        date=dt.date(2026, 3, 5),
        lines=[{"description": "Paper", "quantity": "1", "unit_price": "100", "tax_id": i21.pk}],
    )
    bill = invoicing.invoice_post(actor=accountant, invoice_id=bill.pk)

    run_pending_events()

    assert Decimal(payment.amount) == Decimal("600.00")
    assert timeline(party) == [
        ("party.created", "Party created", ""),
        ("finance.invoice_posted", "Invoice posted", f"{first.number} · EUR 533.79"),
        ("finance.invoice_posted", "Invoice posted", f"{second.number} · EUR 533.79"),
        ("finance.invoice_paid", "Invoice paid", f"{first.number} · EUR 533.79"),
        ("finance.payment_registered", "Payment received", f"{payment.entry.number} · EUR 600.00"),
        ("finance.credit_note_issued", "Credit note issued", f"{note.number} · EUR 533.79 ({second.number})"),
        ("finance.invoice_paid", "Credit note settled", f"{note.number} · EUR 533.79"),
        ("finance.invoice_paid", "Invoice paid", f"{second.number} · EUR 533.79"),
    ]
    assert timeline(supplier) == [
        ("party.created", "Party created", ""),
        ("finance.invoice_posted", "Bill posted", f"{bill.number} · EUR 121.00"),
    ]
