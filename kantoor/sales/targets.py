"""Sales targets: what a salesperson or a team should sell in a month (untaxed, company
currency), set by the sales manager, and the progress towards them.

Achieved = Σ `amount_untaxed` of the orders confirmed in the month (state confirmed or done,
`confirmed_at` within the month in the company's time zone) of the salesperson, or of the
team (the order's `team`). Summed in SQL per (person or team, currency); each foreign
currency's sum is converted at the rate valid on the month's last day (today for the
running month). A currency without a rate is left out and named in `missing_rates`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import audit, policy
from kantoor.core.errors import MissingExchangeRateError, NotFoundError
from kantoor.core.models import Company, Role, Team, User
from kantoor.core.money import exchange_rate_on, quantize
from kantoor.sales.errors import SalesTargetInvalidError
from kantoor.sales.models import OrderState, SalesOrder, SalesTarget

VIEW = "sales.view_target"
MANAGE = "sales.manage_target"
TARGET_FIELDS = ["user", "team", "month", "amount"]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _amount(value: Any) -> Decimal:
    if isinstance(value, float | bool):
        raise SalesTargetInvalidError.for_field("amount", _("Give the amount as a decimal number."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError) as exc:
        raise SalesTargetInvalidError.for_field("amount", _("Not a number.")) from exc
    if not number.is_finite():
        raise SalesTargetInvalidError.for_field("amount", _("Not a number."))
    if number < 0:
        raise SalesTargetInvalidError.for_field("amount", _("A target cannot be negative."))
    if number >= Decimal(10) ** 15 or number != number.quantize(Decimal("0.01")):
        raise SalesTargetInvalidError.for_field("amount", _("At most 15 digits and 2 decimals."))
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def target_set(
    *,
    actor: User,
    month: dt.date,
    amount: Decimal | str,
    user_id: int | None = None,
    team_id: int | None = None,
) -> SalesTarget:
    """Set the month's target of one salesperson (`user_id`) or one team (`team_id`),
    replacing the one set before (sales.manage_target). `month` may be any day of it.
    Audits "sales.target_set"."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    errors: dict[str, list[str]] = {}
    if (user_id is None) == (team_id is None):
        errors["user_id"] = [_("Choose a salesperson or a team (one of them).")]
    elif (
        user_id is not None
        and not User.objects.filter(pk=user_id, company_id=company_id, is_active=True).exists()
    ):
        errors["user_id"] = [_("Choose an active user of your company.")]
    elif team_id is not None and not Team.objects.filter(pk=team_id, company_id=company_id).exists():
        errors["team_id"] = [_("Choose a team of your company.")]
    try:
        value = _amount(amount)
    except SalesTargetInvalidError as exc:
        errors.update(exc.field_errors)
    if errors:
        raise SalesTargetInvalidError(_("Correct the sales target."), field_errors=errors)
    first = month_start(month)
    target = (
        SalesTarget.objects.select_for_update()
        .filter(company_id=company_id, month=first)
        .filter(Q(user_id=user_id) if user_id is not None else Q(team_id=team_id))
        .first()
    )
    if target is None:
        target = SalesTarget(
            company_id=company_id, user_id=user_id, team_id=team_id, month=first, amount=value
        )
        try:
            with transaction.atomic():  # a concurrent first set of the same target
                target.save()
        except IntegrityError as exc:
            raise SalesTargetInvalidError.for_field(
                "month", _("This target was just set by someone else; try again.")
            ) from exc
        audit.record(
            actor=actor, obj=target, action="sales.target_set", changes=audit.snapshot(target, TARGET_FIELDS)
        )
        return target
    if target.amount != value:
        audit.record(
            actor=actor,
            obj=target,
            action="sales.target_set",
            changes={"amount": [str(target.amount), str(value)]},
        )
        target.amount = value
        target.save(update_fields=["amount"])
    return target


@transaction.atomic
def target_delete(*, actor: User, target_id: int) -> None:
    """Remove a target (sales.manage_target). Audits "sales.target_delete"."""
    policy.require(actor, MANAGE)
    target = (
        SalesTarget.objects.select_for_update()
        .filter(pk=target_id, company_id=policy.actor_company_id(actor))
        .first()
    )
    if target is None:
        raise NotFoundError(_("Not found."))
    audit.record(
        actor=actor, obj=target, action="sales.target_delete", changes=audit.snapshot(target, TARGET_FIELDS)
    )
    target.delete()


@dataclass
class TargetProgress:
    target: SalesTarget
    achieved: Decimal
    percentage: Decimal | None  # None for a target of zero
    currency: str
    missing_rates: list[str] = field(default_factory=list)


def sees_all_targets(actor: User) -> bool:
    """The sales manager (and management) see every target; a rep sees their own and their
    teams' targets."""
    return policy.has_permission(actor, MANAGE) or (
        policy.scope_for(actor, VIEW) == "company" and Role.MANAGEMENT in policy.roles_of(actor)
    )


def targets_visible(actor: User, month: dt.date) -> Any:
    policy.require(actor, VIEW)
    targets = SalesTarget.objects.filter(company_id=policy.actor_company_id(actor), month=month_start(month))
    if not sees_all_targets(actor):
        targets = targets.filter(Q(user_id=actor.pk) | Q(team_id__in=policy.team_ids_of(actor)))
    # A person's target first, then the teams' (NULLs sort differently per database).
    return targets.select_related("user", "team").order_by(
        F("team__name").asc(nulls_first=True), "user__last_name", "user__first_name", "id"
    )


def _month_bounds(company: Company, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(company.time_zone or "UTC")
    start = dt.datetime.combine(month, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(next_month(month), dt.time(), tzinfo=zone)
    return start, end


def targets_progress(*, actor: User, month: dt.date) -> list[TargetProgress]:
    """The month's targets the actor may see, each with what was achieved (see the module's
    docstring) and the percentage of the target (one decimal). Three queries."""
    first = month_start(month)
    targets = list(targets_visible(actor, first))
    company = Company.objects.get(pk=policy.actor_company_id(actor))
    base = company.base_currency
    if not targets:
        return []
    start, end = _month_bounds(company, first)
    orders = SalesOrder.objects.filter(
        company_id=company.pk,
        state__in=(OrderState.CONFIRMED, OrderState.DONE),
        confirmed_at__gte=start,
        confirmed_at__lt=end,
    ).order_by()
    user_ids = [t.user_id for t in targets if t.user_id is not None]
    team_ids = [t.team_id for t in targets if t.team_id is not None]
    sums: dict[tuple[str, int | None], dict[str, Decimal]] = defaultdict(dict)
    if user_ids:
        for who, currency, total in (
            orders.filter(salesperson_id__in=user_ids)
            .values_list("salesperson_id", "currency")
            .annotate(total=Sum("amount_untaxed"))
        ):
            sums["user", who][currency] = Decimal(str(total)).quantize(Decimal("0.01"))
    if team_ids:
        for who, currency, total in (
            orders.filter(team_id__in=team_ids)
            .values_list("team_id", "currency")
            .annotate(total=Sum("amount_untaxed"))
        ):
            sums["team", who][currency] = Decimal(str(total)).quantize(Decimal("0.01"))
    on = min(next_month(first) - dt.timedelta(days=1), timezone.localdate())
    rates: dict[str, Decimal | None] = {}
    result = []
    for target in targets:
        key = ("user", target.user_id) if target.user_id is not None else ("team", target.team_id)
        achieved = Decimal("0.00")
        missing = []
        for currency, total in sorted(sums.get(key, {}).items()):
            if currency == base:
                achieved += total
                continue
            if currency not in rates:
                try:
                    rates[currency] = exchange_rate_on(company_id=company.pk, currency=currency, on=on)
                except MissingExchangeRateError:
                    rates[currency] = None
            rate = rates[currency]
            if rate is None:
                missing.append(currency)
            else:
                achieved += quantize(total / rate, base)
        percentage = (
            (achieved * 100 / target.amount).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if target.amount
            else None
        )
        result.append(TargetProgress(target, achieved, percentage, base, missing))
    return result
