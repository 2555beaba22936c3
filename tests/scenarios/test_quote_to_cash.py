"""Story: from first contact to cash.

A florist fills in the web form; the rep qualifies the lead and converts it: the florist
is already a customer, so the lead is linked to that party, not copied. The rep quotes
twelve planters from the opportunity and sends the quotation; the customer accepts it on
the public page and the order is confirmed by itself, winning the deal and reserving the
ten planters in stock. The warehouse delivers ten, then the last two when they come in;
each delivery makes its invoice. Finance posts both and the customer pays: the order is
paid and done, and the customer's timeline tells the whole story.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core import signing
from django.utils import timezone

from kantoor.catalog.models import CostingMethod, Product, ProductCategory, ProductKind, Uom, UomCategory
from kantoor.core.outbox import run_pending_events
from kantoor.crm import services as crm
from kantoor.crm.models import Lead, Opportunity, OpportunityState
from kantoor.finance import configuration, invoicing, payments
from kantoor.finance import services as ledger
from kantoor.finance.models import Invoice, InvoiceState, JournalKind, PaymentKind, PaymentState, Tax
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Move, MoveState, Transfer, TransferState
from kantoor.parties.models import Party, TimelineEntry
from kantoor.parties.services import party_create
from kantoor.sales import quotes
from kantoor.sales import services as sales
from kantoor.sales.models import OrderState, SalesOrder

pytestmark = pytest.mark.django_db


def test_from_first_contact_to_cash(company, make_user, monkeypatch):
    rep = make_user("sales", username="daan")
    manager = make_user("sales_manager", username="noor")
    keeper = make_user("operations", username="ruben")
    accountant = make_user("finance", username="bram")
    ledger.chart_install(actor=accountant, template="generic")
    ledger.fiscal_year_create(actor=accountant, year=company.fiscal_year_of(timezone.localdate()))
    net30 = configuration.payment_term_create(
        actor=accountant, name="Net 30", instalments=[{"percent": "100", "days": 30}]
    )
    warehouse = inventory.warehouse_create(actor=keeper, code="WH", name="Main warehouse")
    sales.sales_settings_update(
        actor=manager,
        default_tax_id=Tax.objects.get(company=company, code="V21").pk,
        warehouse_id=warehouse.pk,
        payment_term_id=net30.pk,
    )
    units = UomCategory.objects.create(company=company, name="Units")
    pc = Uom.objects.create(company=company, category=units, code="pc", name="Piece", ratio=1, rounding=1)
    category = ProductCategory.objects.create(
        company=company, name="Pots", costing_method=CostingMethod.AVERAGE
    )
    planter = Product.objects.create(
        company=company,
        sku="PLANTER-L",
        name="Large planter",
        category=category,
        uom=pc,
        purchase_uom=pc,
        list_price=Decimal("45.00"),
        cost=Decimal("20.00"),
        kind=ProductKind.STOCKABLE,
    )
    inventory.transfer_record(
        actor=keeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[inventory.MoveIn(product_id=planter.pk, quantity=10, unit_cost="20.00")],
    )
    florist = party_create(
        actor=rep,
        kind="organisation",
        name="Bloemenhandel Visser B.V.",
        roles=["customer"],
        contact_points=[{"kind": "email", "value": "inkoop@visser.example", "is_primary": True}],
    )

    # given a lead from the web form by someone at a known customer
    form = crm.web_form_create(actor=manager, name="Website", owner=rep.pk)
    # The visitor took a minute to fill in the form (sooner is a bot's speed).
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - 60)
    )
    token = crm.web_form_token(form_key=form.key)
    lead = crm.web_lead_submit(
        form_key=form.key,
        data={
            "token": token,
            "website": "",
            "contact_name": "Eva Visser",
            "organisation_name": "Bloemenhandel Visser B.V.",
            "email": "inkoop@visser.example",
            "message": "We need planters for the new shop.",
        },
        ip="192.0.2.10",
    )
    assert (lead.owner_id, lead.source) == (rep.pk, "web_form")

    # when the rep converts it, the lead is linked to the customer, not copied
    crm.lead_qualify(actor=rep, lead_id=lead.pk)
    converted = crm.lead_convert(
        actor=rep,
        lead_id=lead.pk,
        party_id=florist.pk,
        opportunity_name="Planters new shop",
        expected_revenue="540",
    )
    assert Party.objects.filter(company=company, normalized_name=florist.normalized_name).count() == 1
    opportunity = Opportunity.objects.get(pk=converted.opportunity_id)
    assert (opportunity.party_id, Lead.objects.get(pk=lead.pk).party_id) == (florist.pk, florist.pk)

    # and quotes twelve planters from the opportunity and sends the quotation
    order = crm.opportunity_quotation_create(actor=rep, opportunity_id=opportunity.pk)
    order = sales.quotation_update(
        actor=rep,
        order_id=order.pk,
        version=order.version,
        lines=[{"product_id": planter.pk, "quantity": 12}],
    )
    order = sales.quotation_send(actor=rep, order_id=order.pk, to=())
    assert (order.amount_untaxed, order.amount_tax, order.amount_total) == (
        Decimal("540.00"),
        Decimal("113.40"),
        Decimal("653.40"),
    )

    # then the customer accepts it online and the order confirms itself, winning the deal
    quotes.quote_accept(token=quotes.quote_link_token(SalesOrder.objects.get(pk=order.pk)), name="Eva Visser")
    run_pending_events()
    order = SalesOrder.objects.get(pk=order.pk)
    assert (order.state, order.answered_by_name) == (OrderState.CONFIRMED, "Eva Visser")
    assert Opportunity.objects.get(pk=opportunity.pk).state == OpportunityState.WON
    delivery = Transfer.objects.get(origin=order.number)
    assert delivery.state == TransferState.WAITING  # ten of twelve reserved

    # when the warehouse delivers the ten, then the last two once they come in
    reserved = Move.objects.get(transfer=delivery, state=MoveState.RESERVED)
    assert reserved.quantity == Decimal("10.0000")
    inventory.transfer_validate(
        actor=keeper, transfer_id=delivery.pk, done=[inventory.DoneIn(move_id=reserved.pk, quantity=10)]
    )
    run_pending_events()
    inventory.transfer_record(
        actor=keeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[inventory.MoveIn(product_id=planter.pk, quantity=2, unit_cost="20.00")],
    )
    backorder = Transfer.objects.get(origin=order.number, backorder_of=delivery)
    inventory.transfer_reserve(actor=keeper, transfer_id=backorder.pk)
    inventory.transfer_validate(actor=keeper, transfer_id=backorder.pk)
    run_pending_events()

    # each delivery made its invoice; finance posts them and the customer pays
    invoices = list(Invoice.objects.filter(reference=order.number).order_by("pk"))
    assert [invoice.amount_untaxed for invoice in invoices] == [Decimal("450"), Decimal("90")]
    bank = ledger.journal_for(company_id=company.pk, kind=JournalKind.BANK)
    for invoice in invoices:
        invoicing.invoice_post(actor=accountant, invoice_id=invoice.pk)
    run_pending_events()
    payments.payment_register(
        actor=accountant,
        kind=PaymentKind.INBOUND,
        party_id=florist.pk,
        journal_id=bank.pk,
        date=timezone.localdate(),
        amount="653.40",
        allocations=[{"invoice_id": invoice.pk} for invoice in invoices],
    )
    run_pending_events()

    # then the order is paid and done, and the customer's timeline tells the story
    order = SalesOrder.objects.get(pk=order.pk)
    assert (order.state, order.paid_at is not None) == (OrderState.DONE, True)
    assert all(
        (i.state, i.payment_state) == (InvoiceState.POSTED, PaymentState.PAID)
        for i in Invoice.objects.filter(reference=order.number)
    )
    kinds = set(TimelineEntry.objects.filter(party=florist).values_list("kind", flat=True))
    assert {
        "crm.lead_converted",
        "crm.opportunity_won",
        "sales.quote_sent",
        "sales.quote_accepted",
        "sales.order_confirmed",
        "sales.goods_delivered",
        "sales.order_delivered",
        "sales.order_paid",
    } <= kinds
