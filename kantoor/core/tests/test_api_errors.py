"""Every error of the API is an RFC 9457 problem with a 4xx status — bad JSON, unknown or
missing fields, out-of-range numbers, NUL characters, oversized bodies, unknown routes and
methods — and an unexpected crash is a logged 500 problem that wrote nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from kantoor.core.tests.api_support import API, Api, assert_problem, nothing_written, token_for


@pytest.fixture
def api(admin_user: Any) -> Api:
    return Api(Client(), token_for(admin_user), admin_user)


def _post_raw(api: Api, path: str, data: bytes, **headers: str) -> Any:
    return api.client.post(
        API + path,
        data,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}", **headers},
    )


def test_malformed_json_is_a_400(api: Api) -> None:
    with nothing_written():
        response = _post_raw(api, "/teams", b'{"name": "Support",')

    body = assert_problem(response, 400, "malformed-request")
    assert body["detail"] == "The request body is not valid JSON."
    assert body["instance"] == "/api/v1/teams"


def test_json_that_is_not_an_object_is_a_422(api: Api) -> None:
    with nothing_written():
        response = api.post("/teams", ["Support"])

    body = assert_problem(response, 422, "invalid-input")
    assert body["errors"] == [{"field": "body", "message": "Enter an object.", "location": "body"}]


def test_unknown_and_missing_fields_are_named(api: Api) -> None:
    with nothing_written():
        response = api.post("/teams", {"nmae": "Support"})

    body = assert_problem(response, 422, "invalid-input")
    assert body["detail"] == "Please correct the marked fields."
    assert body["errors"] == [
        {"field": "name", "message": "This field is required.", "location": "body"},
        {"field": "nmae", "message": "Unknown field.", "location": "body"},
    ]


def test_nested_fields_are_named_by_their_path(api: Api) -> None:
    with nothing_written():
        response = api.post("/users", {"username": "piet", "team_ids": [1, "two"]})

    body = assert_problem(response, 422)
    assert body["errors"] == [{"field": "team_ids.1", "message": "Enter a whole number.", "location": "body"}]


def test_a_business_rule_names_its_field_too(api: Api) -> None:
    with nothing_written():
        response = api.post("/teams", {"name": "   "})

    body = assert_problem(response, 422, "invalid-input")
    assert body["errors"] == [{"field": "name", "message": "A team needs a name."}]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "Enter a number of at least 1."),
        ({"limit": "201"}, "Enter a number of at most 200."),
        ({"limit": "many"}, "Enter a whole number."),
    ],
)
def test_bad_query_parameters_are_named(api: Api, query: dict[str, str], message: str) -> None:
    body = assert_problem(api.get("/teams", query), 422, "invalid-input")

    assert body["errors"] == [{"field": "limit", "message": message, "location": "query"}]


@pytest.mark.parametrize("team_id", ["9223372036854775808", "0", "-1", "abc"])
def test_ids_outside_the_database_range_are_a_422_not_a_crash(api: Api, team_id: str) -> None:
    body = assert_problem(api.get(f"/teams/{team_id}"), 422, "invalid-input")

    assert [e["field"] for e in body["errors"]] == ["team_id"]


def test_nul_characters_are_refused_before_they_reach_the_database(api: Api) -> None:
    with nothing_written():
        response = api.post("/teams", {"name": "Sup\x00port"})

    body = assert_problem(response, 422, "invalid-input")
    assert body["errors"] == [
        {"field": "name", "message": "Text may not contain NUL characters.", "location": "body"}
    ]


def test_a_naive_datetime_is_refused(api: Api) -> None:
    with nothing_written():
        response = api.post("/tokens", {"name": "ci", "expires_at": "2031-01-31T17:00:00"})

    body = assert_problem(response, 422)
    assert body["errors"] == [
        {
            "field": "expires_at",
            "message": "Give the time zone, e.g. 2030-01-31T17:00:00Z or +01:00.",
            "location": "body",
        }
    ]


@pytest.mark.parametrize("key", [None, "big-1"])
def test_an_oversized_body_is_a_413(api: Api, settings: Any, key: str | None) -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    headers = {"Idempotency-Key": key} if key else {}

    with nothing_written():
        response = _post_raw(api, "/teams", big, **headers)

    body = assert_problem(response, 413, "payload-too-large")
    assert body["detail"] == "Send at most 1048576 bytes."


@pytest.mark.parametrize("path", ["/nothing-here", "/teams/", "/parties/1/nothing", "/"])
def test_an_unknown_route_is_a_404_problem(api: Api, path: str) -> None:
    body = assert_problem(api.client.get(API + path), 404, "not-found")

    assert body["instance"] == API + path


def test_an_unknown_object_is_a_404_problem(api: Api) -> None:
    body = assert_problem(api.get("/teams/424242"), 404, "not-found")

    assert body["instance"] == "/api/v1/teams/424242"


def test_a_wrong_method_is_a_405_problem(api: Api) -> None:
    with nothing_written():
        response = api.client.delete(f"{API}/teams", headers={"Authorization": f"Bearer {api.token}"})

    body = assert_problem(response, 405, "method-not-allowed")
    assert body["detail"] == "DELETE is not allowed here; use GET, POST."
    assert response["Allow"] == "GET, POST"


def test_an_unexpected_error_is_a_logged_500_problem_that_wrote_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    # Inside the service's transaction: the team row written before it must go too.
    monkeypatch.setattr("kantoor.core.audit.record", broken)

    with nothing_written(), caplog.at_level(logging.ERROR, logger="kantoor.api"):
        response = api.post("/teams", {"name": "Support"})

    body = assert_problem(response, 500, "server-error")
    assert body["detail"] == "The error was logged; nothing was changed. Please try again later."
    assert "disk on fire" not in response.content.decode()
    assert caplog.records[0].getMessage() == "unhandled error on POST /api/v1/teams"
    assert caplog.records[0].exc_info is not None
