"""Gapless document numbers per (company, sequence, fiscal year), also under concurrency."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from django.db import transaction

from kantoor.core.models import AuditEntry, NumberSequence
from kantoor.core.numbering import number_allocate
from kantoor.core.services import company_create
from kantoor.core.tests import processes

SPRING = dt.date(2026, 5, 4)


def allocate(company_id: int, code: str = "INV", on: dt.date = SPRING, prefix: str = "") -> str:
    with transaction.atomic():
        return number_allocate(company_id=company_id, code=code, on=on, prefix=prefix)


@pytest.mark.django_db
def test_numbers_are_sequential_in_the_documented_format(company):
    assert [allocate(company.pk) for _ in range(3)] == ["INV-2026-00001", "INV-2026-00002", "INV-2026-00003"]
    sequence = NumberSequence.objects.get(company=company, code="INV")
    assert (sequence.year, sequence.prefix, sequence.next_number) == (2026, "INV", 4)


@pytest.mark.django_db
def test_sequences_are_separate_per_company_code_and_fiscal_year(company, other_company):
    assert allocate(company.pk) == "INV-2026-00001"
    assert allocate(other_company.pk) == "INV-2026-00001"
    assert allocate(company.pk, code="cn", prefix="CRN") == "CRN-2026-00001"
    assert allocate(company.pk, code="cn") == "CRN-2026-00002"  # the prefix is the sequence's own
    assert allocate(company.pk, on=dt.date(2027, 1, 1)) == "INV-2027-00001"
    assert allocate(company.pk) == "INV-2026-00002"
    assert allocate(other_company.pk) == "INV-2026-00002"


@pytest.mark.django_db
def test_the_fiscal_year_follows_the_companys_start(company):
    april = company_create(
        name="Tea Importers Ltd",
        country="GB",
        base_currency="GBP",
        time_zone="Europe/London",
        fiscal_year_start_month=4,
        fiscal_year_start_day=1,
    )
    assert allocate(april.pk, on=dt.date(2026, 3, 31)) == "INV-2025-00001"
    assert allocate(april.pk, on=dt.date(2026, 4, 1)) == "INV-2026-00001"
    assert allocate(april.pk, on=dt.date(2027, 3, 31)) == "INV-2026-00002"
    assert allocate(april.pk, on=dt.date(2025, 4, 1)) == "INV-2025-00002"
    # the calendar-year company numbers the same days by calendar year
    assert allocate(company.pk, on=dt.date(2026, 3, 31)) == "INV-2026-00001"


def allocate_then_fail(company_id: int, code: str = "INV") -> None:
    """A posting that takes a number, then fails: its transaction rolls back."""
    with transaction.atomic():
        number_allocate(company_id=company_id, code=code, on=SPRING)
        raise LookupError("the posting failed")


@pytest.mark.django_db
def test_a_rolled_back_allocation_leaves_no_gap(company):
    assert allocate(company.pk) == "INV-2026-00001"
    with pytest.raises(LookupError):
        allocate_then_fail(company.pk)
    assert allocate(company.pk) == "INV-2026-00002"
    assert NumberSequence.objects.get(company=company, code="INV").next_number == 3


@pytest.mark.django_db
def test_a_rolled_back_first_allocation_leaves_no_sequence(company):
    with pytest.raises(LookupError):
        allocate_then_fail(company.pk, code="PO")
    assert NumberSequence.objects.filter(company=company).count() == 0
    assert allocate(company.pk, code="PO") == "PO-2026-00001"


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused(company):
    with pytest.raises(RuntimeError, match="inside the posting transaction"):
        number_allocate(company_id=company.pk, code="INV", on=SPRING)
    assert NumberSequence.objects.count() == 0


# --- several processes, each with its own database connection -------------------------------

WORKER = r"""
import datetime as dt, os, random, sys, time
import django

django.setup()
from django.db import transaction
from kantoor.core.models import AuditEntry
from kantoor.core.numbering import number_allocate
from kantoor.core.services import company_create
from kantoor.core.tests import processes

if sys.argv[1] == "setup":
    print(company_create(name="Concurrent B.V.").pk)
    sys.exit()
company_id, count, seed, go = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
committed = rolled_back = 0
for _ in range(count):
    try:
        with transaction.atomic():
            number = number_allocate(company_id=company_id, code="INV", on=dt.date(2026, 6, 1))
            # the 'document' that uses the number, committed or rolled back with it
            AuditEntry.objects.create(company_id=company_id, action="numbered", model="test.number",
                                      object_id=number, object_repr=f"worker {seed}")
            time.sleep(rng.random() / 200)  # hold the sequence a moment: others queue up
            if rng.random() < 0.3:
                raise LookupError("this posting fails")
        committed += 1
    except LookupError:
        rolled_back += 1
print(f"done {committed} {rolled_back}", flush=True)
"""


def _run_workers(env: dict[str, str], company_id: int, go: Path, *, count: int) -> tuple[int, int]:
    """Four processes allocating `count` numbers each; (committed, rolled back)."""
    arguments = [[str(company_id), str(count), str(seed), str(go)] for seed in range(4)]
    return processes.run_workers(WORKER, arguments, env=env, go=go, timeout=120)


def _expected(n: int) -> list[str]:
    return [f"INV-2026-{i:05d}" for i in range(1, n + 1)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_processes_allocate_gapless_numbers_on_postgresql(tmp_path):
    # given a company committed to the test database, and four processes with their own connections
    company = company_create(name="Parallel B.V.")
    url = processes.postgres_test_url()
    # when they allocate numbers at the same time, and about a third of their postings roll back
    committed, rolled_back = _run_workers(processes.worker_env(url), company.pk, tmp_path / "go", count=30)
    # then the committed numbers are exactly 1..N: no gap, no duplicate
    assert committed + rolled_back == 120
    assert rolled_back > 0
    numbers = sorted(AuditEntry.objects.filter(model="test.number").values_list("object_id", flat=True))
    assert numbers == _expected(committed)
    assert NumberSequence.objects.get(company=company, code="INV").next_number == committed + 1


def test_parallel_processes_allocate_gapless_numbers_on_an_sqlite_file(tmp_path):
    # given a migrated SQLite file (WAL, IMMEDIATE transactions) and a company in it
    path = tmp_path / "kantoor.sqlite3"
    env = processes.worker_env(f"sqlite:///{path}")
    processes.migrate(env)
    company_id = int(processes.run_script(WORKER, "setup", env=env))
    # when four processes allocate numbers at the same time, some postings rolling back
    committed, rolled_back = _run_workers(env, company_id, tmp_path / "go", count=25)
    # then the committed numbers are exactly 1..N
    assert committed + rolled_back == 100
    assert rolled_back > 0
    with sqlite3.connect(path) as db:
        numbers = sorted(
            n for (n,) in db.execute("SELECT object_id FROM core_auditentry WHERE model = 'test.number'")
        )
        (next_number,) = db.execute(
            "SELECT next_number FROM core_numbersequence WHERE code = 'INV'"
        ).fetchone()
        (journal_mode,) = db.execute("PRAGMA journal_mode").fetchone()
    assert numbers == _expected(committed)
    assert next_number == committed + 1
    assert journal_mode == "wal"
