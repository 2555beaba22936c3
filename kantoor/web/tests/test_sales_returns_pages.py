"""The pages of customer terms, sales targets and returns through the Django test client:
the terms page with its exposure and form (inline errors, who may change it), the month's
targets with their progress and the manager's form, and a return from the order's
delivered lines through approval and the receipt to the credit note."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kantoor.core.outbox import run_pending_events
from kantoor.core.services import team_create
from kantoor.finance import invoicing
from kantoor.finance.models import Invoice, InvoiceKind
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Transfer
from kantoor.sales import returns, targets, terms
from kantoor.sales.models import CustomerTerms, ReturnAuthorisation, SalesOrder, SalesOrderLine, SalesTarget
from kantoor.sales.tests.quote_support import books, customer, pieces, products, quote_make, v21, warehouse
from kantoor.sales.tests.test_returns import _subscribed, delivered, rep

__all__ = [
    "_subscribed",
    "books",
    "customer",
    "delivered",
    "pieces",
    "products",
    "quote_make",
    "rep",
    "v21",
    "warehouse",
]

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("sales_manager", username="noor")


# ---- terms ------------------------------------------------------------------------------


def test_terms_page_shows_exposure_and_saves(
    manager: Any, rep: Any, customer: Any, delivered: SalesOrder
) -> None:
    url = reverse("web:sales-terms", args=[customer.pk])
    page = _client(rep).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    # the order is delivered, its invoice a draft: the whole order (326.70) is exposure
    assert "326.70 EUR" in body
    assert "No limit" in body
    assert 'id="save-terms"' not in body  # a rep reads the terms only
    assert _client(rep).post(url, {"credit_limit": "1"}).status_code == 403

    refused = _client(manager).post(url, {"credit_limit": "-1"})
    assert refused.status_code == 422
    assert not CustomerTerms.objects.exists()

    saved = _client(manager).post(url, {"credit_limit": "300", "invoicing_policy": "order"})
    assert saved.status_code == 302
    row = CustomerTerms.objects.get()
    assert (row.credit_limit, row.invoicing_policy, row.version) == (Decimal("300.00"), "order", 1)
    again = _client(manager).get(url).content.decode()
    assert 'class="over-limit"' in again
    stale = _client(manager).post(url, {"credit_limit": "400", "version": "7"})
    assert stale.status_code == 409
    assert CustomerTerms.objects.get().credit_limit == Decimal("300.00")


def test_terms_page_of_another_company_is_404(customer: Any, outsider: Any, nobody: Any) -> None:
    url = reverse("web:sales-terms", args=[customer.pk])
    assert _client(outsider).get(url).status_code == 404
    assert _client(nobody).get(url).status_code == 403


# ---- targets ----------------------------------------------------------------------------


def test_targets_page(manager: Any, make_user: Callable[..., Any], admin_user: Any) -> None:
    team = team_create(actor=admin_user, name="Oost")
    seller = make_user("sales", team=team, username="sara")
    url = reverse("web:sales-target-list")
    month = timezone.localdate().replace(day=1)
    page = _client(manager).get(url)
    assert page.status_code == 200
    assert "No targets for this month." in page.content.decode()

    made = _client(manager).post(
        url, {"month": f"{month:%Y-%m}", "who": f"user:{seller.pk}", "amount": "2500"}
    )
    assert made.status_code == 302
    assert made["Location"] == f"{url}?month={month:%Y-%m}"
    _client(manager).post(url, {"month": f"{month:%Y-%m}", "who": f"team:{team.pk}", "amount": "9000"})
    assert sorted(SalesTarget.objects.values_list("amount", flat=True)) == [
        Decimal("2500.00"),
        Decimal("9000.00"),
    ]
    refused = _client(manager).post(
        url, {"month": f"{month:%Y-%m}", "who": f"user:{seller.pk}", "amount": "-3"}
    )
    assert refused.status_code == 422
    assert SalesTarget.objects.count() == 2

    seen = _client(seller).get(url).content.decode()
    assert "2500.00 EUR" in seen
    assert "9000.00 EUR" in seen
    assert 'id="save-target"' not in seen
    assert _client(seller).post(url, {"who": f"user:{seller.pk}", "amount": "1"}).status_code == 403
    target = SalesTarget.objects.get(team=team)
    assert _client(seller).post(reverse("web:sales-target-delete", args=[target.pk])).status_code == 403
    gone = _client(manager).post(
        reverse("web:sales-target-delete", args=[target.pk]), {"month": f"{month:%Y-%m}"}
    )
    assert gone.status_code == 302
    assert SalesTarget.objects.count() == 1
    assert _client(make_user(username="nina")).get(url).status_code == 403
    assert targets.targets_progress(actor=manager, month=month + dt.timedelta(days=40)) == []


# ---- returns ----------------------------------------------------------------------------


def test_a_return_through_the_pages(rep: Any, delivered: SalesOrder, make_user: Callable[..., Any]) -> None:
    accountant = make_user("finance", username="fay")
    invoice = Invoice.objects.get(kind=InvoiceKind.CUSTOMER_INVOICE)
    invoicing.invoice_post(actor=accountant, invoice_id=invoice.pk)
    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    client = _client(rep)
    form_url = reverse("web:sales-return-create", args=[delivered.pk])
    form = client.get(form_url)
    assert form.status_code == 200
    assert f'name="line-{line.pk}-quantity"' in form.content.decode()

    too_many = client.post(form_url, {f"line-{line.pk}-quantity": "4", "reason": "Scratched"})
    assert too_many.status_code == 422
    assert "At most 3 can be returned." in too_many.content.decode()
    nothing = client.post(form_url, {"reason": "Scratched"})
    assert nothing.status_code == 422
    assert not ReturnAuthorisation.objects.exists()

    made = client.post(form_url, {f"line-{line.pk}-quantity": "1", "reason": "Scratched"})
    assert made.status_code == 302
    rma = ReturnAuthorisation.objects.get()
    assert made["Location"] == reverse("web:sales-return-detail", args=[rma.pk])
    detail = client.get(made["Location"]).content.decode()
    assert rma.number in detail
    assert 'id="approve-return"' in detail

    listed = client.get(reverse("web:sales-return-list"), {"order": delivered.pk}).content.decode()
    assert rma.number in listed
    assert "1 return" in listed

    approved = client.post(reverse("web:sales-return-approve", args=[rma.pk]), {"version": "1"})
    assert approved.status_code == 302
    rma.refresh_from_db()
    receipt = Transfer.objects.get(pk=rma.receipt_id)
    assert receipt.number in client.get(approved["Location"]).content.decode()
    inventory.transfer_validate(actor=rep, transfer_id=receipt.pk)
    run_pending_events()
    rma.refresh_from_db()
    assert rma.state == "credited"
    detail = client.get(reverse("web:sales-return-detail", args=[rma.pk])).content.decode()
    assert str(rma.credit_note) in detail
    assert 'id="cancel-return"' not in detail
    assert returns.returnable_lines(delivered)[0].returnable == Decimal(2)
    assert terms.customer_exposure(delivered.company_id, delivered.customer_id) == Decimal("326.70")


def test_return_pages_permissions(
    delivered: SalesOrder, rep: Any, outsider: Any, make_user: Callable[..., Any]
) -> None:
    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    rma = returns.return_create(
        actor=rep, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
    )
    detail = reverse("web:sales-return-detail", args=[rma.pk])
    assert _client(outsider).get(detail).status_code == 404
    assert _client(outsider).get(reverse("web:sales-return-create", args=[delivered.pk])).status_code == 404
    finance = make_user("finance", username="frank")
    assert _client(finance).get(detail).status_code == 200
    assert 'id="approve-return"' not in _client(finance).get(detail).content.decode()
    assert _client(finance).post(reverse("web:sales-return-approve", args=[rma.pk])).status_code == 403
    assert _client(make_user(username="nina")).get(reverse("web:sales-return-list")).status_code == 403
    cancelled = _client(rep).post(reverse("web:sales-return-cancel", args=[rma.pk]), {"version": "1"})
    assert cancelled.status_code == 302
    rma.refresh_from_db()
    assert rma.state == "cancelled"


def test_return_list_filters_and_swaps_its_results(
    delivered: SalesOrder, rep: Any, django_assert_max_num_queries: Any
) -> None:
    line = SalesOrderLine.objects.get(order=delivered, is_optional=False)
    first = returns.return_create(
        actor=rep, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
    )
    second = returns.return_create(
        actor=rep, order_id=delivered.pk, lines=[{"order_line_id": line.pk, "quantity": 1}]
    )
    returns.return_cancel(actor=rep, return_id=first.pk)
    client = _client(rep)
    url = reverse("web:sales-return-list")
    client.get(url)  # the session's first request
    with django_assert_max_num_queries(12):
        full = client.get(url).content.decode()
    assert first.number in full
    assert second.number in full
    swapped = client.get(
        url, {"state": "cancelled"}, headers={"HX-Request": "true", "HX-Target": "return-results"}
    )
    body = swapped.content.decode()
    assert first.number in body
    assert second.number not in body
    assert "<html" not in body
    searched = client.get(url, {"q": second.number}).content.decode()
    assert second.number in searched
    assert f">{first.number}<" not in searched


def test_the_party_page_links_to_its_sales_and_loads_its_activities(
    client: Any, rep: Any, customer: Any
) -> None:
    client.force_login(rep)
    page = client.get(reverse("web:party-detail", args=[customer.pk])).content.decode()
    assert f'href="{reverse("web:sales-order-list")}?customer={customer.pk}"' in page
    assert f'href="{reverse("web:sales-order-create")}?customer={customer.pk}"' in page
    assert f"{reverse('web:activity-panel')}?target=parties.party:{customer.pk}" in page
    listed = client.get(reverse("web:sales-return-list") + f"?customer={customer.pk}")
    assert listed.status_code == 200
