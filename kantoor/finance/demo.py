"""Demo ledger: the Dutch chart, the current fiscal year and a handful of realistic posted
entries — opening balances, rent, a cash sale, a sales invoice, purchases, and a wrongly
booked fuel bill that is reversed and booked again.

Then invoices in every state, dated back from the day the demo is loaded: customer invoices
of the demo's customers (drafts, open, overdue, partly paid and paid, one overpaid so that
an open credit remains), two credit notes (one crediting an invoice in full), supplier bills
(some paid), the payments, and the bank account printed on the invoices.

Every entry is found again by its reference (invoices, bills and payments by theirs, the
credit note by the invoice it credits), so a re-run creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import demo
from kantoor.core.models import Company, User
from kantoor.core.money import quantize
from kantoor.finance import invoicing, payments, services
from kantoor.finance.models import (
    Account,
    FiscalYear,
    Invoice,
    InvoiceKind,
    InvoiceState,
    Journal,
    JournalEntry,
    Payment,
    Tax,
)
from kantoor.parties.models import Party


class DemoEntry(NamedTuple):
    reference: str
    journal: str
    day: int  # days after the start of the fiscal year
    narration: str
    lines: tuple[tuple[str, str, str], ...]  # account code, debit, credit


DEMO_ENTRIES = (
    DemoEntry(
        "OPENING",
        "MEM",
        0,
        "Openingsbalans",
        (
            ("1100", "48250.00", "0"),
            ("1000", "350.00", "0"),
            ("0400", "12500.00", "0"),
            ("0800", "0", "18000.00"),
            # No stock: the goods in stock come in through inventory's receipts, so the stock
            # accounts and the stock valuation agree (kantoor ledger verify).
            ("0820", "0", "23100.00"),
            ("1600", "0", "6200.00"),
            ("0900", "0", "13800.00"),
        ),
    ),
    DemoEntry(
        "RENT-01",
        "BNK",
        2,
        "Huur bedrijfsruimte januari",
        (("4100", "2450.00", "0"), ("1100", "0", "2450.00")),
    ),
    DemoEntry(
        "CASH-0107",
        "KAS",
        6,
        "Contante verkoop balie",
        (("1000", "605.00", "0"), ("8000", "0", "500.00"), ("1510", "0", "105.00")),
    ),
    DemoEntry(
        "INV-SUPPLY-311",
        "IK",
        8,
        "Kantoorbenodigdheden Papierhuis",
        (("4300", "186.00", "0"), ("1500", "39.06", "0"), ("1600", "0", "225.06")),
    ),
    DemoEntry(
        "SALES-0113",
        "VK",
        12,
        "Levering tulpenbollen Bloemenhandel Visser",
        (("1300", "3025.00", "0"), ("8000", "0", "2500.00"), ("1510", "0", "525.00")),
    ),
    DemoEntry(
        "SOFTWARE-01",
        "BNK",
        14,
        "Boekhoudsoftware abonnement januari",
        (("4320", "89.00", "0"), ("1500", "18.69", "0"), ("1100", "0", "107.69")),
    ),
    DemoEntry(
        "FUEL-0118", "BNK", 17, "Brandstof bestelbus", (("4100", "74.38", "0"), ("1100", "0", "74.38"))
    ),
    DemoEntry(
        "FUEL-0118-C",
        "BNK",
        17,
        "Brandstof bestelbus (gecorrigeerd)",
        (("4200", "74.38", "0"), ("1100", "0", "74.38")),
    ),
)
# The first fuel bill went to rent by mistake; the demo reverses it (the correction follows).
REVERSED = "FUEL-0118"


@demo.register("finance", order=50)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """The Dutch chart, this fiscal year and the demo entries, created where missing."""
    actor = users["finance"]
    advance = progress(_("Ledger"), len(DEMO_ENTRIES) + 2)
    if not Account.objects.filter(company=company).exists():
        services.chart_install(actor=actor, template="nl")
    year = company.fiscal_year_of(timezone.localdate())
    fiscal_year = FiscalYear.objects.filter(company=company, year=year).first()
    if fiscal_year is None:
        fiscal_year = services.fiscal_year_create(actor=actor, year=year)
    advance(1)
    accounts = dict(Account.objects.filter(company=company).values_list("code", "pk"))
    journals = dict(Journal.objects.filter(company=company).values_list("code", "pk"))
    existing = {
        e.reference: e
        for e in JournalEntry.objects.filter(
            company=company,
            reference__startswith="DEMO-",
            reversal_of__isnull=True,  # a reversal keeps the reference
        )
    }
    for spec in DEMO_ENTRIES:
        reference = f"DEMO-{spec.reference}"
        entry = existing.get(reference)
        if entry is None:
            entry = services.entry_create(
                actor=actor,
                journal_id=journals[spec.journal],
                date=fiscal_year.start_date + dt.timedelta(days=spec.day),
                reference=reference,
                narration=spec.narration,
                lines=[
                    services.LineIn(account_id=accounts[code], debit=Decimal(debit), credit=Decimal(credit))
                    for code, debit, credit in spec.lines
                ],
            )
        if not entry.is_posted:
            entry = services.entry_post(actor=actor, entry_id=entry.pk)
        if spec.reference == REVERSED and not JournalEntry.objects.filter(reversal_of=entry).exists():
            services.entry_reverse(actor=actor, entry_id=entry.pk)
        advance(1)
    advance(1)
    _invoices_load(company, actor, progress)


# ----------------------------------------------------------------------------- invoices

DEMO_IBAN = "NL91ABNA0417164300"  # a valid test IBAN of no real account
DEMO_BIC = "ABNANL2A"
PAYMENT_DAYS = 30  # invoices and bills are due 30 days after their date

# What the company sells and buys: description, unit price, tax code, account code.
PRODUCTS = (
    ("Tulpenbollen 'Queen of Night' (100 st.)", "38.50", "V9", "8010"),
    ("Narcissenbollen (100 st.)", "24.75", "V9", "8010"),
    ("Snijbloemen gemengd (bos)", "6.95", "V9", "8010"),
    ("Bloemstuk op maat", "45.00", "V9", "8010"),
    ("Tuinontwerp (uur)", "85.00", "V21", "8000"),
    ("Bezorging", "17.50", "V21", "8000"),
    ("Plantenbakken keramiek", "29.90", "V21", "8000"),
)
PURCHASES = (
    ("Inkoop bloembollen partij", "412.00", "I9", "7000"),
    ("Kantoorbenodigdheden", "86.40", "I21", "4300"),
    ("Boekhoudsoftware abonnement", "89.00", "I21", "4320"),
    ("Energie bedrijfsruimte", "264.00", "I21", "4110"),
    ("Advies jaarrekening", "650.00", "I21", "4500"),
    ("Telefoon en internet", "59.50", "I21", "4310"),
)


class DemoInvoice(NamedTuple):
    """A document of the demo: `key` is its reference, `party` an index into the customers
    (or suppliers), `paid` how it is paid: "" not, "full", "part" (half), "over" (50.00 more
    than due, left as an open credit)."""

    key: str
    kind: str
    party: int
    days_ago: int
    lines: tuple[tuple[int, str, str], ...]  # product index, quantity, discount (%)
    paid: str = ""
    post: bool = True
    paid_after: int = 12  # days after the document's date (never after today)


S, B, CN = InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.SUPPLIER_BILL, InvoiceKind.CUSTOMER_CREDIT_NOTE
DEMO_INVOICES = (
    # paid (11, one of them overpaid) and one credited in full by a credit note
    DemoInvoice("DEMO-S01", S, 0, 160, ((0, "10", "0"), (5, "1", "0")), "full", paid_after=20),
    DemoInvoice("DEMO-S02", S, 1, 150, ((4, "6", "0"),), "full", paid_after=28),
    DemoInvoice("DEMO-S03", S, 2, 140, ((2, "40", "5"), (5, "1", "0")), "full"),
    DemoInvoice("DEMO-S04", S, 3, 128, ((1, "12", "0"),), "over", paid_after=15),
    DemoInvoice("DEMO-S05", S, 4, 115, ((3, "4", "0"), (6, "6", "10")), "full"),
    DemoInvoice("DEMO-S06", S, 5, 104, ((0, "25", "7.5"),), "full", paid_after=30),
    DemoInvoice("DEMO-S07", S, 0, 92, ((4, "3.5", "0"), (5, "1", "0")), "full"),
    DemoInvoice("DEMO-S08", S, 6, 80, ((2, "60", "0"),), "full", paid_after=9),
    DemoInvoice("DEMO-S09", S, 7, 66, ((6, "10", "0"), (5, "2", "0")), "full"),
    DemoInvoice("DEMO-S10", S, 1, 52, ((1, "20", "5"),), "full", paid_after=21),
    DemoInvoice("DEMO-S11", S, 8, 40, ((3, "2", "0"),), "credited"),
    DemoInvoice("DEMO-S12", S, 2, 8, ((4, "2", "0"),), "full", paid_after=5),
    # partly paid: two still due, two overdue
    DemoInvoice("DEMO-S13", S, 3, 70, ((0, "30", "0"), (5, "2", "0")), "part"),
    DemoInvoice("DEMO-S14", S, 4, 50, ((4, "12", "0"),), "part", paid_after=20),
    DemoInvoice("DEMO-S15", S, 9, 22, ((6, "8", "0"), (2, "20", "0")), "part", paid_after=10),
    DemoInvoice("DEMO-S16", S, 5, 10, ((1, "16", "0"),), "part", paid_after=6),
    # overdue, nothing paid
    DemoInvoice("DEMO-S17", S, 6, 95, ((3, "3", "0"),)),
    DemoInvoice("DEMO-S18", S, 7, 75, ((0, "8", "0"), (5, "1", "0"))),
    DemoInvoice("DEMO-S19", S, 8, 60, ((4, "5", "0"),)),
    DemoInvoice("DEMO-S20", S, 0, 45, ((2, "30", "0"), (6, "4", "0"))),
    # open, not yet due
    DemoInvoice("DEMO-S21", S, 9, 27, ((1, "10", "0"),)),
    DemoInvoice("DEMO-S22", S, 1, 20, ((4, "8", "0"), (5, "1", "0"))),
    DemoInvoice("DEMO-S23", S, 2, 16, ((3, "6", "5"),)),
    DemoInvoice("DEMO-S24", S, 3, 12, ((0, "15", "0"),)),
    DemoInvoice("DEMO-S25", S, 4, 9, ((6, "12", "0"), (5, "1", "0"))),
    DemoInvoice("DEMO-S26", S, 5, 6, ((2, "25", "0"),)),
    # drafts
    DemoInvoice("DEMO-S27", S, 6, 5, ((4, "4", "0"),), post=False),
    DemoInvoice("DEMO-S28", S, 7, 3, ((0, "5", "0"), (1, "5", "0")), post=False),
    DemoInvoice("DEMO-S29", S, 8, 2, ((3, "1", "0"),), post=False),
    DemoInvoice("DEMO-S30", S, 9, 1, ((6, "3", "0"),), post=False),
    # a credit note of its own: a discount for a damaged delivery, left open as a credit
    DemoInvoice("DEMO-CN2", CN, 2, 18, ((2, "10", "0"),)),
    # supplier bills: six paid, four open (two of them overdue)
    DemoInvoice("DEMO-B01", B, 0, 150, ((0, "1", "0"),), "full", paid_after=25),
    DemoInvoice("DEMO-B02", B, 1, 140, ((1, "1", "0"),), "full"),
    DemoInvoice("DEMO-B03", B, 2, 120, ((2, "1", "0"),), "full", paid_after=3),
    DemoInvoice("DEMO-B04", B, 3, 95, ((3, "1", "0"),), "full", paid_after=20),
    DemoInvoice("DEMO-B05", B, 4, 80, ((4, "1", "0"),), "full", paid_after=28),
    DemoInvoice("DEMO-B06", B, 0, 62, ((0, "2", "0"),), "full"),
    DemoInvoice("DEMO-B07", B, 5, 48, ((5, "1", "0"),)),
    DemoInvoice("DEMO-B08", B, 2, 36, ((2, "1", "0"),)),
    DemoInvoice("DEMO-B09", B, 1, 14, ((1, "1", "0"),)),
    DemoInvoice("DEMO-B10", B, 3, 4, ((3, "1", "0"),)),
)
# DEMO-S11 went to the wrong address: it is credited in full, a few days later.
CREDITED = "DEMO-S11"
CREDITED_AFTER = 5
OVERPAYMENT = Decimal("50.00")


def _parties(company: Company, role: str) -> list[int]:
    """The active organisations with `role`, by name: the same list on every run."""
    return list(
        Party.objects.filter(
            company=company,
            kind="organisation",
            roles__role=role,
            is_archived=False,
            merged_into__isnull=True,
        )
        .order_by("name", "pk")
        .values_list("pk", flat=True)
    )


def _fiscal_years_ensure(actor: User, company: Company, first: dt.date, last: dt.date) -> None:
    years = range(company.fiscal_year_of(first), company.fiscal_year_of(last) + 1)
    existing = set(FiscalYear.objects.filter(company=company, year__in=years).values_list("year", flat=True))
    for year in years:
        if year not in existing:
            services.fiscal_year_create(actor=actor, year=year)


def _payment_ensure(
    actor: User, journal_id: int, invoice: Invoice, spec: DemoInvoice, today: dt.date
) -> None:
    reference = f"DEMO-PAY-{spec.key.removeprefix('DEMO-')}"
    if Payment.objects.filter(company_id=invoice.company_id, reference=reference).exists():
        return
    due = invoice.amount_residual
    allocation: dict[str, Any] = {"invoice_id": invoice.pk}
    amount = due
    if spec.paid == "part":
        amount = quantize(due / 2, invoice.currency)
        allocation["amount"] = amount
    elif spec.paid == "over":
        amount = due + OVERPAYMENT
    payments.payment_register(
        actor=actor,
        kind="inbound" if invoice.kind == InvoiceKind.CUSTOMER_INVOICE else "outbound",
        party_id=invoice.party_id,
        journal_id=journal_id,
        date=min(invoice.date + dt.timedelta(days=spec.paid_after), today),
        amount=amount,
        reference=reference,
        allocations=[allocation],
    )


def _invoices_load(company: Company, actor: User, progress: demo.Progress) -> None:
    """The demo's invoices, credit notes, bills and payments, where missing."""
    today = timezone.localdate()
    customers, suppliers = _parties(company, "customer"), _parties(company, "supplier")
    specs = [
        spec for spec in DEMO_INVOICES if (suppliers if spec.kind == InvoiceKind.SUPPLIER_BILL else customers)
    ]
    advance = progress(_("Invoices"), len(specs) + 2)
    bank = Journal.objects.get(company=company, code="BNK")
    if not bank.bank_account:  # one set by hand stays
        services.journal_bank_details_set(
            actor=actor, journal_id=bank.pk, bank_account=DEMO_IBAN, bank_bic=DEMO_BIC
        )
    if not specs:
        advance(len(specs) + 2)
        return
    oldest = today - dt.timedelta(days=max(spec.days_ago for spec in specs))
    _fiscal_years_ensure(actor, company, oldest, today)
    accounts = dict(Account.objects.filter(company=company).values_list("code", "pk"))
    taxes = dict(Tax.objects.filter(company=company).values_list("code", "pk"))
    existing = {
        invoice.reference: invoice
        for invoice in Invoice.objects.filter(company=company, reference__startswith="DEMO-")
    }
    documents: dict[str, Invoice] = {}
    for spec in sorted(specs, key=lambda s: (-s.days_ago, s.key)):
        invoice = existing.get(spec.key)
        if invoice is None:
            catalogue = PURCHASES if spec.kind == InvoiceKind.SUPPLIER_BILL else PRODUCTS
            parties = suppliers if spec.kind == InvoiceKind.SUPPLIER_BILL else customers
            date = today - dt.timedelta(days=spec.days_ago)
            invoice = invoicing.invoice_create(
                actor=actor,
                kind=spec.kind,
                party_id=parties[spec.party % len(parties)],
                date=date,
                due_date=date + dt.timedelta(days=PAYMENT_DAYS),
                reference=spec.key,
                narration="Compensatie beschadigde levering" if spec.kind == CN else "",
                lines=[
                    {
                        "description": catalogue[product][0],
                        "quantity": Decimal(quantity),
                        "unit_price": Decimal(catalogue[product][1]),
                        "discount": Decimal(discount),
                        "tax_id": taxes[catalogue[product][2]],
                        "account_id": accounts[catalogue[product][3]],
                    }
                    for product, quantity, discount in spec.lines
                ],
            )
        if spec.post and invoice.state == InvoiceState.DRAFT:
            invoice = invoicing.invoice_post(actor=actor, invoice_id=invoice.pk)
        documents[spec.key] = invoice
        advance(1)
    credited = documents.get(CREDITED)
    if credited is not None:
        note = Invoice.objects.filter(credit_note_of=credited).first()
        if note is None:
            note = invoicing.credit_note_create(
                actor=actor,
                invoice_id=credited.pk,
                date=min(credited.date + dt.timedelta(days=CREDITED_AFTER), today),
                reason="Op het verkeerde adres geleverd",
            )
        if note.state == InvoiceState.DRAFT:
            invoicing.invoice_post(actor=actor, invoice_id=note.pk)
    advance(1)
    paid = [spec for spec in specs if spec.paid in {"full", "part", "over"}]
    for spec in sorted(paid, key=lambda s: (-s.days_ago + s.paid_after, s.key)):
        invoice = Invoice.objects.get(pk=documents[spec.key].pk)
        _payment_ensure(actor, bank.pk, invoice, spec, today)
    advance(1)
