"""Pages of manufacturing: work centres, bills of materials (list, detail, form with their
components, by-products and operations, structure and cost through every level) and
production orders (list with a tab per state, detail with the components needed and
reserved and the orders made for what was missing, confirm — making what is missing
when asked —, check availability, produce a quantity with its lots and hours, cancel).

Every page calls the manufacturing selectors and services with `request.user`, so the
policy decides what is shown and allowed: who may not read production gets a 403 before
any record is read, a record of another company is a 404, a refused write a message or
the form's errors.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.forms import formset_factory
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kantoor.catalog.models import Product, ProductKind, Uom
from kantoor.core import policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.inventory.models import Warehouse
from kantoor.manufacturing import selectors, services
from kantoor.manufacturing.models import BillOfMaterials, ProductionOrder, ProductionState, WorkCentre
from kantoor.web.forms import form_add_domain_error
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = services.VIEW
MANAGE = services.MANAGE
PAGE_SIZE = 50
STATE_TABS = [
    ("", gettext_lazy("All")),
    (ProductionState.DRAFT, gettext_lazy("Draft")),
    (ProductionState.CONFIRMED, gettext_lazy("Confirmed")),
    (ProductionState.IN_PROGRESS, gettext_lazy("In progress")),
    (ProductionState.DONE, gettext_lazy("Done")),
    (ProductionState.CANCELLED, gettext_lazy("Cancelled")),
]
QUANTITY_FIELD: dict[str, Any] = {"max_digits": 16, "decimal_places": 4, "min_value": Decimal("0.0001")}


def _set_choices(field: forms.Field, choices: list[tuple[str, Any]]) -> None:
    cast("forms.ChoiceField", field).choices = choices


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


def _products(request: AuthedRequest) -> list[tuple[str, str]]:
    rows = Product.objects.filter(company_id=policy.actor_company_id(request.user), is_active=True).exclude(
        kind=ProductKind.SERVICE
    )
    return [("", "—")] + [(str(p.pk), str(p)) for p in rows.order_by("sku")[:1000]]


def _uoms(request: AuthedRequest) -> list[tuple[str, Any]]:
    rows = Uom.objects.filter(company_id=policy.actor_company_id(request.user), is_active=True).order_by(
        "code"
    )
    return [("", gettext_lazy("Product's unit"))] + [(str(u.pk), u.code) for u in rows]


def _work_centres(request: AuthedRequest) -> list[tuple[str, str]]:
    rows = WorkCentre.objects.filter(
        company_id=policy.actor_company_id(request.user), is_active=True
    ).order_by("code")
    return [("", "—")] + [(str(c.pk), f"{c.code} — {c.name}") for c in rows]


# ---- work centres -------------------------------------------------------------------------


class WorkCentreForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    capacity = forms.DecimalField(
        label=gettext_lazy("Capacity (hours per day)"), max_digits=6, decimal_places=2, initial=8
    )
    cost_per_hour = forms.DecimalField(
        label=gettext_lazy("Cost per hour"), max_digits=12, decimal_places=2, initial=0
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


@page
def work_centre_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    can_manage = policy.has_permission(request.user, MANAGE)
    form = WorkCentreForm()
    if request.method == "POST":
        require_permission(request, MANAGE)
        form = WorkCentreForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                centre = services.work_centre_create(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    capacity=data["capacity"],
                    cost_per_hour=data["cost_per_hour"],
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("Work centre %s was created.") % centre.code)
                return redirect("web:work-centre-list")
    centres = selectors.work_centres_visible(request.user).order_by("code")
    return render(
        request,
        "web/manufacturing/work_centres.html",
        {"centres": centres, "form": form, "can_manage": can_manage},
    )


@page
def work_centre_edit(request: AuthedRequest, work_centre_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    centre = selectors.work_centres_visible(request.user).filter(pk=work_centre_id).first()
    if centre is None:
        raise NotFoundError()
    form = WorkCentreForm(
        initial={
            "code": centre.code,
            "name": centre.name,
            "capacity": centre.capacity,
            "cost_per_hour": centre.cost_per_hour,
            "is_active": centre.is_active,
            "version": centre.version,
        }
    )
    if request.method == "POST":
        form = WorkCentreForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.work_centre_update(
                    actor=request.user, work_centre_id=centre.pk, version=version, **data
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("Work centre %s was saved.") % data["code"])
                return redirect("web:work-centre-list")
    return render(request, "web/manufacturing/work_centre_form.html", {"centre": centre, "form": form})


# ---- bills of materials -------------------------------------------------------------------


@page
def bom_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    q = request.GET.get("q", "").strip()[:100]
    boms = selectors.boms_visible(request.user).order_by("code", "id")
    if q:
        boms = boms.filter(code__icontains=q) | boms.filter(product__sku__icontains=q)
    context = {
        "boms": list(boms[:PAGE_SIZE]),
        "q": q,
        "can_manage": policy.has_permission(request.user, MANAGE),
    }
    if request.htmx and request.htmx.target == "bom-results":
        return render(request, "web/manufacturing/bom_list.html#results", context)
    return render(request, "web/manufacturing/bom_list.html", context)


def _bom(request: AuthedRequest, bom_id: int) -> BillOfMaterials:
    bom = selectors.boms_visible(request.user).filter(pk=bom_id).first()
    if bom is None:
        raise NotFoundError()
    return bom


@page
def bom_detail(request: AuthedRequest, bom_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    bom = _bom(request, bom_id)
    quantity = request.GET.get("quantity", "") or str(bom.quantity.normalize())
    try:
        needed = services.bom_explode(actor=request.user, bom_id=bom.pk, quantity=quantity)
    except DomainError as exc:
        _refused(request, exc)
        needed = []
    context = {
        "bom": bom,
        "needed": needed,
        "quantity": quantity,
        "can_manage": policy.has_permission(request.user, MANAGE),
    }
    if request.htmx and request.htmx.target == "bom-explosion":
        return render(request, "web/manufacturing/bom_detail.html#explosion", context)
    return render(request, "web/manufacturing/bom_detail.html", context)


def _shown(value: Decimal, places: int, least: int = 0) -> Decimal:
    """`value` rounded (half up) to `places` decimals, without trailing zeros beyond `least`."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    short = rounded.quantize(Decimal(1).scaleb(-least))
    return short if short == rounded else rounded.normalize()


def _structure_rows(level: selectors.BomStructure) -> list[dict[str, Any]]:
    """The tree as table rows, depth first: a level's components (each followed by the rows
    of its own structure), its work, its by-products and — below the top — its subtotal."""
    indent = min(level.depth, 5)
    rows: list[dict[str, Any]] = []
    for line in level.components:
        rows.append(
            {
                "kind": "component",
                "indent": indent,
                "line": line,
                "unit_cost": _shown(line.unit_cost, 6, 2),
            }
        )
        if line.structure is not None:
            rows += _structure_rows(line.structure)
    rows += [
        {"kind": "work", "indent": indent, "operation": o, "hours": _shown(o.hours, 4)}
        for o in level.operations
    ]
    rows += [{"kind": "by_product", "indent": indent, "made": made} for made in level.by_products]
    if level.depth:
        rows.append({"kind": "subtotal", "indent": indent, "level": level})
    return rows


@page
def bom_structure(request: AuthedRequest, bom_id: int) -> HttpResponse:
    """The BOM's structure and cost through every level, for a quantity (HTMX: the tree)."""
    require_permission(request, VIEW)
    bom = _bom(request, bom_id)
    quantity = request.GET.get("quantity", "").strip()[:20] or str(bom.quantity.normalize())
    structure = None
    try:
        structure = selectors.bom_structure(request.user, bom.pk, quantity)
    except DomainError as exc:
        _refused(request, exc)
    context = {
        "bom": bom,
        "structure": structure,
        "rows": _structure_rows(structure) if structure is not None else [],
        "quantity": quantity,
    }
    if request.htmx and request.htmx.target == "bom-structure":
        return render(request, "web/manufacturing/bom_structure.html#structure", context)
    return render(request, "web/manufacturing/bom_structure.html", context)


class BomForm(forms.Form):
    product = forms.TypedChoiceField(label=gettext_lazy("Product"), coerce=int)
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), initial=1, **QUANTITY_FIELD)
    uom = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int, required=False, empty_value=None)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ComponentRow(forms.Form):
    product = forms.TypedChoiceField(
        label=gettext_lazy("Component"), coerce=int, required=False, empty_value=None
    )
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), required=False, **QUANTITY_FIELD)
    uom = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int, required=False, empty_value=None)
    scrap_percent = forms.DecimalField(
        label=gettext_lazy("Scrap %"), required=False, max_digits=7, decimal_places=4, min_value=0
    )


class ByProductRow(forms.Form):
    product = forms.TypedChoiceField(
        label=gettext_lazy("By-product"), coerce=int, required=False, empty_value=None
    )
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), required=False, **QUANTITY_FIELD)
    uom = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int, required=False, empty_value=None)
    cost_share = forms.DecimalField(
        label=gettext_lazy("Cost share %"), required=False, max_digits=7, decimal_places=4, min_value=0
    )


class OperationRow(forms.Form):
    work_centre = forms.TypedChoiceField(
        label=gettext_lazy("Work centre"), coerce=int, required=False, empty_value=None
    )
    name = forms.CharField(label=gettext_lazy("Operation"), max_length=100, required=False)
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"), required=False, max_digits=14, decimal_places=4, min_value=0
    )


ComponentRows = formset_factory(ComponentRow, extra=0, max_num=200, absolute_max=200)
ByProductRows = formset_factory(ByProductRow, extra=0, max_num=50, absolute_max=50)
OperationRows = formset_factory(OperationRow, extra=0, max_num=50, absolute_max=50)
EXTRA_ROWS = 3


def _bom_forms(
    request: AuthedRequest, bom: BillOfMaterials | None, data: Any = None
) -> tuple[BomForm, Any, Any, Any]:
    products, uoms, centres = _products(request), _uoms(request), _work_centres(request)
    initial: dict[str, Any] = {}
    components: list[dict[str, Any]] = []
    by_products: list[dict[str, Any]] = []
    operations: list[dict[str, Any]] = []
    if bom is not None:
        initial = {
            "product": bom.product_id,
            "code": bom.code,
            "name": bom.name,
            "quantity": bom.quantity.normalize(),
            "uom": bom.uom_id,
            "is_active": bom.is_active,
            "version": bom.version,
        }
        components = [
            {
                "product": c.product_id,
                "quantity": c.quantity.normalize(),
                "uom": c.uom_id,
                "scrap_percent": c.scrap_percent.normalize(),
            }
            for c in bom.components.all()
        ]
        by_products = [
            {
                "product": b.product_id,
                "quantity": b.quantity.normalize(),
                "uom": b.uom_id,
                "cost_share": b.cost_share.normalize(),
            }
            for b in bom.by_products.all()
        ]
        operations = [
            {"work_centre": o.work_centre_id, "name": o.name, "hours": o.hours.normalize()}
            for o in bom.operations.all()
        ]
    blank: list[dict[str, Any]] = [{} for _n in range(EXTRA_ROWS)]
    form = BomForm(data, initial=initial)
    component_rows = ComponentRows(data, initial=components + blank, prefix="components")
    by_product_rows = ByProductRows(data, initial=by_products + blank, prefix="by_products")
    operation_rows = OperationRows(data, initial=operations + blank, prefix="operations")
    _set_choices(form.fields["product"], products)
    _set_choices(form.fields["uom"], uoms)
    if bom is not None:
        form.fields["product"].disabled = True
    for row in component_rows:
        _set_choices(row.fields["product"], products)
        _set_choices(row.fields["uom"], uoms)
    for by_row in by_product_rows:
        _set_choices(by_row.fields["product"], products)
        _set_choices(by_row.fields["uom"], uoms)
    for operation_row in operation_rows:
        _set_choices(operation_row.fields["work_centre"], centres)
    return form, component_rows, by_product_rows, operation_rows


def _filled(rows: Any, key: str) -> list[forms.Form]:
    return [row for row in rows if row.cleaned_data.get(key)]


def _bom_save(request: AuthedRequest, bom: BillOfMaterials | None) -> tuple[BillOfMaterials | None, Any]:
    forms_ = _bom_forms(request, bom, request.POST)
    form, component_rows, by_product_rows, operation_rows = forms_
    if not all(f.is_valid() for f in forms_):
        return None, forms_
    data = form.cleaned_data
    components = _filled(component_rows, "product")
    by_products = _filled(by_product_rows, "product")
    operations = _filled(operation_rows, "work_centre")
    lines: dict[str, Any] = {
        "components": [
            services.ComponentIn(
                product_id=r.cleaned_data["product"],
                quantity=r.cleaned_data["quantity"] or 0,
                uom_id=r.cleaned_data["uom"],
                scrap_percent=r.cleaned_data["scrap_percent"] or 0,
            )
            for r in components
        ],
        "by_products": [
            services.ByProductIn(
                product_id=r.cleaned_data["product"],
                quantity=r.cleaned_data["quantity"] or 0,
                uom_id=r.cleaned_data["uom"],
                cost_share=r.cleaned_data["cost_share"] or 0,
            )
            for r in by_products
        ],
        "operations": [
            services.OperationIn(
                work_centre_id=r.cleaned_data["work_centre"],
                name=r.cleaned_data["name"],
                hours=r.cleaned_data["hours"] or 0,
            )
            for r in operations
        ],
    }
    try:
        if bom is None:
            saved = services.bom_create(
                actor=request.user,
                product_id=data["product"],
                code=data["code"],
                name=data["name"],
                quantity=data["quantity"],
                uom_id=data["uom"],
                **lines,
            )
        else:
            saved = services.bom_update(
                actor=request.user,
                bom_id=bom.pk,
                version=data["version"],
                code=data["code"],
                name=data["name"],
                quantity=data["quantity"],
                uom_id=data["uom"],
                is_active=data["is_active"],
                **lines,
            )
    except DomainError as exc:
        form_add_domain_error(
            form,
            exc,
            rows={"components": components, "by_products": by_products, "operations": operations},
            renames={"product_id": "product", "uom_id": "uom"},
        )
        return None, forms_
    return saved, forms_


def _bom_form_page(request: AuthedRequest, bom: BillOfMaterials | None) -> HttpResponse:
    if request.method == "POST":
        saved, forms_ = _bom_save(request, bom)
        if saved is not None:
            messages.success(request, _("Bill of materials %s was saved.") % saved.code)
            return redirect("web:bom-detail", saved.pk)
    else:
        forms_ = _bom_forms(request, bom)
    form, component_rows, by_product_rows, operation_rows = forms_
    return render(
        request,
        "web/manufacturing/bom_form.html",
        {
            "bom": bom,
            "form": form,
            "component_rows": component_rows,
            "by_product_rows": by_product_rows,
            "operation_rows": operation_rows,
        },
    )


@page
def bom_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    return _bom_form_page(request, None)


@page
def bom_edit(request: AuthedRequest, bom_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    return _bom_form_page(request, _bom(request, bom_id))


# ---- production orders --------------------------------------------------------------------


@page
def production_order_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    state = request.GET.get("state", "")
    state = state if state in ProductionState.values else ""
    q = request.GET.get("q", "").strip()[:100]
    orders = selectors.production_orders_visible(request.user)
    if state:
        orders = orders.filter(state=state)
    if q:
        orders = orders.filter(number__icontains=q) | orders.filter(product__sku__icontains=q)
    context = {
        "orders": list(orders.order_by("-scheduled_date", "-id")[:PAGE_SIZE]),
        "tabs": STATE_TABS,
        "state": state,
        "q": q,
        "can_manage": policy.has_permission(request.user, MANAGE),
    }
    if request.htmx and request.htmx.target == "order-results":
        return render(request, "web/manufacturing/order_list.html#results", context)
    return render(request, "web/manufacturing/order_list.html", context)


class ProductionOrderForm(forms.Form):
    bom = forms.TypedChoiceField(label=gettext_lazy("Bill of materials"), coerce=int)
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), **QUANTITY_FIELD)
    warehouse = forms.TypedChoiceField(label=gettext_lazy("Warehouse"), coerce=int)
    scheduled_date = forms.DateField(
        label=gettext_lazy("Scheduled date"), widget=forms.DateInput(attrs={"type": "date"})
    )


@page
def production_order_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    company_id = policy.actor_company_id(request.user)
    boms = BillOfMaterials.objects.filter(company_id=company_id, is_active=True).select_related("product")
    warehouses = Warehouse.objects.filter(company_id=company_id, is_active=True).order_by("code")
    initial = {"scheduled_date": timezone.localdate(), "bom": _int(request.GET.get("bom"))}
    form = ProductionOrderForm(request.POST if request.method == "POST" else None, initial=initial)
    bom_choices = [(str(b.pk), f"{b.code} — {b.product}") for b in boms.order_by("code")]
    _set_choices(form.fields["bom"], [("", "—"), *bom_choices])
    _set_choices(form.fields["warehouse"], [(str(w.pk), f"{w.code} — {w.name}") for w in warehouses])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.production_order_create(
                actor=request.user,
                bom_id=data["bom"],
                quantity=data["quantity"],
                warehouse_id=data["warehouse"],
                scheduled_date=data["scheduled_date"],
            )
        except DomainError as exc:
            form_add_domain_error(form, exc, renames={"bom_id": "bom", "warehouse_id": "warehouse"})
        else:
            messages.success(request, _("Production order %s was created.") % order.number)
            return redirect("web:production-order-detail", order.pk)
    return render(request, "web/manufacturing/order_form.html", {"form": form})


class ProduceForm(forms.Form):
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), **QUANTITY_FIELD)
    lots = forms.CharField(
        label=gettext_lazy("Lot or serial numbers"),
        required=False,
        max_length=20000,
        help_text=gettext_lazy("One per line: one lot, or a serial number per unit."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _order(request: AuthedRequest, order_id: int) -> ProductionOrder:
    order = selectors.production_orders_visible(request.user).filter(pk=order_id).first()
    if order is None:
        raise NotFoundError()
    return order


def _hour_rows(order: ProductionOrder, quantity: Decimal) -> list[dict[str, Any]]:
    """The BOM's operations with the hours a run of `quantity` takes by default."""
    factor = quantity / order.bom.quantity
    rows: dict[int, dict[str, Any]] = {}
    for operation in order.bom.operations.select_related("work_centre").order_by("sequence", "id"):
        row = rows.setdefault(
            operation.work_centre_id, {"centre": operation.work_centre, "hours": Decimal(0)}
        )
        row["hours"] += operation.hours * factor
    return [{**row, "hours": row["hours"].quantize(Decimal("0.0001")).normalize()} for row in rows.values()]


@page
def production_order_detail(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    order = _order(request, order_id)
    return _detail(request, order, ProduceForm(initial={"quantity": order.remaining_quantity.normalize()}))


def _detail(
    request: AuthedRequest, order: ProductionOrder, produce_form: ProduceForm, status: int = 200
) -> HttpResponse:
    may_manage = policy.allows(request.user, MANAGE, order)
    open_ = order.state in (ProductionState.CONFIRMED, ProductionState.IN_PROGRESS)
    context = {
        "order": order,
        "components": selectors.production_order_components(order),
        "children": list(selectors.production_order_children(order).order_by("id")),
        "parent": selectors.production_order_parent(order),
        "outputs": list(order.output_transfers.order_by("id")),
        "hour_rows": _hour_rows(order, order.remaining_quantity) if open_ else [],
        "produce_form": produce_form,
        "can_confirm": may_manage and order.state == ProductionState.DRAFT,
        "can_produce": may_manage and open_,
        "can_cancel": may_manage
        and order.state in (ProductionState.DRAFT, ProductionState.CONFIRMED, ProductionState.IN_PROGRESS),
    }
    return render(request, "web/manufacturing/order_detail.html", context, status=status)


@require_POST
@page
def production_order_confirm(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        order = services.production_order_confirm(
            actor=request.user,
            order_id=order_id,
            version=_int(request.POST.get("version")),
            make_components=bool(request.POST.get("make_components")),
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        made = selectors.production_order_children(order).count()
        if made:
            messages.warning(
                request,
                ngettext(
                    "%(number)s was confirmed; %(count)d production order was made for what is missing.",
                    "%(number)s was confirmed; %(count)d production orders were made for what is missing.",
                    made,
                )
                % {"number": order.number, "count": made},
            )
        elif order.availability == "waiting":
            messages.warning(
                request, _("%s was confirmed; some components are not in stock yet.") % order.number
            )
        else:
            messages.success(request, _("%s was confirmed: its components are reserved.") % order.number)
    return redirect("web:production-order-detail", order_id)


@require_POST
@page
def production_order_check_availability(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        order = services.production_order_check_availability(actor=request.user, order_id=order_id)
    except DomainError as exc:
        _refused(request, exc)
    else:
        if order.availability == "ready":
            messages.success(request, _("All components are reserved."))
        else:
            messages.warning(request, _("Some components are still not in stock."))
    return redirect("web:production-order-detail", order_id)


@require_POST
@page
def production_order_produce(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    order = _order(request, order_id)
    form = ProduceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        hours = []
        for centre_id in request.POST.getlist("hours_centre"):
            value = request.POST.get(f"hours_{centre_id}", "").strip()
            if _int(centre_id) is not None and value:
                hours.append(services.HoursIn(work_centre_id=int(centre_id), hours=value))
        try:
            order = services.production_order_produce(
                actor=request.user,
                order_id=order.pk,
                quantity=data["quantity"],
                lots=[line.strip() for line in data["lots"].splitlines() if line.strip()],
                hours=hours if request.POST.getlist("hours_centre") else None,
                version=data["version"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(quantity)s %(unit)s of %(sku)s made.")
                % {
                    "quantity": f"{data['quantity'].normalize():f}",
                    "unit": order.uom.code,
                    "sku": order.product.sku,
                },
            )
            return redirect("web:production-order-detail", order.pk)
    order = _order(request, order_id)
    return _detail(request, order, form, status=422)


@require_POST
@page
def production_order_cancel(request: AuthedRequest, order_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        order = services.production_order_cancel(
            actor=request.user, order_id=order_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%s was cancelled.") % order.number)
    return redirect(reverse("web:production-order-detail", args=[order_id]))


urlpatterns: list[URLPattern] = [
    path("manufacturing/work-centres/", work_centre_list, name="work-centre-list"),
    path("manufacturing/work-centres/<int:work_centre_id>/", work_centre_edit, name="work-centre-edit"),
    path("manufacturing/boms/", bom_list, name="bom-list"),
    path("manufacturing/boms/new/", bom_create, name="bom-create"),
    path("manufacturing/boms/<int:bom_id>/", bom_detail, name="bom-detail"),
    path("manufacturing/boms/<int:bom_id>/edit/", bom_edit, name="bom-edit"),
    path("manufacturing/boms/<int:bom_id>/structure/", bom_structure, name="bom-structure"),
    path("manufacturing/orders/", production_order_list, name="production-order-list"),
    path("manufacturing/orders/new/", production_order_create, name="production-order-create"),
    path("manufacturing/orders/<int:order_id>/", production_order_detail, name="production-order-detail"),
    path(
        "manufacturing/orders/<int:order_id>/confirm/",
        production_order_confirm,
        name="production-order-confirm",
    ),
    path(
        "manufacturing/orders/<int:order_id>/check-availability/",
        production_order_check_availability,
        name="production-order-check-availability",
    ),
    path(
        "manufacturing/orders/<int:order_id>/produce/",
        production_order_produce,
        name="production-order-produce",
    ),
    path(
        "manufacturing/orders/<int:order_id>/cancel/",
        production_order_cancel,
        name="production-order-cancel",
    ),
]
