"""Purchase order pages through the Django test client: the list with its state tabs, the RFQ
form with its lines and inline errors, the detail with Send / Confirm / Cancel / Create bill,
receipts and the three-way match with its flags, the PDF, and who may see and do what."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kantoor.core.outbox import run_pending_events
from kantoor.finance import invoicing
from kantoor.finance.models import Invoice, InvoiceLine
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Move, Transfer
from kantoor.purchasing import services
from kantoor.purchasing.models import OrderState, PurchaseOrder
from kantoor.purchasing.tests.conftest import (  # the purchasing fixtures, shared
    accountant,
    books,
    buyer,
    customer,
    make_product,
    other_supplier,
    rfq,
    smtp_server,
    supplier,
    units,
    warehouse,
    widget,
)

__all__ = [
    "accountant",
    "books",
    "buyer",
    "customer",
    "make_product",
    "other_supplier",
    "rfq",
    "smtp_server",
    "supplier",
    "units",
    "warehouse",
    "widget",
]

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(supplier: Any, warehouse: Any, *lines: dict[str, Any], **header: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "supplier_id": supplier.pk,
        "warehouse_id": warehouse.pk,
        "order_date": "2026-11-20",
        "currency": "EUR",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        **header,
    }
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


def test_the_list_shows_orders_per_state(buyer: Any, rfq: Any) -> None:
    draft = rfq()
    confirmed = services.order_confirm(actor=buyer, order_id=rfq().pk)
    client = _client(buyer)
    page = client.get(reverse("web:purchase-order-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert draft.number in html
    assert confirmed.number in html
    assert "New request for quotation" in html
    tab = client.get(reverse("web:purchase-order-list"), {"state": "confirmed"}).content.decode()
    assert confirmed.number in tab
    assert draft.number not in tab


def test_an_rfq_is_made_with_the_suppliers_prices(
    buyer: Any, supplier: Any, warehouse: Any, widget: Any
) -> None:
    client = _client(buyer)
    form = client.get(reverse("web:purchase-order-create"))
    assert form.status_code == 200
    assert "Leverancier B.V." in form.content.decode()
    response = client.post(
        reverse("web:purchase-order-create"),
        _form(supplier, warehouse, {"product_id": widget.pk, "quantity": "10", "discount": "0"}),
    )
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:purchase-order-detail", args=[order.pk])
    assert (order.state, order.amount_total, order.lines.get().unit_price) == (
        OrderState.DRAFT,
        Decimal("40.00"),
        Decimal("4"),
    )


def test_the_form_shows_the_services_errors_on_their_rows(
    buyer: Any, supplier: Any, warehouse: Any, widget: Any
) -> None:
    response = _client(buyer).post(
        reverse("web:purchase-order-create"),
        _form(
            supplier,
            warehouse,
            {"product_id": widget.pk, "quantity": "5", "discount": "0"},
            {"product_id": widget.pk, "quantity": "0", "discount": "0"},
        ),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_lines-1-quantity_error"' in html
    assert PurchaseOrder.objects.count() == 0


def test_editing_an_rfq_keeps_the_form_in_sync(
    buyer: Any, rfq: Any, supplier: Any, warehouse: Any, widget: Any
) -> None:
    order = rfq()
    client = _client(buyer)
    assert client.get(reverse("web:purchase-order-edit", args=[order.pk])).status_code == 200
    data = _form(
        supplier,
        warehouse,
        {"product_id": widget.pk, "quantity": "20", "unit_price": "3.80", "discount": "0"},
    )
    data["version"] = "1"
    response = client.post(reverse("web:purchase-order-edit", args=[order.pk]), data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.version, order.amount_total) == (2, Decimal("76.00"))
    stale = client.post(reverse("web:purchase-order-edit", args=[order.pk]), data)
    assert stale.status_code == 409
    assert "Someone else changed this order" in stale.content.decode()


def test_confirm_cancel_and_send_from_the_detail(buyer: Any, rfq: Any, smtp_server: Any) -> None:
    order = rfq()
    client = _client(buyer)
    detail = client.get(reverse("web:purchase-order-detail", args=[order.pk])).content.decode()
    assert "Confirm order" in detail
    assert "Send RFQ" in detail
    client.post(reverse("web:purchase-order-send", args=[order.pk]), {"to": ""})
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.SENT
    run_pending_events()  # the test's transaction never commits: relay what was published
    assert len(smtp_server.messages()) == 1
    client.post(reverse("web:purchase-order-confirm", args=[order.pk]), {"version": "2"})
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.CONFIRMED
    page = client.get(reverse("web:purchase-order-detail", args=[order.pk])).content.decode()
    assert Transfer.objects.get(origin=order.number).number in page
    client.post(reverse("web:purchase-order-cancel", args=[order.pk]), {})
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.CANCELLED
    assert Transfer.objects.get(origin=order.number).state == "cancelled"


def test_the_match_flags_a_price_difference_and_finance_makes_the_bill(
    buyer: Any, accountant: Any, rfq: Any, widget: Any
) -> None:
    order = services.order_confirm(actor=buyer, order_id=rfq((widget, "10", "4")).pk)
    receipt = Transfer.objects.get(origin=order.number)
    move = Move.objects.get(transfer=receipt)
    inventory.transfer_validate(
        actor=buyer, transfer_id=receipt.pk, done=[inventory.DoneIn(move_id=move.pk, quantity="12")]
    )
    finance = _client(accountant)
    page = finance.get(reverse("web:purchase-order-detail", args=[order.pk])).content.decode()
    assert "Over-delivered" in page
    assert "Create bill" in page
    response = finance.post(reverse("web:purchase-order-bill", args=[order.pk]))
    bill = Invoice.objects.get()
    assert response["Location"] == reverse("web:invoice-detail", args=[bill.pk])
    line = InvoiceLine.objects.get(invoice=bill)
    invoicing.invoice_update(
        actor=accountant,
        invoice_id=bill.pk,
        version=bill.version,
        lines=[
            {
                "description": line.description,
                "quantity": "12",
                "unit_price": "4.5",
                "account_id": line.account_id,
            }
        ],
    )
    page = finance.get(reverse("web:purchase-order-detail", args=[order.pk])).content.decode()
    assert "Price differs" in page
    assert 'id="match-warning"' in page
    assert "Create bill" not in page  # everything received is billed


def test_the_pdf_opens(buyer: Any, rfq: Any) -> None:
    order = rfq()
    response = _client(buyer).get(reverse("web:purchase-order-pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("role", "list_status", "create_status"), [("finance", 200, 403), ("sales", 403, 403)]
)
def test_who_sees_and_writes(
    make_user: Any, rfq: Any, role: str, list_status: int, create_status: int
) -> None:
    order = rfq()
    client = _client(make_user(role))
    assert client.get(reverse("web:purchase-order-list")).status_code == list_status
    assert client.get(reverse("web:purchase-order-create")).status_code == create_status
    response = client.post(reverse("web:purchase-order-confirm", args=[order.pk]), {})
    assert response.status_code == 403
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.DRAFT


def test_another_companys_order_is_a_404(outsider: Any, rfq: Any) -> None:
    order = rfq()
    client = _client(outsider)
    assert client.get(reverse("web:purchase-order-detail", args=[order.pk])).status_code == 404
    assert client.post(reverse("web:purchase-order-confirm", args=[order.pk]), {}).status_code == 404
    assert PurchaseOrder.objects.get(pk=order.pk).state == OrderState.DRAFT


def test_the_list_and_detail_keep_to_a_query_budget(
    buyer: Any, rfq: Any, widget: Any, django_assert_max_num_queries: Any
) -> None:
    orders = [rfq((widget, str(n + 1))) for n in range(8)]
    services.order_confirm(actor=buyer, order_id=orders[0].pk)
    client = _client(buyer)
    client.get(reverse("web:purchase-order-list"))  # sessions and caches warmed
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:purchase-order-list")).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(reverse("web:purchase-order-detail", args=[orders[0].pk])).status_code == 200
