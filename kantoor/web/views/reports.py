"""Pages of finance: reports — trial balance, general ledger (with drill-down to the entries),
profit and loss and balance sheet, each with a date form (GET), an optional comparison and
CSV / XLSX / PDF exports.

Every page calls `finance.reports` with `request.user`: who may not read the ledger gets a
403 before anything is read. Bad dates show on the form, never as an error page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from kantoor.core import policy
from kantoor.core.errors import DomainError
from kantoor.core.exports import ExportFile, ExportFormat, export_format
from kantoor.finance import report_exports, reports, selectors
from kantoor.web.forms import form_add_domain_error
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = "finance.view_ledger"
LEDGER_ACCOUNTS_WITH_LINES = 10  # accounts whose lines one general-ledger page shows at most
EXPORT_FORMATS = [(f.value, f.value.upper()) for f in ExportFormat]


class RangeForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=True, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=True, widget=forms.DateInput(attrs={"type": "date"}))
    compare = forms.BooleanField(label=_("Compare with the previous period"), required=False)


class LedgerForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=True, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=True, widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.TypedMultipleChoiceField(label=_("Accounts"), required=False, coerce=int, choices=())
    cursor = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)


class BalanceSheetForm(forms.Form):
    date = forms.DateField(label=_("Date"), required=True, widget=forms.DateInput(attrs={"type": "date"}))
    compare = forms.BooleanField(label=_("Compare with a year earlier"), required=False)
    compare_date = forms.DateField(
        label=_("or with"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _defaults(request: AuthedRequest) -> dict[str, Any]:
    """From the start of the current fiscal year to today, unless the request says otherwise."""
    today = timezone.localdate()
    start = reports.fiscal_year_start(policy.actor_company_id(request.user), today)
    return {"date_from": start.isoformat(), "date_to": today.isoformat(), "date": today.isoformat()}


def _bound(request: AuthedRequest, form_class: type[forms.Form], **kwargs: Any) -> forms.Form:
    data = request.GET.copy()
    for key, value in _defaults(request).items():
        if key in form_class.base_fields and not data.get(key):
            data[key] = value
    return form_class(data, **kwargs)


def _file(exported: ExportFile) -> HttpResponse:
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


def _export_query(request: AuthedRequest) -> str:
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("cursor", None)
    return query.urlencode()


def _requested_format(request: AuthedRequest) -> str | None:
    value = request.GET.get("format")
    return export_format(value).value if value else None


def _render(
    request: AuthedRequest, template: str, form: forms.Form, report: Any, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "report": report,
        "export_query": _export_query(request),
        "export_formats": EXPORT_FORMATS,
        **extra,
    }
    return render(request, f"web/finance/reports/{template}", context, status=status)


@page
def report_index(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    return render(request, "web/finance/reports/index.html", {})


def _range_report(request: AuthedRequest, template: str, build: Any, export: Any) -> HttpResponse:
    """A report over a date range with an optional comparison: the page, or the file."""
    require_permission(request, VIEW)
    form = _bound(request, RangeForm)
    if not form.is_valid():
        return _render(request, template, form, None, status=422)
    data = form.cleaned_data
    try:
        chosen = _requested_format(request)
        report = build(
            request.user, date_from=data["date_from"], date_to=data["date_to"], compare=data["compare"]
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc)
        return _render(request, template, form, None, status=422)
    if chosen:
        return _file(export(report, chosen))
    ledger_query = urlencode(
        {"date_from": str(report.period.date_from), "date_to": str(report.period.date_to)}
    )
    return _render(request, template, form, report, ledger_query=ledger_query)


@page
def trial_balance(request: AuthedRequest) -> HttpResponse:
    return _range_report(
        request,
        "trial_balance.html",
        reports.trial_balance_for_actor,
        report_exports.trial_balance_export,
    )


@page
def profit_and_loss(request: AuthedRequest) -> HttpResponse:
    return _range_report(
        request,
        "profit_and_loss.html",
        reports.profit_and_loss_for_actor,
        report_exports.profit_and_loss_export,
    )


@page
def balance_sheet(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    template = "balance_sheet.html"
    form = _bound(request, BalanceSheetForm)
    if not form.is_valid():
        return _render(request, template, form, None, status=422)
    data = form.cleaned_data
    try:
        chosen = _requested_format(request)
        report = reports.balance_sheet_for_actor(
            request.user, at=data["date"], compare=data["compare"], compare_at=data["compare_date"]
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc)
        return _render(request, template, form, None, status=422)
    if chosen:
        return _file(report_exports.balance_sheet_export(report, chosen))
    ledger_query = urlencode({"date_from": str(report.fiscal_year_start), "date_to": str(report.at)})
    return _render(request, template, form, report, ledger_query=ledger_query)


@page
def general_ledger(request: AuthedRequest) -> HttpResponse:
    """Every account's summary; with accounts chosen, their lines too (a page of each, and
    for a single account page by page with `cursor`)."""
    require_permission(request, VIEW)
    template = "general_ledger.html"
    accounts = list(
        selectors.accounts_visible(request.user).order_by("code").values_list("pk", "code", "name")
    )
    form = _bound(request, LedgerForm)
    form.fields["account"].choices = [(pk, f"{code} {name}") for pk, code, name in accounts]  # type: ignore[attr-defined]
    if not form.is_valid():
        return _render(request, template, form, None, status=422)
    data = form.cleaned_data
    chosen_ids: list[int] = data["account"] or []
    try:
        chosen = _requested_format(request)
        report = reports.general_ledger_for_actor(
            request.user,
            date_from=data["date_from"],
            date_to=data["date_to"],
            account_ids=chosen_ids or None,
        )
        if chosen:
            return _file(
                report_exports.general_ledger_export(
                    company_id=policy.actor_company_id(request.user), report=report, export_format=chosen
                )
            )
        pages = []
        if chosen_ids:
            cursor = data["cursor"] if len(chosen_ids) == 1 else None
            for item in report.accounts[:LEDGER_ACCOUNTS_WITH_LINES]:
                assert item.account.account_id is not None  # noqa: S101 - ledger rows are accounts
                lines = reports.ledger_lines_for_actor(
                    request.user,
                    account_id=item.account.account_id,
                    date_from=data["date_from"],
                    date_to=data["date_to"],
                    cursor=cursor or None,
                    limit=reports.LEDGER_PAGE_SIZE,
                )
                pages.append((item, lines))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc)
        return _render(request, template, form, None, status=422)
    base = request.GET.copy()
    for key in ("account", "cursor", "format"):
        base.pop(key, None)
    return _render(
        request,
        template,
        form,
        report,
        pages=pages,
        cursor=data["cursor"],
        single_account=len(chosen_ids) == 1,
        report_accounts=chosen_ids,
        limit=LEDGER_ACCOUNTS_WITH_LINES,
        more_accounts=len(report.accounts) > LEDGER_ACCOUNTS_WITH_LINES and bool(chosen_ids),
        base_query=base.urlencode(),
        page_query=_export_query(request),
    )


urlpatterns: list[URLPattern] = [
    path("finance/reports/", report_index, name="report-index"),
    path("finance/reports/trial-balance/", trial_balance, name="report-trial-balance"),
    path("finance/reports/general-ledger/", general_ledger, name="report-general-ledger"),
    path("finance/reports/profit-and-loss/", profit_and_loss, name="report-profit-and-loss"),
    path("finance/reports/balance-sheet/", balance_sheet, name="report-balance-sheet"),
]
