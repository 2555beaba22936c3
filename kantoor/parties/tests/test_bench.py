"""`kantoor bench parties`: runs on a fresh database and prints the measured figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _bench_dirs(directory: Path) -> set[str]:
    return {p.name for p in directory.glob("kantoor-bench-*")}


def test_bench_parties_runs_on_a_fresh_database_and_prints_the_table(tmp_path: Path) -> None:
    # Its own temporary directory: another bench running meanwhile (xdist) leaves its own.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    before = _bench_dirs(scratch)
    results = tmp_path / "results.json"
    env = {**os.environ, "COLUMNS": "200", "KANTOOR_DATA_DIR": str(tmp_path), "TMPDIR": str(scratch)}

    completed = subprocess.run(  # noqa: S603 - our own interpreter and command
        [
            sys.executable,
            "-m",
            "kantoor",
            "bench",
            "parties",
            "--count",
            "200",
            "--repetitions",
            "5",
            "--json",
            str(results),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    table = completed.stdout
    assert "kantoor bench on" in table
    for row in (
        "create party (wall)",
        "outbox events left unrelayed",
        "timeline entries written by the relay",
        "prefix search (25 rows) p95",
        "parties in the database",
    ):
        assert f"│ parties  │ {row}" in table, row
    (result,) = json.loads(results.read_text())
    figures = {m["name"]: m for m in result["measurements"]}
    assert result["error"] == ""
    assert figures["create party (wall)"]["unit"] == "parties/s"
    assert figures["create party (wall)"]["value"] > 0
    assert (
        figures["outbox events left unrelayed"]["value"],
        figures["outbox events left unrelayed"]["passed"],
    ) == ("0", True)
    assert figures["timeline entries written by the relay"]["value"] == "200"
    assert figures["parties in the database"]["value"] == 200
    assert figures["prefix search (25 rows) p95"]["unit"] == "ms"
    # the fresh database is gone, and the configured one was never touched
    assert _bench_dirs(scratch) == before
    assert not (tmp_path / "kantoor.sqlite3").exists()
