"""Online acceptance: the signed link names one version of one quotation and expires; the
customer answers once, by name, and only while the quotation is sent."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core import signing
from django.utils import timezone

from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.sales import quotes, services
from kantoor.sales.errors import (
    QuoteAnsweredError,
    QuoteLinkError,
    SalesOrderInvalidError,
    SalesOrderStateError,
)
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


def _row(order: SalesOrder) -> dict[str, Any]:
    return dict(SalesOrder.objects.filter(pk=order.pk).values().get())


def _events(name: str) -> list[dict[str, Any]]:
    return [row.payload for row in OutboxEvent.objects.filter(name=name).order_by("pk")]


def test_the_link_opens_the_quotation_it_was_made_for(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    assert quotes.quote_public_get(token).pk == order.pk
    assert quotes.quote_link_url(order) == f"http://127.0.0.1:8000/q/{token}/"


def test_the_site_url_comes_from_the_settings(quote_make: Any, settings: Any) -> None:
    settings.KANTOOR_SITE_URL = "https://kantoor.tulip.example/"
    order = quote_make(sent=True)
    assert quotes.quote_link_url(order).startswith("https://kantoor.tulip.example/q/")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature changed
        lambda token: "x" + token,  # payload changed
        lambda token: "not-a-link",
        lambda token: signing.dumps({"o": 1, "r": 1, "e": 4102444800}, salt="another-salt"),
    ],
)
def test_a_tampered_link_is_refused(quote_make: Any, spoil: Any) -> None:
    order = quote_make(sent=True)
    with pytest.raises(QuoteLinkError) as refused:
        quotes.quote_public_get(spoil(quotes.quote_link_token(order)))
    assert refused.value.extra["reason"] == quotes.INVALID
    assert refused.value.status == 404


def test_a_link_naming_another_order_is_refused_even_when_signed(quote_make: Any) -> None:
    order = quote_make(sent=True)
    forged = signing.dumps({"o": order.pk + 1000, "r": 1, "e": 4102444800}, salt=quotes.SALT, compress=True)
    with pytest.raises(QuoteLinkError) as refused:
        quotes.quote_public_get(forged)
    assert refused.value.extra["reason"] == quotes.INVALID


def test_a_link_past_its_expiry_says_it_expired(quote_make: Any) -> None:
    order = quote_make(sent=True)
    past = int((timezone.now() - dt.timedelta(seconds=1)).timestamp())
    token = signing.dumps({"o": order.pk, "r": order.revision, "e": past}, salt=quotes.SALT, compress=True)
    with pytest.raises(QuoteLinkError) as refused:
        quotes.quote_public_get(token)
    assert refused.value.extra["reason"] == quotes.EXPIRED
    assert "expired" in refused.value.message


def test_the_link_expires_with_the_quotations_validity(quote_make: Any) -> None:
    order = quote_make(sent=True, valid_until=timezone.localdate() + dt.timedelta(days=3))
    token = quotes.quote_link_token(order)
    # the end of the validity date in the company's time zone
    expires = quotes.link_expires_at(order)
    assert expires == dt.datetime.combine(
        order.valid_until + dt.timedelta(days=1), dt.time.min, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam")
    )
    assert expires > timezone.now() + dt.timedelta(days=2)
    SalesOrder.objects.filter(pk=order.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(QuoteLinkError) as refused:
        quotes.quote_public_get(token)
    assert refused.value.extra["reason"] == quotes.EXPIRED


def test_a_quotation_without_validity_date_gets_a_link_for_link_days() -> None:
    order = SalesOrder(valid_until=None)
    now = timezone.now()
    assert quotes.link_expires_at(order, now=now) == now + dt.timedelta(days=quotes.LINK_DAYS)


def test_the_link_of_an_older_version_says_a_newer_one_was_sent(quote_make: Any, rep: Any) -> None:
    order = quote_make(sent=True)
    old = quotes.quote_link_token(order)
    services.quotation_update(actor=rep, order_id=order.pk, notes="Delivery in week 12")
    services.quotation_send(actor=rep, order_id=order.pk, to=())
    with pytest.raises(QuoteLinkError) as refused:
        quotes.quote_public_get(old)
    assert refused.value.extra["reason"] == quotes.SUPERSEDED
    assert "newer version" in refused.value.message
    with pytest.raises(QuoteLinkError):
        quotes.quote_accept(token=old, name="Jan Visser")
    assert _row(order)["answered_at"] is None
    new = quotes.quote_link_token(SalesOrder.objects.get(pk=order.pk))
    assert quotes.quote_public_get(new).revision == 2


def test_accepting_records_who_and_when_once(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    accepted = quotes.quote_accept(token=token, name="  Jan   Visser ")
    row = _row(order)
    assert row["answered_by_name"] == "Jan Visser"
    assert row["answered_at"] is not None
    assert row["state"] == OrderState.SENT  # the QuoteAccepted handler confirms it
    assert row["version"] == order.version + 1 == accepted.version
    (payload,) = _events("sales.QuoteAccepted")
    assert payload["order_id"] == order.pk
    assert payload["accepted_by"] == "Jan Visser"
    assert payload["actor_id"] is None
    entry = AuditEntry.objects.get(action="sales.quote_accept")
    assert entry.actor_id is None
    assert entry.object_id == str(order.pk)
    assert entry.company_id == order.company_id


def test_a_second_answer_is_refused_and_changes_nothing(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    quotes.quote_accept(token=token, name="Jan Visser")
    before = _row(order)
    events = OutboxEvent.objects.count()
    with pytest.raises(QuoteAnsweredError):
        quotes.quote_accept(token=token, name="Piet Visser")
    with pytest.raises(QuoteAnsweredError):
        quotes.quote_decline(token=token, name="Piet Visser", reason="Too late")
    assert _row(order) == before
    assert OutboxEvent.objects.count() == events


def test_declining_records_the_reason_and_declines_the_quotation(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    quotes.quote_decline(token=token, name="Jan Visser", reason="We found a cheaper desk.")
    row = _row(order)
    assert row["state"] == OrderState.DECLINED
    assert row["answered_by_name"] == "Jan Visser"
    assert row["decline_reason"] == "We found a cheaper desk."
    (payload,) = _events("sales.QuoteDeclined")
    assert payload["declined_by"] == "Jan Visser"
    assert payload["reason"] == "We found a cheaper desk."
    assert AuditEntry.objects.get(action="sales.quote_decline").actor_id is None
    with pytest.raises(QuoteAnsweredError):
        quotes.quote_accept(token=token, name="Jan Visser")


def test_an_answer_needs_a_name(quote_make: Any) -> None:
    order = quote_make(sent=True)
    token = quotes.quote_link_token(order)
    before = _row(order)
    with pytest.raises(SalesOrderInvalidError) as refused:
        quotes.quote_accept(token=token, name="   ")
    assert list(refused.value.field_errors) == ["name"]
    with pytest.raises(SalesOrderInvalidError) as too_long:
        quotes.quote_decline(token=token, name="Jan", reason="x" * (quotes.REASON_MAX + 1))
    assert list(too_long.value.field_errors) == ["reason"]
    assert _row(order) == before
    assert not OutboxEvent.objects.filter(name__in=["sales.QuoteAccepted", "sales.QuoteDeclined"]).exists()


def test_a_quotation_not_sent_is_not_answered(quote_make: Any, rep: Any) -> None:
    draft = quote_make()
    with pytest.raises(SalesOrderStateError):
        quotes.quote_accept(token=quotes.quote_link_token(draft), name="Jan Visser")
    sent = quote_make(sent=True)
    token = quotes.quote_link_token(sent)
    services.order_cancel(actor=rep, order_id=sent.pk)
    with pytest.raises(SalesOrderStateError):
        quotes.quote_decline(token=token, name="Jan Visser")
    assert _row(sent)["answered_at"] is None
