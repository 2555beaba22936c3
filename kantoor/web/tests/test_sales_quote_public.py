"""The customer's public quotation page, without signing in: the quotation (never the
margin or costs), accept with a name, decline with a name and a reason, the answer shown
afterwards, and clear 404 / 410 pages for a spoiled, expired or superseded link."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kantoor.sales import quotes, services
from kantoor.sales.models import OrderState, SalesOrder
from kantoor.sales.tests.quote_support import (
    books,
    customer,
    pieces,
    products,
    quote_make,
    rep,
    v21,
    warehouse,
)

__all__ = ["books", "customer", "pieces", "products", "quote_make", "rep", "v21", "warehouse"]

pytestmark = pytest.mark.django_db


def _url(name: str, token: str) -> str:
    return reverse(f"web:{name}", args=[token])


def test_the_customer_sees_the_quotation_without_margin_or_costs(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    response = Client().get(_url("quote-public", token))
    html = response.content.decode()
    assert response.status_code == 200
    assert order.number in html
    assert "Standing desk" in html
    assert "Desk lamp" in html
    assert 'id="public-total">326.70 EUR<' in html
    assert 'id="accept-form"' in html
    assert 'id="decline-form"' in html
    quotation = html.split('id="public-quote"')[1]  # after the styles, which speak of margins
    for secret in ("90.00", "60.00", "12.50", "argin", "Cost"):
        assert secret not in quotation, secret
    pdf = Client().get(_url("quote-public-pdf", token))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


def test_accepting_needs_a_name_then_shows_the_answer(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    client = Client()
    blank = client.post(_url("quote-public-accept", token), {"accept-name": "  "})
    assert blank.status_code == 422
    assert 'id="id_accept-name_error"' in blank.content.decode()
    assert SalesOrder.objects.get(pk=order.pk).answered_at is None
    accepted = client.post(_url("quote-public-accept", token), {"accept-name": "Jan Visser"})
    assert accepted.status_code == 302
    assert accepted["Location"] == _url("quote-public", token)
    page = client.get(accepted["Location"]).content.decode()
    assert "Accepted by Jan Visser" in page
    assert 'id="accept-form"' not in page
    assert SalesOrder.objects.get(pk=order.pk).answered_by_name == "Jan Visser"
    again = client.post(_url("quote-public-decline", token), {"decline-name": "Piet", "decline-reason": "No"})
    assert again.status_code == 409
    assert "answered already" in again.content.decode()
    assert SalesOrder.objects.get(pk=order.pk).state == OrderState.SENT


def test_declining_with_a_reason(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    client = Client()
    response = client.post(
        _url("quote-public-decline", token), {"decline-name": "Jan Visser", "decline-reason": "Too expensive"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.state, order.decline_reason) == (OrderState.DECLINED, "Too expensive")
    assert "Declined by Jan Visser" in client.get(_url("quote-public", token)).content.decode()


def test_a_spoiled_link_is_a_404_page(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    for spoiled in (token[:-3] + "xyz", "garbage"):
        response = Client().get(_url("quote-public", spoiled))
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
        assert Client().post(_url("quote-public-accept", spoiled), {"accept-name": "Jan"}).status_code == 404
    assert SalesOrder.objects.get(pk=order.pk).answered_at is None


def test_an_expired_link_is_a_410_page(quote_make: Any) -> None:
    order = quote_make(sent=True)
    past = int((timezone.now() - dt.timedelta(minutes=1)).timestamp())
    token = signing.dumps({"o": order.pk, "r": order.revision, "e": past}, salt=quotes.SALT, compress=True)
    response = Client().get(_url("quote-public", token))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    accept = Client().post(_url("quote-public-accept", token), {"accept-name": "Jan"})
    assert accept.status_code == 410
    assert SalesOrder.objects.get(pk=order.pk).answered_at is None


def test_the_link_to_an_older_version_says_so(quote_make: Any, rep: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    services.quotation_update(actor=rep, order_id=order.pk, notes="Week 12")
    response = Client().get(_url("quote-public", token))
    assert response.status_code == 404
    assert "A newer version of this quotation was sent" in response.content.decode()


def test_a_signed_in_user_sees_the_public_page_too(quote_make: Any, rep: Any) -> None:
    order = quote_make(sent=True)
    client = Client()
    client.force_login(rep)
    html = client.get(_url("quote-public", quotes.quote_link_token(order))).content.decode()
    assert 'id="public-quote"' in html
    assert "argin" not in html.split('id="public-quote"')[1]
