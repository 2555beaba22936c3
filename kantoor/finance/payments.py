"""Payments and reconciliation: money received or sent through a bank or cash journal,
matched with what is open on invoices and bills; matching and unmatching open items.

A match settles part of an open debit item with an open credit item of the same account and
party; both residuals move, in `OpenItem`. The posted lines are never touched, so undoing a
match (unreconcile) leaves no trace in the ledger but the audit row. Matches obey the lock
date like postings: none is made or undone on or before it, nor in a closed period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kantoor.core import audit, fastsql, policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.core.models import User
from kantoor.core.money import currency_validate, exchange_rate_on, quantize
from kantoor.core.outbox import publish
from kantoor.core.services import require_version
from kantoor.core.validation import text_errors
from kantoor.finance import fastread, services
from kantoor.finance.errors import PaymentInvalidError, PaymentStateError, PeriodLockedError
from kantoor.finance.events import InvoicePaid, PaymentRegistered
from kantoor.finance.models import (
    AccountRole,
    Invoice,
    InvoiceKind,
    InvoiceState,
    Journal,
    JournalEntry,
    JournalKind,
    Match,
    OpenItem,
    Payment,
    PaymentKind,
    PaymentState,
    PaymentStatus,
)
from kantoor.parties.models import Party

VIEW = "finance.view_invoice"
MANAGE = "finance.manage_payment"

# What a payment settles: money received pays customer invoices and supplier refunds, money
# sent pays supplier bills and customer credit notes.
PAYS = {
    PaymentKind.INBOUND: (InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.SUPPLIER_REFUND),
    PaymentKind.OUTBOUND: (InvoiceKind.SUPPLIER_BILL, InvoiceKind.CUSTOMER_CREDIT_NOTE),
}


# ----------------------------------------------------------------------------- matching

_CURRENCY_PLACES = Decimal("0.000001")  # an amount in another currency keeps 6 decimals


def _require_unlocked(company_id: int, on: dt.date) -> None:
    """A match (or its removal) dated `on` must lie after the lock date in an open period."""
    services._require_open(company_id, on)


def _match(
    actor: User,
    debit: OpenItem,
    credit: OpenItem,
    amount: Decimal,
    *,
    payment: Payment | None = None,
    in_currency: Decimal | None = None,
) -> Match:
    """Settle `amount` (company currency, > 0) of both items; they are locked by the caller.

    Both items must be in one currency; in a foreign currency the amount in that currency
    settled is what is left of the item the match closes (else the same share of the debit),
    so a credit note closing its invoice at the invoice's rate leaves no foreign residual."""
    if debit.currency != credit.currency:
        raise PaymentInvalidError(
            _("Items in %(debit)s and %(credit)s cannot be matched with each other.")
            % {"debit": debit.currency, "credit": credit.currency}
        )
    on = max(debit.date, credit.date)
    _require_unlocked(debit.company_id, on)
    if in_currency is not None:
        pass  # given by the caller (a foreign-currency settlement, an exchange difference)
    elif debit.residual_currency == debit.residual and credit.residual_currency == credit.residual:
        in_currency = amount  # the company's currency (or a rate of one)
    elif amount == debit.residual:
        in_currency = debit.residual_currency
    elif amount == -credit.residual:
        in_currency = -credit.residual_currency
    else:
        in_currency = (amount * debit.residual_currency / debit.residual).quantize(_CURRENCY_PLACES)
    in_currency = max(min(in_currency, debit.residual_currency, -credit.residual_currency), Decimal(0))
    match = Match(
        company_id=debit.company_id,
        debit_item=debit,
        credit_item=credit,
        amount=amount,
        amount_currency=in_currency,
        date=on,
        payment=payment,
        created_by=actor,
    )
    fastsql.insert_instance(match)
    debit.residual -= amount
    debit.residual_currency -= in_currency
    credit.residual += amount
    credit.residual_currency += in_currency
    _residuals_save([debit, credit])
    return match


def _residuals_save(items: Iterable[OpenItem]) -> None:
    """Store the residuals computed here (exact Decimals of locked items). Not as F()
    arithmetic: SQLite computes that in floating point, so -80.80 + 15.40 + 65.40 came out
    a hair above zero and broke the residual's check (or left 1e-14 open)."""
    db = services._db()
    residual, in_currency = (
        OpenItem._meta.get_field("residual"),
        OpenItem._meta.get_field("residual_currency"),
    )
    with db.cursor() as cursor:  # .update(residual=…, residual_currency=…) without the ORM's compilation
        for item in items:
            cursor.execute(
                "UPDATE finance_openitem SET residual = %s, residual_currency = %s WHERE line_id = %s",
                [
                    residual.get_db_prep_save(item.residual, db),
                    in_currency.get_db_prep_save(item.residual_currency, db),
                    item.pk,
                ],
            )


def _match_greedy(
    actor: User,
    debits: Sequence[OpenItem],
    credits: Sequence[OpenItem],
    *,
    limit: Decimal | None = None,
    payment: Payment | None = None,
) -> Decimal:
    """Match the items in order (oldest due first) until one side is exhausted or `limit`
    is settled; returns the amount settled — in the items' currency when it is not the
    company's (then each settlement books its exchange difference)."""
    # In the company's currency an item's amount in currency is its amount; any other
    # rate (or an exchange difference's zero) makes the settlement a foreign one.
    if any(item.amount_currency != item.amount for item in (*debits, *credits)):
        return _match_greedy_foreign(actor, debits, credits, limit=limit, payment=payment)
    settled = Decimal(0)
    d = c = 0
    while d < len(debits) and c < len(credits):
        debit, credit = debits[d], credits[c]
        amount = min(debit.residual, -credit.residual)
        if limit is not None:
            amount = min(amount, limit - settled)
        if amount <= 0:
            break
        _match(actor, debit, credit, amount, payment=payment)
        settled += amount
        if debit.residual == 0:
            d += 1
        if credit.residual == 0:
            c += 1
    return settled


def _match_greedy_foreign(
    actor: User,
    debits: Sequence[OpenItem],
    credits: Sequence[OpenItem],
    *,
    limit: Decimal | None,
    payment: Payment | None,
) -> Decimal:
    settled = Decimal(0)
    d = c = 0
    while d < len(debits) and c < len(credits):
        debit, credit = debits[d], credits[c]
        amount = min(debit.residual_currency, -credit.residual_currency)
        if limit is not None:
            amount = min(amount, limit - settled)
        if amount <= 0:
            break
        _settle_foreign(actor, debit, credit, amount, payment=payment)
        settled += amount
        if debit.residual_currency == 0:
            d += 1
        if credit.residual_currency == 0:
            c += 1
    return settled


def _value_of(item: OpenItem, in_currency: Decimal, base: str) -> Decimal:
    """What `in_currency` of the item's open foreign amount is worth in company currency at
    the item's own rate (all of its company residual when it closes the item)."""
    if in_currency == abs(item.residual_currency):
        return abs(item.residual)
    return quantize(in_currency * abs(item.residual) / abs(item.residual_currency), base)


def _settle_foreign(
    actor: User, debit: OpenItem, credit: OpenItem, in_currency: Decimal, *, payment: Payment | None
) -> None:
    """Settle `in_currency` of two items in one foreign currency. Each side values it at its
    own rate; the lower value is matched and the difference is booked as an exchange
    difference (a loss when the debit side was worth more, a gain otherwise) and matched with
    the side that still holds it, so both items close in both currencies together."""
    base = fastread.company_currency(debit.company_id)
    on_debit, on_credit = _value_of(debit, in_currency, base), _value_of(credit, in_currency, base)
    matched = min(on_debit, on_credit)
    if matched > 0:
        _match(actor, debit, credit, matched, payment=payment, in_currency=in_currency)
    else:
        debit.residual_currency -= in_currency
        credit.residual_currency += in_currency
        _residuals_save([debit, credit])
    if on_debit != on_credit:
        _exchange_difference(
            actor, debit if on_debit > on_credit else credit, abs(on_debit - on_credit), payment
        )


def _exchange_difference(actor: User, item: OpenItem, amount: Decimal, payment: Payment | None) -> None:
    """Book the exchange difference `amount` that is left on `item` (company currency only)
    and match it with the item."""
    account_id = fastread.role_account(item.company_id, AccountRole.EXCHANGE_DIFFERENCE)
    if account_id is None:
        raise PaymentInvalidError(_("The chart of accounts has no active exchange difference account."))
    loss = item.residual > 0  # the item still holds a debit: credit it, the difference is a loss
    label = _("Exchange difference")
    entry = services.entry_record(
        actor=actor,
        journal_id=services.journal_for(company_id=item.company_id, kind=JournalKind.GENERAL).pk,
        date=item.date if payment is None else max(item.date, payment.date),
        lines=[
            services.LineIn(
                account_id=item.account_id,
                party_id=item.party_id,
                debit=0 if loss else amount,
                credit=amount if loss else 0,
                currency=item.currency,
                amount_currency=0,
                label=label,
                due_date=item.due_date,
            ),
            services.LineIn(
                account_id=account_id, debit=amount if loss else 0, credit=0 if loss else amount, label=label
            ),
        ],
        reference=label,
    )
    (difference,) = fastread.instances(
        OpenItem, "entry_id = %s AND account_id = %s", [entry.pk, item.account_id], lock="FOR UPDATE"
    )
    if loss:
        _match(actor, item, difference, amount, payment=payment, in_currency=Decimal(0))
    else:
        _match(actor, difference, item, amount, payment=payment, in_currency=Decimal(0))


def _open_items(entry_ids: Iterable[int], *, account_id: int | None = None) -> list[OpenItem]:
    """The open items of entries (on one account when given), locked, oldest due first."""
    if account_id is not None:  # the payment's path, without the ORM's compilation
        entries = fastread.keys(JournalEntry, entry_ids)
        if not entries:
            return []
        return fastread.instances(
            OpenItem,
            f"entry_id IN ({fastread.placeholders(entries)}) AND NOT (residual = %s) AND account_id = %s",
            [*entries, Decimal(0), account_id],
            order_by="due_date, line_id",
            lock="FOR UPDATE",
        )
    items = OpenItem.objects.select_for_update().filter(entry_id__in=list(entry_ids)).exclude(residual=0)
    if account_id is not None:
        items = items.filter(account_id=account_id)
    else:
        items = items.filter(account__role__in=[AccountRole.RECEIVABLE, AccountRole.PAYABLE])
    return list(items.order_by("due_date", "line_id"))


def invoices_refresh(invoice_ids: Iterable[int], *, actor_id: int | None = None) -> list[Invoice]:
    """Recompute the amount due and payment state of posted invoices from their open items;
    publishes InvoicePaid for each that became paid. Returns those that changed."""
    changed = []
    pks = fastread.keys(Invoice, invoice_ids)
    posted = (
        fastread.instances(
            Invoice,
            f"id IN ({fastread.placeholders(pks)}) AND state = %s",
            [*pks, str(InvoiceState.POSTED)],
            order_by="date DESC, id DESC",  # Invoice.Meta.ordering
            lock="FOR UPDATE",
        )
        if pks
        else []
    )
    residual_field = OpenItem._meta.get_field("residual_currency")
    for invoice in posted:
        # Converted as the ORM converts Sum("residual_currency").
        ((open_sum,),) = services._select(
            "SELECT SUM(o.residual_currency) FROM finance_openitem o "
            "JOIN finance_account a ON a.id = o.account_id WHERE o.entry_id = %s AND a.role IN (%s, %s)",
            [invoice.entry_id, str(AccountRole.RECEIVABLE), str(AccountRole.PAYABLE)],
            (residual_field,),
        )
        open_sum = open_sum or Decimal(0)
        residual = abs(Decimal(str(open_sum))).quantize(Decimal("0.01"))
        state = (
            PaymentState.PAID
            if residual == 0
            else PaymentState.NOT_PAID
            if residual >= invoice.amount_total
            else PaymentState.PARTIAL
        )
        if (residual, state) == (invoice.amount_residual, invoice.payment_state):
            continue
        became_paid = state == PaymentState.PAID and invoice.payment_state != PaymentState.PAID
        with services._db().cursor() as cursor:  # .update(…, version=F("version") + 1) without the ORM
            cursor.execute(
                "UPDATE finance_invoice SET amount_residual = %s, payment_state = %s, version = version + 1 "
                "WHERE id = %s",
                [
                    Invoice._meta.get_field("amount_residual").get_db_prep_save(residual, services._db()),
                    str(state),
                    invoice.pk,
                ],
            )
        invoice.amount_residual, invoice.payment_state = residual, state
        changed.append(invoice)
        if became_paid:
            publish(
                InvoicePaid(
                    company_id=invoice.company_id,
                    invoice_id=invoice.pk,
                    party_id=invoice.party_id,
                    kind=invoice.kind,
                    number=invoice.number,
                    currency=invoice.currency,
                    amount_total=str(invoice.amount_total),
                    actor_id=actor_id,
                )
            )
    return changed


def _invoice_ids_of(entry_ids: Iterable[int]) -> list[int]:
    return list(Invoice.objects.filter(entry_id__in=list(entry_ids)).values_list("pk", flat=True))


@transaction.atomic
def documents_match(*, actor: User, invoice_ids: Sequence[int]) -> Decimal:
    """Match what is open on posted documents of one party with each other (a credit note
    with the invoice it credits, a bill with a refund); returns the amount settled."""
    policy.require(actor, MANAGE)
    invoices = list(
        policy.filter_queryset(
            actor, VIEW, Invoice.objects.filter(pk__in=invoice_ids, state=InvoiceState.POSTED)
        )
    )
    if len(invoices) != len(set(invoice_ids)):
        raise NotFoundError(_("Not found."))
    items = _open_items(invoice.entry_id for invoice in invoices if invoice.entry_id)
    settled = Decimal(0)
    for account_id, party_id in {(item.account_id, item.party_id) for item in items}:
        group = [item for item in items if (item.account_id, item.party_id) == (account_id, party_id)]
        settled += _match_greedy(
            actor, [i for i in group if i.residual > 0], [i for i in group if i.residual < 0]
        )
    if settled:
        invoices_refresh(invoice_ids, actor_id=actor.pk)
        audit.record(
            actor=actor,
            obj=invoices[0],
            action="finance.documents_match",
            changes={"invoices": [invoice.number for invoice in invoices], "amount": settled},
        )
    return settled


@transaction.atomic
def items_reconcile(*, actor: User, item_ids: Sequence[int]) -> Decimal:
    """Match open items by hand — an open credit (overpayment, credit note) with an invoice,
    say. They must share the account and the party; returns the amount settled."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    items = list(
        OpenItem.objects.select_for_update()
        .filter(pk__in=list(item_ids), company_id=company_id)
        .order_by("due_date", "line_id")
    )
    if len(items) != len(set(item_ids)):
        raise NotFoundError(_("Not found."))
    if len({(item.account_id, item.party_id) for item in items}) != 1:
        raise PaymentInvalidError(_("Only items of one account and one party can be matched."))
    debits = [item for item in items if item.residual > 0]
    credits = [item for item in items if item.residual < 0]
    if not debits or not credits:
        raise PaymentInvalidError(_("Choose at least one open debit and one open credit."))
    settled = _match_greedy(actor, debits, credits)
    invoices_refresh(_invoice_ids_of(item.entry_id for item in items), actor_id=actor.pk)
    audit.record(
        actor=actor,
        obj=items[0],
        action="finance.items_reconcile",
        changes={"items": list(item_ids), "amount": settled},
    )
    return settled


def _unmatch(actor: User, matches: Sequence[Match]) -> set[int]:
    """Remove matches (locked by the caller), reopening their items; returns the entries
    whose items changed."""
    for match in matches:
        _require_unlocked(match.company_id, match.date)
    items = {
        item.pk: item
        for item in OpenItem.objects.select_for_update().filter(
            pk__in={m.debit_item_id for m in matches} | {m.credit_item_id for m in matches}
        )
    }
    for match in matches:
        debit, credit = items[match.debit_item_id], items[match.credit_item_id]
        debit.residual += match.amount
        debit.residual_currency += match.amount_currency
        credit.residual -= match.amount
        credit.residual_currency -= match.amount_currency
    _residuals_save(items.values())
    Match.objects.filter(pk__in=[match.pk for match in matches]).delete()
    return {item.entry_id for item in items.values()}


@transaction.atomic
def unreconcile(*, actor: User, invoice_id: int | None = None, payment_id: int | None = None) -> int:
    """Undo every match of an invoice's (or a payment's) open items; what they settled is
    open again. Returns the number of matches removed."""
    policy.require(actor, MANAGE)
    if (invoice_id is None) == (payment_id is None):
        raise PaymentInvalidError(_("Give an invoice or a payment."))
    document: Invoice | Payment | None = (
        policy.filter_queryset(actor, VIEW, Invoice.objects.all()).filter(pk=invoice_id).first()
        if invoice_id is not None
        else policy.filter_queryset(actor, VIEW, Payment.objects.all()).filter(pk=payment_id or 0).first()
    )
    if document is None or document.entry_id is None:
        raise NotFoundError(_("Not found."))
    if isinstance(document, Payment) and document.status == PaymentStatus.CANCELLED:
        # Its only match is with its own reversal: undone, both would be open on the party.
        raise PaymentStateError(_("This payment is cancelled; there is nothing to unreconcile."))
    matches = list(
        Match.objects.select_for_update().filter(
            Q(debit_item__entry_id=document.entry_id) | Q(credit_item__entry_id=document.entry_id)
        )
    )
    entries = _unmatch(actor, matches)
    invoices_refresh(_invoice_ids_of(entries), actor_id=actor.pk)
    audit.record(
        actor=actor,
        obj=document,
        action="finance.unreconcile",
        changes={
            "matches": [
                {"debit": m.debit_item_id, "credit": m.credit_item_id, "amount": str(m.amount)}
                for m in matches
            ]
        },
    )
    return len(matches)


# ----------------------------------------------------------------------------- payments


def _amount(value: Any, field: str) -> Decimal:
    if isinstance(value, float | bool):
        raise PaymentInvalidError.for_field(field, _("Give amounts as decimals, not floating point numbers."))
    try:
        amount = Decimal(str(value).strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError) as exc:
        raise PaymentInvalidError.for_field(field, _("Not a number.")) from exc
    if not amount.is_finite() or amount <= 0:
        raise PaymentInvalidError.for_field(field, _("Give an amount above zero."))
    if amount != amount.quantize(Decimal("0.01")):
        raise PaymentInvalidError.for_field(field, _("At most %d decimals.") % 2)
    if amount >= Decimal(10) ** 12:
        raise PaymentInvalidError.for_field(field, _("Too large."))
    return amount


@transaction.atomic
def payment_register(
    *,
    actor: User,
    kind: str,
    party_id: int,
    journal_id: int,
    date: dt.date,
    amount: Decimal | str | int,
    reference: str = "",
    allocations: Sequence[Mapping[str, Any]] = (),
    currency: str = "",
    counterpart: str = "",
) -> Payment:
    """Book money received (`inbound`) or sent (`outbound`) through a bank or cash journal and
    settle it against posted invoices: `allocations` as [{"invoice_id": …, "amount": …}]
    (amount optional: as much as is due). What is not allocated stays open on the party as a
    credit. In another `currency` than the company's, it pays documents in that currency and
    books the exchange difference against each document's own rate. Publishes
    PaymentRegistered (and InvoicePaid for each invoice paid in full).

    Without allocations the payment is booked on the party's receivable (money received) or
    payable (money sent), or on the `counterpart` given ("receivable" / "payable"); with a
    counterpart it settles what is open there in the other direction — a refund of a
    customer's open credit, say, or a supplier's refund received."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    if kind not in PaymentKind.values:
        raise PaymentInvalidError.for_field("kind", _("Choose one of %s.") % ", ".join(PaymentKind.values))
    total = _amount(amount, "amount")
    errors = text_errors(Payment, {"reference": reference})
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        errors.setdefault("date", []).append(_("Not a date."))
    journal = next(
        (
            j
            for j in fastread.by_keys(Journal, company_id, [journal_id])
            if j.kind in (JournalKind.BANK, JournalKind.CASH)
        ),
        None,
    )
    if journal is None or journal.default_account_id is None:
        errors.setdefault("journal_id", []).append(_("Choose a bank or cash journal."))
    party = next(iter(fastread.by_keys(Party, company_id, [party_id])), None)
    if party is None:
        errors.setdefault("party_id", []).append(_("Unknown party."))
    if errors:
        raise PaymentInvalidError(_("Please correct the marked fields."), field_errors=errors)
    assert journal is not None  # noqa: S101 - refused above otherwise
    assert journal.default_account_id is not None  # noqa: S101 - refused above otherwise
    assert party is not None  # noqa: S101 - refused above otherwise
    if counterpart and (allocations or counterpart not in (AccountRole.RECEIVABLE, AccountRole.PAYABLE)):
        raise PaymentInvalidError.for_field(
            "counterpart", _("Give “receivable” or “payable”, and only for a payment without allocations.")
        )
    base = fastread.company_currency(company_id)
    code, rate = base, Decimal(1)
    if currency and currency.strip().upper() != base:
        try:
            code = currency_validate(currency.strip().upper())
            rate = exchange_rate_on(company_id=company_id, currency=code, on=date)
        except DomainError as exc:
            raise PaymentInvalidError.for_field("currency", exc.message) from exc
    wanted: list[tuple[Invoice, Decimal | None]] = []
    invoices = {
        invoice.pk: invoice
        for invoice in fastread.by_keys(
            Invoice,
            company_id,
            [a.get("invoice_id") for a in allocations if isinstance(a, Mapping)],
            lock="FOR UPDATE",
        )
    }
    allocated: set[int] = set()
    for i, allocation in enumerate(allocations):
        field = f"allocations[{i}]"
        invoice = (
            invoices.get(int(allocation.get("invoice_id") or 0)) if isinstance(allocation, Mapping) else None
        )
        if invoice is None or not policy.allows(actor, VIEW, invoice):
            errors.setdefault(f"{field}.invoice_id", []).append(_("Unknown invoice."))
            continue
        if invoice.pk in allocated:
            errors.setdefault(f"{field}.invoice_id", []).append(
                _("%s is allocated twice; give it one amount.") % invoice
            )
            continue
        allocated.add(invoice.pk)
        if invoice.party_id != party.pk:
            errors.setdefault(f"{field}.invoice_id", []).append(_("%s is not this party's.") % invoice)
        elif invoice.state != InvoiceState.POSTED:
            errors.setdefault(f"{field}.invoice_id", []).append(
                _("%s is a draft; post it before paying it.") % invoice
            )
        elif invoice.kind not in PAYS[PaymentKind(kind)]:
            errors.setdefault(f"{field}.invoice_id", []).append(
                _("A payment %(kind)s cannot settle %(number)s.")
                % {"kind": PaymentKind(kind).label, "number": invoice}
            )
        elif invoice.currency != code:
            errors.setdefault(f"{field}.invoice_id", []).append(
                _("%(number)s is in %(currency)s: pay it in that currency.")
                % {"number": invoice, "currency": invoice.currency}
            )
        elif invoice.amount_residual == 0:
            errors.setdefault(f"{field}.invoice_id", []).append(_("%s is paid already.") % invoice)
        share: Decimal | None = None
        if allocation.get("amount") not in (None, ""):
            try:
                share = _amount(allocation["amount"], f"{field}.amount")
            except PaymentInvalidError as exc:
                errors.setdefault(f"{field}.amount", []).append(exc.message)
                continue
            if share > invoice.amount_residual:
                errors.setdefault(f"{field}.amount", []).append(
                    _("More than is due on %(number)s (%(due)s).")
                    % {"number": invoice, "due": invoice.amount_residual}
                )
        wanted.append((invoice, share))
    if not errors:
        planned = sum(
            (share if share is not None else inv.amount_residual for inv, share in wanted), Decimal(0)
        )
        explicit = sum((share for _inv, share in wanted if share is not None), Decimal(0))
        if explicit > total:
            errors.setdefault("amount", []).append(_("The allocations (%s) exceed the payment.") % explicit)
        del planned
    if errors:
        raise PaymentInvalidError(_("Please correct the marked fields."), field_errors=errors)
    sales = any(
        invoice.kind in (InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.CUSTOMER_CREDIT_NOTE)
        for invoice, _s in wanted
    )
    purchases = any(
        invoice.kind in (InvoiceKind.SUPPLIER_BILL, InvoiceKind.SUPPLIER_REFUND) for invoice, _s in wanted
    )
    if sales and purchases:
        raise PaymentInvalidError.for_field(
            "allocations", _("Pay customer and supplier documents separately.")
        )
    if counterpart:
        role = counterpart
    elif purchases or (not sales and kind == PaymentKind.OUTBOUND):
        role = AccountRole.PAYABLE
    else:
        role = AccountRole.RECEIVABLE
    party_account = fastread.role_account(company_id, role)
    if party_account is None:
        raise PaymentInvalidError(_("The chart of accounts has no active %s account.") % role)
    inbound = kind == PaymentKind.INBOUND
    label = reference.strip() or party.name[:200]
    foreign = code != base
    converted = quantize(total / rate, base) if foreign else total
    entry = services.entry_record(
        actor=actor,
        journal_id=journal.pk,
        date=date,
        lines=[
            services.LineIn(
                account_id=journal.default_account_id,
                debit=converted if inbound else 0,
                credit=0 if inbound else converted,
                label=label,
                currency=code,
                amount_currency=(total if inbound else -total) if foreign else None,
            ),
            services.LineIn(
                account_id=party_account,
                debit=0 if inbound else converted,
                credit=converted if inbound else 0,
                label=label,
                party_id=party.pk,
                due_date=date,
                currency=code,
                amount_currency=(-total if inbound else total) if foreign else None,
            ),
        ],
        reference=reference.strip(),
        narration=party.name,
    )
    payment = Payment(
        company_id=company_id,
        kind=kind,
        party=party,
        journal=journal,
        date=date,
        amount=total,
        currency=code,
        reference=reference.strip(),
        entry=entry,
        created_by=actor,
    )
    fastsql.insert_instance(payment)
    (own,) = fastread.instances(
        OpenItem, "entry_id = %s AND account_id = %s", [entry.pk, party_account], lock="FOR UPDATE"
    )
    remaining = total
    for invoice, share in wanted:
        items = _open_items([invoice.entry_id or 0], account_id=party_account)
        limit = min(share if share is not None else invoice.amount_residual, remaining)
        if limit <= 0:
            break
        if inbound:
            settled = _match_greedy(actor, items, [own], limit=limit, payment=payment)
        else:
            settled = _match_greedy(actor, [own], items, limit=limit, payment=payment)
        remaining -= settled
    if counterpart:
        # Settle what is open on the party in the other direction, oldest first.
        opposite = [
            item
            for item in OpenItem.objects.select_for_update()
            .filter(company_id=company_id, party_id=party.pk, account_id=party_account, currency=code)
            .exclude(residual=0)
            .exclude(pk=own.pk)
            .order_by("due_date", "line_id")
            if (item.residual > 0) != (own.residual > 0)
        ]
        if own.residual > 0:
            remaining -= _match_greedy(actor, [own], opposite, payment=payment)
        else:
            remaining -= _match_greedy(actor, opposite, [own], payment=payment)
        wanted = [
            (invoice, None) for invoice in Invoice.objects.filter(entry_id__in=[i.entry_id for i in opposite])
        ]
    invoice_ids = [invoice.pk for invoice, _s in wanted]
    invoices_refresh(invoice_ids, actor_id=actor.pk)
    audit.record(
        actor=actor,
        obj=payment,
        action="finance.payment_register",
        changes={
            "kind": kind,
            "amount": total,
            "entry": entry.number,
            "invoices": invoice_ids,
            "open": remaining,
        },
    )
    publish(
        PaymentRegistered(
            company_id=company_id,
            payment_id=payment.pk,
            party_id=party.pk,
            kind=kind,
            number=entry.number,
            date=date.isoformat(),
            currency=code,
            amount=str(total),
            invoice_ids=tuple(invoice_ids),
            actor_id=actor.pk,
        )
    )
    return payment


@transaction.atomic
def payment_cancel(
    *, actor: User, payment_id: int, version: int | None = None, date: dt.date | None = None
) -> Payment:
    """Cancel a payment: undo its matches and reverse its entry (the reversal settles the
    payment's own open item), so the invoices it paid are due again."""
    payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
    if payment is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, MANAGE, payment, visible_with=VIEW)
    require_version(payment, version)
    if payment.status == PaymentStatus.CANCELLED:
        raise PaymentStateError(_("This payment is cancelled already."))
    matches = list(
        Match.objects.select_for_update().filter(
            Q(debit_item__entry_id=payment.entry_id) | Q(credit_item__entry_id=payment.entry_id)
        )
    )
    entries = _unmatch(actor, matches)
    reversal = services.entry_reverse(actor=actor, entry_id=payment.entry_id, date=date)
    # The reversal settles the payment's own items (party and bank side alike).
    items = list(
        OpenItem.objects.select_for_update()
        .filter(entry_id__in=[payment.entry_id, reversal.pk])
        .exclude(residual=0)
        .order_by("due_date", "line_id")
    )
    for account_id in {item.account_id for item in items}:
        group = [item for item in items if item.account_id == account_id]
        _match_greedy(actor, [i for i in group if i.residual > 0], [i for i in group if i.residual < 0])
    invoices_refresh(_invoice_ids_of(entries), actor_id=actor.pk)
    payment.status = PaymentStatus.CANCELLED
    payment.reversal = reversal
    payment.version += 1
    payment.save(update_fields=["status", "reversal", "version"])
    audit.record(
        actor=actor,
        obj=payment,
        action="finance.payment_cancel",
        changes={"status": ["posted", "cancelled"], "reversal": reversal.number, "matches": len(matches)},
    )
    return payment


__all__ = [
    "PAYS",
    "PeriodLockedError",
    "documents_match",
    "invoices_refresh",
    "items_reconcile",
    "payment_cancel",
    "payment_register",
    "unreconcile",
]
