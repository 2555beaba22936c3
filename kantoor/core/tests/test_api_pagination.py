"""Keyset pagination: pages follow each other without gaps or repeats, the cursor is
opaque and tamper-proof, the count is capped, and no page is an OFFSET query."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kantoor.core import pagination
from kantoor.core.services import team_create
from kantoor.core.tests.api_support import Api, assert_problem, token_for


@pytest.fixture
def api(admin_user: Any) -> Api:
    return Api(Client(), token_for(admin_user), admin_user)


@pytest.fixture
def seven_users(admin_user: Any, make_user: Any) -> list[int]:
    for _ in range(6):
        make_user("sales")
    return [admin_user.pk, *(u.pk for u in admin_user.company.users.exclude(pk=admin_user.pk).order_by("pk"))]


def _ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def test_pages_cover_the_list_once_in_order(api: Api, seven_users: list[int]) -> None:
    first = api.get("/users", {"limit": 3}).json()
    second = api.get("/users", {"limit": 3, "cursor": first["next_cursor"]}).json()
    third = api.get("/users", {"limit": 3, "cursor": second["next_cursor"]}).json()

    assert _ids(first) + _ids(second) + _ids(third) == seven_users
    assert (len(first["items"]), len(second["items"]), len(third["items"])) == (3, 3, 1)
    assert third["next_cursor"] is None


def test_a_full_last_page_has_no_next_cursor(api: Api, seven_users: list[int]) -> None:
    page = api.get("/users", {"limit": 7}).json()

    assert _ids(page) == seven_users
    assert page["next_cursor"] is None


def test_the_default_page_holds_fifty(api: Api, make_user: Any) -> None:
    for _ in range(55):
        make_user()

    page = api.get("/users").json()

    assert len(page["items"]) == 50
    assert page["next_cursor"]


def test_a_row_added_before_the_cursor_does_not_shift_the_next_page(
    api: Api, seven_users: list[int], make_user: Any
) -> None:
    first = api.get("/users", {"limit": 3}).json()
    newcomer = make_user("sales")  # sorts last: keyset pages neither skip nor repeat

    rest = api.get("/users", {"limit": 10, "cursor": first["next_cursor"]}).json()

    assert _ids(rest) == [*seven_users[3:], newcomer.pk]


def test_the_count_is_capped(api: Api, seven_users: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    exact = api.get("/users", {"limit": 2, "with_count": "true"}).json()
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    capped = api.get("/users", {"limit": 2, "with_count": "true"}).json()

    assert (exact["count"], exact["count_capped"]) == (7, False)
    assert (capped["count"], capped["count_capped"]) == (5, True)


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WzFd:forged", "WyJhIl0:1a2b3c"])
def test_a_forged_cursor_is_a_422(api: Api, seven_users: list[int], cursor: str) -> None:
    problem = assert_problem(api.get("/users", {"cursor": cursor}), 422, "invalid-input")

    assert problem["errors"] == [
        {"field": "cursor", "message": "This cursor is not valid here; start again from the first page."}
    ]


def test_a_cursor_of_another_list_is_refused(api: Api, admin_user: Any) -> None:
    for name in ("North", "South", "East"):
        team_create(actor=admin_user, name=name)
    team_cursor = api.get("/teams", {"limit": 1}).json()["next_cursor"]

    assert_problem(api.get("/users", {"cursor": team_cursor}), 422, "invalid-input")


def test_a_next_page_is_a_range_not_an_offset(api: Api, seven_users: list[int]) -> None:
    cursor = api.get("/users", {"limit": 3}).json()["next_cursor"]

    with CaptureQueriesContext(connection) as queries:
        api.get("/users", {"limit": 3, "cursor": cursor})

    users_query = next(q["sql"] for q in queries.captured_queries if 'FROM "core_user"' in q["sql"])
    assert "OFFSET" not in users_query.upper()
    assert '"core_user"."id" >' in users_query
