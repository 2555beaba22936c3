"""The invoice PDF page and endpoint: inline or as a download, and only for who may see the
invoice (404 for an invoice one cannot see, 403 without any invoice permission)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from kantoor.core.tests.api_support import api_as
from kantoor.finance import services
from kantoor.finance.models import Invoice
from kantoor.finance.tests.documents_support import bank_set, customer_make, invoice_make

pytestmark = pytest.mark.django_db

__all__ = ["api_as"]


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    user = make_user("finance", username="fiona")
    services.chart_install(actor=user, template="generic")
    services.fiscal_year_create(actor=user, year=2026)
    bank_set(user)
    return user


@pytest.fixture
def posted(accountant: Any) -> Invoice:
    return invoice_make(accountant, customer_make(accountant))  # the accountant owns the party


def test_the_pdf_page_inline_and_as_download(client: Any, accountant: Any, posted: Invoice) -> None:
    client.force_login(accountant)
    url = reverse("web:invoice-pdf", args=[posted.pk])
    assert url == f"/finance/invoices/{posted.pk}/pdf/"

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{posted.number}.pdf"'
    assert response.content.startswith(b"%PDF-")

    response = client.get(url, {"download": "1"})
    assert response["Content-Disposition"] == f'attachment; filename="{posted.number}.pdf"'


def test_the_pdf_page_is_for_who_may_see_the_invoice(
    client: Any, make_user: Callable[..., Any], outsider: Any, nobody: Any, posted: Invoice
) -> None:
    url = reverse("web:invoice-pdf", args=[posted.pk])
    expected = [
        (make_user("sales", scope="company"), 200),
        (make_user("sales", scope="own"), 404),  # not their customer: it does not exist for them
        (outsider, 404),
        (nobody, 403),
    ]
    for user, status in expected:
        client.force_login(user)
        assert client.get(url).status_code == status, user.username
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user("finance"))
    assert client.get(reverse("web:invoice-pdf", args=[999999])).status_code == 404


def test_the_pdf_endpoint(
    api_as: Callable[..., Any], accountant: Any, make_user: Callable[..., Any], posted: Invoice
) -> None:
    response = api_as(accountant).get(f"/invoices/{posted.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{posted.number}.pdf"'
    assert response.content.startswith(b"%PDF-")

    assert api_as(make_user("sales", scope="own")).get(f"/invoices/{posted.pk}/pdf").status_code == 404
    assert api_as(make_user()).get(f"/invoices/{posted.pk}/pdf").status_code == 403
    assert api_as(accountant).get("/invoices/999999/pdf").status_code == 404
