"""Invoices as documents: the HTML and PDF in the party's language, the PDF page and API
endpoint with the policy, and the e-mail a send request leaves as (through a real SMTP
server on loopback), with the timeline entries of the invoice's life."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from kantoor.core.errors import PermissionDeniedError
from kantoor.core.models import AuditEntry
from kantoor.core.services import company_update
from kantoor.finance import documents, invoicing, services
from kantoor.finance.errors import JournalInvalidError
from kantoor.finance.models import Invoice, Journal
from kantoor.finance.tests.documents_support import bank_set, customer_make, invoice_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(accountant: Any, ledger: Any) -> Journal:
    return bank_set(accountant)


@pytest.fixture
def customer(accountant: Any, ledger: Any) -> Callable[..., Any]:
    return lambda name="Bloemenhandel Visser B.V.", **fields: customer_make(accountant, name, **fields)


@pytest.fixture
def invoice(accountant: Any, ledger: Any) -> Callable[..., Invoice]:
    def make(party: Any = None, **kwargs: Any) -> Invoice:
        return invoice_make(accountant, party or customer_make(accountant), **kwargs)

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
    posted = invoice(customer("Bloemkwekerij De Vries", language="nl", vat_number=""))
    html = documents.invoice_html(posted)
    with translation.override("nl"):
        title = translation.gettext("Invoice")
    assert '<html lang="nl">' in html
    assert f"{title} {posted.number}" in html
    assert "2 maart 2026" in html
    assert "1 april 2026" in html
    assert "€\xa0533,79" in html
    assert "€\xa04,125" in html


def test_a_bank_journal_gets_its_iban_and_bic(
    accountant: Any, ledger: Any, make_user: Callable[..., Any]
) -> None:
    journal = bank_set(accountant)
    assert (journal.bank_account, journal.bank_bic) == ("NL91ABNA0417164300", "ABNANL2A")
    assert documents.bank_journal_for_documents(ledger.pk) == journal
    audit = AuditEntry.objects.filter(action="finance.journal_bank_details_set").get()
    assert audit.changes == {
        "bank_account": ["", "NL91ABNA0417164300"],
        "bank_bic": ["", "ABNANL2A"],
    }

    with pytest.raises(JournalInvalidError) as refused:
        services.journal_bank_details_set(
            actor=accountant, journal_id=journal.pk, bank_account="NL91ABNA0417164301", bank_bic="ABN"
        )
    assert refused.value.field_errors == {
        "bank_account": ["Not a valid IBAN."],
        "bank_bic": ["Not a valid BIC."],
    }
    sales = Journal.objects.get(company=ledger, code="SAL")
    with pytest.raises(JournalInvalidError) as refused:
        services.journal_bank_details_set(actor=accountant, journal_id=sales.pk, bank_account="")
    assert refused.value.field_errors == {"journal_id": ["Only a bank journal has a bank account."]}
    with pytest.raises(PermissionDeniedError):
        services.journal_bank_details_set(actor=make_user("sales"), journal_id=journal.pk, bank_account="")
    journal.refresh_from_db()
    assert (journal.bank_account, journal.bank_bic) == ("NL91ABNA0417164300", "ABNANL2A")


def test_the_company_logo_is_embedded(
    invoice: Callable[..., Invoice], ledger: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    ledger.logo.save("tulip.png", ContentFile(png))
    posted = invoice()
    html = documents.invoice_html(posted)
    assert (
        f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="Tulip Trading B.V.">' in html
    )
    assert documents.invoice_pdf(posted).startswith(b"%PDF-")


def test_the_company_legal_details_are_shown(
    invoice: Callable[..., Invoice], admin_user: Any, bank: Journal
) -> None:
    company_update(
        actor=admin_user,
        street="Keizersgracht 123",
        postal_code="1015 CJ",
        city="Amsterdam",
        vat_number="NL123456782B01",
        coc_number="34567890",
        email="info@tulip.example",
        phone="+31 20 123 4567",
        website="https://www.tulip.example",
    )
    posted = invoice()

    html = documents.invoice_html(posted)

    header = html.split("<header>", 1)[1].split("</header>", 1)[0]
    assert '<div class="name">Tulip Trading B.V.</div>' in header
    assert "<div>Keizersgracht 123</div>" in header
    assert "<div>1015 CJ Amsterdam</div>" in header
    assert "<div>info@tulip.example</div>" in header
    assert "<div>www.tulip.example</div>" in header
    footer = html.split('<footer class="legal">', 1)[1].split("</footer>", 1)[0]
    assert 'VAT number: <span class="company-vat">NL123456782B01</span>' in footer
    assert 'CoC number: <span class="company-coc">34567890</span>' in footer
    assert "Keizersgracht 123" in footer
    assert "1015 CJ Amsterdam" in footer
    assert documents.invoice_pdf(posted).startswith(b"%PDF-")


def test_a_company_without_legal_details_prints_no_empty_labels(
    invoice: Callable[..., Invoice], bank: Journal
) -> None:
    html = documents.invoice_html(invoice())
    footer = html.split('<footer class="legal">', 1)[1].split("</footer>", 1)[0]
    assert "CoC number" not in footer
    assert "company-vat" not in footer
    assert "Tulip Trading B.V." in footer


def test_a_credit_note_names_the_invoice_it_credits(
    accountant: Any, invoice: Callable[..., Invoice], bank: Journal
) -> None:
    posted = invoice()
    note = invoicing.credit_note_create(actor=accountant, invoice_id=posted.pk, date=dt.date(2026, 3, 9))
    note = invoicing.invoice_post(actor=accountant, invoice_id=note.pk)
    html = documents.invoice_html(note)
    assert f"Credit note {note.number}" in html
    assert f"<dt>Credits invoice</dt><dd>{posted.number}</dd>" in html
    assert "<td>Settled</td>" in html
    assert "<td>Open credit</td>" in html
    assert "Due date" not in html
    assert "IBAN" not in html  # nothing to pay
    assert "Amount due" not in documents.invoice_html(note)


def test_a_draft_says_so_and_shows_no_amount_due(invoice: Callable[..., Invoice], bank: Journal) -> None:
    draft = invoice(post=False)
    html = documents.invoice_html(draft)
    assert 'Invoice <span class="draft">(draft)</span>' in html
    assert "Amount due" not in html
    assert "€533.79" in html
    assert documents.invoice_filename(draft) == f"draft-{draft.pk}.pdf"
