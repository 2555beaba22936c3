"""Pages of customer terms, sales targets and returns: a customer's sales terms with their
current exposure against the credit limit; the month's targets with their progress (the
sales manager sets them, a rep sees their own and their teams'); return authorisations —
the list (all, or one order's), the form that requests one from the order's delivered
lines, and the detail with Approve / Cancel, the return receipt and the credit note.

Every page calls the sales services and selectors with `request.user`: the policy decides
what is shown and allowed (403 before any record is read without the role, 404 for what
the user may not see, a refused write a message or a form error)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.catalog.models import PriceList
from kantoor.core import policy
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.core.models import Team, User
from kantoor.finance.models import PaymentTerm
from kantoor.sales import returns, targets, terms
from kantoor.sales.models import InvoicingPolicy, ReturnState
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

PAGE_SIZE = 25
COUNT_CAP = 1000
ORDER = Ordering("created_at", descending=True, is_datetime=True)
STATE_TABS = [
    ("", gettext_lazy("All")),
    (ReturnState.DRAFT, gettext_lazy("Requested")),
    (ReturnState.APPROVED, gettext_lazy("Approved")),
    (ReturnState.RECEIVED, gettext_lazy("Received")),
    (ReturnState.CREDITED, gettext_lazy("Credited")),
    (ReturnState.CANCELLED, gettext_lazy("Cancelled")),
]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _url_or_empty(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


# ---- customer terms ---------------------------------------------------------------------


class TermsForm(forms.Form):
    credit_limit = forms.DecimalField(
        label=gettext_lazy("Credit limit"),
        required=False,
        localize=True,
        min_value=0,
        decimal_places=2,
        max_digits=17,
        help_text=gettext_lazy("In the company's currency; empty: no limit."),
    )
    price_list_id = forms.TypedChoiceField(
        label=gettext_lazy("Price list"), coerce=int, empty_value=None, required=False
    )
    payment_term_id = forms.TypedChoiceField(
        label=gettext_lazy("Payment term"), coerce=int, empty_value=None, required=False
    )
    invoicing_policy = forms.ChoiceField(
        label=gettext_lazy("Invoicing policy"),
        required=False,
        choices=[("", gettext_lazy("The company's default")), *InvoicingPolicy.choices],
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["price_list_id"]).choices = [
            ("", _("The company's default")),
            *PriceList.objects.filter(company_id=company_id, is_active=True)
            .order_by("name")
            .values_list("pk", "name"),
        ]
        cast("forms.ChoiceField", self.fields["payment_term_id"]).choices = [
            ("", _("The company's default")),
            *PaymentTerm.objects.filter(company_id=company_id, is_active=True)
            .order_by("name")
            .values_list("pk", "name"),
        ]


@page
def customer_terms(request: AuthedRequest, party_id: int) -> HttpResponse:
    require_permission(request, terms.VIEW)
    party, row = terms.terms_for_actor(actor=request.user, party_id=party_id)
    can_manage = policy.allows(request.user, terms.MANAGE, party)
    base = terms.base_currency(party.company_id)
    initial = {
        "credit_limit": row.credit_limit if row else None,
        "price_list_id": row.price_list_id if row else None,
        "payment_term_id": row.payment_term_id if row else None,
        "invoicing_policy": row.invoicing_policy if row else "",
        "version": row.version if row else None,
    }
    form = TermsForm(
        request.POST if request.method == "POST" else None, initial=initial, company_id=party.company_id
    )
    status = 200
    if request.method == "POST":
        policy.require(request.user, terms.MANAGE, party)
        if form.is_valid():
            data = form.cleaned_data
            try:
                terms.customer_terms_set(
                    actor=request.user,
                    party_id=party.pk,
                    credit_limit=data["credit_limit"],
                    price_list_id=data["price_list_id"],
                    payment_term_id=data["payment_term_id"],
                    invoicing_policy=data["invoicing_policy"] or "",
                    version=data["version"],
                )
            except StaleVersionError:
                form.add_error(
                    None,
                    _(
                        "Someone else changed these terms meanwhile. Open the page again to see them, "
                        "then change them once more."
                    ),
                )
                status = 409
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                form_add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The sales terms were saved."))
                return redirect("web:sales-terms", party.pk)
        else:
            status = 422
    context = {
        "party": party,
        "terms": row,
        "form": form,
        "can_manage": can_manage,
        "exposure": terms.customer_exposure(party.company_id, party.pk, base=base),
        "currency": base,
        "party_url": _url_or_empty("web:party-detail", party.pk),
    }
    return render(request, "web/sales_returns/terms.html", context, status=status)


# ---- sales targets ----------------------------------------------------------------------


class TargetForm(forms.Form):
    who = forms.ChoiceField(label=gettext_lazy("Salesperson or team"))
    amount = forms.DecimalField(
        label=gettext_lazy("Target (untaxed)"), localize=True, min_value=0, decimal_places=2, max_digits=17
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [
            (f"user:{pk}", f"{first} {last}".strip() or username)
            for pk, first, last, username in User.objects.filter(company_id=company_id, is_active=True)
            .filter(Q(role_assignments__role__in=["sales", "sales_manager"]))
            .distinct()
            .order_by("last_name", "first_name", "pk")
            .values_list("pk", "first_name", "last_name", "username")
        ]
        teams = [
            (f"team:{pk}", name)
            for pk, name in Team.objects.filter(company_id=company_id).values_list("pk", "name")
        ]
        cast("forms.ChoiceField", self.fields["who"]).choices = [
            (_("Salespeople"), people),
            (_("Teams"), teams),
        ]


def _month(value: str | None) -> dt.date:
    try:
        return (
            dt.date.fromisoformat(f"{value}-01")
            if value and len(value) == 7
            else timezone.localdate().replace(day=1)
        )
    except ValueError:
        return timezone.localdate().replace(day=1)


@page
def target_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, targets.VIEW)
    month = _month(request.GET.get("month") or request.POST.get("month"))
    company_id = policy.actor_company_id(request.user)
    can_manage = policy.has_permission(request.user, targets.MANAGE)
    form = TargetForm(request.POST if request.method == "POST" else None, company_id=company_id)
    status = 200
    if request.method == "POST":
        require_permission(request, targets.MANAGE)
        if form.is_valid():
            kind, _sep, pk = form.cleaned_data["who"].partition(":")
            try:
                targets.target_set(
                    actor=request.user,
                    month=month,
                    amount=form.cleaned_data["amount"],
                    user_id=int(pk) if kind == "user" else None,
                    team_id=int(pk) if kind == "team" else None,
                )
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                form_add_domain_error(form, exc, renames={"user_id": "who", "team_id": "who"})
                status = exc.status
            else:
                messages.success(request, _("The target was saved."))
                return redirect(f"{reverse('web:sales-target-list')}?month={month:%Y-%m}")
        else:
            status = 422
    rows = targets.targets_progress(actor=request.user, month=month)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    context = {
        "month": month,
        "previous": previous,
        "next": targets.next_month(month),
        "rows": [(row, min(row.percentage or Decimal(0), Decimal(100))) for row in rows],
        "form": form,
        "can_manage": can_manage,
        "total_target": sum((row.target.amount for row in rows), Decimal(0)),
    }
    return render(request, "web/sales_returns/targets.html", context, status=status)


@require_POST
@page
def target_delete(request: AuthedRequest, target_id: int) -> HttpResponse:
    require_permission(request, targets.MANAGE)
    month = _month(request.POST.get("month"))
    try:
        targets.target_delete(actor=request.user, target_id=target_id)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The target was removed."))
    return redirect(f"{reverse('web:sales-target-list')}?month={month:%Y-%m}")


# ---- returns ----------------------------------------------------------------------------


@page
def return_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, returns.VIEW)
    params = request.GET
    state = params.get("state", "") if params.get("state") in ReturnState.values else ""
    order_id = _int(params.get("order"))
    q = params.get("q", "").strip()[:100]
    rmas = returns.returns_list(request.user, order_id=order_id, state=state)
    customer_id = _int(params.get("customer"))
    if customer_id is not None:
        rmas = rmas.filter(order__customer_id=customer_id)
    if q:
        rmas = rmas.filter(
            Q(number__icontains=q) | Q(order__number__icontains=q) | Q(order__customer__name__icontains=q)
        )
    result = keyset_page(
        rmas, ORDER, after=params.get("after", ""), before=params.get("before", ""), size=PAGE_SIZE
    )
    count = rmas.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "base_query": query.urlencode(),
        "state": state,
        "order_id": order_id,
        "q": q,
        "tabs": STATE_TABS,
    }
    if request.htmx and request.htmx.target == "return-results":
        return render(request, "web/sales_returns/return_list.html#results", context)
    return render(request, "web/sales_returns/return_list.html", context)


@page
def return_detail(request: AuthedRequest, return_id: int) -> HttpResponse:
    require_permission(request, returns.VIEW)
    rma = returns.return_get_for_actor(request.user, return_id)
    may_manage = policy.allows(request.user, returns.MANAGE, rma)
    context = {
        "rma": rma,
        "lines": returns.return_lines(rma),
        "order_url": _url_or_empty("web:sales-order-detail", rma.order_id),
        "receipt_url": _url_or_empty("web:transfer-detail", rma.receipt_id) if rma.receipt_id else "",
        "credit_note_url": _url_or_empty("web:invoice-detail", rma.credit_note_id)
        if rma.credit_note_id
        else "",
        "can_approve": may_manage and rma.state == ReturnState.DRAFT,
        "can_cancel": may_manage and rma.state in returns.OPEN_STATES,
    }
    return render(request, "web/sales_returns/return_detail.html", context)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnLineForm(forms.Form):
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity to return"), required=False, localize=True, min_value=0, decimal_places=4
    )


@page
def return_create(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, returns.MANAGE)
    order, lines = returns.returnable_for_actor(request.user, order_id)
    policy.require(request.user, returns.MANAGE, order)
    data = request.POST if request.method == "POST" else None
    form = ReturnForm(data)
    rows = [(row, ReturnLineForm(data, prefix=f"line-{row.line.pk}")) for row in lines]
    status = 200
    if request.method == "POST":
        valid = form.is_valid() & all(line_form.is_valid() for _row, line_form in rows)
        if valid:
            chosen = [(row, f) for row, f in rows if f.cleaned_data.get("quantity")]
            try:
                rma = returns.return_create(
                    actor=request.user,
                    order_id=order.pk,
                    reason=form.cleaned_data["reason"],
                    lines=[
                        {"order_line_id": row.line.pk, "quantity": f.cleaned_data["quantity"]}
                        for row, f in chosen
                    ],
                )
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                form_add_domain_error(form, exc, rows={"lines": [f for _row, f in chosen]})
                status = exc.status
            else:
                messages.success(request, _("Return %(number)s was requested.") % {"number": rma.number})
                return redirect("web:sales-return-detail", rma.pk)
        else:
            status = 422
    context = {
        "order": order,
        "form": form,
        "rows": rows,
        "order_url": _url_or_empty("web:sales-order-detail", order.pk),
    }
    return render(request, "web/sales_returns/return_form.html", context, status=status)


@require_POST
@page
def return_approve(request: AuthedRequest, return_id: int) -> HttpResponse:
    require_permission(request, returns.MANAGE)
    try:
        rma = returns.return_approve(
            actor=request.user, return_id=return_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(number)s is approved; the goods are expected on return receipt %(receipt)s.")
            % {"number": rma.number, "receipt": rma.receipt.number if rma.receipt else ""},
        )
    return redirect("web:sales-return-detail", return_id)


@require_POST
@page
def return_cancel(request: AuthedRequest, return_id: int) -> HttpResponse:
    require_permission(request, returns.MANAGE)
    try:
        rma = returns.return_cancel(
            actor=request.user, return_id=return_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s was cancelled.") % {"number": rma.number})
    return redirect("web:sales-return-detail", return_id)


urlpatterns: list[URLPattern] = [
    path("sales/customers/<int:party_id>/terms/", customer_terms, name="sales-terms"),
    path("sales/targets/", target_list, name="sales-target-list"),
    path("sales/targets/<int:target_id>/delete/", target_delete, name="sales-target-delete"),
    path("sales/returns/", return_list, name="sales-return-list"),
    path("sales/returns/<int:return_id>/", return_detail, name="sales-return-detail"),
    path("sales/returns/<int:return_id>/approve/", return_approve, name="sales-return-approve"),
    path("sales/returns/<int:return_id>/cancel/", return_cancel, name="sales-return-cancel"),
    path("sales/orders/<int:order_id>/return/", return_create, name="sales-return-create"),
]
