"""Fiscal years, periods and the lock date at /api/v1/: opening and closing a year, closing
and reopening periods, reading and setting the lock date. A refused call changes no row of
any table (the ledger's included)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from kantoor.core.models import AuditEntry
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
    before = _ledger_rows()
    with nothing_written():
        yield
    assert _ledger_rows() == before


def _put(api: Api, path: str, body: Any) -> Any:
    return api.client.put(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=api._headers(None, None)
    )


def _send(api: Api, method: str, path: str, body: Any = None) -> Any:
    return _put(api, path, body) if method == "put" else api.send(method, path, body)


@pytest.fixture
def fiona(api_as: Any, accountant: Any, ledger: Any) -> Api:
    api: Api = api_as(accountant)
    return api


@pytest.fixture
def year(ledger: Any) -> FiscalYear:
    return FiscalYear.objects.get(company=ledger, year=YEAR)


def _period(year: FiscalYear, number: int) -> Period:
    return Period.objects.get(fiscal_year=year, number=number)


# ----------------------------------------------------------------------------- fiscal years


def test_open_a_fiscal_year_with_its_twelve_periods(fiona: Api, ledger: Any) -> None:
    response = fiona.post("/fiscal-years", {"year": YEAR + 1})

    assert response.status_code == 201, response.content
    body = response.json()
    created = FiscalYear.objects.get(company=ledger, year=YEAR + 1)
    assert {k: v for k, v in body.items() if k != "periods"} == {
        "id": created.pk,
        "year": YEAR + 1,
        "start_date": f"{YEAR + 1}-01-01",
        "end_date": f"{YEAR + 1}-12-31",
        "is_closed": False,
        "version": 1,
        "closing_entry": "",
    }
    assert [(p["number"], p["start_date"], p["end_date"]) for p in body["periods"]][:2] == [
        (1, f"{YEAR + 1}-01-01", f"{YEAR + 1}-01-31"),
        (2, f"{YEAR + 1}-02-01", f"{YEAR + 1}-02-28"),
    ]
    assert body["periods"][11]["end_date"] == f"{YEAR + 1}-12-31"
    assert Period.objects.filter(fiscal_year=created).count() == 12
    assert (
        AuditEntry.objects.filter(action="finance.fiscal_year_create", object_id=str(created.pk)).count() == 1
    )


def test_a_fiscal_year_that_exists_or_is_out_of_range_is_refused(fiona: Api) -> None:
    with nothing_changed():
        exists = assert_problem(fiona.post("/fiscal-years", {"year": YEAR}), 422)
    assert [e["field"] for e in exists["errors"]] == ["year"]
    with nothing_changed():
        for body in ({"year": 1899}, {"year": 9999}, {"year": "next"}, {}, {"year": YEAR + 2, "x": 1}):
            assert_problem(fiona.post("/fiscal-years", body), 422, "invalid-input")


def test_read_one_fiscal_year(fiona: Api, year: FiscalYear) -> None:
    body = fiona.get(f"/fiscal-years/{year.pk}").json()

    assert (body["id"], body["year"], body["version"], body["is_closed"], body["closing_entry"]) == (
        year.pk,
        YEAR,
        1,
        False,
        "",
    )
    assert [p["id"] for p in body["periods"]] == list(
        Period.objects.filter(fiscal_year=year).order_by("number").values_list("pk", flat=True)
    )
    assert_problem(fiona.get("/fiscal-years/999999"), 404, "not-found")


def test_close_a_fiscal_year_answers_the_closing_entry_number(
    fiona: Api, accountant: Any, year: FiscalYear, posted: Any
) -> None:
    posted("250.00")  # rent: a loss of 250.00
    services.fiscal_year_create(actor=accountant, year=YEAR + 1)

    response = fiona.post(f"/fiscal-years/{year.pk}/close", {"version": 1})

    assert response.status_code == 200, response.content
    body = response.json()
    year.refresh_from_db()
    assert year.closing_entry is not None
    assert (body["is_closed"], body["version"], body["closing_entry"]) == (True, 2, year.closing_entry.number)
    assert year.closing_entry.number != ""
    assert [p["is_closed"] for p in body["periods"]] == [True] * 12
    assert fiona.get(f"/fiscal-years/{year.pk}").json()["closing_entry"] == year.closing_entry.number


def test_closing_a_year_refusals(fiona: Api, accountant: Any, year: FiscalYear) -> None:
    with nothing_changed():  # the next year does not exist yet
        assert_problem(fiona.post(f"/fiscal-years/{year.pk}/close", {"version": 1}), 409)
    services.fiscal_year_create(actor=accountant, year=YEAR + 1)
    with nothing_changed():
        assert_problem(fiona.post(f"/fiscal-years/{year.pk}/close", {"version": 2}), 409, "stale-version")
        assert_problem(fiona.post(f"/fiscal-years/{year.pk}/close", {}), 422, "invalid-input")
        assert_problem(fiona.post("/fiscal-years/999999/close", {"version": 1}), 404, "not-found")

    assert fiona.post(f"/fiscal-years/{year.pk}/close", {"version": 1}).json()["closing_entry"] == ""
    with nothing_changed():  # closed already
        assert_problem(fiona.post(f"/fiscal-years/{year.pk}/close", {"version": 2}), 409)


# ----------------------------------------------------------------------------- periods


def test_close_and_reopen_a_period(fiona: Api, year: FiscalYear) -> None:
    march = _period(year, 3)

    closed = fiona.post(f"/periods/{march.pk}/close", {"version": 1})
    assert closed.status_code == 200, closed.content
    assert closed.json() == {
        "id": march.pk,
        "number": 3,
        "start_date": f"{YEAR}-03-01",
        "end_date": f"{YEAR}-03-31",
        "is_closed": True,
        "version": 2,
    }
    reopened = fiona.post(f"/periods/{march.pk}/reopen", {"version": 2}).json()
    assert (reopened["is_closed"], reopened["version"]) == (False, 3)
    march.refresh_from_db()
    assert (march.is_closed, march.version) == (False, 3)
    assert list(
        AuditEntry.objects.filter(object_id=str(march.pk), model="finance.period")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["finance.period_close", "finance.period_reopen"]


def test_period_refusals_change_nothing(fiona: Api, accountant: Any, year: FiscalYear) -> None:
    march = _period(year, 3)
    with nothing_changed():
        assert_problem(fiona.post(f"/periods/{march.pk}/close", {"version": 2}), 409, "stale-version")
        assert_problem(fiona.post(f"/periods/{march.pk}/reopen", {"version": 1}), 409)  # open already
        assert_problem(fiona.post("/periods/999999/close", {"version": 1}), 404, "not-found")
        assert_problem(fiona.post(f"/periods/{march.pk}/close", {"version": 0}), 422, "invalid-input")

    services.period_close(actor=accountant, period_id=march.pk, version=1)
    services.lock_date_set(actor=accountant, lock_date=dt.date(YEAR, 3, 31))
    with nothing_changed():
        assert_problem(fiona.post(f"/periods/{march.pk}/close", {"version": 2}), 409)  # closed already
        locked = assert_problem(
            fiona.post(f"/periods/{march.pk}/reopen", {"version": 2}), 409, "period-locked"
        )
    assert f"{YEAR}-03-31" in locked["detail"]


# ----------------------------------------------------------------------------- lock date


def test_read_and_set_the_lock_date(fiona: Api, ledger: Any) -> None:
    assert fiona.get("/lock-date").json() == {"lock_date": None, "version": 1}

    response = _put(fiona, "/lock-date", {"lock_date": f"{YEAR}-02-28", "version": 1})
    assert response.status_code == 200, response.content
    assert response.json() == {"lock_date": f"{YEAR}-02-28", "version": 2}
    assert fiona.get("/lock-date").json() == {"lock_date": f"{YEAR}-02-28", "version": 2}
    assert FinanceSettings.objects.get(company=ledger).lock_date == dt.date(YEAR, 2, 28)

    removed = _put(fiona, "/lock-date", {"lock_date": None, "version": 2}).json()
    assert removed == {"lock_date": None, "version": 3}
    assert AuditEntry.objects.filter(action="finance.lock_date_set").count() == 2


def test_lock_date_refusals_change_nothing(fiona: Api, accountant: Any) -> None:
    services.lock_date_set(actor=accountant, lock_date=dt.date(YEAR, 1, 31))  # version 2
    with nothing_changed():
        assert_problem(
            _put(fiona, "/lock-date", {"lock_date": f"{YEAR}-06-30", "version": 1}), 409, "stale-version"
        )
        assert_problem(_put(fiona, "/lock-date", {"lock_date": f"{YEAR}-06-30"}), 422, "invalid-input")
        assert_problem(_put(fiona, "/lock-date", {"lock_date": "June", "version": 2}), 422, "invalid-input")


def test_a_lock_date_stops_posting_into_the_locked_range(fiona: Api, draft: Any) -> None:
    entry = draft("10.00", on=dt.date(YEAR, 3, 15))
    assert _put(fiona, "/lock-date", {"lock_date": f"{YEAR}-03-31", "version": 1}).status_code == 200

    with nothing_changed():
        assert_problem(fiona.post(f"/entries/{entry.pk}/post", {"version": 1}), 409, "period-locked")


# ----------------------------------------------------------------------------- permissions


@dataclass
class World:
    callers: dict[str, Api]
    ids: dict[str, int]


@pytest.fixture
def world(
    ledger: Any, accountant: Any, make_user: Any, nobody: Any, outsider: Any, year: FiscalYear
) -> World:
    services.fiscal_year_create(actor=accountant, year=YEAR + 1)
    services.period_close(actor=accountant, period_id=_period(year, 2).pk)
    callers = {
        "anonymous": Api(Client()),
        "no role": Api(Client(), token_for(nobody)),
        "sales": Api(Client(), token_for(make_user("sales"))),
        "management": Api(Client(), token_for(make_user("management"))),
        "other company": Api(Client(), token_for(outsider)),
        "finance": Api(Client(), token_for(accountant)),
    }
    ids = {"year": year.pk, "open": _period(year, 3).pk, "closed": _period(year, 2).pk}
    return World(callers, ids)


ENDPOINTS: dict[str, tuple[str, str, Any]] = {
    "create_year": ("post", "/fiscal-years", {"year": YEAR + 2}),
    "close_year": ("post", "/fiscal-years/{year}/close", {"version": 1}),
    "close_period": ("post", "/periods/{open}/close", {"version": 1}),
    "reopen_period": ("post", "/periods/{closed}/reopen", {"version": 2}),
    "set_lock_date": ("put", "/lock-date", {"lock_date": f"{YEAR}-01-31", "version": 1}),
}

ALLOWED = {
    "create_year": 201,
    "close_year": 200,
    "close_period": 200,
    "reopen_period": 200,
    "set_lock_date": 200,
}

CASES = [
    *[
        (endpoint, caller, status)
        for endpoint in ("create_year", "set_lock_date")
        for caller, status in (
            ("anonymous", 401),
            ("no role", 403),
            ("sales", 403),
            ("management", 403),
        )
    ],
    *[
        (endpoint, caller, status)
        for endpoint in ("close_year", "close_period", "reopen_period")
        for caller, status in (
            ("anonymous", 401),
            ("no role", 404),
            ("sales", 404),
            ("other company", 404),
            ("management", 403),  # sees the ledger, may not change it
        )
    ],
    *[(endpoint, "finance", status) for endpoint, status in ALLOWED.items()],
]


@pytest.mark.parametrize(("endpoint", "caller", "status"), CASES)
def test_permissions(world: World, endpoint: str, caller: str, status: int) -> None:
    method, path, body = ENDPOINTS[endpoint]
    path = path.format(**world.ids)
    api = world.callers[caller]

    if status >= 400:
        with nothing_changed():
            response = _send(api, method, path, body)
        assert_problem(response, status)
    else:
        before = _ledger_rows()
        response = _send(api, method, path, body)
        assert response.status_code == status, response.content
        assert _ledger_rows() != before


def test_another_company_writes_only_its_own_years_and_lock_date(world: World, outsider: Any) -> None:
    api = world.callers["other company"]
    before = _ledger_rows()

    assert api.post("/fiscal-years", {"year": YEAR}).status_code == 201
    assert _put(api, "/lock-date", {"lock_date": f"{YEAR}-01-31", "version": 1}).status_code == 200

    assert FiscalYear.objects.filter(company=outsider.company).count() == 1
    assert FinanceSettings.objects.get(company=outsider.company).lock_date == dt.date(YEAR, 1, 31)
    after = _ledger_rows()
    # The first company's periods, years and settings are untouched.
    assert after[2][: len(before[2])] == before[2]
    assert after[3][: len(before[3])] == before[3]
    assert [row for row in after[4] if row["company_id"] != outsider.company_id] == before[4]


def test_management_reads_years_and_the_lock_date(world: World) -> None:
    api = world.callers["management"]
    assert api.get(f"/fiscal-years/{world.ids['year']}").json()["year"] == YEAR
    assert api.get("/lock-date").json() == {"lock_date": None, "version": 1}


@pytest.mark.parametrize("caller", ["no role", "sales", "other company"])
def test_reads_out_of_reach(world: World, caller: str) -> None:
    api = world.callers[caller]
    assert_problem(api.get(f"/fiscal-years/{world.ids['year']}"), 404, "not-found")
    if caller == "other company":  # an administrator there: their own, unset lock date
        assert api.get("/lock-date").json() == {"lock_date": None, "version": 1}
    else:
        assert_problem(api.get("/lock-date"), 403, "permission-denied")
