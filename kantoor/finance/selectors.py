"""Reads of the ledger, scoped to the actor's company and roles; sums in SQL, exact Decimals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import Company
from kantoor.core.money import quantize
from kantoor.finance.models import Account, EntryState, Journal, JournalEntry, JournalLine, Period

VIEW = "finance.view_ledger"


def accounts_visible(actor: policy.Actor) -> QuerySet[Account]:
    return policy.filter_queryset(actor, VIEW, Account.objects.all())


def journals_visible(actor: policy.Actor) -> QuerySet[Journal]:
    return policy.filter_queryset(actor, VIEW, Journal.objects.all())


def periods_visible(actor: policy.Actor) -> QuerySet[Period]:
    return policy.filter_queryset(actor, VIEW, Period.objects.all())


def entries_visible(actor: policy.Actor) -> QuerySet[JournalEntry]:
    return policy.filter_queryset(actor, VIEW, JournalEntry.objects.all())


def entry_get_for_actor(actor: policy.Actor, entry_id: int) -> JournalEntry:
    entry = entries_visible(actor).select_related("journal").filter(pk=entry_id).first()
    if entry is None:
        raise NotFoundError()
    return entry


@dataclass(frozen=True)
class BalanceRow:
    account_id: int
    code: str
    name: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


def account_balances(*, company_id: int, up_to: dt.date | None = None) -> dict[int, Decimal]:
    """Debit minus credit of every account with posted lines, on or before `up_to`."""
    return {row.account_id: row.balance for row in trial_balance(company_id=company_id, up_to=up_to)}


def trial_balance(*, company_id: int, up_to: dt.date | None = None) -> list[BalanceRow]:
    """Posted debits and credits per account, aggregated in SQL and quantized to the company
    currency (SQLite sums decimals as floating point)."""
    currency = Company.objects.values_list("base_currency", flat=True).get(pk=company_id)
    lines = JournalLine.objects.filter(company_id=company_id, state=EntryState.POSTED)
    if up_to is not None:
        lines = lines.filter(date__lte=up_to)
    rows = (
        lines.values("account_id", "account__code", "account__name")
        .annotate(debit=Coalesce(Sum("debit"), Decimal(0)), credit=Coalesce(Sum("credit"), Decimal(0)))
        .order_by("account__code")
    )
    return [
        BalanceRow(
            account_id=row["account_id"],
            code=row["account__code"],
            name=row["account__name"],
            debit=quantize(Decimal(str(row["debit"])), currency),
            credit=quantize(Decimal(str(row["credit"])), currency),
        )
        for row in rows
    ]


def trial_balance_for_actor(actor: policy.Actor, *, up_to: dt.date | None = None) -> list[BalanceRow]:
    policy.require(actor, VIEW)
    return trial_balance(company_id=policy.actor_company_id(actor), up_to=up_to)
