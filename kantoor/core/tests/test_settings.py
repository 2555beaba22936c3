"""Settings: production variables pass Django's deployment checks; the embedded default is
SQLite in WAL mode with IMMEDIATE transactions, working on a fresh clone."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def kantoor(*args: str, env: dict[str, str], code: str = "") -> subprocess.CompletedProcess[str]:
    """Run `python -m kantoor …` (or a snippet of Python) with exactly the KANTOOR_* variables given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KANTOOR_", "DJANGO_"))}
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "kantoor", *args]
    return subprocess.run(  # noqa: S603 - this interpreter with the test's own arguments
        command, env={**clean, **env}, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    production = {
        "KANTOOR_SECRET_KEY": secrets.token_urlsafe(64),
        "KANTOOR_DEBUG": "false",
        "KANTOOR_SECURE": "true",
        "KANTOOR_ALLOWED_HOSTS": "erp.example.com",
        "KANTOOR_CSRF_TRUSTED_ORIGINS": "https://erp.example.com",
        "KANTOOR_DATA_DIR": str(tmp_path / "var"),
    }
    result = kantoor("check", "--deploy", "--fail-level", "WARNING", env=production)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_trial_defaults_fail_the_deployment_checks(tmp_path):
    result = kantoor(
        "check", "--deploy", "--fail-level", "WARNING", env={"KANTOOR_DATA_DIR": str(tmp_path / "var")}
    )
    assert result.returncode == 1
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012", "security.W016"):
        assert warning in result.stderr


SQLITE_PROBE = """
import sqlite3
import django
django.setup()
from django.conf import settings
from django.db import connection, transaction

pragmas = {p: connection.cursor().execute(f"PRAGMA {p}").fetchone()[0]
           for p in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}
print(connection.settings_dict["NAME"])
print(connection.transaction_mode, pragmas)
with transaction.atomic():  # IMMEDIATE: the write lock is taken at BEGIN, before any write
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        print("second writer got in")
    except sqlite3.OperationalError as exc:
        print("second writer:", exc)
"""


def test_the_default_database_is_sqlite_in_wal_mode_with_immediate_transactions(tmp_path):
    # given a fresh clone: no data directory yet, no database URL
    data_dir = tmp_path / "fresh" / "var"
    result = kantoor(
        env={"KANTOOR_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "kantoor.settings"},
        code=SQLITE_PROBE,
    )
    assert result.returncode == 0, result.stderr
    name, modes, writer = result.stdout.splitlines()
    # then the file is made in the data directory, in WAL mode, and writers queue at BEGIN
    assert name == str(data_dir / "kantoor.sqlite3")
    assert (data_dir / "kantoor.sqlite3").exists()
    assert (
        modes
        == "IMMEDIATE {'journal_mode': 'wal', 'foreign_keys': 1, 'busy_timeout': 20000, 'synchronous': 1}"
    )
    assert writer == "second writer: database is locked"
