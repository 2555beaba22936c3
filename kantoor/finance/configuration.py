"""Writes of the finance configuration: accounts, journals, taxes, payment terms and the
finance settings (tax rounding), which the chart templates install and users maintain.

Every function owns its transaction, checks the policy, locks and re-reads the row it
changes, refuses bad input with a DomainError carrying field errors (nothing is written
then) and records an audit row. Accounts, journals, taxes and payment terms have no
`version` column: concurrent changes are last-write-wins (each write locks the row, so
they are serialised, never lost halfway). The finance settings have one.

This module sits beside the ledger's services (it may not import them): the IBAN and BIC
checks of `services.journal_bank_details_set` are repeated here with the same library, so
both give the same answers (check digits and format; stored compact, in capitals).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Model, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from stdnum import bic, iban

from kantoor.core import audit, policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.core.models import Company, User
from kantoor.core.money import currency_validate
from kantoor.core.services import require_version
from kantoor.core.validation import text_errors, unique_or_field_error
from kantoor.finance.errors import (
    AccountInUseError,
    AccountInvalidError,
    FinanceSettingsInvalidError,
    JournalInvalidError,
    PaymentTermInvalidError,
    TaxInUseError,
    TaxInvalidError,
)
from kantoor.finance.models import (
    Account,
    AccountRole,
    AccountType,
    EntryState,
    FinanceSettings,
    InvoiceLine,
    InvoiceState,
    Journal,
    JournalKind,
    JournalLine,
    OpenItem,
    PaymentTerm,
    PaymentTermLine,
    Tax,
    TaxRounding,
    TaxScope,
    TaxTreatment,
)
from kantoor.finance.vat import KNOWN_TAGS

VIEW = "finance.view_ledger"
VIEW_INVOICE = "finance.view_invoice"
MANAGE = "finance.manage_ledger"

ACCOUNT_FIELDS = ["code", "name", "account_type", "role", "reference_code", "is_reconcilable", "currency"]
JOURNAL_FIELDS = ["name", "default_account", "bank_account", "bank_bic"]
TAX_FIELDS = ["name", "rate", "account", "reverse_account", "base_tag", "tax_tag", "reverse_tag"]
# Roles whose accounts must keep open items: invoices and payments match on them.
RECONCILED_ROLES = (AccountRole.RECEIVABLE, AccountRole.PAYABLE)
# Journals that book money: payments need their default (bank or cash) account.
MONEY_KINDS = (JournalKind.BANK, JournalKind.CASH)
JOURNAL_CODE = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_INSTALMENTS = 12
MAX_DAYS = 3660
HUNDRED = Decimal(100)

FieldErrors = dict[str, list[str]]


def _add(errors: FieldErrors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _raise(error: type[DomainError], errors: FieldErrors) -> None:
    if errors:
        raise error(_("Please correct the marked fields."), field_errors=errors)


def _locked(actor: User, model: type[Any], pk: Any, *, visible_with: str = VIEW) -> Any:
    """The row `pk` of `model` locked for update, once the actor may manage the ledger;
    another company's row (or none) is a 404."""
    policy.require(actor, MANAGE)
    obj = model.objects.select_for_update().filter(pk=pk).first() if isinstance(pk, int) else None
    if obj is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, MANAGE, obj, visible_with=visible_with)
    return obj


def _company_account(company_id: int, account_id: Any, field: str, errors: FieldErrors) -> Account | None:
    """The active account `account_id` of the company, or a field error."""
    if account_id is None:
        return None
    account = (
        Account.objects.filter(pk=account_id, company_id=company_id).first()
        if isinstance(account_id, int)
        else None
    )
    if account is None:
        _add(errors, field, _("No such account."))
    elif not account.is_active:
        _add(errors, field, _("Account %s is archived.") % account.code)
    return account


def _changes(obj: Model, fields: list[str], values: Mapping[str, Any]) -> dict[str, list[Any]]:
    before = audit.snapshot(obj, fields)
    for name, value in values.items():
        setattr(obj, name, value)
    return audit.diff(before, audit.snapshot(obj, fields))


# ----------------------------------------------------------------------------- accounts


def _has_posted_lines(account: Account) -> bool:
    # With the company: the (company, state, account, …) index serves it.
    return JournalLine.objects.filter(
        company_id=account.company_id, state=EntryState.POSTED, account=account
    ).exists()


def _account_clean(values: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """The account's fields stripped and checked for shape (types, lengths, choices)."""
    clean = dict(values)
    for name in ("code", "name", "reference_code", "currency"):
        if name in clean:
            clean[name] = str(clean[name] or "").strip()
    errors.update(text_errors(Account, clean))
    if "code" in clean:
        if not clean["code"]:
            _add(errors, "code", _("Enter a code."))
        elif re.search(r"\s", clean["code"]):
            _add(errors, "code", _("A code has no spaces."))
    if "name" in clean and not clean["name"]:
        _add(errors, "name", _("Enter a name."))
    if "account_type" in clean and clean["account_type"] not in AccountType.values:
        _add(errors, "account_type", _("Choose one of: %s.") % ", ".join(AccountType.values))
    if "role" in clean:
        clean["role"] = clean["role"] or ""
        if clean["role"] not in AccountRole.values:
            _add(errors, "role", _("Unknown role “%s”.") % clean["role"])
    if "is_reconcilable" in clean and not isinstance(clean["is_reconcilable"], bool):
        _add(errors, "is_reconcilable", _("Enter true or false."))
    if clean.get("currency"):
        clean["currency"] = clean["currency"].upper()
        try:
            currency_validate(clean["currency"])
        except DomainError:
            _add(errors, "currency", _("Unknown currency “%s”.") % clean["currency"])
    return clean


def _role_requires_reconcilable(role: str, is_reconcilable: bool, errors: FieldErrors) -> None:
    if role in RECONCILED_ROLES and not is_reconcilable:
        _add(
            errors,
            "is_reconcilable",
            _("A receivable or payable account must be reconcilable: invoices are matched on it."),
        )


def _code_taken(model: type[Any], company_id: int, code: str, exclude: int | None = None) -> bool:
    rows = model.objects.filter(company_id=company_id, code__iexact=code)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return bool(rows.exists())


@transaction.atomic
def account_create(
    *,
    actor: User,
    code: str,
    name: str,
    account_type: str,
    role: str = "",
    reference_code: str = "",
    is_reconcilable: bool = False,
    currency: str = "",
) -> Account:
    """Add an account to the company's chart; its code is unique in the company."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    errors: FieldErrors = {}
    clean = _account_clean(
        {
            "code": code,
            "name": name,
            "account_type": account_type,
            "role": role,
            "reference_code": reference_code,
            "is_reconcilable": is_reconcilable,
            "currency": currency,
        },
        errors,
    )
    if not errors:
        _role_requires_reconcilable(clean["role"], clean["is_reconcilable"], errors)
        if _code_taken(Account, company_id, clean["code"]):
            _add(errors, "code", _("Account %s exists already.") % clean["code"])
    _raise(AccountInvalidError, errors)
    with unique_or_field_error("code", lambda: _("Account %s exists already.") % clean["code"]):
        account = Account.objects.create(company_id=company_id, **clean)
    audit.record(
        actor=actor,
        obj=account,
        action="finance.account_create",
        changes=audit.snapshot(account, ACCOUNT_FIELDS),
    )
    return account


@transaction.atomic
def account_update(*, actor: User, account_id: int, **changes: Any) -> Account:
    """Change an account: `code`, `name`, `account_type`, `role`, `reference_code`,
    `is_reconcilable` (only those given). Once it has posted lines its code and type stay,
    and it cannot become reconcilable (its open items would be missing); it cannot stop
    being reconcilable while it has open items. Last write wins (no version column)."""
    account: Account = _locked(actor, Account, account_id)
    allowed = {"code", "name", "account_type", "role", "reference_code", "is_reconcilable"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise AccountInvalidError(
            _("These fields cannot be changed: %s.") % ", ".join(unknown),
            field_errors={name: [_("Cannot be changed.")] for name in unknown},
        )
    errors: FieldErrors = {}
    clean = _account_clean(changes, errors)
    _raise(AccountInvalidError, errors)
    clean = {name: value for name, value in clean.items() if getattr(account, name) != value}
    if "code" in clean and _code_taken(Account, account.company_id, clean["code"], exclude=account.pk):
        _add(errors, "code", _("Account %s exists already.") % clean["code"])
    _role_requires_reconcilable(
        clean.get("role", account.role), clean.get("is_reconcilable", account.is_reconcilable), errors
    )
    _raise(AccountInvalidError, errors)
    in_use: FieldErrors = {}
    posted = bool(clean) and _has_posted_lines(account)
    if posted:
        for name in ("code", "account_type"):
            if name in clean:
                _add(in_use, name, _("The account has posted entries; this cannot change any more."))
        if clean.get("is_reconcilable") is True:
            _add(
                in_use,
                "is_reconcilable",
                _("The account has posted entries without open items; it cannot become reconcilable."),
            )
    if (
        clean.get("is_reconcilable") is False
        and OpenItem.objects.filter(company_id=account.company_id, account=account)
        .exclude(residual=0)
        .exists()
    ):
        _add(in_use, "is_reconcilable", _("The account has open items; settle them first."))
    _raise(AccountInUseError, in_use)
    if not clean:
        return account
    diff = _changes(account, ACCOUNT_FIELDS, clean)
    with unique_or_field_error("code", lambda: _("Account %s exists already.") % account.code):
        account.save(update_fields=list(clean))
    audit.record(actor=actor, obj=account, action="finance.account_update", changes=diff)
    return account


def account_balance(account: Account) -> Decimal:
    """Posted debit minus credit of the account, to the cent."""
    totals = JournalLine.objects.filter(
        company_id=account.company_id, state=EntryState.POSTED, account=account
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    balance = Decimal(str(totals["debit"] or 0)) - Decimal(str(totals["credit"] or 0))
    return balance.quantize(Decimal("0.01"))


@transaction.atomic
def account_archive(*, actor: User, account_id: int, archived: bool = True) -> Account:
    """Archive an account (nothing more is booked on it) or restore it. Refused while it
    has a balance, is a journal's default account or an active tax's account."""
    account: Account = _locked(actor, Account, account_id)
    if account.is_active is (not archived):
        return account
    if archived:
        errors: FieldErrors = {}
        balance = account_balance(account)
        if balance != 0:
            _add(errors, "archived", _("The account has a balance of %s; it must be zero.") % balance)
        journals = Journal.objects.filter(default_account=account).values_list("code", flat=True)
        if journals:
            _add(
                errors,
                "archived",
                _("The account is the default account of journal(s) %s.") % ", ".join(journals),
            )
        taxes = (
            Tax.objects.filter(Q(account=account) | Q(reverse_account=account), is_active=True)
            .values_list("code", flat=True)
            .order_by("code")
        )
        if taxes:
            _add(errors, "archived", _("Taxes %s book to the account.") % ", ".join(taxes))
        if errors:
            raise AccountInUseError(errors["archived"][0], field_errors=errors)
    account.is_active = not archived
    account.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        obj=account,
        action="finance.account_archive" if archived else "finance.account_restore",
        changes={"is_active": [archived, not archived]},
    )
    return account


# ----------------------------------------------------------------------------- journals


def bank_details_clean(bank_account: str, bank_bic: str, errors: FieldErrors) -> tuple[str, str]:
    """The IBAN and BIC compact and in capitals, or field errors (empty is allowed).

    The same checks as `services.journal_bank_details_set` (python-stdnum): schwifty judges
    some numbers differently (it accepts a BIC with digits in the bank code and Belgian
    IBANs of banks stdnum does not list), and one journal must not get two answers."""
    account = iban.compact(bank_account or "")
    if account and not iban.is_valid(account):
        _add(errors, "bank_account", _("Not a valid IBAN."))
    code = bic.compact(bank_bic or "")
    if code and not bic.is_valid(code):
        _add(errors, "bank_bic", _("Not a valid BIC."))
    return account, code


def _journal_details_check(
    kind: str, default_account: Account | None, bank_account: str, bank_bic: str, errors: FieldErrors
) -> None:
    if kind in MONEY_KINDS and default_account is None and "default_account_id" not in errors:
        _add(errors, "default_account_id", _("A bank or cash journal needs its bank or cash account."))
    if (bank_account or bank_bic) and kind != JournalKind.BANK:
        _add(errors, "bank_account", _("Only a bank journal has a bank account."))


@transaction.atomic
def journal_create(
    *,
    actor: User,
    code: str,
    name: str,
    kind: str,
    default_account_id: int | None = None,
    bank_account: str = "",
    bank_bic: str = "",
) -> Journal:
    """Add a journal with its own numbering sequence (`journal-<code>`)."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    code, name = str(code or "").strip(), str(name or "").strip()
    errors = text_errors(Journal, {"code": code, "name": name})
    if not code:
        _add(errors, "code", _("Enter a code."))
    elif not JOURNAL_CODE.match(code):
        _add(errors, "code", _("Use letters, digits, - and _ only."))
    elif _code_taken(Journal, company_id, code):
        _add(errors, "code", _("Journal %s exists already.") % code)
    if not name:
        _add(errors, "name", _("Enter a name."))
    if kind not in JournalKind.values:
        _add(errors, "kind", _("Choose one of: %s.") % ", ".join(JournalKind.values))
    account = _company_account(company_id, default_account_id, "default_account_id", errors)
    iban_code, bic_code = bank_details_clean(bank_account, bank_bic, errors)
    _journal_details_check(kind, account, iban_code, bic_code, errors)
    _raise(JournalInvalidError, errors)
    with unique_or_field_error("code", lambda: _("Journal %s exists already.") % code):
        journal = Journal.objects.create(
            company_id=company_id,
            code=code,
            name=name,
            kind=kind,
            default_account=account,
            sequence_code=f"journal-{code.lower()}",
            bank_account=iban_code,
            bank_bic=bic_code,
        )
    audit.record(
        actor=actor,
        obj=journal,
        action="finance.journal_create",
        changes=audit.snapshot(journal, ["code", "kind", "sequence_code", *JOURNAL_FIELDS]),
    )
    return journal


@transaction.atomic
def journal_update(*, actor: User, journal_id: int, **changes: Any) -> Journal:
    """Change a journal's `name`, `default_account_id` (it applies to future entries only),
    `bank_account` (IBAN) and `bank_bic`. Its code, kind and numbering stay. Last write wins."""
    journal: Journal = _locked(actor, Journal, journal_id)
    allowed = {"name", "default_account_id", "bank_account", "bank_bic"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise JournalInvalidError(
            _("These fields cannot be changed: %s.") % ", ".join(unknown),
            field_errors={name: [_("Cannot be changed.")] for name in unknown},
        )
    errors: FieldErrors = {}
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = str(changes["name"] or "").strip()
        errors.update(text_errors(Journal, {"name": values["name"]}))
        if not values["name"]:
            _add(errors, "name", _("Enter a name."))
    account = journal.default_account
    if "default_account_id" in changes:
        new_id = changes["default_account_id"]
        if new_id != journal.default_account_id:
            account = _company_account(journal.company_id, new_id, "default_account_id", errors)
            values["default_account"] = account
    if "bank_account" in changes or "bank_bic" in changes:
        iban_code, bic_code = bank_details_clean(
            changes.get("bank_account", journal.bank_account),
            changes.get("bank_bic", journal.bank_bic),
            errors,
        )
        values.update(bank_account=iban_code, bank_bic=bic_code)
    _journal_details_check(
        journal.kind, account, values.get("bank_account", ""), values.get("bank_bic", ""), errors
    )
    _raise(JournalInvalidError, errors)
    diff = _changes(journal, JOURNAL_FIELDS, values)
    if diff:
        journal.save(update_fields=list(values))
        audit.record(actor=actor, obj=journal, action="finance.journal_update", changes=diff)
    return journal


# ----------------------------------------------------------------------------- taxes


def _decimal(value: Any) -> Decimal | None:
    """`value` as an exact finite Decimal (a text, an int or a Decimal; never a float)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _rate(value: Any, errors: FieldErrors) -> Decimal:
    rate = _decimal(value)
    if rate is None:
        _add(errors, "rate", _("Enter a percentage, e.g. 21."))
        return Decimal(0)
    if not Decimal(0) <= rate < HUNDRED:
        _add(errors, "rate", _("A rate lies from 0 up to 100 (not included)."))
    elif rate != rate.quantize(Decimal("0.0001")):
        _add(errors, "rate", _("At most 4 decimals."))
    else:
        return rate.quantize(Decimal("0.0001"))
    return rate


def _tags_check(values: Mapping[str, Any], errors: FieldErrors) -> None:
    """The VAT-return boxes: known to the return (vat.KNOWN_TAGS), a base box for the
    base, a tax box for the tax; a reverse-charge box only with a reverse-charge account."""
    for name, suffix in (("base_tag", "-base"), ("tax_tag", "-tax"), ("reverse_tag", "-tax")):
        tag = values[name]
        if tag and (tag not in KNOWN_TAGS or not tag.endswith(suffix)):
            known = sorted(t for t in KNOWN_TAGS if t.endswith(suffix))
            _add(errors, name, _("Choose one of: %s.") % ", ".join(known))
    if values["reverse_tag"] and values["reverse_account"] is None:
        _add(errors, "reverse_tag", _("A reverse-charge box needs a reverse-charge account."))
    if values["reverse_account"] is not None and not values["reverse_tag"]:
        _add(errors, "reverse_tag", _("Choose the box of the self-assessed VAT."))
    if values["rate"] and values["account"] is None and "account_id" not in errors:
        _add(errors, "account_id", _("A tax with a rate needs the account it books to."))


def _tax_values(company_id: int, changes: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = str(changes["name"] or "").strip()
        if not values["name"]:
            _add(errors, "name", _("Enter a name."))
    if "rate" in changes:
        values["rate"] = _rate(changes["rate"], errors)
    for name in ("account", "reverse_account"):
        if f"{name}_id" in changes:
            values[name] = _company_account(company_id, changes[f"{name}_id"], f"{name}_id", errors)
    for name in ("base_tag", "tax_tag", "reverse_tag"):
        if name in changes:
            values[name] = str(changes[name] or "").strip()
    errors.update(text_errors(Tax, {k: v for k, v in values.items() if isinstance(v, str)}))
    return values


def _tax_used_on_posted_invoices(tax: Tax) -> bool:
    return InvoiceLine.objects.filter(tax=tax, invoice__state=InvoiceState.POSTED).exists()


@transaction.atomic
def tax_create(
    *,
    actor: User,
    code: str,
    name: str,
    scope: str,
    treatment: str,
    rate: Decimal | str | int,
    account_id: int | None = None,
    reverse_account_id: int | None = None,
    base_tag: str = "",
    tax_tag: str = "",
    reverse_tag: str = "",
) -> Tax:
    """Add a sales or purchase tax with its accounts and VAT-return boxes."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    code = str(code or "").strip()
    errors = text_errors(Tax, {"code": code})
    if not code:
        _add(errors, "code", _("Enter a code."))
    elif re.search(r"\s", code):
        _add(errors, "code", _("A code has no spaces."))
    elif _code_taken(Tax, company_id, code):
        _add(errors, "code", _("Tax %s exists already.") % code)
    if scope not in TaxScope.values:
        _add(errors, "scope", _("Choose one of: %s.") % ", ".join(TaxScope.values))
    if treatment not in TaxTreatment.values:
        _add(errors, "treatment", _("Choose one of: %s.") % ", ".join(TaxTreatment.values))
    values = _tax_values(
        company_id,
        {
            "name": name,
            "rate": rate,
            "account_id": account_id,
            "reverse_account_id": reverse_account_id,
            "base_tag": base_tag,
            "tax_tag": tax_tag,
            "reverse_tag": reverse_tag,
        },
        errors,
    )
    _tags_check(values, errors)
    _raise(TaxInvalidError, errors)
    with unique_or_field_error("code", lambda: _("Tax %s exists already.") % code):
        tax = Tax.objects.create(company_id=company_id, code=code, scope=scope, treatment=treatment, **values)
    audit.record(
        actor=actor,
        obj=tax,
        action="finance.tax_create",
        changes=audit.snapshot(tax, ["code", "scope", "treatment", *TAX_FIELDS]),
    )
    return tax


@transaction.atomic
def tax_update(*, actor: User, tax_id: int, **changes: Any) -> Tax:
    """Change a tax's `name`, `rate`, `account_id`, `reverse_account_id`, `base_tag`,
    `tax_tag`, `reverse_tag`. The rate stays once the tax is on a posted invoice (make a new
    tax and archive this one). Its code, scope and treatment stay. Last write wins."""
    tax: Tax = _locked(actor, Tax, tax_id, visible_with=VIEW_INVOICE)
    allowed = {"name", "rate", "account_id", "reverse_account_id", "base_tag", "tax_tag", "reverse_tag"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise TaxInvalidError(
            _("These fields cannot be changed: %s.") % ", ".join(unknown),
            field_errors={name: [_("Cannot be changed.")] for name in unknown},
        )
    errors: FieldErrors = {}
    values = _tax_values(tax.company_id, changes, errors)
    merged = {
        "rate": values.get("rate", tax.rate),
        "account": values.get("account", tax.account),
        "reverse_account": values.get("reverse_account", tax.reverse_account),
        "base_tag": values.get("base_tag", tax.base_tag),
        "tax_tag": values.get("tax_tag", tax.tax_tag),
        "reverse_tag": values.get("reverse_tag", tax.reverse_tag),
    }
    if not errors:
        _tags_check(merged, errors)
    _raise(TaxInvalidError, errors)
    if "rate" in values and values["rate"] != tax.rate and _tax_used_on_posted_invoices(tax):
        raise TaxInUseError.for_field(
            "rate",
            _("Tax %s is on posted invoices; its rate cannot change. Add a new tax instead.") % tax.code,
        )
    diff = _changes(tax, TAX_FIELDS, values)
    if diff:
        tax.save(update_fields=list(values))
        audit.record(actor=actor, obj=tax, action="finance.tax_update", changes=diff)
    return tax


@transaction.atomic
def tax_archive(*, actor: User, tax_id: int, archived: bool = True) -> Tax:
    """Archive a tax (no new invoice line can use it) or restore it."""
    tax: Tax = _locked(actor, Tax, tax_id, visible_with=VIEW_INVOICE)
    if tax.is_active is (not archived):
        return tax
    if not archived:
        errors: FieldErrors = {}
        for name in ("account", "reverse_account"):
            account = getattr(tax, name)
            if account is not None and not account.is_active:
                _add(errors, f"{name}_id", _("Account %s is archived.") % account.code)
        _raise(TaxInvalidError, errors)
    tax.is_active = not archived
    tax.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        obj=tax,
        action="finance.tax_archive" if archived else "finance.tax_restore",
        changes={"is_active": [archived, not archived]},
    )
    return tax


# ----------------------------------------------------------------------------- payment terms


def _instalments_clean(instalments: Any, errors: FieldErrors) -> list[tuple[Decimal, int, bool]]:
    """(percent, days, end of month) per instalment; the percents sum to exactly 100."""
    rows: list[tuple[Decimal, int, bool]] = []
    if not isinstance(instalments, Sequence) or isinstance(instalments, str) or not instalments:
        _add(errors, "instalments", _("Enter at least one instalment."))
        return rows
    if len(instalments) > MAX_INSTALMENTS:
        _add(errors, "instalments", _("At most %d instalments.") % MAX_INSTALMENTS)
        return rows
    for n, item in enumerate(instalments):
        percent_in, days, end_of_month = _instalment_parts(item)
        percent = _decimal(percent_in)
        if percent is None:
            _add(errors, f"instalments.{n}.percent", _("Enter a percentage, e.g. 50."))
            percent = Decimal(0)
        elif not Decimal(0) < percent <= HUNDRED:
            _add(errors, f"instalments.{n}.percent", _("More than 0 and at most 100."))
        elif percent != percent.quantize(Decimal("0.0001")):
            _add(errors, f"instalments.{n}.percent", _("At most 4 decimals."))
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS:
            _add(errors, f"instalments.{n}.days", _("Enter a number of days from 0 to %d.") % MAX_DAYS)
            days = 0
        if not isinstance(end_of_month, bool):
            _add(errors, f"instalments.{n}.end_of_month", _("Enter true or false."))
            end_of_month = False
        rows.append((percent, days, end_of_month))
    if not errors:
        total = sum((percent for percent, _days, _eom in rows), Decimal(0))
        if total != HUNDRED:
            _add(
                errors, "instalments", _("The instalments add up to %s%%; they must add up to 100%%.") % total
            )
    return rows


def _instalment_parts(item: Any) -> tuple[Any, Any, Any]:
    if isinstance(item, Mapping):
        return item.get("percent"), item.get("days", 0), item.get("end_of_month", False)
    if isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 3:
        return item[0], item[1], item[2]
    return None, None, None


def _term_name(company_id: int, name: Any, errors: FieldErrors, exclude: int | None = None) -> str:
    name = str(name or "").strip()
    errors.update(text_errors(PaymentTerm, {"name": name}))
    if not name:
        _add(errors, "name", _("Enter a name."))
    else:
        rows = PaymentTerm.objects.filter(company_id=company_id, name__iexact=name)
        if exclude is not None:
            rows = rows.exclude(pk=exclude)
        if rows.exists():
            _add(errors, "name", _("A payment term “%s” exists already.") % name)
    return name


def _lines_save(term: PaymentTerm, rows: Iterable[tuple[Decimal, int, bool]]) -> None:
    PaymentTermLine.objects.bulk_create(
        PaymentTermLine(term=term, sequence=n, percent=percent, days=days, end_of_month=eom)
        for n, (percent, days, eom) in enumerate(rows, start=1)
    )


def _lines_of(term: PaymentTerm) -> list[list[Any]]:
    return [
        [f"{line.percent.normalize():f}", line.days, line.end_of_month]
        for line in term.lines.order_by("sequence")
    ]


@transaction.atomic
def payment_term_create(*, actor: User, name: str, instalments: Sequence[Any]) -> PaymentTerm:
    """Add a payment term: instalments of (percent, days, end of month) adding up to 100%."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    errors: FieldErrors = {}
    name = _term_name(company_id, name, errors)
    rows = _instalments_clean(instalments, errors)
    _raise(PaymentTermInvalidError, errors)
    with unique_or_field_error("name", lambda: _("A payment term “%s” exists already.") % name):
        term = PaymentTerm.objects.create(company_id=company_id, name=name)
    _lines_save(term, rows)
    audit.record(
        actor=actor,
        obj=term,
        action="finance.payment_term_create",
        changes={"name": name, "instalments": _lines_of(term)},
    )
    return term


@transaction.atomic
def payment_term_update(
    *, actor: User, term_id: int, name: str | None = None, instalments: Sequence[Any] | None = None
) -> PaymentTerm:
    """Rename a payment term and/or replace its instalments. Posted invoices keep their due
    dates; drafts take the new instalments when posted. Last write wins."""
    term: PaymentTerm = _locked(actor, PaymentTerm, term_id, visible_with=VIEW_INVOICE)
    errors: FieldErrors = {}
    new_name = _term_name(term.company_id, name, errors, exclude=term.pk) if name is not None else term.name
    rows = _instalments_clean(instalments, errors) if instalments is not None else None
    _raise(PaymentTermInvalidError, errors)
    before = {"name": term.name, "instalments": _lines_of(term)}
    if new_name != term.name:
        term.name = new_name
        with unique_or_field_error("name", lambda: _("A payment term “%s” exists already.") % new_name):
            term.save(update_fields=["name"])
    if rows is not None:
        term.lines.all().delete()
        _lines_save(term, rows)
    diff = audit.diff(before, {"name": term.name, "instalments": _lines_of(term)})
    if diff:
        audit.record(actor=actor, obj=term, action="finance.payment_term_update", changes=diff)
    return term


@transaction.atomic
def payment_term_archive(*, actor: User, term_id: int, archived: bool = True) -> PaymentTerm:
    """Archive a payment term (new invoices cannot choose it) or restore it."""
    term: PaymentTerm = _locked(actor, PaymentTerm, term_id, visible_with=VIEW_INVOICE)
    if term.is_active is (not archived):
        return term
    term.is_active = not archived
    term.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        obj=term,
        action="finance.payment_term_archive" if archived else "finance.payment_term_restore",
        changes={"is_active": [archived, not archived]},
    )
    return term


# ----------------------------------------------------------------------------- settings


def finance_settings_get(actor: User) -> FinanceSettings:
    """The company's finance settings (their defaults, unsaved, before the first change)."""
    if not (policy.has_permission(actor, VIEW) or policy.has_permission(actor, VIEW_INVOICE)):
        policy.require(actor, VIEW)
    company_id = policy.actor_company_id(actor)
    settings = FinanceSettings.objects.filter(company_id=company_id).first()
    return settings if settings is not None else FinanceSettings(company_id=company_id)


@transaction.atomic
def finance_settings_update(*, actor: User, tax_rounding: str, version: int | None = None) -> FinanceSettings:
    """Change how invoices round their tax: per line or per document. Drafts take the new
    rule when posted; posted invoices keep theirs."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    Company.objects.select_for_update().filter(pk=company_id).first()
    settings, _created = FinanceSettings.objects.select_for_update().get_or_create(company_id=company_id)
    require_version(settings, version)
    if tax_rounding not in TaxRounding.values:
        raise FinanceSettingsInvalidError.for_field(
            "tax_rounding", _("Choose one of: %s.") % ", ".join(TaxRounding.values)
        )
    if settings.tax_rounding == tax_rounding:
        return settings
    before = settings.tax_rounding
    settings.tax_rounding = tax_rounding
    settings.version += 1
    settings.save(update_fields=["tax_rounding", "version"])
    audit.record(
        actor=actor,
        obj=settings,
        action="finance.finance_settings_update",
        changes={"tax_rounding": [before, tax_rounding]},
    )
    return settings


def accounts_for_choice(actor: User) -> QuerySet[Account]:
    """The active accounts the actor may choose in the configuration forms."""
    return policy.filter_queryset(actor, VIEW, Account.objects.filter(is_active=True))
