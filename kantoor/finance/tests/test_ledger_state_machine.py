"""Property test over invoices, payments and the ledger: whatever sequence of posted customer
invoices, manual entries and their reversals, payments (partial, full, over), unreconciles
and lock-date moves happens, after every step every posted entry balances, the trial balance
sums to zero, the receivable account's balance is what its open items say, every invoice's
amount due is what a model kept here says (total less what payments settled), the invoice
numbers are gapless and ledger verify finds nothing. Operations on or before the lock date
are refused and change nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kantoor.core.models import Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import invoicing, payments, selectors, services
from kantoor.finance.errors import PeriodLockedError
from kantoor.finance.models import (
    Account,
    EntryState,
    FinanceSettings,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
    OpenItem,
    Tax,
    TaxRounding,
)
from kantoor.finance.verify import ledger_verify
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = 2026
MONTHS = list(range(1, 13))
CENT = D("0.01")
_counter = itertools.count()

prices = st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=2)
invoice_lines = st.lists(
    st.tuples(st.integers(min_value=1, max_value=5), prices, st.sampled_from(["V21", "V9", "V0", None])),
    min_size=1,
    max_size=4,
)


@dataclass
class InvoiceModel:
    date: dt.date
    total: Decimal
    settled: Decimal = field(default_factory=Decimal)

    @property
    def residual(self) -> Decimal:
        return self.total - self.settled


@dataclass
class PaymentModel:
    date: dt.date
    amount: Decimal
    # invoice id -> what this payment settled of it
    settled: dict[int, Decimal] = field(default_factory=dict)

    @property
    def open_credit(self) -> Decimal:
        return self.amount - sum(self.settled.values(), D(0))


class InvoicingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        n = next(_counter)
        company = company_create(name=f"Invoicing property {n} B.V.")
        self.company_id = company.pk
        self.actor = user_create(
            actor=None,
            company_id=company.pk,
            username=f"invoicing-prop-{n}",
            password="Kantoor-test-2026!",
            email=f"invoicing-prop{n}@example.test",
            first_name="Prop",
            last_name="Erty",
            roles={Role.FINANCE: Scope.COMPANY},
            language="en",
        )
        services.chart_install(actor=self.actor, template="generic")
        services.fiscal_year_create(actor=self.actor, year=YEAR)
        self.parties = [
            party_create(actor=self.actor, kind="organisation", name=name).pk
            for name in ("Acme B.V.", "Globex Ltd")
        ]
        self.taxes = {t.code: t.pk for t in Tax.objects.filter(company=company, code__in=["V21", "V9", "V0"])}
        self.receivable = Account.objects.get(company=company, code="1100").pk
        self.bank = Journal.objects.get(company=company, code="BNK").pk
        self.general = Journal.objects.get(company=company, code="GEN").pk
        self.rent, self.cash = (Account.objects.get(company=company, code=c).pk for c in ("6100", "1000"))
        self.invoices: dict[int, InvoiceModel] = {}
        self.invoice_party: dict[int, int] = {}
        self.payments: dict[int, PaymentModel] = {}
        self.payment_party: dict[int, int] = {}
        self.manual: dict[int, dt.date] = {}  # posted manual entries not yet reversed
        self.lock: dt.date | None = None

    def _open(self, on: dt.date) -> bool:
        return self.lock is None or on > self.lock

    @initialize(rounding=st.sampled_from(TaxRounding.values))
    def rounding(self, rounding):
        FinanceSettings.objects.filter(company_id=self.company_id).update(tax_rounding=rounding)

    # ------------------------------------------------------------------------- rules

    @rule(month=st.sampled_from(MONTHS), lines=invoice_lines, who=st.integers(0, 1))
    def invoice(self, month, lines, who):
        on = dt.date(YEAR, month, 10)
        draft = invoicing.invoice_create(
            actor=self.actor,
            kind="customer_invoice",
            party_id=self.parties[who],
            date=on,
            lines=[
                {
                    "description": f"Line {i}",
                    "quantity": str(quantity),
                    "unit_price": str(price),
                    "tax_id": self.taxes[code] if code else None,
                }
                for i, (quantity, price, code) in enumerate(lines)
            ],
        )
        try:
            posted = invoicing.invoice_post(actor=self.actor, invoice_id=draft.pk)
        except PeriodLockedError:
            assert not self._open(on)
            assert Invoice.objects.get(pk=draft.pk).number == ""
            invoicing.invoice_delete(actor=self.actor, invoice_id=draft.pk)
            return
        assert self._open(on)
        assert posted.amount_total == posted.amount_untaxed + posted.amount_tax
        self.invoices[posted.pk] = InvoiceModel(on, posted.amount_total)
        self.invoice_party[posted.pk] = self.parties[who]

    @rule(month=st.sampled_from(MONTHS), amount=prices)
    def manual_entry(self, month, amount):
        on = dt.date(YEAR, month, 15)
        draft = services.entry_create(
            actor=self.actor,
            journal_id=self.general,
            date=on,
            lines=[{"account_id": self.rent, "debit": amount}, {"account_id": self.cash, "credit": amount}],
        )
        try:
            services.entry_post(actor=self.actor, entry_id=draft.pk)
        except PeriodLockedError:
            assert not self._open(on)
            services.entry_delete(actor=self.actor, entry_id=draft.pk)
            return
        assert self._open(on)
        self.manual[draft.pk] = on

    @precondition(lambda self: self.manual)
    @rule(data=st.data())
    def reverse(self, data):
        entry_id = data.draw(st.sampled_from(sorted(self.manual)))
        on = self.manual[entry_id]
        try:
            services.entry_reverse(actor=self.actor, entry_id=entry_id)
        except PeriodLockedError:
            assert not self._open(on)
            return
        assert self._open(on)
        del self.manual[entry_id]

    @precondition(lambda self: any(inv.residual > 0 for inv in self.invoices.values()))
    @rule(
        data=st.data(),
        how=st.sampled_from(["partial", "full", "over"]),
        month=st.sampled_from(MONTHS),
        explicit=st.booleans(),
    )
    def pay(self, data, how, month, explicit):
        invoice_id = data.draw(st.sampled_from(sorted(k for k, v in self.invoices.items() if v.residual > 0)))
        model = self.invoices[invoice_id]
        due = model.residual
        if how == "partial" and due > CENT:
            amount = data.draw(st.decimals(min_value=CENT, max_value=due - CENT, places=2))
        elif how == "over":
            amount = due + data.draw(st.decimals(min_value=CENT, max_value=D(500), places=2))
        else:
            amount = due
        settles = min(amount, due)
        on = dt.date(YEAR, month, 20)
        allocation: dict[str, object] = {"invoice_id": invoice_id}
        if explicit:
            allocation["amount"] = str(settles)
        try:
            payment = payments.payment_register(
                actor=self.actor,
                kind="inbound",
                party_id=self.invoice_party[invoice_id],
                journal_id=self.bank,
                date=on,
                amount=str(amount),
                allocations=[allocation],
            )
        except PeriodLockedError:
            assert not self._open(on)
            return
        assert self._open(on)
        model.settled += settles
        self.payments[payment.pk] = PaymentModel(on, amount, {invoice_id: settles})
        self.payment_party[payment.pk] = self.invoice_party[invoice_id]

    def _credits_and_dues(self) -> list[tuple[int, int]]:
        return [
            (payment_id, invoice_id)
            for payment_id, payment in self.payments.items()
            if payment.open_credit > 0
            for invoice_id, inv in self.invoices.items()
            if inv.residual > 0 and self.invoice_party[invoice_id] == self.payment_party[payment_id]
        ]

    @precondition(lambda self: self._credits_and_dues())
    @rule(data=st.data())
    def apply_credit(self, data):
        payment_id, invoice_id = data.draw(st.sampled_from(self._credits_and_dues()))
        payment, inv = self.payments[payment_id], self.invoices[invoice_id]
        items = OpenItem.objects.filter(
            account_id=self.receivable, entry__in=[JournalEntry.objects.get(payment=payment_id).pk]
        ) | OpenItem.objects.filter(account_id=self.receivable, entry__invoice=invoice_id)
        ids = list(items.exclude(residual=0).values_list("pk", flat=True))
        try:
            settled = payments.items_reconcile(actor=self.actor, item_ids=ids)
        except PeriodLockedError:
            assert not self._open(max(payment.date, inv.date))
            return
        assert self._open(max(payment.date, inv.date))
        assert settled == min(payment.open_credit, inv.residual)
        payment.settled[invoice_id] = payment.settled.get(invoice_id, D(0)) + settled
        inv.settled += settled

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    def unreconcile(self, data):
        payment_id = data.draw(st.sampled_from(sorted(self.payments)))
        model = self.payments[payment_id]
        match_dates = [max(model.date, self.invoices[i].date) for i in model.settled]
        try:
            removed = payments.unreconcile(actor=self.actor, payment_id=payment_id)
        except PeriodLockedError:
            assert not all(self._open(on) for on in match_dates)
            return
        assert all(self._open(on) for on in match_dates)
        assert removed >= len(model.settled)
        for invoice_id, amount in model.settled.items():
            self.invoices[invoice_id].settled -= amount
        model.settled = {}

    @precondition(lambda self: self.lock is None or self.lock.month < 11)
    @rule()
    def lock_forward(self):
        # a month at a time, so that most steps still find open months after it
        month = 1 if self.lock is None else self.lock.month + 1
        lock = dt.date(YEAR, month + 1, 1) - dt.timedelta(days=1)
        services.lock_date_set(actor=self.actor, lock_date=lock)
        self.lock = lock

    # ------------------------------------------------------------------------- invariants

    @invariant()
    def books_hold(self):
        posted = JournalLine.objects.filter(company_id=self.company_id, state=EntryState.POSTED)
        for entry_id, debit, credit in (
            posted.values("entry_id")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .values_list("entry_id", "d", "c")
        ):
            assert D(str(debit)).quantize(CENT) == D(str(credit)).quantize(CENT), entry_id
        rows = selectors.trial_balance(company_id=self.company_id)
        assert sum((row.balance for row in rows), D(0)) == 0
        receivable = next((row.balance for row in rows if row.account_id == self.receivable), D(0))
        items = OpenItem.objects.filter(company_id=self.company_id, account_id=self.receivable)
        residuals = [item.residual for item in items]
        assert receivable == sum(residuals, D(0))
        # what is open: the invoices' amounts due less the payments' unused credit
        expected = sum((m.residual for m in self.invoices.values()), D(0)) - sum(
            (m.open_credit for m in self.payments.values()), D(0)
        )
        assert sum(residuals, D(0)) == expected
        assert ledger_verify(company_id=self.company_id) == []

    @invariant()
    def invoices_match_the_model(self):
        actual = dict(
            Invoice.objects.filter(company_id=self.company_id, state="posted").values_list(
                "pk", "amount_residual"
            )
        )
        assert actual == {pk: m.residual for pk, m in self.invoices.items()}
        states = dict(
            Invoice.objects.filter(company_id=self.company_id, state="posted").values_list(
                "pk", "payment_state"
            )
        )
        for pk, m in self.invoices.items():
            expected = "paid" if m.residual == 0 else "not_paid" if m.settled == 0 else "partial"
            assert states[pk] == expected, (pk, m)
        numbers = sorted(
            Invoice.objects.filter(company_id=self.company_id, state="posted").values_list(
                "number", flat=True
            )
        )
        assert numbers == [f"INV-{YEAR}-{i:05d}" for i in range(1, len(self.invoices) + 1)]
        assert Invoice.objects.filter(company_id=self.company_id, state="draft").count() == 0
        assert JournalEntry.objects.filter(company_id=self.company_id, state=EntryState.DRAFT).count() == 0


def test_invoices_payments_and_the_ledger_hold_after_every_step(db):
    run_state_machine_as_test(
        InvoicingMachine, settings=settings(max_examples=25, stateful_step_count=15, deadline=None)
    )
