"""Events the catalog app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class ProductCreated(Event):
    product_id: int
    sku: str
    name: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ProductUpdated(Event):
    """Fields of the product changed (`is_active` when it was archived or restored;
    `translations.<language>` when a translation was set or removed)."""

    product_id: int
    changed_fields: list[str] = field(default_factory=list)
    actor_id: int | None = None
