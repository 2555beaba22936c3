"""Property-based fuzzing of the purchase order operations (schemathesis) against a company
with a supplier, products with supplier prices, an RFQ and a confirmed order partly
received — so that small generated ids find records and the writes reach the services:
whatever a client sends, the answer is never a server error."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kantoor.core.services import api_token_create
from kantoor.finance.tests.test_api_ledger_fuzz import _keep_test_connection
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Move, Transfer
from kantoor.purchasing import services
from kantoor.wsgi import application

__all__ = ["_keep_test_connection"]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"^/api/v1/purchase-orders"
)


@pytest.fixture
def fuzz_buyer(make_user: Any, rfq: Any, widget: Any, books: Any) -> Any:
    user = make_user("operations", "finance", username="fuzzy")
    rfq()
    order = services.order_confirm(actor=user, order_id=rfq((widget, "10")).pk)
    receipt = Transfer.objects.get(origin=order.number)
    move = Move.objects.get(transfer=receipt)
    inventory.transfer_validate(
        actor=user, transfer_id=receipt.pk, done=[inventory.DoneIn(move_id=move.pk, quantity="4")]
    )
    return user


@schema.parametrize()
@settings(
    max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@pytest.mark.usefixtures("_keep_test_connection")
def test_no_input_makes_the_purchasing_api_fail(case: Any, fuzz_buyer: Any) -> None:
    _token, key = api_token_create(actor=fuzz_buyer, name="fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
