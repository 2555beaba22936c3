"""Reactions to events, the order-to-cash flow between departments: a done delivery makes
the order's invoice (invoiced on delivery), a confirmation makes it for orders invoiced on
order, a paid invoice marks its order paid (and done once delivered too), an accepted
quotation is confirmed — and every step lands on the customer's timeline.

The outbox runs each handler at least once and records a receipt per handler, so a
delivered handler never runs again; timeline entries are once per event besides. Writes
that no person asked for are made by the company's system actor.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext_noop

from kantoor.core.errors import DomainError
from kantoor.core.services import system_actor
from kantoor.finance.events import InvoicePaid
from kantoor.finance.models import InvoiceKind
from kantoor.inventory.events import GoodsDelivered
from kantoor.parties.services import timeline_entry_add
from kantoor.sales import services
from kantoor.sales.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderPaid,
    QuoteAccepted,
    QuoteDeclined,
    QuoteSent,
)
from kantoor.sales.models import InvoicingPolicy

log = logging.getLogger(__name__)


def on_quote_sent_timeline(event: QuoteSent) -> None:
    """A quotation handed over without e-mail (the e-mail handler notes the mailed ones)."""
    if event.to:
        return
    timeline_entry_add(
        party_id=event.customer_id,
        kind="sales.quote_sent",
        title=gettext_noop("Quotation sent"),
        body=f"{event.number} v{event.revision}",
        actor_id=event.actor_id,
        event=event,
    )


def on_quote_accepted(event: QuoteAccepted) -> None:
    """The customer accepted on the public page: on their timeline, and the quotation is
    confirmed by the system actor. Should confirming be refused (credit limit, stock), the
    refusal is noted on the timeline for the rep, and the quotation stays accepted."""
    timeline_entry_add(
        party_id=event.customer_id,
        kind="sales.quote_accepted",
        title=gettext_noop("Quotation accepted"),
        body=f"{event.number} — {event.accepted_by}",
        event=event,
    )
    if event.company_id is None:
        return
    actor = system_actor(event.company_id)
    try:
        services.order_confirm(actor=actor, order_id=event.order_id)
    except DomainError as exc:
        log.info("accepted quotation %s not confirmed: %s", event.number, exc.message)
        timeline_entry_add(
            party_id=event.customer_id,
            kind="sales.confirm_refused",
            title=gettext_noop("Accepted quotation not confirmed"),
            body=f"{event.number}: {exc.message}",
            event=event,
        )


def on_quote_declined(event: QuoteDeclined) -> None:
    timeline_entry_add(
        party_id=event.customer_id,
        kind="sales.quote_declined",
        title=gettext_noop("Quotation declined"),
        body=f"{event.number} — {event.declined_by}" + (f": {event.reason}" if event.reason else ""),
        event=event,
    )


def on_order_confirmed(event: OrderConfirmed) -> None:
    """On the customer's timeline; an order invoiced on order gets its draft invoice."""
    timeline_entry_add(
        party_id=event.customer_id,
        kind="sales.order_confirmed",
        title=gettext_noop("Order confirmed"),
        body=f"{event.number} — {event.currency} {event.amount_total}",
        actor_id=event.actor_id,
        event=event,
    )
    if event.invoicing_policy == InvoicingPolicy.ORDER and event.company_id is not None:
        services.order_confirmation_invoice(actor=system_actor(event.company_id), order_id=event.order_id)


def on_goods_delivered(event: GoodsDelivered) -> None:
    """Goods left for an order: on the customer's timeline; the order's invoice (invoiced on
    delivery) and OrderDelivered once everything is (services.order_goods_delivered)."""
    if not event.origin or event.company_id is None:
        return
    order = services.order_goods_delivered(
        company_id=event.company_id, origin=event.origin, actor_id=event.actor_id
    )
    if order is not None:
        timeline_entry_add(
            party_id=order.customer_id,
            kind="sales.goods_delivered",
            title=gettext_noop("Goods delivered"),
            body=f"{event.number} — {order.number}",
            actor_id=event.actor_id,
            event=event,
        )


def on_order_delivered(event: OrderDelivered) -> None:
    timeline_entry_add(
        party_id=event.customer_id,
        kind="sales.order_delivered",
        title=gettext_noop("Order delivered"),
        body=event.number,
        actor_id=event.actor_id,
        event=event,
    )


def on_invoice_paid(event: InvoicePaid) -> None:
    """A customer invoice made from orders is paid: each order invoiced in full and paid is
    marked paid (OrderPaid), and done when its goods are delivered too."""
    if event.kind != InvoiceKind.CUSTOMER_INVOICE:
        return
    for order_id in services.orders_of_invoice(event.invoice_id):
        services.order_progress(order_id=order_id, actor_id=event.actor_id)


def on_order_paid(event: OrderPaid) -> None:
    timeline_entry_add(
        party_id=event.customer_id,
        kind="sales.order_paid",
        title=gettext_noop("Order paid"),
        body=f"{event.number} — {event.currency} {event.amount_total}",
        actor_id=event.actor_id,
        event=event,
    )


def on_order_cancelled(event: OrderCancelled) -> None:
    timeline_entry_add(
        party_id=event.customer_id,
        kind="sales.order_cancelled",
        title=gettext_noop("Order cancelled"),
        body=event.number,
        actor_id=event.actor_id,
        event=event,
    )
