"""The VAT return, aged balances, statements and party balances at /api/v1/: decimal strings,
422 problems for bad dates, 403 for who may not view the ledger, 404 for another company's
party."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kantoor.core.tests.api_support import Api, assert_problem, nothing_written
from kantoor.finance.tests.aging_support import bill, invoice, match, receipt
from kantoor.finance.tests.test_vat_return import book_every_box
from kantoor.parties import services as party_services

pytestmark = pytest.mark.django_db

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


@pytest.fixture
def fiona(api_as: Any, accountant: Any, ledger: Any) -> Api:
    api: Api = api_as(accountant)
    return api


@pytest.fixture
def parties(accountant: Any, ledger: Any) -> dict[str, Any]:
    acme = party_services.party_create(actor=accountant, kind="organisation", name="Acme")
    cargo = party_services.party_create(actor=accountant, kind="organisation", name="Cargo")
    i1 = invoice(accountant, acme, dt.date(2026, 1, 10), "1000.00", dt.date(2026, 2, 9), reference="A-1")
    p1 = receipt(accountant, acme, dt.date(2026, 3, 20), "600.00", reference="PAY-1")
    match(i1, p1, "600.00", dt.date(2026, 3, 20))
    bill(accountant, cargo, dt.date(2026, 1, 5), "300.00", dt.date(2026, 1, 20))
    return {"acme": acme, "cargo": cargo}


def test_vat_return_exact_and_rounded(fiona: Api, accountant: Any) -> None:
    book_every_box(accountant)
    exact = fiona.get("/reports/vat-return", MARCH)
    assert exact.status_code == 200, exact.content
    body = exact.json()
    boxes = {box["code"]: box for box in body["boxes"]}
    assert (boxes["1a"]["base"], boxes["1a"]["tax"]) == ("900.30", "189.06")
    assert (boxes["1e"]["base"], boxes["1e"]["tax"]) == ("300.25", None)
    assert (boxes["5a"]["tax"], boxes["5b"]["tax"], boxes["5c"]["tax"], boxes["5g"]["tax"]) == (
        "418.31",
        "216.53",
        "201.78",
        "201.78",
    )
    assert (body["total"], body["is_rounded"], body["unknown_tag_count"]) == ("201.78", False, 0)
    assert boxes["5b"]["label_nl"] == "Voorbelasting"
    rounded = fiona.get(
        "/reports/vat-return", {**MARCH, "rounded": "true", "previous_estimate": "10.00"}
    ).json()
    boxes = {box["code"]: box for box in rounded["boxes"]}
    assert (boxes["1a"]["base"], boxes["5b"]["tax"], boxes["5e"]["tax"], rounded["total"]) == (
        "900",
        "217",
        "10",
        "209",
    )


def test_aged_receivables_and_payables(fiona: Api, parties: dict[str, Any]) -> None:
    body = fiona.get("/reports/aged-receivables", {"date": "2026-03-15"}).json()
    assert body["total"] == "1000.00"
    assert body["rows"] == [
        {
            "party_id": parties["acme"].pk,
            "party_name": "Acme",
            "buckets": {
                "not_due": "0.00",
                "days_1_30": "0.00",
                "days_31_60": "1000.00",
                "days_61_90": "0.00",
                "over_90": "0.00",
            },
            "total": "1000.00",
        }
    ]
    later = fiona.get("/reports/aged-receivables", {"date": "2026-05-15"}).json()
    assert (later["totals"]["over_90"], later["total"]) == ("400.00", "400.00")
    payables = fiona.get("/reports/aged-payables", {"date": "2026-05-15"}).json()
    assert (payables["kind"], payables["rows"][0]["party_name"], payables["total"]) == (
        "payable",
        "Cargo",
        "300.00",
    )


def test_statement_and_balance(fiona: Api, parties: dict[str, Any]) -> None:
    acme = parties["acme"].pk
    body = fiona.get(f"/parties/{acme}/statement", MARCH).json()
    assert (body["opening"], body["closing"], body["kind"]) == ("1000.00", "400.00", "receivable")
    assert [(line["reference"], line["credit"], line["balance"]) for line in body["lines"]] == [
        ("PAY-1", "600.00", "400.00")
    ]
    assert [(item["reference"], item["open"], item["days_overdue"]) for item in body["open_items"]] == [
        ("A-1", "400.00", 50)
    ]
    supplier = fiona.get(f"/parties/{parties['cargo'].pk}/statement", {**MARCH, "kind": "payable"}).json()
    assert (supplier["opening"], supplier["closing"]) == ("300.00", "300.00")
    balance = fiona.get(f"/parties/{acme}/balance").json()
    assert (balance["receivable"], balance["receivable_overdue"], balance["payable"]) == (
        "400.00",
        "400.00",
        "0.00",
    )


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/reports/vat-return", {"date_from": "2026-03-31", "date_to": "2026-03-01"}, "date_to"),
        ("/reports/vat-return", {"date_to": "2026-03-01"}, "date_from"),
        ("/reports/vat-return", {"date_from": "2026-02-30", "date_to": "2026-03-01"}, "date_from"),
        ("/reports/vat-return", {**MARCH, "previous_estimate": "1e3"}, "previous_estimate"),
        ("/reports/aged-receivables", {}, "date"),
        ("/reports/aged-receivables", {"date": "nonsense"}, "date"),
        ("/reports/aged-payables", {"date": "2026-13-01"}, "date"),
        ("/parties/{acme}/statement", {"date_from": "2026-03-01"}, "date_to"),
        ("/parties/{acme}/statement", {**MARCH, "kind": "stock"}, "kind"),
    ],
)
def test_bad_input_is_a_422_problem(
    fiona: Api, parties: dict[str, Any], path: str, params: dict[str, str], field: str
) -> None:
    with nothing_written():
        problem = assert_problem(fiona.get(path.format(acme=parties["acme"].pk), params), 422)
    assert field in {error["field"].split(".")[-1] for error in problem["errors"]}, problem


def test_dates_at_the_edge_of_the_calendar(fiona: Api, parties: dict[str, Any]) -> None:
    assert fiona.get("/reports/aged-receivables", {"date": "0001-01-01"}).json()["rows"] == []
    assert fiona.get("/reports/aged-payables", {"date": "9999-12-31"}).json()["total"] == "300.00"
    assert (
        fiona.get("/reports/vat-return", {"date_from": "0001-01-01", "date_to": "9999-12-31"}).status_code
        == 200
    )


def test_sales_user_is_refused_and_other_companies_parties_are_not_found(
    api_as: Any, make_user: Any, parties: dict[str, Any], other_company: Any
) -> None:
    acme = parties["acme"].pk
    paths = [
        ("/reports/vat-return", MARCH),
        ("/reports/aged-receivables", {"date": "2026-03-31"}),
        ("/reports/aged-payables", {"date": "2026-03-31"}),
        (f"/parties/{acme}/statement", MARCH),
    ]
    sales = api_as(make_user("sales"))
    for path, params in paths:
        assert_problem(sales.get(path, params), 403)
    # A customer's balance is for whoever reads its invoices: sales in scope, nobody else.
    assert sales.get(f"/parties/{acme}/balance").json()["receivable"] == "400.00"
    assert_problem(api_as(make_user("sales", scope="own")).get(f"/parties/{acme}/balance"), 404)
    stranger = api_as(make_user("finance", in_company=other_company))
    assert_problem(stranger.get(f"/parties/{acme}/statement", MARCH), 404)
    assert_problem(stranger.get(f"/parties/{acme}/balance"), 404)
    assert stranger.get("/reports/aged-receivables", {"date": "2026-03-31"}).json()["rows"] == []
    manager = api_as(make_user("management"))
    assert manager.get(f"/parties/{acme}/balance").status_code == 200


def test_anonymous_is_refused(anonymous_api: Api) -> None:
    assert anonymous_api.get("/reports/vat-return", MARCH).status_code == 401
