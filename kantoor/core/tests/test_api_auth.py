"""Who may call the API: personal tokens (hash only, revocable, expiring, read-only) and
the web session with CSRF; and the endpoints to manage one's own tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kantoor.core.models import ApiToken, AuditEntry, Team
from kantoor.core.services import api_token_create, api_token_revoke, user_update
from kantoor.core.tests.api_support import API, Api, assert_problem, database_rows, nothing_written, token_for

CSRF_SECRET = "k" * 32  # a well-formed CSRF secret: cookie and header must carry the same


def _later(monkeypatch: pytest.MonkeyPatch, delta: dt.timedelta) -> dt.datetime:
    """Let the clock jump forward by `delta` (for expiry and last-use precision)."""
    moment = timezone.now() + delta
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_a_token_identifies_its_user(salesperson: Any) -> None:
    api = Api(Client(), token_for(salesperson))

    response = api.get("/users/me")

    assert response.status_code == 200
    assert response.json()["username"] == "sally"


def test_only_the_hash_of_a_token_is_stored(salesperson: Any) -> None:
    token, key = api_token_create(actor=salesperson, name="laptop")

    assert key.startswith("knt_")
    assert len(key) == 4 + 43
    assert token.key_hash == ApiToken.hash_key(key)
    assert token.key_prefix == key[:8]
    stored = str(database_rows())
    assert key not in stored
    assert key[8:] not in stored


def test_last_use_is_recorded_at_most_once_a_minute(
    salesperson: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    api = Api(Client(), token_for(salesperson))
    token = ApiToken.objects.get(user=salesperson)
    assert token.last_used_at is None

    def use() -> dt.datetime | None:
        # The use is recorded once the call's transaction is over (here: the test's).
        with django_capture_on_commit_callbacks(execute=True):
            api.get("/users/me")
        token.refresh_from_db()
        return token.last_used_at

    first_use = use()
    assert first_use is not None

    _later(monkeypatch, dt.timedelta(seconds=59))
    assert use() == first_use

    moment = _later(monkeypatch, dt.timedelta(seconds=61))
    assert use() == moment


@pytest.mark.parametrize(
    ("case", "detail"),
    [
        ("unknown", "Unknown API token."),
        ("revoked", "This API token was revoked."),
        ("expired", "This API token has expired."),
        ("deactivated", "The account of this API token is deactivated."),
        ("overlong", "Unknown API token."),
    ],
)
def test_a_refused_token_is_a_401_problem(
    case: str, detail: str, salesperson: Any, admin_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, key = api_token_create(
        actor=salesperson, name="ci", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    if case == "unknown":
        key = "knt_" + "x" * 43
    elif case == "revoked":
        api_token_revoke(actor=salesperson, token_id=token.pk)
    elif case == "expired":
        _later(monkeypatch, dt.timedelta(hours=1))
    elif case == "deactivated":
        user_update(actor=admin_user, user_id=salesperson.pk, changes={"is_active": False})
    elif case == "overlong":
        key = "knt_" + "x" * 300

    with nothing_written():
        response = Api(Client(), key).post("/teams", {"name": "Support"})

    body = assert_problem(response, 401, "not-authenticated")
    assert body["detail"] == detail
    assert response["WWW-Authenticate"] == 'Bearer realm="kantoor"'
    token.refresh_from_db()
    assert token.last_used_at is None


def test_no_credentials_is_a_401_problem(anonymous_api: Api) -> None:
    body = assert_problem(anonymous_api.get("/users/me"), 401, "not-authenticated")

    assert body["detail"] == "Sign in or send an API token."


def test_another_authorization_scheme_is_not_a_login(salesperson: Any) -> None:
    response = Client().get(f"{API}/users/me", headers={"Authorization": "Basic c2FsbHk6c2VjcmV0"})

    assert_problem(response, 401, "not-authenticated")


def test_a_read_only_token_reads_but_may_not_write(admin_user: Any) -> None:
    api = Api(Client(), token_for(admin_user, is_read_only=True))

    assert api.get("/teams").status_code == 200
    with nothing_written():
        response = api.post("/teams", {"name": "Support"})

    body = assert_problem(response, 403, "permission-denied")
    assert body["detail"] == "This API token may only read."


def test_a_token_speaks_its_users_language(make_user: Any) -> None:
    dutch = make_user("sales", language="nl")

    response = Api(Client(), token_for(dutch)).get("/users/me")

    assert response["Content-Language"] == "nl"


@pytest.fixture
def session(admin_user: Any) -> Client:
    """A signed-in browser session that enforces CSRF like a real browser's requests."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.cookies["csrftoken"] = CSRF_SECRET
    return client


def test_a_session_reads_without_a_csrf_token(session: Client) -> None:
    response = session.get(f"{API}/users/me")

    assert response.status_code == 200
    assert response.json()["username"] == "admin"


def test_a_session_write_without_the_csrf_token_is_refused(session: Client) -> None:
    with nothing_written():
        response = session.post(f"{API}/teams", {"name": "Support"}, content_type="application/json")

    body = assert_problem(response, 403, "csrf-failed")
    assert body["detail"] == "The CSRF token is missing or wrong: reload the page, or use an API token."


def test_a_session_write_with_the_csrf_token_is_done(session: Client) -> None:
    response = session.post(
        f"{API}/teams",
        {"name": "Support"},
        content_type="application/json",
        headers={"X-CSRFToken": CSRF_SECRET},
    )

    assert response.status_code == 201
    assert list(Team.objects.values_list("name", flat=True)) == ["Support"]


def test_a_token_call_needs_no_csrf_token(admin_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = Api(client, token_for(admin_user)).post("/teams", {"name": "Support"})

    assert response.status_code == 201


def test_anonymous_writes_are_401_not_a_csrf_error() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"{API}/teams", {"name": "Support"}, content_type="application/json")

    assert_problem(response, 401, "not-authenticated")


# -- managing one's own tokens -------------------------------------------------------


def test_create_token_returns_the_key_once(session: Client, admin_user: Any) -> None:
    response = session.post(
        f"{API}/tokens",
        {"name": "CI pipeline", "is_read_only": True, "expires_at": "2031-01-31T17:00:00+01:00"},
        content_type="application/json",
        headers={"X-CSRFToken": CSRF_SECRET},
    )

    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get()
    assert body == {
        "id": token.pk,
        "name": "CI pipeline",
        "key": body["key"],
        "key_prefix": body["key"][:8],
        "is_read_only": True,
        "is_active": True,
        "created_at": body["created_at"],
        "last_used_at": None,
        "expires_at": "2031-01-31T16:00:00Z",
        "revoked_at": None,
    }
    assert token.key_hash == ApiToken.hash_key(body["key"])
    assert token.user == admin_user
    listed = session.get(f"{API}/tokens").json()["items"]
    assert "key" not in listed[0]
    assert AuditEntry.objects.filter(model="core.apitoken", action="create").count() == 1


def test_a_token_cannot_create_tokens(salesperson: Any) -> None:
    api = Api(Client(), token_for(salesperson))

    with nothing_written():
        response = api.post("/tokens", {"name": "more"})

    body = assert_problem(response, 403, "permission-denied")
    assert body["detail"] == "Create API tokens while signed in, not with another token."


def test_list_tokens_shows_only_ones_own_newest_first(salesperson: Any, admin_user: Any) -> None:
    api_token_create(actor=admin_user, name="not mine")
    older, _key = api_token_create(actor=salesperson, name="older")
    api = Api(Client(), token_for(salesperson))

    items = api.get("/tokens").json()["items"]

    assert [(t["name"], t["is_active"]) for t in items] == [("tests", True), ("older", True)]
    assert items[1]["id"] == older.pk


def test_revoke_own_token_then_it_is_refused(salesperson: Any) -> None:
    api = Api(Client(), token_for(salesperson))
    spare, spare_key = api_token_create(actor=salesperson, name="spare")

    response = api.post(f"/tokens/{spare.pk}/revoke")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    spare.refresh_from_db()
    assert spare.revoked_at is not None
    assert_problem(Api(Client(), spare_key).get("/users/me"), 401)


def test_revoking_twice_changes_nothing_the_second_time(salesperson: Any) -> None:
    api = Api(Client(), token_for(salesperson))
    spare, _key = api_token_create(actor=salesperson, name="spare")
    first = api.post(f"/tokens/{spare.pk}/revoke").json()

    with nothing_written():
        second = api.post(f"/tokens/{spare.pk}/revoke").json()

    assert second == first


def test_list_tokens_query_budget(salesperson: Any, django_assert_max_num_queries: Any) -> None:
    for number in range(20):
        api_token_create(actor=salesperson, name=f"script {number}")
    api = Api(Client(), token_for(salesperson))

    # token + tokens
    with django_assert_max_num_queries(2):
        response = api.get("/tokens", {"limit": 200})

    assert len(response.json()["items"]) == 21
