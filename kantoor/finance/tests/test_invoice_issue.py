"""invoice_issue: an invoice, credit note, bill or refund created and posted in one
transaction. It books exactly what creating and then posting the same input books (same
totals, same entry lines, same number sequence), is audited once as an issue, publishes
what posting publishes, and a refusal — by the checks of creating or of posting — writes
nothing at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kantoor.core.errors import DomainError, NotFoundError, PermissionDeniedError
from kantoor.core.models import AuditEntry, ExchangeRate, NumberSequence, OutboxEvent
from kantoor.finance import invoicing, services
from kantoor.finance.errors import InvoiceInvalidError, PeriodLockedError
from kantoor.finance.models import (
    FinanceSettings,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    OpenItem,
    Period,
)
from kantoor.finance.tests.invoicing_support import entry_rows, invoice, line, party, tax, term
from kantoor.finance.verify import ledger_verify
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db

D = Decimal
DAY = dt.date(2026, 3, 1)

# What a posted invoice holds that does not depend on how it came to be posted (its id,
# number, entry and timestamps do).
INVOICE_FACTS = (
    "company_id",
    "kind",
    "party_id",
    "state",
    "payment_state",
    "date",
    "due_date",
    "payment_term_id",
    "journal_id",
    "currency",
    "rate",
    "reference",
    "narration",
    "credit_note_of_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "version",
    "created_by_id",
    "posted_by_id",
    "sent_at",
)
LINE_FACTS = (
    "sequence",
    "product_code",
    "description",
    "quantity",
    "unit_price",
    "discount",
    "account_id",
    "tax_id",
    "amount_untaxed",
    "amount_tax",
    "credited_line_id",
)


@pytest.fixture
def fin(ledger: Any, accountant: Any) -> Any:
    """The accountant of a company with the generic chart (and the Dutch taxes) for 2026."""
    return accountant


@pytest.fixture
def acme(fin: Any) -> Any:
    return party(fin)


def _sale_lines(fin: Any) -> list[dict[str, Any]]:
    # 3 × 33.33 = 99.99 at 21 % (21.00); 10.00 less 10 % = 9.00 at 9 % (0.81): 130.80
    return [
        line("Consulting", "3", "33.33", tax(fin, "V21").pk),
        line("Book", "1", "10.00", tax(fin, "V9").pk, discount="10"),
    ]


def issue(actor: Any, customer: Any, lines: list[dict[str, Any]], **extra: Any) -> Invoice:
    extra.setdefault("kind", "customer_invoice")
    extra.setdefault("date", DAY)
    return invoicing.invoice_issue(actor=actor, party_id=customer.pk, lines=lines, **extra)


def facts(inv: Invoice) -> dict[str, Any]:
    inv = Invoice.objects.get(pk=inv.pk)
    return {name: getattr(inv, name) for name in INVOICE_FACTS}


def line_facts(inv: Invoice) -> list[dict[str, Any]]:
    return list(InvoiceLine.objects.filter(invoice=inv).order_by("sequence", "id").values(*LINE_FACTS))


def booked(inv: Invoice) -> list[tuple[Any, ...]]:
    """The entry's lines without their labels (the receivable's label is the number)."""
    return sorted(
        JournalLine.objects.filter(entry_id=inv.entry_id).values_list(
            "account__code",
            "debit",
            "credit",
            "tax_tag",
            "party_id",
            "due_date",
            "currency",
            "amount_currency",
            "state",
        )
    )


def per_account(inv: Invoice) -> dict[str, tuple[Decimal, Decimal]]:
    """Σ debit and Σ credit per account code of the invoice's entry."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for code, debit, credit in JournalLine.objects.filter(entry_id=inv.entry_id).values_list(
        "account__code", "debit", "credit"
    ):
        before = sums.get(code, (D(0), D(0)))
        sums[code] = (before[0] + debit, before[1] + credit)
    return sums


def rows() -> dict[str, Any]:
    """Every row that creating or posting an invoice may write, with the number counters."""
    counts: dict[str, Any] = {
        model.__name__: model.objects.count()
        for model in (Invoice, InvoiceLine, JournalEntry, JournalLine, OpenItem, AuditEntry, OutboxEvent)
    }
    counts["numbers"] = sorted(NumberSequence.objects.values_list("code", "year", "next_number"))
    return counts


@contextmanager
def nothing_written() -> Iterator[None]:
    before = rows()
    yield
    assert rows() == before


def refusal(call: Any) -> DomainError:
    """The error `call` raises (a DomainError), having written nothing."""
    with nothing_written(), pytest.raises(DomainError) as refused:
        call()
    return refused.value


# ----------------------------------------------------------------------------- issued and booked


def test_an_issued_invoice_is_posted_numbered_and_booked_as_create_then_post_books_it(fin, acme):
    # given the same customer invoice entered twice, on a payment term with two instalments
    extra: dict[str, Any] = {"payment_term_id": term(fin, "50% now, 50% in 30 days").pk, "reference": "PO-17"}
    posted = invoice(fin, acme, _sale_lines(fin), **extra)

    # when it is issued in one step
    issued = issue(fin, acme, _sale_lines(fin), **extra)

    # then it is posted with the next number of the same sequence and a posted, balanced entry
    assert (issued.state, issued.payment_state, issued.number) == ("posted", "not_paid", "INV-2026-00002")
    assert posted.number == "INV-2026-00001"
    entry = JournalEntry.objects.get(invoice=issued)
    assert entry.state == "posted"
    assert entry.reference == "INV-2026-00002 PO-17"
    debit, credit = (sum(x) for x in zip(*entry.lines.values_list("debit", "credit"), strict=True))
    assert debit == credit == D("130.80")
    # and it holds and books exactly what create + post gave
    assert facts(issued) == facts(posted)
    assert (issued.amount_untaxed, issued.amount_tax, issued.amount_total) == (
        D("108.99"),
        D("21.81"),
        D("130.80"),
    )
    assert line_facts(issued) == line_facts(posted)
    assert booked(issued) == booked(posted)
    assert entry_rows(issued.entry) == [
        ("1100", D("65.40"), D(0), ""),
        ("1100", D("65.40"), D(0), ""),
        ("2100", D(0), D("0.81"), "1b-tax"),
        ("2100", D(0), D("21.00"), "1a-tax"),
        ("4000", D(0), D("9.00"), "1b-base"),
        ("4000", D(0), D("99.99"), "1a-base"),
    ]
    assert sorted(OpenItem.objects.filter(entry=entry).values_list("amount", "residual")) == [
        (D("65.40"), D("65.40")),
        (D("65.40"), D("65.40")),
    ]
    assert ledger_verify(company_id=fin.company_id) == []


def test_an_issue_is_audited_once_and_publishes_what_posting_publishes(fin, acme):
    before = AuditEntry.objects.count()
    last_event = OutboxEvent.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    issued = issue(fin, acme, _sale_lines(fin))

    of_invoice = AuditEntry.objects.filter(model="finance.invoice", object_id=str(issued.pk))
    assert list(of_invoice.values_list("action", flat=True)) == ["finance.invoice_issue"]
    audit = of_invoice.get()
    assert audit.actor_id == fin.pk
    assert audit.changes["state"] == ["draft", "posted"]
    assert (audit.changes["number"], audit.changes["kind"], audit.changes["lines"]) == (
        "INV-2026-00001",
        "customer_invoice",
        2,
    )
    # the entry's own audit row, as when a draft is posted, and nothing else
    assert AuditEntry.objects.count() == before + 2
    events = list(OutboxEvent.objects.filter(pk__gt=last_event).order_by("pk").values_list("name", "payload"))
    assert [name for name, _payload in events] == ["finance.EntryPosted", "finance.InvoicePosted"]
    invoice_posted = events[1][1]
    assert (invoice_posted["invoice_id"], invoice_posted["number"], invoice_posted["amount_total"]) == (
        issued.pk,
        "INV-2026-00001",
        "130.80",
    )
    assert (invoice_posted["party_id"], invoice_posted["kind"]) == (acme.pk, "customer_invoice")
    assert events[0][1]["entry_id"] == issued.entry_id


def test_a_supplier_bill_is_issued_with_the_reverse_charge(fin, acme):
    lines = [
        line("Paper", "1", "100.00", tax(fin, "I21").pk),
        line("Machine from Germany", "1", "1000.00", tax(fin, "IEUG").pk),
    ]
    posted = invoice(fin, acme, lines, kind="supplier_bill")
    bill = issue(fin, acme, lines, kind="supplier_bill")
    assert (bill.number, bill.state, bill.amount_total) == ("BILL-2026-00002", "posted", D("1121.00"))
    assert facts(bill) == facts(posted)
    assert booked(bill) == booked(posted)
    assert entry_rows(bill.entry) == [
        ("1300", D("21.00"), D(0), "5b-tax"),
        ("1300", D("210.00"), D(0), "5b-tax"),
        ("2000", D(0), D("1121.00"), ""),
        ("2100", D(0), D("210.00"), "4b-tax"),
        ("6100", D("100.00"), D(0), ""),
        ("6100", D("1000.00"), D(0), "4b-base"),
    ]
    assert [e for e in OutboxEvent.objects.values_list("name", flat=True) if "CreditNote" in e] == []


def test_a_customer_credit_note_is_issued_and_announced_as_one(fin, acme):
    last_event = OutboxEvent.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    note = issue(fin, acme, _sale_lines(fin), kind="customer_credit_note")
    assert (note.number, note.state, note.amount_total, note.credit_note_of_id) == (
        "CN-2026-00001",
        "posted",
        D("130.80"),
        None,
    )
    assert entry_rows(note.entry) == [
        ("1100", D(0), D("130.80"), ""),
        ("2100", D("0.81"), D(0), "1b-tax"),
        ("2100", D("21.00"), D(0), "1a-tax"),
        ("4000", D("9.00"), D(0), "1b-base"),
        ("4000", D("99.99"), D(0), "1a-base"),
    ]
    names = list(OutboxEvent.objects.filter(pk__gt=last_event).order_by("pk").values_list("name", flat=True))
    assert names == ["finance.EntryPosted", "finance.InvoicePosted", "finance.CreditNoteIssued"]
    issued = OutboxEvent.objects.get(name="finance.CreditNoteIssued").payload
    assert (issued["invoice_id"], issued["original_id"], issued["amount_total"]) == (note.pk, None, "130.80")


def test_a_supplier_refund_is_issued(fin, acme):
    refund = issue(
        fin, acme, [line("Returned machine", "1", "1000.00", tax(fin, "IEUG").pk)], kind="supplier_refund"
    )
    assert (refund.number, refund.amount_total) == ("REF-2026-00001", D("1000.00"))
    assert entry_rows(refund.entry) == [
        ("1300", D(0), D("210.00"), "5b-tax"),
        ("2000", D("1000.00"), D(0), ""),
        ("2100", D("210.00"), D(0), "4b-tax"),
        ("6100", D(0), D("1000.00"), "4b-base"),
    ]


# ----------------------------------------------------------------------------- refusals write nothing


def _same_refusal(actor: Any, customer: Any, lines: list[dict[str, Any]], **extra: Any) -> DomainError:
    """Issuing is refused with the error create + post gives for the same input, and neither
    the issue nor the refused step of create + post wrote anything (a draft that create
    made stays, as it would)."""
    issued = refusal(lambda: issue(actor, customer, lines, **extra))
    date = extra.pop("date", DAY)
    kind = extra.pop("kind", "customer_invoice")
    try:
        draft = invoicing.invoice_create(
            actor=actor, kind=kind, party_id=customer.pk, date=date, lines=lines, **extra
        )
    except DomainError as exc:
        expected = exc
    else:
        expected = refusal(lambda: invoicing.invoice_post(actor=actor, invoice_id=draft.pk))
    assert (type(issued), issued.message, issued.field_errors) == (
        type(expected),
        expected.message,
        expected.field_errors,
    )
    return issued


def test_an_unknown_tax_is_refused_naming_the_line(fin, acme):
    refused = _same_refusal(fin, acme, [line("Work", "1", "10.00"), line("Taxed", "1", "10.00", 999_999)])
    assert isinstance(refused, InvoiceInvalidError)
    assert refused.field_errors == {"lines[1].tax_id": ["Unknown tax."]}


def test_a_purchase_tax_on_a_sale_and_bad_numbers_are_refused_per_field(fin, acme):
    refused = _same_refusal(
        fin,
        acme,
        [
            line("Purchase tax", "1", "10.00", tax(fin, "I21").pk),
            {"description": "Float price", "quantity": "1", "unit_price": 10.1},
            {"description": "Too much discount", "quantity": "1", "unit_price": "1", "discount": "100.01"},
            {"description": "", "quantity": "1", "unit_price": "1"},
        ],
    )
    assert sorted(refused.field_errors) == [
        "lines[0].tax_id",
        "lines[1].unit_price",
        "lines[2].discount",
        "lines[3].description",
    ]


def test_a_negative_total_is_refused(fin, acme):
    refused = _same_refusal(fin, acme, [line("Work", "1", "10.00"), line("Refund", "-1", "20.00")])
    assert refused.field_errors == {"lines": ["The total cannot be negative."]}


def test_an_invoice_of_nothing_is_refused_as_posting_refuses_it(fin, acme):
    # a total of zero makes a draft, but not a posted invoice
    refused = _same_refusal(fin, acme, [line("Free sample", "1", "0")])
    assert isinstance(refused, InvoiceInvalidError)
    assert refused.field_errors == {"lines": ["Nothing to invoice."]}
    refused = _same_refusal(fin, acme, [line("Work", "1", "10.00"), line("Discount", "-1", "10.00")])
    assert refused.field_errors == {"lines": ["Nothing to invoice."]}


def test_no_lines_an_unknown_party_and_a_bad_due_date_are_refused(fin, acme, other_company, make_user):
    assert list(_same_refusal(fin, acme, []).field_errors) == ["lines"]
    refused = _same_refusal(fin, acme, [line("Work", "1", "1")], due_date=dt.date(2026, 2, 1))
    assert list(refused.field_errors) == ["due_date"]
    stranger = party(make_user("admin", in_company=other_company), "Elsewhere Co")
    assert list(_same_refusal(fin, stranger, [line("Work", "1", "1")]).field_errors) == ["party_id"]


def test_a_date_in_a_closed_period_is_refused_and_takes_no_number(fin, acme):
    services.period_close(actor=fin, period_id=Period.objects.get(company_id=fin.company_id, number=5).pk)
    refused = _same_refusal(fin, acme, _sale_lines(fin), date=dt.date(2026, 5, 10))
    assert isinstance(refused, PeriodLockedError)
    # the number was not used: the next invoice gets the first one
    assert issue(fin, acme, _sale_lines(fin), date=dt.date(2026, 6, 1)).number == "INV-2026-00001"


def test_a_date_before_the_lock_date_is_refused(fin, acme):
    services.lock_date_set(actor=fin, lock_date=dt.date(2026, 3, 31))
    assert isinstance(_same_refusal(fin, acme, _sale_lines(fin), date=dt.date(2026, 3, 1)), PeriodLockedError)


def test_a_date_without_a_fiscal_year_is_refused(fin, acme):
    refused = _same_refusal(fin, acme, _sale_lines(fin), date=dt.date(2027, 1, 15))
    assert isinstance(refused, PeriodLockedError)
    assert refused.field_errors == {"date": ["No fiscal year contains this date."]}


def test_a_foreign_currency_without_a_rate_is_refused(fin, acme):
    refused = _same_refusal(fin, acme, _sale_lines(fin), currency="USD")
    assert list(refused.field_errors) == ["currency"]


@pytest.mark.parametrize("who", ["sales", "service", "management", "nobody"])
def test_only_finance_may_issue(fin, acme, make_user, who):
    user = make_user(who) if who != "nobody" else make_user()
    with nothing_written(), pytest.raises(PermissionDeniedError):
        issue(user, acme, _sale_lines(fin))


def test_an_administrator_of_another_company_finds_nothing_to_issue_on(fin, acme, outsider):
    # the other company has no sales journal (and the party is not theirs either)
    with nothing_written(), pytest.raises(NotFoundError):
        issue(outsider, acme, _sale_lines(fin))


def test_finance_in_own_scope_issues_for_its_own_parties(fin, make_user):
    olga = make_user("finance", scope="own", username="olga")
    hers = party_create(actor=fin, kind="organisation", name="Olga's Client", owner=olga.pk)
    assert issue(olga, hers, _sale_lines(fin)).number == "INV-2026-00001"


def test_finance_in_own_scope_cannot_issue_for_a_party_out_of_scope(fin, acme, make_user):
    # given a finance user whose rights reach only the parties she owns: create + post of an
    # invoice for someone else's party is refused at posting (404: out of her sight)
    olga = make_user("finance", scope="own", username="olga")
    # then issuing it is refused the same way, and writes nothing
    refused = _same_refusal(olga, acme, _sale_lines(fin))
    assert isinstance(refused, NotFoundError)


# ----------------------------------------------------------------------------- any input


def _outcome(call: Callable[[], Invoice]) -> tuple[Invoice | None, DomainError | None]:
    """What `call` returns, or the DomainError it raises."""
    try:
        return call(), None
    except DomainError as exc:
        return None, exc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["customer_invoice", "customer_credit_note", "supplier_bill", "supplier_refund"]),
    lines=st.lists(
        st.tuples(
            st.decimals(min_value=D(-3), max_value=D(50), places=2),
            st.decimals(min_value=D("-100"), max_value=D("9999.99"), places=2),
            st.sampled_from([D(0), D(0), D("10"), D("12.5"), D("33.3333"), D(100)]),
            st.sampled_from([0, 1, 2, 3, None]),
        ),
        min_size=1,
        max_size=6,
    ),
    term_name=st.sampled_from([None, "30 days", "50% now, 50% in 30 days"]),
    rounding=st.sampled_from(["per_line", "per_document"]),
    usd_rate=st.one_of(st.none(), st.decimals(min_value=D("0.05"), max_value=D("400"), places=4)),
)
def test_issuing_books_what_create_then_post_books(fin, acme, kind, lines, term_name, rounding, usd_rate):
    FinanceSettings.objects.filter(company_id=fin.company_id).update(tax_rounding=rounding)
    if usd_rate is not None:  # a document in dollars, at this rate
        ExchangeRate.objects.update_or_create(
            company_id=fin.company_id,
            currency="USD",
            valid_from=dt.date(2026, 1, 1),
            defaults={"rate": usd_rate},
        )
    codes = ["V21", "V9", "V0", "VEUD"] if kind.startswith("customer") else ["I21", "I9", "IEUG", "I0"]
    given_lines = [
        line(
            f"Line {i}",
            str(quantity),
            str(price),
            tax(fin, codes[tax_index]).pk if tax_index is not None else None,
            discount=str(discount),
        )
        for i, (quantity, price, discount, tax_index) in enumerate(lines)
    ]
    header = {
        "kind": kind,
        "payment_term_id": term(fin, term_name).pk if term_name else None,
        "currency": "USD" if usd_rate is not None else "",
    }
    before = rows()
    issued, refused = _outcome(lambda: issue(fin, acme, given_lines, **header))
    if refused is not None:
        event(f"refused: {type(refused).__name__}")
        # refused: nothing written, and create + post refuse it the same way
        assert rows() == before
        _posted, expected = _outcome(
            lambda: invoicing.invoice_post(
                actor=fin,
                invoice_id=invoicing.invoice_create(
                    actor=fin, party_id=acme.pk, date=DAY, lines=given_lines, **header
                ).pk,
            )
        )
        assert expected is not None, f"create + post accepted what issue refused: {refused!r}"
        assert (type(refused), refused.message, refused.field_errors) == (
            type(expected),
            expected.message,
            expected.field_errors,
        )
        return
    assert issued is not None
    event("issued")
    twin = invoice(fin, acme, given_lines, **header)
    assert facts(issued) == facts(twin)
    assert line_facts(issued) == line_facts(twin)
    assert per_account(issued) == per_account(twin)
    assert booked(issued) == booked(twin)
    debit, credit = (sum(x) for x in zip(*per_account(issued).values(), strict=True))
    assert debit == credit > 0
