"""`kantoor bench stock`: moves goods through the services, times the reports and checks the
quants and the stock value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_bench_stock_moves_goods_and_checks_the_figures(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    env = {**os.environ, "COLUMNS": "200", "KANTOOR_DATA_DIR": str(tmp_path)}

    completed = subprocess.run(  # noqa: S603 - our own interpreter and command
        [
            sys.executable,
            "-m",
            "kantoor",
            "bench",
            "stock",
            "--products",
            "20",
            "--moves",
            "300",
            "--json",
            str(results),
        ],
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
    # 300 moves of 5 lines a transfer: 60 transfers, all done
    assert figures["transfers done"]["value"] == "60"
    checks = [
        "transfers done",
        "quants = done moves in − out (per product and place)",
        "stock on hand = received − delivered",
        "stock on hand = what the bench moved",
        "stock value = stock accounts balance",
        "stock value = Σ valuation layers",
        "valued quantity = stock on hand",
        "reserved left over",
        "negative quants",
        "outbox events left unrelayed",
    ]
    assert [name for name in checks if figures[name]["passed"] is not True] == []
    for name in checks:
        assert f"PASS {name}" in completed.stderr, name
    assert "FAIL" not in completed.stderr
    for name, unit in (
        ("stock moves (service)", "moves/s"),
        ("stock moves (CPU time)", "moves/s"),
        ("on hand per product (first page)", "ms"),
        ("on hand per location, warehouse (first page)", "ms"),
        ("stock valuation", "ms"),
    ):
        assert figures[name]["unit"] == unit, name
        assert figures[name]["value"] > 0, name
    for name in ("on hand per product (first page)", "stock valuation"):
        assert figures[name]["passed"] is True, name
    assert figures["stock moves in the database"]["value"] >= 300
    assert "│ stock    │ stock valuation" in completed.stdout
