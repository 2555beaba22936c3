"""`kantoor bench ledger`: create and post N customer invoices of five lines through the
service layer, one transaction per invoice as a user's request would be, pay half of them,
then time the trial balance, profit and loss, balance sheet and aged receivables at that
size and check their figures against each other and against what the bench booked."""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import bench
from kantoor.core.models import OutboxEvent, Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import aging, invoicing, payments, reports, services
from kantoor.finance.models import (
    Invoice,
    InvoiceKind,
    InvoiceState,
    JournalKind,
    JournalLine,
    PaymentKind,
    PaymentState,
    Tax,
)
from kantoor.parties.services import party_create

TARGET_INVOICES_PER_SECOND = 300  # on SQLite, per-document mode
TARGET_REPORT_MS = 1000  # trial balance and aged receivables
TARGET_FLATNESS = 0.8  # the last tenth's rate (by CPU time) against the first tenth's
LINES_PER_INVOICE = 5
# Each invoice's five lines carry these taxes in some order: always 21 % and 9 % (each books
# a VAT line) and 0 % (books none), so an invoice's entry has exactly 5 + 2 + 1 lines.
TAX_PATTERNS = (
    ("V21", "V21", "V9", "V0", "V21"),
    ("V9", "V21", "V0", "V9", "V21"),
    ("V21", "V0", "V0", "V9", "V21"),
    ("V0", "V9", "V21", "V21", "V9"),
)
ENTRY_LINES_PER_INVOICE = LINES_PER_INVOICE + 2 + 1  # revenue lines, two VAT lines, receivable
ENTRY_LINES_PER_PAYMENT = 2  # bank and receivable
PRODUCTS = ("Consultancy", "Licence", "Support", "Training", "Hardware", "Installation", "Hosting")


class LedgerCheckError(RuntimeError):
    """A figure of the ledger does not agree with another: the scenario fails."""


def _arguments(group: Any) -> None:
    group.add_argument(
        "--invoices", type=int, default=20_000, help=_("Customer invoices to post (default 20,000).")
    )
    group.add_argument(
        "--slice", type=int, default=1000, help=_("Invoices per measured slice (default 1,000).")
    )


def _line(rng: random.Random, tax_id: int) -> invoicing.InvoiceLineIn:
    cents = rng.randint(100, 250_000)
    quantity = Decimal(rng.choice((1, 1, 2, 3, 5, 10, 12))) + (Decimal(rng.choice((0, 0, 0, 25, 50))) / 100)
    return invoicing.InvoiceLineIn(
        description=f"{rng.choice(PRODUCTS)} {rng.randint(1, 999):03d}",
        quantity=quantity,
        unit_price=Decimal(cents) / 100,
        discount=Decimal(rng.choice((0, 0, 0, 0, 5, 10))),
        tax_id=tax_id,
        product_code=f"P{rng.randint(1, 500):04d}",
    )


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else math.inf


@bench.register(
    "ledger",
    help=_(
        "Create and post customer invoices through the services, pay half of them, then time "
        "the trial balance, profit and loss, balance sheet and aged receivables."
    ),
    arguments=_arguments,
)
def ledger(ctx: bench.BenchContext) -> None:
    count = int(ctx.options["invoices"])
    rng = random.Random(ctx.options.get("seed") or 42)  # noqa: S311 - reproducible test data
    sqlite = connection.vendor == "sqlite"

    # Set-up, not timed: a company with the Dutch chart, its fiscal years and customers.
    company = company_create(name="Bench Ledger B.V.")
    admin = user_create(
        actor=None,
        company_id=company.pk,
        username="bench-admin",
        password=None,
        roles={Role.ADMIN: Scope.COMPANY},
    )
    accountant = user_create(
        actor=admin, username="bench-finance", password=None, roles={Role.FINANCE: Scope.COMPANY}
    )
    services.chart_install(actor=accountant, template="nl")
    year = company.fiscal_year_of(timezone.localdate())
    services.fiscal_year_create(actor=accountant, year=year)
    services.fiscal_year_create(actor=accountant, year=year + 1)
    fiscal_start = dt.date(year, company.fiscal_year_start_month, company.fiscal_year_start_day)
    fiscal_end = dt.date(year + 1, fiscal_start.month, fiscal_start.day) - dt.timedelta(days=1)
    days = (fiscal_end - fiscal_start).days + 1
    taxes = dict(Tax.objects.filter(company_id=company.pk).values_list("code", "pk"))
    customers = []
    party_count = max(1, count // 10)
    with ctx.progress(_("Creating customers"), party_count) as advance:
        for i in range(party_count):
            party = party_create(
                actor=admin, kind="organisation", name=f"Klant {i + 1:06d} B.V.", roles=["customer"]
            )
            customers.append(party.pk)
            advance(1)

    # Invoices, timed: invoice_issue creates and posts each in its own transaction, as one
    # request ("Save and post", an API client booking a finished invoice) does.
    slice_size = max(1, min(int(ctx.options.get("slice") or 1000), max(1, count // 4)))
    posted: list[tuple[int, int, dt.date, Decimal]] = []  # invoice, party, date, total
    untaxed_total = Decimal(0)
    slices: list[float] = []  # invoices per second of each slice
    slices_cpu: list[float] = []  # the same by this process's CPU time
    service_seconds = slice_seconds = service_cpu = slice_cpu = 0.0
    started = time.perf_counter()
    with ctx.progress(_("Creating and posting invoices"), count) as advance:
        for index in range(count):
            party_id = customers[index % len(customers)]
            on = fiscal_start + dt.timedelta(days=index * days // count)
            pattern = TAX_PATTERNS[index % len(TAX_PATTERNS)]
            lines = [_line(rng, taxes[code]) for code in pattern]
            before, cpu_before = time.perf_counter(), time.process_time()
            invoice = invoicing.invoice_issue(
                actor=accountant,
                kind=InvoiceKind.CUSTOMER_INVOICE,
                party_id=party_id,
                date=on,
                lines=lines,
                reference=f"PO-{index + 1:07d}",
            )
            spent = time.perf_counter() - before
            cpu_spent = time.process_time() - cpu_before
            service_cpu += cpu_spent
            slice_cpu += cpu_spent
            service_seconds += spent
            slice_seconds += spent
            posted.append((invoice.pk, party_id, on, invoice.amount_total))
            untaxed_total += invoice.amount_untaxed
            if (index + 1) % slice_size == 0:
                slices.append(_rate(slice_size, slice_seconds))
                slices_cpu.append(_rate(slice_size, slice_cpu))
                slice_seconds = slice_cpu = 0.0
                advance(slice_size)
        advance(count % slice_size)
    wall = time.perf_counter() - started
    rate = _rate(count, service_seconds)
    note = _(
        "invoice_issue (create and post) of %(count)s invoices of %(lines)d lines, one transaction each"
    ) % {
        "count": f"{count:,}",
        "lines": LINES_PER_INVOICE,
    }
    if sqlite:
        ctx.record(
            bench.Measurement.at_least(
                "create + post invoice (service)",
                rate,
                _("invoices/s"),
                target=TARGET_INVOICES_PER_SECOND,
                note=note,
            )
        )
    else:
        ctx.record(
            bench.Measurement.info("create + post invoice (service)", rate, _("invoices/s"), note=note)
        )
    ctx.record(
        bench.Measurement.info(
            "create + post invoice (wall)",
            _rate(count, wall),
            _("invoices/s"),
            note=_("%.1f s including generating the data") % wall,
        )
    )
    ctx.record(
        bench.Measurement.info(
            "create + post invoice (CPU time)",
            _rate(count, service_cpu),
            _("invoices/s"),
            note=_(
                "by this process's CPU time in the services: what other load on the machine does not change"
            ),
        )
    )
    _record_slices(ctx, slices, slices_cpu, slice_size)

    # Payments, timed: half the invoices paid in full, each in its own transaction.
    bank = services.journal_for(company_id=company.pk, kind=JournalKind.BANK)
    paid = posted[::2]
    paid_total = Decimal(0)
    payment_seconds = 0.0
    with ctx.progress(_("Registering payments"), len(paid)) as advance:
        for n, (invoice_id, party_id, on, total) in enumerate(paid, start=1):
            pay_on = min(on + dt.timedelta(days=14), fiscal_end)
            before = time.perf_counter()
            payments.payment_register(
                actor=accountant,
                kind=PaymentKind.INBOUND,
                party_id=party_id,
                journal_id=bank.pk,
                date=pay_on,
                amount=total,
                allocations=[{"invoice_id": invoice_id}],
            )
            payment_seconds += time.perf_counter() - before
            paid_total += total
            if n % 250 == 0:
                advance(250)
        advance(len(paid) % 250)
    ctx.record(
        bench.Measurement.info(
            "register payment (service)",
            _rate(len(paid), payment_seconds),
            _("payments/s"),
            note=_("payment_register of %s payments, each settling one invoice in full") % f"{len(paid):,}",
        )
    )

    # Reports, timed, and their figures checked.
    company_id = company.pk
    figures: dict[str, Any] = {}

    def timed(name: str, work: Callable[[], Any], *, target: bool) -> None:
        timings = bench.time_repeated(lambda _i: figures.__setitem__(name, work()), 3, warmup=1)
        value = round(statistics.median(timings), 1)
        measure_note = _("median of 3 runs over %s journal lines") % f"{lines_count:,}"
        if target:
            ctx.record(
                bench.Measurement.at_most(name, value, "ms", target=TARGET_REPORT_MS, note=measure_note)
            )
        else:
            ctx.record(bench.Measurement.info(name, value, "ms", note=measure_note))

    lines_count = JournalLine.objects.filter(company_id=company_id).count()
    if connection.vendor == "postgresql":
        # What autovacuum does a while after a bulk load: the planner gets statistics of the
        # tables as they are now, not as they were empty.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    timed(
        "trial balance",
        lambda: reports.trial_balance(company_id=company_id, date_from=fiscal_start, date_to=fiscal_end),
        target=True,
    )
    timed(
        "profit and loss",
        lambda: reports.profit_and_loss(company_id=company_id, date_from=fiscal_start, date_to=fiscal_end),
        target=False,
    )
    timed("balance sheet", lambda: reports.balance_sheet(company_id=company_id, at=fiscal_end), target=False)
    timed(
        "aged receivables",
        lambda: aging.aging(company_id=company_id, kind=aging.RECEIVABLE, at=fiscal_end),
        target=True,
    )

    trial = figures["trial balance"]
    receivable_ids = set(aging.account_ids(company_id, aging.RECEIVABLE))
    receivable = sum(
        (row.current.closing for row in trial.rows if row.account.account_id in receivable_ids), Decimal(0)
    )
    aged = sum(figures["aged receivables"].totals.values(), Decimal(0))
    sheet = figures["balance sheet"]
    invoiced = sum((total for *_rest, total in posted), Decimal(0))
    checks = [
        bench.Measurement.equals("invoices posted", _posted(company_id), count),
        bench.Measurement.equals("invoices paid", _paid(company_id), len(paid)),
        bench.Measurement.equals(
            "journal lines",
            lines_count,
            ENTRY_LINES_PER_INVOICE * count + ENTRY_LINES_PER_PAYMENT * len(paid),
        ),
        bench.Measurement.equals(
            "trial balance: debit − credit", _cents(trial.total.debit - trial.total.credit), _cents(0)
        ),
        bench.Measurement.equals("trial balance: closing total", _cents(trial.total.closing), _cents(0)),
        bench.Measurement.equals(
            "receivable balance = invoiced − paid",
            _cents(receivable),
            _cents(invoiced - paid_total),
            unit="EUR",
        ),
        bench.Measurement.equals(
            "aged receivables total = receivable balance", _cents(aged), _cents(receivable), unit="EUR"
        ),
        bench.Measurement.equals(
            "profit and loss: income = invoiced untaxed",
            _cents(figures["profit and loss"].income.total),
            _cents(untaxed_total),
            unit="EUR",
        ),
        bench.Measurement.equals(
            "balance sheet: assets = liabilities + equity",
            _cents(sheet.assets.total),
            _cents(sheet.liabilities_and_equity),
            unit="EUR",
        ),
        bench.Measurement.equals(
            "outbox events left unrelayed", OutboxEvent.objects.filter(processed_at__isnull=True).count(), 0
        ),
    ]
    for check in checks:
        ctx.record(check)
        verdict = "[green]PASS[/green]" if check.passed else "[red]FAIL[/red]"
        ctx.console.print(f"{verdict} {check.name}: {check.value} (expected {check.target.lstrip('= ')})")
    ctx.record(bench.Measurement.info("journal lines in the database", lines_count))
    failed = [check.name for check in checks if not check.passed]
    if failed:
        raise LedgerCheckError(_("The ledger's figures disagree: %s") % "; ".join(failed))


def _cents(amount: Decimal | int) -> Decimal:
    """Amounts compared to the cent (the ledger's figures and the invoices' totals are
    stored with different scales)."""
    return Decimal(amount).quantize(Decimal("0.01"))


def _posted(company_id: int) -> int:
    return Invoice.objects.filter(company_id=company_id, state=InvoiceState.POSTED).count()


def _paid(company_id: int) -> int:
    return Invoice.objects.filter(company_id=company_id, payment_state=PaymentState.PAID).count()


def _record_slices(ctx: bench.BenchContext, slices: list[float], slices_cpu: list[float], size: int) -> None:
    """The rate of every slice of `size` invoices (at most 20 shown), and how flat it stays:
    the median rate by CPU time (which other load on the machine does not change) of the
    last tenth of the slices (at least three) against the first tenth's."""
    if not slices:
        return
    ctx.console.print(
        _("invoices/s per slice of %(size)s: %(rates)s")
        % {"size": f"{size:,}", "rates": ", ".join(f"{rate:.0f}" for rate in slices)}
    )
    ctx.console.print(
        _("by CPU time: %(rates)s") % {"rates": ", ".join(f"{rate:.0f}" for rate in slices_cpu)}
    )
    step = max(1, math.ceil(len(slices) / 20))
    shown = sorted({*range(0, len(slices), step), len(slices) - 1})
    for i in shown:
        ctx.record(
            bench.Measurement.info(f"slice {i * size + 1:,}–{(i + 1) * size:,}", slices[i], _("invoices/s"))
        )
    if len(slices_cpu) >= 4:
        tenth = max(3, len(slices_cpu) // 10)
        first = statistics.median(slices_cpu[:tenth])
        last = statistics.median(slices_cpu[-tenth:])
        ctx.record(
            bench.Measurement.at_least(
                "cost flatness (last ÷ first slices)",
                round(last / first, 2),
                "",
                target=TARGET_FLATNESS,
                note=_(
                    "median rate by CPU time of the last %(n)d slices (%(last).0f/s) "
                    "÷ the first %(n)d's (%(first).0f/s)"
                )
                % {"n": tenth, "last": last, "first": first},
            )
        )
    ctx.record(
        bench.Measurement.info(
            "slowest / fastest slice", f"{min(slices):,.0f} / {max(slices):,.0f}", _("invoices/s")
        )
    )
