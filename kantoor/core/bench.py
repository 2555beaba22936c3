"""The benchmark framework behind `kantoor bench`: named scenarios, each run on a fresh
database, reporting measured figures against their targets.

An app adds a scenario in its own `bench.py` (imported at start-up of the command by
`registry.kantoor_modules_import`, so core never imports the app):

    def arguments(group):                  # its options, shown by `kantoor bench --help`
        group.add_argument("--count", type=int, default=100_000)

    @bench.register("parties", help=_("Create parties, then time the list and search."),
                    arguments=arguments)
    def parties(ctx: bench.BenchContext) -> None:
        ...                                 # set-up through services, not timed
        ctx.record(bench.Measurement.at_least("create", rate, "parties/s", target=1000))

A scenario builds its own set-up through services (not timed), times what it measures
with `ctx.timer()` or `bench.time_repeated()`, and records `Measurement`s. Scenarios with
phases (the order-to-cash workload of ../shared/bench/ORDER_TO_CASH.md) record one
measurement per phase plus their control totals as `Measurement.equals(...)`.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kantoor.core import registry

ArgumentsHook = Callable[[Any], None]  # receives the scenario's argparse argument group


@dataclass(frozen=True)
class Measurement:
    """One measured figure, with its target and whether it met it (None: no target)."""

    name: str
    value: float | str | None
    unit: str = ""
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @classmethod
    def at_least(cls, name: str, value: float, unit: str, *, target: float, note: str = "") -> Measurement:
        return cls(name, value, unit, f"≥ {_number(target)}", value >= target, note)

    @classmethod
    def at_most(cls, name: str, value: float, unit: str, *, target: float, note: str = "") -> Measurement:
        return cls(name, value, unit, f"< {_number(target)}", value < target, note)

    @classmethod
    def equals(cls, name: str, value: Any, expected: Any, *, unit: str = "", note: str = "") -> Measurement:
        return cls(name, str(value), unit, f"= {expected}", str(value) == str(expected), note)

    @classmethod
    def info(cls, name: str, value: float | str, unit: str = "", *, note: str = "") -> Measurement:
        return cls(name, value, unit, "", None, note)

    @classmethod
    def skipped(cls, name: str, *, unit: str = "", target: str = "", note: str) -> Measurement:
        return cls(name, None, unit, target, None, note)


@dataclass
class ScenarioResult:
    scenario: str
    measurements: list[Measurement] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "measurements": [asdict(m) for m in self.measurements]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenarioResult:
        return cls(
            scenario=data["scenario"],
            seconds=data["seconds"],
            error=data["error"],
            measurements=[Measurement(**m) for m in data["measurements"]],
        )


@dataclass
class BenchContext:
    """What a running scenario gets: its options, a console, a progress bar and the results."""

    options: dict[str, Any]
    console: Console
    result: ScenarioResult

    def record(self, measurement: Measurement) -> None:
        self.result.measurements.append(measurement)

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """A progress bar on stderr; yields `advance(n)`."""
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        ) as bar:
            task = bar.add_task(description, total=total)

            def advance(n: int = 1) -> None:
                bar.advance(task, n)

            yield advance


@dataclass(frozen=True)
class Scenario:
    name: str
    help: str
    run: Callable[[BenchContext], None]
    arguments: ArgumentsHook | None = None


_scenarios: dict[str, Scenario] = {}


def register(
    name: str, *, help: str, arguments: ArgumentsHook | None = None
) -> Callable[[Callable[[BenchContext], None]], Callable[[BenchContext], None]]:
    """Register a scenario; `arguments(parser)` adds its options to `kantoor bench`."""

    def decorate(run: Callable[[BenchContext], None]) -> Callable[[BenchContext], None]:
        _scenarios[name] = Scenario(name=name, help=str(help), run=run, arguments=arguments)
        return run

    return decorate


def scenarios() -> dict[str, Scenario]:
    """Every registered scenario, after importing each installed app's `bench` module."""
    registry.kantoor_modules_import("bench")
    return dict(sorted(_scenarios.items()))


def run_scenario(scenario: Scenario, options: dict[str, Any], console: Console) -> ScenarioResult:
    """Run one scenario on the current (fresh) database; an exception becomes the result's error."""
    result = ScenarioResult(scenario=scenario.name)
    started = time.perf_counter()
    try:
        scenario.run(BenchContext(options=options, console=console, result=result))
    except Exception as exc:  # a broken scenario is reported, the others still run
        console.print_exception(max_frames=8)
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - started
    if hasattr(os, "getloadavg"):  # other work on the machine slows every wall-clock figure
        result.measurements.append(
            Measurement.info(
                "machine load (1 min average)", round(os.getloadavg()[0], 2), note=f"{os.cpu_count()} cores"
            )
        )
    return result


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0.5 = median, 0.95 = p95) of `values`."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def time_repeated(work: Callable[[int], Any], repetitions: int, *, warmup: int = 3) -> list[float]:
    """Milliseconds of `work(i)` for i in range(repetitions), after `warmup` untimed runs."""
    for i in range(warmup):
        work(i)
    timings = []
    for i in range(repetitions):
        started = time.perf_counter()
        work(i)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def latency_measurements(
    name: str, timings_ms: list[float], *, p95_target_ms: float, note: str = ""
) -> list[Measurement]:
    """p50 (informative) and p95 (against its target) of a list of timings."""
    return [
        Measurement.info(f"{name} p50", round(statistics.median(timings_ms), 2), "ms"),
        Measurement.at_most(
            f"{name} p95", round(percentile(timings_ms, 0.95), 2), "ms", target=p95_target_ms, note=note
        ),
    ]


def _number(value: float | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def results_table(results: list[ScenarioResult], *, title: str) -> Table:
    """The rich table `kantoor bench` prints: one row per measurement."""
    from django.utils.translation import gettext as _

    table = Table(title=title, title_justify="left")
    table.add_column(_("scenario"))
    table.add_column(_("measurement"))
    table.add_column(_("value"), justify="right")
    table.add_column(_("unit"))
    table.add_column(_("target"), justify="right")
    table.add_column(_("result"))
    table.add_column(_("note"), overflow="fold")
    for result in results:
        if result.error:
            table.add_row(
                result.scenario, _("(scenario failed)"), "", "", "", f"[red]{_('FAIL')}[/red]", result.error
            )
        for m in result.measurements:
            verdict = {
                True: f"[green]{_('pass')}[/green]",
                False: f"[red]{_('FAIL')}[/red]",
                None: _("skipped") if m.value is None else "",
            }[m.passed]
            table.add_row(result.scenario, m.name, _number(m.value), m.unit, m.target, verdict, m.note)
    return table


def missed(results: list[ScenarioResult]) -> list[str]:
    """Names of failed scenarios and of measurements that missed their targets."""
    names = [r.scenario for r in results if r.error]
    names += [f"{r.scenario}: {m.name}" for r in results for m in r.measurements if m.passed is False]
    return names


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database of the configured engine, yielded as a KANTOOR_DATABASE_URL
    and deleted afterwards: a temporary SQLite file, or `kantoor_bench_<pid>` on the
    configured PostgreSQL server (the role needs CREATEDB)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        directory = tempfile.mkdtemp(prefix="kantoor-bench-")
        try:
            yield f"sqlite:///{directory}/bench.sqlite3"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    if connection.vendor != "postgresql":
        raise RuntimeError(f"kantoor bench supports SQLite and PostgreSQL, not {connection.vendor}")
    name = f"kantoor_bench_{os.getpid()}"
    quoted = connection.ops.quote_name(name)
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")
        cursor.execute(f"CREATE DATABASE {quoted}")
    try:
        yield _database_url_with_name(name)
    finally:
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


def _database_url_with_name(name: str) -> str:
    """The configured PostgreSQL URL (credentials, host, options kept) naming database `name`."""
    from django.conf import settings

    configured = os.environ.get("KANTOOR_DATABASE_URL", "")
    if configured:
        return urlsplit(configured)._replace(path=f"/{name}").geturl()
    db = settings.DATABASES["default"]  # configured in code rather than by URL
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
