"""Who may call each writing endpoint of parties: anonymous (401); without a role (403 to
create; 404 for an existing party, whose existence they may not learn); another company
(404, or "unknown organisation" when naming its party); a team-scoped user of another
team (404; 403 when creating a party for that team); allowed (2xx). Every refusal leaves
every table — outbox and audit included — unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from kantoor.core.services import team_create
from kantoor.core.tests.api_support import Api, assert_problem, nothing_written, token_for
from kantoor.parties.services import party_create


@dataclass
class World:
    callers: dict[str, Api]
    ids: dict[str, int]


@pytest.fixture
def world(make_user: Any, admin_user: Any, salesperson: Any, nobody: Any, outsider: Any) -> World:
    north = team_create(actor=admin_user, name="North")
    south = team_create(actor=admin_user, name="South")
    alice = make_user("sales", scope="team", team=north, username="alice")
    bob = make_user("sales", scope="team", team=south, username="bob")
    marketer = make_user("marketing", username="mia")
    target = party_create(actor=alice, kind="organisation", name="Acme", team=north.pk)
    duplicate = party_create(actor=alice, kind="organisation", name="ACME Holding", team=north.pk)
    callers = {
        "anonymous": Api(Client()),
        "no role": Api(Client(), token_for(nobody)),
        "other company": Api(Client(), token_for(outsider)),
        "other team": Api(Client(), token_for(bob)),
        "marketing": Api(Client(), token_for(marketer)),
        "own team": Api(Client(), token_for(alice)),
        "company scope": Api(Client(), token_for(salesperson)),
    }
    ids = {"target": target.pk, "source": duplicate.pk, "north": north.pk, "alice": alice.pk}
    return World(callers, ids)


ENDPOINTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "create_party": ("post", "/parties", {"kind": "person", "name": "Jan", "organisation_id": "{target}"}),
    "create_party_for_a_team": (
        "post",
        "/parties",
        {"kind": "organisation", "name": "Northwind", "team_id": "{north}", "owner_id": "{alice}"},
    ),
    "update_party": ("patch", "/parties/{target}", {"version": 1, "notes": "VIP"}),
    "archive_party": ("post", "/parties/{target}/archive", {"version": 1}),
    "restore_party": ("post", "/parties/{target}/restore", {"version": 1}),
    "merge_party": ("post", "/parties/{target}/merge", {"source_id": "{source}"}),
}

CASES = [
    ("create_party", "anonymous", 401),
    ("create_party", "no role", 403),
    ("create_party", "other company", 422),  # their organisation id names nothing they know
    ("create_party", "company scope", 201),
    ("create_party_for_a_team", "other team", 403),
    ("create_party_for_a_team", "own team", 201),
    *[
        (endpoint, caller, status)
        for endpoint in ("update_party", "archive_party", "restore_party", "merge_party")
        for caller, status in (
            ("anonymous", 401),
            ("no role", 404),
            ("other company", 404),
            ("other team", 404),
            ("own team", 200),
            ("company scope", 200),
        )
    ],
    ("merge_party", "marketing", 403),  # may see and change parties, not merge them
]


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("endpoint", "caller", "status"), CASES)
def test_permissions(world: World, endpoint: str, caller: str, status: int) -> None:
    method, path, body = ENDPOINTS[endpoint]
    path = path.format(**world.ids)
    api = world.callers[caller]

    if status >= 400:
        with nothing_written():
            response = api.send(method, path, _fill(body, world.ids))
        assert_problem(response, status)
    else:
        response = api.send(method, path, _fill(body, world.ids))
        assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("caller", "status"), [("no role", 404), ("other company", 404), ("other team", 404)]
)
def test_reading_a_party_out_of_reach_is_404(world: World, caller: str, status: int) -> None:
    assert_problem(world.callers[caller].get(f"/parties/{world.ids['target']}"), status, "not-found")


def test_lists_show_only_the_parties_in_reach(world: World) -> None:
    def names(caller: str) -> list[str]:
        return [p["name"] for p in world.callers[caller].get("/parties").json()["items"]]

    assert names("own team") == ["Acme", "ACME Holding"]
    assert names("company scope") == ["Acme", "ACME Holding"]
    assert names("other team") == []
    assert names("no role") == []
    assert names("other company") == []
