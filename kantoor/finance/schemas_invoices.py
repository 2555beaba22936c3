"""API schemas of invoices, taxes, payment terms, payments and open items. As in the ledger's
schemas, amounts travel as decimal strings both ways ("1234.50"), never as JSON numbers;
the patterns bound only the shape and size, the services check the decimals and the rules.

Amounts are answered exactly as stored, without the storage's trailing zeros beyond the
currency's two places ("120.99", not "120.990000"; a per-document line tax keeps its
exact share, "6.9993")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Q
from ninja import Schema
from pydantic import BeforeValidator, Field

from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged
from kantoor.finance.models import (
    AccountRole,
    Invoice,
    InvoiceKind,
    InvoiceState,
    Match,
    OpenItem,
    Payment,
    PaymentKind,
    PaymentState,
    PaymentStatus,
    PaymentTerm,
    TaxScope,
)
from kantoor.finance.schemas import Amount

# Quantities have 4 decimals, unit prices 6 (as stored), both may be negative (a discount
# line); a discount is a percentage. The services refuse 10^12 and more.
_QUANTITY = r"^-?[0-9]{1,12}(\.[0-9]{1,4})?$"
_PRICE = r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$"
_PERCENT = r"^[0-9]{1,3}(\.[0-9]{1,4})?$"

Quantity = Annotated[
    str, Field(pattern=_QUANTITY, max_length=18, description='A decimal string, e.g. "3".', examples=["3"])
]
UnitPrice = Annotated[
    str,
    Field(pattern=_PRICE, max_length=20, description='A decimal string, e.g. "33.33".', examples=["33.33"]),
]
Percent = Annotated[
    str, Field(pattern=_PERCENT, max_length=8, description="A percentage, 0 to 100.", examples=["10"])
]


def trimmed(value: Decimal, places: int = 2) -> str:
    """`value` as text with at least `places` decimals and no trailing zeros beyond them."""
    value = Decimal(value)
    short = value.quantize(Decimal(1).scaleb(-places))
    if short == value:
        return f"{short:f}"
    return f"{value.normalize():f}"


def _money_text(value: Any) -> Any:
    return trimmed(value) if isinstance(value, Decimal) else value


def _number_text(value: Any) -> Any:
    return trimmed(value, 0) if isinstance(value, Decimal) else value


# An amount as stored, shown with at least two decimals; a quantity or a rate without any.
MoneyText = Annotated[str, BeforeValidator(_money_text)]
NumberText = Annotated[str, BeforeValidator(_number_text)]


# ----------------------------------------------------------------------------- taxes and terms


class TaxOut(Schema):
    id: int
    code: str
    name: str
    scope: str = Field(description="sale or purchase.")
    treatment: str
    rate: NumberText = Field(description='Percent, e.g. "21".')
    account_id: int | None
    reverse_account_id: int | None = Field(description="Set for reverse charge: the self-assessed VAT.")
    base_tag: str = Field(description="The VAT-return box of the base.")
    tax_tag: str = Field(description="The VAT-return box of the tax.")
    reverse_tag: str
    is_active: bool


class TaxPage(Page[TaxOut]):
    pass


class TaxFilters(QueryInput):
    scope: TaxScope | None = None
    active: bool | None = Field(None, description="Only active (true) or archived (false) taxes.")


class InstalmentOut(Schema):
    sequence: int
    percent: NumberText = Field(description="Share of the total; the last instalment takes the rest.")
    days: int = Field(description="Days after the invoice date.")
    end_of_month: bool = Field(description="Then at the end of that month.")


class PaymentTermOut(Schema):
    id: int
    name: str
    is_active: bool
    instalments: list[InstalmentOut]

    @staticmethod
    def resolve_instalments(obj: PaymentTerm) -> list[Any]:
        return list(obj.lines.all())


class PaymentTermPage(Page[PaymentTermOut]):
    pass


class PaymentTermFilters(QueryInput):
    active: bool | None = Field(None, description="Only active (true) or archived (false) terms.")


# ----------------------------------------------------------------------------- invoices


class InvoiceListOut(Schema):
    """An invoice, credit note, bill or refund as lists show it (without its lines)."""

    id: int
    kind: str
    number: str = Field(description="Empty while a draft; the gapless number once posted.")
    state: str
    payment_state: str
    party_id: int
    party_name: str
    date: dt.date
    due_date: dt.date | None
    currency: str
    amount_untaxed: MoneyText
    amount_tax: MoneyText
    amount_total: MoneyText
    amount_residual: MoneyText = Field(description="What is still due (the total while a draft).")
    reference: str
    credit_note_of_id: int | None = Field(description="On a credit note or refund: the document it credits.")
    entry_id: int | None = Field(description="The journal entry, once posted.")
    posted_at: dt.datetime | None
    sent_at: dt.datetime | None
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_party_name(obj: Invoice) -> str:
        return obj.party.name


class InvoiceLineOut(Schema):
    id: int
    sequence: int
    product_code: str
    description: str
    quantity: NumberText
    unit_price: MoneyText
    discount: NumberText = Field(description="Percent.")
    account_id: int
    tax_id: int | None
    amount_untaxed: MoneyText
    amount_tax: MoneyText = Field(description="Exact (unrounded) when taxes are rounded per document.")


class InvoiceOut(InvoiceListOut):
    journal_id: int
    payment_term_id: int | None
    rate: NumberText = Field(description="Units of the currency per unit of the company currency.")
    narration: str
    entry_number: str = Field(description="The journal entry's number; empty while a draft.")
    posted_by_id: int | None
    lines: list[InvoiceLineOut]

    @staticmethod
    def resolve_entry_number(obj: Invoice) -> str:
        return obj.entry.number if obj.entry_id is not None and obj.entry is not None else ""

    @staticmethod
    def resolve_lines(obj: Invoice) -> list[Any]:
        return list(obj.lines.order_by("sequence", "id"))


class InvoicePage(Page[InvoiceListOut]):
    pass


class InvoiceFilters(QueryInput):
    kind: InvoiceKind | None = None
    state: InvoiceState | None = None
    payment_state: PaymentState | None = None
    party_id: Id | None = None
    date_from: dt.date | None = Field(None, description="Dated on or after this date.")
    date_to: dt.date | None = Field(None, description="Dated on or before this date.")
    overdue: bool | None = Field(
        None, description="true: posted, not paid and due before today; false: all others."
    )


class InvoiceLineIn(Input):
    """quantity × unit price less `discount` percent, on `account_id` (default: the journal's
    revenue or expense account) with at most one tax."""

    description: str = Field(min_length=1, max_length=500)
    quantity: Quantity = "1"
    unit_price: UnitPrice = "0"
    discount: Percent = "0"
    account_id: Id | None = None
    tax_id: Id | None = None
    product_code: str = Field("", max_length=60)


class InvoiceCreateIn(Input):
    kind: InvoiceKind
    party_id: Id
    date: dt.date
    due_date: dt.date | None = Field(None, description="Default: from the payment term (or the date).")
    payment_term_id: Id | None = None
    currency: str = Field("", max_length=3, description="ISO 4217; default the company currency.")
    reference: str = Field("", max_length=120)
    narration: str = Field("", max_length=20000)
    lines: list[InvoiceLineIn] = Field(max_length=500)


class InvoiceUpdateIn(Input):
    """Only the fields sent change; `lines`, when sent, replace all the lines. The due date is
    computed again from the payment term unless sent."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    party_id: Id = unchanged()
    date: dt.date = unchanged()
    due_date: dt.date = unchanged()
    payment_term_id: Id = unchanged()
    currency: str = unchanged(max_length=3)
    reference: str = unchanged(max_length=120)
    narration: str = unchanged(max_length=20000)
    lines: list[InvoiceLineIn] = unchanged(max_length=500)


class InvoiceVersionIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")


class CreditNoteLineIn(Input):
    line_id: Id = Field(description="A line of the invoice credited.")
    quantity: Quantity | None = Field(None, description="Default: the whole quantity invoiced.")


class CreditNoteIn(Input):
    date: dt.date | None = Field(None, description="Default: today.")
    reason: str = Field("", max_length=20000, description="Default: “Credit note for <number>”.")
    lines: list[CreditNoteLineIn] | None = Field(
        None, max_length=500, description="Part of some lines; default: all of the invoice."
    )


class InvoiceSendIn(Input):
    to: list[Annotated[str, Field(max_length=254)]] = Field(
        [], max_length=50, description="E-mail addresses; default: the party's invoice address."
    )


class UnreconcileOut(Schema):
    matches_removed: int


# ----------------------------------------------------------------------------- payments


class PaymentListOut(Schema):
    id: int
    kind: str = Field(description="inbound (received) or outbound (sent).")
    status: str
    party_id: int
    party_name: str
    journal_id: int
    date: dt.date
    amount: MoneyText
    currency: str
    reference: str
    entry_id: int
    entry_number: str
    reversal_id: int | None = Field(description="Once cancelled: the reversing journal entry.")
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_party_name(obj: Payment) -> str:
        return obj.party.name

    @staticmethod
    def resolve_entry_number(obj: Payment) -> str:
        return obj.entry.number


class PaymentMatchOut(Schema):
    """What the payment settled on the party's account: an invoice's amount (or, for a
    cancelled payment, its reversal)."""

    id: int
    date: dt.date
    amount: MoneyText
    invoice_id: int | None
    invoice_number: str
    entry_id: int
    entry_number: str


class PaymentOut(PaymentListOut):
    matches: list[PaymentMatchOut]
    amount_open: MoneyText = Field(description="What is not matched yet (an open credit on the party).")

    @staticmethod
    def resolve_matches(obj: Payment) -> list[dict[str, Any]]:
        # Its receivable or payable side (both items of a match share the account).
        matches = (
            Match.objects.filter(Q(credit_item__entry_id=obj.entry_id) | Q(debit_item__entry_id=obj.entry_id))
            .filter(debit_item__account__role__in=[AccountRole.RECEIVABLE, AccountRole.PAYABLE])
            .select_related("debit_item__entry__invoice", "credit_item__entry__invoice")
        )
        result = []
        for match in matches.order_by("id"):
            other = match.credit_item if match.debit_item.entry_id == obj.entry_id else match.debit_item
            invoice: Invoice | None = getattr(other.entry, "invoice", None)
            result.append(
                {
                    "id": match.pk,
                    "date": match.date,
                    "amount": match.amount,
                    "invoice_id": invoice.pk if invoice is not None else None,
                    "invoice_number": invoice.number if invoice is not None else "",
                    "entry_id": other.entry_id,
                    "entry_number": other.entry.number,
                }
            )
        return result

    @staticmethod
    def resolve_amount_open(obj: Payment) -> Decimal:
        items = OpenItem.objects.filter(entry_id=obj.entry_id, party_id=obj.party_id)
        return abs(sum((Decimal(str(r)) for r in items.values_list("residual", flat=True)), Decimal(0)))


class PaymentPage(Page[PaymentListOut]):
    pass


class PaymentFilters(QueryInput):
    kind: PaymentKind | None = None
    status: PaymentStatus | None = None
    party_id: Id | None = None
    date_from: dt.date | None = Field(None, description="On or after this date.")
    date_to: dt.date | None = Field(None, description="On or before this date.")


class AllocationIn(Input):
    invoice_id: Id
    amount: Amount | None = Field(None, description="Default: all that is due on the invoice.")


class PaymentCreateIn(Input):
    kind: PaymentKind
    party_id: Id
    journal_id: Id = Field(description="A bank or cash journal.")
    date: dt.date
    amount: Amount
    reference: str = Field("", max_length=120)
    allocations: list[AllocationIn] = Field(
        [], max_length=500, description="The invoices it pays; the rest stays open on the party."
    )
    currency: str = Field(
        "",
        max_length=3,
        description="ISO 4217; default the company's. Pays documents in that currency; the exchange "
        "difference against their own rate is booked.",
    )
    counterpart: Literal["", "receivable", "payable"] = Field(
        "",
        description="Without allocations: settle the party's open balance there in the other "
        "direction (refund a customer's credit: outbound on receivable).",
    )


class PaymentCancelIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    date: dt.date | None = Field(None, description="Of the reversal; default: the payment's date.")


# ----------------------------------------------------------------------------- open items


class OpenItemOut(Schema):
    """What is still open of a posted line on a receivable or payable (or bank) account:
    positive for a debit (an invoice), negative for a credit (a payment, a credit note)."""

    id: int = Field(description="The journal line's id.")
    entry_id: int
    entry_number: str
    invoice_id: int | None
    invoice_number: str
    account_id: int
    party_id: int | None
    date: dt.date
    due_date: dt.date
    currency: str
    amount: MoneyText
    residual: MoneyText

    @staticmethod
    def resolve_id(obj: OpenItem) -> int:
        return obj.line_id

    @staticmethod
    def resolve_entry_number(obj: OpenItem) -> str:
        return obj.entry.number

    @staticmethod
    def resolve_invoice_id(obj: OpenItem) -> int | None:
        invoice = getattr(obj.entry, "invoice", None)
        return invoice.pk if invoice is not None else None

    @staticmethod
    def resolve_invoice_number(obj: OpenItem) -> str:
        invoice = getattr(obj.entry, "invoice", None)
        return invoice.number if invoice is not None else ""


class OpenItemPage(Page[OpenItemOut]):
    pass


class OpenItemFilters(QueryInput):
    party_id: Id | None = None
    account_role: Literal["receivable", "payable"] | None = Field(
        None, description="receivable or payable; default both."
    )
    open: bool | None = Field(None, description="Only open (true) or settled (false) items.")


class ItemsReconcileIn(Input):
    item_ids: list[Id] = Field(
        min_length=2, max_length=500, description="Open items of one account and party."
    )


class ReconciledOut(Schema):
    amount: MoneyText = Field(description="The amount settled.")
