"""Events the manufacturing app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class ProductionOrderConfirmed(Event):
    """A production order was confirmed: its components are reserved (`availability`
    "ready") or partly waiting for stock ("waiting")."""

    order_id: int
    number: str
    product_id: int
    quantity: str
    availability: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ProductionDone(Event):
    """A production run brought `quantity` (text, in the product's unit) of the order's
    product into stock; `cost` (text, company currency) is what the run's goods cost: the
    components consumed plus the work."""

    order_id: int
    product_id: int
    quantity: str
    cost: str
    actor_id: int | None = None
