"""Events the sales app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class QuoteSent(Event):
    """A quotation went to the customer: `to` empty when it was only marked as sent; else a
    handler renders the PDF and e-mails it with the acceptance link after commit."""

    order_id: int
    customer_id: int
    number: str
    revision: int
    to: tuple[str, ...] = ()
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class QuoteAccepted(Event):
    """The customer accepted the quotation (on the public page, or a rep recorded it)."""

    order_id: int
    customer_id: int
    number: str
    accepted_by: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class QuoteDeclined(Event):
    order_id: int
    customer_id: int
    number: str
    declined_by: str
    reason: str = ""
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrderConfirmed(Event):
    """A quotation became a sales order; `delivery_id` is the delivery made for it."""

    order_id: int
    customer_id: int
    number: str
    currency: str
    amount_total: str
    invoicing_policy: str
    delivery_id: int | None = None
    origin: str = ""  # where the quotation came from ("crm.opportunity:12")
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(Event):
    """Everything ordered has been delivered (the last delivery of the order is done)."""

    order_id: int
    customer_id: int
    number: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrderPaid(Event):
    """Every invoice of a fully invoiced order is paid."""

    order_id: int
    customer_id: int
    number: str
    currency: str
    amount_total: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    order_id: int
    customer_id: int
    number: str
    actor_id: int | None = None
