"""Invoices as documents: the HTML and PDF in the party's language, the PDF page and API
endpoint with the policy, and the e-mail a send request leaves as (through a real SMTP
server on loopback), with the timeline entries of the invoice's life."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from kantoor.finance import documents, invoicing
from kantoor.finance.models import Invoice, Journal, Tax
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def bank(ledger: Any) -> Journal:
    # Set as an administrator would on the journal (no service for bank details yet).
    journal = Journal.objects.get(company=ledger, code="BNK")
    Journal.objects.filter(pk=journal.pk).update(bank_account="NL91ABNA0417164300", bank_bic="ABNANL2A")
    return journal


@pytest.fixture
def customer(accountant: Any, ledger: Any) -> Callable[..., Any]:
    def make(name: str = "Bloemenhandel Visser B.V.", language: str = "en", **extra: Any) -> Any:
        return party_create(
            actor=accountant,
            kind="organisation",
            name=name,
            roles=["customer"],
            language=language,
            country="NL",
            vat_number=extra.pop("vat_number", "NL004495445B01"),
            contact_points=[{"kind": "email", "value": "inkoop@visser.example", "is_primary": True}],
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
            **extra,
        )

    return make


@pytest.fixture
def invoice(accountant: Any, ledger: Any, customer: Callable[..., Any]) -> Callable[..., Invoice]:
    def make(party: Any = None, *, post: bool = True, kind: str = "customer_invoice") -> Invoice:
        party = party or customer()
        v21 = Tax.objects.get(company=ledger, code="V21")
        v9 = Tax.objects.get(company=ledger, code="V9")
        draft = invoicing.invoice_create(
            actor=accountant,
            kind=kind,
            party_id=party.pk,
            date=dt.date(YEAR, 3, 2),
            due_date=dt.date(YEAR, 4, 1),
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
        return invoicing.invoice_post(actor=accountant, invoice_id=draft.pk) if post else draft

    return make


def test_the_html_shows_the_invoice_in_english(invoice: Callable[..., Invoice], bank: Journal) -> None:
    posted = invoice()
    # 250.00 + 180.00 at 21% (90.30), 12.38 at 9% (1.11)
    assert (posted.amount_untaxed, posted.amount_tax, posted.amount_total) == (
        Decimal("442.38"),
        Decimal("91.41"),
        Decimal("533.79"),
    )
    html = documents.invoice_html(posted)
    assert f"Invoice {posted.number}" in html
    assert "Tulip Trading B.V." in html
    assert "Bloemenhandel Visser B.V." in html
    assert "Kerkstraat 12" in html
    assert "1017 GC Amsterdam" in html
    assert "VAT number: NL004495445B01" in html
    assert "March 2, 2026" in html
    assert "April 1, 2026" in html
    assert "€250.00" in html
    assert "€1.25" in html
    assert "€4.125" in html
    assert "10%" in html
    assert "€180.00" in html
    assert "€12.38" in html
    assert "€430.00" in html
    assert "€90.30" in html
    assert "€1.11" in html
    assert "€442.38" in html
    assert "€91.41" in html
    assert "€533.79" in html
    assert "IBAN: NL91 ABNA 0417 1643 00" in html
    assert "BIC: ABNANL2A" in html
    assert f"Payment reference: {posted.number}" in html
    assert "Please pay €533.79 by April 1, 2026." in html


def test_the_pdf_is_a_pdf_with_a_page(invoice: Callable[..., Invoice], bank: Journal) -> None:
    from weasyprint import HTML

    posted = invoice()
    pdf = documents.invoice_pdf(posted)
    assert pdf.startswith(b"%PDF-")
    assert len(HTML(string=documents.invoice_html(posted)).render().pages) == 1


def test_a_dutch_party_gets_the_document_in_dutch(
    invoice: Callable[..., Invoice], customer: Callable[..., Any], bank: Journal
) -> None:
    posted = invoice(customer(language="nl"))
    html = documents.invoice_html(posted)
    with translation.override("nl"):
        title = translation.gettext("Invoice")
    assert '<html lang="nl">' in html
    assert f"{title} {posted.number}" in html
    assert "2 maart 2026" in html
    assert "1 april 2026" in html
    assert "€\xa0533,79" in html
    assert "€\xa04,125" in html
