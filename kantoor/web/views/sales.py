"""Pages of sales: quotations and sales orders — the list with a tab per state, the
quotation form with its lines (optional ones too), the detail with Send / Mark sent /
Approve discount / Confirm (with the credit override for managers) / Cancel / Create
invoice, what is delivered and invoiced per line, the margin for staff, the versions, and
the PDF — and the customer's public page behind a signed link, where a quotation is
accepted or declined without signing in.

Every staff page calls the sales selectors and services with `request.user`, so the policy
decides what is shown and allowed: who may not read orders gets a 403 before any record is
read, an order of another company is a 404, a refused write a message or a form error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.catalog.models import Product
from kantoor.core import policy
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.finance.models import Invoice, PaymentTerm, Tax, TaxScope
from kantoor.inventory.models import Transfer, Warehouse
from kantoor.parties.models import Party
from kantoor.sales import documents, quotes, selectors, services
from kantoor.sales.errors import (
    CreditLimitExceededError,
    DiscountApprovalRequiredError,
    QuoteAnsweredError,
    QuoteLinkError,
)
from kantoor.sales.models import EDITABLE_STATES, InvoicingPolicy, OrderState, SalesOrder, SalesSettings
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = selectors.VIEW
MANAGE = selectors.MANAGE
APPROVE_DISCOUNT = "sales.approve_discount"
OVERRIDE_CREDIT = "sales.override_credit"
INVOICE = "finance.manage_invoice"
PAGE_SIZE = 25
COUNT_CAP = 1000
MAX_LINES = 100
ORDER = Ordering("date_key", descending=True)
STATE_TABS = [
    ("", gettext_lazy("All")),
    (OrderState.DRAFT, gettext_lazy("Quotations")),
    (OrderState.SENT, gettext_lazy("Quotations sent")),
    (OrderState.DECLINED, gettext_lazy("Declined")),
    (OrderState.CONFIRMED, gettext_lazy("Sales orders")),
    (OrderState.DONE, gettext_lazy("Done")),
    (OrderState.CANCELLED, gettext_lazy("Cancelled")),
]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _url_or_empty(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    """A refusal as a message on the page; a record the user may not see or touch is the
    404 or 403 page (a discount waiting for a manager is a message: the rep may ask)."""
    if exc.status in (403, 404) and not isinstance(exc, DiscountApprovalRequiredError):
        raise exc
    messages.error(request, exc.message)


def _company_id(request: AuthedRequest) -> int:
    """The user's company (0, which no row has, for a user without one)."""
    return request.user.company_id or 0


# ---- list -------------------------------------------------------------------------------


@page
def order_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    state = params.get("state", "") if params.get("state") in OrderState.values else ""
    q = params.get("q", "").strip()[:100]
    mine = params.get("mine") == "1"
    orders = selectors.orders_list(
        request.user,
        state=state,
        salesperson_id=request.user.pk if mine else None,
        customer_id=_int(params.get("customer")),
    )
    if q:
        orders = orders.filter(
            Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(customer_reference__icontains=q)
        )
    orders = orders.annotate(date_key=Cast("order_date", output_field=CharField()))
    result = keyset_page(
        orders, ORDER, after=params.get("after", ""), before=params.get("before", ""), size=PAGE_SIZE
    )
    count = orders.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "base_query": query.urlencode(),
        "state": state,
        "q": q,
        "mine": mine,
        "tabs": STATE_TABS,
        "can_create": policy.has_permission(request.user, MANAGE),
    }
    if request.htmx and request.htmx.target == "order-results":
        return render(request, "web/sales/list.html#results", context)
    return render(request, "web/sales/list.html", context)


# ---- detail -----------------------------------------------------------------------------


@page
def order_detail(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    user = request.user
    order = selectors.order_get_for_actor(user, order_id)
    lines = selectors.order_lines(order)
    may_manage = policy.allows(user, MANAGE, order)
    is_open_quote = order.state in EDITABLE_STATES
    status = selectors.order_lines_status(order, lines) if not is_open_quote else []
    invoice_ids = selectors.order_invoice_ids(order)
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).order_by("pk"))
    deliveries = list(
        Transfer.objects.filter(company_id=order.company_id, origin=order.number).order_by("pk")
    )
    to_invoice = any(
        row.to_invoice_on_order > 0
        if order.invoicing_policy == InvoicingPolicy.ORDER
        else row.to_invoice_on_delivery > 0
        for row in status
    )
    discount_limit = _discount_limit(order)
    context = {
        "order": order,
        "lines": [line for line in lines if not line.is_optional],
        "optional_lines": [line for line in lines if line.is_optional],
        "status": status,
        "revisions": list(order.revisions.order_by("-revision")),
        "invoices": [(invoice, _url_or_empty("web:invoice-detail", invoice.pk)) for invoice in invoices],
        "deliveries": [
            (transfer, _url_or_empty("web:transfer-detail", transfer.pk)) for transfer in deliveries
        ],
        "show_margin": True,  # staff pages only: the public page and the PDF never show it
        "needs_discount_approval": is_open_quote
        and order.max_discount > discount_limit
        and order.discount_approved_by_id is None,
        "can_edit": may_manage and is_open_quote,
        "can_send": may_manage and order.state in (OrderState.DRAFT, OrderState.SENT),
        "can_approve_discount": is_open_quote
        and order.discount_approved_by_id is None
        and order.max_discount > discount_limit
        and policy.allows(user, APPROVE_DISCOUNT, order),
        "can_confirm": may_manage and order.state in (OrderState.DRAFT, OrderState.SENT),
        "can_override_credit": request.GET.get("credit") == "refused"
        and policy.allows(user, OVERRIDE_CREDIT, order),
        "can_cancel": may_manage and order.can_transition_to(OrderState.CANCELLED),
        "can_invoice": policy.has_permission(user, INVOICE)
        and order.state in (OrderState.CONFIRMED, OrderState.DONE)
        and to_invoice,
        "customer_email": _customer_email(order.customer),
        # Goods delivered can come back: a return authorisation from the order.
        "can_return": policy.allows(user, "sales.manage_return", order)
        and order.state in (OrderState.CONFIRMED, OrderState.DONE),
        "can_see_returns": policy.has_permission(user, "sales.view_return"),
    }
    return render(request, "web/sales/detail.html", context)


def _discount_limit(order: SalesOrder) -> Decimal:
    """The discount a rep may give without approval (the company's sales settings)."""
    limit = (
        SalesSettings.objects.filter(company_id=order.company_id)
        .values_list("discount_limit", flat=True)
        .first()
    )
    return Decimal(limit if limit is not None else SalesSettings._meta.get_field("discount_limit").default)


def _customer_email(party: Party) -> str:
    value = (
        party.contact_points.filter(kind="email")
        .order_by("-is_primary", "pk")
        .values_list("value", flat=True)
        .first()
    )
    return str(value or "")


@page
def order_pdf(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    exported = documents.order_pdf_for_actor(request.user, order_id)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'inline; filename="{exported.filename}"'
    return response


# ---- the quotation form -----------------------------------------------------------------


class OrderForm(forms.Form):
    """The quotation's header; names match the service's, so its field errors land here."""

    customer_id = forms.TypedChoiceField(label=gettext_lazy("Customer"), coerce=int, empty_value=None)
    order_date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Empty: the company's usual validity."),
    )
    warehouse_id = forms.TypedChoiceField(
        label=gettext_lazy("Warehouse"), coerce=int, empty_value=None, required=False
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, required=False)
    payment_term_id = forms.TypedChoiceField(
        label=gettext_lazy("Payment term"), coerce=int, empty_value=None, required=False
    )
    invoicing_policy = forms.ChoiceField(
        label=gettext_lazy("Invoicing"),
        required=False,
        choices=[("", gettext_lazy("The customer's or company's default")), *InvoicingPolicy.choices],
    )
    customer_reference = forms.CharField(
        label=gettext_lazy("Customer reference"), max_length=120, required=False
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, choices: dict[str, list[tuple[Any, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["customer_id"]).choices = [("", "—"), *choices["customers"]]
        cast("forms.ChoiceField", self.fields["warehouse_id"]).choices = [("", "—"), *choices["warehouses"]]
        cast("forms.ChoiceField", self.fields["payment_term_id"]).choices = [("", "—"), *choices["terms"]]


class OrderLineForm(forms.Form):
    """One line; an empty unit price takes the customer's price (price list or list price)."""

    product_id = forms.TypedChoiceField(
        label=gettext_lazy("Product"), coerce=int, empty_value=None, required=False
    )
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), required=False, localize=True, initial=1)
    unit_price = forms.DecimalField(label=gettext_lazy("Unit price"), required=False, localize=True)
    discount = forms.DecimalField(label=gettext_lazy("Discount %"), required=False, localize=True, initial=0)
    tax_id = forms.TypedChoiceField(label=gettext_lazy("Tax"), coerce=int, empty_value=None, required=False)
    is_optional = forms.BooleanField(label=gettext_lazy("Optional"), required=False)

    def __init__(
        self,
        *args: Any,
        products: Sequence[tuple[Any, str]] = (),
        taxes: Sequence[tuple[Any, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["product_id"]).choices = [("", "—"), *products]
        cast("forms.ChoiceField", self.fields["tax_id"]).choices = [("", _("Default tax")), *taxes]
        self.fields["unit_price"].widget.attrs["placeholder"] = _("Customer's price")
        for name, line_field in self.fields.items():  # the rows show no <label>s
            line_field.widget.attrs["aria-label"] = str(line_field.label or name)

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("product_id")


def _choices(request: AuthedRequest) -> dict[str, list[tuple[Any, str]]]:
    company_id = _company_id(request)
    customers = (
        Party.objects.filter(
            company_id=company_id, is_archived=False, merged_into__isnull=True, roles__role="customer"
        )
        .order_by("name", "id")
        .distinct()[:500]
    )
    return {
        "customers": [(p.pk, p.name) for p in customers],
        "warehouses": [
            (w.pk, f"{w.code} · {w.name}")
            for w in Warehouse.objects.filter(company_id=company_id, is_active=True).order_by("code")
        ],
        "terms": [
            (t.pk, t.name)
            for t in PaymentTerm.objects.filter(company_id=company_id, is_active=True).order_by("name")
        ],
    }


def _line_choices(request: AuthedRequest) -> dict[str, Any]:
    company_id = _company_id(request)
    products = Product.objects.filter(company_id=company_id, is_active=True, is_sold=True).order_by("sku")[
        :1000
    ]
    taxes = Tax.objects.filter(company_id=company_id, scope=TaxScope.SALE, is_active=True).order_by("code")
    return {
        "products": [(p.pk, f"{p.sku} · {p.name}") for p in products],
        "taxes": [(t.pk, f"{t.code} {t.name}") for t in taxes],
    }


@dataclass
class OrderEditor:
    """The quotation form and its line rows; `sent` are the rows sent to the service, in
    order, so its `lines[i]` errors land on the right row."""

    form: OrderForm
    lines: forms.BaseFormSet
    sent: list[OrderLineForm] = field(default_factory=list)

    @classmethod
    def build(
        cls, request: AuthedRequest, *, initial: dict[str, Any], lines: list[dict[str, Any]], extra: int
    ) -> OrderEditor:
        data = request.POST if request.method == "POST" else None
        formset = forms.formset_factory(
            OrderLineForm, formset=forms.BaseFormSet, extra=extra, max_num=MAX_LINES, absolute_max=MAX_LINES
        )
        return cls(
            form=OrderForm(data, initial=initial, choices=_choices(request)),
            lines=formset(data, initial=lines, prefix="lines", form_kwargs=_line_choices(request)),
        )

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.lines.is_valid()])

    def line_values(self) -> list[dict[str, Any]]:
        self.sent = [row for row in self.lines.forms if row.cleaned_data and not row.is_blank()]
        values = []
        for row in self.sent:
            data = row.cleaned_data
            line: dict[str, Any] = {
                "product_id": data["product_id"],
                "quantity": data["quantity"] if data["quantity"] is not None else 1,
                "discount": data["discount"] or 0,
                "is_optional": bool(data["is_optional"]),
            }
            if data["unit_price"] is not None:
                line["unit_price"] = data["unit_price"]
            if data["tax_id"] is not None:
                line["tax_id"] = data["tax_id"]
            values.append(line)
        return values

    def header(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        return {
            "customer_id": data["customer_id"],
            "order_date": data["order_date"],
            "valid_until": data["valid_until"],
            "warehouse_id": data["warehouse_id"],
            "currency": data["currency"] or "",
            "payment_term_id": data["payment_term_id"],
            "invoicing_policy": data["invoicing_policy"] or "",
            "customer_reference": data["customer_reference"],
            "notes": data["notes"],
        }

    def show_error(self, exc: DomainError) -> None:
        form_add_domain_error(self.form, exc, {"lines": self.sent})


def _render_form(
    request: AuthedRequest, editor: OrderEditor, *, order: SalesOrder | None, status: int = 200
) -> HttpResponse:
    return render(request, "web/sales/form.html", {"editor": editor, "order": order}, status=status)


@page
def order_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    editor = OrderEditor.build(
        request,
        initial={
            "order_date": timezone.localdate(),
            "customer_id": _int(request.GET.get("customer")),
            "currency": request.user.company.base_currency if request.user.company else "",
        },
        lines=[],
        extra=1,
    )
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, order=None, status=422 if request.method == "POST" else 200)
    header = editor.header()
    try:
        order = services.quotation_create(
            actor=request.user,
            lines=editor.line_values(),
            **{k: v for k, v in header.items() if v is not None or k == "order_date"},
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, order=None, status=exc.status)
    messages.success(request, _("Quotation %(number)s was saved.") % {"number": order.number})
    return redirect("web:sales-order-detail", order.pk)


@page
def order_edit(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    order = selectors.order_get_for_actor(request.user, order_id)
    if order.state not in EDITABLE_STATES or not policy.allows(request.user, MANAGE, order):
        raise PermissionDenied
    editor = OrderEditor.build(
        request,
        initial={
            "customer_id": order.customer_id,
            "order_date": order.order_date,
            "valid_until": order.valid_until,
            "warehouse_id": order.warehouse_id,
            "currency": order.currency,
            "payment_term_id": order.payment_term_id,
            "invoicing_policy": order.invoicing_policy,
            "customer_reference": order.customer_reference,
            "notes": order.notes,
            "version": order.version,
        },
        lines=[
            {
                "product_id": line.product_id,
                "quantity": line.quantity.normalize(),
                "unit_price": line.unit_price.normalize(),
                "discount": line.discount.normalize(),
                "tax_id": line.tax_id,
                "is_optional": line.is_optional,
            }
            for line in selectors.order_lines(order)
        ],
        extra=0,
    )
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, order=order, status=422 if request.method == "POST" else 200)
    version = editor.form.cleaned_data["version"]
    changes = {k: v for k, v in editor.header().items() if v is not None}
    try:
        services.quotation_update(
            actor=request.user,
            order_id=order.pk,
            version=version if version is not None else order.version,
            lines=editor.line_values(),
            **changes,
        )
    except StaleVersionError:
        editor.form.add_error(
            None,
            _(
                "Someone else changed this quotation while you were editing it. Your changes were "
                "not saved: open the quotation again to see the current version, then make your "
                "changes once more."
            ),
        )
        return _render_form(request, editor, order=order, status=409)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, order=order, status=exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect("web:sales-order-detail", order.pk)


@page
def order_line_row(request: AuthedRequest) -> HttpResponse:
    """One more blank line row for the quotation form (HTMX "Add line")."""
    require_permission(request, MANAGE)
    index = _int(request.GET.get("lines-TOTAL_FORMS")) or 0
    if index >= MAX_LINES:
        return HttpResponse(status=204)
    row = OrderLineForm(
        prefix=f"lines-{index}", empty_permitted=True, use_required_attribute=False, **_line_choices(request)
    )
    return render(request, "web/sales/form.html#line-row-added", {"row": row, "total": index + 1})


# ---- send, approve, confirm, cancel, invoice --------------------------------------------


@require_POST
@page
def order_send(request: AuthedRequest, order_id: int) -> HttpResponse:
    """E-mail the quotation (to the addresses typed, else the customer's)."""
    require_permission(request, MANAGE)
    to = [a.strip() for a in request.POST.get("to", "").replace(";", ",").split(",") if a.strip()]
    try:
        order = services.quotation_send(actor=request.user, order_id=order_id, to=to[:10] or None)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s will be sent by e-mail.") % {"number": order.number})
    return redirect("web:sales-order-detail", order_id)


@require_POST
@page
def order_mark_sent(request: AuthedRequest, order_id: int) -> HttpResponse:
    """Mark the quotation as sent without e-mailing it (it went another way)."""
    require_permission(request, MANAGE)
    try:
        order = services.quotation_send(actor=request.user, order_id=order_id, to=())
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s is marked as sent.") % {"number": order.number})
    return redirect("web:sales-order-detail", order_id)


@require_POST
@page
def order_approve_discount(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    try:
        order = services.quotation_discount_approve(actor=request.user, order_id=order_id)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The discount on %(number)s is approved.") % {"number": order.number})
    return redirect("web:sales-order-detail", order_id)


@require_POST
@page
def order_confirm(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        order = services.order_confirm(
            actor=request.user,
            order_id=order_id,
            version=_int(request.POST.get("version")),
            credit_override=request.POST.get("credit_override") == "1",
        )
    except CreditLimitExceededError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("web:sales-order-detail", args=[order_id]) + "?credit=refused")
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s is confirmed as a sales order.") % {"number": order.number})
    return redirect("web:sales-order-detail", order_id)


@require_POST
@page
def order_cancel(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        order = services.order_cancel(
            actor=request.user, order_id=order_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s was cancelled.") % {"number": order.number})
    return redirect("web:sales-order-detail", order_id)


@require_POST
@page
def order_invoice(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    try:
        invoice = services.invoice_create_from_order(actor=request.user, order_id=order_id)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("web:sales-order-detail", order_id)
    messages.success(request, _("A draft invoice was made from the order."))
    return redirect("web:invoice-detail", invoice.pk)


# ---- the customer's public page ---------------------------------------------------------


class AcceptForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=quotes.NAME_MAX)


class DeclineForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=quotes.NAME_MAX)
    reason = forms.CharField(
        label=gettext_lazy("Why do you decline? (optional)"),
        max_length=quotes.REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _link_refused(request: HttpRequest, exc: QuoteLinkError) -> HttpResponse:
    expired = exc.extra.get("reason") == quotes.EXPIRED
    return render(
        request,
        "web/sales/public_invalid.html",
        {"message": exc.message, "expired": expired},
        status=410 if expired else 404,
    )


def _public(
    request: HttpRequest,
    token: str,
    order: SalesOrder,
    *,
    accept: AcceptForm | None = None,
    decline: DeclineForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    lines = selectors.order_lines(order)
    context = {
        "token": token,
        "order": order,
        "lines": [line for line in lines if not line.is_optional],
        "optional_lines": [line for line in lines if line.is_optional],
        "may_answer": order.state == OrderState.SENT and order.answered_at is None,
        "accept_form": accept or AcceptForm(prefix="accept"),
        "decline_form": decline or DeclineForm(prefix="decline"),
        "show_decline": decline is not None,
        "error": error,
    }
    return render(request, "web/sales/public.html", context, status=status)


def quote_public(request: HttpRequest, token: str) -> HttpResponse:
    """The quotation behind a link from the e-mail: no sign-in; the link is the key."""
    try:
        order = quotes.quote_public_get(token)
    except QuoteLinkError as exc:
        return _link_refused(request, exc)
    return _public(request, token, order)


@require_POST
def quote_public_accept(request: HttpRequest, token: str) -> HttpResponse:
    form = AcceptForm(request.POST, prefix="accept")
    try:
        order = quotes.quote_public_get(token)
        if not form.is_valid():
            return _public(request, token, order, accept=form, status=422)
        quotes.quote_accept(token=token, name=form.cleaned_data["name"])
    except QuoteLinkError as exc:
        return _link_refused(request, exc)
    except QuoteAnsweredError as exc:
        return _public(request, token, quotes.quote_public_get(token), error=exc.message, status=409)
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _public(request, token, quotes.quote_public_get(token), accept=form, status=exc.status)
    return redirect("web:quote-public", token)


@require_POST
def quote_public_decline(request: HttpRequest, token: str) -> HttpResponse:
    form = DeclineForm(request.POST, prefix="decline")
    try:
        order = quotes.quote_public_get(token)
        if not form.is_valid():
            return _public(request, token, order, decline=form, status=422)
        quotes.quote_decline(token=token, name=form.cleaned_data["name"], reason=form.cleaned_data["reason"])
    except QuoteLinkError as exc:
        return _link_refused(request, exc)
    except QuoteAnsweredError as exc:
        return _public(request, token, quotes.quote_public_get(token), error=exc.message, status=409)
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _public(request, token, quotes.quote_public_get(token), decline=form, status=exc.status)
    return redirect("web:quote-public", token)


def quote_public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    try:
        order = quotes.quote_public_get(token)
    except QuoteLinkError as exc:
        return _link_refused(request, exc)
    response = HttpResponse(documents.order_pdf(order, with_link=False), content_type=documents.PDF)
    response["Content-Disposition"] = f'inline; filename="{documents.order_filename(order)}"'
    return response


urlpatterns: list[URLPattern] = [
    path("sales/orders/", order_list, name="sales-order-list"),
    path("sales/orders/new/", order_create, name="sales-order-create"),
    path("sales/orders/line-row/", order_line_row, name="sales-order-line-row"),
    path("sales/orders/<int:order_id>/", order_detail, name="sales-order-detail"),
    path("sales/orders/<int:order_id>/edit/", order_edit, name="sales-order-edit"),
    path("sales/orders/<int:order_id>/send/", order_send, name="sales-order-send"),
    path("sales/orders/<int:order_id>/mark-sent/", order_mark_sent, name="sales-order-mark-sent"),
    path(
        "sales/orders/<int:order_id>/approve-discount/",
        order_approve_discount,
        name="sales-order-approve-discount",
    ),
    path("sales/orders/<int:order_id>/confirm/", order_confirm, name="sales-order-confirm"),
    path("sales/orders/<int:order_id>/cancel/", order_cancel, name="sales-order-cancel"),
    path("sales/orders/<int:order_id>/invoice/", order_invoice, name="sales-order-invoice"),
    path("sales/orders/<int:order_id>/pdf/", order_pdf, name="sales-order-pdf"),
    path("q/<str:token>/", quote_public, name="quote-public"),
    path("q/<str:token>/accept/", quote_public_accept, name="quote-public-accept"),
    path("q/<str:token>/decline/", quote_public_decline, name="quote-public-decline"),
    path("q/<str:token>/pdf/", quote_public_pdf, name="quote-public-pdf"),
]
