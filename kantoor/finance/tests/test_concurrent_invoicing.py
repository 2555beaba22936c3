"""Several processes posting invoices at once: the invoice numbers stay gapless and unique
(a refused posting gives its number back), and so do the sales journal's entry numbers.
Several processes paying the same invoices at once never settle more than is due."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kantoor.core.tests import processes
from kantoor.finance.models import Invoice, Match, OpenItem
from kantoor.finance.verify import ledger_verify

SETUP = r"""
import datetime as dt
import django

django.setup()
from kantoor.core.models import Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import services
from kantoor.parties.services import party_create

company = company_create(name="Parallel Invoicing B.V.")
actor = user_create(actor=None, company_id=company.pk, username="parallel-invoicer",
                    password="Kantoor-test-2026!", email="invoicer@example.test",
                    first_name="Para", last_name="Llel",
                    roles={Role.FINANCE: Scope.COMPANY}, language="en")
services.chart_install(actor=actor, template="generic")
services.fiscal_year_create(actor=actor, year=2026)
services.lock_date_set(actor=actor, lock_date=dt.date(2026, 1, 31))
party_create(actor=actor, kind="organisation", name="Acme B.V.")
print(company.pk)
"""

# Each worker creates `count` invoices and posts them; about a third are dated in January,
# on or before the lock date, so their posting is refused after a number was taken.
WORKER = r"""
import datetime as dt, os, random, sys, time
from decimal import Decimal
import django

django.setup()
from kantoor.core.errors import DomainError
from kantoor.core.models import User
from kantoor.finance import invoicing
from kantoor.finance.models import Tax
from kantoor.parties.models import Party

username, count, seed, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
actor = User.objects.get(username=username)
party = Party.objects.get(company_id=actor.company_id, name="Acme B.V.")
v21 = Tax.objects.get(company_id=actor.company_id, code="V21")
rng = random.Random(seed)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
posted = refused = 0
for _ in range(count):
    on = dt.date(2026, 1, 15) if rng.random() < 0.3 else dt.date(2026, rng.randint(2, 12), 15)
    draft = invoicing.invoice_create(
        actor=actor, kind="customer_invoice", party_id=party.pk, date=on,
        lines=[{"description": "Work", "quantity": str(rng.randint(1, 9)),
                "unit_price": str(Decimal(rng.randint(1, 100000)) / 100), "tax_id": v21.pk}],
    )
    try:
        invoicing.invoice_post(actor=actor, invoice_id=draft.pk)
        posted += 1
    except DomainError:
        refused += 1
print(f"done {posted} {refused}", flush=True)
"""


def _post_in_parallel(env: dict[str, str], go: Path, *, count: int) -> tuple[int, int]:
    """Four processes posting `count` invoices each; (posted, refused)."""
    arguments = [["parallel-invoicer", str(count), str(seed), str(go)] for seed in range(4)]
    return processes.run_workers(WORKER, arguments, env=env, go=go)


def _assert_gapless(company_id: int, posted: int, refused: int) -> None:
    numbers = sorted(
        Invoice.objects.filter(company_id=company_id, state="posted").values_list("number", flat=True)
    )
    assert numbers == [f"INV-2026-{i:05d}" for i in range(1, posted + 1)]
    assert Invoice.objects.filter(company_id=company_id, state="draft", number="").count() == refused


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_invoice_posting_keeps_the_invoice_numbers_gapless_on_postgresql(tmp_path):
    # given a company with a ledger and a lock date, committed, and four processes
    env = processes.worker_env(processes.postgres_test_url())
    company_id = int(processes.run_script(SETUP, env=env))
    # when they all post invoices at once, some into the locked January
    posted, refused = _post_in_parallel(env, tmp_path / "go", count=15)
    # then the posted invoices are INV-2026-00001..N without gap or duplicate; the refused
    # stay drafts without a number, and the ledger (sales journal numbers, chain) is intact
    assert posted + refused == 60
    assert refused > 0
    _assert_gapless(company_id, posted, refused)
    assert ledger_verify(company_id=company_id) == []


def test_parallel_invoice_posting_keeps_the_invoice_numbers_gapless_on_an_sqlite_file(tmp_path):
    env = processes.worker_env(f"sqlite:///{tmp_path / 'kantoor.sqlite3'}")
    processes.migrate(env)
    processes.run_script(SETUP, env=env)
    posted, refused = _post_in_parallel(env, tmp_path / "go", count=8)
    assert posted + refused == 32
    assert refused > 0
    check = r"""
import django

django.setup()
from kantoor.finance.models import Invoice, Match, OpenItem

print(" ".join(sorted(Invoice.objects.filter(state="posted").values_list("number", flat=True))))
print(Invoice.objects.filter(state="draft", number="").count())
"""
    numbers, drafts = processes.run_script(check, env=env).splitlines()
    assert numbers.split() == [f"INV-2026-{i:05d}" for i in range(1, posted + 1)]
    assert int(drafts) == refused
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


# Each worker pays every invoice (in its own order) with 60.00 received, allocated to it:
# whoever comes first settles 60, the next the 40 left (20 stays open credit), later ones
# find it paid and are refused.
PAYER = r"""
import datetime as dt, os, random, sys, time
import django

django.setup()
from kantoor.core.errors import DomainError
from kantoor.core.models import User
from kantoor.finance import payments
from kantoor.finance.models import Invoice, Journal

username, seed, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
actor = User.objects.get(username=username)
bank = Journal.objects.get(company_id=actor.company_id, code="BNK")
posted = Invoice.objects.filter(company_id=actor.company_id, state="posted")
invoices = list(posted.values_list("pk", "party_id"))
random.Random(seed).shuffle(invoices)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
paid = refused = 0
for invoice_id, party_id in invoices:
    try:
        payments.payment_register(
            actor=actor, kind="inbound", party_id=party_id, journal_id=bank.pk,
            date=dt.date(2026, 6, 1), amount="60.00", allocations=[{"invoice_id": invoice_id}],
        )
        paid += 1
    except DomainError:
        refused += 1
print(f"done {paid} {refused}", flush=True)
"""

INVOICES = r"""
import datetime as dt
import django

django.setup()
from kantoor.core.models import User
from kantoor.finance import invoicing
from kantoor.parties.models import Party

actor = User.objects.get(username="parallel-invoicer")
party = Party.objects.get(company_id=actor.company_id, name="Acme B.V.")
for _ in range(6):
    draft = invoicing.invoice_create(
        actor=actor, kind="customer_invoice", party_id=party.pk, date=dt.date(2026, 5, 1),
        lines=[{"description": "Work", "quantity": "1", "unit_price": "100.00"}],
    )
    invoicing.invoice_post(actor=actor, invoice_id=draft.pk)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_payments_of_the_same_invoices_never_settle_more_than_is_due_on_postgresql(tmp_path):
    # given six posted invoices of 100.00, committed
    env = processes.worker_env(processes.postgres_test_url())
    company_id = int(processes.run_script(SETUP, env=env))
    processes.run_script(INVOICES, env=env)
    # when four processes each pay every invoice 60.00 at once
    arguments = [["parallel-invoicer", str(seed), str(tmp_path / "go")] for seed in range(4)]
    paid, refused = processes.run_workers(PAYER, arguments, env=env, go=tmp_path / "go")
    # then each invoice was paid by exactly two of them (60 + 40) and refused to the others
    assert (paid, refused) == (12, 12)
    for invoice in Invoice.objects.filter(company_id=company_id):
        assert (invoice.payment_state, invoice.amount_residual) == ("paid", 0)
        settled = sorted(
            Match.objects.filter(debit_item__entry_id=invoice.entry_id).values_list("amount", flat=True)
        )
        assert settled == [Decimal("40.00"), Decimal("60.00")]
    # and the party's open items add up: 12 × 60.00 received less 6 × 100.00 due = 120.00 credit
    items = OpenItem.objects.filter(company_id=company_id, account__code="1100")
    assert sum(item.residual for item in items) == Decimal("-120.00")
    assert ledger_verify(company_id=company_id) == []
