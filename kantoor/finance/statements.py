"""A customer's or supplier's statement for a period: the opening balance on the receivable
(or payable) accounts, each posted line of the party there in the period with a running
balance, the closing balance, and the items still open at the end with their days overdue.

Balances are shown positive when owed: for a customer what they owe us (debit minus
credit), for a supplier what we owe them (credit minus debit). The opening and closing
balances are SQL sums; the open items' residuals at the end add back the matches dated after
it (see `aging`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.finance.aging import PAYABLE, account_ids
from kantoor.finance.models import EntryState, JournalLine, Match, OpenItem
from kantoor.finance.vat import VIEW, as_amount, company_currency, range_check, sql_sum
from kantoor.parties.models import Party

ZERO = Decimal(0)
STATEMENT_MAX_LINES = 5000  # a longer statement asks for a shorter period


@dataclass(frozen=True)
class StatementLine:
    line_id: int
    date: dt.date
    entry_id: int
    entry_number: str
    reference: str
    label: str
    due_date: dt.date | None
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running, positive when owed


@dataclass(frozen=True)
class StatementOpenItem:
    line_id: int
    date: dt.date
    entry_number: str
    reference: str
    due_date: dt.date
    amount: Decimal  # positive when owed
    open: Decimal  # still open at the end of the period, positive when owed
    days_overdue: int  # 0 when not yet due


@dataclass(frozen=True)
class Statement:
    party_id: int
    party_name: str
    kind: str  # receivable or payable
    currency: str
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    lines: tuple[StatementLine, ...]
    is_truncated: bool  # more than STATEMENT_MAX_LINES lines: only the first are listed
    closing: Decimal
    open_items: tuple[StatementOpenItem, ...]

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def total_open(self) -> Decimal:
        return sum((item.open for item in self.open_items), ZERO)


def _added_back(side: str, at: dt.date) -> Coalesce:
    """The matches of an item (on `side`) dated after `at`, summed: a correlated subquery."""
    output: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
    matches = (
        Match.objects.filter(**{side: OuterRef("pk")}, date__gt=at)
        .order_by()
        .values(side)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(matches, output_field=output), Value(ZERO), output_field=output)


def statement(
    *, company_id: int, party_id: int, kind: str, date_from: dt.date | None, date_to: dt.date | None
) -> Statement:
    """The party's statement on its receivable (kind "receivable") or payable accounts."""
    start, end = range_check(date_from, date_to)
    accounts = account_ids(company_id, kind)
    party = Party.objects.filter(company_id=company_id, pk=party_id).values_list("name", flat=True).first()
    if party is None:
        raise NotFoundError(_("Not found."))
    currency = company_currency(company_id)
    sign = -1 if kind == PAYABLE else 1
    lines = JournalLine.objects.filter(
        company_id=company_id, state=EntryState.POSTED, party_id=party_id, account_id__in=accounts
    )
    before = Q(date__lt=start)
    sums = lines.filter(date__lte=end).aggregate(
        debit_before=sql_sum("debit", before),
        credit_before=sql_sum("credit", before),
        debit=sql_sum("debit", ~before),
        credit=sql_sum("credit", ~before),
    )
    opening = sign * (as_amount(sums["debit_before"], currency) - as_amount(sums["credit_before"], currency))
    closing = opening + sign * (as_amount(sums["debit"], currency) - as_amount(sums["credit"], currency))
    rows = list(
        lines.filter(date__gte=start, date__lte=end)
        .order_by("date", "pk")
        .values_list(
            "pk",
            "date",
            "entry_id",
            "entry__number",
            "entry__reference",
            "label",
            "due_date",
            "debit",
            "credit",
        )[: STATEMENT_MAX_LINES + 1]
    )
    running = opening
    listed = []
    for pk, day, entry_id, number, reference, label, due, debit, credit in rows[:STATEMENT_MAX_LINES]:
        running += sign * (debit - credit)
        listed.append(StatementLine(pk, day, entry_id, number, reference, label, due, debit, credit, running))
    later = Match.objects.filter(company_id=company_id, date__gt=end)
    open_rows = (
        OpenItem.objects.filter(
            company_id=company_id, party_id=party_id, account_id__in=accounts, date__lte=end
        )
        .filter(
            ~Q(residual=0)
            | Q(pk__in=later.values("debit_item_id"))
            | Q(pk__in=later.values("credit_item_id"))
        )
        .annotate(back_debit=_added_back("debit_item", end), back_credit=_added_back("credit_item", end))
        .order_by("due_date", "pk")
        .values_list(
            "pk",
            "date",
            "entry__number",
            "entry__reference",
            "due_date",
            "amount",
            "residual",
            "back_debit",
            "back_credit",
        )
    )
    open_items = []
    for pk, day, number, reference, due, amount, residual, back_debit, back_credit in open_rows:
        still_open = as_amount(residual + Decimal(str(back_debit)) - Decimal(str(back_credit)), currency)
        if still_open:
            open_items.append(
                StatementOpenItem(
                    pk,
                    day,
                    number,
                    reference,
                    due,
                    sign * amount,
                    sign * still_open,
                    max((end - due).days, 0),
                )
            )
    return Statement(
        party_id=party_id,
        party_name=party,
        kind=kind,
        currency=currency,
        date_from=start,
        date_to=end,
        opening=opening,
        lines=tuple(listed),
        is_truncated=len(rows) > STATEMENT_MAX_LINES,
        closing=closing,
        open_items=tuple(open_items),
    )


def statement_for_actor(
    actor: policy.Actor, *, party_id: int, kind: str, date_from: dt.date | None, date_to: dt.date | None
) -> Statement:
    policy.require(actor, VIEW)
    return statement(
        company_id=policy.actor_company_id(actor),
        party_id=party_id,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
    )
