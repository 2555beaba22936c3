"""Property-based fuzzing of the ledger's operations (schemathesis) against a company with a
chart, a fiscal year, a draft and a posted entry — so that generated ids find records and
the writes reach the services: whatever a client sends, the answer is never a server error.
(The whole-API fuzz test in parties runs without a ledger.)"""

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

from kantoor.core.services import api_token_create
from kantoor.finance import services
from kantoor.finance.tests.conftest import YEAR
from kantoor.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(tag="finance")


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """See the parties fuzz test: keep the test's transaction open across WSGI requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_accountant(accountant: Any, ledger: Any, acct: Any, journal: Any) -> Any:
    for _ in range(2):
        entry = services.entry_create(
            actor=accountant,
            journal_id=journal("GEN").pk,
            date=dt.date(YEAR, 1, 1),
            lines=[
                {"account_id": acct("6100").pk, "debit": "10.00"},
                {"account_id": acct("1000").pk, "credit": "10.00"},
            ],
        )
    services.entry_post(actor=accountant, entry_id=entry.pk)
    return accountant


@schema.parametrize()
@settings(
    max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@pytest.mark.usefixtures("_keep_test_connection")
def test_no_input_makes_the_ledger_api_fail(case: Any, fuzz_accountant: Any) -> None:
    _token, key = api_token_create(actor=fuzz_accountant, name="fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
