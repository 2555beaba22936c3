"""Property-based fuzzing of the crm operations (schemathesis) against a company with a
lead, an opportunity, the default pipeline, a lost reason and a web form — so that small
generated ids find records and the writes reach the services: whatever a client sends, the
answer is never a server error."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kantoor.core.services import api_token_create
from kantoor.crm import services
from kantoor.finance.tests.test_api_ledger_fuzz import _keep_test_connection
from kantoor.parties.services import party_create
from kantoor.wsgi import application

__all__ = ["_keep_test_connection"]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"^/api/v1/crm/(?!leads/import|opportunities/\{opportunity_id\}/quotation)"
)


@pytest.fixture
def fuzz_manager(
    make_user: Any, manager: Any, rep: Any, stages: Any, price_reason: Any, web_form: Any
) -> Any:
    user = make_user("sales_manager", "sales", username="fuzzy")
    services.lead_create(
        actor=rep, contact_name="Anna Bos", organisation_name="Bos Bouw", email="anna@bos.nl"
    )
    party = party_create(actor=rep, kind="organisation", name="Hotel Zeezicht")
    services.opportunity_create(actor=rep, name="Buffet", party=party.pk, expected_revenue="100")
    return user


@schema.parametrize()
@settings(
    max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@pytest.mark.usefixtures("_keep_test_connection")
def test_no_input_makes_the_crm_api_fail(case: Any, fuzz_manager: Any) -> None:
    _token, key = api_token_create(actor=fuzz_manager, name="fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
