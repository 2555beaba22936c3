"""Events the purchasing app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class RfqSent(Event):
    """Someone asked to e-mail a request for quotation (or an order) to the supplier; a
    handler renders the PDF and sends it after commit."""

    order_id: int
    supplier_id: int
    number: str
    to: tuple[str, ...]
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PurchaseOrderConfirmed(Event):
    """An RFQ became a purchase order; `receipt_id` is the receipt expected from the supplier."""

    order_id: int
    supplier_id: int
    number: str
    currency: str
    amount_total: str
    receipt_id: int | None = None
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PurchaseOrderCancelled(Event):
    order_id: int
    supplier_id: int
    number: str
    actor_id: int | None = None
