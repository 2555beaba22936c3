"""`kantoor bench stock`: move goods through the transfer services — receipts from suppliers,
deliveries to customers (every other one confirmed, then validated; the rest recorded at
once with transfer_record, as receipts and internal transfers are), five lines each,
one transaction per transfer as a user's request would be — then time the on-hand and
valuation reports at that size and check the figures: the quants against the done moves,
the stock value against the stock accounts, the exact counts.

With `--moves 1000000` the reports must still answer in under a second: they read quants
and product valuations (one row per product and place), never the moves.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.models import CostingMethod, Product, ProductCategory, ProductKind, Uom, UomCategory
from kantoor.core import bench
from kantoor.core.models import OutboxEvent, Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import services as ledger
from kantoor.inventory import reports, services
from kantoor.inventory.models import (
    OWN_STOCK,
    Location,
    Move,
    MoveState,
    ProductValuation,
    Quant,
    Transfer,
    TransferState,
    ValuationLayer,
)
from kantoor.parties.services import party_create

TARGET_MOVES_PER_SECOND = 1000  # on SQLite, one transaction per transfer of five lines
TARGET_REPORT_MS = 1000
LINES_PER_TRANSFER = 5
SHELVES = 3
PARTNERS = 20
# Of every ten transfers: four receipts, four deliveries, two internal transfers (a
# delivery or an internal transfer with too little stock to take from becomes a receipt).
PLAN = (
    "receipt",
    "delivery",
    "receipt",
    "internal",
    "delivery",
    "receipt",
    "delivery",
    "receipt",
    "delivery",
    "internal",
)


class StockCheckError(RuntimeError):
    """A figure of the stock does not agree with another: the scenario fails."""


def _arguments(group: Any) -> None:
    group.add_argument("--products", type=int, default=1000, help=_("Products (default 1,000)."))
    group.add_argument(
        "--moves",
        type=int,
        default=100_000,
        help=_("Stock moves to do, five per transfer (default 100,000; try 1,000,000 for the reports)."),
    )


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else math.inf


class Stock:
    """What the bench believes is where (so it never asks for more than there is)."""

    def __init__(self) -> None:
        self.stock: dict[int, int] = defaultdict(int)  # under WH/Stock (its shelves too)
        self.output: dict[int, int] = defaultdict(int)  # at WH/Output


@bench.register(
    "stock",
    help=_(
        "Receive, deliver and move goods through the transfer services, then time the on-hand "
        "and valuation reports and check the quants and the stock value."
    ),
    arguments=_arguments,
)
def stock(ctx: bench.BenchContext) -> None:
    product_count = max(LINES_PER_TRANSFER, int(ctx.options.get("products") or 1000))
    move_count = max(LINES_PER_TRANSFER, int(ctx.options.get("moves") or 100_000))
    transfers = move_count // LINES_PER_TRANSFER
    rng = random.Random(ctx.options.get("seed") or 42)  # noqa: S311 - reproducible test data
    sqlite = connection.vendor == "sqlite"

    # Set-up, not timed: a company with the generic chart and its fiscal years, a warehouse
    # with shelves, products (half average, half FIFO), suppliers and customers.
    company = company_create(name="Bench Stock B.V.")
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
    keeper = user_create(
        actor=admin, username="bench-operations", password=None, roles={Role.OPERATIONS: Scope.COMPANY}
    )
    ledger.chart_install(actor=accountant, template="generic")
    year = company.fiscal_year_of(timezone.localdate())
    ledger.fiscal_year_create(actor=accountant, year=year)
    ledger.fiscal_year_create(actor=accountant, year=year + 1)
    warehouse = services.warehouse_create(actor=keeper, code="WH", name="Bench warehouse")
    assert warehouse.stock_location_id is not None  # noqa: S101 - made with the warehouse
    assert warehouse.output_location_id is not None  # noqa: S101
    stock_id, output_id = warehouse.stock_location_id, warehouse.output_location_id
    shelves = [
        services.location_create(actor=keeper, parent_id=stock_id, name=f"Shelf {i + 1}").pk
        for i in range(SHELVES)
    ]
    units = UomCategory.objects.create(company=company, name="Units")
    piece = Uom.objects.create(company=company, category=units, code="pc", name="Piece", ratio=1, rounding=1)
    categories = {
        method: ProductCategory.objects.create(company=company, name=str(method.label), costing_method=method)
        for method in (CostingMethod.AVERAGE, CostingMethod.FIFO)
    }
    Product.objects.bulk_create(
        [
            Product(
                company=company,
                sku=f"P{i + 1:06d}",
                name=f"Product {i + 1:06d}",
                category=categories[CostingMethod.FIFO if i % 2 else CostingMethod.AVERAGE],
                uom=piece,
                purchase_uom=piece,
                cost=Decimal(rng.randint(100, 10_000)) / 100,
                kind=ProductKind.STOCKABLE,
            )
            for i in range(product_count)
        ]
    )
    product_ids = list(Product.objects.filter(company=company).order_by("pk").values_list("pk", flat=True))
    suppliers = [
        party_create(
            actor=admin, kind="organisation", name=f"Leverancier {i + 1:03d} B.V.", roles=["supplier"]
        ).pk
        for i in range(PARTNERS)
    ]
    customers = [
        party_create(actor=admin, kind="organisation", name=f"Klant {i + 1:03d} B.V.", roles=["customer"]).pk
        for i in range(PARTNERS)
    ]

    # Transfers, timed: each created and done in one transaction (a delivery confirmed in
    # between, reserving its stock), as one request of the storekeeper would.
    known = Stock()
    counts: dict[str, int] = defaultdict(int)
    received = delivered = 0
    seconds = cpu = 0.0

    def pick(pool: dict[int, int], need: int) -> list[tuple[int, int]]:
        """Five different products with stock in `pool`, and a quantity of each."""
        chosen: dict[int, int] = {}
        for _attempt in range(40):
            if len(chosen) == LINES_PER_TRANSFER:
                break
            pk = rng.choice(product_ids)
            if pk not in chosen and pool[pk] >= need:
                chosen[pk] = rng.randint(need, min(pool[pk], 10))
        return list(chosen.items()) if len(chosen) == LINES_PER_TRANSFER else []

    delivered_count = [0]  # deliveries so far: every other one follows the order flow

    def receipt() -> None:
        nonlocal received
        lines = [
            services.MoveIn(
                product_id=pk, quantity=rng.randint(5, 40), unit_cost=Decimal(rng.randint(100, 10_000)) / 100
            )
            for pk in rng.sample(product_ids, LINES_PER_TRANSFER)
        ]
        destination = rng.choice([stock_id, *shelves])
        services.transfer_record(
            actor=keeper,
            kind="receipt",
            warehouse_id=warehouse.pk,
            party_id=rng.choice(suppliers),
            destination_id=destination,
            lines=lines,
        )
        for line in lines:
            known.stock[line.product_id] += int(line.quantity)
            received += int(line.quantity)

    def delivery(chosen: list[tuple[int, int]]) -> None:
        nonlocal delivered
        lines = [services.MoveIn(product_id=pk, quantity=q) for pk, q in chosen]
        party = rng.choice(customers)
        if delivered_count[0] % 2:
            # Handed over at once (a counter sale): one service, one transaction.
            services.transfer_record(
                actor=keeper, kind="delivery", warehouse_id=warehouse.pk, party_id=party, lines=lines
            )
        else:
            # An order's delivery: created and reserved, then picked and validated — here in
            # one transaction, as the bench counts one per transfer.
            with transaction.atomic():
                transfer = services.transfer_create(
                    actor=keeper, kind="delivery", warehouse_id=warehouse.pk, party_id=party, lines=lines
                )
                services.transfer_confirm(actor=keeper, transfer_id=transfer.pk)
                services.transfer_validate(actor=keeper, transfer_id=transfer.pk)
        delivered_count[0] += 1
        for pk, q in chosen:
            known.stock[pk] -= q
            delivered += q

    def internal(chosen: list[tuple[int, int]], *, back: bool) -> None:
        # WH/Stock → WH/Output and back: the output is beside the stock, not under it, so
        # the reservation under WH/Stock never picks the destination itself.
        source, destination = (output_id, stock_id) if back else (stock_id, output_id)
        services.transfer_record(
            actor=keeper,
            kind="internal",
            source_id=source,
            destination_id=destination,
            lines=[services.MoveIn(product_id=pk, quantity=q) for pk, q in chosen],
        )
        for pk, q in chosen:
            (known.output if back else known.stock)[pk] -= q
            (known.stock if back else known.output)[pk] += q

    started = time.perf_counter()
    with ctx.progress(_("Moving goods"), transfers) as advance:
        for index in range(transfers):
            kind = PLAN[index % len(PLAN)]
            before, cpu_before = time.perf_counter(), time.process_time()
            if kind == "delivery" and (chosen := pick(known.stock, 1)):
                delivery(chosen)
            elif kind == "internal" and (chosen := pick(known.output, 1)) and index % 20 >= 10:
                internal(chosen, back=True)
                kind = "internal back"
            elif kind == "internal" and (chosen := pick(known.stock, 1)):
                internal(chosen, back=False)
            else:
                kind = "receipt"
                receipt()
            seconds += time.perf_counter() - before
            cpu += time.process_time() - cpu_before
            counts[kind] += 1
            if (index + 1) % 100 == 0:
                advance(100)
        advance(transfers % 100)
    wall = time.perf_counter() - started
    lines_done = transfers * LINES_PER_TRANSFER
    note = _("%(transfers)s transfers of %(lines)d lines, one transaction each: %(mix)s") % {
        "transfers": f"{transfers:,}",
        "lines": LINES_PER_TRANSFER,
        "mix": ", ".join(f"{n:,} {kind}" for kind, n in sorted(counts.items())),
    }
    rate = _rate(lines_done, seconds)
    if sqlite:
        ctx.record(
            bench.Measurement.at_least(
                "stock moves (service)", rate, _("moves/s"), target=TARGET_MOVES_PER_SECOND, note=note
            )
        )
    else:
        ctx.record(bench.Measurement.info("stock moves (service)", rate, _("moves/s"), note=note))
    ctx.record(
        bench.Measurement.info(
            "stock moves (CPU time)",
            _rate(lines_done, cpu),
            _("moves/s"),
            note=_(
                "by this process's CPU time in the services: what other load on the machine does not change"
            ),
        )
    )
    ctx.record(
        bench.Measurement.info(
            "stock moves (wall)",
            _rate(lines_done, wall),
            _("moves/s"),
            note=_("%.1f s including generating the data") % wall,
        )
    )

    # Reports, timed, and the figures checked.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    move_rows = Move.objects.filter(company_id=company.pk).count()
    figures: dict[str, Any] = {}

    def timed(name: str, work: Callable[[], Any], *, target: bool = True) -> None:
        timings = bench.time_repeated(lambda _i: figures.__setitem__(name, work()), 3, warmup=1)
        value = round(statistics.median(timings), 1)
        note = _("median of 3 runs; %(moves)s moves, %(products)s products") % {
            "moves": f"{move_rows:,}",
            "products": f"{product_count:,}",
        }
        if target:
            ctx.record(bench.Measurement.at_most(name, value, "ms", target=TARGET_REPORT_MS, note=note))
        else:
            ctx.record(bench.Measurement.info(name, value, "ms", note=note))

    timed("on hand per product (first page)", lambda: reports.on_hand(actor=keeper))
    timed(
        "on hand per location, warehouse (first page)",
        lambda: reports.on_hand(actor=keeper, warehouse_id=warehouse.pk, by_location=True),
    )
    timed("stock valuation", lambda: reports.valuation(actor=accountant))
    # Informative: the value at a past date sums the valuation layers (one per valued move),
    # and the forecast the reorder check reads sums the open moves of the products asked.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    timed(
        "stock valuation at a past date",
        lambda: reports.valuation(actor=accountant, at=yesterday),
        target=False,
    )
    timed(
        "forecast of every product in the warehouse",
        lambda: reports.forecast(company_id=company.pk, product_ids=product_ids, warehouse_id=warehouse.pk),
        target=False,
    )
    valuation_report = figures["stock valuation"]
    quants_total = Quant.objects.filter(company_id=company.pk, location__usage__in=OWN_STOCK).aggregate(
        total=Sum("quantity")
    )["total"] or Decimal(0)
    checks = [
        bench.Measurement.equals("transfers done", _done_transfers(company.pk), transfers),
        bench.Measurement.equals(
            "quants = done moves in − out (per product and place)", _quants_off(company.pk), 0
        ),
        bench.Measurement.equals(
            "stock on hand = received − delivered", int(quants_total), received - delivered
        ),
        bench.Measurement.equals(
            "stock on hand = what the bench moved",
            int(quants_total),
            sum(known.stock.values()) + sum(known.output.values()),
        ),
        bench.Measurement.equals(
            "stock value = stock accounts balance",
            valuation_report.company_value,
            valuation_report.ledger_balance,
            unit="EUR",
        ),
        bench.Measurement.equals(
            "stock value = Σ valuation layers",
            _layers_total(company.pk),
            valuation_report.company_value,
            unit="EUR",
        ),
        bench.Measurement.equals(
            "valued quantity = stock on hand", _valued_quantity(company.pk), int(quants_total)
        ),
        bench.Measurement.equals("reserved left over", _reserved(company.pk), 0),
        bench.Measurement.equals(
            "negative quants", Quant.objects.filter(company_id=company.pk, quantity__lt=0).count(), 0
        ),
        bench.Measurement.equals(
            "outbox events left unrelayed", OutboxEvent.objects.filter(processed_at__isnull=True).count(), 0
        ),
    ]
    for check in checks:
        ctx.record(check)
        verdict = "[green]PASS[/green]" if check.passed else "[red]FAIL[/red]"
        ctx.console.print(f"{verdict} {check.name}: {check.value} (expected {check.target.lstrip('= ')})")
    ctx.record(bench.Measurement.info("stock moves in the database", move_rows))
    ctx.record(
        bench.Measurement.info(
            "valuation layers", ValuationLayer.objects.filter(company_id=company.pk).count()
        )
    )
    ctx.record(bench.Measurement.info("stock value", str(valuation_report.company_value), "EUR"))
    failed = [check.name for check in checks if not check.passed]
    if failed:
        raise StockCheckError(_("The stock's figures disagree: %s") % "; ".join(failed))


def _done_transfers(company_id: int) -> int:
    return Transfer.objects.filter(company_id=company_id, state=TransferState.DONE).count()


def _quants_off(company_id: int) -> int:
    """How many (product, own location) quants differ from Σ done moves in − Σ out there,
    both summed in SQL."""
    own = set(
        Location.objects.filter(company_id=company_id, usage__in=OWN_STOCK).values_list("pk", flat=True)
    )
    done = Move.objects.filter(company_id=company_id, state=MoveState.DONE)
    expected: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for product_id, location_id, total in (
        done.filter(destination_id__in=own)
        .values_list("product_id", "destination_id")
        .annotate(total=Sum("quantity"))
    ):
        expected[(product_id, location_id)] += Decimal(str(total))
    for product_id, location_id, total in (
        done.filter(source_id__in=own).values_list("product_id", "source_id").annotate(total=Sum("quantity"))
    ):
        expected[(product_id, location_id)] -= Decimal(str(total))
    actual = {
        (product_id, location_id): Decimal(str(quantity))
        for product_id, location_id, quantity in Quant.objects.filter(
            company_id=company_id, location_id__in=own
        )
        .values("product_id", "location_id")
        .annotate(total=Sum("quantity"))
        .values_list("product_id", "location_id", "total")
    }
    keys = {key for key, value in expected.items() if value} | {key for key, value in actual.items() if value}
    return sum(1 for key in keys if expected.get(key, Decimal(0)) != actual.get(key, Decimal(0)))


def _layers_total(company_id: int) -> Decimal:
    return reports.stock_value(company_id, at=timezone.localdate() + dt.timedelta(days=366))


def _valued_quantity(company_id: int) -> int:
    total = ProductValuation.objects.filter(company_id=company_id).aggregate(total=Sum("quantity"))["total"]
    return int(total or 0)


def _reserved(company_id: int) -> int:
    total = Quant.objects.filter(company_id=company_id).aggregate(total=Sum("reserved_quantity"))["total"]
    return int(total or 0)
