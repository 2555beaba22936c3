"""Users through the API: colleagues are visible to everyone in the company, created and
changed by administrators only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kantoor.core.models import AuditEntry, OutboxEvent, User
from kantoor.core.services import team_create
from kantoor.core.tests.api_support import Api, assert_problem, nothing_written, token_for

PASSWORD = "Piet-kantoor-2026!"


@pytest.fixture
def api(admin_user: Any) -> Api:
    return Api(Client(), token_for(admin_user), admin_user)


def _user(user: Any, roles: dict[str, str], team_ids: list[int]) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "is_active": user.is_active,
        "roles": roles,
        "team_ids": team_ids,
    }


def test_everyone_sees_the_colleagues_of_their_company_only(
    admin_user: Any, salesperson: Any, nobody: Any, outsider: Any
) -> None:
    team = team_create(actor=admin_user, name="Sales", member_ids=[salesperson.pk])
    api = Api(Client(), token_for(nobody))

    response = api.get("/users")

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            _user(admin_user, {"admin": "company"}, []),
            _user(salesperson, {"sales": "company"}, [team.pk]),
            _user(nobody, {}, []),
        ],
        "next_cursor": None,
        "count": None,
        "count_capped": None,
    }


def test_me_is_the_caller(salesperson: Any) -> None:
    response = Api(Client(), token_for(salesperson)).get("/users/me")

    assert response.json() == _user(salesperson, {"sales": "company"}, [])


def test_a_user_of_another_company_is_not_found(api: Api, outsider: Any) -> None:
    assert_problem(api.get(f"/users/{outsider.pk}"), 404, "not-found")


def test_create_user(api: Api, admin_user: Any) -> None:
    team = team_create(actor=admin_user, name="Sales")

    response = api.post(
        "/users",
        {
            "username": "piet",
            "password": PASSWORD,
            "email": "piet@example.test",
            "first_name": "Piet",
            "last_name": "Pietersen",
            "language": "nl",
            "roles": {"sales": "team", "service": "own"},
            "team_ids": [team.pk],
        },
    )

    assert response.status_code == 201
    piet = User.objects.get(username="piet")
    assert response.json() == _user(piet, {"sales": "team", "service": "own"}, [team.pk])
    assert (piet.first_name, piet.language, piet.company_id) == ("Piet", "nl", admin_user.company_id)
    assert piet.check_password(PASSWORD)
    assert OutboxEvent.objects.filter(name="core.UserCreated", payload__user_id=piet.pk).count() == 1
    assert AuditEntry.objects.filter(model="core.user", object_id=str(piet.pk), action="create").count() == 1


def test_a_weak_password_is_refused_with_the_reasons(api: Api) -> None:
    with nothing_written():
        response = api.post("/users", {"username": "piet", "password": "12345"})

    problem = assert_problem(response, 422, "invalid-input")
    assert problem["detail"] == "The password is too weak."
    assert [e["field"] for e in problem["errors"]] == ["password", "password", "password"]


def test_a_taken_username_is_refused(api: Api, salesperson: Any) -> None:
    with nothing_written():
        response = api.post("/users", {"username": "sally"})

    problem = assert_problem(response, 422, "invalid-input")
    assert problem["errors"] == [{"field": "username", "message": "This username is taken."}]


def test_unknown_roles_and_scopes_are_refused(api: Api) -> None:
    with nothing_written():
        response = api.post("/users", {"username": "piet", "roles": {"king": "company", "sales": "galaxy"}})

    problem = assert_problem(response, 422, "invalid-input")
    assert sorted(e["field"] for e in problem["errors"]) == ["roles.king.[key]", "roles.sales"]


def test_update_user_changes_only_what_was_sent(api: Api, salesperson: Any, admin_user: Any) -> None:
    team = team_create(actor=admin_user, name="North")

    response = api.patch(
        f"/users/{salesperson.pk}",
        {"last_name": "de Boer", "roles": {"sales": "team"}, "team_ids": [team.pk]},
    )

    assert response.status_code == 200
    salesperson.refresh_from_db()
    assert response.json() == _user(salesperson, {"sales": "team"}, [team.pk])
    assert (salesperson.first_name, salesperson.last_name) == ("Sales", "de Boer")
    entry = AuditEntry.objects.filter(model="core.user", object_id=str(salesperson.pk), action="update").get()
    assert entry.changes == {
        "last_name": ["Tester2", "de Boer"],
        "roles": [{"sales": "company"}, {"sales": "team"}],
        "teams": [[], [team.pk]],
    }


def test_null_is_not_a_value_for_a_name(api: Api, salesperson: Any) -> None:
    with nothing_written():
        response = api.patch(f"/users/{salesperson.pk}", {"first_name": None})

    problem = assert_problem(response, 422, "invalid-input")
    assert problem["errors"] == [{"field": "first_name", "message": "Enter text.", "location": "body"}]


def test_an_administrator_cannot_deactivate_themselves(api: Api, admin_user: Any) -> None:
    with nothing_written():
        response = api.patch(f"/users/{admin_user.pk}", {"is_active": False})

    problem = assert_problem(response, 409, "conflict")
    assert problem["detail"] == "You cannot deactivate yourself."


def test_list_users_query_budget(api: Api, make_user: Any, django_assert_max_num_queries: Any) -> None:
    for _ in range(30):
        make_user("sales")
    api.get("/users/me")  # the token's first use is recorded once; measure a steady call

    # token + roles of the caller + users + their roles + their teams
    with django_assert_max_num_queries(5):
        response = api.get("/users", {"limit": 200})

    assert len(response.json()["items"]) == 31
