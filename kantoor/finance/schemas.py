"""API schemas of the ledger. Amounts travel as decimal strings both ways ("1234.50"), never
as JSON numbers, which clients parse as floating point. The patterns only bound the shape
and size (so that an absurd number is a 422 naming the field, not a database overflow);
the service checks the decimals per currency and the business rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field

from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged
from kantoor.finance.models import AccountRole, AccountType, EntryState, FiscalYear, JournalEntry

# Lines store amounts in currency with 6 decimals in 20 digits: at most 14 before the point.
_AMOUNT = r"^[0-9]{1,14}(\.[0-9]{1,6})?$"
_SIGNED_AMOUNT = r"^-?[0-9]{1,14}(\.[0-9]{1,6})?$"

Amount = Annotated[
    str,
    Field(
        pattern=_AMOUNT, max_length=21, description='A decimal string, e.g. "1234.50".', examples=["100.00"]
    ),
]
SignedAmount = Annotated[
    str,
    Field(
        pattern=_SIGNED_AMOUNT,
        max_length=22,
        description="A decimal string: positive for a debit, negative for a credit.",
        examples=["-100.00"],
    ),
]


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


# An exact amount as the database holds it, shown as a string.
DecimalText = Annotated[str, BeforeValidator(_as_text)]


class AccountOut(Schema):
    id: int
    code: str
    name: str
    account_type: str
    role: str
    reference_code: str
    is_reconcilable: bool
    is_active: bool
    currency: str


class AccountPage(Page[AccountOut]):
    pass


class AccountFilters(QueryInput):
    type: AccountType | None = Field(None, description="asset, liability, equity, income or expense.")
    role: AccountRole | None = Field(None, description="What the system uses the account for.")
    active: bool | None = Field(None, description="Only active (true) or archived (false) accounts.")


class JournalOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    default_account_id: int | None


class JournalPage(Page[JournalOut]):
    pass


class PeriodOut(Schema):
    id: int
    number: int
    start_date: dt.date
    end_date: dt.date
    is_closed: bool
    version: int


class FiscalYearOut(Schema):
    id: int
    year: int
    start_date: dt.date
    end_date: dt.date
    is_closed: bool
    periods: list[PeriodOut]

    @staticmethod
    def resolve_periods(obj: FiscalYear) -> list[Any]:
        return list(obj.periods.all())


class FiscalYearPage(Page[FiscalYearOut]):
    pass


class FiscalYearDetailOut(FiscalYearOut):
    """A fiscal year with its periods, its version and the number of its closing entry."""

    version: int
    closing_entry: str = Field(description="The closing entry's number; empty while the year is open.")

    @staticmethod
    def resolve_closing_entry(obj: FiscalYear) -> str:
        return obj.closing_entry.number if obj.closing_entry is not None else ""


class FiscalYearCreateIn(Input):
    year: int = Field(
        ge=1900, le=9998, description="The calendar year the fiscal year starts in.", examples=[2027]
    )


class LedgerVersionIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")


class LockDateOut(Schema):
    lock_date: dt.date | None = Field(description="Nothing is posted or reversed on or before it.")
    version: int = Field(description="The version of the company's finance settings.")


class LockDateIn(Input):
    lock_date: dt.date | None = Field(description="null removes the lock date.")
    version: Version = Field(description="The version you read; a newer one on the server → 409.")


class EntryListOut(Schema):
    """An entry as lists show it (without its lines)."""

    id: int
    journal_id: int
    number: str = Field(description="Empty while a draft; the journal's gapless number once posted.")
    date: dt.date
    reference: str
    narration: str
    state: str
    posted_at: dt.datetime | None
    posted_by_id: int | None
    reversal_of_id: int | None = Field(description="Set on a reversal: the entry it reverses.")
    created_by_id: int | None
    created_at: dt.datetime
    version: int


class LineOut(Schema):
    id: int
    account_id: int
    party_id: int | None
    label: str
    debit: DecimalText
    credit: DecimalText
    currency: str
    amount_currency: DecimalText
    rate: DecimalText
    due_date: dt.date | None


class EntryOut(EntryListOut):
    hash: str = Field(description="SHA-256 chaining the posted entry to its journal's previous one.")
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj: JournalEntry) -> list[Any]:
        return list(obj.lines.order_by("id"))


class EntryPage(Page[EntryListOut]):
    pass


class EntryFilters(QueryInput):
    journal: Id | None = Field(None, description="A journal's id.")
    state: EntryState | None = None
    date_from: dt.date | None = Field(None, description="On or after this date.")
    date_to: dt.date | None = Field(None, description="On or before this date.")


class EntryLineIn(Input):
    """A debit or a credit in company currency, or an amount in another `currency`
    (positive debit, negative credit) converted at the rate of the entry's date."""

    account_id: Id
    debit: Amount = "0"
    credit: Amount = "0"
    label: str = Field("", max_length=200)
    party_id: Id | None = None
    currency: str = Field("", max_length=3, description="ISO 4217; default the company currency.")
    amount_currency: SignedAmount | None = None
    due_date: dt.date | None = None


class EntryCreateIn(Input):
    journal_id: Id
    date: dt.date
    reference: str = Field("", max_length=120)
    narration: str = Field("", max_length=20000)
    lines: list[EntryLineIn] = Field(max_length=500, description="A draft need not balance yet.")


class EntryUpdateIn(Input):
    """Only the fields sent change; `lines`, when sent, replace all the lines."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    date: dt.date = unchanged()
    reference: str = unchanged(max_length=120)
    narration: str = unchanged(max_length=20000)
    lines: list[EntryLineIn] = unchanged(max_length=500)


class EntryVersionIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")


class EntryReverseIn(Input):
    date: dt.date | None = Field(None, description="Default: the date of the entry reversed.")
    narration: str = Field("", max_length=20000, description="Default: “Reversal of <number>”.")


class TrialBalanceFilters(QueryInput):
    up_to: dt.date | None = Field(None, description="Posted lines on or before this date; default: all.")


class TrialBalanceRowOut(Schema):
    account_id: int
    code: str
    name: str
    debit: DecimalText
    credit: DecimalText
    balance: DecimalText = Field(description="Debit minus credit.")


class TrialBalanceOut(Schema):
    up_to: dt.date | None
    rows: list[TrialBalanceRowOut]
    total_debit: DecimalText
    total_credit: DecimalText
