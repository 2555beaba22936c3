"""The VAT return, aged balances and statement pages, and the open balance on the party page,
through the Django test client: the figures shown, the date forms and their errors, and who
may see them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kantoor.finance import services
from kantoor.finance.tests.aging_support import bill, invoice, match, receipt
from kantoor.finance.tests.test_vat_return import book_every_box

pytestmark = pytest.mark.django_db

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    user = make_user("finance", username="fiona")
    services.chart_install(actor=user, template="generic")
    services.fiscal_year_create(actor=user, year=2026)
    return user


@pytest.fixture
def book(accountant: Any, make_party: Any) -> dict[str, Any]:
    acme = make_party(accountant, "Acme", roles=["customer"])
    cargo = make_party(accountant, "Cargo", roles=["supplier"])
    i1 = invoice(accountant, acme, dt.date(2026, 1, 10), "1000.00", dt.date(2026, 2, 9), reference="A-1")
    p1 = receipt(accountant, acme, dt.date(2026, 3, 20), "600.00", reference="PAY-1")
    match(i1, p1, "600.00", dt.date(2026, 3, 20))
    bill(accountant, cargo, dt.date(2026, 1, 5), "300.00", dt.date(2026, 1, 20))
    return {"acme": acme, "cargo": cargo}


@pytest.fixture
def fiona(client: Any, accountant: Any) -> Any:
    client.force_login(accountant)
    return client


def test_vat_return_page_exact_and_rounded(fiona: Any, accountant: Any) -> None:
    book_every_box(accountant)
    response = fiona.get(reverse("web:vat-return"), MARCH)
    assert response.status_code == 200
    report = response.context["report"]
    assert report["exact"].total == Decimal("201.78")
    assert report["rounded"].total == Decimal(199)
    page = response.content.decode()
    assert "Leveringen/diensten belast met hoog tarief" in page
    for figure in ("900.30", "189.06", "418.31", "216.53", "201.78", ">217<", ">199<"):
        assert figure in page, figure


def test_vat_return_defaults_to_the_last_quarter(fiona: Any) -> None:
    response = fiona.get(reverse("web:vat-return"))
    assert response.status_code == 200
    exact = response.context["report"]["exact"]
    assert exact.date_from.day == 1
    assert exact.date_to + dt.timedelta(days=1) == dt.date(
        exact.date_to.year + (exact.date_to.month == 12), exact.date_to.month % 12 + 1, 1
    )
    assert (exact.date_to - exact.date_from).days in {89, 90, 91}


def test_vat_return_lists_unknown_tags(fiona: Any, accountant: Any) -> None:
    from kantoor.finance.tests.test_vat_return import _line
    from kantoor.finance.tests.test_vat_return import book as book_entry

    c = accountant.company
    book_entry(
        accountant,
        dt.date(2026, 3, 5),
        [_line(c, "1100", debit="50.00"), _line(c, "4000", credit="50.00", tag="9z-base")],
    )
    page = fiona.get(reverse("web:vat-return"), MARCH).content.decode()
    assert 'id="unknown-tags"' in page
    assert "9z-base" in page


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("web:vat-return", {"date_from": "2026-03-31", "date_to": "2026-03-01"}, "date_to"),
        ("web:vat-return", {"date_from": "2026-02-30", "date_to": "2026-03-01"}, "date_from"),
        ("web:aged-receivables", {"date": "nonsense"}, "date"),
        ("web:aged-payables", {"date": "2026-13-01"}, "date"),
    ],
)
def test_bad_dates_show_on_the_form(fiona: Any, name: str, params: Any, field: str) -> None:
    response = fiona.get(reverse(name), params)
    assert response.status_code == 422
    assert response.context["form"].errors[field]


def test_aged_receivables_and_payables_pages(fiona: Any, book: dict[str, Any]) -> None:
    response = fiona.get(reverse("web:aged-receivables"), {"date": "2026-03-15"})
    assert response.status_code == 200
    report = response.context["report"]
    assert [(row.party_name, row.buckets["days_31_60"]) for row in report.rows] == [
        ("Acme", Decimal("1000.00"))
    ]
    page = response.content.decode()
    assert reverse("web:party-statement", args=[book["acme"].pk]) in page
    later = fiona.get(reverse("web:aged-receivables"), {"date": "2026-05-15"}).context["report"]
    assert later.totals["over_90"] == Decimal("400.00")
    payables = fiona.get(reverse("web:aged-payables"), {"date": "2026-05-15"})
    assert payables.context["report"].total == Decimal("300.00")
    assert "Cargo" in payables.content.decode()
    assert fiona.get(reverse("web:aged-payables")).status_code == 200  # today by default


def test_statement_page(fiona: Any, book: dict[str, Any]) -> None:
    url = reverse("web:party-statement", args=[book["acme"].pk])
    response = fiona.get(url, MARCH)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.opening, report.closing) == (Decimal("1000.00"), Decimal("400.00"))
    page = response.content.decode()
    assert "Statement of Acme" in page
    assert "PAY-1" in page
    supplier = fiona.get(
        reverse("web:party-statement", args=[book["cargo"].pk]), {**MARCH, "kind": "payable"}
    )
    assert supplier.context["report"].closing == Decimal("300.00")
    assert fiona.get(url, {**MARCH, "kind": "stock"}).status_code == 422
    assert fiona.get(url).status_code == 200  # this year to today by default


def test_party_page_shows_the_open_balance_to_ledger_readers(
    client: Any, fiona: Any, book: dict[str, Any], make_user: Any
) -> None:
    url = reverse("web:party-detail", args=[book["acme"].pk])
    response = fiona.get(url)
    balance = response.context["balance"]
    assert (balance.receivable, balance.payable) == (Decimal("400.00"), Decimal("0.00"))
    assert balance.receivable_overdue == Decimal("400.00")  # due 9 February 2026, before today
    assert 'id="open-balance"' in response.content.decode()
    # Sales read their customers' balances; marketing, who reads no invoices, does not.
    client.force_login(make_user("sales", username="sam"))
    response = client.get(url)
    assert response.context["balance"] == balance
    client.force_login(make_user("marketing", username="mia"))
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["balance"] is None
    assert 'id="open-balance"' not in response.content.decode()


def test_who_may_see_the_pages(client: Any, book: dict[str, Any], make_user: Any, other_company: Any) -> None:
    acme = book["acme"].pk
    pages = [
        reverse("web:vat-return"),
        reverse("web:aged-receivables"),
        reverse("web:aged-payables"),
        reverse("web:party-statement", args=[acme]),
    ]
    client.force_login(make_user("sales", username="sam"))
    assert [client.get(url).status_code for url in pages] == [403, 403, 403, 403]
    client.force_login(make_user("management", username="manon"))
    assert [client.get(url).status_code for url in pages] == [200, 200, 200, 200]
    client.force_login(make_user("finance", in_company=other_company, username="stranger"))
    assert client.get(reverse("web:party-statement", args=[acme])).status_code == 404
    client.logout()
    assert client.get(pages[0]).status_code == 302
