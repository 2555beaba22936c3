"""Property-based fuzzing of the whole API from its OpenAPI document (schemathesis):
whatever a client sends, the answer is never a server error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kantoor.core.services import api_token_create, team_create
from kantoor.parties.services import party_create
from kantoor.wsgi import application

# Loaded at collection from the served document (no database needed). Not through
# `schemathesis.pytest.from_fixture`: its lazy loader breaks on pytest 9 (node._nodeid).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """The WSGI handler closes 'old' connections around each request, which on PostgreSQL
    would close the test's open transaction; Django's own test client switches that off
    the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_admin(make_user: Any) -> Any:
    # Colleagues first, so that the administrator's own id is not the smallest one a
    # generator tries first (a PATCH taking away its roles would blunt every later case).
    for _ in range(5):
        make_user("sales")
    admin = make_user("admin", username="fuzz-admin")
    team_create(actor=admin, name="Sales")
    org = party_create(actor=admin, kind="organisation", name="Acme", roles=["customer"])
    party_create(actor=admin, kind="person", name="Jan Jansen", organisation=org.pk)
    return admin


@schema.parametrize()
@settings(
    max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@pytest.mark.usefixtures("_keep_test_connection")
def test_no_input_makes_the_api_fail(case: Any, fuzz_admin: Any) -> None:
    # A fresh token per case: a case may well revoke the token it was sent with.
    _token, key = api_token_create(actor=fuzz_admin, name="fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
