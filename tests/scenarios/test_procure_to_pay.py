"""Story: procure to pay.

The warehouse keeps paper cups between 100 and 500. Sales deplete the stock, the nightly
reorder check finds it below the minimum and purchasing gets a request for quotation to
the cups' preferred supplier. The buyer confirms it; the goods arrive in two deliveries;
finance bills what came in and posts the bill. Then the order is done, the stock is what
was received, and the ledger agrees: the stock account holds the goods' value and the
goods-received account is cleared by the bill.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kantoor.catalog.models import CostingMethod, Product, ProductCategory, SupplierPrice, Uom, UomCategory
from kantoor.core.outbox import run_pending_events
from kantoor.finance import invoicing
from kantoor.finance import services as ledger
from kantoor.finance.models import Account, AccountRole, InvoiceState, JournalLine
from kantoor.inventory import services as inventory
from kantoor.inventory.models import LocationUsage, Move, Quant, Transfer
from kantoor.inventory.reordering import reorder_check, reorder_rule_set
from kantoor.parties.services import party_create
from kantoor.purchasing import selectors, services
from kantoor.purchasing.models import OrderState, PurchaseOrder

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


def test_procure_to_pay(company, make_user):
    buyer = make_user("operations", username="otto")
    accountant = make_user("finance", username="fiona")
    ledger.chart_install(actor=accountant, template="generic")
    ledger.fiscal_year_create(actor=accountant, year=company.fiscal_year_of(timezone.localdate()))
    pieces = UomCategory.objects.create(company=company, name="Units")
    pc = Uom.objects.create(company=company, category=pieces, code="pc", name="Piece", ratio=1, rounding=1)
    category = ProductCategory.objects.create(
        company=company, name="Cups", costing_method=CostingMethod.AVERAGE
    )
    cups = Product.objects.create(
        company=company,
        sku="CUP-01",
        name="Paper cup",
        category=category,
        uom=pc,
        purchase_uom=pc,
        cost=Decimal("0.10"),
    )
    supplier = party_create(
        actor=buyer,
        kind="organisation",
        name="Papierfabriek B.V.",
        roles=["supplier"],
        contact_points=[{"kind": "email", "value": "orders@papier.example"}],
    )
    SupplierPrice.objects.create(
        company=company,
        product=cups,
        supplier=supplier,
        currency="EUR",
        price=Decimal("0.08"),
        lead_time_days=3,
    )
    warehouse = inventory.warehouse_create(actor=buyer, code="WH", name="Main warehouse")

    # given a reorder rule for the cups and no cups in stock
    reorder_rule_set(
        actor=buyer, warehouse_id=warehouse.pk, product_id=cups.pk, min_quantity="100", max_quantity="500"
    )

    # when the reorder check runs, a request for quotation is proposed to the supplier
    reorder_check(company_id=company.pk)
    run_pending_events()
    order = PurchaseOrder.objects.get()
    line = order.lines.get()
    assert (order.supplier_id, order.state, line.quantity, line.unit_price) == (
        supplier.pk,
        OrderState.DRAFT,
        Decimal("500"),
        Decimal("0.08"),
    )

    # and the buyer confirms it; the goods arrive in two deliveries (300, then 200)
    order = services.order_confirm(actor=buyer, order_id=order.pk)
    receipt = Transfer.objects.get(origin=order.number)
    move = Move.objects.get(transfer=receipt)
    inventory.transfer_validate(
        actor=buyer, transfer_id=receipt.pk, done=[inventory.DoneIn(move_id=move.pk, quantity="300")]
    )
    run_pending_events()
    assert selectors.three_way_match(order)[0].under_delivered is True
    backorder = Transfer.objects.get(backorder_of=receipt)
    inventory.transfer_validate(actor=buyer, transfer_id=backorder.pk)
    run_pending_events()

    # and finance bills what came in and posts the bill
    bill = services.bill_create_from_order(actor=accountant, order_id=order.pk)
    assert bill.amount_untaxed == Decimal("40.00")
    posted = invoicing.invoice_post(actor=accountant, invoice_id=bill.pk)
    run_pending_events()

    # then the order is done, the stock is what was received, and stock and ledger agree
    assert posted.state == InvoiceState.POSTED
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.DONE
    match = selectors.three_way_match(PurchaseOrder.objects.get(pk=order.pk))[0]
    assert (match.ordered, match.received, match.billed, match.has_mismatch) == (
        Decimal("500"),
        Decimal("500"),
        Decimal("500"),
        False,
    )
    assert _on_hand(cups) == Decimal("500")
    assert _balance(company, AccountRole.STOCK) == Decimal("40.00")
    assert _balance(company, AccountRole.STOCK_RECEIVED) == Decimal("0.00")
    assert _balance(company, AccountRole.PAYABLE) == Decimal("-40.00")
    # and a second check proposes nothing: the stock is above the minimum
    assert reorder_check(company_id=company.pk) == []
