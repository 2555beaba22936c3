"""Reactions to finance's events: e-mailing an invoice someone asked to send, and the party
timeline (posted, credited, paid, payments).

The outbox runs each handler at least once and records a receipt in the handler's own
transaction, so a delivered handler never runs again. Sending is the one effect outside the
database: when the SMTP server refuses, the handler fails and the event is retried later;
only a crash between the server's acceptance and the commit can send an e-mail twice.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kantoor.core.money import Money
from kantoor.finance import documents, invoicing
from kantoor.finance.events import (
    CreditNoteIssued,
    InvoicePaid,
    InvoicePosted,
    InvoiceSendRequested,
    PaymentRegistered,
)
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceState
from kantoor.parties.services import timeline_entry_add

# Titles are stored untranslated (gettext_noop) and translated when shown.
POSTED_TITLES = {
    InvoiceKind.CUSTOMER_INVOICE: gettext_noop("Invoice posted"),
    InvoiceKind.CUSTOMER_CREDIT_NOTE: gettext_noop("Credit note posted"),
    InvoiceKind.SUPPLIER_BILL: gettext_noop("Bill posted"),
    InvoiceKind.SUPPLIER_REFUND: gettext_noop("Supplier refund posted"),
}
PAID_TITLES = {
    InvoiceKind.CUSTOMER_INVOICE: gettext_noop("Invoice paid"),
    InvoiceKind.CUSTOMER_CREDIT_NOTE: gettext_noop("Credit note settled"),
    InvoiceKind.SUPPLIER_BILL: gettext_noop("Bill paid"),
    InvoiceKind.SUPPLIER_REFUND: gettext_noop("Supplier refund settled"),
}
SENT_TITLES = {
    InvoiceKind.CUSTOMER_INVOICE: gettext_noop("Invoice sent"),
    InvoiceKind.CUSTOMER_CREDIT_NOTE: gettext_noop("Credit note sent"),
    InvoiceKind.SUPPLIER_BILL: gettext_noop("Bill sent"),
    InvoiceKind.SUPPLIER_REFUND: gettext_noop("Supplier refund sent"),
}


def _amount(amount: str, currency: str) -> str:
    """An amount as the timeline body shows it in every language: "EUR 533.79"."""
    return str(Money(Decimal(amount), currency).rounded())


# ----------------------------------------------------------------------------- sending


def _message(invoice: Invoice) -> tuple[str, str]:
    """The subject and body of the e-mail, in the active language."""
    context = documents.invoice_context(invoice)
    values = {
        "title": context["title"],
        "number": invoice.number,
        "company": invoice.company.name,
        "party": invoice.party.name,
        "date": context["date"],
        "total": context["total"],
        "due": context["due"],
        "due_date": context["due_date"],
    }
    subject = _("%(title)s %(number)s from %(company)s") % values
    if invoice.kind == InvoiceKind.CUSTOMER_INVOICE and invoice.amount_residual > 0:
        text = _(
            "Please find attached invoice %(number)s of %(date)s for %(total)s. "
            "We kindly ask you to pay %(due)s by %(due_date)s, quoting %(number)s."
        )
    elif invoice.kind == InvoiceKind.CUSTOMER_CREDIT_NOTE:
        text = _("Please find attached credit note %(number)s of %(date)s for %(total)s.")
    else:
        text = _("Please find attached %(title)s %(number)s of %(date)s for %(total)s.")
    body = "\n\n".join(
        [
            _("Dear %(party)s,") % values,
            text % values,
            _("Kind regards,") + "\n" + values["company"],
        ]
    )
    return subject, body + "\n"


def on_invoice_send_requested(event: InvoiceSendRequested) -> None:
    """E-mail the PDF to the recipients in the party's language, then record `sent_at` and
    the timeline entry."""
    invoice = (
        Invoice.objects.select_related("company", "party", "credit_note_of")
        .filter(pk=event.invoice_id, state=InvoiceState.POSTED)
        .first()
    )
    if invoice is None:  # gone (or never posted): nothing to send
        return
    with translation.override(documents.document_language(invoice.party)):
        subject, body = _message(invoice)
    pdf = documents.invoice_pdf(invoice)
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=list(event.to)
    )
    message.attach(documents.invoice_filename(invoice), pdf, documents.PDF)
    message.send(fail_silently=False)
    invoicing.invoice_mark_sent(invoice_id=invoice.pk)
    timeline_entry_add(
        party_id=event.party_id,
        kind="finance.invoice_sent",
        title=SENT_TITLES.get(InvoiceKind(invoice.kind), SENT_TITLES[InvoiceKind.CUSTOMER_INVOICE]),
        body=f"{invoice.number} → {', '.join(event.to)}",
        actor_id=event.actor_id,
        event=event,
    )


# ----------------------------------------------------------------------------- the timeline


def on_invoice_posted(event: InvoicePosted) -> None:
    if event.kind == InvoiceKind.CUSTOMER_CREDIT_NOTE:
        return  # CreditNoteIssued tells it, with the invoice it credits
    timeline_entry_add(
        party_id=event.party_id,
        kind="finance.invoice_posted",
        title=POSTED_TITLES[InvoiceKind(event.kind)],
        body=f"{event.number} · {_amount(event.amount_total, event.currency)}",
        actor_id=event.actor_id,
        event=event,
    )


def on_credit_note_issued(event: CreditNoteIssued) -> None:
    body = f"{event.number} · {_amount(event.amount_total, event.currency)}"
    if event.original_id is not None:
        original = Invoice.objects.filter(pk=event.original_id).values_list("number", flat=True).first()
        if original:
            body += f" ({original})"
    timeline_entry_add(
        party_id=event.party_id,
        kind="finance.credit_note_issued",
        title=gettext_noop("Credit note issued"),
        body=body,
        actor_id=event.actor_id,
        event=event,
    )


def on_invoice_paid(event: InvoicePaid) -> None:
    timeline_entry_add(
        party_id=event.party_id,
        kind="finance.invoice_paid",
        title=PAID_TITLES[InvoiceKind(event.kind)],
        body=f"{event.number} · {_amount(event.amount_total, event.currency)}",
        actor_id=event.actor_id,
        event=event,
    )


def on_payment_registered(event: PaymentRegistered) -> None:
    title = gettext_noop("Payment received") if event.kind == "inbound" else gettext_noop("Payment sent")
    timeline_entry_add(
        party_id=event.party_id,
        kind="finance.payment_registered",
        title=title,
        body=f"{event.number} · {_amount(event.amount, event.currency)}",
        actor_id=event.actor_id,
        event=event,
    )
