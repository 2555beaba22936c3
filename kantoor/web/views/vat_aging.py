"""Pages of finance: the VAT return (exact and in the form's whole euros), aged receivables
and payables, and a party's statement — each with a date form (GET).

Every page calls `finance.vat`, `finance.aging` or `finance.statements` with `request.user`:
who may not read the ledger gets a 403 before anything is read, another company's party a
404. Bad dates show on the form, never as an error page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import DomainError
from kantoor.finance import aging, statements, vat
from kantoor.web.forms import form_add_domain_error
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = "finance.view_ledger"
TEMPLATES = "web/finance/vat_aging"


class VatReturnForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


class AgingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))


class StatementForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Accounts"),
        choices=[(aging.RECEIVABLE, _("Receivable (customer)")), (aging.PAYABLE, _("Payable (supplier)"))],
    )
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


def _last_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter before the one of `today`: the usual VAT return to file."""
    first_of_quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    end = first_of_quarter - dt.timedelta(days=1)
    return dt.date(end.year, end.month - 2, 1), end


def _bound(request: AuthedRequest, form_class: type[forms.Form], defaults: dict[str, Any]) -> forms.Form:
    data = request.GET.copy()
    for key, value in defaults.items():
        if not data.get(key):
            data[key] = value
    return form_class(data)


def _report(
    request: AuthedRequest, template: str, form: forms.Form, build: Any, **extra: Any
) -> HttpResponse:
    """The form's page with the report `build(cleaned_data)` makes, or the form's errors (422)."""
    context: dict[str, Any] = {"form": form, "report": None, **extra}
    if not form.is_valid():
        return render(request, f"{TEMPLATES}/{template}", context, status=422)
    try:
        context["report"] = build(form.cleaned_data)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc)
        return render(request, f"{TEMPLATES}/{template}", context, status=422)
    return render(request, f"{TEMPLATES}/{template}", context)


@page
def vat_return(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    start, end = _last_quarter(timezone.localdate())
    form = _bound(request, VatReturnForm, {"date_from": start.isoformat(), "date_to": end.isoformat()})

    def build(data: dict[str, Any]) -> Any:
        exact = vat.vat_return_for_actor(request.user, date_from=data["date_from"], date_to=data["date_to"])
        rounded = exact.rounded()
        return {
            "exact": exact,
            "rows": [(box, rounded.box(box.code)) for box in exact.boxes],
            "rounded": rounded,
        }

    return _report(request, "vat_return.html", form, build)


def _aging_page(request: AuthedRequest, kind: str) -> HttpResponse:
    require_permission(request, VIEW)
    form = _bound(request, AgingForm, {"date": timezone.localdate().isoformat()})

    def build(data: dict[str, Any]) -> aging.AgingReport:
        return aging.aging_for_actor(request.user, kind=kind, at=data["date"])

    title = _("Aged receivables") if kind == aging.RECEIVABLE else _("Aged payables")
    return _report(request, "aging.html", form, build, title=title, kind=kind)


@page
def aged_receivables(request: AuthedRequest) -> HttpResponse:
    return _aging_page(request, aging.RECEIVABLE)


@page
def aged_payables(request: AuthedRequest) -> HttpResponse:
    return _aging_page(request, aging.PAYABLE)


@page
def party_statement(request: AuthedRequest, party_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    today = timezone.localdate()
    form = _bound(
        request,
        StatementForm,
        {
            "kind": aging.RECEIVABLE,
            "date_from": today.replace(month=1, day=1).isoformat(),
            "date_to": today.isoformat(),
        },
    )
    # The party's name and balance show even when the form is wrong (a 404 for another company's).
    balance = aging.party_balance_for_actor(request.user, party_id=party_id)

    def build(data: dict[str, Any]) -> statements.Statement:
        return statements.statement_for_actor(
            request.user,
            party_id=party_id,
            kind=data["kind"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )

    return _report(request, "statement.html", form, build, party_id=party_id, balance=balance)


urlpatterns: list[URLPattern] = [
    path("finance/vat-return/", vat_return, name="vat-return"),
    path("finance/aged-receivables/", aged_receivables, name="aged-receivables"),
    path("finance/aged-payables/", aged_payables, name="aged-payables"),
    path("finance/parties/<int:party_id>/statement/", party_statement, name="party-statement"),
]
