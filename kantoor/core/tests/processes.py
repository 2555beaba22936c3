"""Test support: run Python scripts in separate processes against a real database, so
concurrency tests see separate connections racing for the same rows (numbering, posting).

Each worker script prints "ready", waits until the `go` file exists (so all start at once),
works, then prints "done <succeeded> <failed>"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def worker_env(database_url: str) -> dict[str, str]:
    """This machine's environment with only the given database (no other KANTOOR_ settings)
    and the outbox left to the worker, as in production."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANTOOR_")}
    return {
        **env,
        "KANTOOR_DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "kantoor.settings",
        "KANTOOR_OUTBOX_INLINE": "false",
    }


def postgres_test_url() -> str:
    """The URL of the PostgreSQL test database the test itself is connected to."""
    db = connection.settings_dict
    return (
        f"postgres://{quote(db['USER'], safe='')}:{quote(str(db['PASSWORD']), safe='')}"
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def run_script(script: str, *args: str, env: dict[str, str], timeout: int = 120) -> str:
    """Run `script` to completion in a fresh interpreter; its standard output."""
    done = subprocess.run(  # noqa: S603 - this interpreter with the test's own script
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.stdout


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "kantoor", "migrate", "--skip-checks", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )


def run_workers(
    script: str, args_per_worker: list[list[str]], *, env: dict[str, str], go: Path, timeout: int = 180
) -> tuple[int, int]:
    """Start one process per argument list, let them begin at once, and sum what they report."""
    procs = [
        subprocess.Popen(  # noqa: S603 - this interpreter with the test's own script
            [sys.executable, "-c", script, *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in args_per_worker
    ]
    succeeded = failed = 0
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        go.touch()
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err
            _, done, refused = out.split()
            succeeded, failed = succeeded + int(done), failed + int(refused)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return succeeded, failed
