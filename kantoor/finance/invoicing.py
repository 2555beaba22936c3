"""Customer invoices and credit notes, supplier bills and refunds: drafts, posting (number and
journal entry), credit notes from an invoice and the request to send one by e-mail.

A draft's totals are computed here from its lines (taxes.py) and stored; posting books them
as one balanced entry through the ledger's services (receivable or payable per instalment,
revenue or expense per line with its VAT box, VAT per tax) and makes the document
immutable. Payments (payments.py) then move its amount due and payment state.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import audit, fastsql, policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.core.events import Event
from kantoor.core.models import User
from kantoor.core.money import currency_exponent, currency_validate, exchange_rate_on, quantize
from kantoor.core.numbering import number_allocate
from kantoor.core.outbox import publish, publish_many
from kantoor.core.services import require_version
from kantoor.core.validation import text_errors
from kantoor.finance import fastread, payments, services
from kantoor.finance.errors import InvoiceInvalidError, InvoiceStateError
from kantoor.finance.events import CreditNoteIssued, InvoicePosted, InvoiceSendRequested
from kantoor.finance.models import (
    REFUND_KINDS,
    SALES_KINDS,
    Account,
    AccountRole,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    Journal,
    JournalKind,
    PaymentState,
    PaymentTerm,
    PaymentTermLine,
    Tax,
    TaxRounding,
    TaxScope,
)
from kantoor.finance.taxes import TaxRate, document_amounts, instalments, line_untaxed
from kantoor.parties.models import Party

VIEW = "finance.view_invoice"
MANAGE = "finance.manage_invoice"

NUMBER_PREFIX = {
    InvoiceKind.CUSTOMER_INVOICE: "INV",
    InvoiceKind.CUSTOMER_CREDIT_NOTE: "CN",
    InvoiceKind.SUPPLIER_BILL: "BILL",
    InvoiceKind.SUPPLIER_REFUND: "REF",
}


@dataclass(frozen=True)
class InvoiceLineIn:
    """A line as given. Without an account the journal's default (revenue or expense) is used."""

    description: str
    quantity: Decimal | int | str = 1
    unit_price: Decimal | int | str = 0
    discount: Decimal | int | str = 0
    account_id: int | None = None
    tax_id: int | None = None
    product_code: str = ""


_LINE_FIELDS = {f.name for f in fields(InvoiceLineIn)}
_KINDS = frozenset(InvoiceKind.values)


def _decimal(value: Any, places: int, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
    if isinstance(value, float | bool):
        raise ValueError(_("Give amounts as decimals, not floating point numbers."))
    try:
        number = Decimal(str(value).strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(_("Not a number.")) from exc
    if not number.is_finite():
        raise ValueError(_("Not a number."))
    if abs(number) >= Decimal(10) ** 12:
        raise ValueError(_("Too large."))
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(_("At most %d decimals.") % places)
    if low is not None and number < low:
        raise ValueError(_("At least %s.") % low)
    if high is not None and number > high:
        raise ValueError(_("At most %s.") % high)
    return number


def _scope_of(kind: str) -> str:
    return TaxScope.SALE if kind in SALES_KINDS else TaxScope.PURCHASE


def _journal_kind(kind: str) -> str:
    return JournalKind.SALES if kind in SALES_KINDS else JournalKind.PURCHASE


@dataclass(slots=True)
class _LineDraft:
    """A checked invoice line, not saved yet: what InvoiceLine stores (a plain object, as a
    model instance per line cost a measurable share of booking an invoice)."""

    company_id: int
    sequence: int
    product_code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    account_id: int
    tax_id: int | None
    amount_untaxed: Decimal = Decimal(0)
    amount_tax: Decimal = Decimal(0)
    credited_line_id: int | None = None

    def row(self, invoice_id: int) -> dict[str, Any]:
        """The line's values by InvoiceLine field name, for fastsql."""
        return {
            "invoice": invoice_id,
            "company": self.company_id,
            "sequence": self.sequence,
            "product_code": self.product_code,
            "description": self.description,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "discount": self.discount,
            "account": self.account_id,
            "tax": self.tax_id,
            "amount_untaxed": self.amount_untaxed,
            "amount_tax": self.amount_tax,
            "credited_line": self.credited_line_id,
        }


# An invoice's lines as posting reads them: saved (InvoiceLine) or just checked (_LineDraft).
_Line = InvoiceLine | _LineDraft


@dataclass(frozen=True)
class _Facts:
    """What posting needs besides the invoice and its lines, read once: the company's
    currency and fiscal year start, the taxes of the lines, the rounding rule and the
    payment term's instalments (percent, days, end of month)."""

    company: fastread.CompanyFacts
    taxes: dict[int, Tax]
    rounding: str
    term_lines: list[tuple[Decimal, int, bool]]
    journal: Journal | None = None  # read with the draft (posting a saved draft reads it)


@dataclass
class _Draft:
    """A checked draft: its header values, lines and computed amounts, not yet saved, with
    what it was computed from (posting it in the same transaction reads none of it again)."""

    values: dict[str, Any]
    lines: list[_LineDraft]
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    facts: _Facts
    party: Party


def _clean(
    *,
    company_id: int,
    kind: str,
    party_id: Any,
    date: Any,
    lines: Sequence[InvoiceLineIn | Mapping[str, Any]],
    due_date: dt.date | None,
    payment_term_id: int | None,
    currency: str,
    reference: str,
    narration: str,
) -> _Draft:
    """Check everything at once (so one error names every faulty field) and compute the
    amounts; raises InvoiceInvalidError."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in _KINDS:
        raise InvoiceInvalidError.for_field("kind", _("Choose one of %s.") % ", ".join(InvoiceKind.values))
    company = fastread.company_facts(company_id)
    base_currency = company.currency
    for field, messages in text_errors(Invoice, {"reference": reference, "narration": narration}).items():
        errors.setdefault(field, []).extend(messages)
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        fail("date", _("Not a date."))
        date = None
    elif not 1900 <= date.year <= 9000:  # due dates are computed from it: no overflow
        fail("date", _("Enter a date between the years 1900 and 9000."))
        date = None
    if due_date is not None and (not isinstance(due_date, dt.date) or (date and due_date < date)):
        fail("due_date", _("The due date cannot lie before the invoice date."))
    party = _party(company_id, party_id)
    if party is None:
        fail("party_id", _("Unknown party."))
    elif party.is_archived or party.merged_into_id is not None:
        fail("party_id", _("This party is archived."))
    term_lines: list[tuple[Decimal, int, bool]] = []
    if payment_term_id is not None:
        terms = (
            fastread.instances(
                PaymentTerm,
                "id = %s AND company_id = %s AND is_active = %s",
                [payment_term_id, company_id, True],
            )
            if isinstance(payment_term_id, int)
            else []
        )
        if not terms:
            fail("payment_term_id", _("Unknown payment term."))
        else:
            term_lines = [
                (line.percent, line.days, line.end_of_month)
                for line in fastread.instances(
                    PaymentTermLine, "term_id = %s", [payment_term_id], order_by="sequence"
                )
            ]
    code = (currency or base_currency).strip().upper()
    rate = Decimal(1)
    try:
        code = currency_validate(code)
        if date is not None and code != base_currency:  # the company's own currency has rate 1
            rate = exchange_rate_on(company_id=company_id, currency=code, on=date)
    except DomainError as exc:
        fail("currency", exc.message)
    journal = _journal(company_id, _journal_kind(kind))
    given: list[InvoiceLineIn] = []
    for i, item in enumerate(lines):
        if isinstance(item, InvoiceLineIn):
            given.append(item)
        elif isinstance(item, Mapping) and set(item) <= _LINE_FIELDS and "description" in item:
            given.append(InvoiceLineIn(**dict(item)))
        else:
            fail(f"lines[{i}]", _("Unknown line fields."))
    if not given and not errors:
        fail("lines", _("An invoice needs at least one line."))
    accounts = {a.pk: a for a in fastread.by_keys(Account, company_id, [line.account_id for line in given])}
    taxes = {t.pk: t for t in fastread.by_keys(Tax, company_id, [line.tax_id for line in given])}
    scope = _scope_of(kind)
    cleaned: list[_LineDraft] = []
    for i, line in enumerate(given):
        prefix = f"lines[{i}]"
        description = (line.description or "").strip()
        if not description:
            fail(f"{prefix}.description", _("Describe what is invoiced."))
        for field, messages in text_errors(
            InvoiceLine, {"description": description, "product_code": line.product_code}
        ).items():
            errors.setdefault(f"{prefix}.{field}", []).extend(messages)
        numbers: dict[str, Decimal] = {}
        for name, places, low, high in (
            ("quantity", 4, None, None),
            ("unit_price", 6, None, None),
            ("discount", 4, Decimal(0), Decimal(100)),
        ):
            try:
                numbers[name] = _decimal(getattr(line, name), places, low=low, high=high)
            except ValueError as exc:
                fail(f"{prefix}.{name}", str(exc))
        account_id = line.account_id if line.account_id is not None else journal.default_account_id
        account = accounts.get(line.account_id) if line.account_id is not None else None
        if line.account_id is not None and (account is None or not account.is_active):
            fail(f"{prefix}.account_id", _("Unknown account."))
        elif account_id is None:
            fail(f"{prefix}.account_id", _("Choose an account."))
        tax = taxes.get(line.tax_id) if line.tax_id is not None else None
        if line.tax_id is not None and (tax is None or not tax.is_active):
            fail(f"{prefix}.tax_id", _("Unknown tax."))
        elif tax is not None and tax.scope != scope:
            fail(f"{prefix}.tax_id", _("Tax %s is not for this kind of document.") % tax.code)
        cleaned.append(
            _LineDraft(
                company_id=company_id,
                sequence=i + 1,
                product_code=line.product_code.strip(),
                description=description,
                quantity=numbers.get("quantity", Decimal(0)),
                unit_price=numbers.get("unit_price", Decimal(0)),
                discount=numbers.get("discount", Decimal(0)),
                account_id=account_id or 0,
                tax_id=line.tax_id,
            )
        )
    if errors:
        raise InvoiceInvalidError(_("Please correct the marked fields."), field_errors=errors)
    rounding = company.tax_rounding or TaxRounding.PER_LINE
    for row in cleaned:
        row.amount_untaxed = line_untaxed(row.quantity, row.unit_price, row.discount, code)
    # Each line must fit the stored amounts too, not only the total (lines may cancel out).
    too_large = [i for i, row in enumerate(cleaned) if abs(row.amount_untaxed) >= Decimal(10) ** 12]
    if too_large:
        raise InvoiceInvalidError(
            _("A line's amount is too large."),
            field_errors={f"lines[{i}].unit_price": [_("Too large.")] for i in too_large},
        )
    rates = {pk: TaxRate(rate=tax.rate, is_reverse=tax.is_reverse_charge) for pk, tax in taxes.items()}
    amounts = document_amounts(
        [(row.amount_untaxed, row.tax_id) for row in cleaned], rates, rounding=rounding, currency=code
    )
    for row, tax_amount in zip(cleaned, amounts.line_tax, strict=True):
        row.amount_tax = tax_amount
    if amounts.total < 0:
        raise InvoiceInvalidError(
            _("The total is negative (%s): book it as a credit note or refund instead.") % amounts.total,
            field_errors={"lines": [_("The total cannot be negative.")]},
        )
    if abs(amounts.total) >= Decimal(10) ** 12:
        raise InvoiceInvalidError(_("The total is too large."), field_errors={"lines": [_("Too large.")]})
    assert date is not None  # noqa: S101 - refused above otherwise
    assert party is not None  # noqa: S101 - refused above otherwise
    if due_date is None:
        due_date = instalments(amounts.total, date, term_lines, code)[-1][0]
    return _Draft(
        values={
            "company_id": company_id,
            "kind": kind,
            "party_id": party.pk,
            "date": date,
            "due_date": due_date,
            "payment_term_id": payment_term_id,
            "journal_id": journal.pk,
            "currency": code,
            "rate": rate,
            "reference": reference.strip(),
            "narration": narration.strip(),
        },
        lines=cleaned,
        untaxed=amounts.untaxed,
        tax=amounts.tax,
        total=amounts.total,
        facts=_Facts(company=company, taxes=taxes, rounding=rounding, term_lines=term_lines, journal=journal),
        party=party,
    )


_PARTY_COLUMNS = ["id", "name", "owner_id", "team_id", "is_archived", "merged_into_id"]


def _party(company_id: int, party_id: Any) -> Party | None:
    """The party of the company with what drafting and posting use of it (name, owner and
    team, archived and merged flags), as the ORM's `.only(…)` reads it."""
    pk = services._pk(Party, party_id)
    rows = (
        services._rows(
            f"SELECT {', '.join(_PARTY_COLUMNS)} FROM parties_party WHERE id = %s AND company_id = %s",  # noqa: S608 - names only
            [pk, company_id],
        )
        if pk is not None
        else []
    )
    if not rows:
        return None
    pk, name, owner, team, archived, merged_into = rows[0]
    return Party.from_db(
        DEFAULT_DB_ALIAS, _PARTY_COLUMNS, (pk, name, owner, team, bool(archived), merged_into)
    )


def _journal(company_id: int, kind: str) -> Journal:
    """The company's first journal of `kind` (services.journal_for without the ORM)."""
    journals = fastread.instances(Journal, "company_id = %s AND kind = %s", [company_id, kind], order_by="id")
    if not journals:
        return services.journal_for(company_id=company_id, kind=kind)  # raises NotFoundError
    return journals[0]


def _draft_invoice(actor: User, draft: _Draft, *, credit_note_of_id: int | None = None) -> Invoice:
    """The unsaved invoice of a checked draft."""
    return Invoice(
        **draft.values,
        amount_untaxed=draft.untaxed,
        amount_tax=draft.tax,
        amount_total=draft.total,
        amount_residual=draft.total,
        credit_note_of_id=credit_note_of_id,
        created_by=actor,
    )


def _insert(invoice: Invoice, lines: Sequence[_LineDraft]) -> None:
    """Insert a new invoice and its lines in the caller's transaction."""
    fastsql.insert_instance(invoice)
    _lines_insert(invoice, lines)


def _lines_insert(invoice: Invoice, lines: Sequence[_LineDraft]) -> None:
    fastsql.insert_many(InvoiceLine, [line.row(invoice.pk) for line in lines])  # one INSERT


def _drafted(
    actor: User,
    *,
    kind: str,
    party_id: Any,
    date: Any,
    lines: Sequence[InvoiceLineIn | Mapping[str, Any]],
    due_date: dt.date | None,
    payment_term_id: int | None,
    currency: str,
    reference: str,
    narration: str,
) -> _Draft:
    """The checked draft of an actor allowed to manage invoices (of the actor's company)."""
    policy.require(actor, MANAGE)
    return _clean(
        company_id=policy.actor_company_id(actor),
        kind=kind,
        party_id=party_id,
        date=date,
        lines=lines,
        due_date=due_date,
        payment_term_id=payment_term_id,
        currency=currency,
        reference=reference,
        narration=narration,
    )


@transaction.atomic
def invoice_create(
    *,
    actor: User,
    kind: str,
    party_id: int,
    date: dt.date,
    lines: Sequence[InvoiceLineIn | Mapping[str, Any]],
    due_date: dt.date | None = None,
    payment_term_id: int | None = None,
    currency: str = "",
    reference: str = "",
    narration: str = "",
    credit_note_of_id: int | None = None,
) -> Invoice:
    """Create a draft invoice, credit note, bill or refund with its lines and totals (no
    number yet). The due date follows from the payment term unless given."""
    draft = _drafted(
        actor,
        kind=kind,
        party_id=party_id,
        date=date,
        lines=lines,
        due_date=due_date,
        payment_term_id=payment_term_id,
        currency=currency,
        reference=reference,
        narration=narration,
    )
    invoice = _draft_invoice(actor, draft, credit_note_of_id=credit_note_of_id)
    _insert(invoice, draft.lines)
    audit.record(
        actor=actor,
        obj=invoice,
        action="finance.invoice_create",
        changes={"kind": kind, "party": invoice.party_id, "total": draft.total, "lines": len(draft.lines)},
    )
    return invoice


@transaction.atomic
def invoice_issue(
    *,
    actor: User,
    kind: str,
    party_id: int,
    date: dt.date,
    lines: Sequence[InvoiceLineIn | Mapping[str, Any]],
    due_date: dt.date | None = None,
    payment_term_id: int | None = None,
    currency: str = "",
    reference: str = "",
    narration: str = "",
) -> Invoice:
    """Create and post at once, in one transaction: what "Save and post" and an API
    client that books a finished invoice do. The same checks as creating, then posting;
    nothing is written unless both succeed. Publishes InvoicePosted (and CreditNoteIssued)."""
    draft = _drafted(
        actor,
        kind=kind,
        party_id=party_id,
        date=date,
        lines=lines,
        due_date=due_date,
        payment_term_id=payment_term_id,
        currency=currency,
        reference=reference,
        narration=narration,
    )
    invoice = _draft_invoice(actor, draft)  # inserted by _book, already posted
    invoice.party = draft.party
    # As invoice_post checks it: the actor's scope must reach the invoice (its party).
    policy.require(actor, MANAGE, invoice, visible_with=VIEW)
    return _book(
        actor,
        invoice,
        draft.lines,
        draft.facts,
        action="finance.invoice_issue",
        changes={"kind": kind, "party": invoice.party_id, "lines": len(draft.lines)},
    )


def _locked(actor: User, invoice_id: int, action: str = MANAGE) -> Invoice:
    # Only the invoice is locked, not its party (see _locked_for_posting).
    invoice = (
        Invoice.objects.select_for_update(of=("self",)).select_related("party").filter(pk=invoice_id).first()
    )
    if invoice is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, action, invoice, visible_with=VIEW)
    return invoice


_PARTY_READ = ("id", "name", "owner", "team")  # what posting and the policy use of the party


@functools.cache
def _posting_read(vendor: str) -> tuple[str, tuple[Any, ...], list[str], list[str]]:
    # `vendor` is part of the cache key: quoting differs per backend.
    quote = services._db().ops.quote_name
    invoice_fields = tuple(Invoice._meta.concrete_fields)
    party_fields = tuple(services._field(Party, name) for name in _PARTY_READ)
    columns = ", ".join(
        [f"i.{quote(f.column)}" for f in invoice_fields] + [f"p.{quote(f.column)}" for f in party_fields]
    )
    sql = f"SELECT {columns} FROM finance_invoice i JOIN parties_party p ON p.id = i.party_id WHERE i.id = %s"  # noqa: S608 - names only
    return (
        sql,
        invoice_fields + party_fields,
        [f.attname for f in invoice_fields],
        [f.attname for f in party_fields],
    )


def _locked_for_posting(actor: User, invoice_id: int) -> Invoice:
    """`_locked` without the ORM: the invoice and its party (name, owner and team) in one
    read, the invoice locked FOR UPDATE on PostgreSQL (SQLite's IMMEDIATE transaction holds
    the write lock). Not the party: posting does not change it, and locking it too made
    concurrent postings deadlock on PostgreSQL (one waiting for the journal's lock, the other,
    holding it, for the party's key share that its commit checks)."""
    sql, fields, invoice_names, party_names = _posting_read(services._db().vendor)
    pk = services._pk(Invoice, invoice_id)
    rows = services._select(sql, [pk], fields, lock="FOR UPDATE OF i") if pk is not None else []
    if not rows:
        raise NotFoundError(_("Not found."))
    row, split = rows[0], len(invoice_names)
    invoice = Invoice.from_db(DEFAULT_DB_ALIAS, invoice_names, row[:split])
    invoice.party = Party.from_db(DEFAULT_DB_ALIAS, party_names, row[split:])
    policy.require(actor, MANAGE, invoice, visible_with=VIEW)
    return invoice


def _require_draft(invoice: Invoice) -> None:
    if invoice.state != InvoiceState.DRAFT:
        raise InvoiceStateError(
            _("%s is posted and cannot change; issue a credit note instead.") % invoice.number
        )


@transaction.atomic
def invoice_update(
    *,
    actor: User,
    invoice_id: int,
    version: int,
    party_id: int | None = None,
    date: dt.date | None = None,
    lines: Sequence[InvoiceLineIn | Mapping[str, Any]] | None = None,
    due_date: dt.date | None = None,
    payment_term_id: int | None = None,
    currency: str | None = None,
    reference: str | None = None,
    narration: str | None = None,
) -> Invoice:
    """Change a draft; `lines`, when given, replace all its lines. A stale `version` is a 409.
    The due date is computed again from the payment term unless given."""
    invoice = _locked(actor, invoice_id)
    require_version(invoice, version)
    _require_draft(invoice)
    credited_lines = [line.credited_line_id for line in invoice.lines.all()]
    current = [
        InvoiceLineIn(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            account_id=line.account_id,
            tax_id=line.tax_id,
            product_code=line.product_code,
        )
        for line in invoice.lines.all()
    ]
    draft = _clean(
        company_id=invoice.company_id,
        kind=invoice.kind,
        party_id=party_id if party_id is not None else invoice.party_id,
        date=date if date is not None else invoice.date,
        lines=lines if lines is not None else current,
        due_date=due_date,
        payment_term_id=payment_term_id if payment_term_id is not None else invoice.payment_term_id,
        currency=currency if currency is not None else invoice.currency,
        reference=reference if reference is not None else invoice.reference,
        narration=narration if narration is not None else invoice.narration,
    )
    names = ["party_id", "date", "due_date", "payment_term_id", "currency", "reference", "narration"]
    before = audit.snapshot(invoice, [*names, "amount_total"])
    for name, value in draft.values.items():
        setattr(invoice, name, value)
    invoice.amount_untaxed, invoice.amount_tax = draft.untaxed, draft.tax
    invoice.amount_total = invoice.amount_residual = draft.total
    invoice.version += 1
    invoice.save()
    invoice.lines.all().delete()
    if lines is None:
        # The same lines again: a credit note's lines keep the invoice lines they credit.
        for row, credited_line_id in zip(draft.lines, credited_lines, strict=True):
            row.credited_line_id = credited_line_id
    _lines_insert(invoice, draft.lines)
    changes: dict[str, Any] = audit.diff(before, audit.snapshot(invoice, [*names, "amount_total"]))
    if lines is not None:
        changes["lines"] = len(draft.lines)
    audit.record(actor=actor, obj=invoice, action="finance.invoice_update", changes=changes)
    return invoice


@transaction.atomic
def invoice_delete(*, actor: User, invoice_id: int, version: int | None = None) -> None:
    """Delete a draft (drafts hold no number, so no gap appears)."""
    invoice = _locked(actor, invoice_id)
    require_version(invoice, version)
    _require_draft(invoice)
    audit.record(
        actor=actor, obj=invoice, action="finance.invoice_delete", changes={"total": invoice.amount_total}
    )
    invoice.lines.all().delete()
    invoice.delete()


def _party_account(kind: str, company: fastread.CompanyFacts) -> int:
    """The receivable (sales) or payable (purchases) account the party's side is booked on."""
    sales = kind in SALES_KINDS
    account_id = company.receivable_account_id if sales else company.payable_account_id
    if account_id is None:
        role = AccountRole.RECEIVABLE if sales else AccountRole.PAYABLE
        raise InvoiceInvalidError(_("The chart of accounts has no active %s account.") % role)
    return account_id


def _entry_lines(invoice: Invoice, lines: Sequence[_Line], facts: _Facts) -> list[services.LineIn]:
    """The journal lines of a posted invoice: the party's receivable or payable per
    instalment, each invoice line on its account with its VAT box, each tax on its account
    (reverse charge: also the self-assessed tax). Foreign amounts are converted here, the
    rounding difference on the last instalment, so that the entry balances exactly."""
    base = facts.company.currency
    foreign = invoice.currency != base
    # The party's side: receivable debit on an invoice, credit on a credit note; payable credit
    # on a bill, debit on a refund. Everything else goes the other way.
    party_debit = invoice.kind in (InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.SUPPLIER_REFUND)
    taxes = facts.taxes
    result: list[services.LineIn] = []
    cent = Decimal(1).scaleb(-currency_exponent(base))

    def book(account_id: int, amount: Decimal, *, on_party_side: bool, **extra: Any) -> Decimal:
        """Append a line of `amount` (invoice currency, > 0); returns its company amount."""
        converted = quantize(amount / invoice.rate, base) if foreign else amount
        if not converted and "party_id" not in extra:
            # Worth less than half a cent in the company's currency: booked as a cent (the
            # ledger has no line of zero); the last instalment takes the difference.
            converted = cent
        debit = on_party_side == party_debit
        result.append(
            services.LineIn(
                account_id=account_id,
                debit=converted if debit else 0,
                credit=0 if debit else converted,
                currency=invoice.currency,
                amount_currency=(amount if debit else -amount) if foreign else None,
                **extra,
            )
        )
        return converted if debit else -converted

    balance = Decimal(0)  # debit − credit in company currency of the lines booked so far
    for line in lines:
        if line.amount_untaxed:
            tag = taxes[line.tax_id].base_tag if line.tax_id else ""
            amount = line.amount_untaxed
            balance += book(
                line.account_id,
                abs(amount),
                on_party_side=amount < 0,
                label=line.description[:200],
                tax_tag=tag,
            )
    rates = {pk: TaxRate(rate=t.rate, is_reverse=t.is_reverse_charge) for pk, t in taxes.items()}
    amounts = document_amounts(
        [(line.amount_untaxed, line.tax_id) for line in lines],
        rates,
        rounding=facts.rounding,
        currency=invoice.currency,
    )
    # The tax rates or the rounding rule may have changed since the draft was saved: book what
    # they give now (invoice_post stores it), or the entry would not balance.
    if amounts.total <= 0:
        raise InvoiceInvalidError(
            _("The total must be more than zero; a negative total is booked as a credit note."),
            field_errors={"lines": [_("Nothing to invoice.")]},
        )
    invoice.amount_tax, invoice.amount_total = amounts.tax, amounts.total
    for line, tax_amount in zip(lines, amounts.line_tax, strict=True):
        line.amount_tax = tax_amount
    for tax_id, amount in amounts.tax_totals.items():
        tax = taxes[tax_id]
        if not amount:
            continue
        if tax.account_id is None:
            raise InvoiceInvalidError(_("Tax %s has no account to book to.") % tax.code)
        balance += book(
            tax.account_id, abs(amount), on_party_side=amount < 0, label=tax.name, tax_tag=tax.tax_tag
        )
        if tax.reverse_account_id is not None:
            balance += book(
                tax.reverse_account_id,
                abs(amount),
                on_party_side=amount > 0,
                label=tax.name,
                tax_tag=tax.reverse_tag,
            )
    party_account = _party_account(invoice.kind, facts.company)
    parts = instalments(invoice.amount_total, invoice.date, facts.term_lines, invoice.currency)
    if not invoice.payment_term_id and invoice.due_date:
        parts = [(invoice.due_date, invoice.amount_total)]
    parts = [(due, amount) for due, amount in parts if amount]
    if foreign:
        # An instalment worth less than half a cent in the company's currency would be a line
        # of zero, which the ledger refuses: it joins the instalment before it (or after it).
        tiny = next((i for i, (_due, a) in enumerate(parts) if not quantize(a / invoice.rate, base)), None)
        while tiny is not None and len(parts) > 1:
            amount = parts.pop(tiny)[1]
            into = tiny - 1 if tiny else 0  # the one before, or the one now in its place
            parts[into] = (parts[into][0], parts[into][1] + amount)
            tiny = next(
                (i for i, (_due, a) in enumerate(parts) if not quantize(a / invoice.rate, base)), None
            )
    for index, (due, amount) in enumerate(parts):
        last = index == len(parts) - 1
        line_balance = book(
            party_account,
            amount,
            on_party_side=True,
            party_id=invoice.party_id,
            due_date=due,
            label=invoice.number,
        )
        balance += line_balance
        if last and balance and foreign:
            # The conversion's rounding difference goes on the last instalment (a cent or so),
            # on the party's side (debit on an invoice or refund, credit otherwise).
            booked = result[-1]
            if party_debit:
                result[-1] = replace(booked, debit=Decimal(booked.debit) - balance, credit=0)
            else:
                result[-1] = replace(booked, debit=0, credit=Decimal(booked.credit) + balance)
    if foreign:
        _party_lines_at_least_a_cent(result, party_debit=party_debit, cent=cent)
    return result


def _party_lines_at_least_a_cent(result: list[services.LineIn], *, party_debit: bool, cent: Decimal) -> None:
    """A foreign document's receivable (or payable) line converted to less than a cent — a
    tiny total whose other lines rounded up — is booked as a cent: the ledger has no line of
    zero, and its party must owe something. The largest line on the other side takes the
    difference, so the entry still balances."""

    def side(line: services.LineIn, debit: bool) -> Decimal:
        return Decimal(line.debit if debit else line.credit)

    for i, line in enumerate(result):
        if line.party_id is None or side(line, party_debit) >= cent:
            continue
        others = [
            j for j, other in enumerate(result) if other.party_id is None and side(other, not party_debit) > 0
        ]
        if not others:
            continue  # nothing to take the difference: refused by the ledger as before
        shortfall = cent - side(line, party_debit)
        result[i] = (
            replace(line, debit=cent, credit=0) if party_debit else replace(line, debit=0, credit=cent)
        )
        j = max(others, key=lambda k: side(result[k], not party_debit))
        other = result[j]
        if party_debit:
            result[j] = replace(other, credit=side(other, False) + shortfall)
        else:
            result[j] = replace(other, debit=side(other, True) + shortfall)


def _facts_read(invoice: Invoice, lines: Sequence[_Line]) -> _Facts:
    """What posting a saved draft needs, as it is now (rates and rules may have changed
    since the draft was saved)."""
    term_lines = (
        [(t.percent, t.days, t.end_of_month) for t in invoice.payment_term.lines.all()]
        if invoice.payment_term_id is not None and invoice.payment_term is not None
        else []
    )
    company = fastread.company_facts(invoice.company_id)
    return _Facts(
        company=company,
        taxes={t.pk: t for t in fastread.by_keys(Tax, None, [line.tax_id for line in lines if line.tax_id])},
        rounding=company.tax_rounding or TaxRounding.PER_LINE,
        term_lines=term_lines,
    )


@transaction.atomic
def invoice_post(*, actor: User, invoice_id: int, version: int | None = None) -> Invoice:
    """Post a draft: allocate its gapless number (per kind and fiscal year), book its journal
    entry and make it immutable. A credit note made from an invoice is matched with what is
    still due on that invoice. Publishes InvoicePosted (and CreditNoteIssued)."""
    invoice = _locked_for_posting(actor, invoice_id)
    require_version(invoice, version)
    _require_draft(invoice)
    if invoice.amount_total <= 0:
        raise InvoiceInvalidError(
            _("The total must be more than zero; a negative total is booked as a credit note."),
            field_errors={"lines": [_("Nothing to invoice.")]},
        )
    lines = fastread.instances(
        InvoiceLine, "invoice_id = %s", [invoice.pk], order_by="sequence, id"
    )  # as invoice.lines.all() reads them
    if invoice.credit_note_of_id is not None:
        _require_creditable(invoice.credit_note_of_id, invoice, posted_only=True)
    return _book(
        actor, invoice, lines, _facts_read(invoice, lines), action="finance.invoice_post", changes={}
    )


def _book(
    actor: User,
    invoice: Invoice,
    lines: Sequence[_Line],
    facts: _Facts,
    *,
    action: str,
    changes: dict[str, Any],
) -> Invoice:
    """Number and book a draft that is locked in the caller's transaction, or a new one
    (no pk yet), which is inserted posted; then publish it. Audited as `action` with
    `changes`."""
    drafted = [line.amount_tax for line in lines]
    fiscal_year = facts.company.fiscal_year_of(invoice.date)
    invoice.number = number_allocate(
        company_id=invoice.company_id,
        code=f"invoice-{invoice.kind}",
        on=invoice.date,
        prefix=NUMBER_PREFIX[InvoiceKind(invoice.kind)],
        fiscal_year=fiscal_year,
    )
    reference = invoice.number if not invoice.reference else f"{invoice.number} {invoice.reference}"[:120]
    invoice.entry = services.entry_book(
        actor=actor,
        journal_id=invoice.journal_id,
        date=invoice.date,
        lines=_entry_lines(invoice, lines, facts),
        reference=reference,
        narration=invoice.party.name,
        fiscal_year=fiscal_year,
        announce=False,  # with the invoice's own, below
        known=(
            services.Known(facts.journal, facts.company.currency, frozenset((invoice.party_id,)))
            if facts.journal is not None
            else None
        ),
    )
    invoice.state = InvoiceState.POSTED
    invoice.payment_state = PaymentState.NOT_PAID
    invoice.amount_residual = invoice.amount_total
    invoice.posted_at = timezone.now()
    invoice.posted_by = actor
    invoice.version += 1
    if invoice.pk is None:
        _insert(invoice, [line for line in lines if isinstance(line, _LineDraft)])
    else:
        if [line.amount_tax for line in lines] != drafted:  # taxes computed again (_entry_lines)
            InvoiceLine.objects.bulk_update(
                [line for line in lines if isinstance(line, InvoiceLine)], ["amount_tax"]
            )
        services._save_fields(
            invoice,
            [
                "number",
                "entry",
                "state",
                "payment_state",
                "amount_tax",
                "amount_total",
                "amount_residual",
                "posted_at",
                "posted_by",
                "version",
            ],
        )
    entry_change, entry_event = services.posting_announcements(actor, invoice.entry)
    invoice_change = audit.Change(
        actor=actor,
        obj=invoice,
        action=action,
        changes={
            **changes,
            "state": ["draft", "posted"],
            "total": invoice.amount_total,
            "number": invoice.number,
            "entry": invoice.entry.number,
        },
    )
    audit.record_many([entry_change, invoice_change])
    events: list[Event] = [
        entry_event,
        InvoicePosted(
            company_id=invoice.company_id,
            invoice_id=invoice.pk,
            party_id=invoice.party_id,
            kind=invoice.kind,
            number=invoice.number,
            date=invoice.date.isoformat(),
            due_date=(invoice.due_date or invoice.date).isoformat(),
            currency=invoice.currency,
            amount_total=str(invoice.amount_total),
            actor_id=actor.pk,
        ),
    ]
    if invoice.kind == InvoiceKind.CUSTOMER_CREDIT_NOTE:
        events.append(
            CreditNoteIssued(
                company_id=invoice.company_id,
                invoice_id=invoice.pk,
                party_id=invoice.party_id,
                number=invoice.number,
                currency=invoice.currency,
                amount_total=str(invoice.amount_total),
                original_id=invoice.credit_note_of_id,
                actor_id=actor.pk,
            )
        )
    publish_many(events)
    if invoice.credit_note_of_id is not None:
        payments.documents_match(actor=actor, invoice_ids=[invoice.pk, invoice.credit_note_of_id])
        invoice.refresh_from_db()
    return invoice


@transaction.atomic
def credit_note_create(
    *,
    actor: User,
    invoice_id: int,
    date: dt.date | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
    reason: str = "",
) -> Invoice:
    """A draft credit note (or supplier refund) for a posted invoice (or bill): all of it,
    or `lines` as [{"line_id": …, "quantity": …}] — part of some lines. Posting it settles
    what it credits against what is still due on the invoice."""
    original = _locked(actor, invoice_id)
    if original.state != InvoiceState.POSTED:
        raise InvoiceStateError(_("Only a posted invoice can be credited; change the draft instead."))
    if original.is_refund:
        raise InvoiceStateError(_("A credit note cannot be credited."))
    by_id = {line.pk: line for line in original.lines.all()}
    # What earlier credit notes (drafts too) credited of each line already.
    credited = {
        line_id: Decimal(str(quantity)).quantize(Decimal("0.0001"))  # SQLite sums in floating point
        for line_id, quantity in InvoiceLine.objects.filter(credited_line__invoice_id=original.pk)
        .values("credited_line")
        .annotate(quantity=Sum("quantity"))
        .values_list("credited_line", "quantity")
    }
    left = {pk: line.quantity - credited.get(pk, Decimal(0)) for pk, line in by_id.items()}
    if lines is None:
        lines = [{"line_id": pk} for pk in by_id if left[pk]]
        if not lines:
            raise InvoiceStateError(_("Everything on %s is credited already.") % original.number)
    chosen: list[InvoiceLineIn] = []
    sources: list[int] = []
    errors: dict[str, list[str]] = {}
    for i, item in enumerate(lines):
        line = by_id.get(int(item.get("line_id") or 0)) if isinstance(item, Mapping) else None
        if line is None:
            errors.setdefault(f"lines[{i}].line_id", []).append(_("Not a line of %s.") % original.number)
            continue
        quantity = item.get("quantity", left[line.pk])
        try:
            quantity = _decimal(quantity, 4)
        except ValueError as exc:
            errors.setdefault(f"lines[{i}].quantity", []).append(str(exc))
            continue
        # A negative (discount) line is credited with a negative quantity, like it was invoiced.
        if quantity * line.quantity < 0:
            errors.setdefault(f"lines[{i}].quantity", []).append(
                _("Give the quantity with the sign it was invoiced with (%s).") % line.quantity.normalize()
            )
            continue
        if abs(quantity) > abs(line.quantity):
            errors.setdefault(f"lines[{i}].quantity", []).append(
                _("At most the invoiced quantity (%s).") % line.quantity.normalize()
            )
            continue
        if abs(quantity) > abs(left[line.pk]):
            errors.setdefault(f"lines[{i}].quantity", []).append(
                _("At most what is not credited yet (%s).") % left[line.pk].normalize()
            )
            continue
        sources.append(line.pk)
        chosen.append(
            InvoiceLineIn(
                description=line.description,
                quantity=quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                account_id=line.account_id,
                tax_id=line.tax_id,
                product_code=line.product_code,
            )
        )
    if errors:
        raise InvoiceInvalidError(_("Please correct the marked lines."), field_errors=errors)
    kind = (
        InvoiceKind.CUSTOMER_CREDIT_NOTE
        if original.kind == InvoiceKind.CUSTOMER_INVOICE
        else InvoiceKind.SUPPLIER_REFUND
    )
    note = invoice_create(
        actor=actor,
        kind=kind,
        party_id=original.party_id,
        date=date or timezone.localdate(),
        lines=chosen,
        currency=original.currency,
        reference=original.number,
        narration=reason or _("Credit note for %s") % original.number,
        credit_note_of_id=original.pk,
    )
    _require_creditable(original.pk, note, posted_only=False)
    note_lines = list(note.lines.order_by("sequence"))
    for note_line, source in zip(note_lines, sources, strict=True):
        note_line.credited_line_id = source
    InvoiceLine.objects.bulk_update(note_lines, ["credited_line"])
    return note


def _require_creditable(original_id: int, note: Invoice, *, posted_only: bool) -> None:
    """Refuse a credit note that, with the others of its invoice (drafts too, unless
    `posted_only`), credits more than the invoice's total."""
    total = Invoice.objects.filter(pk=original_id).values_list("amount_total", flat=True).get()
    others = Invoice.objects.filter(credit_note_of_id=original_id).exclude(pk=note.pk)
    if posted_only:
        others = others.filter(state=InvoiceState.POSTED)
    summed = others.aggregate(total=Sum("amount_total"))["total"] or 0
    credited = Decimal(str(summed)).quantize(Decimal("0.000001"))  # SQLite sums in floating point
    if credited + note.amount_total > total:
        raise InvoiceInvalidError(
            _("That credits more than is left: %(credited)s of %(total)s is credited already.")
            % {"credited": credited.normalize(), "total": total.normalize()},
            field_errors={"lines": [_("More than is left to credit.")]},
        )


@transaction.atomic
def invoice_send(*, actor: User, invoice_id: int, to: Sequence[str] | None = None) -> Invoice:
    """Ask for a posted invoice to be e-mailed as a PDF (to `to`, or the party's invoice
    e-mail addresses). The e-mail leaves after commit, from a handler, which records `sent_at`."""
    invoice = _locked(actor, invoice_id)
    if invoice.state != InvoiceState.POSTED:
        raise InvoiceStateError(_("Post the invoice before sending it."))
    recipients = [address.strip() for address in (to or []) if address.strip()]
    if not recipients:
        recipients = list(
            invoice.party.contact_points.filter(kind="email")
            .order_by("-is_primary", "pk")
            .values_list("value", flat=True)[:1]
        )
    if not recipients:
        raise InvoiceInvalidError.for_field("to", _("The party has no e-mail address; give one."))
    bad = []
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise InvoiceInvalidError.for_field("to", _("Not an e-mail address: %s.") % ", ".join(bad))
    audit.record(actor=actor, obj=invoice, action="finance.invoice_send", changes={"to": recipients})
    publish(
        InvoiceSendRequested(
            company_id=invoice.company_id,
            invoice_id=invoice.pk,
            party_id=invoice.party_id,
            to=tuple(recipients),
            actor_id=actor.pk,
        )
    )
    return invoice


@transaction.atomic
def invoice_mark_sent(*, invoice_id: int) -> None:
    """Record that the invoice left by e-mail (called by the sending handler)."""
    Invoice.objects.filter(pk=invoice_id).update(sent_at=timezone.now())


__all__ = [
    "REFUND_KINDS",
    "InvoiceLineIn",
    "credit_note_create",
    "invoice_create",
    "invoice_delete",
    "invoice_issue",
    "invoice_mark_sent",
    "invoice_post",
    "invoice_send",
    "invoice_update",
]
