"""Pages of inventory for the storekeeper: warehouses and their locations, transfers (list
with tabs, detail with confirm / check availability / validate / cancel / return, a new
transfer form), inventory counts (list, count sheet, apply) and a barcode-friendly scan page.

Every page calls the inventory selectors and services with `request.user`: who may not see
stock gets a 403 before any record is read, a record of another company is a 404, a refused
write a message (or the form's errors) and nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.db.models import CharField
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.catalog import selectors as catalog_selectors
from kantoor.catalog.models import Tracking
from kantoor.core import policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.inventory import counts, returns, selectors, services
from kantoor.inventory.models import (
    CountState,
    LocationUsage,
    MoveState,
    Transfer,
    TransferKind,
    TransferState,
)
from kantoor.parties import selectors as party_selectors
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

T = TypeVar("T")

VIEW = selectors.VIEW
MANAGE = services.MANAGE
PAGE_SIZE = 25
COUNT_CAP = 1000
MAX_LINES = 20
PICKER_CAP = 500  # products, partners and locations offered in a form's drop-downs
# Transfers latest scheduled first; the cursor needs text, so the date is read as ISO text.
TRANSFER_ORDER = Ordering("date_key", descending=True)
TABS = [
    ("receipts", gettext_lazy("Receipts")),
    ("deliveries", gettext_lazy("Deliveries")),
    ("internal", gettext_lazy("Internal")),
]
NEW_KINDS = [
    (TransferKind.RECEIPT, gettext_lazy("Receipt")),
    (TransferKind.DELIVERY, gettext_lazy("Delivery")),
    (TransferKind.INTERNAL, gettext_lazy("Internal transfer")),
]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 18 else None


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


def _act(request: AuthedRequest, call: Callable[[], T]) -> T | None:
    """Run the service `call` of a button: its result, or None with the refusal as a
    message (a 403/404 propagates)."""
    try:
        return call()
    except DomainError as exc:
        _refused(request, exc)
        return None


def _save(
    form: forms.Form, call: Callable[[], T], rows: Mapping[str, Sequence[forms.Form]] | None = None
) -> tuple[T | None, int]:
    """Run the service `call` for a valid form: its result and 200, or None and the
    refusal's status with the refusal on the form (and its `rows`); a 403/404 propagates."""
    try:
        return call(), 200
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc, rows)
        return None, exc.status


def _may_manage(request: AuthedRequest) -> bool:
    return policy.has_permission(request.user, MANAGE)


# ---- warehouses and locations ---------------------------------------------------------------


class WarehouseForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=10)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    delivery_steps = forms.TypedChoiceField(
        label=gettext_lazy("Deliveries"),
        coerce=int,
        choices=[
            (1, gettext_lazy("One step (stock → customer)")),
            (3, gettext_lazy("Three steps (pick, pack, ship)")),
        ],
    )
    receipt_steps = forms.TypedChoiceField(
        label=gettext_lazy("Receipts"),
        coerce=int,
        required=False,
        choices=[
            (1, gettext_lazy("One step (supplier → stock)")),
            (2, gettext_lazy("Two steps (input, then put away)")),
        ],
    )

    def clean_receipt_steps(self) -> int:
        """Left out (an older form, a script): one step, as before the field existed."""
        return int(self.cleaned_data.get("receipt_steps") or 1)


class LocationForm(forms.Form):
    parent_id = forms.TypedChoiceField(label=gettext_lazy("In"), coerce=int)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    barcode = forms.CharField(label=gettext_lazy("Barcode"), max_length=40, required=False)

    def __init__(self, *args: Any, parents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent_id"].choices = parents  # type: ignore[attr-defined]


@page
def warehouse_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    form = WarehouseForm(request.POST or None, initial={"delivery_steps": 1, "receipt_steps": 1})
    status = 200
    if request.method == "POST":
        require_permission(request, MANAGE)
        status = 422
        if form.is_valid():
            warehouse, status = _save(
                form, lambda: services.warehouse_create(actor=request.user, **form.cleaned_data)
            )
            if warehouse is not None:
                messages.success(request, _("Warehouse %s was created.") % warehouse.code)
                return redirect("web:warehouse-detail", warehouse.pk)
    context = {
        "warehouses": list(selectors.warehouses_for_actor(request.user).order_by("code")),
        "form": form,
        "can_manage": _may_manage(request),
    }
    return render(request, "web/inventory/warehouses.html", context, status=status)


@page
def warehouse_detail(request: AuthedRequest, warehouse_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    warehouse = selectors.warehouses_for_actor(request.user).filter(pk=warehouse_id).first()
    if warehouse is None:
        raise NotFoundError(_("Not found."))
    locations = list(selectors.locations_for_actor(request.user, warehouse_id=warehouse.pk))
    parents = [(loc.pk, loc.full_name) for loc in locations if loc.usage != LocationUsage.VIEW]
    form = LocationForm(
        request.POST or None, parents=parents, initial={"parent_id": warehouse.stock_location_id}
    )
    status = 200
    if request.method == "POST":
        require_permission(request, MANAGE)
        status = 422
        if form.is_valid():
            location, status = _save(
                form, lambda: services.location_create(actor=request.user, **form.cleaned_data)
            )
            if location is not None:
                messages.success(request, _("Location %s was created.") % location.full_name)
                return redirect("web:warehouse-detail", warehouse.pk)
    context = {
        "warehouse": warehouse,
        "locations": locations,
        "form": form,
        "can_manage": _may_manage(request),
    }
    return render(request, "web/inventory/warehouse_detail.html", context, status=status)


# ---- transfers: list and detail ---------------------------------------------------------------


@page
def transfer_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    tab = str(params.get("tab", ""))
    tab = tab if tab in selectors.TRANSFER_TABS else "receipts"
    filters: dict[str, str] = {
        "tab": tab,
        "q": params.get("q", "").strip()[:100],
        "state": params.get("state", "") if params.get("state") in TransferState.values else "",
    }
    transfers = selectors.transfers_for_actor(
        request.user, kinds=selectors.TRANSFER_TABS[tab], state=filters["state"] or None, search=filters["q"]
    )
    transfers = transfers.annotate(date_key=Cast("scheduled_date", output_field=CharField()))
    result = keyset_page(
        transfers,
        TRANSFER_ORDER,
        after=params.get("after", ""),
        before=params.get("before", ""),
        size=PAGE_SIZE,
    )
    count = transfers.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    tab_query = query.copy()
    tab_query.pop("tab", None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "base_query": query.urlencode(),
        "tab_query": tab_query.urlencode(),
        "filters": filters,
        "tabs": TABS,
        "states": TransferState.choices,
        "can_create": _may_manage(request),
    }
    if request.htmx and request.htmx.target == "transfer-results":
        return render(request, "web/inventory/transfers.html#results", context)
    return render(request, "web/inventory/transfers.html", context)


def _tab_of(kind: str) -> str:
    return next((tab for tab, kinds in selectors.TRANSFER_TABS.items() if kind in kinds), "internal")


@page
def transfer_detail(request: AuthedRequest, transfer_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    transfer = selectors.transfer_get_for_actor(request.user, transfer_id)
    moves = selectors.transfer_moves(transfer)
    open_moves = [m for m in moves if m.state not in (MoveState.DONE, MoveState.CANCELLED)]
    done_moves = [m for m in moves if m.state == MoveState.DONE]
    manage = _may_manage(request)
    is_open = transfer.state in services.OPEN_STATES
    returnable = returns.returnable(done_moves) if transfer.state == TransferState.DONE else {}
    context = {
        "transfer": transfer,
        "tab": _tab_of(transfer.kind),
        "moves": moves,
        "open_moves": open_moves,
        "related": selectors.transfer_related(transfer),
        "sees_value": policy.has_permission(request.user, "inventory.view_valuation"),
        "can_confirm": manage and transfer.state == TransferState.DRAFT,
        "can_reserve": manage and transfer.state in (TransferState.WAITING, TransferState.READY),
        "can_validate": manage and is_open and bool(open_moves),
        "can_cancel": manage and is_open,
        "can_return": manage
        and transfer.kind in returns.RETURN_KIND
        and any(left > 0 for left in returnable.values()),
        "returnable": [(m, returnable[m.pk]) for m in done_moves if returnable.get(m.pk, 0) > 0],
        "tracked": {m.pk for m in open_moves if m.product.tracking != Tracking.NONE},
        "serial": {m.pk for m in open_moves if m.product.tracking == Tracking.SERIAL},
        "putaway": _putaway_places(request, open_moves) if manage else {},
    }
    return render(request, "web/inventory/transfer_detail.html", context)


@require_POST
@page
def transfer_confirm(request: AuthedRequest, transfer_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    transfer = _act(
        request,
        lambda: services.transfer_confirm(
            actor=request.user, transfer_id=transfer_id, version=_int(request.POST.get("version"))
        ),
    )
    if transfer is not None:
        if transfer.state == TransferState.READY:
            messages.success(request, _("%s is ready.") % transfer.number)
        else:
            messages.warning(request, _("%s waits for stock.") % transfer.number)
    return redirect("web:transfer-detail", transfer_id)


@require_POST
@page
def transfer_reserve(request: AuthedRequest, transfer_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    transfer = _act(request, lambda: services.transfer_reserve(actor=request.user, transfer_id=transfer_id))
    if transfer is not None:
        if transfer.state == TransferState.READY:
            messages.success(request, _("%s is ready.") % transfer.number)
        else:
            messages.warning(request, _("%s still waits for stock.") % transfer.number)
    return redirect("web:transfer-detail", transfer_id)


@require_POST
@page
def transfer_cancel(request: AuthedRequest, transfer_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    transfer = _act(
        request,
        lambda: services.transfer_cancel(
            actor=request.user, transfer_id=transfer_id, version=_int(request.POST.get("version"))
        ),
    )
    if transfer is not None:
        messages.success(request, _("%s was cancelled.") % transfer.number)
    return redirect("web:transfer-detail", transfer_id)


def _putaway_places(request: AuthedRequest, moves: list[Any]) -> dict[int, list[tuple[int, str]]]:
    """Per move of goods coming in (from a supplier or a customer), the stock locations
    under its destination it may be put on (the destination itself first)."""
    incoming = [m for m in moves if m.destination.is_own_stock and not m.source.is_own_stock]
    if not incoming:
        return {}
    internal = list(
        selectors.locations_for_actor(request.user, usage=LocationUsage.INTERNAL).values_list(
            "pk", "full_name"
        )[: PICKER_CAP * 4]
    )
    places: dict[int, list[tuple[int, str]]] = {}
    for move in incoming:
        under = [(pk, name) for pk, name in internal if name.startswith(move.destination.full_name + "/")]
        if under:
            places[move.pk] = [(move.destination_id, move.destination.full_name), *under]
    return places


def _done_lines(request: AuthedRequest, transfer: Transfer) -> list[services.DoneIn]:
    """The validate form's done quantities: `qty-<move>`, `lot-<move>` and where incoming
    goods are put (`loc-<move>`); a serial-numbered move takes one serial per unit,
    separated by commas, spaces or new lines."""
    done: list[services.DoneIn] = []
    for move in selectors.transfer_moves(transfer):
        if move.state in (MoveState.DONE, MoveState.CANCELLED):
            continue
        quantity = request.POST.get(f"qty-{move.pk}", "").strip().replace(",", ".")
        lot = request.POST.get(f"lot-{move.pk}", "").strip()
        place = _int(request.POST.get(f"loc-{move.pk}"))
        location_id = place if place is not None and place != move.destination_id else None
        if move.product.tracking == Tracking.SERIAL and lot:
            serials = [s for s in lot.replace(",", " ").split() if s]
            done.extend(
                services.DoneIn(move_id=move.pk, quantity=1, lot=serial, location_id=location_id)
                for serial in serials
            )
            continue
        if quantity in ("", "0"):
            continue
        done.append(services.DoneIn(move_id=move.pk, quantity=quantity, lot=lot, location_id=location_id))
    return done


@require_POST
@page
def transfer_validate(request: AuthedRequest, transfer_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    transfer = selectors.transfer_get_for_actor(request.user, transfer_id)
    result = _act(
        request,
        lambda: services.transfer_validate(
            actor=request.user,
            transfer_id=transfer_id,
            done=_done_lines(request, transfer),
            backorder=request.POST.get("backorder", "1") == "1",
            version=_int(request.POST.get("version")),
        ),
    )
    if result is None:
        return redirect("web:transfer-detail", transfer_id)
    backorder = result.backorders.order_by("-id").first()
    if backorder is not None:
        messages.success(
            request,
            _("%(number)s is done; the rest is on backorder %(backorder)s.")
            % {"number": result.number, "backorder": backorder.number},
        )
    else:
        messages.success(request, _("%s is done.") % result.number)
    return redirect("web:transfer-detail", transfer_id)


@require_POST
@page
def transfer_return(request: AuthedRequest, transfer_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    transfer = selectors.transfer_get_for_actor(request.user, transfer_id)
    lines = []
    for move in selectors.transfer_moves(transfer):
        quantity = request.POST.get(f"return-{move.pk}", "").strip().replace(",", ".")
        if quantity and quantity != "0":
            lines.append((move.pk, quantity))
    back = _act(
        request, lambda: returns.transfer_return(actor=request.user, transfer_id=transfer_id, lines=lines)
    )
    if back is None:
        return redirect("web:transfer-detail", transfer_id)
    messages.success(request, _("Return %s was created as a draft.") % back.number)
    return redirect("web:transfer-detail", back.pk)


# ---- transfers: new --------------------------------------------------------------------------


class TransferForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=NEW_KINDS)
    warehouse_id = forms.TypedChoiceField(label=gettext_lazy("Warehouse"), coerce=int, empty_value=None)
    party_id = forms.TypedChoiceField(
        label=gettext_lazy("Partner"), coerce=int, empty_value=None, required=False
    )
    source_id = forms.TypedChoiceField(
        label=gettext_lazy("From"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("Leave empty for the usual route."),
    )
    destination_id = forms.TypedChoiceField(
        label=gettext_lazy("To"), coerce=int, empty_value=None, required=False
    )
    scheduled_date = forms.DateField(
        label=gettext_lazy("Scheduled date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    origin = forms.CharField(label=gettext_lazy("Origin"), max_length=60, required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, choices: dict[str, list[tuple[Any, str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, options in choices.items():
            self.fields[name].choices = options  # type: ignore[attr-defined]


class MoveLineForm(forms.Form):
    product_id = forms.TypedChoiceField(
        label=gettext_lazy("Product"), coerce=int, empty_value=None, required=False
    )
    quantity = forms.DecimalField(label=gettext_lazy("Quantity"), required=False, localize=True)
    unit_cost = forms.DecimalField(label=gettext_lazy("Unit cost"), required=False, localize=True)
    lot = forms.CharField(label=gettext_lazy("Lot / serial"), max_length=60, required=False)

    def __init__(self, *args: Any, products: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = [("", "—"), *products]  # type: ignore[attr-defined]
        for name, line_field in self.fields.items():
            line_field.widget.attrs["aria-label"] = str(line_field.label or name)


def _form_choices(request: AuthedRequest, kind: str) -> dict[str, list[tuple[Any, str]]]:
    user = request.user
    warehouses = [
        (w.pk, f"{w.code} — {w.name}") for w in selectors.warehouses_for_actor(user).filter(is_active=True)
    ]
    role = {str(TransferKind.RECEIPT): "supplier", str(TransferKind.DELIVERY): "customer"}.get(kind)
    parties = party_selectors.parties_visible(user)
    if role:
        parties = parties.filter(roles__role=role)
    partners = [(p.pk, p.name) for p in parties.order_by("name").distinct()[:PICKER_CAP]]
    locations = [
        (loc.pk, loc.full_name)
        for loc in selectors.locations_for_actor(user).exclude(usage=LocationUsage.VIEW)[:PICKER_CAP]
    ]
    return {
        "warehouse_id": [("", "—"), *warehouses],
        "party_id": [("", "—"), *partners],
        "source_id": [("", "—"), *locations],
        "destination_id": [("", "—"), *locations],
    }


def _products(request: AuthedRequest) -> list[tuple[Any, str]]:
    return [
        (p.pk, f"{p.sku} — {p.name}")
        for p in catalog_selectors.products_visible(request.user)
        .filter(is_active=True)
        .order_by("sku")[:PICKER_CAP]
    ]


@page
def transfer_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    kind = request.POST.get("kind") or request.GET.get("kind") or TransferKind.RECEIPT
    kind = kind if kind in dict(NEW_KINDS) else TransferKind.RECEIPT
    warehouses = selectors.warehouses_for_actor(request.user).filter(is_active=True)
    first = warehouses.order_by("code").first()
    form = TransferForm(
        request.POST or None,
        choices=_form_choices(request, kind),
        initial={
            "kind": kind,
            "scheduled_date": timezone.localdate(),
            "warehouse_id": first.pk if first else None,
        },
    )
    lines_formset = forms.formset_factory(MoveLineForm, extra=5, max_num=MAX_LINES, absolute_max=MAX_LINES)
    lines = lines_formset(request.POST or None, prefix="lines", form_kwargs={"products": _products(request)})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and lines.is_valid():
            sent = [row for row in lines.forms if row.cleaned_data.get("product_id")]
            data = form.cleaned_data
            transfer, status = _save(
                form,
                lambda: services.transfer_create(
                    actor=request.user,
                    kind=data["kind"],
                    warehouse_id=data["warehouse_id"],
                    party_id=data["party_id"],
                    source_id=data["source_id"],
                    destination_id=data["destination_id"],
                    scheduled_date=data["scheduled_date"],
                    origin=data["origin"],
                    notes=data["notes"],
                    lines=[
                        services.MoveIn(
                            product_id=row.cleaned_data["product_id"],
                            quantity=row.cleaned_data["quantity"]
                            if row.cleaned_data["quantity"] is not None
                            else "",
                            unit_cost=row.cleaned_data["unit_cost"],
                            lot=row.cleaned_data["lot"],
                        )
                        for row in sent
                    ],
                ),
                {"lines": sent},
            )
            if transfer is not None:
                messages.success(request, _("%s was created.") % transfer.number)
                return redirect("web:transfer-detail", transfer.pk)
    context = {"form": form, "lines": lines, "kind": kind, "kinds": NEW_KINDS}
    return render(request, "web/inventory/transfer_form.html", context, status=status)


# ---- inventory counts --------------------------------------------------------------------------


class CountForm(forms.Form):
    location_id = forms.TypedChoiceField(label=gettext_lazy("Location"), coerce=int)
    scheduled_date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, locations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location_id"].choices = locations  # type: ignore[attr-defined]


@page
def count_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    state = request.GET.get("state", "") if request.GET.get("state") in CountState.values else ""
    locations = [
        (loc.pk, loc.full_name)
        for loc in selectors.locations_for_actor(request.user)
        .filter(warehouse__isnull=False)
        .exclude(usage=LocationUsage.VIEW)[:PICKER_CAP]
    ]
    form = CountForm(
        request.POST or None, locations=locations, initial={"scheduled_date": timezone.localdate()}
    )
    status = 200
    if request.method == "POST":
        require_permission(request, MANAGE)
        status = 422
        if form.is_valid():
            count, status = _save(form, lambda: counts.count_create(actor=request.user, **form.cleaned_data))
            if count is not None:
                messages.success(request, _("Count %s was started.") % count.number)
                return redirect("web:count-detail", count.pk)
    found = selectors.counts_for_actor(request.user, state=state or None)
    context = {
        "counts": list(found.order_by("-scheduled_date", "-id")[:100]),
        "form": form,
        "state": state,
        "states": CountState.choices,
        "can_manage": _may_manage(request),
    }
    return render(request, "web/inventory/counts.html", context, status=status)


def _count_context(request: AuthedRequest, count_id: int) -> dict[str, Any]:
    count = selectors.count_get_for_actor(request.user, count_id)
    lines = selectors.count_lines(count)
    for line in lines:
        # Shown beside the line: what applying the count would move (as the books stand now).
        line.difference = (  # type: ignore[attr-defined]
            (line.counted_quantity - line.expected_quantity).normalize()
            if line.counted_quantity is not None
            else None
        )
    return {
        "count": count,
        "lines": lines,
        "can_edit": _may_manage(request) and count.state == CountState.DRAFT,
        "counted": sum(1 for line in lines if line.counted_quantity is not None),
    }


@page
def count_detail(request: AuthedRequest, count_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    context = _count_context(request, count_id)
    context["products"] = _products(request) if context["can_edit"] else []
    count = context["count"]
    # Where goods found may be: the counted location itself or a stock location under it.
    context["places"] = (
        [
            (loc.pk, loc.full_name)
            for loc in selectors.locations_for_actor(request.user, usage=LocationUsage.INTERNAL).filter(
                full_name__startswith=count.location.full_name
            )[:PICKER_CAP]
            if loc.pk == count.location_id or loc.full_name.startswith(count.location.full_name + "/")
        ]
        if context["can_edit"]
        else []
    )
    return render(request, "web/inventory/count_detail.html", context)


def _decimal_text(value: str) -> str:
    """The number typed, with a decimal comma read as a point (the service checks it)."""
    return value.strip().replace(",", ".")


@require_POST
@page
def count_line_set(request: AuthedRequest, count_id: int, line_id: int) -> HttpResponse:
    """One counted quantity (HTMX: the row is swapped with the saved value or its error)."""
    require_permission(request, MANAGE)
    error = ""
    try:
        counts.count_line_set(
            actor=request.user,
            count_id=count_id,
            line_id=line_id,
            counted_quantity=_decimal_text(request.POST.get("counted", "")),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        error = exc.message
    context = _count_context(request, count_id)
    if request.htmx:
        line = next((ln for ln in context["lines"] if ln.pk == line_id), None)
        if line is None:
            raise NotFoundError(_("Not found."))
        sent = request.POST.get("counted", "")
        return render(
            request,
            "web/inventory/count_detail.html#line",
            {**context, "line": line, "error": error, "sent": sent},
            status=422 if error else 200,
        )
    if error:
        messages.error(request, error)
    return redirect("web:count-detail", count_id)


@require_POST
@page
def count_line_add(request: AuthedRequest, count_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        expiry = request.POST.get("expiry_date", "").strip()
        counts.count_line_add(
            actor=request.user,
            count_id=count_id,
            product_id=_int(request.POST.get("product_id")) or 0,
            lot=request.POST.get("lot", ""),
            expiry_date=dt.date.fromisoformat(expiry) if expiry else None,
            counted_quantity=_decimal_text(request.POST.get("counted", "")),
            location_id=_int(request.POST.get("location_id")),
        )
    except ValueError:
        messages.error(request, _("Enter a valid date."))
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The line was added."))
    return redirect("web:count-detail", count_id)


@require_POST
@page
def count_apply(request: AuthedRequest, count_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    count = _act(
        request,
        lambda: counts.count_apply(
            actor=request.user, count_id=count_id, version=_int(request.POST.get("version"))
        ),
    )
    if count is not None:
        if count.adjustment_id:
            messages.success(request, _("Count %s was applied.") % count.number)
        else:
            messages.success(request, _("Count %s was applied: no differences.") % count.number)
    return redirect("web:count-detail", count_id)


@require_POST
@page
def count_cancel(request: AuthedRequest, count_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    count = _act(
        request,
        lambda: counts.count_cancel(
            actor=request.user, count_id=count_id, version=_int(request.POST.get("version"))
        ),
    )
    if count is not None:
        messages.success(request, _("Count %s was cancelled.") % count.number)
    return redirect("web:count-detail", count_id)


# ---- scan --------------------------------------------------------------------------------------


@page
def scan(request: AuthedRequest) -> HttpResponse:
    """One input for a scanner (which types the code and Enter): what the code is and its
    stock, swapped in below by HTMX; the input is emptied and keeps the focus."""
    require_permission(request, VIEW)
    code = request.GET.get("code", "").strip()[:255]
    result = selectors.scan_lookup(request.user, code) if code else None
    context = {"code": code, "result": result}
    if request.htmx and request.htmx.target == "scan-result":
        return render(request, "web/inventory/scan.html#result", context)
    return render(request, "web/inventory/scan.html", context)


urlpatterns: list[URLPattern] = [
    path("inventory/warehouses/", warehouse_list, name="warehouse-list"),
    path("inventory/warehouses/<int:warehouse_id>/", warehouse_detail, name="warehouse-detail"),
    path("inventory/transfers/", transfer_list, name="transfer-list"),
    path("inventory/transfers/new/", transfer_create, name="transfer-create"),
    path("inventory/transfers/<int:transfer_id>/", transfer_detail, name="transfer-detail"),
    path("inventory/transfers/<int:transfer_id>/confirm/", transfer_confirm, name="transfer-confirm"),
    path("inventory/transfers/<int:transfer_id>/reserve/", transfer_reserve, name="transfer-reserve"),
    path("inventory/transfers/<int:transfer_id>/validate/", transfer_validate, name="transfer-validate"),
    path("inventory/transfers/<int:transfer_id>/cancel/", transfer_cancel, name="transfer-cancel"),
    path("inventory/transfers/<int:transfer_id>/return/", transfer_return, name="transfer-return"),
    path("inventory/counts/", count_list, name="count-list"),
    path("inventory/counts/<int:count_id>/", count_detail, name="count-detail"),
    path("inventory/counts/<int:count_id>/lines/<int:line_id>/", count_line_set, name="count-line-set"),
    path("inventory/counts/<int:count_id>/lines/", count_line_add, name="count-line-add"),
    path("inventory/counts/<int:count_id>/apply/", count_apply, name="count-apply"),
    path("inventory/counts/<int:count_id>/cancel/", count_cancel, name="count-cancel"),
    path("inventory/scan/", scan, name="inventory-scan"),
]
