"""Invoices as documents: the HTML and PDF (WeasyPrint) of an invoice, credit note, bill or
refund, in the party's language — texts, dates and amounts (babel) — with the company's
logo, both addresses, the company's legal details (VAT and Chamber of Commerce numbers,
e-mail, phone, website: Dutch law requires the address and both numbers), the lines, a VAT
summary per tax, the totals and, on an invoice with something due, the payment details
(the IBAN of the company's first bank journal that has one, and the invoice number as
payment reference).

A read: it renders what is stored and changes nothing.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from stdnum import iban

from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.exports import ExportFile
from kantoor.core.models import Company
from kantoor.finance.models import (
    FinanceSettings,
    Invoice,
    InvoiceKind,
    InvoiceState,
    Journal,
    JournalKind,
    Tax,
    TaxRounding,
)
from kantoor.finance.taxes import TaxRate, document_amounts
from kantoor.parties.models import Address, AddressKind, Party

VIEW = "finance.view_invoice"
PDF = "application/pdf"


def document_language(party: Party) -> str:
    """The language the party reads its documents in: its own when Kantoor speaks it, else
    the site's default (texts, dates and amounts all in one language, never mixed)."""
    code = (party.language or "").strip().lower().replace("_", "-")
    available = {language for language, _name in settings.LANGUAGES}
    if code in available:
        return code
    if code.split("-")[0] in available:
        return code.split("-")[0]
    return str(settings.LANGUAGE_CODE)


def kind_title(kind: str) -> str:
    """The title printed on a document of `kind` (in the active language)."""
    titles = {
        InvoiceKind.CUSTOMER_INVOICE: _("Invoice"),
        InvoiceKind.CUSTOMER_CREDIT_NOTE: _("Credit note"),
        InvoiceKind.SUPPLIER_BILL: _("Bill"),
        InvoiceKind.SUPPLIER_REFUND: _("Refund"),
    }
    return titles.get(InvoiceKind(kind), _("Invoice"))


@dataclass(frozen=True)
class _Formats:
    locale: str
    currency: str

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def price(self, amount: Decimal) -> str:
        """A unit price keeps its extra decimals (0.125), but at least the currency's."""
        return format_currency(
            amount.normalize(), self.currency, locale=self.locale, decimal_quantization=False
        )

    def percent(self, value: Decimal) -> str:
        return format_percent(value / 100, locale=self.locale, decimal_quantization=False)

    def quantity(self, value: Decimal) -> str:
        return format_decimal(value.normalize(), locale=self.locale, decimal_quantization=False)

    def date(self, value: Any) -> str:
        return format_date(value, format="long", locale=self.locale) if value else ""


def _locale_name(language: str) -> str:
    return language.replace("-", "_")


def _logo_data_uri(company: Company) -> str:
    """The company's logo as a data URI (WeasyPrint then needs no file access), or ""."""
    if not company.logo:
        return ""
    mime = mimetypes.guess_type(company.logo.name)[0] or "image/png"
    try:
        with company.logo.open("rb") as stream:
            content = stream.read()
    except (OSError, ValueError):
        return ""
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def _address(party: Party) -> Address | None:
    """The party's invoice address, else its primary one, else any."""
    addresses = list(party.addresses.all())
    addresses.sort(key=lambda a: (a.kind != AddressKind.INVOICE, not a.is_primary, a.pk))
    return addresses[0] if addresses else None


def _country(code: str, locale: str) -> str:
    if not code:
        return ""
    try:
        return str(Locale.parse(locale).territories.get(code.upper(), code.upper()))
    except (UnknownLocaleError, ValueError):
        return code.upper()


def _address_lines(address: Address | None, locale: str, *, home_country: str) -> list[str]:
    if address is None:
        return []
    lines = [address.street, " ".join(p for p in (address.postal_code, address.city) if p)]
    if address.region:
        lines.append(address.region)
    if address.country and address.country.upper() != home_country.upper():
        lines.append(_country(address.country, locale))
    return [line for line in lines if line]


def bank_journal_for_documents(company_id: int) -> Journal | None:
    """The bank journal whose account is printed as the payment details: the first with an IBAN."""
    return (
        Journal.objects.filter(company_id=company_id, kind=JournalKind.BANK)
        .exclude(bank_account="")
        .order_by("pk")
        .first()
    )


def _iban_text(value: str) -> str:
    try:
        return str(iban.format(value))
    except Exception:
        return value


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    """What the template shows, formatted for the active language."""
    company = invoice.company
    party = invoice.party
    locale = _locale_name(translation.get_language() or settings.LANGUAGE_CODE)
    fmt = _Formats(locale=locale, currency=invoice.currency)
    lines = list(invoice.lines.select_related("tax").order_by("sequence", "pk"))
    taxes = {line.tax.pk: line.tax for line in lines if line.tax is not None}
    rounding = (
        FinanceSettings.objects.filter(company_id=invoice.company_id)
        .values_list("tax_rounding", flat=True)
        .first()
    ) or TaxRounding.PER_LINE
    amounts = document_amounts(
        [(line.amount_untaxed, line.tax_id) for line in lines],
        {pk: TaxRate(rate=t.rate, is_reverse=t.is_reverse_charge) for pk, t in taxes.items()},
        rounding=rounding,
        currency=invoice.currency,
    )
    untaxed_base = sum((line.amount_untaxed for line in lines if line.tax_id is None), Decimal(0))
    vat_rows = []
    ordered: list[Tax] = sorted(taxes.values(), key=lambda t: (-t.rate, t.code))
    for tax in ordered:
        reverse = tax.is_reverse_charge
        vat_rows.append(
            {
                "name": tax.name,
                "rate": fmt.percent(tax.rate),
                "base": fmt.money(amounts.tax_bases.get(tax.pk, Decimal(0))),
                "tax": fmt.money(Decimal(0) if reverse else amounts.tax_totals.get(tax.pk, Decimal(0))),
                "reverse": reverse,
            }
        )
    if untaxed_base and taxes:
        vat_rows.append(
            {
                "name": _("No VAT"),
                "rate": "",
                "base": fmt.money(untaxed_base),
                "tax": fmt.money(Decimal(0)),
                "reverse": False,
            }
        )
    is_posted = invoice.state == InvoiceState.POSTED
    due = invoice.amount_residual if is_posted else invoice.amount_total
    bank = bank_journal_for_documents(invoice.company_id)
    show_payment = invoice.kind == InvoiceKind.CUSTOMER_INVOICE and due > 0 and bank is not None
    language = locale.split("_")[0]
    return {
        "language": language,
        "title": kind_title(invoice.kind),
        "is_draft": not is_posted,
        "number": invoice.number,
        "date": fmt.date(invoice.date),
        "due_date": "" if invoice.is_refund else fmt.date(invoice.due_date),
        "reference": invoice.reference,
        "credits": invoice.credit_note_of.number if invoice.credit_note_of is not None else "",
        "note": invoice.narration,
        "company": {
            "name": company.name,
            "address": [
                line
                for line in (company.street, " ".join(p for p in (company.postal_code, company.city) if p))
                if line
            ],
            "country": _country(company.country, locale),
            "logo": _logo_data_uri(company),
            "vat_number": company.vat_number,
            "coc_number": company.coc_number,
            "email": company.email,
            "phone": company.phone,
            "website": company.website.removeprefix("https://").removeprefix("http://").rstrip("/"),
        },
        "party": {
            "name": party.name,
            "address": _address_lines(_address(party), locale, home_country=company.country),
            "vat_number": party.vat_number,
        },
        "lines": [
            {
                "description": line.description,
                "product_code": line.product_code,
                "quantity": fmt.quantity(line.quantity),
                "unit_price": fmt.price(line.unit_price),
                "discount": fmt.percent(line.discount) if line.discount else "",
                "vat": fmt.percent(line.tax.rate) if line.tax is not None else "",
                "amount": fmt.money(line.amount_untaxed),
            }
            for line in lines
        ],
        "has_discount": any(line.discount for line in lines),
        "vat_rows": vat_rows,
        "has_reverse_charge": any(row["reverse"] for row in vat_rows),
        "untaxed": fmt.money(invoice.amount_untaxed),
        "tax": fmt.money(invoice.amount_tax),
        "total": fmt.money(invoice.amount_total),
        "paid": fmt.money(invoice.amount_total - due) if is_posted and due != invoice.amount_total else "",
        "due": fmt.money(due),
        "paid_label": _("Settled") if invoice.is_refund else _("Paid"),
        "due_label": _("Open credit") if invoice.is_refund else _("Amount due"),
        "payment": {
            "iban": _iban_text(bank.bank_account),
            "bic": bank.bank_bic,
            "holder": company.name,
            "reference": invoice.number,
        }
        if show_payment and bank is not None
        else None,
    }


def _rendered(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_related("company", "party", "credit_note_of")
        .prefetch_related("party__addresses")
        .get(pk=invoice.pk)
    )


def invoice_html(invoice: Invoice) -> str:
    """The document as HTML, in the party's language."""
    invoice = _rendered(invoice)
    with translation.override(document_language(invoice.party)):
        return render_to_string("finance/invoice_pdf.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice) -> bytes:
    """The document as a PDF, in the party's language."""
    from weasyprint import HTML  # imported here: only documents need it (and it loads slowly)

    return bytes(HTML(string=invoice_html(invoice)).write_pdf() or b"")


def invoice_filename(invoice: Invoice) -> str:
    name = invoice.number or f"draft-{invoice.pk}"
    return f"{name}.pdf"


def invoice_pdf_for_actor(actor: policy.Actor, invoice_id: int) -> ExportFile:
    """The PDF of an invoice the actor may see (a 403 without any invoice permission, a 404
    for one they cannot see), named after its number."""
    policy.require(actor, VIEW)
    invoice = policy.filter_queryset(actor, VIEW, Invoice.objects.all()).filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFoundError(_("Not found."))
    return ExportFile(content=invoice_pdf(invoice), content_type=PDF, filename=invoice_filename(invoice))
