"""`kantoor bench ledger`: posts invoices, pays half, times the reports and checks their figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_bench_ledger_posts_pays_and_checks_the_reports(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    env = {**os.environ, "COLUMNS": "200", "KANTOOR_DATA_DIR": str(tmp_path)}

    completed = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "kantoor", "bench", "ledger", "--invoices", "200", "--json", str(results)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result,) = json.loads(results.read_text())
    assert result["error"] == ""
    figures = {m["name"]: m for m in result["measurements"]}
    # Exact counts: 200 invoices of 5 lines, each entry 5 revenue + 2 VAT + 1 receivable
    # lines; 100 payments of 2 lines.
    assert figures["invoices posted"]["value"] == "200"
    assert figures["invoices paid"]["value"] == "100"
    assert figures["journal lines"]["value"] == "1800"
    assert figures["journal lines in the database"]["value"] == 1800
    checks = [
        "invoices posted",
        "invoices paid",
        "journal lines",
        "trial balance: debit − credit",
        "trial balance: closing total",
        "receivable balance = invoiced − paid",
        "aged receivables total = receivable balance",
        "profit and loss: income = invoiced untaxed",
        "balance sheet: assets = liabilities + equity",
        "outbox events left unrelayed",
    ]
    assert [name for name in checks if figures[name]["passed"] is not True] == []
    assert figures["trial balance: debit − credit"]["value"] == "0.00"
    for name in checks:
        assert f"PASS {name}" in completed.stderr, name
    assert "FAIL" not in completed.stderr
    for name, unit in (
        ("create + post invoice (service)", "invoices/s"),
        ("register payment (service)", "payments/s"),
        ("trial balance", "ms"),
        ("profit and loss", "ms"),
        ("balance sheet", "ms"),
        ("aged receivables", "ms"),
    ):
        assert figures[name]["unit"] == unit, name
        assert figures[name]["value"] > 0, name
    # four slices of 50 invoices each
    assert [name for name in figures if name.startswith("slice ")] == [
        "slice 1–50",
        "slice 51–100",
        "slice 101–150",
        "slice 151–200",
    ]
    assert "│ ledger   │ trial balance" in completed.stdout
