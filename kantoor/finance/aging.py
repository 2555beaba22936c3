"""Aged receivables and payables at a date, and a party's open balance, from open items.

An open item is a posted line on a reconcilable account with what is still open of it
(`residual`, debit positive). Its residual is the residual *now*: for a report date in the
past, the matches dated after that date are added back (a match lowers the debit item's
residual by its amount and raises the credit item's negative residual by it). Only items
dated on or before the report date count, so the aged receivables total equals the
receivable accounts' balance at that date (given that receivable accounts are reconcilable,
as every chart's are).

Everything is summed in SQL, grouped by party, with the buckets as conditional sums on the
due date (the boundaries are computed here, so no date arithmetic runs in SQL): one query
over the open items, with the party's name — on the partial index `open_item_open_party`
(company, account, party, due_date, date, residual) where the residual is not zero, which
it reads alone and already in party order — and two over the matches dated after the
report date. Python only merges the rows per party.

Payables are shown positive when owed (the negated residual). Items without a party are
grouped under party None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core import policy
from kantoor.core.errors import InvalidInputError, NotFoundError
from kantoor.core.money import quantize
from kantoor.finance.models import Account, AccountRole, Match, OpenItem
from kantoor.finance.vat import VIEW, as_amount, company_currency, sql_sum
from kantoor.parties.models import Party

INVOICE_VIEW = "finance.view_invoice"

ZERO = Decimal(0)
RECEIVABLE = "receivable"
PAYABLE = "payable"
KINDS = (RECEIVABLE, PAYABLE)
# (key, label, lowest days past due, highest days past due); None: unbounded.
BUCKETS: tuple[tuple[str, Any, int | None, int | None], ...] = (
    ("not_due", gettext_lazy("Not yet due"), None, 0),
    ("days_1_30", gettext_lazy("1–30 days"), 1, 30),
    ("days_31_60", gettext_lazy("31–60 days"), 31, 60),
    ("days_61_90", gettext_lazy("61–90 days"), 61, 90),
    ("over_90", gettext_lazy("Over 90 days"), 91, None),
)
BUCKET_KEYS = tuple(key for key, *_rest in BUCKETS)


class AgingDateInvalidError(InvalidInputError):
    code = "report-period-invalid"
    title = gettext_lazy("The report's dates are not valid")


class AgingKindInvalidError(InvalidInputError):
    code = "aging-kind-invalid"
    title = gettext_lazy("Choose receivable or payable")


def _role(kind: str) -> str:
    if kind not in KINDS:
        raise AgingKindInvalidError.for_field("kind", _("Choose receivable or payable."))
    return AccountRole.RECEIVABLE if kind == RECEIVABLE else AccountRole.PAYABLE


def account_ids(company_id: int, kind: str) -> list[int]:
    """The company's accounts of `kind` (receivable or payable), by role."""
    return list(Account.objects.filter(company_id=company_id, role=_role(kind)).values_list("pk", flat=True))


def _days_before(at: dt.date, days: int) -> dt.date:
    try:
        return at - dt.timedelta(days=days)
    except OverflowError:  # before year 1: nothing is due that early
        return dt.date.min


def _bucket_conditions(at: dt.date, field: str) -> dict[str, Q]:
    """Per bucket, the condition on `field` (a due date) for its days past due at `at`."""
    conditions = {}
    for key, _label, low, high in BUCKETS:
        condition = Q()
        if high is not None:  # at most `high` days past due: due on or after at − high
            condition &= Q(**{f"{field}__gte": _days_before(at, high)})
        if low is not None:  # at least `low` days past due: due on or before at − low
            condition &= Q(**{f"{field}__lte": _days_before(at, low)})
        conditions[key] = condition
    return conditions


@dataclass(frozen=True)
class AgingRow:
    party_id: int | None
    party_name: str
    buckets: dict[str, Decimal]  # BUCKET_KEYS → amount

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


@dataclass(frozen=True)
class AgingReport:
    kind: str  # receivable or payable
    at: dt.date
    currency: str
    rows: tuple[AgingRow, ...]  # by party name
    totals: dict[str, Decimal]  # BUCKET_KEYS → amount

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)

    @property
    def bucket_labels(self) -> list[tuple[str, str]]:
        return [(key, str(label)) for key, label, *_rest in BUCKETS]


def _amount(value: Any, currency: str) -> Decimal:
    # A Decimal is rounded as it is (as_amount would go through its text first).
    return quantize(value, currency) if isinstance(value, Decimal) else as_amount(value, currency)


def _grouped(rows: Iterable[dict[str, Any]], party_key: str, sign: int, currency: str) -> Any:
    # Many of a party's buckets are empty: their amount is computed once, not per bucket.
    zero = sign * as_amount(ZERO, currency)
    for row in rows:
        yield (
            row[party_key],
            {key: sign * _amount(row[key], currency) if row[key] else zero for key in BUCKET_KEYS},
        )


def aging(*, company_id: int, kind: str, at: dt.date | None) -> AgingReport:
    """Per party, what was open at `at` on the receivable (or payable) accounts, by days past
    due at `at`: not yet due, 1–30, 31–60, 61–90, over 90 days. Payables positive when owed."""
    if at is None:
        raise AgingDateInvalidError.for_field("date", _("Enter the day of the report."))
    accounts = account_ids(company_id, kind)
    currency = company_currency(company_id)
    sign = 1 if kind == RECEIVABLE else -1
    # What is open now, of the items dated on or before the report date.
    items = OpenItem.objects.filter(company_id=company_id, account_id__in=accounts, date__lte=at).exclude(
        residual=0
    )
    conditions = _bucket_conditions(at, "due_date")
    # The party's name comes with its group (a join), not from a list of thousands of ids
    # afterwards.
    grouped = list(
        items.values("party_id")
        .annotate(
            **{key: sql_sum("residual", conditions[key]) for key in BUCKET_KEYS},
            party_name=Max("party__name"),
        )
        .order_by()
    )
    names = {row["party_id"]: row["party_name"] or "" for row in grouped}
    parts = [_grouped(grouped, "party_id", sign, currency)]
    # Matches after the report date: what they settled was still open at it.
    later = Match.objects.filter(company_id=company_id, date__gt=at)
    for side, match_sign in (("debit_item", 1), ("credit_item", -1)):
        side_conditions = _bucket_conditions(at, f"{side}__due_date")
        parts.append(
            _grouped(
                later.filter(**{f"{side}__account_id__in": accounts, f"{side}__date__lte": at})
                .values(f"{side}__party_id")
                .annotate(**{key: sql_sum("amount", side_conditions[key]) for key in BUCKET_KEYS})
                .order_by(),
                f"{side}__party_id",
                sign * match_sign,
                currency,
            )
        )
    merged: dict[int | None, dict[str, Decimal]] = {}
    for part in parts:
        for party_id, buckets in part:
            into = merged.setdefault(party_id, dict.fromkeys(BUCKET_KEYS, ZERO))
            for key, amount in buckets.items():
                into[key] += amount
    # Parties only the later matches name (rare: all their items settled since).
    missing = [p for p in merged if p is not None and p not in names]
    if missing:
        names.update(Party.objects.filter(company_id=company_id, pk__in=missing).values_list("pk", "name"))
    rows = sorted(
        (
            AgingRow(party_id, names.get(party_id, "") if party_id else "", buckets)
            for party_id, buckets in merged.items()
            if any(buckets.values())
        ),
        key=lambda row: (row.party_id is None, row.party_name.lower(), row.party_id or 0),
    )
    totals = {key: sum((row.buckets[key] for row in rows), ZERO) for key in BUCKET_KEYS}
    return AgingReport(kind=kind, at=at, currency=currency, rows=tuple(rows), totals=totals)


def aging_for_actor(actor: policy.Actor, *, kind: str, at: dt.date | None) -> AgingReport:
    policy.require(actor, VIEW)
    return aging(company_id=policy.actor_company_id(actor), kind=kind, at=at)


# ----------------------------------------------------------------------------- a party's balance


@dataclass(frozen=True)
class PartyBalance:
    party_id: int
    currency: str
    on: dt.date
    receivable: Decimal  # what the party owes us (negative: we owe them a credit)
    receivable_overdue: Decimal  # of it, due before `on`
    payable: Decimal  # what we owe the party, positive
    payable_overdue: Decimal


def party_balance(*, company_id: int, party_id: int, on: dt.date | None = None) -> PartyBalance:
    """The party's open balance now on the receivable and on the payable accounts, and how
    much of each is overdue (due before `on`, default today) — two conditional sums in one query."""
    if not Party.objects.filter(company_id=company_id, pk=party_id).exists():
        raise NotFoundError(_("Not found."))
    today = on or timezone.localdate()
    currency = company_currency(company_id)
    receivable = Q(account__role=AccountRole.RECEIVABLE)
    payable = Q(account__role=AccountRole.PAYABLE)
    overdue = Q(due_date__lt=today)
    sums = (
        OpenItem.objects.filter(company_id=company_id, party_id=party_id)
        .exclude(residual=0)
        .aggregate(
            receivable=sql_sum("residual", receivable),
            receivable_overdue=sql_sum("residual", receivable & overdue),
            payable=sql_sum("residual", payable),
            payable_overdue=sql_sum("residual", payable & overdue),
        )
    )
    return PartyBalance(
        party_id=party_id,
        currency=currency,
        on=today,
        receivable=as_amount(sums["receivable"], currency),
        receivable_overdue=as_amount(sums["receivable_overdue"], currency),
        payable=-as_amount(sums["payable"], currency),
        payable_overdue=-as_amount(sums["payable_overdue"], currency),
    )


def party_balance_for_actor(actor: policy.Actor, *, party_id: int) -> PartyBalance:
    """For ledger readers, and for whoever reads the party's invoices: sales and service see
    the balances of the customers in their scope (404 for the others)."""
    if not policy.has_permission(actor, VIEW):
        party = Party.objects.filter(pk=party_id).first()
        if party is None:
            raise NotFoundError(_("Not found."))
        policy.require(actor, INVOICE_VIEW, party, visible_with=INVOICE_VIEW)
    return party_balance(company_id=policy.actor_company_id(actor), party_id=party_id)
