"""A quotation or sales order as a document: HTML and PDF (WeasyPrint) in the customer's
language — texts, dates and amounts (babel) — with the company's letterhead, the customer's
address, the lines (the optional ones apart, outside the totals), discounts, the VAT per
rate, the totals, the validity date and, while the quotation waits for an answer, the link
to accept it online. Never the costs or the margin: this is what the customer reads.
A read: it renders what is stored and changes nothing.
"""

from __future__ import annotations

import base64
import mimetypes
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from kantoor.core.exports import ExportFile
from kantoor.core.models import Company
from kantoor.finance.documents import document_language
from kantoor.finance.models import FinanceSettings, Tax, TaxRounding
from kantoor.finance.taxes import TaxRate, document_amounts
from kantoor.parties.models import Address, AddressKind, Party
from kantoor.sales.models import OrderState, SalesOrder, SalesOrderLine
from kantoor.sales.quotes import quote_link_url

PDF = "application/pdf"


def _locale() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).replace("-", "_")


def _country(code: str, locale: str) -> str:
    if not code:
        return ""
    try:
        return str(Locale.parse(locale).territories.get(code.upper(), code.upper()))
    except (UnknownLocaleError, ValueError):
        return code.upper()


def _address_lines(party: Party, locale: str, home_country: str) -> list[str]:
    addresses: list[Address] = list(party.addresses.all())
    addresses.sort(key=lambda a: (a.kind != AddressKind.INVOICE, not a.is_primary, a.pk))
    if not addresses:
        return []
    address = addresses[0]
    lines = [address.street, " ".join(p for p in (address.postal_code, address.city) if p)]
    if address.country and address.country.upper() != home_country.upper():
        lines.append(_country(address.country, locale))
    return [line for line in lines if line]


def _logo(company: Company) -> str:
    if not company.logo:
        return ""
    mime = mimetypes.guess_type(company.logo.name)[0] or "image/png"
    try:
        with company.logo.open("rb") as stream:
            content = stream.read()
    except (OSError, ValueError):
        return ""
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def order_title(order: SalesOrder) -> str:
    return _("Quotation") if order.is_quotation else _("Order confirmation")


def _company_address(company: Company) -> list[str]:
    return [
        line
        for line in (company.street, " ".join(p for p in (company.postal_code, company.city) if p))
        if line
    ]


def _vat_rows(
    order: SalesOrder, lines: list[SalesOrderLine], money: Any, percent: Any
) -> list[dict[str, Any]]:
    """The VAT per rate of the lines in the total (the optional ones are not)."""
    taxes: dict[int, Tax] = {line.tax.pk: line.tax for line in lines if line.tax is not None}
    if not taxes:
        return []
    rounding = (
        FinanceSettings.objects.filter(company_id=order.company_id)
        .values_list("tax_rounding", flat=True)
        .first()
    ) or TaxRounding.PER_LINE
    amounts = document_amounts(
        [(line.amount_untaxed, line.tax_id) for line in lines],
        {pk: TaxRate(rate=t.rate, is_reverse=t.is_reverse_charge) for pk, t in taxes.items()},
        rounding=rounding,
        currency=order.currency,
    )
    rows = [
        {
            "name": tax.name,
            "rate": percent(tax.rate),
            "base": money(amounts.tax_bases.get(tax.pk, Decimal(0))),
            "tax": money(Decimal(0) if tax.is_reverse_charge else amounts.tax_totals.get(tax.pk, Decimal(0))),
        }
        for tax in sorted(taxes.values(), key=lambda t: (-t.rate, t.code))
    ]
    untaxed_base = sum((line.amount_untaxed for line in lines if line.tax_id is None), Decimal(0))
    if untaxed_base:
        rows.append({"name": _("No VAT"), "rate": "", "base": money(untaxed_base), "tax": money(Decimal(0))})
    return rows


def order_context(order: SalesOrder, *, accept_url: str = "") -> dict[str, Any]:
    """What the template shows, formatted for the active language (no cost, no margin)."""
    locale = _locale()
    company = order.company

    def money(amount: Decimal) -> str:
        return format_currency(amount, order.currency, locale=locale)

    def percent(value: Decimal) -> str:
        return format_percent(value / 100, locale=locale, decimal_quantization=False)

    def day(value: Any) -> str:
        return format_date(value, format="long", locale=locale) if value else ""

    def row(line: SalesOrderLine) -> dict[str, Any]:
        return {
            "description": line.description,
            "product_code": line.product.sku,
            "quantity": format_decimal(line.quantity.normalize(), locale=locale, decimal_quantization=False),
            "uom": line.uom.code,
            "unit_price": format_currency(
                line.unit_price.normalize(), order.currency, locale=locale, decimal_quantization=False
            ),
            "discount": percent(line.discount) if line.discount else "",
            "vat": percent(line.tax.rate) if line.tax is not None else "",
            "amount": money(line.amount_untaxed),
        }

    all_lines = list(order.lines.select_related("product", "uom", "tax").order_by("sequence", "id"))
    lines = [line for line in all_lines if not line.is_optional]
    optional = [line for line in all_lines if line.is_optional]
    return {
        "language": locale.split("_")[0],
        "title": order_title(order),
        "is_quotation": order.is_quotation,
        "is_cancelled": order.state == OrderState.CANCELLED,
        "number": order.number,
        "revision": order.revision,
        "date": day(order.order_date),
        "valid_until": day(order.valid_until) if order.is_quotation else "",
        "customer_reference": order.customer_reference,
        "payment_term": order.payment_term.name if order.payment_term is not None else "",
        "salesperson": order.salesperson.get_full_name() if order.salesperson is not None else "",
        "accept_url": accept_url,
        "note": order.notes,
        "company": {
            "name": company.name,
            "address": _company_address(company),
            "country": _country(company.country, locale),
            "logo": _logo(company),
            "vat_number": company.vat_number,
            "coc_number": company.coc_number,
            "email": company.email,
            "phone": company.phone,
            "website": company.website.removeprefix("https://").removeprefix("http://").rstrip("/"),
        },
        "party": {
            "name": order.customer.name,
            "address": _address_lines(order.customer, locale, company.country),
            "vat_number": order.customer.vat_number,
        },
        "lines": [row(line) for line in lines],
        "optional_lines": [row(line) for line in optional],
        "has_discount": any(line.discount for line in all_lines),
        "vat_rows": _vat_rows(order, lines, money, percent),
        "untaxed": money(order.amount_untaxed),
        "tax": money(order.amount_tax),
        "total": money(order.amount_total),
    }


def document_date(value: Any) -> str:
    """A date as documents print it, in the active language ("" for none)."""
    return format_date(value, format="long", locale=_locale()) if value else ""


def _rendered(order: SalesOrder) -> SalesOrder:
    return (
        SalesOrder.objects.select_related("company", "customer", "payment_term", "salesperson")
        .prefetch_related("customer__addresses")
        .get(pk=order.pk)
    )


def order_html(order: SalesOrder, *, with_link: bool = True) -> str:
    """The document as HTML, in the customer's language; a sent quotation carries the link
    to accept it online (unless `with_link` is false)."""
    order = _rendered(order)
    accept_url = quote_link_url(order) if with_link and order.state == OrderState.SENT else ""
    with translation.override(document_language(order.customer)):
        return render_to_string("sales/order_pdf.html", order_context(order, accept_url=accept_url))


def order_pdf(order: SalesOrder, *, with_link: bool = True) -> bytes:
    """The document as a PDF, in the customer's language."""
    from weasyprint import HTML  # imported here: only documents need it (and it loads slowly)

    return bytes(HTML(string=order_html(order, with_link=with_link)).write_pdf() or b"")


def order_filename(order: SalesOrder) -> str:
    suffix = f"-v{order.revision}" if order.is_quotation and order.revision > 1 else ""
    return f"{order.number}{suffix}.pdf"


def order_pdf_for_actor(actor: Any, order_id: int) -> ExportFile:
    """The PDF of a quotation or order the actor may see (a 404 otherwise)."""
    from kantoor.sales.selectors import order_get_for_actor

    order = order_get_for_actor(actor, order_id)
    return ExportFile(content=order_pdf(order), content_type=PDF, filename=order_filename(order))
