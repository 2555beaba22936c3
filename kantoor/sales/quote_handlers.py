"""Sending a quotation by e-mail: when a rep sends a quotation to addresses, this handler
renders its PDF in the customer's language and e-mails it with the link to accept it
online — after commit, so a rolled-back send mails nothing — then records `sent_at` and
the customer's timeline entry.

The outbox runs each handler at least once and records a receipt per handler, so a
delivered handler never runs again; the timeline entry is once per event besides.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kantoor.finance.documents import document_language
from kantoor.parties.services import timeline_entry_add
from kantoor.sales import documents, quotes, services
from kantoor.sales.events import QuoteSent
from kantoor.sales.models import OrderState, SalesOrder

log = logging.getLogger(__name__)


def quote_email(order: SalesOrder, accept_url: str) -> EmailMultiAlternatives:
    """The e-mail of a sent quotation (without recipients), in the customer's language,
    with the PDF attached."""
    with translation.override(document_language(order.customer)):
        context = {
            "order": order,
            "company": order.company.name,
            "customer": order.customer.name,
            "accept_url": accept_url,
            "valid_until": documents.document_date(order.valid_until),
            "salesperson": order.salesperson.get_full_name() if order.salesperson is not None else "",
        }
        subject = _("Quotation %(number)s from %(company)s") % {
            "number": order.number,
            "company": order.company.name,
        }
        text = render_to_string("sales/quote_email.txt", context)
        html = render_to_string("sales/quote_email.html", context)
        pdf = documents.order_pdf(order)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL)
    message.attach_alternative(html, "text/html")
    message.attach(documents.order_filename(order), pdf, documents.PDF)
    return message


def on_quote_sent(event: QuoteSent) -> None:
    """E-mail the quotation to `event.to` (nothing when it was only marked as sent), then
    record `sent_at` and the timeline entry. A quotation changed or withdrawn since is not
    mailed: its newer version goes out with its own event."""
    if not event.to:
        return
    order = (
        SalesOrder.objects.select_related("company", "customer", "salesperson")
        .filter(pk=event.order_id)
        .first()
    )
    if order is None:
        return
    if order.revision != event.revision or order.state != OrderState.SENT:
        log.info("quotation %s changed since it was sent; not mailed", order.number)
        return
    message = quote_email(order, quotes.quote_link_url(order))
    message.to = list(event.to)
    message.send(fail_silently=False)
    services.quotation_mark_sent(order_id=order.pk)
    timeline_entry_add(
        party_id=event.customer_id,
        kind="sales.quote_sent",
        title=gettext_noop("Quotation sent"),
        body=f"{order.number} → {', '.join(event.to)}",
        actor_id=event.actor_id,
        event=event,
    )
