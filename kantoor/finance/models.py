"""The ledger: chart of accounts, journals, fiscal years and periods, journal entries and lines."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kantoor.core.models import Company, User
from kantoor.core.policy import ScopeFields
from kantoor.parties.models import Party

# Company-currency amounts have 2 decimals (the base currencies Kantoor accepts have at most
# two); amounts in another currency keep 6 and rates 10.


class AccountType(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


class AccountRole(models.TextChoices):
    """What the system uses an account for (invoices find their receivable account by role)."""

    NONE = "", _("None")
    RECEIVABLE = "receivable", _("Receivable")
    PAYABLE = "payable", _("Payable")
    BANK = "bank", _("Bank")
    CASH = "cash", _("Cash")
    VAT_PAYABLE = "vat_payable", _("VAT payable")
    VAT_RECEIVABLE = "vat_receivable", _("VAT receivable")
    VAT_SETTLEMENT = "vat_settlement", _("VAT settlement")
    STOCK = "stock", _("Stock")
    STOCK_RECEIVED = "stock_received", _("Goods received not invoiced")
    STOCK_DIFFERENCE = "stock_difference", _("Stock differences")
    PRODUCTION = "production", _("Work in progress")
    FIXED_ASSET = "fixed_asset", _("Fixed asset")
    RETAINED_EARNINGS = "retained_earnings", _("Retained earnings")
    CURRENT_YEAR_EARNINGS = "current_year_earnings", _("Current year earnings")
    SHARE_CAPITAL = "share_capital", _("Share capital")
    REVENUE = "revenue", _("Revenue")
    COST_OF_SALES = "cost_of_sales", _("Cost of sales")
    EXPENSE = "expense", _("Expense")
    WAGES = "wages", _("Wages")
    DEPRECIATION = "depreciation", _("Depreciation")
    EXCHANGE_DIFFERENCE = "exchange_difference", _("Exchange difference")
    ROUNDING = "rounding", _("Rounding")
    SUSPENSE = "suspense", _("Suspense")


class Account(models.Model):
    """One account of the company's chart of accounts (ledger account)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    account_type = models.CharField(_("type"), max_length=10, choices=AccountType.choices)
    role = models.CharField(_("role"), max_length=30, choices=AccountRole.choices, blank=True, default="")
    reference_code = models.CharField(_("reference code"), max_length=40, blank=True, default="")
    is_reconcilable = models.BooleanField(_("reconcilable"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="")

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ("code",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "code"], name="account_code_unique"),
            models.CheckConstraint(
                condition=Q(account_type__in=AccountType.values), name="account_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JournalKind(models.TextChoices):
    SALES = "sales", _("Sales")
    PURCHASE = "purchase", _("Purchase")
    BANK = "bank", _("Bank")
    CASH = "cash", _("Cash")
    GENERAL = "general", _("General")
    STOCK = "stock", _("Stock valuation")


class Journal(models.Model):
    """A book of entries of one kind (sales, purchases, a bank account…) with its own numbering and chain."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=JournalKind.choices)
    default_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sequence_code = models.CharField(_("numbering sequence"), max_length=40)
    # A bank journal's account, printed on invoices as the payment details.
    bank_account = models.CharField(_("IBAN"), max_length=34, blank=True, default="")
    bank_bic = models.CharField(_("BIC"), max_length=11, blank=True, default="")

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        ordering = ("code",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "code"], name="journal_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FiscalYear(models.Model):
    """A financial year of the company, named by the calendar year it starts in."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField(_("year"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    is_closed = models.BooleanField(_("closed"), default=False)
    # The entry that moved the year's result to retained earnings (reports leave it out of
    # the year's profit and loss).
    closing_entry = models.OneToOneField(
        "JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        ordering = ("start_date",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "year"], name="fiscal_year_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="fiscal_year_order"
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class Period(models.Model):
    """A month of a fiscal year; nothing is posted into a closed period."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField(_("number"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    is_closed = models.BooleanField(_("closed"), default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ("start_date",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["fiscal_year", "number"], name="period_number_unique"),
        ]
        indexes: ClassVar = [models.Index(fields=["company", "start_date"], name="period_company_start")]

    def __str__(self) -> str:
        return f"{self.fiscal_year.year}-{self.number:02d}"

    def contains(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


class TaxRounding(models.TextChoices):
    """Where tax is rounded (each line, or each tax of the document once) and how a half cent
    goes: up (commercial rounding, the usual rule) or to the even cent (banker's rounding)."""

    PER_LINE = "per_line", _("Per line")
    PER_DOCUMENT = "per_document", _("Per document")
    PER_LINE_EVEN = "line_even", _("Per line, half to even")
    PER_DOCUMENT_EVEN = "document_even", _("Per document, half to even")


class FinanceSettings(models.Model):
    """The company's ledger settings: the lock date (nothing on or before it may change)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    lock_date = models.DateField(_("lock date"), null=True, blank=True)
    tax_rounding = models.CharField(
        _("tax rounding"), max_length=15, choices=TaxRounding.choices, default=TaxRounding.PER_LINE
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("finance settings")
        verbose_name_plural = _("finance settings")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.lock_date}"


class EntryState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")


# Every index of a table is written on each insert, and a posting inserts into several
# tables: foreign keys that no query looks up on their own carry no index of their own
# (db_index=False) — the company (the composite indexes start with it), the users, journals
# and payment terms (rarely deleted; checking such a deletion scans the table).


class JournalEntry(models.Model):
    """A balanced set of debits and credits: a draft until posted, then immutable and chained."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries", db_index=False)
    number = models.CharField(_("number"), max_length=40, blank=True, default="")
    date = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=120, blank=True, default="")
    narration = models.TextField(_("narration"), blank=True, default="")
    state = models.CharField(_("state"), max_length=10, choices=EntryState.choices, default=EntryState.DRAFT)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    posted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Posted entries are immutable: corrections are reversals, and each is reversed at most once.
    reversal_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    version = models.PositiveIntegerField(default=1)
    chain_position = models.PositiveBigIntegerField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ("date", "id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["company", "number"], condition=~Q(number=""), name="entry_number_unique"
            ),
            models.UniqueConstraint(
                fields=["journal", "chain_position"],
                condition=Q(chain_position__isnull=False),
                name="entry_chain_position_unique",
            ),
            models.CheckConstraint(
                condition=Q(state=EntryState.DRAFT, number="", chain_position__isnull=True)
                | Q(state=EntryState.POSTED, chain_position__isnull=False) & ~Q(number="") & ~Q(hash=""),
                name="entry_posted_has_number_and_hash",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["company", "state", "date"], name="entry_company_state_date")
        ]

    def __str__(self) -> str:
        return self.number or _("Draft entry #%s") % self.pk

    @property
    def is_posted(self) -> bool:
        return self.state == EntryState.POSTED


class JournalLine(models.Model):
    """One debit or credit of an entry on one account, in company currency (and optionally another)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    # No index of its own: the (company, state, account, …) index serves every query by account.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines", db_index=False)
    # A named reverse relation: party merges re-point only the relations they can see.
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="journal_lines"
    )
    label = models.CharField(_("label"), max_length=200, blank=True, default="")
    debit = models.DecimalField(_("debit"), max_digits=18, decimal_places=2, default=0)
    credit = models.DecimalField(_("credit"), max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    amount_currency = models.DecimalField(_("amount in currency"), max_digits=20, decimal_places=6)
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=10, default=1)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # The VAT-return box this line's amount is reported in ("1a-base", "5b-tax"…; see vat.py).
    tax_tag = models.CharField(_("VAT box"), max_length=12, blank=True, default="")
    # Copies of the entry's fields, so reports aggregate lines without a join.
    date = models.DateField(_("date"))
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="+", db_index=False)
    state = models.CharField(max_length=10, choices=EntryState.choices, default=EntryState.DRAFT)

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ("id",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(debit__gte=0, credit__gte=0) & (Q(debit=0) | Q(credit=0)),
                name="line_debit_or_credit",
            ),
        ]
        indexes: ClassVar = [
            # The amounts too: the reports' sums per account and date range read the index
            # alone on SQLite (the trial balance names the accounts so that it is one range
            # each), and on PostgreSQL when the range is a small part of the lines.
            models.Index(
                fields=["company", "state", "account", "date", "debit", "credit"],
                name="line_account_date_amounts",
            ),
            # Without the state: posting changes a line's state, and each index holding it is
            # rewritten then; these ranges read the lines themselves anyway (drafts are few).
            models.Index(fields=["company", "party", "date"], name="line_party_date"),
            # The VAT return sums the tagged lines of a date range.
            models.Index(fields=["company", "date"], condition=~Q(tax_tag=""), name="line_vat_date"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.debit}/{self.credit}"


# ----------------------------------------------------------------------------- taxes


class TaxScope(models.TextChoices):
    SALE = "sale", _("Sales")
    PURCHASE = "purchase", _("Purchases")


class TaxTreatment(models.TextChoices):
    """How a tax is reported: the Dutch VAT return boxes follow from it (see `vat.py`)."""

    STANDARD = "standard", _("Standard rate")
    REDUCED = "reduced", _("Reduced rate")
    OTHER_RATE = "other_rate", _("Other rate")
    ZERO = "zero", _("Zero rate")
    EXEMPT = "exempt", _("Exempt")
    DOMESTIC_REVERSE_CHARGE = "domestic_reverse_charge", _("Domestic reverse charge")
    EU_GOODS = "eu_goods", _("Intra-EU goods")
    EU_SERVICES = "eu_services", _("Intra-EU services")
    EXPORT = "export", _("Export outside the EU")
    IMPORT = "import", _("Import from outside the EU")


class Tax(models.Model):
    """A VAT rate for sales or purchases, with the accounts it books to and the VAT-return
    boxes its base and tax are reported in (tags copied onto the journal lines at posting,
    so the return is computed from posted entries alone)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    scope = models.CharField(_("scope"), max_length=10, choices=TaxScope.choices)
    treatment = models.CharField(_("treatment"), max_length=30, choices=TaxTreatment.choices)
    rate = models.DecimalField(_("rate (%)"), max_digits=7, decimal_places=4, default=0)
    # The account the tax is booked to (VAT payable on sales, VAT receivable on purchases);
    # with reverse charge, the self-assessed VAT is also booked, as payable, to `reverse_account`.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reverse_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    base_tag = models.CharField(_("base box"), max_length=12, blank=True, default="")
    tax_tag = models.CharField(_("tax box"), max_length=12, blank=True, default="")
    reverse_tag = models.CharField(_("reverse-charge box"), max_length=12, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tax")
        verbose_name_plural = _("taxes")
        ordering = ("scope", "code")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "code"], name="tax_code_unique"),
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lt=100), name="tax_rate_range"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_reverse_charge(self) -> bool:
        return self.reverse_account_id is not None


# ----------------------------------------------------------------------------- payment terms


class PaymentTerm(models.Model):
    """When an invoice is due: one or more instalments, each a share of the total due some
    days after the invoice date (optionally at the end of that month)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("payment term")
        verbose_name_plural = _("payment terms")
        ordering = ("name",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["company", "name"], name="payment_term_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class PaymentTermLine(models.Model):
    """One instalment: `percent` of the total (the last instalment takes what remains)."""

    term = models.ForeignKey(PaymentTerm, on_delete=models.CASCADE, related_name="lines")
    sequence = models.PositiveSmallIntegerField(default=1)
    percent = models.DecimalField(_("percent"), max_digits=7, decimal_places=4, default=100)
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    end_of_month = models.BooleanField(_("end of month"), default=False)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ("term", "sequence")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100), name="term_line_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.percent}% / {self.days}"


# ----------------------------------------------------------------------------- invoices


class InvoiceKind(models.TextChoices):
    CUSTOMER_INVOICE = "customer_invoice", _("Invoice")
    CUSTOMER_CREDIT_NOTE = "customer_credit_note", _("Credit note")
    SUPPLIER_BILL = "supplier_bill", _("Supplier bill")
    SUPPLIER_REFUND = "supplier_refund", _("Supplier refund")


SALES_KINDS = (InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.CUSTOMER_CREDIT_NOTE)
REFUND_KINDS = (InvoiceKind.CUSTOMER_CREDIT_NOTE, InvoiceKind.SUPPLIER_REFUND)


class InvoiceState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")


class PaymentState(models.TextChoices):
    NOT_PAID = "not_paid", _("Not paid")
    PARTIAL = "partial", _("Partially paid")
    PAID = "paid", _("Paid")


class Invoice(models.Model):
    """A customer invoice or credit note, or a supplier bill or refund: a draft until posted,
    when it gets its number and journal entry (receivable or payable / revenue or expense /
    VAT) and becomes immutable; payments then move its payment state."""

    # Sales and service read the documents of the parties they own (or their team's).
    policy_scope = ScopeFields(company="company", owner="party__owner", team="party__team")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=30, choices=InvoiceKind.choices)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="invoices")
    state = models.CharField(
        _("state"), max_length=10, choices=InvoiceState.choices, default=InvoiceState.DRAFT
    )
    payment_state = models.CharField(
        _("payment"), max_length=10, choices=PaymentState.choices, default=PaymentState.NOT_PAID
    )
    number = models.CharField(_("number"), max_length=40, blank=True, default="")
    date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    payment_term = models.ForeignKey(
        PaymentTerm, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="+", db_index=False)
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=10, default=1)
    reference = models.CharField(_("reference"), max_length=120, blank=True, default="")
    narration = models.TextField(_("note"), blank=True, default="")
    credit_note_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes", db_index=False
    )
    entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice"
    )
    # Totals in the invoice's currency, computed by the service from the lines.
    amount_untaxed = models.DecimalField(_("untaxed"), max_digits=20, decimal_places=6, default=0)
    amount_tax = models.DecimalField(_("tax"), max_digits=20, decimal_places=6, default=0)
    amount_total = models.DecimalField(_("total"), max_digits=20, decimal_places=6, default=0)
    amount_residual = models.DecimalField(_("amount due"), max_digits=20, decimal_places=6, default=0)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    posted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ("-date", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["company", "kind", "number"], condition=~Q(number=""), name="invoice_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(state=InvoiceState.DRAFT, number="", entry__isnull=True)
                | Q(state=InvoiceState.POSTED, entry__isnull=False) & ~Q(number=""),
                name="invoice_posted_has_number_and_entry",
            ),
            models.CheckConstraint(
                condition=Q(amount_total__gte=0, amount_residual__gte=0), name="invoice_amounts_positive"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["company", "kind", "state", "date"], name="invoice_kind_state_date"),
            models.Index(fields=["company", "party", "date"], name="invoice_party_date"),
            # Only credit notes point at an invoice: the others need no index entry.
            models.Index(
                fields=["credit_note_of"],
                condition=Q(credit_note_of__isnull=False),
                name="invoice_credit_note_of",
            ),
        ]

    def __str__(self) -> str:
        return self.number or _("Draft %(kind)s #%(id)s") % {"kind": self.get_kind_display(), "id": self.pk}

    @property
    def is_sale(self) -> bool:
        return self.kind in SALES_KINDS

    @property
    def is_refund(self) -> bool:
        return self.kind in REFUND_KINDS


class InvoiceLine(models.Model):
    """A line of an invoice: free text or a product, quantity × unit price less a discount,
    booked to an account with (at most) one tax. Amounts in the invoice's currency."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    sequence = models.PositiveIntegerField(default=1)
    product_code = models.CharField(_("product"), max_length=60, blank=True, default="")
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4, default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6, default=0)
    discount = models.DecimalField(_("discount (%)"), max_digits=7, decimal_places=4, default=0)
    # No indexes of their own: only deleting an account or tax (rare) looks lines up by them.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    tax = models.ForeignKey(
        Tax, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    amount_untaxed = models.DecimalField(_("amount"), max_digits=20, decimal_places=6, default=0)
    amount_tax = models.DecimalField(_("tax"), max_digits=20, decimal_places=6, default=0)
    # On a credit note: the invoice line it credits (so no line is credited beyond its quantity).
    credited_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credited_by", db_index=False
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ("invoice", "sequence", "id")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(discount__gte=0, discount__lte=100), name="invoice_line_discount_range"
            ),
        ]
        indexes: ClassVar = [
            # Only credit-note lines point at the line they credit.
            models.Index(
                fields=["credited_line"],
                condition=Q(credited_line__isnull=False),
                name="invoice_line_credited",
            ),
        ]

    def __str__(self) -> str:
        return self.description


# ----------------------------------------------------------------------------- open items, matching, payments


class OpenItem(models.Model):
    """What is still open of a posted line on a reconcilable account (receivable, payable,
    bank): the line's signed amount (debit positive) and its residual. Kept beside the line —
    reconciling changes residuals here, never the posted, hashed line."""

    line = models.OneToOneField(
        JournalLine, on_delete=models.PROTECT, primary_key=True, related_name="open_item"
    )
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", db_index=False)
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="open_items")
    # Queries by account name the company: (company, account, …) indexes serve them.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="open_items"
    )
    date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    residual = models.DecimalField(_("open"), max_digits=18, decimal_places=2)
    amount_currency = models.DecimalField(max_digits=20, decimal_places=6)
    residual_currency = models.DecimalField(max_digits=20, decimal_places=6)

    class Meta:
        verbose_name = _("open item")
        verbose_name_plural = _("open items")
        ordering = ("due_date", "line")
        constraints: ClassVar = [
            # The residual lies between zero and the amount, on the amount's side.
            models.CheckConstraint(
                condition=Q(amount__gte=0, residual__gte=0, residual__lte=models.F("amount"))
                | Q(amount__lt=0, residual__lte=0, residual__gte=models.F("amount")),
                name="open_item_residual_within_amount",
            ),
        ]
        indexes: ClassVar = [
            # The aged balances: the open items of an account by party (the grouping, so no
            # sort), with what the report reads of them (no row lookups).
            models.Index(
                fields=["company", "account", "party", "due_date", "date", "residual"],
                condition=~Q(residual=0),
                name="open_item_open_party",
            ),
            models.Index(fields=["company", "party", "account"], name="open_item_party"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.residual}/{self.amount}"


class PaymentKind(models.TextChoices):
    INBOUND = "inbound", _("Received")
    OUTBOUND = "outbound", _("Sent")


class PaymentStatus(models.TextChoices):
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


class Payment(models.Model):
    """Money received from or sent to a party through a bank or cash journal, posted at once
    (bank or cash against receivable or payable) and matched with invoices; what is not
    matched stays open on the party (an overpayment is an open credit)."""

    policy_scope = ScopeFields(company="company", owner="party__owner", team="party__team")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentKind.choices)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="payments")
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=6)
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("reference"), max_length=120, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.POSTED
    )
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="payment")
    reversal = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ("-date", "-id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes: ClassVar = [models.Index(fields=["company", "party", "date"], name="payment_party_date")]

    def __str__(self) -> str:
        return self.entry.number if self.entry_id else str(self.pk)


class Match(models.Model):
    """A reconciliation: `amount` (company currency) of an open debit item settled by an open
    credit item of the same account and party — an invoice by a payment, a credit note or
    another. Removing a match (unreconcile) reopens both; the posted lines are never touched."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    debit_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="debit_matches")
    credit_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="credit_matches")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    amount_currency = models.DecimalField(max_digits=20, decimal_places=6)
    date = models.DateField(_("date"))
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="matches"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ("id",)
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="match_amount_positive"),
        ]
        # Aged balances at a past date add back the matches made after it.
        indexes: ClassVar = [models.Index(fields=["company", "date"], name="match_company_date")]

    def __str__(self) -> str:
        return f"{self.debit_item_id} ⇄ {self.credit_item_id}: {self.amount}"
