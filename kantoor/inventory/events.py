"""Events the inventory app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class TransferDone(Event):
    """A transfer's moves were done: every transfer publishes this; receipts and deliveries
    publish GoodsReceived or GoodsDelivered besides."""

    transfer_id: int
    number: str
    kind: str
    party_id: int | None
    origin: str
    backorder_id: int | None = None
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class GoodsReceived(Event):
    """Goods came in from a supplier (or back from a customer): `lines` are
    [product_id, quantity (text), value (text)] of the done moves."""

    transfer_id: int
    number: str
    party_id: int | None
    origin: str
    lines: list[list[str | int]]
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class GoodsDelivered(Event):
    """Goods left for a customer (or back to a supplier): `lines` as in GoodsReceived."""

    transfer_id: int
    number: str
    party_id: int | None
    origin: str
    lines: list[list[str | int]]
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class StockBelowMinimum(Event):
    """A reorder rule found a product's forecast below its minimum: `quantity` (text) is
    what brings it back to the maximum, in the product's unit."""

    rule_id: int
    product_id: int
    warehouse_id: int
    quantity: str
    route: str
