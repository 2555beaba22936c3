"""Several processes posting into one journal at once on PostgreSQL: the numbers stay
gapless and unique and the hash chain stays intact, also when postings are refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kantoor.core.tests import processes
from kantoor.finance.models import EntryState, JournalEntry
from kantoor.finance.verify import ledger_verify

SETUP = r"""
import django

django.setup()
from kantoor.core.models import Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import services

company = company_create(name="Parallel Ledger B.V.")
actor = user_create(actor=None, company_id=company.pk, username="parallel-accountant",
                    password="Kantoor-test-2026!", email="parallel@example.test",
                    first_name="Para", last_name="Llel",
                    roles={Role.FINANCE: Scope.COMPANY}, language="en")
services.chart_install(actor=actor, template="generic")
services.fiscal_year_create(actor=actor, year=2026)
print(company.pk)
"""

WORKER = r"""
import datetime as dt, os, random, sys, time
from decimal import Decimal
import django

django.setup()
from kantoor.core.errors import DomainError
from kantoor.core.models import User
from kantoor.finance import services
from kantoor.finance.models import Account, Journal

username, count, seed, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
actor = User.objects.get(username=username)
journal = Journal.objects.get(company_id=actor.company_id, code="GEN")
rent, bank = (Account.objects.get(company_id=actor.company_id, code=c).pk for c in ("6100", "1000"))
rng = random.Random(seed)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
posted = refused = 0
for _ in range(count):
    amount = Decimal(rng.randint(1, 100000)) / 100
    balanced = rng.random() > 0.3
    entry = services.entry_create(
        actor=actor, journal_id=journal.pk, date=dt.date(2026, 6, 1),
        lines=[{"account_id": rent, "debit": amount},
               {"account_id": bank, "credit": amount if balanced else amount + Decimal("0.01")}],
    )
    try:
        services.entry_post(actor=actor, entry_id=entry.pk)
        posted += 1
    except DomainError:
        refused += 1
print(f"done {posted} {refused}", flush=True)
"""


def _post_in_parallel(env: dict[str, str], go: Path, *, count: int = 20) -> tuple[int, int]:
    """Four processes posting `count` entries each; (posted, refused)."""
    arguments = [["parallel-accountant", str(count), str(seed), str(go)] for seed in range(4)]
    return processes.run_workers(WORKER, arguments, env=env, go=go)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_posting_keeps_numbers_gapless_and_the_chain_intact_on_postgresql(tmp_path):
    # given a company with a ledger, committed, and four processes with their own connections
    env = processes.worker_env(processes.postgres_test_url())
    company_id = int(processes.run_script(SETUP, env=env))
    # when they all post at once, about a third of their entries unbalanced
    posted, refused = _post_in_parallel(env, tmp_path / "go")
    # then the posted entries are numbered 1..N without gap or duplicate, and chained
    assert posted + refused == 80
    assert refused > 0
    numbers = sorted(
        JournalEntry.objects.filter(company_id=company_id, state=EntryState.POSTED).values_list(
            "number", flat=True
        )
    )
    assert numbers == [f"GEN-2026-{i:05d}" for i in range(1, posted + 1)]
    assert JournalEntry.objects.filter(company_id=company_id, state=EntryState.DRAFT).count() == refused
    assert ledger_verify(company_id=company_id) == []


def test_parallel_posting_keeps_numbers_gapless_and_the_chain_intact_on_an_sqlite_file(tmp_path):
    # given a migrated SQLite file (WAL, IMMEDIATE transactions) with a company and its ledger
    env = processes.worker_env(f"sqlite:///{tmp_path / 'kantoor.sqlite3'}")
    processes.migrate(env)
    processes.run_script(SETUP, env=env)
    # when four processes post at once, some entries unbalanced
    posted, refused = _post_in_parallel(env, tmp_path / "go", count=15)
    # then ledger verify (run in that database) finds gapless numbers and an intact chain
    assert posted + refused == 60
    assert refused > 0
    verify = subprocess.run(
        [sys.executable, "-m", "kantoor", "ledger", "verify"],
        env=env,
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "intact" in verify.stdout
