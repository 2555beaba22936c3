"""Endpoints of the finance configuration: accounts, journals, taxes and payment terms
(create, change, archive) and the finance settings (tax rounding). Reading the lists is in
ledger.py and invoices.py. Finance writes (403 for others); another company's records are
a 404. Accounts, journals, taxes and terms carry no version: the last write wins."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from kantoor.core.auth import actor_of
from kantoor.core.schemas import Id
from kantoor.finance import configuration
from kantoor.finance.api import invoices, ledger
from kantoor.finance.models import Account, FinanceSettings, Journal, PaymentTerm, Tax
from kantoor.finance.schemas import AccountOut
from kantoor.finance.schemas_configuration import (
    AccountCreateIn,
    AccountUpdateIn,
    ArchiveIn,
    FinanceSettingsOut,
    FinanceSettingsUpdateIn,
    InstalmentIn,
    JournalCreateIn,
    JournalDetailOut,
    JournalUpdateIn,
    PaymentTermCreateIn,
    PaymentTermUpdateIn,
    TaxCreateIn,
    TaxUpdateIn,
)
from kantoor.finance.schemas_invoices import PaymentTermOut, TaxOut

router = Router()

# django-ninja answers a path from one router only (a second router's POST /accounts would
# be a 405 behind the ledger's GET /accounts), so the creating POSTs join the routers that
# list the same collection; see the end of this module.


def _instalments(rows: list[InstalmentIn]) -> list[tuple[str, int, bool]]:
    return [(row.percent, row.days, row.end_of_month) for row in rows]


def create_account(request: HttpRequest, payload: AccountCreateIn) -> Status:
    """Add an account to the chart; its code is unique in the company."""
    account = configuration.account_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, account)


@router.patch("/accounts/{account_id}", response=AccountOut)
def update_account(request: HttpRequest, account_id: Id, payload: AccountUpdateIn) -> Account:
    """Change an account. Once it has posted lines its code and type stay and it cannot
    become reconcilable; it stays reconcilable while it has open items."""
    return configuration.account_update(
        actor=actor_of(request), account_id=account_id, **payload.model_dump(exclude_unset=True)
    )


@router.post("/accounts/{account_id}/archive", response=AccountOut)
def archive_account(request: HttpRequest, account_id: Id, payload: ArchiveIn) -> Account:
    """Archive (or restore) an account; refused while it has a balance, is a journal's
    default account or an active tax's account."""
    return configuration.account_archive(
        actor=actor_of(request), account_id=account_id, archived=payload.archived
    )


def create_journal(request: HttpRequest, payload: JournalCreateIn) -> Status:
    """Add a journal with its own numbering (`journal-<code>`); a bank journal may carry
    its IBAN and BIC."""
    journal = configuration.journal_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, journal)


@router.patch("/journals/{journal_id}", response=JournalDetailOut)
def update_journal(request: HttpRequest, journal_id: Id, payload: JournalUpdateIn) -> Journal:
    """Change a journal's name, default account (for future entries) or bank details."""
    return configuration.journal_update(
        actor=actor_of(request), journal_id=journal_id, **payload.model_dump(exclude_unset=True)
    )


def create_tax(request: HttpRequest, payload: TaxCreateIn) -> Status:
    """Add a sales or purchase tax with its accounts and VAT-return boxes."""
    tax = configuration.tax_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, tax)


@router.patch("/taxes/{tax_id}", response=TaxOut)
def update_tax(request: HttpRequest, tax_id: Id, payload: TaxUpdateIn) -> Tax:
    """Change a tax; its rate stays once a posted invoice uses it (409)."""
    return configuration.tax_update(
        actor=actor_of(request), tax_id=tax_id, **payload.model_dump(exclude_unset=True)
    )


@router.post("/taxes/{tax_id}/archive", response=TaxOut)
def archive_tax(request: HttpRequest, tax_id: Id, payload: ArchiveIn) -> Tax:
    """Archive (or restore) a tax: new invoice lines cannot use an archived one."""
    return configuration.tax_archive(actor=actor_of(request), tax_id=tax_id, archived=payload.archived)


def create_payment_term(request: HttpRequest, payload: PaymentTermCreateIn) -> Status:
    """Add a payment term; its instalments' percentages add up to exactly 100."""
    term = configuration.payment_term_create(
        actor=actor_of(request), name=payload.name, instalments=_instalments(payload.instalments)
    )
    return Status(201, term)


@router.patch("/payment-terms/{term_id}", response=PaymentTermOut)
def update_payment_term(request: HttpRequest, term_id: Id, payload: PaymentTermUpdateIn) -> PaymentTerm:
    """Rename a payment term and/or replace its instalments."""
    data = payload.model_dump(exclude_unset=True)
    if "instalments" in data:
        data["instalments"] = _instalments(payload.instalments)
    return configuration.payment_term_update(actor=actor_of(request), term_id=term_id, **data)


@router.post("/payment-terms/{term_id}/archive", response=PaymentTermOut)
def archive_payment_term(request: HttpRequest, term_id: Id, payload: ArchiveIn) -> PaymentTerm:
    """Archive (or restore) a payment term: new invoices cannot choose an archived one."""
    return configuration.payment_term_archive(
        actor=actor_of(request), term_id=term_id, archived=payload.archived
    )


@router.get("/finance-settings", response=FinanceSettingsOut)
def get_finance_settings(request: HttpRequest) -> FinanceSettings:
    """The company's finance settings: tax rounding and lock date, with their version."""
    return configuration.finance_settings_get(actor_of(request))


@router.patch("/finance-settings", response=FinanceSettingsOut)
def update_finance_settings(request: HttpRequest, payload: FinanceSettingsUpdateIn) -> FinanceSettings:
    """Change the tax rounding (per line or per document); a stale `version` is a 409.
    The lock date is set at /lock-date (the same version)."""
    return configuration.finance_settings_update(
        actor=actor_of(request), tax_rounding=payload.tax_rounding, version=payload.version
    )


ledger.router.post("/accounts", response={201: AccountOut})(create_account)
ledger.router.post("/journals", response={201: JournalDetailOut})(create_journal)
invoices.router.post("/taxes", response={201: TaxOut})(create_tax)
invoices.router.post("/payment-terms", response={201: PaymentTermOut})(create_payment_term)
