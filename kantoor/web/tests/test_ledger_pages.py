"""The ledger's pages through the Django test client: chart of accounts, journal entries
(list, detail, draft form, post, reverse, delete), fiscal years, periods and the lock date."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.finance import services
from kantoor.finance.models import (
    Account,
    EntryState,
    FinanceSettings,
    FiscalYear,
    Journal,
    JournalEntry,
    JournalLine,
    Period,
)

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    return make_user("finance", username="fiona")


@pytest.fixture
def ledger(accountant: Any) -> Any:
    services.chart_install(actor=accountant, template="generic")
    services.fiscal_year_create(actor=accountant, year=YEAR)
    return accountant.company


@pytest.fixture
def acct(ledger: Any) -> Callable[[str], Account]:
    return lambda code: Account.objects.get(company=ledger, code=code)


@pytest.fixture
def gen(ledger: Any) -> Journal:
    return Journal.objects.get(company=ledger, code="GEN")


@pytest.fixture
def draft(accountant: Any, acct: Any, gen: Journal) -> Callable[..., JournalEntry]:
    def make(
        amount: str = "100.00",
        *,
        debit: str = "6100",
        credit: str = "1000",
        on: dt.date = dt.date(YEAR, 3, 15),
    ) -> JournalEntry:
        return services.entry_create(
            actor=accountant,
            journal_id=gen.pk,
            date=on,
            reference="R-1",
            lines=[
                {"account_id": acct(debit).pk, "debit": Decimal(amount), "label": "rent"},
                {"account_id": acct(credit).pk, "credit": Decimal(amount)},
            ],
        )

    return make


@pytest.fixture
def posted(accountant: Any, draft: Callable[..., JournalEntry]) -> Callable[..., JournalEntry]:
    def make(*args: Any, **kwargs: Any) -> JournalEntry:
        return services.entry_post(actor=accountant, entry_id=draft(*args, **kwargs).pk)

    return make


def state() -> tuple[Any, ...]:
    return (
        list(JournalEntry.objects.order_by("pk").values()),
        list(JournalLine.objects.order_by("pk").values()),
        list(Period.objects.order_by("pk").values()),
        list(FiscalYear.objects.order_by("pk").values()),
        list(FinanceSettings.objects.order_by("pk").values()),
        OutboxEvent.objects.count(),
    )


def entry_form(
    lines: list[dict[str, Any]], *, journal: Journal, date: str = f"{YEAR}-03-20", **header: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "journal_id": journal.pk,
        "date": date,
        "reference": "",
        "narration": "",
        **header,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for index, row in enumerate(lines):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = value
    return data


def line_rows(html: str) -> list[str]:
    return re.findall(r'<tr class="line-row">.*?</tr>', html, flags=re.DOTALL)


# ---- navigation and permissions ---------------------------------------------------------


def test_the_ledger_shows_in_the_navigation_of_finance_and_management_only(
    client: Any, accountant: Any, make_user: Any, salesperson: Any
) -> None:
    for user in (accountant, make_user("management")):
        client.force_login(user)
        page = client.get(reverse("web:home")).content.decode()
        for name in ("entry-list", "account-list", "fiscal-year-list"):
            assert f'href="{reverse(f"web:{name}")}"' in page
    client.force_login(salesperson)
    page = client.get(reverse("web:home")).content.decode()
    assert reverse("web:entry-list") not in page


@pytest.mark.parametrize(
    "url_name", ["account-list", "entry-list", "entry-create", "fiscal-year-list", "entry-line-row"]
)
def test_a_sales_user_is_refused_every_page(
    client: Any, ledger: Any, salesperson: Any, url_name: str
) -> None:
    client.force_login(salesperson)
    assert client.get(reverse(f"web:{url_name}")).status_code == 403


def test_a_sales_user_cannot_see_or_change_an_entry(
    client: Any, ledger: Any, salesperson: Any, draft: Any, outsider: Any
) -> None:
    entry = draft()
    before = state()
    client.force_login(salesperson)
    assert client.get(reverse("web:entry-detail", args=[entry.pk])).status_code == 403
    for name in ("entry-post", "entry-delete", "entry-reverse"):
        assert client.post(reverse(f"web:{name}", args=[entry.pk]), {"version": 1}).status_code == 403
    # an administrator of another company learns nothing of it
    client.force_login(outsider)
    assert client.get(reverse("web:entry-detail", args=[entry.pk])).status_code == 404
    assert client.post(reverse("web:entry-post", args=[entry.pk]), {"version": 1}).status_code == 404
    assert state() == before


def test_anonymous_visitors_are_sent_to_log_in(client: Any, ledger: Any) -> None:
    response = client.get(reverse("web:entry-list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_management_reads_but_sees_no_buttons_and_may_not_post(
    client: Any, make_user: Any, draft: Any, posted: Any
) -> None:
    entry, done = draft(), posted("5.00")
    client.force_login(make_user("management"))
    page = client.get(reverse("web:entry-detail", args=[entry.pk])).content.decode()
    assert "Draft #" in page
    assert reverse("web:entry-post", args=[entry.pk]) not in page
    assert reverse("web:entry-delete", args=[entry.pk]) not in page
    page = client.get(reverse("web:entry-detail", args=[done.pk])).content.decode()
    assert reverse("web:entry-reverse", args=[done.pk]) not in page
    assert "New entry" not in client.get(reverse("web:entry-list")).content.decode()
    before = state()
    assert client.post(reverse("web:entry-post", args=[entry.pk]), {"version": 1}).status_code == 403
    assert client.get(reverse("web:entry-create")).status_code == 403
    years = client.get(reverse("web:fiscal-year-list")).content.decode()
    assert "Set lock date" not in years
    assert client.post(reverse("web:lock-date-set"), {"lock_date": f"{YEAR}-01-31"}).status_code == 403
    assert state() == before


# ---- chart of accounts ------------------------------------------------------------------


def test_chart_of_accounts_lists_filters_pages_and_shows_balances(
    client: Any, accountant: Any, posted: Any, django_assert_max_num_queries: Any
) -> None:
    posted("120.50")
    client.force_login(accountant)
    url = reverse("web:account-list")

    with django_assert_max_num_queries(10):
        page = client.get(url).content.decode()
    assert "36 accounts" in page
    assert len(re.findall(r"<tr>\s*<td>\d{4}</td>", page)) == 25
    next_link = re.search(r'href="\?after=([^"]+)"', page)
    assert next_link is not None
    second = client.get(url, {"after": next_link.group(1)}).content.decode()
    assert re.findall(r"<tr>\s*<td>(\d{4})</td>", second) == [
        "5100", "6000", "6100", "6200", "6300", "6400", "6500", "6600", "6700", "6800", "6900",
    ]  # fmt: skip

    income = client.get(url, {"type": "income"}).content.decode()
    assert re.findall(r"<tr>\s*<td>(\d{4})</td>", income) == ["4000", "4100", "4900"]
    rent = client.get(url, {"q": "6100"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="account-results")
    html = rent.content.decode()
    assert "<html" not in html
    assert re.findall(r"<tr>\s*<td>(\d{4})</td>", html) == ["6100"]
    assert '<td class="amount">120.50</td>' in html
    assert re.findall(r"<tr>\s*<td>(\d{4})</td>", client.get(url, {"q": "utilit"}).content.decode()) == [
        "6200"
    ]
    bank = client.get(url, {"q": "1000"}).content.decode()
    assert '<td class="amount">-120.50</td>' in bank


# ---- journal entries: list and detail ---------------------------------------------------


def test_entry_list_filters_by_journal_state_and_dates(
    client: Any, accountant: Any, draft: Any, posted: Any, acct: Any, django_assert_max_num_queries: Any
) -> None:
    first = posted("10.00", on=dt.date(YEAR, 1, 5))
    second = posted("20.00", on=dt.date(YEAR, 2, 5))
    pending = draft("30.00", on=dt.date(YEAR, 3, 5))
    bank_entry = services.entry_create(
        actor=accountant,
        journal_id=Journal.objects.get(code="BNK").pk,
        date=dt.date(YEAR, 4, 5),
        lines=[{"account_id": acct("1000").pk, "debit": "1"}, {"account_id": acct("4000").pk, "credit": "1"}],
    )
    client.force_login(accountant)
    url = reverse("web:entry-list")

    def shown(**params: Any) -> list[int]:
        html = client.get(url, params).content.decode()
        return [int(pk) for pk in re.findall(r'href="/finance/entries/(\d+)/"', html)]

    with django_assert_max_num_queries(10):
        assert shown() == [bank_entry.pk, pending.pk, second.pk, first.pk]
    assert shown(journal=Journal.objects.get(code="GEN").pk) == [pending.pk, second.pk, first.pk]
    assert shown(state="posted") == [second.pk, first.pk]
    assert shown(state="draft") == [bank_entry.pk, pending.pk]
    assert shown(date_from=f"{YEAR}-02-01", date_to=f"{YEAR}-03-31") == [pending.pk, second.pk]
    assert shown(q=second.number) == [second.pk]
    page = client.get(url).content.decode()
    assert "4 entries" in page
    assert first.number in page
    assert f"Draft #{pending.pk}" in page


def test_entry_list_pages_newest_first_and_its_partial_is_the_full_pages_markup(
    client: Any, accountant: Any, draft: Any
) -> None:
    entries = [draft("1.00", on=dt.date(YEAR, 1, 1) + dt.timedelta(days=n)) for n in range(30)]
    client.force_login(accountant)
    url = reverse("web:entry-list")
    full = client.get(url).content.decode()
    ids = [int(pk) for pk in re.findall(r'href="/finance/entries/(\d+)/"', full)]
    assert ids == [e.pk for e in reversed(entries)][:25]
    cursor = re.search(r'href="\?after=([^"]+)"', full)
    assert cursor is not None
    rest = client.get(url, {"after": cursor.group(1)}).content.decode()
    assert [int(pk) for pk in re.findall(r'href="/finance/entries/(\d+)/"', rest)] == [
        e.pk for e in reversed(entries[:5])
    ]
    partial = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="entry-results").content.decode()
    assert "<html" not in partial
    assert partial.strip() in full


def test_entry_detail_shows_header_lines_hash_and_reversal_links(
    client: Any, accountant: Any, posted: Any, acct: Any, django_assert_max_num_queries: Any
) -> None:
    entry = posted("250.00")
    reversal = services.entry_reverse(actor=accountant, entry_id=entry.pk)
    client.force_login(accountant)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("web:entry-detail", args=[entry.pk])).content.decode()
    assert f'<h1 id="entry-title">{entry.number}</h1>' in page
    assert entry.hash in page
    assert "6100 Rent" in page
    assert "1000 Bank" in page
    assert page.count("250.00") >= 4  # each line and each total
    assert f'href="/finance/entries/{reversal.pk}/">{reversal.number}</a>' in page
    assert reverse("web:entry-reverse", args=[entry.pk]) not in page  # reversed once only
    other = client.get(reverse("web:entry-detail", args=[reversal.pk])).content.decode()
    assert f'href="/finance/entries/{entry.pk}/">{entry.number}</a>' in other


def test_an_unknown_entry_is_not_found(client: Any, accountant: Any, ledger: Any) -> None:
    client.force_login(accountant)
    assert client.get(reverse("web:entry-detail", args=[999999])).status_code == 404


# ---- journal entries: the draft form ----------------------------------------------------


def test_new_entry_form_offers_journals_accounts_and_two_lines(
    client: Any, accountant: Any, gen: Journal
) -> None:
    client.force_login(accountant)
    page = client.get(reverse("web:entry-create")).content.decode()
    assert len(line_rows(page)) == 2
    assert f'<option value="{gen.pk}" selected>GEN General</option>' in page
    assert ">6100 Rent</option>" in page


def test_add_line_returns_the_next_row_and_counts_it(client: Any, accountant: Any, ledger: Any) -> None:
    client.force_login(accountant)
    html = client.get(
        reverse("web:entry-line-row"), {"lines-TOTAL_FORMS": "2"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert len(line_rows(html)) == 1
    assert 'name="lines-2-account_id"' in html
    assert 'name="lines-TOTAL_FORMS" value="3" id="id_lines-TOTAL_FORMS" hx-swap-oob="true"' in html


def test_creating_a_draft_through_the_form(
    client: Any, accountant: Any, gen: Journal, acct: Any, make_user: Any
) -> None:
    from kantoor.parties import services as party_services

    supplier = party_services.party_create(
        actor=make_user("admin"), kind="organisation", name="Landlord B.V."
    )
    client.force_login(accountant)
    data = entry_form(
        [
            {
                "account_id": acct("6100").pk,
                "label": "March rent",
                "debit": "1210.00",
                "party_id": supplier.pk,
            },
            {"account_id": acct("1000").pk, "credit": "1210.00"},
            {},  # a blank row is skipped
        ],
        journal=gen,
        reference="INV-77",
        narration="Rent",
    )

    response = client.post(reverse("web:entry-create"), data)

    entry = JournalEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:entry-detail", args=[entry.pk])
    assert (entry.state, entry.date, entry.reference, entry.narration, entry.journal_id) == (
        EntryState.DRAFT,
        dt.date(YEAR, 3, 20),
        "INV-77",
        "Rent",
        gen.pk,
    )
    assert list(
        entry.lines.order_by("id").values_list("account__code", "label", "party_id", "debit", "credit")
    ) == [
        ("6100", "March rent", supplier.pk, Decimal("1210.00"), Decimal("0.00")),
        ("1000", "", None, Decimal("0.00"), Decimal("1210.00")),
    ]


def test_service_errors_show_next_to_the_right_line_and_nothing_is_written(
    client: Any, accountant: Any, gen: Journal, acct: Any
) -> None:
    client.force_login(accountant)
    before = state()
    data = entry_form(
        [
            {},  # blank: not sent, so the service's lines[0] is the form's second row
            {"account_id": acct("6100").pk, "debit": "10.00"},
            {"label": "no account", "credit": "10.005"},
        ],
        journal=gen,
    )

    response = client.post(reverse("web:entry-create"), data)

    assert response.status_code == 422
    rows = line_rows(response.content.decode())
    assert len(rows) == 3
    assert "error" not in rows[0]
    assert "error" not in rows[1]
    assert "Unknown account." in rows[2]
    assert "At most 2 decimals." in rows[2]
    assert "Please correct the marked lines." in response.content.decode()
    assert state() == before


def test_a_bad_shape_is_refused_by_the_form_and_nothing_is_written(
    client: Any, accountant: Any, gen: Journal, acct: Any
) -> None:
    client.force_login(accountant)
    before = state()
    data = entry_form([{"account_id": acct("6100").pk, "debit": "ten"}], journal=gen, date="31-02-2026")

    response = client.post(reverse("web:entry-create"), data)

    assert response.status_code == 422
    html = response.content.decode()
    assert "Enter a valid date." in html
    assert "Enter a number." in line_rows(html)[0]
    assert state() == before


def test_a_date_without_fiscal_year_is_refused_inline_when_posting(
    client: Any, accountant: Any, gen: Journal, acct: Any
) -> None:
    client.force_login(accountant)
    data = entry_form(
        [{"account_id": acct("6100").pk, "debit": "5"}, {"account_id": acct("1000").pk, "credit": "5"}],
        journal=gen,
        date="2031-01-01",
    )
    client.post(reverse("web:entry-create"), data)
    entry = JournalEntry.objects.get()
    before = state()

    response = client.post(
        reverse("web:entry-post", args=[entry.pk]), {"version": entry.version}, follow=True
    )

    assert "No fiscal year contains 2031-01-01; create it first." in response.content.decode()
    assert state() == before


def test_editing_a_draft_replaces_its_lines(
    client: Any, accountant: Any, draft: Any, gen: Journal, acct: Any
) -> None:
    entry = draft("100.00")
    client.force_login(accountant)
    page = client.get(reverse("web:entry-edit", args=[entry.pk])).content.decode()
    assert len(line_rows(page)) == 3  # two lines and a blank one
    assert 'value="100.00"' in page
    data = entry_form(
        [
            {"account_id": acct("6200").pk, "debit": "80.00", "label": "power"},
            {"account_id": acct("1000").pk, "credit": "80.00"},
        ],
        journal=gen,
        date=f"{YEAR}-04-01",
        reference="R-2",
        version=entry.version,
    )

    response = client.post(reverse("web:entry-edit", args=[entry.pk]), data)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.date, entry.reference, entry.version) == (dt.date(YEAR, 4, 1), "R-2", 2)
    assert list(entry.lines.order_by("id").values_list("account__code", "debit", "credit")) == [
        ("6200", Decimal("80.00"), Decimal("0.00")),
        ("1000", Decimal("0.00"), Decimal("80.00")),
    ]
    # a second save with the old version is refused, and says so
    before = state()
    stale = client.post(reverse("web:entry-edit", args=[entry.pk]), data)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    assert state() == before


def test_a_posted_entry_cannot_be_edited(client: Any, accountant: Any, posted: Any) -> None:
    entry = posted()
    client.force_login(accountant)
    assert client.get(reverse("web:entry-edit", args=[entry.pk])).status_code == 403


# ---- journal entries: post, reverse, delete ---------------------------------------------


def test_posting_a_draft_from_its_page(client: Any, accountant: Any, draft: Any) -> None:
    entry = draft("42.00")
    client.force_login(accountant)
    page = client.get(reverse("web:entry-detail", args=[entry.pk])).content.decode()
    assert reverse("web:entry-post", args=[entry.pk]) in page

    response = client.post(
        reverse("web:entry-post", args=[entry.pk]), {"version": entry.version}, follow=True
    )

    entry.refresh_from_db()
    assert entry.state == EntryState.POSTED
    assert entry.number == f"GEN-{YEAR}-00001"
    html = response.content.decode()
    assert f"Entry {entry.number} was posted." in html
    assert f'<h1 id="entry-title">{entry.number}</h1>' in html
    assert reverse("web:entry-post", args=[entry.pk]) not in html
    assert reverse("web:entry-reverse", args=[entry.pk]) in html


def test_an_unbalanced_draft_is_not_posted(client: Any, accountant: Any, gen: Journal, acct: Any) -> None:
    entry = services.entry_create(
        actor=accountant,
        journal_id=gen.pk,
        date=dt.date(YEAR, 3, 1),
        lines=[{"account_id": acct("6100").pk, "debit": "5"}, {"account_id": acct("1000").pk, "credit": "4"}],
    )
    client.force_login(accountant)
    before = state()

    response = client.post(reverse("web:entry-post", args=[entry.pk]), {"version": 1}, follow=True)

    assert "Debits (5.00) and credits (4.00) differ by 1.00." in response.content.decode()
    assert state() == before


def test_reversing_a_posted_entry_from_its_page(client: Any, accountant: Any, posted: Any) -> None:
    entry = posted("64.00")
    client.force_login(accountant)

    response = client.post(reverse("web:entry-reverse", args=[entry.pk]), {"date": f"{YEAR}-03-31"})

    reversal = JournalEntry.objects.get(reversal_of=entry)
    assert response["Location"] == reverse("web:entry-detail", args=[reversal.pk])
    assert (reversal.state, reversal.date) == (EntryState.POSTED, dt.date(YEAR, 3, 31))
    assert list(reversal.lines.order_by("id").values_list("account__code", "debit", "credit")) == [
        ("6100", Decimal("0.00"), Decimal("64.00")),
        ("1000", Decimal("64.00"), Decimal("0.00")),
    ]
    # a second reversal is refused with a message and writes nothing
    before = state()
    again = client.post(reverse("web:entry-reverse", args=[entry.pk]), follow=True)
    assert f"Entry {entry.number} has been reversed already." in again.content.decode()
    assert state() == before


def test_deleting_a_draft_from_its_page(client: Any, accountant: Any, draft: Any, posted: Any) -> None:
    entry, done = draft(), posted()
    client.force_login(accountant)

    response = client.post(reverse("web:entry-delete", args=[entry.pk]), {"version": entry.version})

    assert response["Location"] == reverse("web:entry-list")
    assert not JournalEntry.objects.filter(pk=entry.pk).exists()
    before = state()
    refused = client.post(reverse("web:entry-delete", args=[done.pk]), follow=True)
    assert "is posted; reverse it instead." in refused.content.decode()
    assert state() == before


# ---- fiscal years, periods, lock date ---------------------------------------------------


def test_fiscal_years_page_lists_periods_and_closes_and_reopens_one(
    client: Any, accountant: Any, ledger: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(accountant)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("web:fiscal-year-list")).content.decode()
    assert f"Fiscal year {YEAR} ({YEAR}-01-01 – {YEAR}-12-31)" in page
    assert page.count('<tr id="period-') == 12
    march = Period.objects.get(fiscal_year__year=YEAR, number=3)

    response = client.post(reverse("web:period-close", args=[march.pk]), {"version": 1}, follow=True)

    march.refresh_from_db()
    assert (march.is_closed, march.version) == (True, 2)
    assert f"Period {YEAR}-03 was closed." in response.content.decode()
    assert reverse("web:period-reopen", args=[march.pk]) in response.content.decode()
    stale = client.post(reverse("web:period-reopen", args=[march.pk]), {"version": 1}, follow=True)
    assert "changed by someone else" in stale.content.decode()
    assert Period.objects.get(pk=march.pk).is_closed
    client.post(reverse("web:period-reopen", args=[march.pk]), {"version": 2})
    assert not Period.objects.get(pk=march.pk).is_closed


def test_the_lock_date_form(client: Any, accountant: Any, ledger: Any) -> None:
    client.force_login(accountant)
    settings = FinanceSettings.objects.get(company=ledger)

    response = client.post(
        reverse("web:lock-date-set"), {"lock_date": f"{YEAR}-01-31", "version": settings.version}, follow=True
    )

    settings.refresh_from_db()
    assert (settings.lock_date, settings.version) == (dt.date(YEAR, 1, 31), 2)
    assert f"The lock date is now {YEAR}-01-31." in response.content.decode()
    assert OutboxEvent.objects.filter(name="finance.PeriodLocked").count() == 1
    # a bad date and a stale version are shown on the form and change nothing
    before = state()
    bad = client.post(reverse("web:lock-date-set"), {"lock_date": "soon", "version": 2})
    assert bad.status_code == 422
    assert "Enter a valid date." in bad.content.decode()
    stale = client.post(reverse("web:lock-date-set"), {"lock_date": f"{YEAR}-02-28", "version": 1})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    assert state() == before


def test_opening_the_next_year_and_closing_this_one_from_the_page(
    client: Any, accountant: Any, ledger: Any, posted: Any, acct: Any
) -> None:
    posted("300.00", debit="1000", credit="4000")
    posted("100.00", debit="6100", credit="1000")
    client.force_login(accountant)
    year = FiscalYear.objects.get(year=YEAR)
    page = client.get(reverse("web:fiscal-year-list")).content.decode()
    assert f"Open fiscal year {YEAR + 1}" in page

    refused = client.post(reverse("web:fiscal-year-close", args=[year.pk]), follow=True)
    assert f"Create the next fiscal year (starting {YEAR + 1}-01-01) first" in refused.content.decode()
    assert not FiscalYear.objects.get(pk=year.pk).is_closed

    client.post(reverse("web:fiscal-year-create"), {"year": str(YEAR + 1)})
    response = client.post(reverse("web:fiscal-year-close", args=[year.pk]), follow=True)

    assert f"Fiscal year {YEAR} was closed; its result is in retained earnings." in response.content.decode()
    assert FiscalYear.objects.get(pk=year.pk).is_closed
    assert not Period.objects.filter(fiscal_year=year, is_closed=False).exists()
    assert AuditEntry.objects.get(action="finance.fiscal_year_close").changes["result"] == "200.00"
    retained = JournalLine.objects.filter(account=acct("3100"), state=EntryState.POSTED)
    assert list(retained.values_list("debit", "credit")) == [(Decimal("0.00"), Decimal("200.00"))]
    html = response.content.decode()
    assert reverse("web:fiscal-year-close", args=[year.pk]) not in html
    assert reverse("web:period-close", args=[Period.objects.get(fiscal_year=year, number=1).pk]) not in html
