"""Story: make to stock.

The workshop keeps oak tables between 2 and 6. When the reorder check finds the tables
below the minimum, it announces it (StockBelowMinimum, route "manufacture"); manufacturing
drafts a production order for the missing tables after the table's bill of materials. The
planner confirms it — the planks and screws are reserved — and the workshop makes the
tables in two runs. Then the tables are in stock at the planks' and screws' value plus
the hours at the workbench, the components are gone from stock, and stock and ledger
agree: the stock accounts hold exactly the valuation of every product.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from kantoor.catalog.models import CostingMethod, Product, ProductCategory, Uom, UomCategory
from kantoor.core.outbox import publish, run_pending_events
from kantoor.finance import services as ledger
from kantoor.finance.models import Account, AccountRole, JournalLine
from kantoor.inventory import services as inventory
from kantoor.inventory.events import StockBelowMinimum
from kantoor.inventory.models import LocationUsage, ProductValuation, Quant
from kantoor.inventory.reordering import reorder_rule_set
from kantoor.manufacturing import services as manufacturing
from kantoor.manufacturing.models import ProductionOrder, ProductionState
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db


def _balance(company, role):
    total = Decimal(0)
    accounts = Account.objects.filter(company=company, role=role)
    for line in JournalLine.objects.filter(account__in=accounts, state="posted"):
        total += line.debit - line.credit
    return total


def _on_hand(product):
    return sum(
        (q.quantity for q in Quant.objects.filter(product=product, location__usage=LocationUsage.INTERNAL)),
        Decimal(0),
    )


def test_make_to_stock(company, make_user):
    planner = make_user("operations", username="otto")
    accountant = make_user("finance", username="fiona")
    ledger.chart_install(actor=accountant, template="generic")
    ledger.fiscal_year_create(actor=accountant, year=company.fiscal_year_of(timezone.localdate()))
    units = UomCategory.objects.create(company=company, name="Units")
    pc = Uom.objects.create(company=company, category=units, code="pc", name="Piece", ratio=1, rounding=1)
    wood = ProductCategory.objects.create(company=company, name="Wood", costing_method=CostingMethod.AVERAGE)

    def product(sku):
        return Product.objects.create(
            company=company, sku=sku, name=sku.title(), category=wood, uom=pc, purchase_uom=pc
        )

    plank, screw, table = product("PLANK"), product("SCREW"), product("TABLE")
    warehouse = inventory.warehouse_create(actor=planner, code="WS", name="Workshop")
    supplier = party_create(actor=planner, kind="organisation", name="Houthandel B.V.", roles=["supplier"])
    receipt = inventory.transfer_create(
        actor=planner,
        kind="receipt",
        warehouse_id=warehouse.pk,
        party_id=supplier.pk,
        lines=[
            inventory.MoveIn(product_id=plank.pk, quantity="20", unit_cost="12.50"),
            inventory.MoveIn(product_id=screw.pk, quantity="200", unit_cost="0.04"),
        ],
    )
    inventory.transfer_validate(actor=planner, transfer_id=receipt.pk)
    bench = manufacturing.work_centre_create(
        actor=planner, code="BENCH", name="Workbench", cost_per_hour="38"
    )
    bom = manufacturing.bom_create(
        actor=planner,
        product_id=table.pk,
        code="TABLE-OAK",
        components=[
            manufacturing.ComponentIn(product_id=plank.pk, quantity="4"),
            manufacturing.ComponentIn(product_id=screw.pk, quantity="24"),
        ],
        operations=[manufacturing.OperationIn(work_centre_id=bench.pk, name="Assemble", hours="1.5")],
    )
    rule = reorder_rule_set(
        actor=planner,
        warehouse_id=warehouse.pk,
        product_id=table.pk,
        min_quantity="2",
        max_quantity="4",
        route="manufacture",
    )

    # given the reorder check finds no tables and announces the 4 missing
    with transaction.atomic():
        publish(
            StockBelowMinimum(
                company_id=company.pk,
                rule_id=rule.pk,
                product_id=table.pk,
                warehouse_id=warehouse.pk,
                quantity="4",
                route="manufacture",
            )
        )
    run_pending_events()

    # then manufacturing has drafted an order for them after the table's BOM
    order = ProductionOrder.objects.get()
    assert (order.state, order.bom_id, order.quantity, order.warehouse_id) == (
        ProductionState.DRAFT,
        bom.pk,
        Decimal("4"),
        warehouse.pk,
    )

    # when the planner confirms it, the planks and screws are reserved
    order = manufacturing.production_order_confirm(actor=planner, order_id=order.pk)
    assert order.availability == "ready"

    # and the workshop makes one table (2 hours, not 1.5), then the other three
    order = manufacturing.production_order_produce(
        actor=planner,
        order_id=order.pk,
        quantity="1",
        hours=[manufacturing.HoursIn(work_centre_id=bench.pk, hours="2")],
    )
    assert order.state == ProductionState.IN_PROGRESS
    order = manufacturing.production_order_produce(actor=planner, order_id=order.pk, quantity="3")
    run_pending_events()

    # then four tables are in stock at 4 × (4 × 12.50 + 24 × 0.04) plus 6.5 hours × 38
    assert order.state == ProductionState.DONE
    assert (order.components_cost, order.work_cost) == (Decimal("203.84"), Decimal("247.00"))
    assert _on_hand(table) == Decimal("4")
    assert (_on_hand(plank), _on_hand(screw)) == (Decimal("4"), Decimal("104"))
    assert ProductValuation.objects.get(product=table).value == Decimal("450.84")
    # and the stock and the ledger agree
    valuation = sum((v.value for v in ProductValuation.objects.filter(company=company)), Decimal(0))
    assert (
        valuation
        == _balance(company, AccountRole.STOCK)
        == Decimal("450.84") + Decimal("50.00") + Decimal("4.16")
    )
    # the work is absorbed from production, the components passed through it
    assert _balance(company, AccountRole.PRODUCTION) == Decimal("-247.00")
