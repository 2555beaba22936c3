"""Payments and reconciliation: full, partial and overpayments (an open credit on the party,
applied later by hand), refusals that write nothing, unreconcile that restores the exact
residuals without touching a posted line, cancelling, the lock date and the events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kantoor.core.models import OutboxEvent
from kantoor.finance import invoicing, payments, services
from kantoor.finance.errors import PaymentInvalidError, PaymentStateError, PeriodLockedError
from kantoor.finance.models import Invoice, JournalEntry, JournalLine, Match, OpenItem, Payment
from kantoor.finance.tests.invoicing_support import (
    bank,
    entry_rows,
    invoice,
    line,
    open_items,
    party,
    state,
    tax,
    term,
)
from kantoor.finance.verify import ledger_verify

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def fin(ledger: Any, accountant: Any) -> Any:
    return accountant


@pytest.fixture
def acme(fin: Any) -> Any:
    return party(fin)


@pytest.fixture
def inv(fin: Any, acme: Any) -> Invoice:
    """INV-2026-00001 of 1 March: 130.80, due half at once and half on 31 March."""
    return invoice(
        fin,
        acme,
        [
            line("Consulting", "3", "33.33", tax(fin, "V21").pk),
            line("Book", "1", "10.00", tax(fin, "V9").pk, discount="10"),
        ],
        payment_term_id=term(fin, "50% now, 50% in 30 days").pk,
    )


def pay(
    fin: Any, acme: Any, amount: str, *allocations: dict[str, Any], on: dt.date = dt.date(2026, 3, 5)
) -> Payment:
    return payments.payment_register(
        actor=fin,
        kind="inbound",
        party_id=acme.pk,
        journal_id=bank(fin).pk,
        date=on,
        amount=amount,
        allocations=list(allocations),
    )


def _written() -> tuple[int, ...]:
    return (
        Payment.objects.count(),
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        Match.objects.count(),
        OpenItem.objects.count(),
        OutboxEvent.objects.count(),
    )


def _party_open(acme: Any) -> Decimal:
    return sum((i.residual for i in OpenItem.objects.filter(party=acme, account__code="1100")), D(0))


def _events(name: str) -> list[dict[str, Any]]:
    return [e.payload for e in OutboxEvent.objects.filter(name=f"finance.{name}").order_by("id")]


# ----------------------------------------------------------------------------- paying


def test_a_full_payment_books_bank_against_receivable_and_pays_the_invoice(fin, acme, inv):
    payment = pay(fin, acme, "130.80", {"invoice_id": inv.pk})
    assert payment.entry.number == "BNK-2026-00001"
    assert entry_rows(payment.entry) == [("1000", D("130.80"), D(0), ""), ("1100", D(0), D("130.80"), "")]
    assert state(inv) == ("paid", D(0))
    assert open_items(inv.entry) == [("1100", D("65.40"), D(0)), ("1100", D("65.40"), D(0))]
    assert open_items(payment.entry) == [("1000", D("130.80"), D("130.80")), ("1100", D("-130.80"), D(0))]
    assert _party_open(acme) == 0
    assert sorted(Match.objects.values_list("amount", "payment_id")) == [
        (D("65.40"), payment.pk),
        (D("65.40"), payment.pk),
    ]
    # events: the payment, and the invoice paid in full
    assert [(p["payment_id"], p["amount"], p["invoice_ids"]) for p in _events("PaymentRegistered")] == [
        (payment.pk, "130.80", [inv.pk])
    ]
    assert [(p["invoice_id"], p["number"]) for p in _events("InvoicePaid")] == [(inv.pk, "INV-2026-00001")]
    assert ledger_verify(company_id=fin.company_id) == []


def test_a_partial_payment_settles_the_oldest_instalment_first(fin, acme, inv):
    payment = pay(fin, acme, "50.00", {"invoice_id": inv.pk})
    assert state(inv) == ("partial", D("80.80"))
    assert open_items(inv.entry) == [("1100", D("65.40"), D("15.40")), ("1100", D("65.40"), D("65.40"))]
    assert open_items(payment.entry)[1] == ("1100", D("-50.00"), D(0))
    assert _events("InvoicePaid") == []
    assert len(_events("PaymentRegistered")) == 1
    # the rest pays it
    pay(fin, acme, "80.80", {"invoice_id": inv.pk, "amount": "80.80"})
    assert state(inv) == ("paid", D(0))
    assert [p["invoice_id"] for p in _events("InvoicePaid")] == [inv.pk]


def test_an_overpayment_stays_open_as_a_credit_and_pays_a_later_invoice(fin, acme, inv):
    payment = pay(fin, acme, "200.00", {"invoice_id": inv.pk})
    assert state(inv) == ("paid", D(0))
    credit = OpenItem.objects.get(entry=payment.entry, account__code="1100")
    assert (credit.party_id, credit.amount, credit.residual) == (acme.pk, D("-200.00"), D("-69.20"))
    assert _party_open(acme) == D("-69.20")
    # when a later invoice of 50.00 is matched with the credit by hand
    later = invoice(fin, acme, [line("Follow-up", "1", "50.00")], on=dt.date(2026, 3, 10))
    due = OpenItem.objects.get(entry=later.entry)
    assert payments.items_reconcile(actor=fin, item_ids=[due.pk, credit.pk]) == D("50.00")
    # then it is paid and 19.20 of the credit is left
    assert state(later) == ("paid", D(0))
    credit.refresh_from_db()
    assert credit.residual == D("-19.20")
    assert _party_open(acme) == D("-19.20")
    assert Match.objects.filter(debit_item=due, credit_item=credit, payment=None).get().amount == D("50.00")


def test_a_customers_open_credit_is_refunded_by_money_sent_on_the_receivable(fin, acme, inv):
    overpaid = pay(fin, acme, "200.00", {"invoice_id": inv.pk})  # 69.20 left as credit
    refund = payments.payment_register(
        actor=fin,
        kind="outbound",
        party_id=acme.pk,
        journal_id=bank(fin).pk,
        date=dt.date(2026, 3, 12),
        amount="50.00",
        counterpart="receivable",
    )
    # booked receivable against bank, and settling 50.00 of the credit: 19.20 left
    assert entry_rows(refund.entry) == [("1000", D(0), D("50.00"), ""), ("1100", D("50.00"), D(0), "")]
    credit = OpenItem.objects.get(entry=overpaid.entry, account__code="1100")
    assert credit.residual == D("-19.20")
    assert _party_open(acme) == D("-19.20")
    assert Match.objects.get(payment=refund).amount == D("50.00")
    # a counterpart with allocations, or an unknown one, is refused and writes nothing
    before = _written()
    for counterpart, allocations in (("receivable", [{"invoice_id": inv.pk}]), ("stock", [])):
        with pytest.raises(PaymentInvalidError) as refused:
            payments.payment_register(
                actor=fin,
                kind="outbound",
                party_id=acme.pk,
                journal_id=bank(fin).pk,
                date=dt.date(2026, 3, 12),
                amount="1.00",
                counterpart=counterpart,
                allocations=allocations,
            )
        assert "counterpart" in refused.value.field_errors
    assert _written() == before


def test_a_payment_without_allocations_is_an_open_credit(fin, acme, inv):
    payment = pay(fin, acme, "25.00")
    assert state(inv) == ("not_paid", D("130.80"))
    assert open_items(payment.entry)[1] == ("1100", D("-25.00"), D("-25.00"))


def test_a_supplier_bill_is_paid_by_money_sent(fin, acme):
    bill = invoice(fin, acme, [line("Paper", "10", "2.50", tax(fin, "I21").pk)], kind="supplier_bill")
    payment = payments.payment_register(
        actor=fin,
        kind="outbound",
        party_id=acme.pk,
        journal_id=bank(fin).pk,
        date=dt.date(2026, 3, 5),
        amount="30.25",
        allocations=[{"invoice_id": bill.pk}],
    )
    assert entry_rows(payment.entry) == [("1000", D(0), D("30.25"), ""), ("2000", D("30.25"), D(0), "")]
    assert state(bill) == ("paid", D(0))


# ----------------------------------------------------------------------------- refusals


def _refused(fin: Any, acme: Any, amount: str, *allocations: dict[str, Any]) -> dict[str, list[str]]:
    before = _written()
    with pytest.raises(PaymentInvalidError) as refused:
        pay(fin, acme, amount, *allocations)
    assert _written() == before
    return refused.value.field_errors


def test_a_draft_cannot_be_paid(fin, acme):
    draft = invoice(fin, acme, [line("Work", "1", "10.00")], post=False)
    assert list(_refused(fin, acme, "10.00", {"invoice_id": draft.pk})) == ["allocations[0].invoice_id"]


def test_an_allocation_above_what_is_due_is_refused(fin, acme, inv):
    assert list(_refused(fin, acme, "200.00", {"invoice_id": inv.pk, "amount": "130.81"})) == [
        "allocations[0].amount"
    ]
    assert state(inv) == ("not_paid", D("130.80"))


def test_allocations_above_the_payment_are_refused(fin, acme, inv):
    other = invoice(fin, acme, [line("Work", "1", "100.00")])
    errors = _refused(
        fin,
        acme,
        "150.00",
        {"invoice_id": inv.pk, "amount": "100.00"},
        {"invoice_id": other.pk, "amount": "60.00"},
    )
    assert list(errors) == ["amount"]


def test_bad_amounts_and_other_parties_invoices_are_refused(fin, acme, inv):
    stranger = party(fin, "Stranger Ltd")
    assert list(_refused(fin, stranger, "10.00", {"invoice_id": inv.pk})) == ["allocations[0].invoice_id"]
    assert list(_refused(fin, acme, "10.001")) == ["amount"]
    assert list(_refused(fin, acme, "0")) == ["amount"]
    with pytest.raises(PaymentInvalidError):
        pay(fin, acme, 10.0)  # type: ignore[arg-type]
    assert list(_refused(fin, acme, "10.00", {"invoice_id": 999999})) == ["allocations[0].invoice_id"]


def test_a_paid_invoice_cannot_be_paid_again(fin, acme, inv):
    pay(fin, acme, "130.80", {"invoice_id": inv.pk})
    assert list(_refused(fin, acme, "1.00", {"invoice_id": inv.pk})) == ["allocations[0].invoice_id"]


# ----------------------------------------------------------------------------- unreconcile and cancel


def _line_rows() -> list[dict[str, Any]]:
    return [dict(row) for row in JournalLine.objects.order_by("pk").values()]


def test_unreconcile_restores_the_exact_residuals_and_touches_no_posted_line(fin, acme, inv):
    first = pay(fin, acme, "50.00", {"invoice_id": inv.pk})
    second = pay(fin, acme, "200.00", {"invoice_id": inv.pk}, on=dt.date(2026, 3, 6))
    assert state(inv) == ("paid", D(0))
    lines = _line_rows()
    entries = list(JournalEntry.objects.order_by("pk").values())
    # when the second payment is unreconciled
    assert payments.unreconcile(actor=fin, payment_id=second.pk) == 2
    # then what it settled is open again, on both sides, exactly as after the first payment
    assert state(inv) == ("partial", D("80.80"))
    assert open_items(inv.entry) == [("1100", D("65.40"), D("15.40")), ("1100", D("65.40"), D("65.40"))]
    assert open_items(second.entry)[1] == ("1100", D("-200.00"), D("-200.00"))
    assert open_items(first.entry)[1] == ("1100", D("-50.00"), D(0))
    assert _party_open(acme) == D("80.80") - D("200.00")
    # and not one journal line (nor entry) changed
    assert _line_rows() == lines
    assert list(JournalEntry.objects.order_by("pk").values()) == entries
    # unreconciling the invoice undoes the first payment's match too
    assert payments.unreconcile(actor=fin, invoice_id=inv.pk) == 1
    assert state(inv) == ("not_paid", D("130.80"))
    assert open_items(first.entry)[1] == ("1100", D("-50.00"), D("-50.00"))
    assert Match.objects.count() == 0
    assert _line_rows() == lines
    assert ledger_verify(company_id=fin.company_id) == []


def test_cancelling_a_payment_reverses_it_and_the_invoice_is_due_again(fin, acme, inv):
    payment = pay(fin, acme, "130.80", {"invoice_id": inv.pk})
    cancelled = payments.payment_cancel(actor=fin, payment_id=payment.pk)
    assert cancelled.status == "cancelled"
    reversal = cancelled.reversal
    assert reversal is not None
    assert reversal.reversal_of_id == payment.entry_id
    assert reversal.number == "BNK-2026-00002"
    assert entry_rows(reversal) == [("1000", D(0), D("130.80"), ""), ("1100", D("130.80"), D(0), "")]
    assert state(inv) == ("not_paid", D("130.80"))
    # the payment's items are settled by their reversal: nothing of it is open any more
    assert [i[2] for i in open_items(payment.entry) + open_items(reversal)] == [D(0)] * 4
    assert _party_open(acme) == D("130.80")
    with pytest.raises(PaymentStateError):
        payments.payment_cancel(actor=fin, payment_id=payment.pk)
    assert ledger_verify(company_id=fin.company_id) == []


def test_unreconcile_and_cancel_are_refused_when_the_match_lies_on_or_before_the_lock_date(fin, acme, inv):
    payment = pay(fin, acme, "100.00", {"invoice_id": inv.pk}, on=dt.date(2026, 3, 5))
    services.lock_date_set(actor=fin, lock_date=dt.date(2026, 3, 5))
    before = (_written(), list(OpenItem.objects.order_by("pk").values_list("residual", flat=True)))
    with pytest.raises(PeriodLockedError):
        payments.unreconcile(actor=fin, payment_id=payment.pk)
    with pytest.raises(PeriodLockedError):
        payments.payment_cancel(actor=fin, payment_id=payment.pk, date=dt.date(2026, 3, 20))
    assert (_written(), list(OpenItem.objects.order_by("pk").values_list("residual", flat=True))) == before
    assert state(inv) == ("partial", D("30.80"))
    # once the lock date is before the match, it can be undone
    services.lock_date_set(actor=fin, lock_date=dt.date(2026, 3, 4))
    assert payments.unreconcile(actor=fin, payment_id=payment.pk) == 2
    assert state(inv) == ("not_paid", D("130.80"))


def test_a_payment_in_a_locked_period_is_refused(fin, acme, inv):
    services.lock_date_set(actor=fin, lock_date=dt.date(2026, 3, 31))
    before = _written()
    with pytest.raises(PeriodLockedError):
        pay(fin, acme, "10.00", {"invoice_id": inv.pk}, on=dt.date(2026, 3, 31))
    assert _written() == before


def test_a_credit_note_paid_back_by_money_sent(fin, acme, inv):
    # given a customer who paid in full and then got a credit note for one hour
    pay(fin, acme, "130.80", {"invoice_id": inv.pk})
    consulting = inv.lines.get(description="Consulting")
    note = invoicing.credit_note_create(
        actor=fin,
        invoice_id=inv.pk,
        date=dt.date(2026, 3, 7),
        lines=[{"line_id": consulting.pk, "quantity": "1"}],
    )
    note = invoicing.invoice_post(actor=fin, invoice_id=note.pk)
    assert state(note) == ("not_paid", D("40.33"))
    assert _party_open(acme) == D("-40.33")
    # when the money is sent back, then the credit note is settled
    payments.payment_register(
        actor=fin,
        kind="outbound",
        party_id=acme.pk,
        journal_id=bank(fin).pk,
        date=dt.date(2026, 3, 8),
        amount="40.33",
        allocations=[{"invoice_id": note.pk}],
    )
    assert state(note) == ("paid", D(0))
    assert _party_open(acme) == 0


def test_an_invoice_allocated_twice_is_refused(fin, acme, inv):
    errors = _refused(
        fin,
        acme,
        "150.00",
        {"invoice_id": inv.pk, "amount": "75.00"},
        {"invoice_id": inv.pk, "amount": "75.00"},
    )
    assert list(errors) == ["allocations[1].invoice_id"]


def test_a_cancelled_payment_cannot_be_unreconciled(fin, acme, inv):
    payment = pay(fin, acme, "130.80", {"invoice_id": inv.pk})
    payments.payment_cancel(actor=fin, payment_id=payment.pk)
    residuals = list(OpenItem.objects.order_by("pk").values_list("residual", flat=True))
    # undoing its match with its own reversal would leave both open on the party
    with pytest.raises(PaymentStateError):
        payments.unreconcile(actor=fin, payment_id=payment.pk)
    assert list(OpenItem.objects.order_by("pk").values_list("residual", flat=True)) == residuals
    assert _party_open(acme) == D("130.80")


def test_a_credit_note_settles_only_what_is_still_due_and_the_rest_is_open_credit(fin, acme, inv):
    pay(fin, acme, "100.00", {"invoice_id": inv.pk})
    note = invoicing.credit_note_create(actor=fin, invoice_id=inv.pk, date=dt.date(2026, 3, 7))
    note = invoicing.invoice_post(actor=fin, invoice_id=note.pk)
    assert state(inv) == ("paid", D(0))
    assert state(note) == ("partial", D("100.00"))
    assert _party_open(acme) == D("-100.00")
    # unreconciling the credit note reopens what it settled on the invoice
    assert payments.unreconcile(actor=fin, invoice_id=note.pk) == 1
    assert state(inv) == ("partial", D("30.80"))
    assert state(note) == ("not_paid", D("130.80"))
