"""Bills from orders and the three-way match with exact figures; the order done when received
and billed; the reorder handler; sending the RFQ to a real SMTP server; the PDF."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from kantoor.core.errors import PermissionDeniedError
from kantoor.core.outbox import run_pending_events
from kantoor.finance import invoicing
from kantoor.finance.models import AccountRole, Invoice, InvoiceLine
from kantoor.inventory import services as inventory
from kantoor.inventory.events import StockBelowMinimum
from kantoor.inventory.models import Move, Transfer
from kantoor.parties.models import TimelineEntry
from kantoor.purchasing import documents, handlers, selectors, services
from kantoor.purchasing.errors import NothingToBillError, OrderInvalidError
from kantoor.purchasing.models import OrderState, PurchaseBillLine, PurchaseOrder

from .conftest import balance


def _receive(buyer: Any, order: PurchaseOrder, quantity: str | None = None) -> None:
    receipt = (
        Transfer.objects.filter(origin=order.number, state__in=["ready", "draft"]).order_by("id").first()
    )
    assert receipt is not None
    done = None
    if quantity is not None:
        done = [inventory.DoneIn(move_id=Move.objects.get(transfer=receipt).pk, quantity=quantity)]
    inventory.transfer_validate(actor=buyer, transfer_id=receipt.pk, done=done)


@pytest.fixture
def confirmed(rfq: Any, buyer: Any, widget: Any, make_product: Any) -> PurchaseOrder:
    """10 widgets at 4.00 and 2 hours of installation (a service) at 80.00, confirmed."""
    installation = make_product("INST", kind="service", cost="80")
    order = rfq((widget, "10", "4"), (installation, "2", "80"))
    return services.order_confirm(actor=buyer, order_id=order.pk)


def test_the_bill_takes_what_was_received_and_not_billed(
    confirmed: Any, buyer: Any, accountant: Any, books: Any
) -> None:
    # given 6 of the 10 widgets received
    _receive(buyer, confirmed, "6")
    # when finance makes the bill from the order
    bill = services.bill_create_from_order(actor=accountant, order_id=confirmed.pk)
    # then it bills the 6 widgets and both service hours, to the supplier, in draft
    assert (bill.kind, bill.state, bill.party_id, bill.reference) == (
        "supplier_bill",
        "draft",
        confirmed.supplier_id,
        confirmed.number,
    )
    lines = list(InvoiceLine.objects.filter(invoice=bill).order_by("sequence"))
    assert [(line.product_code, line.quantity, line.unit_price) for line in lines] == [
        ("WID", Decimal("6"), Decimal("4")),
        ("INST", Decimal("2"), Decimal("80")),
    ]
    assert lines[0].account.role == AccountRole.STOCK_RECEIVED
    assert bill.amount_untaxed == Decimal("184.00")
    match = {row.line.product.sku: row for row in selectors.three_way_match(confirmed)}
    assert (match["WID"].ordered, match["WID"].received, match["WID"].billed, match["WID"].to_bill) == (
        Decimal("10"),
        Decimal("6"),
        Decimal("6"),
        Decimal("0"),
    )
    assert (match["INST"].received, match["INST"].billed, match["INST"].to_bill) == (
        Decimal("2"),
        Decimal("2"),
        Decimal("0"),
    )
    # and nothing is left to bill until more comes in
    with pytest.raises(NothingToBillError):
        services.bill_create_from_order(actor=accountant, order_id=confirmed.pk)
    assert Invoice.objects.count() == 1
    _receive(buyer, confirmed)  # the backorder: the other 4
    second = services.bill_create_from_order(actor=accountant, order_id=confirmed.pk)
    assert [(line.product_code, line.quantity) for line in InvoiceLine.objects.filter(invoice=second)] == [
        ("WID", Decimal("4"))
    ]


def test_a_price_corrected_on_the_bill_is_flagged(confirmed: Any, buyer: Any, accountant: Any) -> None:
    _receive(buyer, confirmed)
    bill = services.bill_create_from_order(actor=accountant, order_id=confirmed.pk)
    # the supplier bills 4.20 a widget: the accountant corrects the draft's line
    invoicing.invoice_update(
        actor=accountant,
        invoice_id=bill.pk,
        version=bill.version,
        lines=[
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": price,
                "account_id": line.account_id,
            }
            for line, price in zip(
                InvoiceLine.objects.filter(invoice=bill).order_by("sequence"), ["4.2", "80"], strict=True
            )
        ],
    )
    match = {row.line.product.sku: row for row in selectors.three_way_match(confirmed)}
    assert (match["WID"].order_price, match["WID"].bill_prices, match["WID"].price_differs) == (
        Decimal("4"),
        (Decimal("4.2"),),
        True,
    )
    assert match["WID"].has_mismatch
    assert not match["INST"].price_differs


def test_billed_more_than_received_is_flagged(confirmed: Any, buyer: Any, accountant: Any) -> None:
    _receive(buyer, confirmed, "5")
    bill = services.bill_create_from_order(actor=accountant, order_id=confirmed.pk)
    lines = list(InvoiceLine.objects.filter(invoice=bill).order_by("sequence"))
    invoicing.invoice_update(
        actor=accountant,
        invoice_id=bill.pk,
        version=bill.version,
        lines=[
            {
                "description": lines[0].description,
                "quantity": "8",
                "unit_price": "4",
                "account_id": lines[0].account_id,
            },
            {"description": lines[1].description, "quantity": "2", "unit_price": "80"},
        ],
    )
    widget_row = selectors.three_way_match(confirmed)[0]
    assert (widget_row.received, widget_row.billed, widget_row.billed_more_than_received) == (
        Decimal("5"),
        Decimal("8"),
        True,
    )


def test_the_order_is_done_when_received_and_the_bill_is_posted(
    confirmed: Any, buyer: Any, accountant: Any, books: Any
) -> None:
    _receive(buyer, confirmed)
    run_pending_events()
    assert PurchaseOrder.objects.get(pk=confirmed.pk).state == OrderState.CONFIRMED  # not billed yet
    bill = services.bill_create_from_order(actor=accountant, order_id=confirmed.pk)
    invoicing.invoice_post(actor=accountant, invoice_id=bill.pk)
    run_pending_events()
    assert PurchaseOrder.objects.get(pk=confirmed.pk).state == OrderState.DONE
    # the goods-received account is cleared: 40.00 in by the receipt, 40.00 out by the bill
    assert balance(books, AccountRole.STOCK_RECEIVED) == Decimal("0.00")
    assert balance(books, AccountRole.STOCK) == Decimal("40.00")
    kinds = set(TimelineEntry.objects.filter(party_id=confirmed.supplier_id).values_list("kind", flat=True))
    assert {"purchasing.order_confirmed", "purchasing.goods_received"} <= kinds


def test_billing_needs_finance(confirmed: Any, buyer: Any, make_user: Any) -> None:
    _receive(buyer, confirmed)
    with pytest.raises(PermissionDeniedError):
        services.bill_create_from_order(actor=buyer, order_id=confirmed.pk)
    with pytest.raises(PermissionDeniedError):
        services.bill_create_from_order(actor=make_user("sales"), order_id=confirmed.pk)
    assert Invoice.objects.count() == 0
    assert PurchaseBillLine.objects.count() == 0


def test_an_rfq_is_not_billed(rfq: Any, accountant: Any) -> None:
    order = rfq()
    with pytest.raises(Exception, match="Confirm the order"):
        services.bill_create_from_order(actor=accountant, order_id=order.pk)


def test_stock_below_minimum_proposes_an_rfq_to_the_preferred_supplier(
    company: Any, widget: Any, warehouse: Any, supplier: Any
) -> None:
    event = StockBelowMinimum(
        company_id=company.pk,
        rule_id=1,
        product_id=widget.pk,
        warehouse_id=warehouse.pk,
        quantity="25",
        route="buy",
    )
    handlers.on_stock_below_minimum(event)
    order = PurchaseOrder.objects.get()
    line = order.lines.get()
    # the preferred supplier is the one with the lowest priority, not the cheapest
    assert (order.supplier_id, order.state, order.buyer_id) == (supplier.pk, OrderState.DRAFT, None)
    assert (line.product_id, line.quantity, line.unit_price) == (widget.pk, Decimal("25"), Decimal("4"))
    # a second alarm while the RFQ is open proposes nothing more
    handlers.on_stock_below_minimum(event)
    assert PurchaseOrder.objects.count() == 1


def test_stock_below_minimum_without_supplier_is_skipped_with_a_log_line(
    company: Any, make_product: Any, warehouse: Any, caplog: Any
) -> None:
    lonely = make_product("LONE")
    with caplog.at_level("INFO", logger="kantoor.purchasing.services"):
        handlers.on_stock_below_minimum(
            StockBelowMinimum(
                company_id=company.pk,
                rule_id=1,
                product_id=lonely.pk,
                warehouse_id=warehouse.pk,
                quantity="5",
                route="buy",
            )
        )
    assert PurchaseOrder.objects.count() == 0
    assert "LONE has no supplier price" in caplog.text


def test_manufacture_alarms_are_not_purchasing_business(company: Any, widget: Any, warehouse: Any) -> None:
    handlers.on_stock_below_minimum(
        StockBelowMinimum(
            company_id=company.pk,
            rule_id=1,
            product_id=widget.pk,
            warehouse_id=warehouse.pk,
            quantity="5",
            route="manufacture",
        )
    )
    assert PurchaseOrder.objects.count() == 0


def test_sending_the_rfq_mails_the_pdf_to_the_supplier(rfq: Any, buyer: Any, smtp_server: Any) -> None:
    order = rfq()
    sent = services.rfq_send(actor=buyer, order_id=order.pk)
    assert sent.state == OrderState.SENT
    assert smtp_server.messages() == []  # after commit only
    run_pending_events()
    (message,) = smtp_server.messages()
    assert message["To"] == "verkoop@leverancier.example"
    assert message["Subject"] == f"Request for quotation {order.number} from Tulip Trading B.V."
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"{order.number}.pdf"
    text = PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert order.number in text
    assert PurchaseOrder.objects.get(pk=order.pk).sent_at is not None
    assert TimelineEntry.objects.filter(party_id=order.supplier_id, kind="purchasing.rfq_sent").count() == 1


def test_sending_to_a_bad_address_is_refused(rfq: Any, buyer: Any) -> None:
    order = rfq()
    with pytest.raises(OrderInvalidError) as refused:
        services.rfq_send(actor=buyer, order_id=order.pk, to=["not-an-address"])
    assert list(refused.value.field_errors) == ["to"]
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.DRAFT


def test_the_pdf_is_in_the_suppliers_language(rfq: Any, supplier: Any) -> None:
    supplier.language = "nl"
    supplier.save(update_fields=["language"])
    order = rfq()
    html = documents.order_html(order)
    assert order.number in html
    assert 'lang="nl"' in html
    text = PdfReader(io.BytesIO(documents.order_pdf(order))).pages[0].extract_text()
    assert order.number in text
    assert "Leverancier B.V." in text


def test_the_bill_uses_the_categorys_goods_received_account(
    confirmed: Any, buyer: Any, accountant: Any, books: Any, widget: Any
) -> None:
    from kantoor.finance.models import Account
    from kantoor.inventory.models import StockAccounts

    default = Account.objects.filter(company=books, role=AccountRole.STOCK_RECEIVED).order_by("code").first()
    special = (
        Account.objects.exclude(pk=getattr(default, "pk", None))
        .filter(company=books)
        .order_by("code")
        .first()
    )
    assert special is not None
    StockAccounts.objects.create(company=books, category=None, received_account=default)
    StockAccounts.objects.create(company=books, category=widget.category, received_account=special)
    _receive(buyer, confirmed)
    bill = services.bill_create_from_order(actor=accountant, order_id=confirmed.pk)
    first = InvoiceLine.objects.filter(invoice=bill).order_by("sequence").first()
    assert first is not None
    assert first.account_id == special.pk
