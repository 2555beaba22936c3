"""Pages of finance: invoices — customer invoices, credit notes, supplier bills and refunds
(list with tabs per kind, detail, draft form with live totals, post, delete, credit note,
send by e-mail, unreconcile).

Every page calls the finance selectors and services with `request.user`, so the policy
decides what is shown and allowed: who may not read invoices gets a 403 before any record
is read, an invoice out of scope or of another company is a 404, a refused write a 403.
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
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.core.money import currency_validate
from kantoor.finance import invoice_selectors as selectors
from kantoor.finance import invoicing, payments
from kantoor.finance.invoicing import InvoiceLineIn
from kantoor.finance.models import (
    SALES_KINDS,
    Invoice,
    InvoiceKind,
    InvoiceState,
    PaymentState,
    TaxScope,
)
from kantoor.finance.taxes import TaxRate, document_amounts, line_untaxed
from kantoor.parties import selectors as party_selectors
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = "finance.view_invoice"
MANAGE = "finance.manage_invoice"
PAY = "finance.manage_payment"
PAGE_SIZE = 25
COUNT_CAP = 1000
MAX_LINES = 100
# Invoices newest first by date; the cursor needs text, so the date is read as ISO text.
INVOICE_ORDER = Ordering("date_key", descending=True)
NEW_TITLES = {
    InvoiceKind.CUSTOMER_INVOICE: gettext_lazy("New invoice"),
    InvoiceKind.CUSTOMER_CREDIT_NOTE: gettext_lazy("New credit note"),
    InvoiceKind.SUPPLIER_BILL: gettext_lazy("New bill"),
    InvoiceKind.SUPPLIER_REFUND: gettext_lazy("New refund"),
}
KIND_TABS = [
    (InvoiceKind.CUSTOMER_INVOICE, gettext_lazy("Customer invoices")),
    (InvoiceKind.CUSTOMER_CREDIT_NOTE, gettext_lazy("Credit notes")),
    (InvoiceKind.SUPPLIER_BILL, gettext_lazy("Supplier bills")),
    (InvoiceKind.SUPPLIER_REFUND, gettext_lazy("Refunds")),
]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _kind(value: str | None) -> str:
    return value if value in InvoiceKind.values else InvoiceKind.CUSTOMER_INVOICE


def _scope(kind: str) -> str:
    return TaxScope.SALE if kind in SALES_KINDS else TaxScope.PURCHASE


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


# ---- list -------------------------------------------------------------------------------


@page
def invoice_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    today = timezone.localdate()
    filters: dict[str, Any] = {
        "kind": _kind(params.get("kind")),
        "q": params.get("q", "").strip()[:100],
        "state": params.get("state", "") if params.get("state") in InvoiceState.values else "",
        "payment_state": (
            params.get("payment_state", "") if params.get("payment_state") in PaymentState.values else ""
        ),
        "party": _int(params.get("party")),
        "overdue": params.get("overdue") == "1",
    }
    invoices = selectors.invoices_visible(request.user).filter(kind=filters["kind"])
    if filters["q"]:
        invoices = invoices.filter(
            Q(number__icontains=filters["q"])
            | Q(reference__icontains=filters["q"])
            | Q(party__name__icontains=filters["q"])
        )
    if filters["state"]:
        invoices = invoices.filter(state=filters["state"])
    if filters["payment_state"]:
        invoices = invoices.filter(state=InvoiceState.POSTED, payment_state=filters["payment_state"])
    party = None
    if filters["party"]:
        invoices = invoices.filter(party_id=filters["party"])
        party = party_selectors.parties_visible(request.user).filter(pk=filters["party"]).first()
    if filters["overdue"]:
        invoices = selectors.invoices_overdue(invoices, today)
    invoices = invoices.select_related("party").annotate(date_key=Cast("date", output_field=CharField()))
    result = keyset_page(
        invoices,
        INVOICE_ORDER,
        after=params.get("after", ""),
        before=params.get("before", ""),
        size=PAGE_SIZE,
    )
    count = invoices.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    tab_query = query.copy()
    tab_query.pop("kind", None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "base_query": query.urlencode(),
        "tab_query": tab_query.urlencode(),
        "filters": filters,
        "party": party,
        "today": today,
        "tabs": KIND_TABS,
        "states": InvoiceState.choices,
        "payment_states": PaymentState.choices,
        "can_create": policy.has_permission(request.user, MANAGE),
    }
    if request.htmx and request.htmx.target == "invoice-results":
        return render(request, "web/finance/invoices/list.html#results", context)
    return render(request, "web/finance/invoices/list.html", context)


# ---- detail -----------------------------------------------------------------------------


def _url_or_empty(name: str, *args: Any) -> str:
    """The URL of a page another module may not provide (yet): empty when it does not."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@page
def invoice_detail(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    user = request.user
    invoice = selectors.invoice_get_for_actor(user, invoice_id)
    lines = list(invoice.lines.select_related("account", "tax").order_by("sequence", "id"))
    settlements = selectors.settlements_of_invoice(user, invoice)
    posted = invoice.state == InvoiceState.POSTED
    may_manage = policy.allows(user, MANAGE, invoice)
    may_pay = policy.allows(user, PAY, invoice)
    today = timezone.localdate()
    entry_url = ""
    if invoice.entry_id and policy.has_permission(user, "finance.view_ledger"):
        entry_url = _url_or_empty("web:entry-detail", invoice.entry_id)
    context = {
        "invoice": invoice,
        "lines": lines,
        "settlements": settlements,
        "credit_notes": list(
            selectors.invoices_visible(user).filter(credit_note_of=invoice).order_by("date", "id")
        ),
        "credited": (
            selectors.invoices_visible(user).filter(pk=invoice.credit_note_of_id).first()
            if invoice.credit_note_of_id
            else None
        ),
        "overdue": posted and invoice.amount_residual > 0 and invoice.due_date and invoice.due_date < today,
        "entry_url": entry_url,
        "pdf_url": _url_or_empty("web:invoice-pdf", invoice.pk) if posted else "",
        "can_edit": may_manage and not posted,
        "can_credit": may_manage and posted and not invoice.is_refund,
        "can_send": may_manage and posted,
        "can_pay": may_pay and posted and invoice.amount_residual > 0,
        "can_unreconcile": may_pay and posted and bool(settlements),
    }
    return render(request, "web/finance/invoices/detail.html", context)


# ---- the draft form ---------------------------------------------------------------------


class InvoiceForm(forms.Form):
    """The invoice's header; names match the service's (the party is the picker's radio
    buttons, `party`), so its field errors land here."""

    party = forms.IntegerField(label=gettext_lazy("Party"), required=False)
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    payment_term_id = forms.TypedChoiceField(
        label=gettext_lazy("Payment term"), coerce=int, empty_value=None, required=False
    )
    due_date = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty to follow the payment term."),
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, required=False)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=120, required=False)
    narration = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, terms: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["payment_term_id"]).choices = [("", "—"), *terms]


class InvoiceLineForm(forms.Form):
    """One line; the service decides whether it is right (amounts, account, tax)."""

    description = forms.CharField(label=gettext_lazy("Description"), max_length=500, required=False)
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), required=False, localize=True, initial=1)
    unit_price = forms.DecimalField(label=gettext_lazy("Unit price"), required=False, localize=True)
    discount = forms.DecimalField(label=gettext_lazy("Discount %"), required=False, localize=True, initial=0)
    account_id = forms.TypedChoiceField(
        label=gettext_lazy("Account"), coerce=int, empty_value=None, required=False
    )
    tax_id = forms.TypedChoiceField(label=gettext_lazy("Tax"), coerce=int, empty_value=None, required=False)

    def __init__(
        self,
        *args: Any,
        accounts: Sequence[tuple[Any, str]] = (),
        taxes: Sequence[tuple[Any, str]] = (),
        default_account: int | None = None,
        default_tax: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["account_id"]).choices = [("", "—"), *accounts]
        cast("forms.ChoiceField", self.fields["tax_id"]).choices = [("", _("No tax")), *taxes]
        if not self.initial:
            self.fields["account_id"].initial = default_account
            self.fields["tax_id"].initial = default_tax
        for name, line_field in self.fields.items():  # the rows show no <label>s
            line_field.widget.attrs["aria-label"] = str(line_field.label or name)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("description") and data.get("unit_price") is None


def _line_choices(request: AuthedRequest, kind: str) -> dict[str, Any]:
    usual, others = selectors.accounts_for(request.user, kind)
    taxes = list(selectors.taxes_for(request.user, _scope(kind)))
    default_tax = next((t.pk for t in taxes if t.treatment == "standard"), None)
    return {
        "accounts": [
            (
                _("Revenue") if kind in SALES_KINDS else _("Expenses and assets"),
                [(a.pk, f"{a.code} {a.name}") for a in usual],
            ),
            (_("Other accounts"), [(a.pk, f"{a.code} {a.name}") for a in others]),
        ],
        "taxes": [(t.pk, f"{t.code} {t.name}") for t in taxes],
        "default_account": selectors.default_line_account_id(request.user, kind),
        "default_tax": default_tax,
    }


def _line_formset(extra: int) -> type[forms.BaseFormSet]:
    return forms.formset_factory(
        InvoiceLineForm, formset=forms.BaseFormSet, extra=extra, max_num=MAX_LINES, absolute_max=MAX_LINES
    )


@dataclass
class InvoiceEditor:
    """The invoice form and its line rows, bound or not; `sent` are the rows sent to the
    service, in order, so its `lines[i]` errors land on the right row."""

    form: InvoiceForm
    lines: forms.BaseFormSet
    kind: str
    sent: list[InvoiceLineForm] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        request: AuthedRequest,
        *,
        kind: str,
        initial: dict[str, Any],
        lines: list[dict[str, Any]],
        extra: int,
        data: Any = None,
    ) -> InvoiceEditor:
        if data is None and request.method == "POST":
            data = request.POST
        terms = [(t.pk, t.name) for t in selectors.payment_terms_for(request.user)]
        return cls(
            form=InvoiceForm(data, initial=initial, terms=terms),
            lines=_line_formset(extra)(
                data, initial=lines, prefix="lines", form_kwargs=_line_choices(request, kind)
            ),
            kind=kind,
        )

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.lines.is_valid()])

    def line_values(self) -> list[InvoiceLineIn]:
        self.sent = [row for row in self.lines.forms if row.cleaned_data and not row.is_blank()]
        return [
            InvoiceLineIn(
                description=row.cleaned_data["description"],
                quantity=row.cleaned_data["quantity"] if row.cleaned_data["quantity"] is not None else 1,
                unit_price=row.cleaned_data["unit_price"] or 0,
                discount=row.cleaned_data["discount"] or 0,
                account_id=row.cleaned_data["account_id"],
                tax_id=row.cleaned_data["tax_id"],
            )
            for row in self.sent
        ]

    def show_error(self, exc: DomainError) -> None:
        form_add_domain_error(self.form, exc, {"lines": self.sent}, renames={"party_id": "party"})


def _render_form(
    request: AuthedRequest, editor: InvoiceEditor, *, invoice: Invoice | None, status: int = 200
) -> HttpResponse:
    party_id = _int(str(editor.form["party"].value() or ""))
    party = party_selectors.parties_visible(request.user).filter(pk=party_id).first() if party_id else None
    context = {
        "editor": editor,
        "invoice": invoice,
        "kind": editor.kind,
        "new_title": NEW_TITLES[InvoiceKind(editor.kind)],
        "party": party,
        "totals": _totals(request, editor),
    }
    return render(request, "web/finance/invoices/form.html", context, status=status)


@page
def invoice_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    kind = _kind(request.GET.get("kind") or request.POST.get("kind"))
    editor = InvoiceEditor.build(
        request,
        kind=kind,
        initial={
            "date": timezone.localdate(),
            "party": _int(request.GET.get("party")),
            "currency": request.user.company.base_currency if request.user.company else "",
        },
        lines=[],
        extra=1,
    )
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, invoice=None, status=422 if request.method == "POST" else 200)
    header = editor.form.cleaned_data
    # "Save and post" issues the invoice (created and posted in one transaction: a refusal
    # by either step leaves nothing behind); "Save draft" only creates it.
    issue = request.POST.get("post") == "1"
    try:
        invoice = (invoicing.invoice_issue if issue else invoicing.invoice_create)(
            actor=request.user,
            kind=kind,
            party_id=header["party"] or 0,
            date=header["date"],
            due_date=header["due_date"],
            payment_term_id=header["payment_term_id"],
            currency=header["currency"],
            reference=header["reference"],
            narration=header["narration"],
            lines=editor.line_values(),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, invoice=None, status=exc.status)
    if issue:
        messages.success(request, _("%(number)s was posted.") % {"number": invoice.number})
    else:
        messages.success(request, _("The draft was saved."))
    return redirect("web:invoice-detail", invoice.pk)


@page
def invoice_edit(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    invoice = selectors.invoice_get_for_actor(request.user, invoice_id)
    if invoice.state != InvoiceState.DRAFT or not policy.allows(request.user, MANAGE, invoice):
        raise PermissionDenied
    keep_due = invoice.payment_term_id is None and invoice.due_date != invoice.date
    editor = InvoiceEditor.build(
        request,
        kind=invoice.kind,
        initial={
            "party": invoice.party_id,
            "date": invoice.date,
            "due_date": invoice.due_date if keep_due else None,
            "payment_term_id": invoice.payment_term_id,
            "currency": invoice.currency,
            "reference": invoice.reference,
            "narration": invoice.narration,
            "version": invoice.version,
        },
        lines=[
            {
                "description": line.description,
                "quantity": line.quantity.normalize(),
                "unit_price": line.unit_price.normalize(),
                "discount": line.discount.normalize(),
                "account_id": line.account_id,
                "tax_id": line.tax_id,
            }
            for line in invoice.lines.order_by("sequence", "id")
        ],
        extra=0,
    )
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, invoice=invoice, status=422 if request.method == "POST" else 200)
    header = editor.form.cleaned_data
    try:
        invoicing.invoice_update(
            actor=request.user,
            invoice_id=invoice.pk,
            version=header["version"] if header["version"] is not None else invoice.version,
            party_id=header["party"] or 0,
            date=header["date"],
            due_date=header["due_date"],
            payment_term_id=header["payment_term_id"],
            currency=header["currency"],
            reference=header["reference"],
            narration=header["narration"],
            lines=editor.line_values(),
        )
    except StaleVersionError:
        editor.form.add_error(
            None,
            _(
                "Someone else changed this invoice while you were editing it. Your changes were not "
                "saved: open the invoice again to see the current version, then make your changes once more."
            ),
        )
        return _render_form(request, editor, invoice=invoice, status=409)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, invoice=invoice, status=exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect("web:invoice-detail", invoice.pk)


@page
def invoice_line_row(request: AuthedRequest) -> HttpResponse:
    """One more blank line row for the invoice form (HTMX "Add line"), and the formset's
    TOTAL_FORMS counted up out of band."""
    require_permission(request, MANAGE)
    kind = _kind(request.GET.get("kind"))
    index = _int(request.GET.get("lines-TOTAL_FORMS")) or 0
    if index >= MAX_LINES:
        return HttpResponse(status=204)
    row = InvoiceLineForm(
        prefix=f"lines-{index}",
        empty_permitted=True,
        use_required_attribute=False,
        **_line_choices(request, kind),
    )
    return render(request, "web/finance/invoices/form.html#line-row-added", {"row": row, "total": index + 1})


@dataclass(frozen=True)
class Totals:
    currency: str
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    taxes: list[tuple[str, Decimal]]


def _totals(request: AuthedRequest, editor: InvoiceEditor) -> Totals | None:
    """The live totals of the lines as they stand in the form (taxes.py does the sums);
    rows that are blank or not numbers yet are left out."""
    if not editor.lines.is_bound:
        return None
    base = request.user.company.base_currency if request.user.company else "EUR"
    currency = base
    if editor.form.is_bound:
        given = (editor.form.data.get("currency") or "").strip().upper()
        try:
            currency = currency_validate(given) if given else base
        except DomainError:
            currency = base
    taxes = {t.pk: t for t in selectors.taxes_for(request.user, _scope(editor.kind))}
    rows: list[tuple[Decimal, int | None]] = []
    for row in editor.lines.forms:
        if not row.is_valid() or row.is_blank():
            continue
        data = row.cleaned_data
        quantity = data["quantity"] if data["quantity"] is not None else Decimal(1)
        tax_id = data["tax_id"] if data["tax_id"] in taxes else None
        rows.append(
            (
                line_untaxed(
                    quantity, data["unit_price"] or Decimal(0), data["discount"] or Decimal(0), currency
                ),
                tax_id,
            )
        )
    rates = {pk: TaxRate(rate=t.rate, is_reverse=t.is_reverse_charge) for pk, t in taxes.items()}
    amounts = document_amounts(
        rows, rates, rounding=selectors.tax_rounding_for(request.user), currency=currency
    )
    return Totals(
        currency=currency,
        untaxed=amounts.untaxed,
        tax=amounts.tax,
        total=amounts.total,
        taxes=[(str(taxes[pk]), amount) for pk, amount in amounts.tax_totals.items()],
    )


@page
def invoice_totals(request: AuthedRequest) -> HttpResponse:
    """The form's totals recomputed from what is typed (HTMX, on every change)."""
    require_permission(request, MANAGE)
    kind = _kind(request.GET.get("kind"))
    editor = InvoiceEditor.build(request, kind=kind, initial={}, lines=[], extra=0, data=request.GET)
    return render(request, "web/finance/invoices/form.html#totals", {"totals": _totals(request, editor)})


# ---- post, delete, send, unreconcile ----------------------------------------------------


@require_POST
@page
def invoice_post(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        invoice = invoicing.invoice_post(
            actor=request.user, invoice_id=invoice_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s was posted.") % {"number": invoice.number})
    return redirect("web:invoice-detail", invoice_id)


@require_POST
@page
def invoice_delete(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    kind = selectors.invoice_get_for_actor(request.user, invoice_id).kind
    try:
        invoicing.invoice_delete(
            actor=request.user, invoice_id=invoice_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
        return redirect("web:invoice-detail", invoice_id)
    messages.success(request, _("The draft was deleted."))
    return redirect(f"{reverse('web:invoice-list')}?kind={kind}")


@require_POST
@page
def invoice_send(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    to = [address for address in request.POST.get("to", "").replace(";", ",").split(",") if address.strip()]
    try:
        invoice = invoicing.invoice_send(actor=request.user, invoice_id=invoice_id, to=to[:10])
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s will be sent by e-mail.") % {"number": invoice.number})
    return redirect("web:invoice-detail", invoice_id)


@require_POST
@page
def invoice_unreconcile(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    require_permission(request, PAY)
    try:
        removed = payments.unreconcile(actor=request.user, invoice_id=invoice_id)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("%(count)s match(es) removed; the amounts are open again.") % {"count": removed}
        )
    return redirect("web:invoice-detail", invoice_id)


# ---- credit note ------------------------------------------------------------------------


class CreditLineForm(forms.Form):
    include = forms.BooleanField(label=gettext_lazy("Credit"), required=False)
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), required=False, localize=True)


class CreditNoteForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    narration = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@page
def credit_note_create(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    """A draft credit note (or refund) for some or all lines of a posted invoice."""
    require_permission(request, MANAGE)
    invoice = selectors.invoice_get_for_actor(request.user, invoice_id)
    if (
        invoice.state != InvoiceState.POSTED
        or invoice.is_refund
        or not policy.allows(request.user, MANAGE, invoice)
    ):
        raise PermissionDenied
    lines = list(invoice.lines.order_by("sequence", "id"))
    data = request.POST if request.method == "POST" else None
    form = CreditNoteForm(data, initial={"date": timezone.localdate()})
    rows = [
        CreditLineForm(
            data, prefix=f"line-{line.pk}", initial={"include": True, "quantity": line.quantity.normalize()}
        )
        for line in lines
    ]
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and all(row.is_valid() for row in rows):
            chosen = [
                (line, row) for line, row in zip(lines, rows, strict=True) if row.cleaned_data["include"]
            ]
            try:
                note = invoicing.credit_note_create(
                    actor=request.user,
                    invoice_id=invoice.pk,
                    date=form.cleaned_data["date"],
                    reason=form.cleaned_data["narration"],
                    lines=[
                        {
                            "line_id": line.pk,
                            "quantity": row.cleaned_data["quantity"]
                            if row.cleaned_data["quantity"] is not None
                            else line.quantity,
                        }
                        for line, row in chosen
                    ],
                )
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                form_add_domain_error(form, exc, {"lines": [row for _line, row in chosen]})
                status = exc.status
            else:
                messages.success(
                    request, _("The draft credit note was saved; post it to settle the invoice.")
                )
                return redirect("web:invoice-detail", note.pk)
    context = {"invoice": invoice, "form": form, "rows": list(zip(lines, rows, strict=True))}
    return render(request, "web/finance/invoices/credit_note.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("finance/invoices/", invoice_list, name="invoice-list"),
    path("finance/invoices/new/", invoice_create, name="invoice-create"),
    path("finance/invoices/line-row/", invoice_line_row, name="invoice-line-row"),
    path("finance/invoices/totals/", invoice_totals, name="invoice-totals"),
    path("finance/invoices/<int:invoice_id>/", invoice_detail, name="invoice-detail"),
    path("finance/invoices/<int:invoice_id>/edit/", invoice_edit, name="invoice-edit"),
    path("finance/invoices/<int:invoice_id>/post/", invoice_post, name="invoice-post"),
    path("finance/invoices/<int:invoice_id>/delete/", invoice_delete, name="invoice-delete"),
    path("finance/invoices/<int:invoice_id>/send/", invoice_send, name="invoice-send"),
    path("finance/invoices/<int:invoice_id>/unreconcile/", invoice_unreconcile, name="invoice-unreconcile"),
    path("finance/invoices/<int:invoice_id>/credit-note/", credit_note_create, name="invoice-credit-note"),
]
