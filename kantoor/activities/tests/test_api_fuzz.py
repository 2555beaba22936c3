"""Property-based fuzzing of the activities operations (schemathesis) against a company
with a customer and a few activities — so that small generated ids find records and the
writes reach the services: whatever a client sends, the answer is never a server error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kantoor.activities import services
from kantoor.activities.targets import target_of
from kantoor.core.services import api_token_create
from kantoor.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"^/api/v1/activities"
)


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """Keep the test's transaction open across WSGI requests (as the parties fuzz test does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_user(manager: Any, customer: Any) -> Any:
    services.activity_create(actor=manager, kind="task", subject="Fuzz task", target=target_of(customer))
    services.activity_create(
        actor=manager,
        kind="meeting",
        subject="Fuzz meeting",
        starts_at=dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC),
    )
    return manager


@schema.parametrize()
@settings(
    max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@pytest.mark.usefixtures("_keep_test_connection")
def test_no_input_makes_the_activities_api_fail(case: Any, fuzz_user: Any) -> None:
    _token, key = api_token_create(actor=fuzz_user, name="fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
