"""A customer's sales terms (credit limit, price list, payment term, invoicing policy) and
the credit check that order confirmation runs against the credit limit.

The customer's exposure, in the company's currency, is:

- the open receivables: the residual of the customer's posted invoices less the residual of
  their posted credit notes, each converted at the document's own `rate`;
- plus the confirmed sales orders of the customer that no posted invoice covers yet, at
  their full `amount_total`, converted at today's rate. Once an invoice of an order is
  posted, the receivable carries the exposure (a partly invoiced order counts only through
  its posted invoices: the simple exact rule, documented in DESIGN.md);
- plus, in the credit check, the order being confirmed (today's rate).

The credit check raises CreditLimitExceededError when the exposure goes over the limit,
unless the actor asked to override and may (`sales.override_credit`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Final

from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.models import PriceList
from kantoor.core import audit, policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import Company, User
from kantoor.core.money import exchange_rate_on, quantize
from kantoor.core.services import require_version
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceState, PaymentTerm
from kantoor.parties.models import Party
from kantoor.sales.errors import CreditLimitExceededError, CustomerTermsInvalidError
from kantoor.sales.models import (
    CustomerTerms,
    InvoicingPolicy,
    OrderState,
    SalesInvoiceLine,
    SalesOrder,
)

VIEW = "sales.view_terms"
MANAGE = "sales.manage_terms"
OVERRIDE = "sales.override_credit"
TERMS_FIELDS = ["credit_limit", "price_list", "payment_term", "invoicing_policy"]


class _Unset(Enum):
    """A keyword not given: the field keeps its value (None clears it)."""

    UNSET = "unset"


UNSET: Final = _Unset.UNSET


def terms_get(company_id: int, party_id: int) -> CustomerTerms | None:
    """The customer's terms, or None when sales agreed nothing special with them."""
    return CustomerTerms.objects.filter(company_id=company_id, party_id=party_id).first()


def _party_for(actor: User, party_id: int, action: str) -> Party:
    """The party, if the actor may `action` its terms (the terms follow the party's owner
    and team); 404 when they may not even see the terms, so existence is not revealed."""
    party = Party.objects.filter(pk=party_id, merged_into__isnull=True).first()
    if party is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, action, party, visible_with=VIEW)
    return party


def terms_for_actor(*, actor: User, party_id: int) -> tuple[Party, CustomerTerms | None]:
    """The party and its terms as the actor may read them (sales.view_terms)."""
    policy.require(actor, VIEW)
    party = _party_for(actor, party_id, VIEW)
    return party, terms_get(party.company_id, party.pk)


def _limit(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float | bool):
        raise CustomerTermsInvalidError.for_field("credit_limit", _("Give the limit as a decimal number."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError) as exc:
        raise CustomerTermsInvalidError.for_field("credit_limit", _("Not a number.")) from exc
    if not number.is_finite():
        raise CustomerTermsInvalidError.for_field("credit_limit", _("Not a number."))
    if number < 0:
        raise CustomerTermsInvalidError.for_field("credit_limit", _("The credit limit cannot be negative."))
    if number >= Decimal(10) ** 15 or number != number.quantize(Decimal("0.01")):
        raise CustomerTermsInvalidError.for_field("credit_limit", _("At most 15 digits and 2 decimals."))
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def customer_terms_set(
    *,
    actor: User,
    party_id: int,
    credit_limit: Decimal | str | _Unset | None = UNSET,
    price_list_id: int | _Unset | None = UNSET,
    payment_term_id: int | _Unset | None = UNSET,
    invoicing_policy: str | _Unset = UNSET,
    version: int | None = None,
) -> CustomerTerms:
    """Create or change the customer's terms (sales.manage_terms). A keyword not given keeps
    its value; None (or "" for the policy) clears it, so the company's default applies.
    Locks the terms row; audits "sales.terms_set" with the changed fields."""
    policy.require(actor, MANAGE)
    party = _party_for(actor, party_id, MANAGE)
    company_id = party.company_id
    terms = CustomerTerms.objects.select_for_update().filter(company_id=company_id, party_id=party.pk).first()
    created = terms is None
    if terms is None:
        terms = CustomerTerms(company_id=company_id, party=party)
    else:
        require_version(terms, version)
    before = audit.snapshot(terms, TERMS_FIELDS) if not created else {}
    errors: dict[str, list[str]] = {}
    if not isinstance(credit_limit, _Unset):
        try:
            terms.credit_limit = _limit(credit_limit)
        except CustomerTermsInvalidError as exc:
            errors.update(exc.field_errors)
    if not isinstance(price_list_id, _Unset):
        if (
            price_list_id is not None
            and not PriceList.objects.filter(pk=price_list_id, company_id=company_id).exists()
        ):
            errors["price_list_id"] = [_("Choose a price list of your company.")]
        terms.price_list_id = price_list_id
    if not isinstance(payment_term_id, _Unset):
        if (
            payment_term_id is not None
            and not PaymentTerm.objects.filter(pk=payment_term_id, company_id=company_id).exists()
        ):
            errors["payment_term_id"] = [_("Choose a payment term of your company.")]
        terms.payment_term_id = payment_term_id
    if not isinstance(invoicing_policy, _Unset):
        if invoicing_policy not in ("", *InvoicingPolicy.values):
            errors["invoicing_policy"] = [_("Invoice on order or on delivery.")]
        terms.invoicing_policy = invoicing_policy
    if errors:
        raise CustomerTermsInvalidError(_("Correct the customer's terms."), field_errors=errors)
    if created:
        terms.save()
        audit.record(
            actor=actor, obj=terms, action="sales.terms_create", changes=audit.snapshot(terms, TERMS_FIELDS)
        )
        return terms
    changes = audit.diff(before, audit.snapshot(terms, TERMS_FIELDS))
    if changes:
        terms.version += 1
        terms.save()
        audit.record(actor=actor, obj=terms, action="sales.terms_update", changes=changes)
    return terms


def base_currency(company_id: int) -> str:
    return str(Company.objects.values_list("base_currency", flat=True).get(pk=company_id))


def open_receivables(company_id: int, party_id: int, *, base: str = "") -> Decimal:
    """The customer's posted invoices' residual less their posted credit notes' residual, in
    the company's currency `base` (each converted at its own rate; grouped by rate in SQL)."""
    base = base or base_currency(company_id)
    rows = (
        Invoice.objects.filter(
            company_id=company_id,
            party_id=party_id,
            state=InvoiceState.POSTED,
            kind__in=(InvoiceKind.CUSTOMER_INVOICE, InvoiceKind.CUSTOMER_CREDIT_NOTE),
            amount_residual__gt=0,
        )
        .values_list("kind", "rate")
        .annotate(residual=Sum("amount_residual"))
        .order_by()
    )
    total = Decimal(0)
    for kind, rate, residual in rows:
        amount = quantize(Decimal(str(residual)).quantize(Decimal("0.000001")) / Decimal(rate), base)
        total += amount if kind == InvoiceKind.CUSTOMER_INVOICE else -amount
    return total


def uninvoiced_orders(
    company_id: int, party_id: int, *, on: dt.date, exclude_order_id: int | None = None, base: str = ""
) -> Decimal:
    """Σ amount_total of the customer's confirmed orders that no posted customer invoice
    covers yet, in the company's currency at the rate of `on` (grouped by currency in SQL)."""
    base = base or base_currency(company_id)
    posted = SalesInvoiceLine.objects.filter(
        order_line__order_id=OuterRef("pk"),
        invoice__state=InvoiceState.POSTED,
        invoice__kind=InvoiceKind.CUSTOMER_INVOICE,
    )
    orders = SalesOrder.objects.filter(
        company_id=company_id, customer_id=party_id, state=OrderState.CONFIRMED
    ).exclude(Exists(posted))
    if exclude_order_id is not None:
        orders = orders.exclude(pk=exclude_order_id)
    total = Decimal(0)
    for currency, amount in orders.values_list("currency").annotate(total=Sum("amount_total")).order_by():
        total += _to_base(company_id, base, Decimal(str(amount)).quantize(Decimal("0.01")), currency, on)
    return total


def _to_base(company_id: int, base: str, amount: Decimal, currency: str, on: dt.date) -> Decimal:
    if currency == base:
        return quantize(amount, base)
    return quantize(amount / exchange_rate_on(company_id=company_id, currency=currency, on=on), base)


def customer_exposure(
    company_id: int, party_id: int, *, exclude_order_id: int | None = None, base: str = ""
) -> Decimal:
    """What the customer owes or has ordered and not been invoiced for, in the company's
    currency (`base`, read when not given)."""
    base = base or base_currency(company_id)
    today = timezone.localdate()
    return open_receivables(company_id, party_id, base=base) + uninvoiced_orders(
        company_id, party_id, on=today, exclude_order_id=exclude_order_id, base=base
    )


def credit_check(*, actor: User, order: SalesOrder, override: bool) -> bool:
    """Check the order against the customer's credit limit, before it is confirmed.

    Returns False when the customer has no credit limit (one query) or stays within it.
    Over the limit: with `override` and sales.override_credit, writes the audit row
    "sales.credit_override" on the order (limit, exposure, currency) and returns True — the
    caller records `credit_override_by`; otherwise raises CreditLimitExceededError naming
    the limit, the exposure and the currency. Call it inside the confirming transaction."""
    limit = (
        CustomerTerms.objects.filter(company_id=order.company_id, party_id=order.customer_id)
        .values_list("credit_limit", flat=True)
        .first()
    )
    if limit is None:
        return False
    base = base_currency(order.company_id)
    today = timezone.localdate()
    exposure = customer_exposure(
        order.company_id, order.customer_id, exclude_order_id=order.pk, base=base
    ) + _to_base(order.company_id, base, order.amount_total, order.currency, today)
    if exposure <= limit:
        return False
    details = {"limit": f"{limit:.2f}", "exposure": f"{exposure:.2f}", "currency": base}
    if override and policy.has_permission(actor, OVERRIDE):
        audit.record(
            actor=actor,
            obj=order,
            action="sales.credit_override",
            changes={"credit_limit": details["limit"], "exposure": details["exposure"], "currency": base},
        )
        return True
    raise CreditLimitExceededError(
        _(
            "This order takes the customer's exposure to %(exposure)s %(currency)s, over their "
            "credit limit of %(limit)s %(currency)s."
        )
        % details,
        extra={"credit_limit": details["limit"], "exposure": details["exposure"], "currency": base},
    )
