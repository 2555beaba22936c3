"""Pages of finance: payments — list, detail, register (from an invoice or for any party,
settling several of its open documents), cancel and unreconcile.

As everywhere, the views call the finance selectors and services with `request.user`:
who may not read invoices gets a 403, a payment out of scope a 404, a refused write a 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core.errors import DomainError
from kantoor.finance import invoice_selectors as selectors
from kantoor.finance import payments
from kantoor.finance.models import Invoice, PaymentKind, PaymentStatus
from kantoor.parties import selectors as party_selectors
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = "finance.view_invoice"
PAY = "finance.manage_payment"
PAGE_SIZE = 25
COUNT_CAP = 1000
MAX_ALLOCATIONS = 50  # open documents offered on the form, oldest due first
PAYMENT_ORDER = Ordering("date_key", descending=True)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


# ---- list and detail --------------------------------------------------------------------


@page
def payment_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    filters: dict[str, Any] = {
        "q": params.get("q", "").strip()[:100],
        "kind": params.get("kind", "") if params.get("kind") in PaymentKind.values else "",
        "status": params.get("status", "") if params.get("status") in PaymentStatus.values else "",
        "party": _int(params.get("party")),
    }
    rows = selectors.payments_visible(request.user)
    if filters["q"]:
        rows = rows.filter(
            Q(entry__number__icontains=filters["q"])
            | Q(reference__icontains=filters["q"])
            | Q(party__name__icontains=filters["q"])
        )
    if filters["kind"]:
        rows = rows.filter(kind=filters["kind"])
    if filters["status"]:
        rows = rows.filter(status=filters["status"])
    party = None
    if filters["party"]:
        rows = rows.filter(party_id=filters["party"])
        party = party_selectors.parties_visible(request.user).filter(pk=filters["party"]).first()
    rows = rows.select_related("party", "journal", "entry").annotate(
        date_key=Cast("date", output_field=CharField())
    )
    result = keyset_page(
        rows, PAYMENT_ORDER, after=params.get("after", ""), before=params.get("before", ""), size=PAGE_SIZE
    )
    count = rows.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "base_query": query.urlencode(),
        "filters": filters,
        "party": party,
        "kinds": PaymentKind.choices,
        "statuses": PaymentStatus.choices,
        "can_create": policy.has_permission(request.user, PAY),
    }
    if request.htmx and request.htmx.target == "payment-results":
        return render(request, "web/finance/payments/list.html#results", context)
    return render(request, "web/finance/payments/list.html", context)


@page
def payment_detail(request: AuthedRequest, payment_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    payment = selectors.payment_get_for_actor(request.user, payment_id)
    settled = selectors.invoices_of_payment(request.user, payment)
    may_pay = policy.allows(request.user, PAY, payment)
    posted = payment.status == PaymentStatus.POSTED
    context = {
        "payment": payment,
        "settled": settled,
        "unallocated": payment.amount - sum((amount for _doc, amount in settled), Decimal(0)),
        "show_entries": policy.has_permission(request.user, "finance.view_ledger"),
        "can_cancel": may_pay and posted,
        "can_unreconcile": may_pay and posted and bool(settled),
        "today": timezone.localdate(),
    }
    return render(request, "web/finance/payments/detail.html", context)


# ---- register ---------------------------------------------------------------------------


class PaymentForm(forms.Form):
    """The payment; names match the service's (the party is the picker's radio buttons)."""

    party = forms.IntegerField(label=gettext_lazy("Party"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Direction"), choices=PaymentKind.choices)
    journal_id = forms.TypedChoiceField(label=gettext_lazy("Bank or cash journal"), coerce=int)
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(label=gettext_lazy("Amount"), localize=True)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=120, required=False)
    # Without invoices: which balance the payment settles (a customer's credit refunded…).
    counterpart = forms.ChoiceField(
        label=gettext_lazy("Settles"),
        required=False,
        choices=[
            ("", gettext_lazy("Nothing yet (stays open on the party)")),
            ("receivable", gettext_lazy("The customer's open balance")),
            ("payable", gettext_lazy("The supplier's open balance")),
        ],
    )

    def __init__(self, *args: Any, journals: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["journal_id"]).choices = journals


class AllocationForm(forms.Form):
    pay = forms.BooleanField(label=gettext_lazy("Pay"), required=False)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        required=False,
        localize=True,
        help_text=gettext_lazy("Empty: as much as is due"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, allocation_field in self.fields.items():  # the rows show no <label>s
            allocation_field.widget.attrs["aria-label"] = str(allocation_field.label or name)


@dataclass
class Allocation:
    invoice: Invoice
    form: AllocationForm


def _kind_paying(invoice: Invoice) -> str:
    """The direction of money that settles a document (the service's PAYS)."""
    return next(kind for kind, kinds in payments.PAYS.items() if invoice.kind in kinds)


def _allocations(
    request: AuthedRequest, party_id: int | None, kind: str, *, data: Any, preselect: Invoice | None
) -> list[Allocation]:
    if party_id is None or kind not in PaymentKind.values:
        return []
    documents = list(
        selectors.open_invoices_of_party(request.user, party_id, payments.PAYS[PaymentKind(kind)])[
            :MAX_ALLOCATIONS
        ]
    )
    return [
        Allocation(
            invoice=doc,
            form=AllocationForm(
                data,
                prefix=f"invoice-{doc.pk}",
                initial={"pay": preselect is not None and doc.pk == preselect.pk},
            ),
        )
        for doc in documents
    ]


@page
def payment_register(request: AuthedRequest) -> HttpResponse:
    """Register a payment: from an invoice (`?invoice=`: its party, direction and amount
    due preset) or for any party, settling any of its open documents."""
    require_permission(request, PAY)
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    invoice = None
    invoice_id = _int(request.GET.get("invoice"))
    if invoice_id is not None:
        invoice = selectors.invoice_get_for_actor(user, invoice_id)
    journals = [(j.pk, str(j)) for j in selectors.payment_journals(user)]
    initial: dict[str, Any] = {"date": timezone.localdate(), "kind": PaymentKind.INBOUND}
    if invoice is not None:
        initial.update(
            party=invoice.party_id,
            kind=_kind_paying(invoice),
            amount=invoice.amount_residual.quantize(Decimal("0.01")),
        )
    for name in ("party", "kind", "journal_id", "date", "amount", "reference"):
        if request.method == "GET" and params.get(name):
            initial[name] = params[name]
    bound = request.method == "POST"
    form = PaymentForm(request.POST if bound else None, initial=initial, journals=journals)
    party_id = invoice.party_id if invoice else _int(str(params.get("party") or initial.get("party") or ""))
    kind = str(params.get("kind") or initial["kind"])
    allocations = _allocations(
        request, party_id, kind, data=request.POST if bound else None, preselect=invoice
    )
    party = party_selectors.parties_visible(user).filter(pk=party_id).first() if party_id else None
    context = {"form": form, "allocations": allocations, "party": party, "invoice": invoice}
    if request.htmx and request.htmx.target == "allocations":
        return render(request, "web/finance/payments/register.html#allocations", context)
    if not bound:
        return render(request, "web/finance/payments/register.html", context)
    if not form.is_valid() or not all(a.form.is_valid() for a in allocations):
        return render(request, "web/finance/payments/register.html", context, status=422)
    data = form.cleaned_data
    chosen = [a for a in allocations if a.form.cleaned_data["pay"]]
    try:
        payment = payments.payment_register(
            actor=user,
            kind=data["kind"],
            party_id=invoice.party_id if invoice is not None else data["party"] or 0,
            journal_id=data["journal_id"],
            date=data["date"],
            amount=data["amount"],
            reference=data["reference"],
            allocations=[
                {"invoice_id": a.invoice.pk, "amount": a.form.cleaned_data["amount"]} for a in chosen
            ],
            # From an invoice, in its currency (the exchange difference is booked).
            currency=invoice.currency if invoice is not None else "",
            counterpart="" if invoice is not None or chosen else data.get("counterpart") or "",
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(
            form, exc, {"allocations": [a.form for a in chosen]}, renames={"party_id": "party"}
        )
        return render(request, "web/finance/payments/register.html", context, status=exc.status)
    messages.success(request, _("Payment %(number)s was registered.") % {"number": payment.entry.number})
    if invoice is not None:
        return redirect("web:invoice-detail", invoice.pk)
    return redirect("web:payment-detail", payment.pk)


# ---- cancel and unreconcile -------------------------------------------------------------


@require_POST
@page
def payment_cancel(request: AuthedRequest, payment_id: int) -> HttpResponse:
    require_permission(request, PAY)
    on = _date(request.POST.get("date"))
    if request.POST.get("date") and on is None:
        messages.error(request, _("Give the cancellation's date as a date."))
        return redirect("web:payment-detail", payment_id)
    try:
        payments.payment_cancel(
            actor=request.user, payment_id=payment_id, version=_int(request.POST.get("version")), date=on
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The payment was cancelled; what it paid is due again."))
    return redirect("web:payment-detail", payment_id)


@require_POST
@page
def payment_unreconcile(request: AuthedRequest, payment_id: int) -> HttpResponse:
    require_permission(request, PAY)
    try:
        removed = payments.unreconcile(actor=request.user, payment_id=payment_id)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("%(count)s match(es) removed; the amounts are open again.") % {"count": removed}
        )
    return redirect("web:payment-detail", payment_id)


urlpatterns: list[URLPattern] = [
    path("finance/payments/", payment_list, name="payment-list"),
    path("finance/payments/new/", payment_register, name="payment-register"),
    path("finance/payments/<int:payment_id>/", payment_detail, name="payment-detail"),
    path("finance/payments/<int:payment_id>/cancel/", payment_cancel, name="payment-cancel"),
    path("finance/payments/<int:payment_id>/unreconcile/", payment_unreconcile, name="payment-unreconcile"),
]
