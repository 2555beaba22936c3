"""API schemas of the finance configuration: accounts, journals, taxes, payment terms and
the finance settings. As elsewhere in finance, rates and percentages travel as decimal
strings ("21", "33.3333"), never as JSON numbers; the patterns bound only the shape, the
services (configuration.py) check the rules.

Accounts, journals, taxes and payment terms have no version: a change is last-write-wins.
The finance settings have one (a stale version is a 409)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from kantoor.core.schemas import Id, Input, Version, unchanged
from kantoor.finance.models import AccountRole, AccountType, JournalKind, TaxRounding, TaxScope, TaxTreatment
from kantoor.finance.schemas_invoices import Percent

# An IBAN or BIC may be sent grouped with spaces; it is stored compact.
_IBAN_LENGTH = 42
_BIC_LENGTH = 14


class ArchiveIn(Input):
    archived: bool = Field(description="true archives (nothing new may use it), false restores.")


# ----------------------------------------------------------------------------- accounts


class AccountCreateIn(Input):
    code: str = Field(max_length=20, description="Unique in the company.", examples=["1020"])
    name: str = Field(max_length=200)
    account_type: AccountType
    role: AccountRole = Field(AccountRole.NONE, description="What the system uses the account for.")
    reference_code: str = Field("", max_length=40, description="E.g. the RGS code.")
    is_reconcilable: bool = Field(False, description="Keeps open items (receivable, payable, bank).")
    currency: str = Field("", max_length=3, description="ISO 4217; empty for any currency.")


class AccountUpdateIn(Input):
    """Only the fields sent change. Code and type stay once the account has posted lines."""

    code: str = unchanged(max_length=20)
    name: str = unchanged(max_length=200)
    account_type: AccountType = unchanged()
    role: AccountRole = unchanged()
    reference_code: str = unchanged(max_length=40)
    is_reconcilable: bool = unchanged()


# ----------------------------------------------------------------------------- journals


class JournalDetailOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    default_account_id: int | None
    sequence_code: str = Field(description="The numbering sequence of its entries.")
    bank_account: str = Field(description="The IBAN of a bank journal (compact).")
    bank_bic: str


class JournalCreateIn(Input):
    code: str = Field(max_length=10, description="Letters, digits, - and _.", examples=["BNK2"])
    name: str = Field(max_length=120)
    kind: JournalKind
    default_account_id: Id | None = Field(None, description="Required for bank and cash journals.")
    bank_account: str = Field("", max_length=_IBAN_LENGTH, description="IBAN (bank journals only).")
    bank_bic: str = Field("", max_length=_BIC_LENGTH)


class JournalUpdateIn(Input):
    """Only the fields sent change; a new default account applies to future entries."""

    name: str = unchanged(max_length=120)
    default_account_id: Id | None = unchanged()
    bank_account: str = unchanged(max_length=_IBAN_LENGTH)
    bank_bic: str = unchanged(max_length=_BIC_LENGTH)


# ----------------------------------------------------------------------------- taxes


class TaxCreateIn(Input):
    code: str = Field(max_length=20, examples=["V13"])
    name: str = Field(max_length=120)
    scope: TaxScope
    treatment: TaxTreatment
    rate: Percent = Field(description='Percent, e.g. "21"; less than 100.')
    account_id: Id | None = Field(None, description="Where the tax is booked; required with a rate.")
    reverse_account_id: Id | None = Field(None, description="Reverse charge: the self-assessed VAT.")
    base_tag: str = Field("", max_length=12, description='VAT-return box of the base, e.g. "1a-base".')
    tax_tag: str = Field("", max_length=12, description='VAT-return box of the tax, e.g. "1a-tax".')
    reverse_tag: str = Field("", max_length=12, description="Box of the self-assessed VAT.")


class TaxUpdateIn(Input):
    """Only the fields sent change; the rate stays once a posted invoice uses the tax."""

    name: str = unchanged(max_length=120)
    rate: Percent = unchanged()
    account_id: Id | None = unchanged()
    reverse_account_id: Id | None = unchanged()
    base_tag: str = unchanged(max_length=12)
    tax_tag: str = unchanged(max_length=12)
    reverse_tag: str = unchanged(max_length=12)


# ----------------------------------------------------------------------------- payment terms


class InstalmentIn(Input):
    percent: Percent = Field(description="Share of the total; all shares add up to exactly 100.")
    days: int = Field(0, ge=0, le=3660, description="Days after the invoice date.")
    end_of_month: bool = Field(False, description="Then at the end of that month.")


class PaymentTermCreateIn(Input):
    name: str = Field(max_length=120)
    instalments: list[InstalmentIn] = Field(min_length=1, max_length=12)


class PaymentTermUpdateIn(Input):
    """Only the fields sent change; `instalments`, when sent, replace all of them."""

    name: str = unchanged(max_length=120)
    instalments: list[InstalmentIn] = unchanged(min_length=1, max_length=12)


# ----------------------------------------------------------------------------- settings


class FinanceSettingsOut(Schema):
    tax_rounding: str = Field(
        description="per_line or per_document (half up), line_even or document_even (half to even)."
    )
    lock_date: dt.date | None = Field(description="Nothing is posted or reversed on or before it.")
    version: int


class FinanceSettingsUpdateIn(Input):
    tax_rounding: TaxRounding
    version: Version = Field(description="The version you read; a newer one on the server → 409.")
