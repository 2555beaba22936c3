"""Property test: whatever sequence of drafts, posts, deletions, reversals, period closes and
lock-date moves happens, after every step every posted entry balances, the trial balance
sums to zero, the account balances equal an independent model kept here, and the numbers
per journal are gapless (ledger verify finds nothing)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kantoor.core.errors import DomainError
from kantoor.core.models import Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import selectors, services
from kantoor.finance.errors import EntryStateError, EntryUnbalancedError, PeriodLockedError
from kantoor.finance.models import Account, EntryState, Journal, JournalEntry, Period
from kantoor.finance.verify import ledger_verify

pytestmark = pytest.mark.django_db

YEAR = 2026
CODES = ["1000", "1100", "2000", "4000", "6100", "6300"]
MONTHS = list(range(1, 13))
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
_counter = itertools.count()


def _day(month: int) -> dt.date:
    return dt.date(YEAR, month, 10)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        n = next(_counter)
        company = company_create(name=f"Property {n} B.V.")
        self.actor = user_create(
            actor=None,
            company_id=company.pk,
            username=f"prop-accountant-{n}",
            password="Kantoor-test-2026!",
            email=f"prop{n}@example.test",
            first_name="Prop",
            last_name="Erty",
            roles={Role.FINANCE: Scope.COMPANY},
            language="en",
        )
        self.company_id = company.pk
        services.chart_install(actor=self.actor, template="generic")
        services.fiscal_year_create(actor=self.actor, year=YEAR)
        self.accounts = {a.code: a.pk for a in Account.objects.filter(company=company, code__in=CODES)}
        self.journals = list(Journal.objects.filter(company=company).values_list("pk", flat=True))
        self.drafts: dict[
            int, tuple[dt.date, dict[str, Decimal], bool]
        ] = {}  # id -> date, net per code, balanced
        self.posted: dict[int, tuple[dt.date, dict[str, Decimal]]] = {}
        self.reversed: set[int] = set()
        self.balances: Counter[str] = Counter()
        self.lock: dt.date | None = None
        self.closed: set[int] = set()

    def _open(self, on: dt.date) -> bool:
        return (self.lock is None or on > self.lock) and on.month not in self.closed

    @rule(
        month=st.sampled_from(MONTHS),
        debits=st.lists(st.tuples(st.sampled_from(CODES), amounts), min_size=1, max_size=3),
        credit=st.sampled_from(CODES),
        balanced=st.booleans(),
        journal=st.integers(min_value=0, max_value=4),
    )
    def draft(self, month, debits, credit, balanced, journal):
        total = sum((amount for _code, amount in debits), Decimal(0))
        lines = [{"account_id": self.accounts[code], "debit": amount} for code, amount in debits]
        lines.append(
            {"account_id": self.accounts[credit], "credit": total + (0 if balanced else Decimal("0.01"))}
        )
        entry = services.entry_create(
            actor=self.actor, journal_id=self.journals[journal], date=_day(month), lines=lines
        )
        net: Counter[str] = Counter()
        for code, amount in debits:
            net[code] += amount
        net[credit] -= total
        self.drafts[entry.pk] = (entry.date, dict(net), balanced)

    @precondition(lambda self: self.drafts)
    @rule(data=st.data())
    def post(self, data):
        entry_id = data.draw(st.sampled_from(sorted(self.drafts)))
        on, net, balanced = self.drafts[entry_id]
        try:
            services.entry_post(actor=self.actor, entry_id=entry_id)
        except EntryUnbalancedError:
            assert not balanced
            return
        except PeriodLockedError:
            assert not self._open(on)
            return
        assert balanced
        assert self._open(on)
        del self.drafts[entry_id]
        self.posted[entry_id] = (on, net)
        self.balances.update(net)

    @precondition(lambda self: self.drafts)
    @rule(data=st.data())
    def delete(self, data):
        entry_id = data.draw(st.sampled_from(sorted(self.drafts)))
        services.entry_delete(actor=self.actor, entry_id=entry_id)
        del self.drafts[entry_id]

    @precondition(lambda self: self.posted)
    @rule(data=st.data())
    def reverse(self, data):
        entry_id = data.draw(st.sampled_from(sorted(self.posted)))
        on, net = self.posted[entry_id]
        try:
            reversal = services.entry_reverse(actor=self.actor, entry_id=entry_id)
        except EntryStateError:
            assert entry_id in self.reversed
            return
        except PeriodLockedError:
            assert entry_id not in self.reversed
            assert not self._open(on)
            return
        assert entry_id not in self.reversed
        assert self._open(on)
        self.reversed.add(entry_id)
        mirror = {code: -amount for code, amount in net.items()}
        self.posted[reversal.pk] = (on, mirror)
        self.balances.update(mirror)

    @rule(month=st.sampled_from([None, *MONTHS]))
    def lock(self, month):
        lock_date = None if month is None else _day(month)
        services.lock_date_set(actor=self.actor, lock_date=lock_date)
        self.lock = lock_date

    @rule(month=st.sampled_from(MONTHS))
    def close_or_reopen(self, month):
        period = Period.objects.get(company_id=self.company_id, number=month)
        try:
            if period.is_closed:
                services.period_reopen(actor=self.actor, period_id=period.pk)
                self.closed.discard(month)
            else:
                services.period_close(actor=self.actor, period_id=period.pk)
                self.closed.add(month)
        except DomainError:
            assert period.is_closed
            assert self.lock is not None
            assert period.start_date <= self.lock

    @invariant()
    def ledger_holds(self):
        rows = selectors.trial_balance(company_id=self.company_id)
        assert sum((row.balance for row in rows), Decimal(0)) == 0
        expected = {self.accounts[code]: amount for code, amount in self.balances.items() if amount}
        actual = {row.account_id: row.balance for row in rows if row.balance}
        assert actual == expected
        assert JournalEntry.objects.filter(
            company_id=self.company_id, state=EntryState.POSTED
        ).count() == len(self.posted)
        assert ledger_verify(company_id=self.company_id) == []


def test_the_ledger_invariants_hold_after_every_step(db):
    run_state_machine_as_test(
        LedgerMachine, settings=settings(max_examples=25, stateful_step_count=15, deadline=None)
    )
