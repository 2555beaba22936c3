"""The report pages through the Django test client: the figures shown, the date forms and
their errors, the comparison, the drill-down to entries, the exports and who may see them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kantoor.finance.tests.reports_support import sample_ledger

pytestmark = pytest.mark.django_db

Q1 = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
PAGES = ["web:report-index", "web:report-trial-balance", "web:report-general-ledger",
         "web:report-profit-and-loss", "web:report-balance-sheet"]  # fmt: skip


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    return make_user("finance", username="fiona")


@pytest.fixture
def sample(accountant: Any) -> dict[str, Any]:
    return sample_ledger(accountant)


@pytest.fixture
def fiona(client: Any, accountant: Any, sample: Any) -> Any:
    client.force_login(accountant)
    return client


def test_index_links_every_report_and_the_menu_shows_it(fiona: Any) -> None:
    response = fiona.get(reverse("web:report-index"))
    assert response.status_code == 200
    content = response.content.decode()
    for name in PAGES[1:]:
        assert f'href="{reverse(name)}"' in content
    # the Back office menu entry, for who may read the ledger
    assert f'href="{reverse("web:report-index")}" aria-current="page"' in content


def test_trial_balance_page(fiona: Any) -> None:
    response = fiona.get(reverse("web:report-trial-balance"), {**Q1, "compare": "on"})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.total.debit == report.total.credit == Decimal("4480.49")
    assert report.previous_total.debit == Decimal("1710.00")
    content = response.content.decode()
    assert "9959.50" in content
    assert "4480.49" in content
    assert "Previous: closing balance" in content
    without = fiona.get(reverse("web:report-trial-balance"), Q1)
    assert "Previous: closing balance" not in without.content.decode()


def test_defaults_to_the_current_fiscal_year(fiona: Any) -> None:
    response = fiona.get(reverse("web:report-profit-and-loss"))
    assert response.status_code == 200
    period = response.context["report"].period
    assert period.date_from.month == period.date_from.day == 1


def test_profit_and_loss_page_with_comparison(fiona: Any) -> None:
    response = fiona.get(reverse("web:report-profit-and-loss"), {**Q1, "compare": "on"})
    report = response.context["report"]
    assert (report.result, report.previous_result) == (Decimal("1149.51"), Decimal("500.00"))
    content = response.content.decode()
    assert '<td class="amount" id="result">1149.51</td>' in content
    assert "Profit" in content


def test_balance_sheet_page_balances(fiona: Any, sample: Any) -> None:
    response = fiona.get(
        reverse("web:report-balance-sheet"), {"date": "2026-03-31", "compare_date": "2025-12-31"}
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert report.assets.total == report.liabilities_and_equity == Decimal("12379.50")
    content = response.content.decode()
    assert '<td class="amount" id="liabilities-and-equity">12379.50</td>' in content
    assert "Current year result" in content
    assert "Result of earlier years (not closed)" in content
    # an account links to its general ledger from the start of the fiscal year
    bank = sample["accounts"]["1000"].pk
    ledger = reverse("web:report-general-ledger")
    assert f"{ledger}?date_from=2026-01-01&amp;date_to=2026-03-31&amp;account={bank}" in content


def test_general_ledger_summary_then_an_account_page_by_page(fiona: Any, sample: Any) -> None:
    url = reverse("web:report-general-ledger")
    summary = fiona.get(url, Q1)
    assert summary.status_code == 200
    assert summary.context["pages"] == []
    assert [a.account.code for a in summary.context["report"].accounts][:2] == ["1000", "1100"]

    bank = sample["accounts"]["1000"].pk
    first = fiona.get(url, {**Q1, "account": bank})
    [(item, lines)] = first.context["pages"]
    assert (item.opening, item.closing) == (Decimal("9500.00"), Decimal("9959.50"))
    assert [line.balance for line in lines.lines] == [Decimal("10710.00"), Decimal("9959.50")]
    content = first.content.decode()
    # drill-down: each line links to its entry
    for entry in (sample["entries"]["pay1"], sample["entries"]["rent2"]):
        assert f'href="{reverse("web:entry-detail", args=[entry.pk])}">{entry.number}</a>' in content
    assert "Acme Retail" in content


def test_general_ledger_pages_with_a_cursor(fiona: Any, sample: Any, monkeypatch: Any) -> None:
    from kantoor.finance import reports

    monkeypatch.setattr(reports, "LEDGER_PAGE_SIZE", 1)  # the page size, not the code under test
    url = reverse("web:report-general-ledger")
    bank = sample["accounts"]["1000"].pk
    first = fiona.get(url, {**Q1, "account": bank})
    [(_item, lines)] = first.context["pages"]
    assert [line.balance for line in lines.lines] == [Decimal("10710.00")]
    assert lines.next_cursor
    assert "Next lines" in first.content.decode()
    second = fiona.get(url, {**Q1, "account": bank, "cursor": lines.next_cursor})
    [(_item, more)] = second.context["pages"]
    assert [line.balance for line in more.lines] == [Decimal("9959.50")]
    assert "First lines" in second.content.decode()


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("web:report-trial-balance", {"date_from": "2026-03-31", "date_to": "2026-01-01"}, "date_to"),
        ("web:report-profit-and-loss", {"date_from": "2026-02-30", "date_to": "2026-03-01"}, "date_from"),
        ("web:report-general-ledger", {**Q1, "account": "999999"}, "account"),
        ("web:report-balance-sheet", {"date": "not a date"}, "date"),
    ],
)
def test_bad_input_shows_on_the_form(fiona: Any, name: str, params: Any, field: str) -> None:
    response = fiona.get(reverse(name), params)
    assert response.status_code == 422
    assert response.context["report"] is None
    assert response.context["form"].errors[field]


def test_a_bad_cursor_shows_on_the_form(fiona: Any, sample: Any) -> None:
    bank = sample["accounts"]["1000"].pk
    response = fiona.get(reverse("web:report-general-ledger"), {**Q1, "account": bank, "cursor": "garbage"})
    assert response.status_code == 422
    assert "The page cursor is not valid." in response.context["form"].non_field_errors()
    assert "The page cursor is not valid." in response.content.decode()


def test_a_bad_export_format_shows_on_the_form(fiona: Any) -> None:
    response = fiona.get(reverse("web:report-trial-balance"), {**Q1, "format": "docx"})
    assert response.status_code == 422
    assert "Choose csv, xlsx or pdf." in response.content.decode()


def test_exports(fiona: Any, sample: Any) -> None:
    page = fiona.get(reverse("web:report-trial-balance"), Q1).content.decode()
    assert "?date_from=2026-01-01&amp;date_to=2026-03-31&amp;format=xlsx" in page
    response = fiona.get(reverse("web:report-trial-balance"), {**Q1, "format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="trial-balance-2026-01-01-2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[-1] == ["", "Total", "0.00", "4480.49", "4480.49", "0.00"]
    pnl = fiona.get(reverse("web:report-profit-and-loss"), {**Q1, "compare": "on", "format": "csv"})
    rows = list(csv.reader(io.StringIO(pnl.content.decode("utf-8-sig"))))
    assert rows[-1] == ["", "Result", "1149.51", "500.00"]
    bank = sample["accounts"]["1000"].pk
    ledger = fiona.get(reverse("web:report-general-ledger"), {**Q1, "account": bank, "format": "xlsx"})
    assert ledger.content.startswith(b"PK")
    sheet = fiona.get(reverse("web:report-balance-sheet"), {"date": "2026-03-31", "format": "pdf"})
    assert sheet["Content-Type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")


@pytest.mark.parametrize(("roles", "status"), [(("management",), 200), (("sales",), 403), ((), 403)])
def test_who_may_see_the_reports(
    client: Any, sample: Any, make_user: Callable[..., Any], roles: tuple[str, ...], status: int
) -> None:
    client.force_login(make_user(*roles))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == status, name
    menu = client.get(reverse("web:home")).content.decode()
    assert (f'href="{reverse("web:report-index")}"' in menu) == (status == 200)


def test_anonymous_is_sent_to_login(client: Any) -> None:
    response = client.get(reverse("web:report-trial-balance"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_query_budget(fiona: Any, sample: Any, django_assert_max_num_queries: Any) -> None:
    bank = sample["accounts"]["1000"].pk
    for name, params in [
        ("web:report-trial-balance", {**Q1, "compare": "on"}),
        ("web:report-profit-and-loss", {**Q1, "compare": "on"}),
        ("web:report-balance-sheet", {"date": "2026-03-31", "compare": "on"}),
        ("web:report-general-ledger", {**Q1, "account": bank}),
    ]:
        with django_assert_max_num_queries(16):
            assert fiona.get(reverse(name), params).status_code == 200
