"""The bench framework: scenarios, figures, the table and the fresh database."""

from __future__ import annotations

import io
import os
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from rich.console import Console

from kantoor.core import bench


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert bench.percentile(values, 0.5) == 50.0
    assert bench.percentile(values, 0.95) == 95.0
    assert bench.percentile([3.0, 1.0, 2.0], 0.95) == 3.0


def test_measurements_judge_their_targets() -> None:
    assert bench.Measurement.at_least("rate", 1200, "parties/s", target=1000).passed is True
    assert bench.Measurement.at_least("rate", 999, "parties/s", target=1000).target == "≥ 1,000"
    assert bench.Measurement.at_most("p95", 50.0, "ms", target=50).passed is False
    assert bench.Measurement.equals("total", "12.50", "12.50").passed is True
    assert bench.Measurement.info("count", 3).passed is None


def test_results_table_and_missed() -> None:
    results = [
        bench.ScenarioResult(
            "parties",
            [
                bench.Measurement.at_least("create", 800.0, "parties/s", target=1000),
                bench.Measurement.at_most("search p95", 4.25, "ms", target=50),
                bench.Measurement.skipped("list p95", unit="ms", target="< 50", note="not measured"),
            ],
        ),
        bench.ScenarioResult("broken", error="ValueError: no"),
    ]
    out = io.StringIO()
    Console(file=out, width=160).print(bench.results_table(results, title="t"))
    lines = out.getvalue().splitlines()

    assert any("│ parties  │ create" in line and "800" in line and "FAIL" in line for line in lines)
    assert any("search p95" in line and "4.25" in line and "pass" in line for line in lines)
    assert any("list p95" in line and "skipped" in line and "not measured" in line for line in lines)
    assert any("(scenario failed)" in line and "ValueError: no" in line for line in lines)
    assert bench.missed(results) == ["broken", "parties: create"]


def test_results_round_trip_as_json() -> None:
    result = bench.ScenarioResult("s", [bench.Measurement.info("n", 2.5, "ms", note="x")], seconds=1.5)
    assert bench.ScenarioResult.from_dict(result.as_dict()) == result


def test_bench_lists_the_registered_scenarios() -> None:
    out = io.StringIO()
    call_command("bench", "--list", stdout=out)
    listed = out.getvalue().splitlines()
    assert any(line.startswith("parties          Create parties through the services") for line in listed)
    assert any(line.startswith("ledger           Create and post customer invoices") for line in listed)


def test_bench_refuses_an_unknown_scenario() -> None:
    with pytest.raises(
        CommandError,
        match=re.escape("Unknown scenario: nope. Available: ledger, o2c, o2c-scale, parties, stock."),
    ):
        call_command("bench", "nope", stdout=io.StringIO())


def test_fresh_sqlite_database_is_deleted_afterwards(db: Any) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the database here is not SQLite")
    with bench.fresh_database() as url:
        assert url.startswith("sqlite:///")
        assert url.endswith("/bench.sqlite3")
        directory = url.removeprefix("sqlite:///").rsplit("/", 1)[0]
        assert os.path.isdir(directory)
    assert not os.path.exists(directory)


def test_a_failing_scenario_is_reported_not_raised() -> None:
    def explode(ctx: bench.BenchContext) -> None:
        ctx.record(bench.Measurement.info("before", 1))
        raise RuntimeError("boom")

    result = bench.run_scenario(bench.Scenario("x", "", explode), {}, Console(file=io.StringIO()))

    assert result.error == "RuntimeError: boom"
    assert [m.name for m in result.measurements] == ["before", "machine load (1 min average)"]


def _bench_databases() -> list[str]:
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'kantoor_bench_%%'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.django_db
def test_fresh_postgresql_database_is_created_and_dropped() -> None:
    name = f"kantoor_bench_{os.getpid()}"

    with bench.fresh_database() as url:
        assert url.startswith("postgres")
        assert url.rsplit("/", 1)[1].split("?")[0] == name
        assert name in _bench_databases()
    assert name not in _bench_databases()
