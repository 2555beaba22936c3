"""Events the finance app publishes (its public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.core.events import Event


@dataclass(frozen=True, kw_only=True)
class EntryPosted(Event):
    entry_id: int
    journal_id: int
    number: str
    date: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class EntryReversed(Event):
    """`entry_id` was reversed by the posted entry `reversal_id`."""

    entry_id: int
    reversal_id: int
    number: str
    reversal_number: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PeriodLocked(Event):
    """Nothing may be posted on or before `locked_until` any more (a closed period or the lock date)."""

    locked_until: str
    period_id: int | None = None
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class InvoicePosted(Event):
    """A customer invoice or credit note, or a supplier bill or refund, was posted."""

    invoice_id: int
    party_id: int
    kind: str
    number: str
    date: str
    due_date: str
    currency: str
    amount_total: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CreditNoteIssued(Event):
    """A customer credit note was posted (`invoice_id` is the note, `original_id` what it credits)."""

    invoice_id: int
    party_id: int
    number: str
    currency: str
    amount_total: str
    original_id: int | None = None
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class InvoicePaid(Event):
    """An invoice or bill is paid in full (its amount due reached zero)."""

    invoice_id: int
    party_id: int
    kind: str
    number: str
    currency: str
    amount_total: str
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PaymentRegistered(Event):
    payment_id: int
    party_id: int
    kind: str
    number: str
    date: str
    currency: str
    amount: str
    invoice_ids: tuple[int, ...] = ()
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class InvoiceSendRequested(Event):
    """Someone asked to e-mail a posted invoice; a handler renders and sends it after commit."""

    invoice_id: int
    party_id: int
    to: tuple[str, ...]
    actor_id: int | None = None
