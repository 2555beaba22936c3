"""Several processes delivering the last units of a product at once: exactly what is
available is delivered, every other delivery is refused with StockUnavailableError, and
nothing is oversold (no negative quant, the stock value still equals the stock accounts)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kantoor.core.tests import processes
from kantoor.inventory.models import Move, MoveState, ProductValuation, Quant, Transfer, TransferState
from kantoor.inventory.reports import stock_accounts_balance, valuation_verify

AVAILABLE = 5

SETUP = r"""
import sys
import django

django.setup()
from django.utils import timezone
from kantoor.catalog.models import CostingMethod, Product, ProductCategory, Uom, UomCategory
from kantoor.core.models import Role, Scope
from kantoor.core.services import company_create, user_create
from kantoor.finance import services as ledger
from kantoor.inventory import services
from kantoor.parties.services import party_create

available = sys.argv[1]
company = company_create(name="Parallel Stock B.V.")
actor = user_create(actor=None, company_id=company.pk, username="parallel-keeper", password=None,
                    roles={Role.OPERATIONS: Scope.COMPANY, Role.FINANCE: Scope.COMPANY})
ledger.chart_install(actor=actor, template="generic")
ledger.fiscal_year_create(actor=actor, year=company.fiscal_year_of(timezone.localdate()))
warehouse = services.warehouse_create(actor=actor, code="WH", name="Warehouse")
units = UomCategory.objects.create(company=company, name="Units")
piece = Uom.objects.create(company=company, category=units, code="pc", name="Piece", ratio=1, rounding=1)
category = ProductCategory.objects.create(company=company, name="FIFO", costing_method=CostingMethod.FIFO)
product = Product.objects.create(company=company, sku="LAST", name="The last ones", category=category,
                                 uom=piece, purchase_uom=piece, cost=10)
supplier = party_create(actor=actor, kind="organisation", name="Supplier", roles=["supplier"])
customer = party_create(actor=actor, kind="organisation", name="Customer", roles=["customer"])
receipt = services.transfer_create(
    actor=actor, kind="receipt", warehouse_id=warehouse.pk, party_id=supplier.pk,
    lines=[services.MoveIn(product_id=product.pk, quantity=available, unit_cost="12.50")],
)
services.transfer_validate(actor=actor, transfer_id=receipt.pk)
print(company.pk, product.pk, warehouse.pk, customer.pk)
"""

WORKER = r"""
import os, sys, time
import django

django.setup()
from kantoor.core.models import User
from kantoor.inventory import services
from kantoor.inventory.errors import StockUnavailableError

username, count, product_id, warehouse_id, customer_id, go = sys.argv[1:7]
actor = User.objects.get(username=username)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
delivered = refused = 0
for _ in range(int(count)):
    transfer = services.transfer_create(actor=actor, kind="delivery", warehouse_id=int(warehouse_id),
        party_id=int(customer_id), lines=[services.MoveIn(product_id=int(product_id), quantity=1)])
    services.transfer_confirm(actor=actor, transfer_id=transfer.pk)
    try:
        services.transfer_validate(actor=actor, transfer_id=transfer.pk)
        delivered += 1
    except StockUnavailableError:
        refused += 1
        services.transfer_cancel(actor=actor, transfer_id=transfer.pk)
print(f"done {delivered} {refused}", flush=True)
"""


def _setup(env: dict[str, str]) -> list[str]:
    """The set-up script run to completion; its printed ids (its errors shown on failure)."""
    done = subprocess.run(  # noqa: S603 - this interpreter with the test's own script
        [sys.executable, "-c", SETUP, str(AVAILABLE)],
        env=env,
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def _deliver_in_parallel(env: dict[str, str], go: Path, ids: list[str], *, count: int) -> tuple[int, int]:
    """Four processes each trying `count` deliveries of one unit; (delivered, refused)."""
    _company, product, warehouse, customer = ids
    arguments = [["parallel-keeper", str(count), product, warehouse, customer, str(go)] for _ in range(4)]
    return processes.run_workers(WORKER, arguments, env=env, go=go)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_deliveries_of_the_last_units_never_oversell_on_postgresql(tmp_path: Path) -> None:
    # given 5 units in stock, committed, and four processes with their own connections
    env = processes.worker_env(processes.postgres_test_url())
    ids = _setup(env)
    company_id, product_id = int(ids[0]), int(ids[1])
    # when they all deliver one unit at a time, 3 deliveries each, at once
    delivered, refused = _deliver_in_parallel(env, tmp_path / "go", ids, count=3)
    # then exactly the 5 available are delivered, the other 7 refused, nothing oversold
    assert (delivered, refused) == (AVAILABLE, 12 - AVAILABLE)
    assert Quant.objects.filter(product_id=product_id, quantity__lt=0).count() == 0
    assert sum(q.quantity for q in Quant.objects.filter(product_id=product_id)) == 0
    assert sum(q.reserved_quantity for q in Quant.objects.filter(product_id=product_id)) == 0
    done = Move.objects.filter(product_id=product_id, state=MoveState.DONE, transfer__kind="delivery")
    assert sum(move.quantity for move in done) == AVAILABLE
    assert (
        Transfer.objects.filter(company_id=company_id, kind="delivery", state=TransferState.DONE).count() == 5
    )
    valuation = ProductValuation.objects.get(product_id=product_id)
    assert (valuation.quantity, valuation.value) == (Decimal("0"), Decimal("0.00"))
    assert stock_accounts_balance(company_id) == Decimal("0.00")
    assert valuation_verify(company_id) == []


def test_parallel_deliveries_of_the_last_units_never_oversell_on_an_sqlite_file(tmp_path: Path) -> None:
    # given a migrated SQLite file (WAL, IMMEDIATE transactions) with 5 units in stock
    env = processes.worker_env(f"sqlite:///{tmp_path / 'kantoor.sqlite3'}")
    processes.migrate(env)
    ids = _setup(env)
    # when four processes deliver one unit at a time, 2 deliveries each, at once
    delivered, refused = _deliver_in_parallel(env, tmp_path / "go", ids, count=2)
    # then exactly the 5 available are delivered, and ledger verify (stock included) is clean
    assert (delivered, refused) == (AVAILABLE, 8 - AVAILABLE)
    verify = subprocess.run(
        [sys.executable, "-m", "kantoor", "ledger", "verify"],
        env=env,
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "intact" in verify.stdout
