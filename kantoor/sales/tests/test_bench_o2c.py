"""`kantoor bench o2c`: the order-to-cash workload of ../shared/bench/ORDER_TO_CASH.md through
the services, every control total checked; and our re-implementation of its plan against
the shared one."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from kantoor.sales import workload

SHARED_WORKLOAD = Path(settings.BASE_DIR).parent.parent / "shared" / "bench" / "o2c_workload.py"


def test_the_plan_and_totals_are_the_shared_workloads() -> None:
    spec = importlib.util.spec_from_file_location("o2c_workload", SHARED_WORKLOAD)
    assert spec is not None
    assert spec.loader is not None
    shared = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shared)
    for size in [(200, 100, 250, 5, 42), (200, 100, 1000, 5, 42), (7, 3, 40, 2, 9)]:
        ours, theirs = workload.plan_make(*size), shared.make_plan(*size)
        assert [(p.code, p.list_price, p.cost_price) for p in ours.products] == [
            (p.code, p.list_price, p.cost_price) for p in theirs.products
        ]
        assert [(o.customer, o.lines, o.paid) for o in ours.orders] == [
            (o.customer, o.lines, o.paid) for o in theirs.orders
        ]
        assert workload.expected_totals(ours) == shared.expected_totals(theirs)
    # The document's check values (seed 42).
    plan = workload.plan_make()
    assert [p.list_price for p in plan.products[:3]] == [
        workload.Decimal("37.48"),
        workload.Decimal("9.19"),
        workload.Decimal("91.12"),
    ]
    first = plan.orders[0]
    assert (first.customer, first.lines) == (138, [(34, 10), (55, 10), (52, 6), (29, 3), (66, 8)])
    assert [str(x) for x in workload.order_amounts(plan, first)] == ["2264.65", "475.58", "2740.23"]
    totals = workload.expected_totals(workload.plan_make(orders=250))
    assert (totals["receivable_digest"], totals["trial_balance_debit"]) == ("7b1a754ea91f9ee7", "1188539.59")


def test_bench_o2c_runs_the_workload_and_every_control_total_matches(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    env = {**os.environ, "COLUMNS": "200", "KANTOOR_DATA_DIR": str(tmp_path)}
    completed = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "kantoor", "bench", "o2c", "--orders", "30", "--customers", "12",
         "--order-products", "8", "--batch", "4", "--json", str(results)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result,) = json.loads(results.read_text())
    assert result["error"] == ""
    figures = {m["name"]: m for m in result["measurements"]}
    expected = workload.expected_totals(workload.plan_make(customers=12, products=8, orders=30))
    for key, value in expected.items():
        assert figures[key]["value"] == str(value), key
        assert figures[key]["passed"] is True
    assert figures["orders paid and done"]["passed"] is True
    assert figures["outbox events left unrelayed"]["value"] == "0"
    for phase in ("phase A: orders", "phase B: deliveries", "phase C: invoices", "phase D: payments"):
        assert figures[phase]["value"] > 0


def test_bench_o2c_scale_runs_each_size_in_its_own_company_and_reports_the_growth(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    env = {**os.environ, "COLUMNS": "200", "KANTOOR_DATA_DIR": str(tmp_path)}
    completed = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "kantoor", "bench", "o2c-scale", "--sizes", "12,6", "--customers", "5",
         "--order-products", "4", "--json", str(results)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    (result,) = json.loads(results.read_text())
    assert result["error"] == "", completed.stdout + completed.stderr
    figures = {m["name"]: m for m in result["measurements"]}
    # Smallest first, three runs of it (the best counts), then one of the largest.
    assert [name for name in figures if name.startswith("run ")] == [
        "run 1 (N = 6): control totals match",
        "run 2 (N = 6): control totals match",
        "run 3 (N = 6): control totals match",
        "run 4 (N = 12): control totals match",
    ]
    assert all(figures[name]["passed"] is True for name in figures if name.startswith("run "))
    assert figures["outbox events left unrelayed"]["value"] == "0"
    paid = workload.expected_totals(workload.plan_make(customers=5, products=4, orders=12))["invoices_paid"]
    assert figures["orders paid and done"]["value"] == str(paid)
    small, large = figures["cost per order at N = 6"]["value"], figures["cost per order at N = 12"]["value"]
    assert small > 0
    assert large > 0
    assert figures["growth of the cost per order"]["value"] == pytest.approx(100 * (large / small - 1))
    assert figures["growth of the cost per order"]["target"] == ""
    small = figures["typical cost per order at N = 6"]["value"]
    large = figures["typical cost per order at N = 12"]["value"]
    assert small > 0
    assert large > 0
    growth = figures["growth of the typical cost per order"]
    assert growth["value"] == pytest.approx(100 * (large / small - 1))
    assert growth["target"] == "< 10"
    # A wall-clock figure of a tiny run decides nothing here; the exit status follows it with --strict only.
    assert completed.returncode == 0


def test_bench_o2c_scale_needs_two_sizes(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    env = {**os.environ, "COLUMNS": "200", "KANTOOR_DATA_DIR": str(tmp_path)}
    subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "kantoor", "bench", "o2c-scale", "--sizes", "5", "--json", str(results)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    (result,) = json.loads(results.read_text())
    assert result["error"] == "ValueError: --sizes needs at least two order counts, e.g. 250,16000."
    assert [m["name"] for m in result["measurements"]] == ["machine load (1 min average)"]
