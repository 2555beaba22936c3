"""Teams through the API: everyone sees them, administrators manage them; a stale
`version` is refused with 409 and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kantoor.core.models import OutboxEvent, Team
from kantoor.core.services import team_create
from kantoor.core.tests.api_support import Api, assert_problem, nothing_written, token_for


@pytest.fixture
def api(admin_user: Any) -> Api:
    return Api(Client(), token_for(admin_user), admin_user)


def test_list_teams_by_id_with_members(admin_user: Any, salesperson: Any, nobody: Any, outsider: Any) -> None:
    north = team_create(actor=admin_user, name="North", member_ids=[salesperson.pk, admin_user.pk])
    south = team_create(actor=admin_user, name="South")
    team_create(actor=outsider, name="Abroad")

    response = Api(Client(), token_for(nobody)).get("/teams")

    assert response.json()["items"] == [
        {
            "id": north.pk,
            "name": "North",
            "member_ids": sorted([admin_user.pk, salesperson.pk]),
            "version": 1,
        },
        {"id": south.pk, "name": "South", "member_ids": [], "version": 1},
    ]


def test_create_team(api: Api, salesperson: Any) -> None:
    response = api.post("/teams", {"name": "Support", "member_ids": [salesperson.pk]})

    assert response.status_code == 201
    team = Team.objects.get()
    assert response.json() == {"id": team.pk, "name": "Support", "member_ids": [salesperson.pk], "version": 1}
    assert OutboxEvent.objects.filter(name="core.TeamChanged", payload__team_id=team.pk).count() == 1


def test_update_team_bumps_its_version(api: Api, admin_user: Any, salesperson: Any) -> None:
    team = team_create(actor=admin_user, name="Support")

    response = api.patch(f"/teams/{team.pk}", {"version": 1, "member_ids": [salesperson.pk]})

    assert response.json() == {"id": team.pk, "name": "Support", "member_ids": [salesperson.pk], "version": 2}


def test_a_stale_version_is_a_409_and_changes_nothing(api: Api, admin_user: Any) -> None:
    team = team_create(actor=admin_user, name="Support")
    api.patch(f"/teams/{team.pk}", {"version": 1, "name": "Helpdesk"})

    with nothing_written():
        response = api.patch(f"/teams/{team.pk}", {"version": 1, "name": "Service desk"})

    problem = assert_problem(response, 409, "stale-version")
    assert problem["current_version"] == 2
    assert problem["detail"] == "This record was changed by someone else (version 2, you had 1)."


def test_the_version_is_required(api: Api, admin_user: Any) -> None:
    team = team_create(actor=admin_user, name="Support")

    with nothing_written():
        response = api.patch(f"/teams/{team.pk}", {"name": "Helpdesk"})

    problem = assert_problem(response, 422, "invalid-input")
    assert problem["errors"] == [
        {"field": "version", "message": "This field is required.", "location": "body"}
    ]


def test_list_teams_query_budget(api: Api, admin_user: Any, django_assert_max_num_queries: Any) -> None:
    for number in range(20):
        team_create(actor=admin_user, name=f"Team {number}", member_ids=[admin_user.pk])
    api.get("/users/me")

    # token + roles of the caller + teams + their members
    with django_assert_max_num_queries(4):
        response = api.get("/teams", {"limit": 200})

    assert len(response.json()["items"]) == 20
