"""Reactions to events: e-mailing an RFQ or order someone asked to send, proposing an RFQ
when a reorder rule finds stock below its minimum, marking orders done once received and
billed, booking a bill's price difference off goods received, and the supplier's timeline
(RFQ sent, order confirmed, goods received).

The outbox runs each handler at least once and records a receipt per handler, so a
delivered handler never runs again; timeline entries are once per event besides.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kantoor.finance.documents import document_language
from kantoor.finance.events import InvoicePosted
from kantoor.finance.models import InvoiceKind
from kantoor.inventory.events import GoodsReceived, StockBelowMinimum
from kantoor.inventory.models import ReorderRoute
from kantoor.parties.services import timeline_entry_add
from kantoor.purchasing import documents, services
from kantoor.purchasing.events import PurchaseOrderCancelled, PurchaseOrderConfirmed, RfqSent
from kantoor.purchasing.models import PurchaseBillLine, PurchaseOrder

log = logging.getLogger(__name__)


def _message(order: PurchaseOrder) -> tuple[str, str]:
    """The subject and body of the e-mail, in the active language."""
    values = {
        "title": documents.order_title(order),
        "number": order.number,
        "company": order.company.name,
        "party": order.supplier.name,
    }
    subject = _("%(title)s %(number)s from %(company)s") % values
    text = (
        _("Please find attached our request for quotation %(number)s. We look forward to your offer.")
        if order.is_rfq
        else _("Please find attached our purchase order %(number)s. Kindly confirm the delivery date.")
    )
    body = "\n\n".join(
        [_("Dear %(party)s,") % values, text % values, _("Kind regards,") + "\n" + values["company"]]
    )
    return subject, body + "\n"


def on_rfq_sent(event: RfqSent) -> None:
    """E-mail the PDF to the recipients in the supplier's language, then record `sent_at`
    and the timeline entry."""
    order = PurchaseOrder.objects.select_related("company", "supplier").filter(pk=event.order_id).first()
    if order is None:
        return
    with translation.override(document_language(order.supplier)):
        subject, body = _message(order)
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=list(event.to)
    )
    message.attach(documents.order_filename(order), documents.order_pdf(order), documents.PDF)
    message.send(fail_silently=False)
    services.order_mark_sent(order_id=order.pk)
    timeline_entry_add(
        party_id=event.supplier_id,
        kind="purchasing.rfq_sent",
        title=gettext_noop("RFQ sent") if order.is_rfq else gettext_noop("Purchase order sent"),
        body=f"{order.number} → {', '.join(event.to)}",
        actor_id=event.actor_id,
        event=event,
    )


def on_order_confirmed(event: PurchaseOrderConfirmed) -> None:
    timeline_entry_add(
        party_id=event.supplier_id,
        kind="purchasing.order_confirmed",
        title=gettext_noop("Purchase order confirmed"),
        body=f"{event.number} · {event.currency} {event.amount_total}",
        actor_id=event.actor_id,
        event=event,
    )


def on_order_cancelled(event: PurchaseOrderCancelled) -> None:
    timeline_entry_add(
        party_id=event.supplier_id,
        kind="purchasing.order_cancelled",
        title=gettext_noop("Purchase order cancelled"),
        body=event.number,
        actor_id=event.actor_id,
        event=event,
    )


def on_goods_received(event: GoodsReceived) -> None:
    """Goods came in for an order: the supplier's timeline says so, and the order is done
    when everything is received and billed."""
    order = (
        PurchaseOrder.objects.filter(company_id=event.company_id, number=event.origin).first()
        if event.origin and event.company_id is not None
        else None
    )
    if order is None:
        return
    timeline_entry_add(
        party_id=order.supplier_id,
        kind="purchasing.goods_received",
        title=gettext_noop("Goods received"),
        body=f"{event.number} ({order.number})",
        actor_id=event.actor_id,
        event=event,
    )
    services.order_done_check(order_id=order.pk)


def on_invoice_posted(event: InvoicePosted) -> None:
    """A bill made from orders was posted: a price other than the order's is booked off
    goods-received (the price difference), and those orders may be done now. A refund of
    such a bill books its share of the price difference back."""
    if event.kind == InvoiceKind.SUPPLIER_REFUND:
        services.bill_price_difference_book(invoice_id=event.invoice_id)
        return
    if event.kind != InvoiceKind.SUPPLIER_BILL:
        return
    order_ids = set(
        PurchaseBillLine.objects.filter(invoice_id=event.invoice_id).values_list(
            "order_line__order_id", flat=True
        )
    )
    if order_ids:
        services.bill_price_difference_book(invoice_id=event.invoice_id)
    for order_id in sorted(order_ids):
        services.order_done_check(order_id=order_id)


def on_stock_below_minimum(event: StockBelowMinimum) -> None:
    """A reorder rule with route "buy" proposes a draft RFQ to the product's preferred
    supplier (skipped with a log line when it has none or an RFQ is open already)."""
    if event.route != ReorderRoute.BUY or event.company_id is None:
        return
    order = services.rfq_create_for_reorder(
        company_id=event.company_id,
        product_id=event.product_id,
        warehouse_id=event.warehouse_id,
        quantity=Decimal(event.quantity),
    )
    if order is not None:
        log.info("reorder rule %s proposed %s", event.rule_id, order.number)
