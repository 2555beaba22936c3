"""Quotation and sales order pages through the Django test client: the list with its state
tabs and search, the quotation form with its lines and inline errors, the detail with
Send / Mark sent / Approve discount / Confirm / Cancel, the margin for staff, the PDF, and
who may see what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kantoor.core.models import OutboxEvent
from kantoor.sales import services
from kantoor.sales.models import OrderState, SalesOrder
from kantoor.sales.tests.quote_support import (
    books,
    customer,
    pieces,
    products,
    quote_make,
    rep,
    sales_manager,
    v21,
    warehouse,
)

__all__ = [
    "books",
    "customer",
    "pieces",
    "products",
    "quote_make",
    "rep",
    "sales_manager",
    "v21",
    "warehouse",
]

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(customer: Any, warehouse: Any, *lines: dict[str, Any], **header: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer_id": customer.pk,
        "warehouse_id": warehouse.pk,
        "order_date": "2026-11-20",
        "valid_until": "2099-12-31",
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


def test_the_list_shows_quotations_per_state_and_finds_by_customer(rep: Any, quote_make: Any) -> None:
    draft = quote_make()
    sent = quote_make(sent=True)
    client = _client(rep)
    page = client.get(reverse("web:sales-order-list")).content.decode()
    assert draft.number in page
    assert sent.number in page
    only_sent = client.get(reverse("web:sales-order-list"), {"state": "sent"}).content.decode()
    assert sent.number in only_sent
    assert draft.number not in only_sent
    found = client.get(
        reverse("web:sales-order-list"),
        {"q": "Visser"},
        headers={"HX-Request": "true", "HX-Target": "order-results"},
    )
    assert found.status_code == 200
    assert "<html" not in found.content.decode()
    assert draft.number in found.content.decode()
    assert (
        client.get(reverse("web:sales-order-list"), {"q": "nobody-here"}).content.decode().count("SO-") == 0
    )


def test_the_list_needs_a_sales_role(nobody: Any) -> None:
    assert _client(nobody).get(reverse("web:sales-order-list")).status_code == 403


def test_a_quotation_is_entered_with_an_optional_line(
    rep: Any, customer: Any, warehouse: Any, products: Any, v21: Any
) -> None:
    response = _client(rep).post(
        reverse("web:sales-order-create"),
        _form(
            customer,
            warehouse,
            {"product_id": products["desk"].pk, "quantity": "2", "discount": "5", "tax_id": v21.pk},
            {"product_id": products["lamp"].pk, "quantity": "1", "is_optional": "on"},
            {"product_id": "", "quantity": "1"},  # a blank row is left out
        ),
    )
    order = SalesOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:sales-order-detail", args=[order.pk])
    lines = list(
        order.lines.order_by("sequence").values_list("product__sku", "is_optional", "amount_untaxed")
    )
    assert [(sku, optional, str(amount)) for sku, optional, amount in lines] == [
        ("DESK", False, "190.00"),
        ("LAMP", True, "25.00"),
    ]
    assert str(order.amount_untaxed) == "190.00"


def test_a_bad_line_is_shown_on_its_row_and_nothing_is_saved(
    rep: Any, customer: Any, warehouse: Any, products: Any
) -> None:
    response = _client(rep).post(
        reverse("web:sales-order-create"),
        _form(customer, warehouse, {"product_id": products["desk"].pk, "quantity": "1", "discount": "150"}),
    )
    assert response.status_code == 422
    assert 'id="id_lines-0-discount_error"' in response.content.decode()
    assert not SalesOrder.objects.exists()


def test_the_line_row_button_adds_a_numbered_row(rep: Any, products: Any) -> None:
    response = _client(rep).get(reverse("web:sales-order-line-row"), {"lines-TOTAL_FORMS": "2"})
    html = response.content.decode()
    assert 'name="lines-2-product_id"' in html
    assert 'name="lines-2-is_optional"' in html
    assert 'value="3"' in html


def test_editing_a_sent_quotation_makes_a_new_version(
    rep: Any, quote_make: Any, customer: Any, warehouse: Any, products: Any
) -> None:
    order = quote_make(sent=True)
    client = _client(rep)
    assert client.get(reverse("web:sales-order-edit", args=[order.pk])).status_code == 200
    response = client.post(
        reverse("web:sales-order-edit", args=[order.pk]),
        _form(
            customer, warehouse, {"product_id": products["desk"].pk, "quantity": "4"}, version=order.version
        ),
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.revision, order.state) == (2, OrderState.DRAFT)
    detail = client.get(reverse("web:sales-order-detail", args=[order.pk])).content.decode()
    assert "Earlier versions" in detail
    assert "Version 1" in detail


def test_a_stale_edit_is_refused_on_the_form(
    rep: Any, quote_make: Any, customer: Any, warehouse: Any, products: Any
) -> None:
    order = quote_make()
    services.quotation_update(actor=rep, order_id=order.pk, notes="Changed meanwhile")
    response = _client(rep).post(
        reverse("web:sales-order-edit", args=[order.pk]),
        _form(
            customer, warehouse, {"product_id": products["desk"].pk, "quantity": "4"}, version=order.version
        ),
    )
    assert response.status_code == 409
    assert "Someone else changed this quotation" in response.content.decode()
    assert SalesOrder.objects.get(pk=order.pk).notes == "Changed meanwhile"


def test_the_detail_shows_lines_margin_and_actions(rep: Any, quote_make: Any) -> None:
    order = quote_make()
    html = _client(rep).get(reverse("web:sales-order-detail", args=[order.pk])).content.decode()
    assert 'id="order-margin">90.00<' in html
    assert "Desk lamp" in html
    assert 'id="send-quotation"' in html
    assert 'id="mark-sent"' in html
    assert 'id="confirm-order"' in html
    assert reverse("web:sales-order-pdf", args=[order.pk]) in html


def test_send_by_e_mail_and_mark_sent(rep: Any, quote_make: Any) -> None:
    client = _client(rep)
    emailed = quote_make()
    response = client.post(reverse("web:sales-order-send", args=[emailed.pk]), {"to": "koper@visser.example"})
    assert response.status_code == 302
    assert SalesOrder.objects.get(pk=emailed.pk).state == OrderState.SENT
    marked = quote_make()
    client.post(reverse("web:sales-order-mark-sent", args=[marked.pk]))
    assert SalesOrder.objects.get(pk=marked.pk).state == OrderState.SENT
    sent = [row.payload["to"] for row in OutboxEvent.objects.filter(name="sales.QuoteSent").order_by("pk")]
    assert sent == [["koper@visser.example"], []]


def test_a_refused_send_is_an_inline_message(rep: Any, quote_make: Any) -> None:
    order = quote_make()
    client = _client(rep)
    response = client.post(
        reverse("web:sales-order-send", args=[order.pk]), {"to": "not-an-address"}, follow=True
    )
    assert "Not an e-mail address: not-an-address." in response.content.decode()
    assert SalesOrder.objects.get(pk=order.pk).state == OrderState.DRAFT


def test_a_big_discount_waits_for_the_manager(rep: Any, sales_manager: Any, quote_make: Any) -> None:
    order = quote_make()
    services.quotation_update(
        actor=sales_manager,
        order_id=order.pk,
        lines=[
            {"product_id": line.product_id, "quantity": line.quantity, "discount": 30}
            for line in order.lines.all()
        ],
    )
    order.refresh_from_db()
    order.discount_approved_by = None
    order.save(update_fields=["discount_approved_by"])
    rep_page = _client(rep).get(reverse("web:sales-order-detail", args=[order.pk])).content.decode()
    assert 'id="discount-warning"' in rep_page
    assert 'id="approve-discount"' not in rep_page
    refused = _client(rep).post(reverse("web:sales-order-mark-sent", args=[order.pk]), follow=True)
    assert "ask a sales manager to approve it" in refused.content.decode()
    manager = _client(sales_manager)
    assert (
        'id="approve-discount"'
        in manager.get(reverse("web:sales-order-detail", args=[order.pk])).content.decode()
    )
    manager.post(reverse("web:sales-order-approve-discount", args=[order.pk]))
    assert SalesOrder.objects.get(pk=order.pk).discount_approved_by_id == sales_manager.pk


def test_cancel(rep: Any, quote_make: Any) -> None:
    order = quote_make()
    _client(rep).post(reverse("web:sales-order-cancel", args=[order.pk]), {"version": order.version})
    assert SalesOrder.objects.get(pk=order.pk).state == OrderState.CANCELLED


def test_the_pdf_page(rep: Any, quote_make: Any) -> None:
    order = quote_make()
    response = _client(rep).get(reverse("web:sales-order-pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{order.number}.pdf"'


def test_another_companys_quotation_is_not_found(outsider: Any, quote_make: Any) -> None:
    order = quote_make()
    client = _client(outsider)
    assert client.get(reverse("web:sales-order-detail", args=[order.pk])).status_code in (403, 404)
    assert client.post(reverse("web:sales-order-cancel", args=[order.pk])).status_code in (403, 404)
    assert SalesOrder.objects.get(pk=order.pk).state == OrderState.DRAFT


def test_over_the_credit_limit_a_manager_may_override(
    sales_manager: Any, quote_make: Any, customer: Any
) -> None:
    from kantoor.sales.models import CustomerTerms

    CustomerTerms.objects.create(company=customer.company, party=customer, credit_limit=100)
    order = quote_make(sent=True, actor=sales_manager)
    client = _client(sales_manager)
    refused = client.post(reverse("web:sales-order-confirm", args=[order.pk]), {"version": order.version})
    assert refused.status_code == 302
    assert refused["Location"].endswith("?credit=refused")
    assert SalesOrder.objects.get(pk=order.pk).state == OrderState.SENT
    page = client.get(refused["Location"]).content.decode()
    assert 'id="credit-override"' in page
    client.post(reverse("web:sales-order-confirm", args=[order.pk]), {"credit_override": "1"})
    confirmed = SalesOrder.objects.get(pk=order.pk)
    assert confirmed.state == OrderState.CONFIRMED
    assert confirmed.credit_override_by_id == sales_manager.pk
    detail = client.get(reverse("web:sales-order-detail", args=[order.pk])).content.decode()
    assert 'id="order-deliveries"' in detail
    assert "Delivered" in detail


def test_the_list_and_the_detail_cost_a_bounded_number_of_queries(
    rep: Any, quote_make: Any, django_assert_max_num_queries: Any
) -> None:
    orders = [quote_make() for _ in range(5)]
    client = _client(rep)
    client.get(reverse("web:sales-order-list"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("web:sales-order-list")).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("web:sales-order-detail", args=[orders[0].pk])).status_code == 200
