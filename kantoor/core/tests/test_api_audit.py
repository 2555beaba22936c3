"""The audit log through the API: management and administrators read their company's
entries, newest first, filtered by record and actor."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kantoor.core.models import AuditEntry
from kantoor.core.services import team_create, team_update
from kantoor.core.tests.api_support import Api, assert_problem, token_for


@pytest.fixture
def api(admin_user: Any) -> Api:
    return Api(Client(), token_for(admin_user), admin_user)


def test_the_history_of_one_record(api: Api, admin_user: Any) -> None:
    team = team_create(actor=admin_user, name="Support")
    team_update(actor=admin_user, team_id=team.pk, version=1, name="Helpdesk")
    created, renamed = AuditEntry.objects.filter(model="core.team").order_by("id")

    response = api.get("/audit", {"model": "core.team", "object_id": str(team.pk), "actor_id": admin_user.pk})

    assert response.status_code == 200
    assert response.json()["items"] == [
        {
            "id": renamed.pk,
            "at": renamed.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "actor_id": admin_user.pk,
            "action": "update",
            "model": "core.team",
            "object_id": str(team.pk),
            "object_repr": "Helpdesk",
            "changes": {"name": ["Support", "Helpdesk"]},
        },
        {
            "id": created.pk,
            "at": created.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "actor_id": admin_user.pk,
            "action": "create",
            "model": "core.team",
            "object_id": str(team.pk),
            "object_repr": "Support",
            "changes": {"name": [None, "Support"], "members": [None, []]},
        },
    ]


def test_another_companys_entries_are_not_shown(api: Api, outsider: Any) -> None:
    team_create(actor=outsider, name="Abroad")

    items = api.get("/audit", {"model": "core.team"}).json()["items"]

    assert items == []


def test_management_reads_the_log(make_user: Any, admin_user: Any) -> None:
    team_create(actor=admin_user, name="Support")
    manager = Api(Client(), token_for(make_user("management")))

    items = manager.get("/audit", {"model": "core.team"}).json()["items"]

    assert [item["object_repr"] for item in items] == ["Support"]


@pytest.mark.parametrize("role", ["sales", None])
def test_others_may_not_read_the_log(make_user: Any, role: str | None) -> None:
    user = make_user(role) if role else make_user()

    problem = assert_problem(Api(Client(), token_for(user)).get("/audit"), 403, "permission-denied")

    assert problem["detail"] == "You are not allowed to do this."


def test_pages_go_back_in_time(api: Api, admin_user: Any) -> None:
    for number in range(5):
        team_create(actor=admin_user, name=f"Team {number}")
    expected = list(
        AuditEntry.objects.filter(model="core.team")
        .order_by("-at", "-id")
        .values_list("object_repr", flat=True)
    )

    first = api.get("/audit", {"model": "core.team", "limit": 3}).json()
    second = api.get("/audit", {"model": "core.team", "limit": 3, "cursor": first["next_cursor"]}).json()

    assert [i["object_repr"] for i in first["items"] + second["items"]] == expected
    assert expected == ["Team 4", "Team 3", "Team 2", "Team 1", "Team 0"]
    assert second["next_cursor"] is None


def test_audit_query_budget(api: Api, admin_user: Any, django_assert_max_num_queries: Any) -> None:
    for number in range(30):
        team_create(actor=admin_user, name=f"Team {number}")
    api.get("/users/me")

    # token + roles of the caller + entries
    with django_assert_max_num_queries(3):
        response = api.get("/audit", {"limit": 200})

    assert len(response.json()["items"]) == AuditEntry.objects.count()
