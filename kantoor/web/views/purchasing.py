"""Pages of purchasing: RFQs and purchase orders — list with a tab per state, the RFQ form
with its lines, the detail with Send / Confirm / Cancel / Create bill, its receipts and the
three-way match with the mismatches flagged, and the PDF.

Every page calls the purchasing selectors and services with `request.user`, so the policy
decides what is shown and allowed: who may not read orders gets a 403 before any record is
read, an order of another company is a 404, a refused write a message or a form error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.purchasing import documents, selectors, services
from kantoor.purchasing.models import EDITABLE_STATES, OrderState, PurchaseOrder
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = selectors.VIEW
MANAGE = selectors.MANAGE
BILL = "finance.manage_invoice"
PAGE_SIZE = 25
COUNT_CAP = 1000
MAX_LINES = 100
ORDER = Ordering("date_key", descending=True)
STATE_TABS = [
    ("", gettext_lazy("All")),
    (OrderState.DRAFT, gettext_lazy("RFQs")),
    (OrderState.SENT, gettext_lazy("RFQs sent")),
    (OrderState.CONFIRMED, gettext_lazy("Purchase orders")),
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
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


# ---- list -------------------------------------------------------------------------------


@page
def order_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    state = params.get("state", "") if params.get("state") in OrderState.values else ""
    q = params.get("q", "").strip()[:100]
    orders = selectors.orders_list(request.user, state=state)
    if q:
        orders = orders.filter(Q(number__icontains=q) | Q(supplier__name__icontains=q))
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
        "tabs": STATE_TABS,
        "can_create": policy.has_permission(request.user, MANAGE),
    }
    if request.htmx and request.htmx.target == "order-results":
        return render(request, "web/purchasing/list.html#results", context)
    return render(request, "web/purchasing/list.html", context)


# ---- detail -----------------------------------------------------------------------------


@page
def order_detail(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    user = request.user
    order = selectors.order_get_for_actor(user, order_id)
    may_manage = policy.allows(user, MANAGE, order)
    match = selectors.three_way_match(order)
    receipts = selectors.order_receipts(order)
    bills = selectors.order_bills(order)
    context = {
        "order": order,
        "match": match,
        "receipts": [(receipt, _url_or_empty("web:transfer-detail", receipt.pk)) for receipt in receipts],
        "backorders": [
            receipt
            for receipt in receipts
            if receipt.backorder_of_id and receipt.state not in ("done", "cancelled")
        ],
        "bills": [(bill, _url_or_empty("web:invoice-detail", bill.pk)) for bill in bills],
        "has_mismatch": any(row.has_mismatch for row in match),
        "can_edit": may_manage and order.state in EDITABLE_STATES,
        "can_send": may_manage and order.state in (OrderState.DRAFT, OrderState.SENT, OrderState.CONFIRMED),
        "can_confirm": may_manage and order.state in EDITABLE_STATES,
        "can_cancel": may_manage and order.can_transition_to(OrderState.CANCELLED),
        "can_bill": policy.has_permission(user, BILL)
        and order.state in (OrderState.CONFIRMED, OrderState.DONE)
        and any(row.to_bill > 0 for row in match),
    }
    return render(request, "web/purchasing/detail.html", context)


@page
def order_pdf(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    exported = documents.order_pdf_for_actor(request.user, order_id)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'inline; filename="{exported.filename}"'
    return response


# ---- the RFQ form -----------------------------------------------------------------------


class OrderForm(forms.Form):
    """The order's header; names match the service's, so its field errors land here."""

    supplier_id = forms.TypedChoiceField(label=gettext_lazy("Supplier"), coerce=int, empty_value=None)
    warehouse_id = forms.TypedChoiceField(label=gettext_lazy("Warehouse"), coerce=int, empty_value=None)
    order_date = forms.DateField(
        label=gettext_lazy("Order date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    expected_date = forms.DateField(
        label=gettext_lazy("Expected date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, required=False)
    dropship_customer_id = forms.TypedChoiceField(
        label=gettext_lazy("Deliver straight to customer"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("Drop-shipping: the goods go from the supplier to this customer."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, choices: dict[str, list[tuple[Any, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["supplier_id"]).choices = [("", "—"), *choices["suppliers"]]
        cast("forms.ChoiceField", self.fields["warehouse_id"]).choices = choices["warehouses"]
        cast("forms.ChoiceField", self.fields["dropship_customer_id"]).choices = [
            ("", "—"),
            *choices["customers"],
        ]


class OrderLineForm(forms.Form):
    """One line; an empty unit price takes the supplier's price for the quantity."""

    product_id = forms.TypedChoiceField(
        label=gettext_lazy("Product"), coerce=int, empty_value=None, required=False
    )
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), required=False, localize=True, initial=1)
    unit_price = forms.DecimalField(label=gettext_lazy("Unit price"), required=False, localize=True)
    discount = forms.DecimalField(label=gettext_lazy("Discount %"), required=False, localize=True, initial=0)
    tax_id = forms.TypedChoiceField(label=gettext_lazy("Tax"), coerce=int, empty_value=None, required=False)

    def __init__(
        self,
        *args: Any,
        products: Sequence[tuple[Any, str]] = (),
        taxes: Sequence[tuple[Any, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["product_id"]).choices = [("", "—"), *products]
        cast("forms.ChoiceField", self.fields["tax_id"]).choices = [("", _("No tax")), *taxes]
        self.fields["unit_price"].widget.attrs["placeholder"] = _("Supplier's price")
        for name, line_field in self.fields.items():  # the rows show no <label>s
            line_field.widget.attrs["aria-label"] = str(line_field.label or name)

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("product_id")


def _choices(request: AuthedRequest) -> dict[str, list[tuple[Any, str]]]:
    user = request.user
    return {
        "suppliers": [(p.pk, p.name) for p in selectors.parties_with_role(user, "supplier")],
        "customers": [(p.pk, p.name) for p in selectors.parties_with_role(user, "customer")],
        "warehouses": [(w.pk, f"{w.code} · {w.name}") for w in selectors.warehouses_to_receive(user)],
    }


def _line_choices(request: AuthedRequest) -> dict[str, Any]:
    return {
        "products": [(p.pk, f"{p.sku} · {p.name}") for p in selectors.products_to_buy(request.user)],
        "taxes": [(t.pk, f"{t.code} {t.name}") for t in selectors.purchase_taxes(request.user)],
    }


@dataclass
class OrderEditor:
    """The order form and its line rows; `sent` are the rows sent to the service, in order,
    so its `lines[i]` errors land on the right row."""

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

    def line_values(self) -> list[services.OrderLineIn]:
        self.sent = [row for row in self.lines.forms if row.cleaned_data and not row.is_blank()]
        return [
            services.OrderLineIn(
                product_id=row.cleaned_data["product_id"],
                quantity=row.cleaned_data["quantity"] if row.cleaned_data["quantity"] is not None else 1,
                unit_price=row.cleaned_data["unit_price"],
                discount=row.cleaned_data["discount"] or 0,
                tax_id=row.cleaned_data["tax_id"],
            )
            for row in self.sent
        ]

    def header(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        return {
            "supplier_id": data["supplier_id"],
            "warehouse_id": data["warehouse_id"],
            "order_date": data["order_date"],
            "expected_date": data["expected_date"],
            "currency": data["currency"] or "",
            "dropship_customer_id": data["dropship_customer_id"],
            "notes": data["notes"],
        }

    def show_error(self, exc: DomainError) -> None:
        form_add_domain_error(self.form, exc, {"lines": self.sent})


def _render_form(
    request: AuthedRequest, editor: OrderEditor, *, order: PurchaseOrder | None, status: int = 200
) -> HttpResponse:
    return render(request, "web/purchasing/form.html", {"editor": editor, "order": order}, status=status)


@page
def order_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    warehouses = selectors.warehouses_to_receive(request.user)
    editor = OrderEditor.build(
        request,
        initial={
            "order_date": timezone.localdate(),
            "supplier_id": _int(request.GET.get("supplier")),
            "warehouse_id": warehouses[0].pk if warehouses else None,
            "currency": request.user.company.base_currency if request.user.company else "",
        },
        lines=[],
        extra=1,
    )
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, order=None, status=422 if request.method == "POST" else 200)
    try:
        order = services.rfq_create(actor=request.user, lines=editor.line_values(), **editor.header())
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, order=None, status=exc.status)
    messages.success(request, _("Request for quotation %(number)s was saved.") % {"number": order.number})
    return redirect("web:purchase-order-detail", order.pk)


@page
def order_edit(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    order = selectors.order_get_for_actor(request.user, order_id)
    if order.state not in EDITABLE_STATES or not policy.allows(request.user, MANAGE, order):
        raise PermissionDenied
    editor = OrderEditor.build(
        request,
        initial={
            "supplier_id": order.supplier_id,
            "warehouse_id": order.warehouse_id,
            "order_date": order.order_date,
            "expected_date": order.expected_date,
            "currency": order.currency,
            "dropship_customer_id": order.dropship_customer_id,
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
            }
            for line in selectors.order_lines(order)
        ],
        extra=0,
    )
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, order=order, status=422 if request.method == "POST" else 200)
    header = editor.header()
    version = editor.form.cleaned_data["version"]
    try:
        services.rfq_update(
            actor=request.user,
            order_id=order.pk,
            version=version if version is not None else order.version,
            lines=editor.line_values(),
            clear_dropship=header["dropship_customer_id"] is None,
            **header,
        )
    except StaleVersionError:
        editor.form.add_error(
            None,
            _(
                "Someone else changed this order while you were editing it. Your changes were not saved: "
                "open the order again to see the current version, then make your changes once more."
            ),
        )
        return _render_form(request, editor, order=order, status=409)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, order=order, status=exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect("web:purchase-order-detail", order.pk)


@page
def order_line_row(request: AuthedRequest) -> HttpResponse:
    """One more blank line row for the order form (HTMX "Add line")."""
    require_permission(request, MANAGE)
    index = _int(request.GET.get("lines-TOTAL_FORMS")) or 0
    if index >= MAX_LINES:
        return HttpResponse(status=204)
    row = OrderLineForm(
        prefix=f"lines-{index}", empty_permitted=True, use_required_attribute=False, **_line_choices(request)
    )
    return render(request, "web/purchasing/form.html#line-row-added", {"row": row, "total": index + 1})


# ---- send, confirm, cancel, bill --------------------------------------------------------


@require_POST
@page
def order_send(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    to = [address for address in request.POST.get("to", "").replace(";", ",").split(",") if address.strip()]
    try:
        order = services.rfq_send(actor=request.user, order_id=order_id, to=to[:10])
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s will be sent by e-mail.") % {"number": order.number})
    return redirect("web:purchase-order-detail", order_id)


@require_POST
@page
def order_confirm(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        order = services.order_confirm(
            actor=request.user, order_id=order_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("%(number)s is confirmed; its receipt is expected.") % {"number": order.number}
        )
    return redirect("web:purchase-order-detail", order_id)


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
    return redirect("web:purchase-order-detail", order_id)


@require_POST
@page
def order_bill(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    try:
        bill = services.bill_create_from_order(actor=request.user, order_id=order_id)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("web:purchase-order-detail", order_id)
    messages.success(request, _("A draft bill was made from the order."))
    return redirect("web:invoice-detail", bill.pk)


urlpatterns: list[URLPattern] = [
    path("purchasing/orders/", order_list, name="purchase-order-list"),
    path("purchasing/orders/new/", order_create, name="purchase-order-create"),
    path("purchasing/orders/line-row/", order_line_row, name="purchase-order-line-row"),
    path("purchasing/orders/<int:order_id>/", order_detail, name="purchase-order-detail"),
    path("purchasing/orders/<int:order_id>/edit/", order_edit, name="purchase-order-edit"),
    path("purchasing/orders/<int:order_id>/send/", order_send, name="purchase-order-send"),
    path("purchasing/orders/<int:order_id>/confirm/", order_confirm, name="purchase-order-confirm"),
    path("purchasing/orders/<int:order_id>/cancel/", order_cancel, name="purchase-order-cancel"),
    path("purchasing/orders/<int:order_id>/bill/", order_bill, name="purchase-order-bill"),
    path("purchasing/orders/<int:order_id>/pdf/", order_pdf, name="purchase-order-pdf"),
]
