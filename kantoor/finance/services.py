"""Writes of the ledger: chart installation, fiscal years and periods, the lock date, and
journal entries from draft to posted (and reversed).

Every function owns its transaction, checks the policy, locks and re-reads what it
changes, enforces the invariants (raising DomainError subclasses), records an audit row
and publishes its events through the outbox. The database enforces the ledger's core
invariants a second time (migration 0002): posted entries and lines are immutable and an
unbalanced entry cannot become posted.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, cast

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import bic, iban

from kantoor.core import audit, fastsql, policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.core.models import Company, User
from kantoor.core.money import currency_exponent, exchange_rate_on, quantize
from kantoor.core.numbering import number_allocate
from kantoor.core.outbox import publish
from kantoor.core.services import require_version
from kantoor.core.validation import text_errors
from kantoor.finance import chain
from kantoor.finance.charts import TEMPLATES
from kantoor.finance.errors import (
    ChartInvalidError,
    EntryInvalidError,
    EntryStateError,
    EntryUnbalancedError,
    FiscalYearInvalidError,
    JournalInvalidError,
    PeriodLockedError,
)
from kantoor.finance.events import EntryPosted, EntryReversed, PeriodLocked
from kantoor.finance.models import (
    Account,
    EntryState,
    FinanceSettings,
    FiscalYear,
    Journal,
    JournalEntry,
    JournalKind,
    JournalLine,
    OpenItem,
    PaymentTerm,
    PaymentTermLine,
    Period,
    Tax,
)
from kantoor.parties.models import Party

VIEW = "finance.view_ledger"
POST = "finance.post_entry"
MANAGE = "finance.manage_ledger"


@dataclass(frozen=True)
class LineIn:
    """One line as given: a debit or a credit in company currency, or an amount in another
    currency (positive debit, negative credit) converted at the rate of the entry's date."""

    account_id: int
    debit: Decimal | int | str = 0
    credit: Decimal | int | str = 0
    label: str = ""
    party_id: int | None = None
    currency: str = ""
    amount_currency: Decimal | int | str | None = None
    due_date: dt.date | None = None
    tax_tag: str = ""


class Known(NamedTuple):
    """What a service that books an entry in its own transaction has read already: the
    journal (of the actor's company), the company's currency, parties of the company and
    accounts of the company (id → code, is_active, is_reconcilable)."""

    journal: Journal
    currency: str
    party_ids: frozenset[int] = frozenset()
    accounts: Mapping[int, tuple[str, bool, bool]] = {}


def _as_line(item: LineIn | Mapping[str, Any]) -> LineIn:
    return item if isinstance(item, LineIn) else LineIn(**dict(item))


# ----------------------------------------------------------------------------- the hot path
# Creating and posting an entry is the ledger's hot path (every invoice, bill and payment
# takes it): its fixed lookups and writes are plain SQL on the connection wrapper rather than
# ORM queries, whose compilation costs several times the database work on SQLite (see
# core.fastsql). Values are still prepared by their model fields, as the ORM prepares them.


def _db() -> BaseDatabaseWrapper:
    # The wrapper itself, not the `connection` proxy (a context-local lookup per access).
    return connections[DEFAULT_DB_ALIAS]


def _rows(sql: str, params: Sequence[Any], *, lock: str = "") -> list[tuple[Any, ...]]:
    """The rows of one SELECT; `lock` ("FOR UPDATE", "FOR SHARE") is applied on PostgreSQL
    only (SQLite's IMMEDIATE transactions serialise all writes)."""
    db = _db()
    if lock and db.vendor == "postgresql":
        sql = f"{sql} {lock}"
    cursor = fastsql.cursor()
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def _pk(model: type[models.Model], value: Any) -> Any:
    """`value` prepared as the primary key of `model`, as the ORM prepares a `pk=` filter
    (a value that is no key raises the same error); None when no row can have it."""
    field, db = model._meta.pk, _db()
    prepared = field.get_db_prep_value(value, db)
    if prepared is None:
        return None
    low, high = db.ops.integer_field_range(field.get_internal_type())
    # Out of the column's range: the ORM's filter matches nothing (and sends no query).
    if (low is not None and prepared < low) or (high is not None and prepared > high):
        return None
    return prepared


def _rows_in(sql: str, company_id: int, model: type[models.Model], ids: set[Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql` (company id, then `{ids}`) for the primary keys `ids` of `model`,
    each prepared as the ORM prepares a `pk__in` filter (None dropped)."""
    field, db = model._meta.pk, _db()
    prepared = [field.get_db_prep_value(value, db) for value in ids if value is not None]
    if not prepared:
        return []
    return _rows(sql.format(ids=", ".join(["%s"] * len(prepared))), [company_id, *prepared])


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


@functools.cache
def _update_statement(
    model: type[models.Model], names: tuple[str, ...], vendor: str
) -> tuple[str, list[Any]]:
    # `vendor` is part of the cache key: quoting differs per backend.
    opts, quote = model._meta, _db().ops.quote_name
    fields = [_field(model, name) for name in names]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    pk_column = quote(opts.pk.column)
    return f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {pk_column} = %s", fields  # noqa: S608 - names only


def _save_fields(obj: models.Model, names: Sequence[str]) -> None:
    """`obj.save(update_fields=names)` without the ORM's compilation: one UPDATE of those
    columns by primary key, each value prepared by its field."""
    db = _db()
    sql, fields = _update_statement(type(obj), tuple(names), db.vendor)
    params = [f.get_db_prep_save(getattr(obj, f.attname), db) for f in fields]
    cursor = fastsql.cursor()
    cursor.execute(sql, [*params, obj.pk])
    if cursor.rowcount != 1:
        raise DatabaseError("Save with update_fields did not affect any rows.")


def _converters(fields: tuple[Any, ...], db: BaseDatabaseWrapper) -> list[tuple[int, list[Any], Any]]:
    """What the ORM's compiler applies to a column of each field (`SQLCompiler.get_converters`):
    the backend's converters (dates and decimals on SQLite…), then the field's own. Kept on
    the connection wrapper (one per thread), whose operations the converters belong to."""
    cache: dict[tuple[Any, ...], list[tuple[int, list[Any], Any]]] = db.__dict__.setdefault(
        "_kantoor_finance_converters", {}
    )
    converters = cache.get(fields)
    if converters is None:
        converters = []
        for i, field in enumerate(fields):
            column = field.get_col(field.model._meta.db_table)
            functions = db.ops.get_db_converters(column) + column.get_db_converters(db)
            if functions:
                converters.append((i, functions, column))
        cache[fields] = converters
    return converters


def _select(sql: str, params: Sequence[Any], fields: tuple[Any, ...], *, lock: str = "") -> list[list[Any]]:
    """The rows of a SELECT of the columns of `fields`, each value converted exactly as the
    ORM converts it (so amounts are the same Decimals the ORM and `ledger verify` read)."""
    db = _db()
    converters = _converters(fields, db)
    rows = [list(row) for row in _rows(sql, params, lock=lock)]
    for row in rows:
        for i, functions, column in converters:
            value = row[i]
            for function in functions:
                value = function(value, column, db)
            row[i] = value
    return rows


@functools.cache
def _entry_select(vendor: str) -> tuple[str, tuple[Any, ...], list[str]]:
    opts, quote = JournalEntry._meta, _db().ops.quote_name
    fields = tuple(opts.concrete_fields)
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"SELECT {columns} FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s"  # noqa: S608 - names only
    return sql, fields, [f.attname for f in fields]


_LINE_ACCOUNT_FIELDS = ("company", "is_active", "code", "is_reconcilable")
# Read with the hashed fields at posting: what an open item needs besides them.
_LINE_EXTRA_FIELDS = ("party",)


@functools.cache
def _line_read(vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The hashed fields of an entry's lines (chain.LINE_FIELDS) with their account's
    company, active flag and code, in id order."""
    quote = _db().ops.quote_name
    line_fields = [_field(JournalLine, name) for name in (*chain.LINE_FIELDS, *_LINE_EXTRA_FIELDS)]
    account_fields = [_field(Account, name) for name in _LINE_ACCOUNT_FIELDS]
    columns = ", ".join(
        [f"l.{quote(f.column)}" for f in line_fields] + [f"a.{quote(f.column)}" for f in account_fields]
    )
    sql = (
        f"SELECT {columns} FROM finance_journalline l JOIN finance_account a ON a.id = l.account_id "  # noqa: S608 - names only
        "WHERE l.entry_id = %s ORDER BY l.id"
    )
    return sql, (*line_fields, *account_fields)


# ----------------------------------------------------------------------------- chart


@transaction.atomic
def chart_install(*, actor: User, template: str) -> list[Account]:
    """Install a chart-of-accounts template (`generic` or `nl`) with its five journals in the
    actor's company, which must have no accounts yet."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    chart = TEMPLATES.get(template)
    if chart is None:
        raise ChartInvalidError.for_field(
            "template",
            _("Unknown chart “%(key)s”; choose %(keys)s.") % {"key": template, "keys": ", ".join(TEMPLATES)},
        )
    Company.objects.select_for_update().filter(pk=company_id).first()
    if Account.objects.filter(company_id=company_id).exists():
        raise ChartInvalidError(_("This company has a chart of accounts already."))
    accounts = Account.objects.bulk_create(
        Account(company_id=company_id, **spec._asdict()) for spec in chart.accounts
    )
    first_by_role: dict[str, Account] = {}
    for account in accounts:
        first_by_role.setdefault(account.role, account)
    Journal.objects.bulk_create(
        Journal(
            company_id=company_id,
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            default_account=first_by_role.get(spec.default_role) if spec.default_role else None,
            sequence_code=f"journal-{spec.code.lower()}",
        )
        for spec in chart.journals
    )
    taxes = Tax.objects.bulk_create(
        Tax(
            company_id=company_id,
            code=spec.code,
            name=spec.name_nl if chart.language == "nl" else spec.name,
            scope=spec.scope,
            treatment=spec.treatment,
            rate=Decimal(spec.rate),
            account=first_by_role.get(spec.account_role) if spec.account_role else None,
            reverse_account=first_by_role.get(spec.reverse_role) if spec.reverse_role else None,
            base_tag=spec.base_tag,
            tax_tag=spec.tax_tag,
            reverse_tag=spec.reverse_tag,
        )
        for spec in chart.taxes
    )
    for spec in chart.terms:
        term = PaymentTerm.objects.create(
            company_id=company_id, name=spec.name_nl if chart.language == "nl" else spec.name
        )
        PaymentTermLine.objects.bulk_create(
            PaymentTermLine(term=term, sequence=n, percent=Decimal(percent), days=days, end_of_month=eom)
            for n, (percent, days, eom) in enumerate(spec.instalments, start=1)
        )
    settings, _created = FinanceSettings.objects.get_or_create(company_id=company_id)
    audit.record(
        actor=actor,
        obj=settings,
        action="finance.chart_install",
        changes={
            "template": chart.key,
            "accounts": len(accounts),
            "journals": len(chart.journals),
            "taxes": len(taxes),
            "payment_terms": len(chart.terms),
        },
    )
    return accounts


# ----------------------------------------------------------------------------- years, periods, lock


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    return day.replace(year=day.year + month0 // 12, month=month0 % 12 + 1)


@transaction.atomic
def fiscal_year_create(*, actor: User, year: int) -> FiscalYear:
    """Open fiscal year `year` (named by the calendar year it starts in, starting on the
    company's fiscal-year start) with its twelve monthly periods."""
    policy.require(actor, MANAGE)
    company = Company.objects.select_for_update().get(pk=policy.actor_company_id(actor))
    if not 1900 <= year <= 9998:
        raise FiscalYearInvalidError.for_field("year", _("Choose a year between 1900 and 9998."))
    if FiscalYear.objects.filter(company=company, year=year).exists():
        raise FiscalYearInvalidError.for_field("year", _("Fiscal year %d exists already.") % year)
    start = dt.date(year, company.fiscal_year_start_month, company.fiscal_year_start_day)
    end = _add_months(start, 12) - dt.timedelta(days=1)
    fiscal_year = FiscalYear.objects.create(company=company, year=year, start_date=start, end_date=end)
    Period.objects.bulk_create(
        Period(
            company=company,
            fiscal_year=fiscal_year,
            number=n + 1,
            start_date=_add_months(start, n),
            end_date=_add_months(start, n + 1) - dt.timedelta(days=1),
        )
        for n in range(12)
    )
    audit.record(
        actor=actor,
        obj=fiscal_year,
        action="finance.fiscal_year_create",
        changes={"year": year, "start_date": start, "end_date": end},
    )
    return fiscal_year


def _locked_period(actor: User, period_id: int) -> Period:
    period = Period.objects.select_for_update().filter(pk=period_id).first()
    if period is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, MANAGE, period, visible_with=VIEW)
    return period


def _settings(company_id: int) -> FinanceSettings:
    settings, _created = FinanceSettings.objects.select_for_update().get_or_create(company_id=company_id)
    return settings


@transaction.atomic
def period_close(*, actor: User, period_id: int, version: int | None = None) -> Period:
    """Close a period: nothing more is posted or reversed into it. Publishes PeriodLocked."""
    period = _locked_period(actor, period_id)
    require_version(period, version)
    if period.is_closed:
        raise EntryStateError(_("Period %s is closed already.") % period)
    period.is_closed = True
    period.version += 1
    period.save(update_fields=["is_closed", "version"])
    audit.record(actor=actor, obj=period, action="finance.period_close", changes={"is_closed": [False, True]})
    publish(
        PeriodLocked(
            company_id=period.company_id,
            period_id=period.pk,
            locked_until=period.end_date.isoformat(),
            actor_id=actor.pk,
        )
    )
    return period


@transaction.atomic
def period_reopen(*, actor: User, period_id: int, version: int | None = None) -> Period:
    """Reopen a closed period, unless it lies on or before the lock date."""
    period = _locked_period(actor, period_id)
    require_version(period, version)
    if not period.is_closed:
        raise EntryStateError(_("Period %s is open already.") % period)
    lock_date = _settings(period.company_id).lock_date
    if lock_date is not None and period.start_date <= lock_date:
        raise PeriodLockedError(
            _("Period %(period)s lies on or before the lock date %(lock)s.")
            % {"period": period, "lock": lock_date.isoformat()}
        )
    period.is_closed = False
    period.version += 1
    period.save(update_fields=["is_closed", "version"])
    audit.record(
        actor=actor, obj=period, action="finance.period_reopen", changes={"is_closed": [True, False]}
    )
    return period


@transaction.atomic
def lock_date_set(*, actor: User, lock_date: dt.date | None, version: int | None = None) -> FinanceSettings:
    """Set the company's lock date: nothing is posted, reversed or reconciled on or before
    it. Drafts dated on or before it stay drafts (they cannot be posted until redated).
    Publishes PeriodLocked when the date moves forward."""
    policy.require(actor, MANAGE)
    settings = _settings(policy.actor_company_id(actor))
    require_version(settings, version)
    before = settings.lock_date
    if before == lock_date:
        return settings
    settings.lock_date = lock_date
    settings.version += 1
    settings.save(update_fields=["lock_date", "version"])
    audit.record(
        actor=actor, obj=settings, action="finance.lock_date_set", changes={"lock_date": [before, lock_date]}
    )
    if lock_date is not None and (before is None or lock_date > before):
        publish(
            PeriodLocked(
                company_id=settings.company_id, locked_until=lock_date.isoformat(), actor_id=actor.pk
            )
        )
    return settings


# ----------------------------------------------------------------------------- entries


def _amount(value: Any, places: int) -> Decimal:
    """An exact non-float amount with at most `places` decimals, or ValueError."""
    if isinstance(value, float | bool):
        raise ValueError(_("Give amounts as decimals, not floating point numbers."))
    try:
        amount = Decimal(str(value).strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(_("Not a number.")) from exc
    if not amount.is_finite():
        raise ValueError(_("Not a number."))
    # 14 digits before the point: the narrowest amount column (amount in currency,
    # numeric(20, 6)) must hold the line too, or PostgreSQL refuses it with an error.
    if abs(amount) >= Decimal(10) ** 14:
        raise ValueError(_("Too large."))
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(_("At most %d decimals.") % places)
    return amount


def _lines_clean(
    company_id: int,
    base: str,
    on: dt.date,
    items: Sequence[LineIn | Mapping[str, Any]],
    known_parties: frozenset[int] = frozenset(),
    known_accounts: Mapping[int, tuple[str, bool, bool]] | None = None,
) -> tuple[list[dict[str, Any]], set[int]]:
    """Check every line at once (so one error lists every faulty field). Returns the lines'
    values by field name (what _lines_save inserts) and which of their accounts are
    reconcilable. `base` is the company's currency."""
    errors: dict[str, list[str]] = {}
    lines = []
    raw = []
    for i, item in enumerate(items):
        try:
            raw.append(_as_line(item))
        except TypeError:
            errors.setdefault(f"lines[{i}]", []).append(_("Unknown line fields."))
    if errors:
        raise EntryInvalidError(_("Please correct the marked lines."), field_errors=errors)
    # One query for all accounts of the entry (unless the caller read them) and one for its
    # parties (when it names any).
    named_accounts = {line.account_id for line in raw}
    accounts = (
        {pk: known_accounts[pk] for pk in named_accounts}
        if known_accounts and named_accounts <= known_accounts.keys()
        else {
            pk: (code, bool(active), bool(reconcilable))
            for pk, code, active, reconcilable in _rows_in(
                "SELECT id, code, is_active, is_reconcilable FROM finance_account "
                "WHERE company_id = %s AND id IN ({ids})",
                company_id,
                Account,
                named_accounts,
            )
        }
    )
    named = {line.party_id for line in raw if line.party_id is not None}
    parties = (
        named
        if named <= known_parties
        else {
            pk
            for (pk,) in _rows_in(
                f"SELECT id FROM {Party._meta.db_table} WHERE company_id = %s AND id IN ({{ids}})",  # noqa: S608 - names only
                company_id,
                Party,
                named,
            )
        }
    )
    base_places = currency_exponent(base)
    for i, line in enumerate(raw):

        def fail(field: str, message: str, i: int = i) -> None:
            errors.setdefault(f"lines[{i}].{field}", []).append(message)

        account = accounts.get(line.account_id)
        if account is None:
            fail("account_id", _("Unknown account."))
        elif not account[1]:
            fail("account_id", _("Account %s is archived.") % account[0])
        if line.party_id is not None and line.party_id not in parties:
            fail("party_id", _("Unknown party."))
        for field, message in text_errors(
            JournalLine, {"label": line.label, "tax_tag": line.tax_tag}
        ).items():
            errors.setdefault(f"lines[{i}].{field}", []).extend(message)
        amounts: dict[str, Decimal] = {}
        for field in ("debit", "credit"):
            try:
                amounts[field] = _amount(getattr(line, field) or 0, base_places)
            except ValueError as exc:
                fail(field, str(exc))
                continue
            if amounts[field] < 0:
                fail(field, _("Cannot be negative."))
        debit, credit = amounts.get("debit", Decimal(0)), amounts.get("credit", Decimal(0))
        currency = (line.currency or base).strip().upper()
        rate = Decimal(1)
        amount_currency: Decimal | None = None
        if currency != base:
            try:
                rate = exchange_rate_on(company_id=company_id, currency=currency, on=on)
            except DomainError as exc:
                fail("currency", exc.message)
            if line.amount_currency is None:
                fail("amount_currency", _("Give the amount in %s.") % currency)
            else:
                try:
                    amount_currency = _amount(line.amount_currency, min(currency_exponent(currency), 6))
                except (ValueError, DomainError) as exc:
                    fail("amount_currency", str(exc))
            if (
                amount_currency is not None
                and not debit
                and not credit
                and f"lines[{i}].currency" not in errors
            ):
                converted = quantize(abs(amount_currency) / rate, base)
                debit, credit = (converted, Decimal(0)) if amount_currency > 0 else (Decimal(0), converted)
            # (A zero amount in currency is an exchange difference: company currency only.)
            if amount_currency and (amount_currency > 0) != (debit > 0):
                fail(
                    "amount_currency",
                    _("A debit has a positive amount in currency, a credit a negative one."),
                )
        if debit and credit:
            fail("credit", _("A line has a debit or a credit, not both."))
        elif (
            not debit
            and not credit
            and f"lines[{i}].debit" not in errors
            and f"lines[{i}].credit" not in errors
        ):
            fail("debit", _("A line needs a debit or a credit."))
        if line.due_date is not None and not isinstance(line.due_date, dt.date):
            fail("due_date", _("Not a date."))
        lines.append(
            {
                "company": company_id,
                "account": line.account_id,
                "party": line.party_id,
                "label": line.label.strip(),
                "debit": debit,
                "credit": credit,
                "currency": currency,
                "amount_currency": amount_currency if amount_currency is not None else debit - credit,
                "rate": rate,
                "due_date": line.due_date,
                "tax_tag": line.tax_tag,
            }
        )
    if errors:
        raise EntryInvalidError(_("Please correct the marked lines."), field_errors=errors)
    return lines, {pk for pk, (_code, _active, reconcilable) in accounts.items() if reconcilable}


def _header_clean(date: Any, reference: str, narration: str) -> None:
    errors = text_errors(JournalEntry, {"reference": reference, "narration": narration})
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        errors.setdefault("date", []).append(_("Not a date."))
    if errors:
        raise EntryInvalidError(_("Please correct the marked fields."), field_errors=errors)


def _lines_save(entry: JournalEntry, lines: list[dict[str, Any]]) -> list[int]:
    """Insert the lines (values by field name) of a draft entry in one statement; returns
    their ids in order."""
    common = {"entry": entry.pk, "date": entry.date, "journal": entry.journal_id, "state": EntryState.DRAFT}
    return fastsql.insert_many(JournalLine, [{**line, **common} for line in lines], returning=True)


@transaction.atomic
def entry_create(
    *,
    actor: User,
    journal_id: int,
    date: dt.date,
    lines: Sequence[LineIn | Mapping[str, Any]],
    reference: str = "",
    narration: str = "",
) -> JournalEntry:
    """Create a draft entry (no number yet; drafts need not balance)."""
    entry, journal_code, count, _fresh = _entry_insert(
        actor=actor, journal_id=journal_id, date=date, lines=lines, reference=reference, narration=narration
    )
    audit.record(
        actor=actor,
        obj=entry,
        action="finance.entry_create",
        changes={"journal": journal_code, "date": date, "lines": count},
    )
    return entry


def _entry_insert(
    *,
    actor: User,
    journal_id: int,
    date: dt.date,
    lines: Sequence[LineIn | Mapping[str, Any]],
    reference: str,
    narration: str,
    known: Known | None = None,
    permission: str = POST,
) -> tuple[JournalEntry, str, int, list[dict[str, Any]] | None]:
    """Check and insert a draft entry and its lines in the caller's transaction; returns the
    entry, its journal's code, the number of lines and the lines as _post reads them
    (_fresh_lines). A caller that has read the journal (of the actor's company) and the
    company's currency (and parties) gives them as `known`. `permission` is the action
    that authorises the booking (see entry_book)."""
    policy.require(actor, permission)
    company_id = policy.actor_company_id(actor)
    if known is not None and known.journal.pk == journal_id and known.journal.company_id == company_id:
        journal_pk, journal_code, base_currency = known.journal.pk, known.journal.code, known.currency
    else:
        # The journal (of the actor's company) and the company's currency in one query.
        found = _rows(
            "SELECT j.id, j.code, c.base_currency FROM finance_journal j "
            "JOIN core_company c ON c.id = j.company_id WHERE j.id = %s AND j.company_id = %s",
            [_pk(Journal, journal_id), company_id],
        )
        if not found:
            raise EntryInvalidError.for_field("journal_id", _("Unknown journal."))
        journal_pk, journal_code, base_currency = found[0]
    _header_clean(date, reference, narration)
    parties = known.party_ids if known is not None else frozenset()
    cleaned, reconcilable = _lines_clean(
        company_id, base_currency, date, lines, parties, known.accounts if known is not None else None
    )
    entry = JournalEntry(
        company_id=company_id,
        journal_id=journal_pk,
        date=date,
        reference=reference.strip(),
        narration=narration.strip(),
        created_by=actor,
    )
    fastsql.insert_instance(entry)
    ids = _lines_save(entry, cleaned)
    return entry, journal_code, len(cleaned), _fresh_lines(cleaned, ids, reconcilable)


# SQLite keeps decimals as floating point and reads them back rounded to 15 significant
# digits: a line of longer amounts is hashed as it is read back, not as it was given.
_EXACT_DIGITS = 15


def _fresh_lines(
    cleaned: list[dict[str, Any]], ids: list[int], reconcilable: set[int]
) -> list[dict[str, Any]] | None:
    """Lines just inserted, as _post reads them back (the hashed fields, the party and
    whether the account is reconcilable), or None when a read is needed to hash them
    exactly as stored."""
    db = _db()
    lines = []
    for line, pk in zip(cleaned, ids, strict=True):
        if db.vendor == "sqlite" and any(
            len(line[name].as_tuple().digits) > _EXACT_DIGITS
            for name in ("debit", "credit", "amount_currency", "rate")
        ):
            return None
        lines.append(
            {
                "id": pk,
                "account_id": line["account"],
                "label": line["label"],
                "debit": line["debit"],
                "credit": line["credit"],
                "currency": line["currency"],
                "amount_currency": line["amount_currency"],
                "rate": line["rate"],
                "due_date": line["due_date"],
                "tax_tag": line["tax_tag"],
                "party_id": line["party"],
                "account__is_reconcilable": line["account"] in reconcilable,
            }
        )
    return lines


def _line_in_again(line: JournalLine, base: str) -> LineIn:
    foreign = line.currency != base
    return LineIn(
        account_id=line.account_id,
        debit=0 if foreign else line.debit,
        credit=0 if foreign else line.credit,
        label=line.label,
        party_id=line.party_id,
        currency=line.currency,
        amount_currency=line.amount_currency if foreign else None,
        due_date=line.due_date,
        tax_tag=line.tax_tag,
    )


def _locked_entry(actor: User, entry_id: int) -> JournalEntry:
    """The entry, locked FOR UPDATE (PostgreSQL; SQLite's IMMEDIATE transaction holds the
    write lock), read as the ORM reads it."""
    pk = _pk(JournalEntry, entry_id)
    sql, fields, attnames = _entry_select(_db().vendor)
    rows = _select(sql, [pk], fields, lock="FOR UPDATE") if pk is not None else []
    if not rows:
        raise NotFoundError(_("Not found."))
    entry = JournalEntry.from_db(DEFAULT_DB_ALIAS, attnames, rows[0])
    policy.require(actor, POST, entry, visible_with=VIEW)
    return entry


def _require_draft(entry: JournalEntry) -> None:
    if entry.state != EntryState.DRAFT:
        # Posted entries are immutable: corrections are reversals.
        raise EntryStateError(_("Entry %s is posted; reverse it instead.") % entry.number)


@transaction.atomic
def entry_update(
    *,
    actor: User,
    entry_id: int,
    version: int,
    date: dt.date | None = None,
    reference: str | None = None,
    narration: str | None = None,
    lines: Sequence[LineIn | Mapping[str, Any]] | None = None,
) -> JournalEntry:
    """Change a draft entry; `lines`, when given, replace all its lines. Refuses a stale
    `version` (409) and a posted entry."""
    entry = _locked_entry(actor, entry_id)
    require_version(entry, version)
    _require_draft(entry)
    before = audit.snapshot(entry, ["date", "reference", "narration"])
    new_date = date if date is not None else entry.date
    _header_clean(new_date, reference or "", narration or "")
    if (
        lines is None
        and new_date != entry.date
        and entry.lines.exclude(currency=entry.company.base_currency).exists()
    ):
        # Another date may mean another exchange rate: convert the foreign lines again.
        lines = [_line_in_again(line, entry.company.base_currency) for line in entry.lines.order_by("id")]
    cleaned = (
        _lines_clean(entry.company_id, entry.company.base_currency, new_date, lines)[0]
        if lines is not None
        else None
    )
    entry.date = new_date
    if reference is not None:
        entry.reference = reference.strip()
    if narration is not None:
        entry.narration = narration.strip()
    entry.version += 1
    entry.save(update_fields=["date", "reference", "narration", "version"])
    if cleaned is not None:
        entry.lines.all().delete()
        _lines_save(entry, cleaned)
    else:
        entry.lines.update(date=entry.date)
    changes: dict[str, Any] = audit.diff(before, audit.snapshot(entry, ["date", "reference", "narration"]))
    if cleaned is not None:
        changes["lines"] = len(cleaned)
    audit.record(actor=actor, obj=entry, action="finance.entry_update", changes=changes)
    return entry


@transaction.atomic
def entry_delete(*, actor: User, entry_id: int, version: int | None = None) -> None:
    """Delete a draft entry (drafts hold no number, so no gap appears)."""
    entry = _locked_entry(actor, entry_id)
    require_version(entry, version)
    _require_draft(entry)
    audit.record(actor=actor, obj=entry, action="finance.entry_delete", changes={"date": entry.date})
    entry.lines.all().delete()
    entry.delete()


def _read_shared(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    """One row, read FOR SHARE on PostgreSQL: a concurrent `lock_date_set` or `period_close`
    (which lock the row FOR UPDATE) waits for this posting to commit, and a posting that
    comes after them sees their change. SQLite's IMMEDIATE transactions serialise all writes."""
    rows = _rows(sql, params, lock="FOR SHARE")
    return rows[0] if rows else None


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _require_open(company_id: int, on: dt.date) -> None:
    """Refuse a date on or before the lock date or outside an open period (and fiscal year).
    The settings and the period are read in one statement, FOR SHARE on PostgreSQL (see
    _read_shared)."""
    lock = " FOR SHARE" if _db().vendor == "postgresql" else ""
    found = _rows(
        "SELECT (SELECT lock_date FROM finance_financesettings WHERE company_id = %s" + lock + "), "  # noqa: S608 - no input
        "y.year, p.number, p.is_closed, y.is_closed FROM finance_period p "
        "JOIN finance_fiscalyear y ON y.id = p.fiscal_year_id "
        "WHERE p.company_id = %s AND p.start_date <= %s AND p.end_date >= %s" + lock,
        [company_id, company_id, on.isoformat(), on.isoformat()],
    )
    if found:
        lock_date = _as_date(found[0][0]) if found[0][0] is not None else None
    else:  # no period: the lock date still comes first
        settings = _read_shared(
            "SELECT lock_date FROM finance_financesettings WHERE company_id = %s", [company_id]
        )
        lock_date = _as_date(settings[0]) if settings and settings[0] is not None else None
    if lock_date is not None and on <= lock_date:
        raise PeriodLockedError(
            _("%(date)s is on or before the lock date %(lock)s.")
            % {"date": on.isoformat(), "lock": lock_date.isoformat()},
            field_errors={"date": [_("On or before the lock date.")]},
        )
    if not found:
        raise PeriodLockedError(
            _("No fiscal year contains %s; create it first.") % on.isoformat(),
            field_errors={"date": [_("No fiscal year contains this date.")]},
        )
    _lock, year, number, period_closed, year_closed = found[0]
    if period_closed or year_closed:
        raise PeriodLockedError(
            _("Period %(period)s is closed.") % {"period": f"{year}-{number:02d}"},
            field_errors={"date": [_("This period is closed.")]},
        )


def _stored_lines(entry: JournalEntry) -> list[dict[str, Any]]:
    """The lines of a draft as they are stored (the entry's lock keeps them), checked
    against their accounts: one read serves the checks and the hash."""
    sql, fields = _line_read(_db().vendor)
    names = (
        *chain.LINE_FIELDS,
        "party_id",
        "account__company_id",
        "account__is_active",
        "account__code",
        "account__is_reconcilable",
    )
    lines = [dict(zip(names, row, strict=True)) for row in _select(sql, [entry.pk], fields)]
    errors: dict[str, list[str]] = {}
    for i, line in enumerate(lines):
        if line["account__company_id"] != entry.company_id:
            errors.setdefault(f"lines[{i}].account_id", []).append(_("Unknown account."))
        elif not line["account__is_active"]:
            errors.setdefault(f"lines[{i}].account_id", []).append(
                _("Account %s is archived.") % line["account__code"]
            )
    if errors:
        raise EntryInvalidError(_("Please correct the marked lines."), field_errors=errors)
    return lines


def _post(
    actor: User,
    entry: JournalEntry,
    *,
    fiscal_year: int | None = None,
    lines: list[dict[str, Any]] | None = None,
    announce: bool = True,
    journal: Journal | None = None,
) -> JournalEntry:
    """Number, chain and post a locked draft; the caller holds the transaction. A caller
    that just inserted the draft gives its `lines` (checked against their accounts in the
    same transaction, see _fresh_lines) and may know its fiscal year and journal. Without
    `announce` the caller writes the audit row and event (posting_announcements)."""
    _require_draft(entry)
    _require_open(entry.company_id, entry.date)
    if lines is None:
        lines = _stored_lines(entry)
    if len(lines) < 2:
        raise EntryUnbalancedError(_("An entry needs at least two lines."))
    debit = sum((line["debit"] for line in lines), Decimal(0))
    credit = sum((line["credit"] for line in lines), Decimal(0))
    if debit != credit:
        raise EntryUnbalancedError(
            _("Debits (%(debit)s) and credits (%(credit)s) differ by %(difference)s.")
            % {"debit": debit, "credit": credit, "difference": debit - credit},
            extra={"debit": str(debit), "credit": str(credit)},
        )
    # The journal row is the chain's lock: its entries are numbered and chained one at a time
    # (the row lock on PostgreSQL; the IMMEDIATE transaction's write lock on SQLite, where a
    # caller that read the journal need not read it again).
    if journal is not None and journal.pk == entry.journal_id and _db().vendor == "sqlite":
        journal_code, sequence_code = journal.code, journal.sequence_code
    else:
        ((journal_code, sequence_code),) = _rows(
            "SELECT code, sequence_code FROM finance_journal WHERE id = %s",
            [entry.journal_id],
            lock="FOR UPDATE",
        )
    entry.number = number_allocate(
        company_id=entry.company_id,
        code=sequence_code,
        on=entry.date,
        prefix=journal_code,
        fiscal_year=fiscal_year,
    )
    last = _rows(
        "SELECT chain_position, hash FROM finance_journalentry "
        "WHERE journal_id = %s AND chain_position IS NOT NULL ORDER BY chain_position DESC LIMIT 1",
        [entry.journal_id],
    )
    entry.chain_position = int(last[0][0] or 0) + 1 if last else 1
    entry.previous_hash = last[0][1] if last else chain.GENESIS
    entry.hash = chain.entry_hash(
        {name: getattr(entry, name) for name in chain.ENTRY_FIELDS}, lines, entry.previous_hash
    )
    # Lines first: once the entry is posted the database refuses any change to its lines.
    db = _db()
    fastsql.cursor().execute(
        "UPDATE finance_journalline SET state = %s, date = %s WHERE entry_id = %s",
        [
            str(EntryState.POSTED.value),
            _field(JournalLine, "date").get_db_prep_save(entry.date, db),
            entry.pk,
        ],
    )
    # What reconciliation will settle: an open item per line on a reconcilable account.
    fastsql.insert_many(
        OpenItem,
        [
            {
                "line": line["id"],
                "company": entry.company_id,
                "entry": entry.pk,
                "account": line["account_id"],
                "party": line["party_id"],
                "date": entry.date,
                "due_date": line["due_date"] or entry.date,
                "currency": line["currency"],
                "amount": line["debit"] - line["credit"],
                "residual": line["debit"] - line["credit"],
                "amount_currency": line["amount_currency"],
                "residual_currency": line["amount_currency"],
            }
            for line in lines
            if line["account__is_reconcilable"]
        ],
    )
    entry.state = EntryState.POSTED
    entry.posted_at = timezone.now()
    entry.posted_by = actor
    entry.version += 1
    _save_fields(
        entry,
        ["number", "chain_position", "previous_hash", "hash", "state", "posted_at", "posted_by", "version"],
    )
    if announce:
        change, event = posting_announcements(actor, entry)
        audit.record_many([change])
        publish(event)
    return entry


def posting_announcements(actor: User, entry: JournalEntry) -> tuple[audit.Change, EntryPosted]:
    """The audit row and the event of a posted entry, for a caller that posted it with
    `announce=False` and writes them together with its own."""
    change = audit.Change(
        actor=actor,
        obj=entry,
        action="finance.entry_post",
        changes={"state": ["draft", "posted"], "number": entry.number, "hash": entry.hash},
    )
    event = EntryPosted(
        company_id=entry.company_id,
        entry_id=entry.pk,
        journal_id=entry.journal_id,
        number=entry.number,
        date=entry.date.isoformat(),
        actor_id=actor.pk,
    )
    return change, event


@transaction.atomic
def entry_post(*, actor: User, entry_id: int, version: int | None = None) -> JournalEntry:
    """Post a draft: it must balance exactly (Σ debit = Σ credit), use active accounts of the
    company and be dated in an open period after the lock date. Allocates the journal's
    gapless number for the fiscal year and chains the entry's SHA-256 to the journal's
    previous posted entry. Locks the entry and its journal. Publishes EntryPosted."""
    entry = _locked_entry(actor, entry_id)
    require_version(entry, version)
    return _post(actor, entry)


@transaction.atomic
def entry_record(
    *,
    actor: User,
    journal_id: int,
    date: dt.date,
    lines: Sequence[LineIn | Mapping[str, Any]],
    reference: str = "",
    narration: str = "",
) -> JournalEntry:
    """Create and post an entry at once: what invoices, bills and payments book. One audit
    row (the posting's, which names the number and hash)."""
    return entry_book(
        actor=actor, journal_id=journal_id, date=date, lines=lines, reference=reference, narration=narration
    )


def entry_book(
    *,
    actor: User,
    journal_id: int,
    date: dt.date,
    lines: Sequence[LineIn | Mapping[str, Any]],
    reference: str = "",
    narration: str = "",
    fiscal_year: int | None = None,
    announce: bool = True,
    known: Known | None = None,
    permission: str = POST,
) -> JournalEntry:
    """`entry_record` in the caller's transaction, without a savepoint of its own: for a
    service that books an entry as part of its own write (an invoice's posting), which
    rolls back as a whole. What the caller knows saves reads: the `fiscal_year`, the
    journal, company currency and parties (`known`, see _entry_insert). Without `announce` the
    caller writes the audit row and event (posting_announcements). A service of a higher
    app whose own action books value (inventory's stock moves: `inventory.manage_stock`)
    names that action as `permission`: an operations user who receives goods books their
    value without the right to post entries by hand."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("entry_book belongs inside the caller's transaction")
    entry, _journal_code, _count, fresh = _entry_insert(
        actor=actor,
        journal_id=journal_id,
        date=date,
        lines=lines,
        reference=reference,
        narration=narration,
        known=known,
        permission=permission,
    )
    journal = known.journal if known is not None else None
    return _post(actor, entry, fiscal_year=fiscal_year, lines=fresh, announce=announce, journal=journal)


@transaction.atomic
def entry_reverse(
    *, actor: User, entry_id: int, date: dt.date | None = None, narration: str = ""
) -> JournalEntry:
    """Reverse a posted entry with a posted entry of swapped debits and credits in the same
    journal, dated `date` (default: the original's date), linked by `reversal_of`. An entry
    is reversed at most once. Publishes EntryPosted and EntryReversed."""
    original = _locked_entry(actor, entry_id)
    if original.state != EntryState.POSTED:
        raise EntryStateError(_("Only a posted entry can be reversed; delete or change the draft instead."))
    if JournalEntry.objects.filter(reversal_of=original).exists():
        raise EntryStateError(_("Entry %s has been reversed already.") % original.number)
    on = date or original.date
    _header_clean(on, "", narration)
    reversal = JournalEntry.objects.create(
        company_id=original.company_id,
        journal_id=original.journal_id,
        date=on,
        reference=original.reference,
        narration=narration.strip() or _("Reversal of %s") % original.number,
        reversal_of=original,
        created_by=actor,
    )
    _lines_save(
        reversal,
        [
            {
                "company": line.company_id,
                "account": line.account_id,
                "party": line.party_id,
                "label": line.label,
                "debit": line.credit,
                "credit": line.debit,
                "currency": line.currency,
                "amount_currency": -line.amount_currency,
                "rate": line.rate,
                "due_date": line.due_date,
                "tax_tag": line.tax_tag,
            }
            for line in original.lines.order_by("id")
        ],
    )
    _post(actor, reversal)
    audit.record(
        actor=actor, obj=original, action="finance.entry_reverse", changes={"reversal": reversal.number}
    )
    publish(
        EntryReversed(
            company_id=original.company_id,
            entry_id=original.pk,
            reversal_id=reversal.pk,
            number=original.number,
            reversal_number=reversal.number,
            actor_id=actor.pk,
        )
    )
    return reversal


def journal_for(*, company_id: int, kind: str) -> Journal:
    """The company's first journal of `kind` (sales, purchase, bank, cash, general)."""
    journal = Journal.objects.filter(company_id=company_id, kind=kind).order_by("pk").first()
    if journal is None:
        raise NotFoundError(_("No %s journal; install a chart of accounts first.") % kind)
    return journal


@transaction.atomic
def journal_bank_details_set(
    *, actor: User, journal_id: int, bank_account: str, bank_bic: str = ""
) -> Journal:
    """Set the IBAN and BIC of a bank journal; invoices print the first bank journal's as
    their payment details. Both are checked (check digits, format) and stored compact."""
    policy.require(actor, MANAGE)
    journal = Journal.objects.select_for_update().filter(pk=journal_id).first()
    if journal is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, MANAGE, journal, visible_with=VIEW)
    errors: dict[str, list[str]] = {}
    if journal.kind != JournalKind.BANK:
        errors.setdefault("journal_id", []).append(_("Only a bank journal has a bank account."))
    account = iban.compact(bank_account or "")
    if account and not iban.is_valid(account):
        errors.setdefault("bank_account", []).append(_("Not a valid IBAN."))
    bic_code = bic.compact(bank_bic or "")
    if bic_code and not bic.is_valid(bic_code):
        errors.setdefault("bank_bic", []).append(_("Not a valid BIC."))
    if errors:
        raise JournalInvalidError(_("Please correct the marked fields."), field_errors=errors)
    before = audit.snapshot(journal, ["bank_account", "bank_bic"])
    journal.bank_account, journal.bank_bic = account, bic_code
    journal.save(update_fields=["bank_account", "bank_bic"])
    audit.record(
        actor=actor,
        obj=journal,
        action="finance.journal_bank_details_set",
        changes=audit.diff(before, audit.snapshot(journal, ["bank_account", "bank_bic"])),
    )
    return journal
