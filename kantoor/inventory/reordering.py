"""Reorder rules and the reorder check: keep a product between a minimum and a maximum in a
warehouse. When its forecast (on hand + incoming − outgoing, kantoor.inventory.reports)
falls below the minimum, the check proposes buying or making enough to reach the maximum
by publishing StockBelowMinimum; purchasing (or manufacturing) turns that into an order.

Not proposing twice: once the check proposed for a rule it waits PROPOSAL_PAUSE (20 hours)
before it looks at that rule again, time for the proposal to become an order whose moves
the forecast then counts as incoming. Simple and predictable; a rule whose order was never
placed is proposed again by the next day's run. The pause is shorter than the day between
two runs so that a run starting a little earlier than yesterday's (the scheduler looks for
due jobs every few seconds) still sees the rule: at 24 hours such a rule would be skipped
and proposed only every other day.

Run each day at 04:00 UTC for every company by `kantoor scheduler`, as the periodic job
`inventory.reorder` (kantoor.inventory.schedule, on kantoor.core.schedule); by hand, or
from cron where no scheduler runs, with `kantoor stock reorder`. Both act for no user: the
check reads rules and publishes events, it changes nothing a person asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.catalog.models import QUANTITY, Product
from kantoor.core import audit, outbox, policy
from kantoor.core.errors import InvalidInputError, NotFoundError
from kantoor.core.models import User
from kantoor.inventory.events import StockBelowMinimum
from kantoor.inventory.models import ReorderRoute, ReorderRule, Warehouse
from kantoor.inventory.reports import forecast

MANAGE = "inventory.manage_stock"
PROPOSAL_PAUSE = dt.timedelta(hours=20)  # less than the day between two daily runs


class ReorderRuleInvalidError(InvalidInputError):
    code = "reorder-rule-invalid"
    title = gettext_lazy("The reorder rule is not valid")


@dataclass(frozen=True)
class Proposal:
    """What the check proposed for a rule: `quantity` to buy or make (max − forecast)."""

    rule_id: int
    product_id: int
    warehouse_id: int
    forecast: Decimal
    quantity: Decimal
    route: str


def _text(quantity: Decimal) -> str:
    """A quantity as plain text without trailing zeros ("17", "2.5")."""
    return f"{Decimal(quantity).normalize():f}"


def _quantity(value: Any, field: str) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ReorderRuleInvalidError.for_field(field, _("Enter a number.")) from None
    if not quantity.is_finite() or quantity < 0:
        raise ReorderRuleInvalidError.for_field(field, _("Enter a quantity of zero or more."))
    if quantity != quantity.quantize(QUANTITY) or quantity >= Decimal(10) ** 14:
        raise ReorderRuleInvalidError.for_field(field, _("Enter a quantity with at most four decimals."))
    return quantity


@transaction.atomic
def reorder_rule_set(
    *,
    actor: User,
    warehouse_id: int,
    product_id: int,
    min_quantity: Decimal | int | str,
    max_quantity: Decimal | int | str,
    route: str = ReorderRoute.BUY,
) -> ReorderRule:
    """Keep `product_id` in `warehouse_id` between `min_quantity` and `max_quantity` (in
    the product's unit), bought or made (`route`): creates the warehouse's rule for the
    product, or changes it (and makes it active again). Refused with nothing written when
    the maximum is below the minimum or the product is not kept in stock."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    warehouse = (
        Warehouse.objects.filter(pk=warehouse_id, company_id=company_id, is_active=True).first()
        if isinstance(warehouse_id, int)
        else None
    )
    if warehouse is None:
        raise ReorderRuleInvalidError.for_field("warehouse_id", _("Unknown warehouse."))
    product = (
        Product.objects.filter(pk=product_id, company_id=company_id, is_active=True).first()
        if isinstance(product_id, int)
        else None
    )
    if product is None:
        raise ReorderRuleInvalidError.for_field("product_id", _("Unknown product."))
    if not product.is_storable:
        raise ReorderRuleInvalidError.for_field("product_id", _("%s is not kept in stock.") % product.sku)
    minimum = _quantity(min_quantity, "min_quantity")
    maximum = _quantity(max_quantity, "max_quantity")
    if maximum < minimum:
        raise ReorderRuleInvalidError.for_field("max_quantity", _("Enter a maximum of at least the minimum."))
    if route not in ReorderRoute.values:
        raise ReorderRuleInvalidError.for_field("route", _("Choose buy or manufacture."))
    rule = ReorderRule.objects.select_for_update().filter(warehouse=warehouse, product=product).first()
    before = (
        {
            "min_quantity": _text(rule.min_quantity),
            "max_quantity": _text(rule.max_quantity),
            "route": rule.route,
        }
        if rule is not None
        else {"min_quantity": None, "max_quantity": None, "route": None}
    )
    if rule is None:
        rule = ReorderRule.objects.create(
            company_id=company_id,
            warehouse=warehouse,
            product=product,
            min_quantity=minimum,
            max_quantity=maximum,
            route=route,
        )
    else:
        rule.min_quantity, rule.max_quantity, rule.route, rule.is_active = minimum, maximum, route, True
        rule.version += 1
        rule.save(update_fields=["min_quantity", "max_quantity", "route", "is_active", "version"])
    after = {"min_quantity": _text(minimum), "max_quantity": _text(maximum), "route": route}
    audit.record(
        actor=actor,
        obj=rule,
        action="inventory.reorder_rule_set",
        changes={key: [before[key], after[key]] for key in after if before[key] != after[key]},
    )
    return rule


@transaction.atomic
def reorder_rule_delete(*, actor: User, rule_id: int) -> None:
    """Remove a reorder rule (the product is no longer reordered in that warehouse)."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    rule = (
        ReorderRule.objects.select_for_update().filter(pk=rule_id, company_id=company_id).first()
        if isinstance(rule_id, int)
        else None
    )
    if rule is None:
        raise NotFoundError(_("Not found."))
    audit.record(
        actor=actor,
        obj=rule,
        action="inventory.reorder_rule_delete",
        changes={
            "product": [rule.product_id, None],
            "warehouse": [rule.warehouse_id, None],
            "min_quantity": [_text(rule.min_quantity), None],
            "max_quantity": [_text(rule.max_quantity), None],
        },
    )
    rule.delete()


@transaction.atomic
def reorder_check(*, company_id: int, now: dt.datetime | None = None) -> list[Proposal]:
    """For every active rule of the company not proposed within PROPOSAL_PAUSE before `now`
    (default: the current time): when the product's forecast in the warehouse is below the
    minimum, publish StockBelowMinimum for max − forecast and remember when
    (last_proposed_at). Locks the rules it reads (two checks at once propose once); one
    forecast per warehouse, whatever the number of rules. Returns what it proposed."""
    now = now or timezone.now()
    rules = list(
        ReorderRule.objects.select_for_update()
        .filter(company_id=company_id, is_active=True, warehouse__is_active=True)
        .filter(Q(last_proposed_at__isnull=True) | Q(last_proposed_at__lte=now - PROPOSAL_PAUSE))
        .order_by("warehouse_id", "product_id")
    )
    by_warehouse: dict[int, list[ReorderRule]] = {}
    for rule in rules:
        by_warehouse.setdefault(rule.warehouse_id, []).append(rule)
    proposals: list[Proposal] = []
    for warehouse_id, warehouse_rules in by_warehouse.items():
        forecasts = forecast(
            company_id=company_id,
            product_ids=[rule.product_id for rule in warehouse_rules],
            warehouse_id=warehouse_id,
        )
        for rule in warehouse_rules:
            expected = forecasts[rule.product_id].forecast
            if expected >= rule.min_quantity:
                continue
            proposals.append(
                Proposal(
                    rule_id=rule.pk,
                    product_id=rule.product_id,
                    warehouse_id=warehouse_id,
                    forecast=expected,
                    quantity=rule.max_quantity - expected,
                    route=rule.route,
                )
            )
    if not proposals:
        return []
    ReorderRule.objects.filter(pk__in=[p.rule_id for p in proposals]).update(last_proposed_at=now)
    outbox.publish_many(
        [
            StockBelowMinimum(
                company_id=company_id,
                rule_id=p.rule_id,
                product_id=p.product_id,
                warehouse_id=p.warehouse_id,
                quantity=_text(p.quantity),
                route=p.route,
            )
            for p in proposals
        ]
    )
    return proposals
