"""Aged receivables and payables from open items: exact buckets per party, a past report date
with the later matches added back, and (property) the aged total always equals the
receivable accounts' balance at the date, the buckets an independent model's."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import aging, selectors, services
from kantoor.finance.models import Account, Match, OpenItem
from kantoor.finance.tests.aging_support import bill, invoice, match, receipt
from kantoor.parties import services as party_services

pytestmark = pytest.mark.django_db

D = Decimal
ZEROS = dict.fromkeys(aging.BUCKET_KEYS, D("0.00"))


def buckets(**amounts: str) -> dict[str, Decimal]:
    return {**ZEROS, **{key: D(value) for key, value in amounts.items()}}


@pytest.fixture
def book(accountant: Any, ledger: Any) -> dict[str, Any]:
    """Acme: invoice 1 (1000.00, due 9 Feb) paid 600.00 on 20 March, invoice 2 (500.00, due
    31 March); Bolt: invoice 3 (250.00, due 30 April); Cargo (a supplier): a bill of 300.00
    due 20 January."""
    party = lambda name: party_services.party_create(actor=accountant, kind="organisation", name=name)  # noqa: E731
    acme, bolt, cargo = party("Acme"), party("Bolt"), party("Cargo")
    i1 = invoice(accountant, acme, dt.date(2026, 1, 10), "1000.00", dt.date(2026, 2, 9))
    invoice(accountant, acme, dt.date(2026, 3, 1), "500.00", dt.date(2026, 3, 31))
    p1 = receipt(accountant, acme, dt.date(2026, 3, 20), "600.00")
    match(i1, p1, "600.00", dt.date(2026, 3, 20))
    invoice(accountant, bolt, dt.date(2026, 4, 1), "250.00", dt.date(2026, 4, 30))
    bill(accountant, cargo, dt.date(2026, 1, 5), "300.00", dt.date(2026, 1, 20))
    return {"acme": acme, "bolt": bolt, "cargo": cargo, "company": ledger}


def _rows(report: aging.AgingReport) -> list[tuple[str, dict[str, Decimal]]]:
    return [(row.party_name, row.buckets) for row in report.rows]


def test_aged_receivables_buckets(book: dict[str, Any]) -> None:
    report = aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 5, 15))
    assert _rows(report) == [
        ("Acme", buckets(over_90="400.00", days_31_60="500.00")),
        ("Bolt", buckets(days_1_30="250.00")),
    ]
    assert report.totals == buckets(days_1_30="250.00", days_31_60="500.00", over_90="400.00")
    assert report.total == D("1150.00")
    assert report.rows[0].total == D("900.00")


def test_bucket_edges(book: dict[str, Any]) -> None:
    # 31 March: invoice 2 is due that day (not yet overdue); invoice 1 is 50 days late.
    report = aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 3, 31))
    assert _rows(report) == [("Acme", buckets(not_due="500.00", days_31_60="400.00"))]
    # 1 April: one day late; Bolt's invoice of that day counts (dated on the report date).
    report = aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 4, 1))
    assert _rows(report) == [
        ("Acme", buckets(days_1_30="500.00", days_31_60="400.00")),
        ("Bolt", buckets(not_due="250.00")),
    ]
    # 10 May: invoice 1 is exactly 90 days late, on 11 May 91.
    at_90 = aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 5, 10))
    assert at_90.rows[0].buckets["days_61_90"] == D("400.00")
    at_91 = aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 5, 11))
    assert at_91.rows[0].buckets["over_90"] == D("400.00")


def test_past_date_adds_later_matches_back(book: dict[str, Any]) -> None:
    # Before the payment of 20 March: invoice 1 whole; the payment itself is not dated yet.
    report = aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 3, 15))
    assert _rows(report) == [("Acme", buckets(not_due="500.00", days_31_60="1000.00"))]
    assert report.total == D("1500.00")


def test_fully_matched_invoice_reappears_before_the_match(accountant: Any, book: dict[str, Any]) -> None:
    bolt = book["bolt"]
    i3 = OpenItem.objects.get(party=bolt)
    paid = receipt(accountant, bolt, dt.date(2026, 6, 1), "250.00")
    match(i3, paid, "250.00", dt.date(2026, 6, 1))
    assert OpenItem.objects.get(pk=i3.pk).residual == D("0.00")
    may = aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 5, 15))
    assert [row.party_name for row in may.rows] == ["Acme", "Bolt"]
    assert may.rows[1].buckets == buckets(days_1_30="250.00")
    june = aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 6, 1))
    assert [row.party_name for row in june.rows] == ["Acme"]


def test_aged_payables_are_positive(book: dict[str, Any]) -> None:
    report = aging.aging(company_id=book["company"].pk, kind="payable", at=dt.date(2026, 5, 15))
    assert _rows(report) == [("Cargo", buckets(over_90="300.00"))]
    assert report.total == D("300.00")
    assert aging.aging(company_id=book["company"].pk, kind="payable", at=dt.date(2026, 1, 4)).rows == ()


def test_party_balance(book: dict[str, Any]) -> None:
    company_id = book["company"].pk
    acme = aging.party_balance(company_id=company_id, party_id=book["acme"].pk, on=dt.date(2026, 5, 15))
    assert (acme.receivable, acme.receivable_overdue, acme.payable, acme.payable_overdue) == (
        D("900.00"),
        D("900.00"),
        D("0.00"),
        D("0.00"),
    )
    bolt = aging.party_balance(company_id=company_id, party_id=book["bolt"].pk, on=dt.date(2026, 4, 30))
    assert (bolt.receivable, bolt.receivable_overdue) == (D("250.00"), D("0.00"))
    cargo = aging.party_balance(company_id=company_id, party_id=book["cargo"].pk, on=dt.date(2026, 5, 15))
    assert (cargo.receivable, cargo.payable, cargo.payable_overdue) == (D("0.00"), D("300.00"), D("300.00"))


def test_party_balance_of_another_company_is_not_found(book: dict[str, Any], other_company: Any) -> None:
    with pytest.raises(NotFoundError):
        aging.party_balance(company_id=other_company.pk, party_id=book["acme"].pk)


def test_only_ledger_viewers(book: dict[str, Any], make_user: Any) -> None:
    sales = make_user("sales")
    with pytest.raises(PermissionDeniedError):
        aging.aging_for_actor(sales, kind="receivable", at=dt.date(2026, 5, 15))
    # Sales read the balances of the customers in their scope, and nothing of the others.
    assert aging.party_balance_for_actor(sales, party_id=book["acme"].pk) == aging.party_balance(
        company_id=book["company"].pk, party_id=book["acme"].pk
    )
    with pytest.raises(NotFoundError):
        aging.party_balance_for_actor(make_user("sales", scope="own"), party_id=book["acme"].pk)
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        aging.party_balance_for_actor(make_user("marketing"), party_id=book["acme"].pk)
    manager = make_user("management")
    assert aging.aging_for_actor(manager, kind="receivable", at=dt.date(2026, 5, 15)).total == D("1150.00")


def test_bad_input(book: dict[str, Any]) -> None:
    with pytest.raises(aging.AgingDateInvalidError):
        aging.aging(company_id=book["company"].pk, kind="receivable", at=None)
    with pytest.raises(aging.AgingKindInvalidError):
        aging.aging(company_id=book["company"].pk, kind="stock", at=dt.date(2026, 5, 15))


def test_query_count_does_not_grow_with_items(accountant: Any, book: dict[str, Any]) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            aging.aging(company_id=book["company"].pk, kind="receivable", at=dt.date(2026, 5, 15))
        return len(captured)

    before = queries()
    for day in range(1, 11):
        invoice(accountant, book["bolt"], dt.date(2026, 2, day), "10.00", dt.date(2026, 3, day))
    assert queries() == before


# ----------------------------------------------------------------------------- property

_counter = itertools.count()
START = dt.date(2026, 1, 1)

documents = st.lists(
    st.tuples(
        st.sampled_from(["invoice", "invoice", "receipt"]),
        st.integers(0, 2),  # party
        st.integers(0, 300),  # day of the year
        st.decimals(min_value=D("0.01"), max_value=D("5000.00"), places=2),
        st.integers(0, 120),  # days until due
    ),
    min_size=1,
    max_size=12,
)
matchings = st.lists(
    st.tuples(st.integers(0, 1000), st.integers(0, 1000), st.integers(1, 100), st.integers(0, 60)),
    max_size=10,
)


def _fresh_accountant() -> Any:
    n = next(_counter)
    company = company_create(name=f"Aging {n} B.V.")
    actor = user_create(
        actor=None,
        company_id=company.pk,
        username=f"aging-{n}",
        password="Kantoor-test-2026!",
        email=f"aging{n}@example.test",
        first_name="Age",
        last_name="Ing",
        roles={Role.FINANCE: Scope.COMPANY},
        language="en",
    )
    services.chart_install(actor=actor, template="generic")
    services.fiscal_year_create(actor=actor, year=2026)
    return actor


def _model_buckets(at: dt.date, receivable: list[int]) -> dict[int | None, dict[str, Decimal]]:
    """Independently: each item's residual at `at` from its amount and the matches up to `at`."""
    model: dict[int | None, dict[str, Decimal]] = {}
    for item in OpenItem.objects.filter(account_id__in=receivable, date__lte=at):
        settled = sum((m.amount for m in Match.objects.filter(debit_item=item, date__lte=at)), D(0))
        unsettled = sum((m.amount for m in Match.objects.filter(credit_item=item, date__lte=at)), D(0))
        residual = item.amount - settled + unsettled
        late = (at - item.due_date).days
        key = (
            "not_due"
            if late <= 0
            else "days_1_30"
            if late <= 30
            else "days_31_60"
            if late <= 60
            else "days_61_90"
            if late <= 90
            else "over_90"
        )
        row = model.setdefault(item.party_id, dict(ZEROS))
        row[key] += residual
    return {party: row for party, row in model.items() if any(row.values())}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=documents, matches=matchings, report_day=st.integers(0, 364))
def test_aged_total_equals_receivable_balance(
    docs: list[tuple[str, int, int, Decimal, int]],
    matches: list[tuple[int, int, int, int]],
    report_day: int,
) -> None:
    actor = _fresh_accountant()
    parties = [
        party_services.party_create(actor=actor, kind="organisation", name=f"Party {i}") for i in range(3)
    ]
    for kind, party, day, amount, due_in in docs:
        on = START + dt.timedelta(days=day)
        if kind == "invoice":
            invoice(actor, parties[party], on, str(amount), on + dt.timedelta(days=due_in))
        else:
            receipt(actor, parties[party], on, str(amount))
    items = list(OpenItem.objects.filter(company_id=actor.company_id, account__code="1100").order_by("pk"))
    debits = [item for item in items if item.amount > 0]
    credits = [item for item in items if item.amount < 0]
    for pick_debit, pick_credit, percent, delay in matches:
        if not debits or not credits:
            break
        debit = OpenItem.objects.get(pk=debits[pick_debit % len(debits)].pk)
        candidates = [c for c in credits if c.party_id == debit.party_id]
        if not candidates:
            continue
        credit = OpenItem.objects.get(pk=candidates[pick_credit % len(candidates)].pk)
        amount = min(debit.residual, -credit.residual) * percent / 100
        amount = amount.quantize(D("0.01"))
        if amount <= 0:
            continue
        match(debit, credit, amount, max(debit.date, credit.date) + dt.timedelta(days=delay))
    at = START + dt.timedelta(days=report_day)
    receivable = list(
        Account.objects.filter(company_id=actor.company_id, role="receivable").values_list("pk", flat=True)
    )
    report = aging.aging(company_id=actor.company_id, kind="receivable", at=at)
    balances = selectors.account_balances(company_id=actor.company_id, up_to=at)
    assert report.total == sum((balances.get(pk, D(0)) for pk in receivable), D(0))
    assert {row.party_id: row.buckets for row in report.rows} == _model_buckets(at, receivable)
