"""The ledger: chart of accounts, journals, fiscal years and periods, journal entries and lines."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kantoor.core.models import Company, User
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


class FinanceSettings(models.Model):
    """The company's ledger settings: the lock date (nothing on or before it may change)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    lock_date = models.DateField(_("lock date"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("finance settings")
        verbose_name_plural = _("finance settings")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.lock_date}"


class EntryState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")


class JournalEntry(models.Model):
    """A balanced set of debits and credits: a draft until posted, then immutable and chained."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    number = models.CharField(_("number"), max_length=40, blank=True, default="")
    date = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=120, blank=True, default="")
    narration = models.TextField(_("narration"), blank=True, default="")
    state = models.CharField(_("state"), max_length=10, choices=EntryState.choices, default=EntryState.DRAFT)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    posted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Posted entries are immutable: corrections are reversals, and each is reversed at most once.
    reversal_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    version = models.PositiveIntegerField(default=1)
    chain_position = models.PositiveBigIntegerField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
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
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
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
    # Copies of the entry's fields, so reports aggregate lines without a join.
    date = models.DateField(_("date"))
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="+")
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
            models.Index(fields=["company", "state", "account", "date"], name="line_account_date"),
            models.Index(fields=["company", "state", "party", "date"], name="line_party_date"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.debit}/{self.credit}"
