"""Property-based fuzzing of the invoice, payment and open-item operations (schemathesis)
against a company with a customer, a draft and a posted invoice, a payment and open items —
so that small generated ids find records and the writes reach the services: whatever a
client sends, the answer is never a server error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kantoor.core.services import api_token_create
from kantoor.finance import invoicing, payments
from kantoor.finance.models import Journal, Tax
from kantoor.finance.tests.conftest import YEAR
from kantoor.finance.tests.test_api_ledger_fuzz import _keep_test_connection
from kantoor.parties.services import party_create
from kantoor.wsgi import application

__all__ = ["_keep_test_connection"]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"^/api/v1/(invoices|payments|open-items|taxes|payment-terms)"
)


@pytest.fixture
def fuzz_accountant(accountant: Any, ledger: Any) -> Any:
    customer = party_create(
        actor=accountant,
        kind="organisation",
        name="Acme Retail",
        contact_points=[{"kind": "email", "value": "billing@acme.example", "is_primary": True}],
    )
    v21 = Tax.objects.get(company=ledger, code="V21")
    line = {"description": "Hour", "quantity": "3", "unit_price": "33.33", "tax_id": v21.pk}
    posted = []
    for _ in range(3):
        draft = invoicing.invoice_create(
            actor=accountant,
            kind="customer_invoice",
            party_id=customer.pk,
            date=dt.date(YEAR, 3, 1),
            lines=[line],
        )
        posted.append(invoicing.invoice_post(actor=accountant, invoice_id=draft.pk))
    invoicing.invoice_create(
        actor=accountant,
        kind="customer_invoice",
        party_id=customer.pk,
        date=dt.date(YEAR, 3, 2),
        lines=[line],
    )
    bank = Journal.objects.get(company=ledger, code="BNK")
    payments.payment_register(
        actor=accountant,
        kind="inbound",
        party_id=customer.pk,
        journal_id=bank.pk,
        date=dt.date(YEAR, 3, 10),
        amount="150.00",
        allocations=[{"invoice_id": posted[0].pk}],
    )
    return accountant


@schema.parametrize()
@settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@pytest.mark.usefixtures("_keep_test_connection")
def test_no_input_makes_the_invoice_api_fail(case: Any, fuzz_accountant: Any) -> None:
    _token, key = api_token_create(actor=fuzz_accountant, name="fuzz")
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
