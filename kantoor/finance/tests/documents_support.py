"""Builders for the document and sending tests (finance's and the web's): a customer with an
address and an e-mail address, a posted invoice of three lines at two VAT rates, and the
bank account printed as payment details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kantoor.finance import invoicing
from kantoor.finance.models import Invoice, Journal, Tax
from kantoor.parties.services import party_create

IBAN = "NL91ABNA0417164300"
BIC = "ABNANL2A"


def bank_set(company: Any) -> Journal:
    """The bank journal's IBAN and BIC, set as an administrator would (no service yet)."""
    journal = Journal.objects.get(company=company, code="BNK")
    Journal.objects.filter(pk=journal.pk).update(bank_account=IBAN, bank_bic=BIC)
    journal.refresh_from_db()
    return journal


def customer_make(
    actor: Any,
    name: str = "Bloemenhandel Visser B.V.",
    *,
    language: str = "en",
    email: str = "inkoop@visser.example",
    vat_number: str = "NL004495445B01",
    **fields: Any,
) -> Any:
    return party_create(
        actor=actor,
        kind="organisation",
        name=name,
        roles=["customer"],
        language=language,
        country="NL",
        vat_number=vat_number,
        contact_points=[{"kind": "email", "value": email, "is_primary": True}],
        addresses=[
            {
                "kind": "invoice",
                "street": "Kerkstraat 12",
                "postal_code": "1017 GC",
                "city": "Amsterdam",
                "country": "NL",
                "is_primary": True,
            }
        ],
        **fields,
    )


def invoice_make(actor: Any, party: Any, *, post: bool = True, on: dt.date = dt.date(2026, 3, 2)) -> Invoice:
    """250.00 + 180.00 at 21% (VAT 90.30) and 12.38 at 9% (VAT 1.11): a total of 533.79."""
    v21 = Tax.objects.get(company_id=actor.company_id, code="V21")
    v9 = Tax.objects.get(company_id=actor.company_id, code="V9")
    draft = invoicing.invoice_create(
        actor=actor,
        kind="customer_invoice",
        party_id=party.pk,
        date=on,
        due_date=on + dt.timedelta(days=30),
        lines=[
            {
                "description": "Tulip bulbs",
                "quantity": "200",
                "unit_price": "1.25",
                "tax_id": v21.pk,
                "product_code": "TB-01",
            },
            {
                "description": "Consulting",
                "quantity": "2.5",
                "unit_price": "80",
                "discount": "10",
                "tax_id": v21.pk,
            },
            {"description": "Flower food", "quantity": "3", "unit_price": "4.125", "tax_id": v9.pk},
        ],
    )
    return invoicing.invoice_post(actor=actor, invoice_id=draft.pk) if post else draft
