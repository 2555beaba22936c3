"""Helpers and fixtures for API tests, shared by every app's API tests (each app's
tests/conftest.py imports the fixtures it needs from here).

`api_as(user)` calls /api/v1/ with a fresh personal token of that user; `anonymous_api`
without any credentials; `nothing_written()` asserts that a refused call left every
Kantoor table — outbox and audit included — exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

API = "/api/v1"
PROBLEM = "application/problem+json"


class Api:
    """A JSON client for /api/v1/ that authenticates with a bearer token (or not at all)."""

    def __init__(self, client: Client, token: str | None = None, user: Any = None) -> None:
        self.client = client
        self.token = token
        self.user = user

    def _headers(self, headers: dict[str, str] | None, key: str | None) -> dict[str, str]:
        result = dict(headers or {})
        if self.token:
            result.setdefault("Authorization", f"Bearer {self.token}")
        if key is not None:
            result["Idempotency-Key"] = key
        return result

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.get(
            API + path, params or {}, headers=self._headers(kwargs.pop("headers", None), None)
        )

    def post(
        self, path: str, body: Any = None, *, key: str | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        data = b"" if body is None else json.dumps(body)
        return self.client.post(
            API + path, data, content_type="application/json", headers=self._headers(headers, key)
        )

    def patch(
        self, path: str, body: Any, *, key: str | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        return self.client.patch(
            API + path, json.dumps(body), content_type="application/json", headers=self._headers(headers, key)
        )

    def send(self, method: str, path: str, body: Any = None) -> Any:
        """Any method, for the permission tables: ("post", "/parties", {...})."""
        if method == "get":
            return self.get(path)
        if method == "patch":
            return self.patch(path, body)
        return self.post(path, body)


def token_for(user: Any, *, is_read_only: bool = False, expires_at: Any = None) -> str:
    from kantoor.core.services import api_token_create

    _token, raw = api_token_create(actor=user, name="tests", is_read_only=is_read_only, expires_at=expires_at)
    return raw


def _kantoor_models() -> list[Any]:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.app_label in {"core", "parties"}]


def database_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every Kantoor table (the tokens' last-use time aside)."""
    rows = {}
    for model in _kantoor_models():
        values = list(model._default_manager.order_by("pk").values())
        if model._meta.label_lower == "core.apitoken":
            for row in values:
                row.pop("last_used_at")
        rows[model._meta.label_lower] = values
    return rows


@contextmanager
def nothing_written() -> Iterator[None]:
    """Assert that the block changed no row of any Kantoor table (outbox and audit too)."""
    before = database_rows()
    yield
    after = database_rows()
    changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
    assert not changed, f"rows changed: {sorted(changed)}"


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and type code); returns it."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if code is not None:
        assert body["type"] == f"https://kantoor.dev/problems/{code}", body
    return body


@pytest.fixture
def api_as(client: Client) -> Callable[..., Api]:
    """api_as(user) → an Api calling with a fresh token of `user` (read_only=True for a read-only one)."""

    def make(user: Any, *, read_only: bool = False) -> Api:
        return Api(Client(), token_for(user, is_read_only=read_only), user)

    return make


@pytest.fixture
def anonymous_api() -> Api:
    return Api(Client())
