"""Who may call each writing endpoint of the platform: anonymous (401), without the role
(403), in another company (404: the record's existence is not revealed), allowed (2xx).
Every refusal leaves every table — outbox and audit included — unchanged.

Users and teams have no owner or team of their own, so the 'other team' case of the
policy does not apply to them; tokens are private to their user (404 to anyone else but
an administrator of the company)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from kantoor.core.services import api_token_create, team_create
from kantoor.core.tests.api_support import Api, assert_problem, nothing_written, token_for


@dataclass
class World:
    callers: dict[str, Api]
    colleague_id: int
    team_id: int
    token_id: int


@pytest.fixture
def world(admin_user: Any, salesperson: Any, nobody: Any, outsider: Any) -> World:
    team = team_create(actor=admin_user, name="Support")
    token, _key = api_token_create(actor=salesperson, name="laptop")
    callers = {
        "anonymous": Api(Client()),
        "no role": Api(Client(), token_for(nobody)),
        "sales": Api(Client(), token_for(salesperson)),
        "owner": Api(Client(), token_for(salesperson)),
        "other company": Api(Client(), token_for(outsider)),
        "admin": Api(Client(), token_for(admin_user)),
    }
    return World(callers, colleague_id=salesperson.pk, team_id=team.pk, token_id=token.pk)


ENDPOINTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "create_user": ("post", "/users", {"username": "piet"}),
    "update_user": ("patch", "/users/{colleague_id}", {"first_name": "Sam"}),
    "create_team": ("post", "/teams", {"name": "Sales"}),
    "update_team": ("patch", "/teams/{team_id}", {"version": 1, "name": "Helpdesk"}),
    "revoke_token": ("post", "/tokens/{token_id}/revoke", None),
}

CASES = [
    ("create_user", "anonymous", 401),
    ("create_user", "no role", 403),
    ("create_user", "sales", 403),
    ("create_user", "admin", 201),
    ("update_user", "anonymous", 401),
    ("update_user", "no role", 403),
    ("update_user", "sales", 403),
    ("update_user", "other company", 404),
    ("update_user", "admin", 200),
    ("create_team", "anonymous", 401),
    ("create_team", "no role", 403),
    ("create_team", "sales", 403),
    ("create_team", "admin", 201),
    ("update_team", "anonymous", 401),
    ("update_team", "no role", 403),
    ("update_team", "sales", 403),
    ("update_team", "other company", 404),
    ("update_team", "admin", 200),
    ("revoke_token", "anonymous", 401),
    ("revoke_token", "no role", 404),
    ("revoke_token", "other company", 404),
    ("revoke_token", "owner", 200),
    ("revoke_token", "admin", 200),
]


@pytest.mark.parametrize(("endpoint", "caller", "status"), CASES)
def test_permissions(world: World, endpoint: str, caller: str, status: int) -> None:
    method, path, body = ENDPOINTS[endpoint]
    path = path.format(colleague_id=world.colleague_id, team_id=world.team_id, token_id=world.token_id)
    api = world.callers[caller]

    if status >= 400:
        with nothing_written():
            response = api.send(method, path, body)
        assert_problem(response, status)
    else:
        response = api.send(method, path, body)
        assert response.status_code == status, response.content
