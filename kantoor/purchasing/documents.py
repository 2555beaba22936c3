"""A request for quotation or purchase order as a document: HTML and PDF (WeasyPrint) in the
supplier's language — texts, dates and amounts (babel) — with the company's logo and legal
details, the supplier's address, where to deliver (the warehouse, or the drop-ship
customer), the lines and the totals. A read: it renders what is stored and changes nothing.
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
from kantoor.parties.models import Address, AddressKind, Party
from kantoor.purchasing.models import PurchaseOrder
from kantoor.purchasing.selectors import order_get_for_actor, order_lines

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


def _address_lines(
    party: Party, locale: str, home_country: str, *, kind: str = AddressKind.INVOICE
) -> list[str]:
    addresses: list[Address] = list(party.addresses.all())
    addresses.sort(key=lambda a: (a.kind != kind, not a.is_primary, a.pk))
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


def order_title(order: PurchaseOrder) -> str:
    return _("Request for quotation") if order.is_rfq else _("Purchase order")


def order_context(order: PurchaseOrder) -> dict[str, Any]:
    """What the template shows, formatted for the active language."""
    locale = _locale()
    company = order.company

    def money(amount: Decimal) -> str:
        return format_currency(amount, order.currency, locale=locale)

    def day(value: Any) -> str:
        return format_date(value, format="long", locale=locale) if value else ""

    lines = order_lines(order)
    if order.dropship_customer is not None:
        deliver_to = [
            order.dropship_customer.name,
            *_address_lines(order.dropship_customer, locale, company.country, kind=AddressKind.DELIVERY),
        ]
    else:
        deliver_to = [
            company.name,
            order.warehouse.name,
            *[
                line
                for line in (company.street, " ".join(p for p in (company.postal_code, company.city) if p))
                if line
            ],
        ]
    return {
        "language": locale.split("_")[0],
        "title": order_title(order),
        "is_rfq": order.is_rfq,
        "number": order.number,
        "date": day(order.order_date),
        "expected_date": day(order.expected_date),
        "deliver_to": deliver_to,
        "buyer": order.buyer.get_full_name() if order.buyer is not None else "",
        "note": order.notes,
        "company": {
            "name": company.name,
            "address": [
                line
                for line in (company.street, " ".join(p for p in (company.postal_code, company.city) if p))
                if line
            ],
            "country": _country(company.country, locale),
            "logo": _logo(company),
            "vat_number": company.vat_number,
            "coc_number": company.coc_number,
            "email": company.email,
            "phone": company.phone,
            "website": company.website.removeprefix("https://").removeprefix("http://").rstrip("/"),
        },
        "party": {
            "name": order.supplier.name,
            "address": _address_lines(order.supplier, locale, company.country),
            "vat_number": order.supplier.vat_number,
        },
        "lines": [
            {
                "description": line.description,
                "product_code": line.product.sku,
                "quantity": format_decimal(
                    line.quantity.normalize(), locale=locale, decimal_quantization=False
                ),
                "uom": line.uom.code,
                "unit_price": format_currency(
                    line.unit_price.normalize(), order.currency, locale=locale, decimal_quantization=False
                ),
                "discount": format_percent(line.discount / 100, locale=locale, decimal_quantization=False)
                if line.discount
                else "",
                "vat": format_percent(line.tax.rate / 100, locale=locale, decimal_quantization=False)
                if line.tax is not None
                else "",
                "expected_date": format_date(line.expected_date, format="short", locale=locale)
                if line.expected_date
                else "",
                "amount": money(line.amount_untaxed),
            }
            for line in lines
        ],
        "has_discount": any(line.discount for line in lines),
        "untaxed": money(order.amount_untaxed),
        "tax": money(order.amount_tax),
        "total": money(order.amount_total),
    }


def _rendered(order: PurchaseOrder) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.select_related("company", "supplier", "warehouse", "dropship_customer", "buyer")
        .prefetch_related("supplier__addresses", "dropship_customer__addresses")
        .get(pk=order.pk)
    )


def order_html(order: PurchaseOrder) -> str:
    """The document as HTML, in the supplier's language."""
    order = _rendered(order)
    with translation.override(document_language(order.supplier)):
        return render_to_string("purchasing/order_pdf.html", order_context(order))


def order_pdf(order: PurchaseOrder) -> bytes:
    """The document as a PDF, in the supplier's language."""
    from weasyprint import HTML  # imported here: only documents need it (and it loads slowly)

    return bytes(HTML(string=order_html(order)).write_pdf() or b"")


def order_filename(order: PurchaseOrder) -> str:
    return f"{order.number}.pdf"


def order_pdf_for_actor(actor: Any, order_id: int) -> ExportFile:
    """The PDF of an order the actor may see (a 404 otherwise)."""
    order = order_get_for_actor(actor, order_id)
    return ExportFile(content=order_pdf(order), content_type=PDF, filename=order_filename(order))
