"""The financial reports at /api/v1/reports/...: JSON with decimal strings, files with
`format`, 422 problems for bad dates, and who may read them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from kantoor.core.tests.api_support import Api, assert_problem, nothing_written
from kantoor.finance.tests.reports_support import sample_ledger

pytestmark = pytest.mark.django_db

Q1 = {"date_from": "2026-01-01", "date_to": "2026-03-31"}


@pytest.fixture
def sample(accountant: Any) -> dict[str, Any]:
    return sample_ledger(accountant)


@pytest.fixture
def fiona(api_as: Any, accountant: Any, sample: Any) -> Api:
    api: Api = api_as(accountant)
    return api


def test_trial_balance_as_json_with_comparison(fiona: Api, sample: Any) -> None:
    body = fiona.get("/reports/trial-balance", {**Q1, "compare": "true"}).json()
    assert body["currency"] == "EUR"
    assert body["period"] == {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    assert body["previous_period"] == {"date_from": "2025-10-01", "date_to": "2025-12-31"}
    bank = body["rows"][0]
    assert bank == {
        "account": {
            "account_id": sample["accounts"]["1000"].pk,
            "code": "1000",
            "name": "Bank",
            "account_type": "asset",
        },
        "current": {"opening": "9500.00", "debit": "1210.00", "credit": "750.50", "closing": "9959.50"},
        "previous": {"opening": "10000.00", "debit": "0.00", "credit": "500.00", "closing": "9500.00"},
    }
    assert body["total"] == {"opening": "0.00", "debit": "4480.49", "credit": "4480.49", "closing": "0.00"}
    assert body["previous_total"]["debit"] == body["previous_total"]["credit"] == "1710.00"


def test_general_ledger_summaries_and_line_pages(fiona: Api, sample: Any) -> None:
    bank, receivable = sample["accounts"]["1000"].pk, sample["accounts"]["1100"].pk
    body = fiona.get(
        f"/reports/general-ledger?date_from=2026-01-01&date_to=2026-03-31&account_id={bank}&account_id={receivable}"
    ).json()
    assert [
        (a["account"]["code"], a["opening"], a["closing"], a["line_count"]) for a in body["accounts"]
    ] == [
        ("1000", "9500.00", "9959.50", 2),
        ("1100", "1210.00", "2420.00", 2),
    ]
    assert body["total_debit"] == "3630.00"
    first = fiona.get(f"/reports/general-ledger/{bank}/lines", {**Q1, "limit": 1}).json()
    assert first["lines"] == [
        {
            "line_id": first["lines"][0]["line_id"],
            "date": "2026-02-03",
            "entry_id": sample["entries"]["pay1"].pk,
            "entry_number": sample["entries"]["pay1"].number,
            "label": "Payment Acme",
            "party_id": sample["customer"].pk,
            "party_name": "Acme Retail",
            "debit": "1210.00",
            "credit": "0.00",
            "balance": "10710.00",
        }
    ]
    second = fiona.get(
        f"/reports/general-ledger/{bank}/lines", {**Q1, "limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert [(line["credit"], line["balance"]) for line in second["lines"]] == [("750.50", "9959.50")]
    assert second["next_cursor"] is None


def test_profit_and_loss_and_balance_sheet(fiona: Api) -> None:
    pnl = fiona.get("/reports/profit-and-loss", {**Q1, "compare": "true"}).json()
    assert [(r["account"]["code"], r["amount"], r["previous"]) for r in pnl["expense"]["rows"]] == [
        ("6100", "750.50", "500.00"),
        ("6300", "99.99", "0.00"),
    ]
    assert (pnl["result"], pnl["previous_result"]) == ("1149.51", "500.00")
    sheet = fiona.get("/reports/balance-sheet", {"date": "2026-03-31", "compare_date": "2025-12-31"}).json()
    assert sheet["assets"]["total"] == sheet["liabilities_and_equity"] == "12379.50"
    assert sheet["previous_liabilities_and_equity"] == "10710.00"
    assert [(r["account"]["account_id"], r["account"]["name"], r["amount"]) for r in sheet["equity"]["rows"]][
        1:
    ] == [(None, "Result of earlier years (not closed)", "500.00"), (None, "Current year result", "1149.51")]


def test_reports_as_files(fiona: Api, sample: Any) -> None:
    response = fiona.get("/reports/trial-balance", {**Q1, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="trial-balance-2026-01-01-2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Code", "Account", "Opening balance", "Debit", "Credit", "Closing balance"]
    assert rows[1] == ["1000", "Bank", "9500.00", "1210.00", "750.50", "9959.50"]
    assert rows[-1] == ["", "Total", "0.00", "4480.49", "4480.49", "0.00"]

    ledger = fiona.get("/reports/general-ledger", {**Q1, "format": "csv"})
    lines = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
    assert [
        "2026-03-15",
        sample["entries"]["rent2"].number,
        "1000 Bank",
        "Rent March",
        "",
        "0.00",
        "750.50",
        "9959.50",
    ] in lines

    for path, params in [
        ("/reports/profit-and-loss", Q1),
        ("/reports/balance-sheet", {"date": "2026-03-31"}),
        ("/reports/general-ledger", Q1),
    ]:
        xlsx = fiona.get(path, {**params, "format": "xlsx"})
        assert xlsx.status_code == 200
        assert xlsx.content.startswith(b"PK")
        pdf = fiona.get(path, {**params, "format": "pdf"})
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/reports/trial-balance", {"date_from": "2026-03-31", "date_to": "2026-01-01"}, "date_to"),
        ("/reports/trial-balance", {"date_to": "2026-01-01"}, "date_from"),
        ("/reports/profit-and-loss", {"date_from": "2026-13-01", "date_to": "2026-01-01"}, "date_from"),
        ("/reports/general-ledger", {"date_from": "nonsense", "date_to": "2026-01-01"}, "date_from"),
        ("/reports/balance-sheet", {}, "date"),
        ("/reports/balance-sheet", {"date": "2026-02-30"}, "date"),
        ("/reports/trial-balance", {**Q1, "format": "docx"}, "format"),
        (
            "/reports/trial-balance",
            {"date_from": "0001-01-01", "date_to": "0001-01-05", "compare": "true"},
            "date_from",
        ),
    ],
)
def test_bad_dates_and_formats_are_422_problems(fiona: Api, path: str, params: Any, field: str) -> None:
    with nothing_written():
        problem = assert_problem(fiona.get(path, params), 422)
    assert field in {error["field"].split(".")[-1] for error in problem["errors"]}, problem


def test_a_bad_cursor_and_another_companys_account(
    fiona: Api, sample: Any, api_as: Any, make_user: Callable[..., Any], other_company: Any
) -> None:
    bank = sample["accounts"]["1000"].pk
    assert_problem(fiona.get(f"/reports/general-ledger/{bank}/lines", {**Q1, "cursor": "x"}), 422)
    stranger = api_as(make_user("finance", in_company=other_company))
    assert_problem(stranger.get(f"/reports/general-ledger/{bank}/lines", Q1), 404)
    assert stranger.get("/reports/trial-balance", Q1).json()["rows"] == []


PATHS = [
    ("/reports/trial-balance", Q1),
    ("/reports/general-ledger", Q1),
    ("/reports/profit-and-loss", Q1),
    ("/reports/balance-sheet", {"date": "2026-03-31"}),
]


@pytest.mark.parametrize(
    ("roles", "status"), [(("finance",), 200), (("management",), 200), (("sales",), 403), ((), 403)]
)
def test_who_may_read_the_reports(
    sample: Any, api_as: Any, make_user: Callable[..., Any], roles: tuple[str, ...], status: int
) -> None:
    api = api_as(make_user(*roles))
    for path, params in [*PATHS, (f"/reports/general-ledger/{sample['accounts']['1000'].pk}/lines", Q1)]:
        response = api.get(path, params)
        assert response.status_code == status, (path, response.content[:300])
        if status == 403:
            assert_problem(response, 403)
        csv_response = api.get(path, {**params, "format": "csv"})
        assert csv_response.status_code == status


def test_anonymous_gets_401(anonymous_api: Api) -> None:
    for path, params in PATHS:
        assert_problem(anonymous_api.get(path, params), 401)
