"""Shared fixtures: companies, users per role and scope, and the browser setup.

Test data is built through services (ARCHITECTURE §9), never by forcing states.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright + ORM in live_server tests

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Kantoor-test-2026!"  # noqa: S105 - the test users' password, nothing real


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests skip with a visible reason where Chromium is missing — except where
    KANTOOR_REQUIRE_BROWSER=1 (CI), where a missing browser fails the run instead.
    PostgreSQL-only tests (`@pytest.mark.postgres`) skip with the reason on other engines."""
    _skip_postgres_tests_elsewhere(items)
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    if os.environ.get("KANTOOR_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"KANTOOR_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"browser tests need Debian's chromium at {CHROMIUM}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _skip_postgres_tests_elsewhere(items: list[pytest.Item]) -> None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (set KANTOOR_DATABASE_URL=postgres://…); the database here is {engine}"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach outside the machine: only loopback connections are allowed."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith(("127.", "/")) or host in {"localhost", "::1"}):
            raise RuntimeError(f"tests may not connect to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """The production hasher is slow by design; tests need no protection against brute force."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def company(db: Any) -> Any:
    from kantoor.core.services import company_create

    return company_create(name="Tulip Trading B.V.")


@pytest.fixture
def other_company(db: Any) -> Any:
    from kantoor.core.services import company_create

    return company_create(name="Elsewhere Ltd", country="GB", base_currency="GBP", time_zone="Europe/London")


@pytest.fixture
def make_user(company: Any) -> Callable[..., Any]:
    """make_user("sales", scope="team", team=sales_team) — a user of `company` (or `in_company`)."""
    from kantoor.core.services import user_create

    counter = {"n": 0}

    def make(
        *roles: str,
        scope: str = "company",
        team: Any = None,
        in_company: Any = None,
        username: str = "",
        language: str = "en",
    ) -> Any:
        counter["n"] += 1
        target = in_company or company
        return user_create(
            actor=None,
            company_id=target.pk,
            username=username or f"user{counter['n']}-{'-'.join(roles) or 'none'}",
            password=PASSWORD,
            email=f"user{counter['n']}@example.test",
            first_name=(roles[0] if roles else "no").title(),
            last_name=f"Tester{counter['n']}",
            roles=dict.fromkeys(roles, scope),
            team_ids=[team.pk] if team else [],
            language=language,
        )

    return make


@pytest.fixture
def admin_user(make_user: Callable[..., Any]) -> Any:
    return make_user("admin", username="admin")


@pytest.fixture
def salesperson(make_user: Callable[..., Any]) -> Any:
    return make_user("sales", username="sally")


@pytest.fixture
def nobody(make_user: Callable[..., Any]) -> Any:
    """A signed-in user without any role."""
    return make_user(username="nora")


@pytest.fixture
def outsider(make_user: Callable[..., Any], other_company: Any) -> Any:
    """An administrator of another company."""
    return make_user("admin", in_company=other_company, username="oscar")
