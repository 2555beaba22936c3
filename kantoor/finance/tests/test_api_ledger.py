"""The ledger at /api/v1/: accounts, journals, fiscal years, entries from draft to posted and
reversed, and the trial balance. Amounts are decimal strings both ways; a refused call
changes no row of any table (the ledger's included)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kantoor.core.tests.api_support import Api, assert_problem, nothing_written, token_for
from kantoor.finance import services
from kantoor.finance.models import FinanceSettings, FiscalYear, JournalEntry, JournalLine, Period
from kantoor.finance.tests.conftest import YEAR

pytestmark = pytest.mark.django_db


def _ledger_rows() -> list[Any]:
    return [
        list(model.objects.order_by("pk").values())
        for model in (JournalEntry, JournalLine, Period, FiscalYear, FinanceSettings)
    ]


@contextmanager
def nothing_changed() -> Iterator[None]:
    """No row of core, parties or the ledger changed (outbox and audit included)."""
    before = _ledger_rows()
    with nothing_written():
        yield
    assert _ledger_rows() == before


def _delete(api: Api, path: str) -> Any:
    return api.client.delete(f"/api/v1{path}", headers=api._headers(None, None))


def _send(api: Api, method: str, path: str, body: Any = None) -> Any:
    return _delete(api, path) if method == "delete" else api.send(method, path, body)


@pytest.fixture
def fiona(api_as: Any, accountant: Any, ledger: Any) -> Api:
    api: Api = api_as(accountant)
    return api


def _entry_body(acct: Any, journal: Any, amount: str = "1234.56", **extra: Any) -> dict[str, Any]:
    return {
        "journal_id": journal("GEN").pk,
        "date": f"{YEAR}-03-15",
        "reference": "INV-7",
        "narration": "March rent",
        "lines": [
            {"account_id": acct("6100").pk, "debit": amount, "label": "Rent"},
            {"account_id": acct("1000").pk, "credit": amount},
        ],
        **extra,
    }


# ----------------------------------------------------------------------------- reads


def test_accounts_by_code_with_filters_and_pages(fiona: Api, acct: Any) -> None:
    first = fiona.get("/accounts", {"limit": 3}).json()
    assert [a["code"] for a in first["items"]] == ["1000", "1010", "1100"]
    assert first["items"][0] == {
        "id": acct("1000").pk,
        "code": "1000",
        "name": "Bank",
        "account_type": "asset",
        "role": "bank",
        "reference_code": "",
        "is_reconcilable": True,
        "is_active": True,
        "currency": "",
    }
    second = fiona.get("/accounts", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [a["code"] for a in second["items"]] == ["1150", "1200", "1250"]

    expenses = fiona.get("/accounts", {"type": "expense", "role": "expense"}).json()["items"]
    assert [a["code"] for a in expenses] == ["6100", "6200", "6300", "6400", "6500", "6700"]
    assert fiona.get("/accounts", {"active": "false"}).json()["items"] == []
    assert_problem(fiona.get("/accounts", {"type": "nonsense"}), 422, "invalid-input")


def test_journals_and_fiscal_years(fiona: Api, journal: Any) -> None:
    journals = fiona.get("/journals").json()["items"]
    assert [(j["code"], j["kind"]) for j in journals] == [
        ("BNK", "bank"),
        ("CSH", "cash"),
        ("GEN", "general"),
        ("PUR", "purchase"),
        ("SAL", "sales"),
        ("STK", "stock"),
    ]
    assert journals[2] == {
        "id": journal("GEN").pk,
        "code": "GEN",
        "name": "General",
        "kind": "general",
        "default_account_id": None,
    }

    years = fiona.get("/fiscal-years").json()["items"]
    assert [(y["year"], y["start_date"], y["end_date"], y["is_closed"]) for y in years] == [
        (YEAR, f"{YEAR}-01-01", f"{YEAR}-12-31", False)
    ]
    periods = years[0]["periods"]
    assert [p["number"] for p in periods] == list(range(1, 13))
    assert periods[1] | {"id": 0} == {
        "id": 0,
        "number": 2,
        "start_date": f"{YEAR}-02-01",
        "end_date": f"{YEAR}-02-28",
        "is_closed": False,
        "version": 1,
    }


# ----------------------------------------------------------------------------- entries


def test_create_a_draft_with_decimal_strings(fiona: Api, acct: Any, journal: Any, accountant: Any) -> None:
    response = fiona.post("/entries", _entry_body(acct, journal))

    assert response.status_code == 201, response.content
    body = response.json()
    entry = JournalEntry.objects.get()
    lines = list(entry.lines.order_by("id"))
    assert body == {
        "id": entry.pk,
        "journal_id": journal("GEN").pk,
        "number": "",
        "date": f"{YEAR}-03-15",
        "reference": "INV-7",
        "narration": "March rent",
        "state": "draft",
        "posted_at": None,
        "posted_by_id": None,
        "reversal_of_id": None,
        "created_by_id": accountant.pk,
        "created_at": body["created_at"],
        "version": 1,
        "hash": "",
        "lines": [
            {
                "id": lines[0].pk,
                "account_id": acct("6100").pk,
                "party_id": None,
                "label": "Rent",
                "debit": "1234.56",
                "credit": "0.00",
                "currency": "EUR",
                "amount_currency": "1234.560000",
                "rate": "1.0000000000",
                "due_date": None,
            },
            {
                "id": lines[1].pk,
                "account_id": acct("1000").pk,
                "party_id": None,
                "label": "",
                "debit": "0.00",
                "credit": "1234.56",
                "currency": "EUR",
                "amount_currency": "-1234.560000",
                "rate": "1.0000000000",
                "due_date": None,
            },
        ],
    }
    assert fiona.get(f"/entries/{entry.pk}").json() == body


@pytest.mark.parametrize(
    ("amount", "field", "code"),
    [
        (1234.5, "lines.0.debit", "invalid-input"),  # a JSON number: clients parse it as a float
        ("12.345", "lines[0].debit", "entry-invalid"),  # more decimals than the currency has
        ("1e3", "lines.0.debit", "invalid-input"),
        ("100000000000000", "lines.0.debit", "invalid-input"),  # more than 14 digits
    ],
)
def test_amounts_that_are_not_exact_decimal_strings_are_refused(
    fiona: Api, acct: Any, journal: Any, amount: Any, field: str, code: str
) -> None:
    with nothing_changed():
        response = fiona.post("/entries", _entry_body(acct, journal, amount))

    problem = assert_problem(response, 422, code)
    assert field in {error["field"] for error in problem["errors"]}, problem["errors"]


def test_a_line_on_an_unknown_account_names_the_line(fiona: Api, acct: Any, journal: Any) -> None:
    body = _entry_body(acct, journal)
    body["lines"][1]["account_id"] = 999_999

    with nothing_changed():
        problem = assert_problem(fiona.post("/entries", body), 422, "entry-invalid")

    assert [(e["field"], e["message"]) for e in problem["errors"]] == [
        ("lines[1].account_id", "Unknown account.")
    ]


def test_list_newest_first_with_filters_and_pages(fiona: Api, draft: Any, posted: Any, journal: Any) -> None:
    import datetime as dt

    march = draft("1.00", on=dt.date(YEAR, 3, 1))
    april = posted("2.00", on=dt.date(YEAR, 4, 1), journal_code="BNK")
    may = draft("3.00", on=dt.date(YEAR, 5, 1))
    also_may = draft("4.00", on=dt.date(YEAR, 5, 1))

    def ids(params: dict[str, Any]) -> list[int]:
        return [e["id"] for e in fiona.get("/entries", params).json()["items"]]

    assert ids({}) == [also_may.pk, may.pk, april.pk, march.pk]
    assert ids({"state": "posted"}) == [april.pk]
    assert ids({"journal": journal("GEN").pk}) == [also_may.pk, may.pk, march.pk]
    assert ids({"date_from": f"{YEAR}-03-02", "date_to": f"{YEAR}-04-30"}) == [april.pk]
    page = fiona.get("/entries", {"limit": 3, "with_count": "true"}).json()
    assert [e["id"] for e in page["items"]] == [also_may.pk, may.pk, april.pk]
    assert (page["count"], page["count_capped"]) == (4, False)
    assert ids({"limit": 3, "cursor": page["next_cursor"]}) == [march.pk]
    listed = fiona.get("/entries", {"state": "posted"}).json()["items"][0]
    assert (listed["number"], listed["state"], "lines" in listed) == (april.number, "posted", False)


def test_the_entries_list_costs_the_same_for_3_or_30_entries(fiona: Api, draft: Any, posted: Any) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = fiona.get("/entries", {"limit": 200})
        assert response.status_code == 200
        return len(captured)

    for _ in range(3):
        posted("5.00")
    few = queries()
    for _ in range(27):
        draft("5.00")
    assert len(fiona.get("/entries", {"limit": 200}).json()["items"]) == 30
    assert queries() == few
    assert few <= 4  # the token, its user, and the page


def test_update_a_draft_replaces_its_lines(fiona: Api, draft: Any, acct: Any) -> None:
    entry = draft("100.00")

    response = fiona.patch(
        f"/entries/{entry.pk}",
        {
            "version": 1,
            "narration": "Corrected",
            "lines": [
                {"account_id": acct("6200").pk, "debit": "80.10"},
                {"account_id": acct("1010").pk, "credit": "80.10"},
            ],
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["version"], body["narration"], body["date"]) == (2, "Corrected", f"{YEAR}-03-15")
    assert [(line["account_id"], line["debit"], line["credit"]) for line in body["lines"]] == [
        (acct("6200").pk, "80.10", "0.00"),
        (acct("1010").pk, "0.00", "80.10"),
    ]
    assert JournalLine.objects.filter(entry=entry).count() == 2


def test_a_stale_version_is_refused_and_changes_nothing(fiona: Api, draft: Any) -> None:
    entry = draft("100.00")
    assert fiona.patch(f"/entries/{entry.pk}", {"version": 1, "reference": "A"}).status_code == 200

    with nothing_changed():
        stale = fiona.patch(f"/entries/{entry.pk}", {"version": 1, "reference": "B"})
        stale_delete = _delete(fiona, f"/entries/{entry.pk}?version=1")
        stale_post = fiona.post(f"/entries/{entry.pk}/post", {"version": 1})

    assert_problem(stale, 409, "stale-version")
    assert_problem(stale_delete, 409, "stale-version")
    assert_problem(stale_post, 409, "stale-version")
    assert JournalEntry.objects.get().reference == "A"


def test_delete_a_draft(fiona: Api, draft: Any) -> None:
    entry = draft("100.00")

    response = _delete(fiona, f"/entries/{entry.pk}?version=1")

    assert (response.status_code, response.content) == (204, b"")
    assert not JournalEntry.objects.exists()
    assert not JournalLine.objects.exists()
    assert_problem(fiona.get(f"/entries/{entry.pk}"), 404, "not-found")


def test_post_a_draft_then_reverse_it(fiona: Api, draft: Any, accountant: Any, acct: Any) -> None:
    entry = draft("250.00")

    response = fiona.post(f"/entries/{entry.pk}/post", {"version": 1})

    assert response.status_code == 200, response.content
    body = response.json()
    entry.refresh_from_db()
    assert entry.number
    assert (body["state"], body["number"], body["posted_by_id"], body["hash"]) == (
        "posted",
        entry.number,
        accountant.pk,
        entry.hash,
    )

    reversed_ = fiona.post(f"/entries/{entry.pk}/reverse", {"date": f"{YEAR}-03-31"})

    assert reversed_.status_code == 201, reversed_.content
    reversal = reversed_.json()
    assert (reversal["state"], reversal["reversal_of_id"], reversal["date"]) == (
        "posted",
        entry.pk,
        f"{YEAR}-03-31",
    )
    assert reversal["narration"] == f"Reversal of {entry.number}"
    assert [(line["account_id"], line["debit"], line["credit"]) for line in reversal["lines"]] == [
        (acct("6100").pk, "0.00", "250.00"),
        (acct("1000").pk, "250.00", "0.00"),
    ]


def test_refused_state_changes_change_nothing(fiona: Api, draft: Any, posted: Any, acct: Any) -> None:
    done = posted("10.00")
    unbalanced = draft("10.00")
    services.entry_update(
        actor=unbalanced.created_by,
        entry_id=unbalanced.pk,
        version=1,
        lines=[{"account_id": acct("6100").pk, "debit": "10.00"}],
    )
    fiona.post(f"/entries/{done.pk}/reverse", {})

    with nothing_changed():
        cases = {
            "post unbalanced": (fiona.post(f"/entries/{unbalanced.pk}/post", {"version": 2}), 422),
            "post posted": (fiona.post(f"/entries/{done.pk}/post", {"version": 1}), 409),
            "change posted": (fiona.patch(f"/entries/{done.pk}", {"version": 1, "narration": "x"}), 409),
            "delete posted": (
                _delete(fiona, f"/entries/{done.pk}?version=1"),
                409,
            ),
            "reverse a draft": (fiona.post(f"/entries/{unbalanced.pk}/reverse", {}), 409),
            "reverse twice": (fiona.post(f"/entries/{done.pk}/reverse", {}), 409),
            "unknown entry": (fiona.post("/entries/999999/post", {"version": 1}), 404),
        }

    for name, (response, status) in cases.items():
        assert response.status_code == status, (name, response.content)
    assert_problem(cases["post unbalanced"][0], 422, "entry-unbalanced")
    assert_problem(cases["reverse twice"][0], 409, "entry-state")


def test_trial_balance_as_strings(fiona: Api, posted: Any, draft: Any, acct: Any) -> None:
    import datetime as dt

    posted("100.10")
    posted("0.25", debit="1000", credit="4000", on=dt.date(YEAR, 6, 1))
    draft("999.00")  # drafts do not count

    assert fiona.get("/trial-balance").json() == {
        "up_to": None,
        "rows": [
            {
                "account_id": acct("1000").pk,
                "code": "1000",
                "name": "Bank",
                "debit": "0.25",
                "credit": "100.10",
                "balance": "-99.85",
            },
            {
                "account_id": acct("4000").pk,
                "code": "4000",
                "name": "Sales revenue",
                "debit": "0.00",
                "credit": "0.25",
                "balance": "-0.25",
            },
            {
                "account_id": acct("6100").pk,
                "code": "6100",
                "name": "Rent",
                "debit": "100.10",
                "credit": "0.00",
                "balance": "100.10",
            },
        ],
        "total_debit": "100.35",
        "total_credit": "100.35",
    }
    march = fiona.get("/trial-balance", {"up_to": f"{YEAR}-05-31"}).json()
    assert (march["up_to"], march["total_debit"], [r["code"] for r in march["rows"]]) == (
        f"{YEAR}-05-31",
        "100.10",
        ["1000", "6100"],
    )


# ----------------------------------------------------------------------------- permissions


@dataclass
class World:
    callers: dict[str, Api]
    ids: dict[str, int]


@pytest.fixture
def world(
    ledger: Any,
    accountant: Any,
    make_user: Any,
    nobody: Any,
    outsider: Any,
    draft: Any,
    posted: Any,
    acct: Any,
) -> World:
    callers = {
        "anonymous": Api(Client()),
        "no role": Api(Client(), token_for(nobody)),
        "sales": Api(Client(), token_for(make_user("sales"))),
        "management": Api(Client(), token_for(make_user("management"))),
        "other company": Api(Client(), token_for(outsider)),
        "finance": Api(Client(), token_for(accountant)),
    }
    ids = {
        "draft": draft("10.00").pk,
        "posted": posted("20.00").pk,
        "journal": JournalEntry.objects.get(pk=posted("1.00").pk).journal_id,
        "rent": acct("6100").pk,
        "bank": acct("1000").pk,
    }
    return World(callers, ids)


ENDPOINTS: dict[str, tuple[str, str, Any]] = {
    "create_entry": (
        "post",
        "/entries",
        {
            "journal_id": "{journal}",
            "date": f"{YEAR}-03-02",
            "lines": [{"account_id": "{rent}", "debit": "5"}, {"account_id": "{bank}", "credit": "5"}],
        },
    ),
    "update_entry": ("patch", "/entries/{draft}", {"version": 1, "narration": "x"}),
    "delete_entry": ("delete", "/entries/{draft}?version=1", None),
    "post_entry": ("post", "/entries/{draft}/post", {"version": 1}),
    "reverse_entry": ("post", "/entries/{posted}/reverse", {}),
}

ALLOWED = {
    "create_entry": 201,
    "update_entry": 200,
    "delete_entry": 204,
    "post_entry": 200,
    "reverse_entry": 201,
}

CASES = [
    *[
        ("create_entry", caller, status)
        for caller, status in (
            ("anonymous", 401),
            ("no role", 403),
            ("sales", 403),
            ("management", 403),
            ("other company", 422),  # the journal id names nothing in their company
        )
    ],
    *[
        (endpoint, caller, status)
        for endpoint in ("update_entry", "delete_entry", "post_entry", "reverse_entry")
        for caller, status in (
            ("anonymous", 401),
            ("no role", 404),
            ("sales", 404),
            ("other company", 404),
            ("management", 403),  # sees the ledger, may not write it
        )
    ],
    *[(endpoint, "finance", status) for endpoint, status in ALLOWED.items()],
]


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize(("endpoint", "caller", "status"), CASES)
def test_permissions(world: World, endpoint: str, caller: str, status: int) -> None:
    method, path, body = ENDPOINTS[endpoint]
    path = path.format(**world.ids)
    api = world.callers[caller]

    if status >= 400:
        with nothing_changed():
            response = _send(api, method, path, _fill(body, world.ids))
        assert_problem(response, status)
    else:
        before = _ledger_rows()
        response = _send(api, method, path, _fill(body, world.ids))
        assert response.status_code == status, response.content
        assert _ledger_rows() != before


@pytest.mark.parametrize("caller", ["no role", "sales", "other company"])
def test_reads_out_of_reach(world: World, caller: str) -> None:
    api = world.callers[caller]
    assert_problem(api.get(f"/entries/{world.ids['draft']}"), 404, "not-found")
    for path in ("/entries", "/accounts", "/journals", "/fiscal-years"):
        assert api.get(path).json()["items"] == [], path
    if caller == "other company":  # an administrator there: their own, empty ledger
        assert api.get("/trial-balance").json()["rows"] == []
    else:
        assert_problem(api.get("/trial-balance"), 403, "permission-denied")


def test_management_reads_the_ledger(world: World) -> None:
    api = world.callers["management"]
    assert len(api.get("/entries").json()["items"]) == 3
    assert api.get("/trial-balance").json()["total_debit"] == "21.00"
    assert api.get(f"/entries/{world.ids['draft']}").status_code == 200


def test_a_retried_post_with_the_same_key_posts_once(fiona: Api, draft: Any) -> None:
    entry = draft("75.00")

    first = fiona.post(f"/entries/{entry.pk}/post", {"version": 1}, key="post-once")
    again = fiona.post(f"/entries/{entry.pk}/post", {"version": 1}, key="post-once")

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()
    assert JournalEntry.objects.filter(state="posted").count() == 1
