"""Idempotency-Key: a retried write answers the first response and changes nothing; a key
names one request; only answers of calls that reached the endpoint (status < 500) count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kantoor.core import services
from kantoor.core.models import IdempotencyRecord, OutboxEvent, Team
from kantoor.core.tests.api_support import Api, assert_problem, nothing_written, token_for


@pytest.fixture
def api(admin_user: Any) -> Api:
    return Api(Client(), token_for(admin_user), admin_user)


def test_a_replay_returns_the_first_response_and_creates_nothing(api: Api, admin_user: Any) -> None:
    first = api.post("/teams", {"name": "Support"}, key="team-support-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first

    with nothing_written():
        again = api.post("/teams", {"name": "Support"}, key="team-support-1")

    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == "application/json; charset=utf-8"
    assert again["Idempotent-Replayed"] == "true"
    assert list(Team.objects.values_list("name", flat=True)) == ["Support"]
    assert OutboxEvent.objects.filter(name="core.TeamChanged").count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.user, record.key, record.method, record.path, record.status_code) == (
        admin_user,
        "team-support-1",
        "POST",
        "/api/v1/teams",
        201,
    )
    assert bytes(record.body) == first.content


def test_the_same_json_written_differently_is_the_same_request(api: Api) -> None:
    body = '{"member_ids": [], "name": "Support"}'
    api.client.post(
        "/api/v1/teams",
        '{"name":"Support","member_ids":[]}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": "k"},
    )

    with nothing_written():
        again = api.client.post(
            "/api/v1/teams",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": "k"},
        )

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("path", "body"),
    [("/teams", {"name": "Sales"}), ("/users", {"username": "piet"})],
    ids=["another body", "another endpoint"],
)
def test_the_same_key_for_another_request_is_refused(api: Api, path: str, body: dict[str, Any]) -> None:
    api.post("/teams", {"name": "Support"}, key="k-1")

    with nothing_written():
        response = api.post(path, body, key="k-1")

    problem = assert_problem(response, 422, "idempotency-key-reused")
    assert problem["detail"] == "The key “k-1” was already used for a different request; use a new key."
    assert problem["errors"] == [
        {"field": "Idempotency-Key", "message": "Already used for a different request."}
    ]


def test_keys_are_per_user(api: Api, make_user: Any) -> None:
    colleague = Api(Client(), token_for(make_user("admin")))

    first = api.post("/teams", {"name": "Support"}, key="shared")
    second = colleague.post("/teams", {"name": "Sales"}, key="shared")

    assert (first.status_code, second.status_code) == (201, 201)
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Sales", "Support"]


def test_a_refusal_by_the_rules_is_the_answer_to_that_request(nobody: Any) -> None:
    api = Api(Client(), token_for(nobody))
    first = api.post("/teams", {"name": "Support"}, key="k")
    assert_problem(first, 403, "permission-denied")

    with nothing_written():
        again = api.post("/teams", {"name": "Support"}, key="k")

    assert again.status_code == 403
    assert again.content == first.content
    assert again["Content-Type"] == "application/problem+json"
    assert IdempotencyRecord.objects.get().status_code == 403


def test_input_that_never_reached_the_endpoint_does_not_use_up_the_key(api: Api) -> None:
    with nothing_written():
        assert_problem(api.post("/teams", {"nmae": "Support"}, key="k"), 422, "invalid-input")

    response = api.post("/teams", {"name": "Support"}, key="k")

    assert response.status_code == 201


def test_a_crash_is_not_stored_and_its_writes_are_rolled_back(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = services.team_create

    def create_then_crash(**kwargs: Any) -> Any:
        real(**kwargs)  # its own transaction is only a savepoint inside the key's one
        raise RuntimeError("lost connection to the printer")

    monkeypatch.setattr(services, "team_create", create_then_crash)

    with nothing_written():
        response = api.post("/teams", {"name": "Support"}, key="k")

    assert_problem(response, 500, "server-error")
    monkeypatch.setattr(services, "team_create", real)
    assert api.post("/teams", {"name": "Support"}, key="k").status_code == 201


def test_a_key_is_kept_for_a_day(api: Api) -> None:
    api.post("/teams", {"name": "Support"}, key="k")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=24, minutes=1))

    response = api.post("/teams", {"name": "Sales"}, key="k")

    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().path == "/api/v1/teams"
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Sales", "Support"]


@pytest.mark.parametrize("key", ["x" * 201, "   ", "tab\there"])
def test_a_malformed_key_is_refused(api: Api, key: str) -> None:
    with nothing_written():
        response = api.post("/teams", {"name": "Support"}, key=key)

    problem = assert_problem(response, 422, "invalid-input")
    assert problem["errors"] == [
        {"field": "Idempotency-Key", "message": "Send 1 to 200 printable ASCII characters."}
    ]


def test_a_patch_replay_answers_the_first_response_not_a_stale_version(api: Api) -> None:
    team = api.post("/teams", {"name": "Support"}).json()
    first = api.patch(f"/teams/{team['id']}", {"version": 1, "name": "Helpdesk"}, key="rename-1")
    assert first.json()["version"] == 2

    with nothing_written():
        again = api.patch(f"/teams/{team['id']}", {"version": 1, "name": "Helpdesk"}, key="rename-1")

    assert again.status_code == 200
    assert again.content == first.content


def test_a_read_only_token_is_refused_before_any_replay(api: Api, admin_user: Any) -> None:
    api.post("/teams", {"name": "Support"}, key="k")
    reader = Api(Client(), token_for(admin_user, is_read_only=True))

    with nothing_written():
        response = reader.post("/teams", {"name": "Support"}, key="k")

    assert_problem(response, 403, "permission-denied")
