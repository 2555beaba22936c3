"""Pages of the stock reports: stock on hand (filters by warehouse, location and product,
optionally per location and lot, page by page) and the stock valuation beside the stock
accounts' ledger balance (now or at a date, per category, with CSV / XLSX / PDF exports).

Every page calls kantoor.inventory.reports with `request.user`: who may not see stock (or
its value) gets a 403 before anything is read; bad filters show on the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.catalog.models import ProductCategory
from kantoor.core import policy
from kantoor.core.errors import DomainError
from kantoor.core.exports import ExportFormat, ExportRow, export_format, table_export
from kantoor.inventory import reports
from kantoor.inventory.models import OWN_STOCK, Location, LocationUsage, Warehouse
from kantoor.web.forms import form_add_domain_error
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

ON_HAND_PAGE_SIZE = 50  # rows of one page of the stock on hand
EXPORT_FORMATS = [(f.value, f.value.upper()) for f in ExportFormat]


class OnHandForm(forms.Form):
    warehouse = forms.TypedChoiceField(
        label=gettext_lazy("Warehouse"), required=False, coerce=int, empty_value=None
    )
    location = forms.TypedChoiceField(
        label=gettext_lazy("Location"), required=False, coerce=int, empty_value=None
    )
    search = forms.CharField(label=gettext_lazy("Product"), required=False, max_length=100)
    by_location = forms.BooleanField(label=gettext_lazy("Per location"), required=False)
    by_lot = forms.BooleanField(label=gettext_lazy("Per lot"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = [("", gettext_lazy("All"))]
        self.fields["warehouse"].choices = everyone + [  # type: ignore[attr-defined]
            (pk, f"{code} {name}")
            for pk, code, name in Warehouse.objects.filter(company_id=company_id, is_active=True).values_list(
                "pk", "code", "name"
            )
        ]
        self.fields["location"].choices = everyone + list(  # type: ignore[attr-defined]
            Location.objects.filter(
                company_id=company_id, is_active=True, usage__in=[*OWN_STOCK, LocationUsage.VIEW]
            )
            .exclude(warehouse__isnull=True, usage=LocationUsage.VIEW)
            .order_by("full_name")
            .values_list("pk", "full_name")
        )


class ValuationForm(forms.Form):
    at = forms.DateField(
        label=gettext_lazy("At"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.TypedChoiceField(
        label=gettext_lazy("Category"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = ProductCategory.objects.filter(company_id=company_id).order_by("name")
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", gettext_lazy("All")),
            *categories.values_list("pk", "name"),
        ]


def _query(request: AuthedRequest, **changes: Any) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = str(value)
    return query.urlencode()


@page
def stock_on_hand(request: AuthedRequest) -> HttpResponse:
    require_permission(request, reports.VIEW)
    form = OnHandForm(request.GET or None, company_id=policy.actor_company_id(request.user))
    report = None
    status = 200
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        try:
            report = reports.on_hand(
                actor=request.user,
                warehouse_id=data.get("warehouse"),
                location_id=data.get("location"),
                search=data.get("search") or "",
                by_location=bool(data.get("by_location")),
                by_lot=bool(data.get("by_lot")),
                page=data.get("page") or 1,
                page_size=ON_HAND_PAGE_SIZE,
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
            status = 422
    else:
        status = 422
    context = {
        "form": form,
        "report": report,
        "can_see_value": policy.has_permission(request.user, reports.VIEW_VALUATION),
        "previous_query": _query(request, page=report.page - 1) if report and report.page > 1 else "",
        "next_query": _query(request, page=report.page + 1) if report and report.has_next else "",
    }
    return render(request, "web/inventory_reports/on_hand.html", context, status=status)


def _valuation_file(report: reports.ValuationReport, chosen: str) -> HttpResponse:
    rows: list[Any] = [
        (row.sku, row.name, row.category, row.quantity, row.uom, row.unit_cost, row.value)
        for row in report.rows
    ]
    rows.append(ExportRow(("", _("Total"), "", None, "", None, report.total_value), strong=True))
    rows.append(ExportRow(("", _("Stock accounts' balance"), "", None, "", None, report.ledger_balance)))
    exported = table_export(
        title=_("Stock valuation"),
        subtitle=(_("at %s") % report.at.isoformat()) if report.at else _("now"),
        headings=[
            _("SKU"),
            _("Product"),
            _("Category"),
            _("Quantity"),
            _("Unit"),
            _("Unit cost"),
            _("Value"),
        ],
        rows=rows,
        format=chosen,
    )
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


@page
def stock_valuation(request: AuthedRequest) -> HttpResponse:
    require_permission(request, reports.VIEW_VALUATION)
    form = ValuationForm(request.GET or None, company_id=policy.actor_company_id(request.user))
    report = None
    status = 200
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        try:
            chosen = export_format(request.GET["format"]).value if request.GET.get("format") else None
            report = reports.valuation(
                actor=request.user, at=data.get("at"), category_id=data.get("category")
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
            status = 422
        else:
            if chosen:
                return _valuation_file(report, chosen)
    else:
        status = 422
    context = {
        "form": form,
        "report": report,
        "export_query": _query(request, format=None),
        "export_formats": EXPORT_FORMATS,
    }
    return render(request, "web/inventory_reports/valuation.html", context, status=status)
