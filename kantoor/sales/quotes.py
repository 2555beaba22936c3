"""Online acceptance of a quotation: a signed, expiring link to a public page where the
customer accepts (with their name) or declines (with their name and a reason).

The link carries the order's id and the revision it was sent for, signed with its own salt
(django.core.signing, so only this server makes valid ones) and an expiry: the end of the
quotation's validity date in the company's time zone, or `LINK_DAYS` days after sending
when it has none. The page never shows costs or the margin; the answer is recorded once,
and only while the quotation is "sent".
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import audit, outbox
from kantoor.sales.errors import (
    QuoteAnsweredError,
    QuoteLinkError,
    SalesOrderInvalidError,
    SalesOrderStateError,
)
from kantoor.sales.events import QuoteAccepted, QuoteDeclined
from kantoor.sales.models import OrderState, SalesOrder

SALT = "kantoor.sales.quote-link"
# How long a link to a quotation without a validity date works.
LINK_DAYS = 30
NAME_MAX = 200
REASON_MAX = 2000
# Why a link is refused (QuoteLinkError.extra["reason"]): the page answers 410 for expired.
INVALID, EXPIRED, SUPERSEDED = "invalid", "expired", "superseded"


def _zone(order: SalesOrder) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(order.company.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _end_of(order: SalesOrder, day: dt.date) -> dt.datetime:
    """The last moment of `day` in the company's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=_zone(order))


def link_expires_at(order: SalesOrder, *, now: dt.datetime | None = None) -> dt.datetime:
    """Until when a link made now works: the end of the validity date, else LINK_DAYS on."""
    if order.valid_until is not None:
        return _end_of(order, order.valid_until)
    return (now or timezone.now()) + dt.timedelta(days=LINK_DAYS)


def quote_link_token(order: SalesOrder) -> str:
    """The signed token of the public page of `order` as it is now (its current revision)."""
    payload = {"o": order.pk, "r": order.revision, "e": int(link_expires_at(order).timestamp())}
    return signing.dumps(payload, salt=SALT, compress=True)


def site_url() -> str:
    """Where customers reach this Kantoor: the KANTOOR_SITE_URL setting (no trailing slash)."""
    return str(getattr(settings, "KANTOOR_SITE_URL", "") or "http://127.0.0.1:8000").rstrip("/")


def quote_link_url(order: SalesOrder) -> str:
    """The absolute URL of the quotation's public page, for the e-mail and the PDF."""
    return site_url() + reverse("web:quote-public", args=[quote_link_token(order)])


def _refuse(reason: str, message: str) -> QuoteLinkError:
    return QuoteLinkError(message, extra={"reason": reason})


def _decode(token: str) -> dict[str, int]:
    try:
        payload: Any = signing.loads(token[:1000], salt=SALT)
    except signing.BadSignature as exc:
        raise _refuse(INVALID, _("This link is not valid. Please use the link from the e-mail.")) from exc
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k), int) for k in ("o", "r", "e")):
        raise _refuse(INVALID, _("This link is not valid. Please use the link from the e-mail."))
    return payload


def _check(order: SalesOrder | None, payload: dict[str, int]) -> SalesOrder:
    if order is None:
        raise _refuse(INVALID, _("This link is not valid. Please use the link from the e-mail."))
    now = timezone.now()
    if now.timestamp() >= payload["e"] or (
        order.valid_until is not None and now >= _end_of(order, order.valid_until)
    ):
        raise _refuse(
            EXPIRED,
            _("This quotation link has expired. Please ask %(company)s for a new quotation.")
            % {"company": order.company.name},
        )
    if payload["r"] != order.revision:
        raise _refuse(
            SUPERSEDED,
            _(
                "A newer version of this quotation was sent. Please use the link in the latest "
                "e-mail from %(company)s."
            )
            % {"company": order.company.name},
        )
    return order


def _orders() -> Any:
    return SalesOrder.objects.select_related("company", "customer")


def quote_public_get(token: str) -> SalesOrder:
    """The quotation a public link names. QuoteLinkError when the link was tampered with
    (or names no order), has expired, or was sent for an older revision."""
    payload = _decode(token)
    return _check(_orders().filter(pk=payload["o"]).first(), payload)


def _answer_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SalesOrderInvalidError.for_field("name", _("Please give your name."))
    if len(name) > NAME_MAX:
        raise SalesOrderInvalidError.for_field(
            "name", _("At most %(count)d characters, please.") % {"count": NAME_MAX}
        )
    return name


def _locked_for_answer(token: str) -> SalesOrder:
    """The quotation of the link under lock, re-read, and still waiting for an answer."""
    payload = _decode(token)
    order = _check(_orders().select_for_update(of=("self",)).filter(pk=payload["o"]).first(), payload)
    if order.answered_at is not None or order.state in (
        OrderState.DECLINED,
        OrderState.CONFIRMED,
        OrderState.DONE,
    ):
        raise QuoteAnsweredError(_("This quotation was answered already."))
    if order.state != OrderState.SENT:
        raise SalesOrderStateError(_("This quotation can no longer be answered."))
    return order


@transaction.atomic
def quote_accept(*, token: str, name: str) -> SalesOrder:
    """The customer accepts the quotation of a public link (no user: the link is the proof).
    Locks the order; records who and when; the order stays "sent" until a handler of
    QuoteAccepted confirms it. QuoteAnsweredError on a second answer. Publishes QuoteAccepted."""
    name = _answer_name(name)
    order = _locked_for_answer(token)
    order.answered_by_name = name
    order.answered_at = timezone.now()
    order.version += 1
    order.save(update_fields=["answered_by_name", "answered_at", "version", "updated_at"])
    audit.record(
        actor=None,
        obj=order,
        action="sales.quote_accept",
        changes={"answered_by_name": [None, name], "revision": [None, order.revision]},
    )
    outbox.publish(
        QuoteAccepted(
            company_id=order.company_id,
            order_id=order.pk,
            customer_id=order.customer_id,
            number=order.number,
            accepted_by=name,
        )
    )
    return order


@transaction.atomic
def quote_decline(*, token: str, name: str, reason: str = "") -> SalesOrder:
    """The customer declines the quotation of a public link: the quotation becomes
    "declined" with their name and reason. Locks the order; QuoteAnsweredError on a second
    answer. Publishes QuoteDeclined."""
    name = _answer_name(name)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise SalesOrderInvalidError.for_field(
            "reason", _("At most %(count)d characters, please.") % {"count": REASON_MAX}
        )
    order = _locked_for_answer(token)
    order.state = OrderState.DECLINED
    order.answered_by_name = name
    order.answered_at = timezone.now()
    order.decline_reason = reason
    order.version += 1
    order.save(
        update_fields=["state", "answered_by_name", "answered_at", "decline_reason", "version", "updated_at"]
    )
    audit.record(
        actor=None,
        obj=order,
        action="sales.quote_decline",
        changes={
            "state": [OrderState.SENT, OrderState.DECLINED],
            "answered_by_name": [None, name],
            "decline_reason": [None, reason],
            "revision": [None, order.revision],
        },
    )
    outbox.publish(
        QuoteDeclined(
            company_id=order.company_id,
            order_id=order.pk,
            customer_id=order.customer_id,
            number=order.number,
            declined_by=name,
            reason=reason,
        )
    )
    return order
