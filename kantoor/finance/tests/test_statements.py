"""A party's statement: opening balance, the period's lines with a running balance, closing
balance and the items open at the end (matches after the end added back) with days overdue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.finance import statements
from kantoor.finance.tests.aging_support import bill, invoice, match, receipt
from kantoor.finance.vat import VatPeriodInvalidError
from kantoor.parties import services as party_services

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def acme(accountant: Any, ledger: Any) -> dict[str, Any]:
    """Acme: invoice A-1 1000.00 (10 Jan, due 9 Feb), A-2 500.00 (1 Mar, due 31 Mar), a
    payment of 600.00 on 20 March matched to A-1, and a payment of 500.00 on 10 April
    matched to A-2; Bolt's invoice must not show."""
    acme = party_services.party_create(actor=accountant, kind="organisation", name="Acme")
    bolt = party_services.party_create(actor=accountant, kind="organisation", name="Bolt")
    a1 = invoice(accountant, acme, dt.date(2026, 1, 10), "1000.00", dt.date(2026, 2, 9), reference="A-1")
    a2 = invoice(accountant, acme, dt.date(2026, 3, 1), "500.00", dt.date(2026, 3, 31), reference="A-2")
    p1 = receipt(accountant, acme, dt.date(2026, 3, 20), "600.00", reference="PAY-1")
    match(a1, p1, "600.00", dt.date(2026, 3, 20))
    p2 = receipt(accountant, acme, dt.date(2026, 4, 10), "500.00", reference="PAY-2")
    match(a2, p2, "500.00", dt.date(2026, 4, 10))
    invoice(accountant, bolt, dt.date(2026, 3, 5), "99.00", dt.date(2026, 3, 5))
    return {"party": acme, "a1": a1, "a2": a2, "p1": p1, "company": ledger}


def test_statement_of_march(acme: dict[str, Any]) -> None:
    result = statements.statement(
        company_id=acme["company"].pk,
        party_id=acme["party"].pk,
        kind="receivable",
        date_from=dt.date(2026, 3, 1),
        date_to=dt.date(2026, 3, 31),
    )
    assert (result.party_name, result.currency, result.opening, result.closing) == (
        "Acme",
        "EUR",
        D("1000.00"),
        D("900.00"),
    )
    assert [
        (line.date, line.reference, line.label, line.due_date, line.debit, line.credit, line.balance)
        for line in result.lines
    ] == [
        (
            dt.date(2026, 3, 1),
            "A-2",
            "Invoice A-2",
            dt.date(2026, 3, 31),
            D("500.00"),
            D("0.00"),
            D("1500.00"),
        ),
        (dt.date(2026, 3, 20), "PAY-1", "", None, D("0.00"), D("600.00"), D("900.00")),
    ]
    assert result.lines[0].entry_number == acme["a2"].entry.number
    assert (result.total_debit, result.total_credit) == (D("500.00"), D("600.00"))
    # On 31 March A-2 is still open (paid on 10 April): the later match is added back.
    assert [(item.reference, item.amount, item.open, item.days_overdue) for item in result.open_items] == [
        ("A-1", D("1000.00"), D("400.00"), 50),
        ("A-2", D("500.00"), D("500.00"), 0),
    ]
    assert result.total_open == result.closing
    assert not result.is_truncated


def test_statement_after_the_payments(acme: dict[str, Any]) -> None:
    result = statements.statement(
        company_id=acme["company"].pk,
        party_id=acme["party"].pk,
        kind="receivable",
        date_from=dt.date(2026, 4, 1),
        date_to=dt.date(2026, 4, 30),
    )
    assert (result.opening, result.closing) == (D("900.00"), D("400.00"))
    assert [(line.reference, line.balance) for line in result.lines] == [("PAY-2", D("400.00"))]
    assert [(item.reference, item.open, item.days_overdue) for item in result.open_items] == [
        ("A-1", D("400.00"), 80)
    ]


def test_supplier_statement_is_positive_when_owed(accountant: Any, ledger: Any) -> None:
    cargo = party_services.party_create(actor=accountant, kind="organisation", name="Cargo")
    bill(accountant, cargo, dt.date(2026, 1, 5), "300.00", dt.date(2026, 1, 20))
    result = statements.statement(
        company_id=ledger.pk,
        party_id=cargo.pk,
        kind="payable",
        date_from=dt.date(2026, 1, 1),
        date_to=dt.date(2026, 1, 31),
    )
    assert (result.opening, result.closing) == (D("0.00"), D("300.00"))
    assert [(line.credit, line.balance) for line in result.lines] == [(D("300.00"), D("300.00"))]
    assert [(item.amount, item.open, item.days_overdue) for item in result.open_items] == [
        (D("300.00"), D("300.00"), 11)
    ]
    # The same party has nothing on the receivable accounts.
    empty = statements.statement(
        company_id=ledger.pk,
        party_id=cargo.pk,
        kind="receivable",
        date_from=dt.date(2026, 1, 1),
        date_to=dt.date(2026, 1, 31),
    )
    assert (empty.opening, empty.lines, empty.closing, empty.open_items) == (D("0.00"), (), D("0.00"), ())


def test_refusals(acme: dict[str, Any], make_user: Any, other_company: Any) -> None:
    args: dict[str, Any] = {
        "kind": "receivable",
        "date_from": dt.date(2026, 3, 1),
        "date_to": dt.date(2026, 3, 31),
    }
    with pytest.raises(NotFoundError):
        statements.statement(company_id=other_company.pk, party_id=acme["party"].pk, **args)
    with pytest.raises(PermissionDeniedError):
        statements.statement_for_actor(make_user("sales"), party_id=acme["party"].pk, **args)
    with pytest.raises(VatPeriodInvalidError):
        statements.statement(
            company_id=acme["company"].pk,
            party_id=acme["party"].pk,
            kind="receivable",
            date_from=dt.date(2026, 3, 31),
            date_to=dt.date(2026, 3, 1),
        )
    manager = make_user("management")
    assert statements.statement_for_actor(manager, party_id=acme["party"].pk, **args).closing == D("900.00")
