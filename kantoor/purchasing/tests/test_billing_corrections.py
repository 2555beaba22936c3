"""Supplier refunds in the three-way match, and the price difference a bill at another price
than the order's leaves on goods received (booked by the InvoicePosted handler), with exact
figures: 10 widgets ordered at 5.00, received (goods received credited 50.00) and billed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.core import registry
from kantoor.core.outbox import run_pending_events
from kantoor.finance import invoicing
from kantoor.finance.events import InvoicePosted
from kantoor.finance.models import AccountRole, Invoice, InvoiceLine, JournalEntry
from kantoor.finance.verify import ledger_verify
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Transfer
from kantoor.purchasing import handlers, selectors, services
from kantoor.purchasing.errors import OrderStateError
from kantoor.purchasing.models import OrderState, PurchaseOrder

from .conftest import balance

GRNI, COST, STOCK = AccountRole.STOCK_RECEIVED, AccountRole.COST_OF_SALES, AccountRole.STOCK


@pytest.fixture
def received(rfq: Any, buyer: Any, widget: Any, books: Any) -> PurchaseOrder:
    """10 widgets ordered at 5.00, confirmed and received in full."""
    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10", "5")).pk)
    _receive(buyer, order)
    run_pending_events()
    return order


def _receive(buyer: Any, order: PurchaseOrder) -> None:
    receipt = Transfer.objects.get(origin=order.number, state__in=["ready", "draft"])
    inventory.transfer_validate(actor=buyer, transfer_id=receipt.pk)


def _bill(accountant: Any, order: PurchaseOrder, price: str | None = None) -> Invoice:
    """The bill made from the order, its price corrected to `price`, posted (events not run)."""
    bill = services.bill_create_from_order(actor=accountant, order_id=order.pk)
    if price is not None:
        bill = invoicing.invoice_update(
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
                for line in InvoiceLine.objects.filter(invoice=bill).order_by("sequence")
            ],
        )
    return invoicing.invoice_post(actor=accountant, invoice_id=bill.pk)


def _refund(accountant: Any, bill: Invoice, quantity: str, *, post: bool = True) -> Invoice:
    line = InvoiceLine.objects.filter(invoice=bill).order_by("sequence").first()
    assert line is not None
    note = invoicing.credit_note_create(
        actor=accountant, invoice_id=bill.pk, lines=[{"line_id": line.pk, "quantity": quantity}]
    )
    return invoicing.invoice_post(actor=accountant, invoice_id=note.pk) if post else note


def _match(order: PurchaseOrder) -> selectors.MatchLine:
    (row,) = selectors.three_way_match(PurchaseOrder.objects.get(pk=order.pk))
    return row


def _books_agree(company: Any) -> None:
    """The ledger is intact and the stock valuation still equals the stock accounts."""
    assert ledger_verify(company_id=company.pk) == []
    assert registry.verify_checks()["stock-valuation"](company.pk) == []


def _state(order: PurchaseOrder) -> str:
    return PurchaseOrder.objects.get(pk=order.pk).state


# ----------------------------------------------------------------------------- the price difference


def test_a_higher_bill_price_is_booked_off_goods_received(received: Any, accountant: Any, books: Any) -> None:
    assert balance(books, GRNI) == Decimal("-50.00")  # the receipt, at the order's price
    # when the supplier bills 5.50 a widget and the bill is posted
    bill = _bill(accountant, received, "5.50")
    assert balance(books, GRNI) == Decimal("5.00")  # before the handler: the difference stays
    run_pending_events()
    # then 10 × 0.50 moves from goods received to the cost of sales; the stock keeps 50.00
    assert balance(books, GRNI) == Decimal("0.00")
    assert balance(books, COST) == Decimal("5.00")
    assert balance(books, STOCK) == Decimal("50.00")
    entry = JournalEntry.objects.get(reference=f"price difference {bill.number}")
    assert (entry.journal.kind, entry.date, entry.state) == ("stock", bill.date, "posted")
    assert sorted((line.account.role, line.debit, line.credit) for line in entry.lines.all()) == [
        (COST, Decimal("5.00"), Decimal("0.00")),
        (GRNI, Decimal("0.00"), Decimal("5.00")),
    ]
    assert _state(received) == OrderState.DONE
    _books_agree(books)


def test_a_lower_bill_price_is_credited_to_the_cost(received: Any, accountant: Any, books: Any) -> None:
    _bill(accountant, received, "4.70")
    run_pending_events()
    assert balance(books, GRNI) == Decimal("0.00")
    assert balance(books, COST) == Decimal("-3.00")
    assert balance(books, STOCK) == Decimal("50.00")
    _books_agree(books)


def test_a_bill_at_the_orders_price_books_nothing(received: Any, accountant: Any, books: Any) -> None:
    _bill(accountant, received)
    run_pending_events()
    assert balance(books, GRNI) == Decimal("0.00")
    assert not JournalEntry.objects.filter(reference__startswith="price difference").exists()


def test_the_price_difference_is_booked_once(received: Any, accountant: Any, books: Any) -> None:
    bill = _bill(accountant, received, "5.50")
    run_pending_events()
    # a second delivery of the event (or a second call) finds the entry booked already
    handlers.on_invoice_posted(
        InvoicePosted(
            company_id=books.pk,
            invoice_id=bill.pk,
            party_id=bill.party_id,
            kind=bill.kind,
            number=bill.number,
            date=bill.date.isoformat(),
            due_date=bill.date.isoformat(),
            currency=bill.currency,
            amount_total=str(bill.amount_total),
            actor_id=accountant.pk,
        )
    )
    assert services.bill_price_difference_book(invoice_id=bill.pk) is None
    assert JournalEntry.objects.filter(reference=f"price difference {bill.number}").count() == 1
    assert balance(books, COST) == Decimal("5.00")


def test_a_foreign_currency_bill_is_compared_in_company_currency(
    rfq: Any, buyer: Any, accountant: Any, widget: Any, books: Any, admin_user: Any
) -> None:
    from kantoor.core.services import exchange_rate_set

    # given 10 widgets at USD 5.00 received at 1.25 USD a euro: goods received 40.00
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(2000, 1, 1), rate=Decimal("1.25"))
    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10", "5"), currency="USD").pk)
    _receive(buyer, order)
    assert balance(books, GRNI) == Decimal("-40.00")
    # when the dollar is at 1.20 by the time the bill (at the order's price) is posted
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=timezone.localdate(), rate=Decimal("1.20"))
    bill = _bill(accountant, order)
    assert balance(books, GRNI) == Decimal("1.67")  # USD 50.00 / 1.20 = 41.67
    run_pending_events()
    # then the 1.67 the bill booked above the receipt leaves goods received too
    assert balance(books, GRNI) == Decimal("0.00")
    assert balance(books, COST) == Decimal("1.67")
    assert bill.currency == "USD"
    _books_agree(books)


def test_a_dropshipped_bill_books_no_price_difference(
    rfq: Any, buyer: Any, accountant: Any, widget: Any, customer: Any, books: Any
) -> None:
    order = rfq((widget, "10", "5"), dropship_customer_id=customer.pk)
    order = services.order_confirm(actor=buyer, order_id=order.pk)
    _receive(buyer, order)
    _bill(accountant, order, "5.50")
    run_pending_events()
    assert balance(books, GRNI) == Decimal("0.00")
    assert not JournalEntry.objects.filter(reference__startswith="price difference").exists()


# ----------------------------------------------------------------------------- refunds


def test_a_refund_is_subtracted_from_billed(
    received: Any, accountant: Any, books: Any, buyer: Any, api_as: Any, client: Any, settings: Any
) -> None:
    # given the bill for the 10 widgets posted and 3 of them refunded before the events run
    bill = _bill(accountant, received)
    _refund(accountant, bill, "3")
    run_pending_events()
    # then 7 are billed, 3 are left to bill and the order is not done
    row = _match(received)
    assert (row.received, row.billed, row.refunded, row.to_bill) == (
        Decimal("10"),
        Decimal("7"),
        Decimal("3"),
        Decimal("3"),
    )
    assert not row.billed_more_than_received
    assert _state(received) == OrderState.CONFIRMED
    assert services.order_done_check(order_id=received.pk) is False
    # the API and the order's page show the refund beside what is billed
    (api_row,) = api_as(buyer).get(f"/purchase-orders/{received.pk}/match").json()
    assert (api_row["billed"], api_row["refunded"], api_row["to_bill"]) == ("7", "3", "3")
    settings.STORAGES = {  # the page's static files as they are (no collectstatic manifest)
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client.force_login(buyer)
    page = client.get(f"/purchasing/orders/{received.pk}/").content.decode()
    cells = '<td class="amount">7</td>\n      <td class="amount">3</td>\n      <td class="amount">3</td>'
    assert cells in page  # billed, refunded, to bill
    # and the bill made now takes the 3 refunded widgets; once posted, the order is done
    second = services.bill_create_from_order(actor=accountant, order_id=received.pk)
    assert [(line.quantity, line.unit_price) for line in InvoiceLine.objects.filter(invoice=second)] == [
        (Decimal("3"), Decimal("5"))
    ]
    invoicing.invoice_post(actor=accountant, invoice_id=second.pk)
    run_pending_events()
    assert _state(received) == OrderState.DONE
    assert balance(books, GRNI) == Decimal("0.00")
    assert not JournalEntry.objects.filter(reference__startswith="price difference").exists()
    assert {invoice.pk for invoice in selectors.order_bills(received)} == {
        bill.pk,
        second.pk,
        Invoice.objects.get(credit_note_of=bill).pk,
    }


def test_a_draft_refund_gives_nothing_back_to_bill_yet_but_holds_the_order_open(
    received: Any, accountant: Any, books: Any
) -> None:
    bill = _bill(accountant, received)
    note = _refund(accountant, bill, "3", post=False)
    run_pending_events()
    row = _match(received)
    assert (row.billed, row.to_bill) == (Decimal("10"), Decimal("0"))  # nothing billed twice
    assert _state(received) == OrderState.CONFIRMED  # 10 posted less 3 that may go back
    invoicing.invoice_delete(actor=accountant, invoice_id=note.pk)
    assert services.order_done_check(order_id=received.pk) is True


def test_partial_refunds_are_exact(received: Any, accountant: Any, books: Any) -> None:
    # given the 10 widgets billed at 5.50 and the price difference booked (5.00)
    bill = _bill(accountant, received, "5.50")
    run_pending_events()
    # when 3 are refunded, then 1.5 more
    first = _refund(accountant, bill, "3")
    run_pending_events()
    # then 7 are billed (38.50) and the refund's share of the difference (3 × 0.50) comes back
    row = _match(received)
    assert (row.billed, row.refunded, row.to_bill) == (Decimal("7"), Decimal("3"), Decimal("3"))
    assert selectors.billed_by_line([row.line])[row.line.pk].amount == Decimal("38.50")
    assert first.amount_untaxed == Decimal("16.50")
    assert balance(books, COST) == Decimal("3.50")
    # goods received holds the 3 widgets received and no longer billed, at the order's price
    assert balance(books, GRNI) == Decimal("-15.00")
    entry = JournalEntry.objects.get(reference=f"price difference {first.number}")
    assert sorted((line.account.role, line.debit, line.credit) for line in entry.lines.all()) == [
        (COST, Decimal("0.00"), Decimal("1.50")),
        (GRNI, Decimal("1.50"), Decimal("0.00")),
    ]
    second = _refund(accountant, bill, "1.5")
    run_pending_events()
    row = _match(received)
    assert (row.billed, row.refunded, row.to_bill) == (Decimal("5.5"), Decimal("4.5"), Decimal("4.5"))
    assert selectors.billed_by_line([row.line])[row.line.pk].amount == Decimal("30.25")
    assert second.amount_untaxed == Decimal("8.25")
    assert balance(books, COST) == Decimal("2.75")  # 5.5 × 0.50
    assert balance(books, GRNI) == Decimal("-22.50")  # 4.5 × 5.00
    assert balance(books, STOCK) == Decimal("50.00")
    # the order was done once billed; a later refund leaves it done, and billable again
    assert _state(received) == OrderState.DONE
    _books_agree(books)


def test_a_refunded_order_of_which_nothing_was_received_may_be_cancelled(
    rfq: Any, buyer: Any, accountant: Any, make_product: Any, books: Any
) -> None:
    # a service is billed as ordered, without a receipt
    installation = make_product("INST", kind="service", cost="80")
    order = services.order_confirm(actor=buyer, order_id=rfq((installation, "2", "80")).pk)
    bill = _bill(accountant, order)
    with pytest.raises(OrderStateError):
        services.order_cancel(actor=buyer, order_id=order.pk)
    _refund(accountant, bill, "2")
    cancelled = services.order_cancel(actor=buyer, order_id=order.pk)
    assert cancelled.state == OrderState.CANCELLED


def test_the_price_difference_goes_to_the_categorys_cost_of_sales(
    received: Any, accountant: Any, books: Any, widget: Any
) -> None:
    from kantoor.finance.models import Account
    from kantoor.inventory.models import StockAccounts

    purchase_costs = Account.objects.get(company=books, code="6300")  # any account will do
    StockAccounts.objects.create(company=books, category=widget.category, cogs_account=purchase_costs)
    bill = _bill(accountant, received, "5.25")
    run_pending_events()
    entry = JournalEntry.objects.get(reference=f"price difference {bill.number}")
    assert sorted((line.account.code, line.debit, line.credit) for line in entry.lines.all()) == [
        ("2050", Decimal("0.00"), Decimal("2.50")),
        ("6300", Decimal("2.50"), Decimal("0.00")),
    ]
    assert balance(books, GRNI) == Decimal("0.00")
