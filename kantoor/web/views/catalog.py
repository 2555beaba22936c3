"""Catalog pages: products (list, detail with translations, supplier and customer prices,
new, edit, archive), units and their categories, product categories, price lists with
their items, and the product import and export.

Every page calls the catalog selectors and services with `request.user`, so the policy
decides what is shown and allowed: another company's record is a 404, a refused action a
403, and a refusal of the rules is shown on the form (field errors next to their fields).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypedDict, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.catalog import imports, selectors, services
from kantoor.catalog.errors import ProductImportError
from kantoor.catalog.models import CostingMethod, PriceList, Product, ProductKind, StockValuation, Tracking
from kantoor.core import policy
from kantoor.core.errors import DomainError, NotFoundError, StaleVersionError
from kantoor.parties import selectors as party_selectors
from kantoor.parties.models import PartyRoleType, Tag
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = "catalog.view_product"
MANAGE = "catalog.manage_product"
MANAGE_PRICES = "catalog.manage_prices"
PAGE_SIZE = 25
COUNT_CAP = 1000
CHOICE_LIMIT = 500
# The services' names of relations, and the form fields that show them.
RENAMES = {
    "category_id": "category",
    "uom_id": "uom",
    "purchase_uom_id": "purchase_uom",
    "parent_id": "parent",
    "party_id": "party",
    "customer_group_id": "customer_group",
    "product_id": "product",
    "supplier_id": "supplier",
}


def _choices(field: forms.Field, choices: Sequence[tuple[Any, Any]]) -> None:
    cast("forms.ChoiceField", field).choices = choices


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _save(form: forms.Form, call: Any) -> Any:
    """Run the service `call`; a refusal lands on the form (None), a 403/404 propagates."""
    try:
        return call()
    except StaleVersionError:
        form.add_error(None, _("Someone else changed this in the meantime; open it again and retry."))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc, renames=RENAMES)
    return None


def _uom_choices(request: AuthedRequest) -> list[tuple[Any, str]]:
    return [
        (u.pk, f"{u.code} · {u.name} ({u.category.name})")
        for u in selectors.uoms_visible(request.user)
        .filter(is_active=True)
        .order_by("category__name", "ratio")
    ]


def _category_choices(request: AuthedRequest) -> list[tuple[Any, str]]:
    return [
        (c.pk, c.name)
        for c in selectors.product_categories_visible(request.user).filter(is_active=True).order_by("name")
    ]


# ---- products: list and detail ----------------------------------------------------------


class ProductFilters(TypedDict):
    """The list page's filters: the keyword arguments of `products_list`, also shown in the form."""

    q: str
    category_id: int | None
    kind: str
    include_archived: bool


@page
def product_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    filters: ProductFilters = {
        "q": params.get("q", "")[:100],
        "category_id": _int(params.get("category")),
        "kind": params.get("kind", "") if params.get("kind") in ProductKind.values else "",
        "include_archived": params.get("archived") == "1",
    }
    products = selectors.products_list(request.user, **filters)
    result = keyset_page(
        products.select_related("category", "uom"),
        Ordering("sku"),
        after=params.get("after", ""),
        before=params.get("before", ""),
        size=PAGE_SIZE,
    )
    count = products.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "filters": filters,
        "base_query": query.urlencode(),
        "kinds": ProductKind.choices,
        "categories": _category_choices(request),
        "can_create": policy.has_permission(request.user, MANAGE),
    }
    if request.htmx and request.htmx.target == "product-results":
        return render(request, "web/catalog/product_list.html#results", context)
    return render(request, "web/catalog/product_list.html", context)


class TranslationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SupplierPriceForm(forms.Form):
    supplier = forms.TypedChoiceField(label=gettext_lazy("Supplier"), coerce=int)
    price = forms.DecimalField(label=gettext_lazy("Unit price"), max_digits=20, decimal_places=6, min_value=0)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    supplier_sku = forms.CharField(label=gettext_lazy("Supplier's code"), max_length=60, required=False)
    min_quantity = forms.DecimalField(
        label=gettext_lazy("From quantity"), max_digits=18, decimal_places=4, min_value=0, initial=0
    )
    lead_time_days = forms.IntegerField(
        label=gettext_lazy("Lead time (days)"), min_value=0, max_value=3660, initial=0
    )


def _supplier_choices(request: AuthedRequest) -> list[tuple[Any, str]]:
    suppliers = (
        party_selectors.parties_list(request.user, role=PartyRoleType.SUPPLIER)
        .order_by("normalized_name", "id")
        .values_list("pk", "name")[:CHOICE_LIMIT]
    )
    return list(suppliers)


def _detail_context(request: AuthedRequest, product: Product) -> dict[str, Any]:
    user = request.user
    can_manage = policy.has_permission(user, MANAGE)
    translations = {t.language: t for t in product.translations.all()}
    languages = [
        {"code": code, "label": label, "translation": translations.get(code)}
        for code, label in settings.LANGUAGES
    ]
    return {
        "product": product,
        "languages": languages,
        "supplier_prices": list(
            selectors.supplier_prices_visible(user)
            .filter(product=product)
            .order_by("priority", "min_quantity", "price", "id")[:200]
        ),
        "price_items": list(selectors.product_price_list_items(product)[:200]),
        "can_manage": can_manage,
        "translation_form": TranslationForm(),
        "supplier_form": None,
    }


def _supplier_form(request: AuthedRequest, data: Any = None) -> SupplierPriceForm:
    form = SupplierPriceForm(
        data, initial={"currency": request.user.company.base_currency if request.user.company else ""}
    )
    _choices(form.fields["supplier"], [("", "—"), *_supplier_choices(request)])
    return form


@page
def product_detail(request: AuthedRequest, product_id: int) -> HttpResponse:
    product = selectors.product_get_for_actor(request.user, product_id)
    context = _detail_context(request, product)
    if context["can_manage"]:
        context["supplier_form"] = _supplier_form(request)
    return render(request, "web/catalog/product_detail.html", context)


# ---- products: create, edit, archive ----------------------------------------------------


class ProductForm(forms.Form):
    """The product's fields; names match the service's (relations without `_id`)."""

    sku = forms.CharField(label=gettext_lazy("SKU"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ProductKind.choices)
    tracking = forms.ChoiceField(label=gettext_lazy("Tracking"), choices=Tracking.choices)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    uom = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int)
    purchase_uom = forms.TypedChoiceField(
        label=gettext_lazy("Purchase unit"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("Leave empty to buy in the unit itself."),
    )
    barcode = forms.CharField(
        label=gettext_lazy("Barcode (EAN)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("EAN-8, EAN-13 or GTIN-14."),
    )
    list_price = forms.DecimalField(
        label=gettext_lazy("List price"), max_digits=20, decimal_places=6, min_value=0, initial=Decimal(0)
    )
    cost = forms.DecimalField(
        label=gettext_lazy("Cost"), max_digits=20, decimal_places=6, min_value=0, initial=Decimal(0)
    )
    allows_negative_stock = forms.BooleanField(label=gettext_lazy("Allows negative stock"), required=False)
    is_sold = forms.BooleanField(label=gettext_lazy("Can be sold"), required=False, initial=True)
    is_purchased = forms.BooleanField(label=gettext_lazy("Can be purchased"), required=False, initial=True)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, request: AuthedRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        uoms = _uom_choices(request)
        _choices(self.fields["category"], _category_choices(request))
        _choices(self.fields["uom"], uoms)
        _choices(self.fields["purchase_uom"], [("", "—"), *uoms])

    def values(self, *, only_changed: bool) -> dict[str, Any]:
        """The service's keyword arguments (on an edit only what the user changed)."""
        data = self.cleaned_data
        names = [n for n in self.fields if n != "version"]
        if only_changed:
            names = [n for n in names if n in self.changed_data]
        renamed = {"category": "category_id", "uom": "uom_id", "purchase_uom": "purchase_uom_id"}
        return {renamed.get(n, n): data[n] for n in names}


def _product_initial(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "kind": product.kind,
        "tracking": product.tracking,
        "category": product.category_id,
        "uom": product.uom_id,
        "purchase_uom": product.purchase_uom_id if product.purchase_uom_id != product.uom_id else None,
        "barcode": product.barcode,
        "list_price": Decimal(product.list_price).normalize() if product.list_price else Decimal(0),
        "cost": Decimal(product.cost).normalize() if product.cost else Decimal(0),
        "allows_negative_stock": product.allows_negative_stock,
        "is_sold": product.is_sold,
        "is_purchased": product.is_purchased,
        "version": product.version,
    }


@page
def product_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    company_id = cast("int", request.user.company_id)
    initial: dict[str, Any] = {"kind": ProductKind.STOCKABLE, "tracking": Tracking.NONE}
    try:
        initial["uom"] = selectors.uom_default(company_id).pk
        initial["category"] = selectors.category_default(company_id).pk
    except NotFoundError:
        pass
    form = ProductForm(request.POST if request.method == "POST" else None, initial=initial, request=request)
    if request.method == "POST" and form.is_valid():
        values = form.values(only_changed=False)
        product = _save(form, lambda: services.product_create(actor=request.user, **values))
        if product is not None:
            messages.success(request, _("%(sku)s was created.") % {"sku": product.sku})
            return redirect("web:product-detail", product.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "web/catalog/product_form.html", {"form": form, "product": None}, status=status)


@page
def product_edit(request: AuthedRequest, product_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    product = selectors.product_get_for_actor(request.user, product_id)
    form = ProductForm(
        request.POST if request.method == "POST" else None, initial=_product_initial(product), request=request
    )
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        values = form.values(only_changed=True)
        if "purchase_uom_id" in values and values["purchase_uom_id"] is None:
            values["purchase_uom_id"] = form.cleaned_data["uom"]  # emptied: bought in the unit itself
        try:
            services.product_update(
                actor=request.user, product_id=product.pk, version=form.cleaned_data["version"], **values
            )
        except StaleVersionError:
            form.add_error(
                None,
                _(
                    "Someone else changed this product while you were editing it. Your changes were not "
                    "saved: open the product again, then make your changes once more."
                ),
            )
            status = 409
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc, renames=RENAMES)
            status = exc.status
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:product-detail", product.pk)
    return render(request, "web/catalog/product_form.html", {"form": form, "product": product}, status=status)


@require_POST
@page
def product_archive(request: AuthedRequest, product_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    archive = request.POST.get("archived") == "1"
    try:
        product = services.product_archive(
            actor=request.user,
            product_id=product_id,
            version=_int(request.POST.get("version")),
            archived=archive,
        )
    except StaleVersionError:
        messages.error(request, _("Someone else changed this product in the meantime; look again and retry."))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(sku)s was archived.") % {"sku": product.sku}
            if archive
            else _("%(sku)s was restored.") % {"sku": product.sku},
        )
    return redirect("web:product-detail", product_id)


@require_POST
@page
def product_translation(request: AuthedRequest, product_id: int, language: str) -> HttpResponse:
    """Set (or, with `delete`, remove) the product's name and description in `language`."""
    require_permission(request, MANAGE)
    product = selectors.product_get_for_actor(request.user, product_id)
    if request.POST.get("delete") == "1":
        with contextlib.suppress(NotFoundError):  # removed already: the page shows it gone
            services.product_translation_delete(actor=request.user, product_id=product.pk, language=language)
        messages.success(request, _("The translation was removed."))
        return redirect("web:product-detail", product.pk)
    form = TranslationForm(request.POST)
    if form.is_valid():
        saved = _save(
            form,
            lambda: services.product_translation_set(
                actor=request.user, product_id=product.pk, language=language, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("The translation was saved."))
            return redirect("web:product-detail", product.pk)
    context = _detail_context(request, product)
    context.update(
        translation_form=form, translation_language=language, supplier_form=_supplier_form(request)
    )
    return render(request, "web/catalog/product_detail.html", context, status=422)


@require_POST
@page
def product_supplier_price(request: AuthedRequest, product_id: int) -> HttpResponse:
    """Add (or replace) a supplier's price for the product."""
    require_permission(request, MANAGE)
    product = selectors.product_get_for_actor(request.user, product_id)
    form = _supplier_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        saved = _save(
            form,
            lambda: services.supplier_price_set(
                actor=request.user,
                product_id=product.pk,
                supplier_id=data["supplier"],
                price=data["price"],
                currency=data["currency"],
                supplier_sku=data["supplier_sku"],
                min_quantity=data["min_quantity"],
                lead_time_days=data["lead_time_days"],
            ),
        )
        if saved is not None:
            messages.success(request, _("The supplier price was saved."))
            return redirect("web:product-detail", product.pk)
    context = _detail_context(request, product)
    context["supplier_form"] = form
    return render(request, "web/catalog/product_detail.html", context, status=422)


@require_POST
@page
def supplier_price_delete(request: AuthedRequest, supplier_price_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    row = selectors.supplier_prices_visible(request.user).filter(pk=supplier_price_id).first()
    if row is None:
        raise NotFoundError()
    services.supplier_price_delete(actor=request.user, supplier_price_id=row.pk)
    messages.success(request, _("The supplier price was removed."))
    return redirect("web:product-detail", row.product_id)


# ---- units and product categories --------------------------------------------------------


class UomCategoryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)


class UomForm(forms.Form):
    category = forms.TypedChoiceField(label=gettext_lazy("Unit category"), coerce=int)
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    ratio = forms.DecimalField(
        label=gettext_lazy("Ratio"),
        max_digits=20,
        decimal_places=10,
        help_text=gettext_lazy(
            "How many of the category's reference unit make one of this unit (g: 0.001 kg)."
        ),
    )
    rounding = forms.DecimalField(
        label=gettext_lazy("Rounding"), max_digits=10, decimal_places=4, initial=Decimal("0.01")
    )


@page
def uom_list(request: AuthedRequest) -> HttpResponse:
    """The units by category; whoever keeps products adds categories and units here."""
    require_permission(request, VIEW)
    can_manage = policy.has_permission(request.user, MANAGE)
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form", "") if posted is not None else ""
    category_form = UomCategoryForm(posted if which == "category" else None)
    uom_form = UomForm(posted if which == "uom" else None)
    _choices(
        uom_form.fields["category"],
        list(selectors.uom_categories_visible(request.user).order_by("name").values_list("pk", "name")),
    )
    if posted is not None:
        require_permission(request, MANAGE)
        if which == "category" and category_form.is_valid():
            if _save(
                category_form,
                lambda: services.uom_category_create(
                    actor=request.user, name=category_form.cleaned_data["name"]
                ),
            ):
                messages.success(request, _("The unit category was added."))
                return redirect("web:uom-list")
        elif which == "uom" and uom_form.is_valid():
            data = uom_form.cleaned_data
            if _save(
                uom_form,
                lambda: services.uom_create(
                    actor=request.user,
                    category_id=data["category"],
                    code=data["code"],
                    name=data["name"],
                    ratio=data["ratio"],
                    rounding=data["rounding"],
                ),
            ):
                messages.success(request, _("The unit was added."))
                return redirect("web:uom-list")
    categories = selectors.uom_categories_visible(request.user).order_by("name")
    units = list(selectors.uoms_visible(request.user).order_by("ratio", "code"))
    context = {
        "categories": [(c, [u for u in units if u.category_id == c.pk]) for c in categories],
        "category_form": category_form,
        "uom_form": uom_form,
        "can_manage": can_manage,
    }
    return render(request, "web/catalog/uom_list.html", context, status=422 if posted is not None else 200)


class ProductCategoryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    parent = forms.TypedChoiceField(
        label=gettext_lazy("Parent"), coerce=int, empty_value=None, required=False
    )
    costing_method = forms.ChoiceField(label=gettext_lazy("Costing method"), choices=CostingMethod.choices)
    stock_valuation = forms.ChoiceField(
        label=gettext_lazy("Stock valuation"),
        choices=StockValuation.choices,
        initial=StockValuation.PERPETUAL,
        required=False,  # left out: perpetual for a new category, unchanged for one being edited
    )


@page
def product_category_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    can_manage = policy.has_permission(request.user, MANAGE)
    posted = request.POST if request.method == "POST" else None
    form = ProductCategoryForm(posted)
    _choices(form.fields["parent"], [("", "—"), *_category_choices(request)])
    if posted is not None:
        require_permission(request, MANAGE)
        if form.is_valid():
            data = form.cleaned_data
            if _save(
                form,
                lambda: services.product_category_create(
                    actor=request.user,
                    name=data["name"],
                    parent_id=data["parent"],
                    costing_method=data["costing_method"],
                    stock_valuation=data["stock_valuation"] or StockValuation.PERPETUAL,
                ),
            ):
                messages.success(request, _("The product category was added."))
                return redirect("web:product-category-list")
    context = {
        "categories": list(selectors.product_categories_visible(request.user).order_by("name")),
        "form": form,
        "can_manage": can_manage,
    }
    return render(
        request, "web/catalog/category_list.html", context, status=422 if posted is not None else 200
    )


class ProductCategoryEditForm(ProductCategoryForm):
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


@page
def product_category_edit(request: AuthedRequest, category_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    category = selectors.product_categories_visible(request.user).filter(pk=category_id).first()
    if category is None:
        raise NotFoundError()
    initial = {
        "name": category.name,
        "parent": category.parent_id,
        "costing_method": category.costing_method,
        "stock_valuation": category.stock_valuation,
        "is_active": category.is_active,
    }
    form = ProductCategoryEditForm(request.POST if request.method == "POST" else None, initial=initial)
    others = [(pk, name) for pk, name in _category_choices(request) if pk != category.pk]
    _choices(form.fields["parent"], [("", "—"), *others])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            form,
            lambda: services.product_category_update(
                actor=request.user,
                category_id=category.pk,
                name=data["name"],
                parent_id=data["parent"],
                costing_method=data["costing_method"],
                stock_valuation=data["stock_valuation"] or category.stock_valuation,
                is_active=data["is_active"],
            ),
        ):
            messages.success(request, _("Your changes were saved."))
            return redirect("web:product-category-list")
    context = {"form": form, "title": category.name, "back": "web:product-category-list", "tab": "categories"}
    status = 422 if request.method == "POST" else 200
    return render(request, "web/catalog/simple_form.html", context, status=status)


class UomEditForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    ratio = UomForm.base_fields["ratio"]
    rounding = UomForm.base_fields["rounding"]
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


@page
def uom_edit(request: AuthedRequest, uom_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    uom = selectors.uoms_visible(request.user).filter(pk=uom_id).first()
    if uom is None:
        raise NotFoundError()
    initial = {
        "code": uom.code,
        "name": uom.name,
        "ratio": uom.ratio.normalize(),
        "rounding": uom.rounding.normalize(),
        "is_active": uom.is_active,
    }
    form = UomEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if _save(form, lambda: services.uom_update(actor=request.user, uom_id=uom.pk, **changes)):
            messages.success(request, _("Your changes were saved."))
            return redirect("web:uom-list")
    context = {
        "form": form,
        "title": f"{uom.code} · {uom.category.name}",
        "back": "web:uom-list",
        "tab": "units",
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "web/catalog/simple_form.html", context, status=status)


# ---- price lists ------------------------------------------------------------------------


class PriceListForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    party = forms.IntegerField(label=gettext_lazy("Customer"), required=False)
    customer_group = forms.TypedChoiceField(
        label=gettext_lazy("Customer group"), coerce=int, empty_value=None, required=False
    )
    priority = forms.IntegerField(label=gettext_lazy("Priority"), min_value=0, initial=10)
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=gettext_lazy("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@page
def price_list_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    can_manage = policy.has_permission(request.user, MANAGE_PRICES)
    posted = request.POST if request.method == "POST" else None
    company = request.user.company
    form = PriceListForm(posted, initial={"currency": company.base_currency if company else ""})
    tags = Tag.objects.filter(company_id=cast("int", request.user.company_id)).values_list("pk", "name")
    _choices(form.fields["customer_group"], [("", "—"), *tags[:CHOICE_LIMIT]])
    if posted is not None:
        require_permission(request, MANAGE_PRICES)
        if form.is_valid():
            data = form.cleaned_data
            created = _save(
                form,
                lambda: services.price_list_create(
                    actor=request.user,
                    name=data["name"],
                    currency=data["currency"],
                    party_id=data["party"],
                    customer_group_id=data["customer_group"],
                    priority=data["priority"],
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                ),
            )
            if created is not None:
                messages.success(request, _("The price list %(name)s was created.") % {"name": created.name})
                return redirect("web:price-list-detail", created.pk)
    chosen_party = None
    party_id = _int(posted.get("party")) if posted is not None else None
    if party_id is not None:
        chosen_party = party_selectors.parties_visible(request.user).filter(pk=party_id).first()
    context = {
        "price_lists": list(
            selectors.price_lists_visible(request.user).order_by("priority", "name", "id")[:500]
        ),
        "form": form,
        "chosen_party": chosen_party,
        "can_manage": can_manage,
    }
    return render(
        request, "web/catalog/price_list_list.html", context, status=422 if posted is not None else 200
    )


class PriceListItemForm(forms.Form):
    product = forms.CharField(
        label=gettext_lazy("Product"), max_length=40, help_text=gettext_lazy("SKU or barcode.")
    )
    min_quantity = forms.DecimalField(
        label=gettext_lazy("From quantity"), max_digits=18, decimal_places=4, min_value=0, initial=0
    )
    price = forms.DecimalField(
        label=gettext_lazy("Unit price"), max_digits=20, decimal_places=6, min_value=0, required=False
    )
    discount = forms.DecimalField(
        label=gettext_lazy("Discount %"), max_digits=7, decimal_places=4, min_value=0, required=False
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=gettext_lazy("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _price_list_context(
    request: AuthedRequest, price_list: PriceList, form: PriceListItemForm
) -> dict[str, Any]:
    return {
        "price_list": price_list,
        "items": list(
            selectors.price_list_items(price_list).order_by("product__sku", "min_quantity", "id")[:1000]
        ),
        "form": form,
        "can_manage": policy.has_permission(request.user, MANAGE_PRICES),
    }


@page
def price_list_detail(request: AuthedRequest, price_list_id: int) -> HttpResponse:
    price_list = selectors.price_list_get_for_actor(request.user, price_list_id)
    posted = request.POST if request.method == "POST" else None
    form = PriceListItemForm(posted)
    if posted is not None:
        require_permission(request, MANAGE_PRICES)
        if form.is_valid():
            data = form.cleaned_data
            product = selectors.product_by_code(price_list.company_id, data["product"])
            if product is None:
                form.add_error("product", _("No product with this SKU or barcode."))
            elif _save(
                form,
                lambda: services.price_list_item_set(
                    actor=request.user,
                    price_list_id=price_list.pk,
                    product_id=product.pk,
                    min_quantity=data["min_quantity"],
                    price=data["price"],
                    discount=data["discount"],
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                ),
            ):
                messages.success(request, _("The price of %(sku)s was saved.") % {"sku": product.sku})
                return redirect("web:price-list-detail", price_list.pk)
    context = _price_list_context(request, price_list, form)
    return render(
        request, "web/catalog/price_list_detail.html", context, status=422 if posted is not None else 200
    )


@require_POST
@page
def price_list_archive(request: AuthedRequest, price_list_id: int) -> HttpResponse:
    """Archive a price list (it no longer applies) or restore it."""
    require_permission(request, MANAGE_PRICES)
    archive = request.POST.get("archived") == "1"
    try:
        services.price_list_update(
            actor=request.user,
            price_list_id=price_list_id,
            version=_int(request.POST.get("version")),
            is_active=not archive,
        )
    except StaleVersionError:
        messages.error(
            request, _("Someone else changed this price list in the meantime; look again and retry.")
        )
    else:
        messages.success(
            request, _("The price list was archived.") if archive else _("The price list was restored.")
        )
    return redirect("web:price-list-detail", price_list_id)


@require_POST
@page
def price_list_item_delete(request: AuthedRequest, price_list_id: int, item_id: int) -> HttpResponse:
    require_permission(request, MANAGE_PRICES)
    price_list = selectors.price_list_get_for_actor(request.user, price_list_id)
    if not selectors.price_list_items(price_list).filter(pk=item_id).exists():
        raise NotFoundError()
    services.price_list_item_delete(actor=request.user, item_id=item_id)
    messages.success(request, _("The price was removed."))
    return redirect("web:price-list-detail", price_list.pk)


# ---- import and export ------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (.csv or .xlsx)"))


@page
def product_import(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                file_format = imports.file_format_of(upload.name or "", upload.content_type or "")
                result = imports.products_import(
                    actor=request.user, content=upload.read(), file_format=file_format
                )
            except ProductImportError as exc:
                form.add_error(None, exc.message)
                problems = exc.field_errors.get("file", [])
                if problems and problems[0] == exc.message:
                    problems = []
            else:
                messages.success(
                    request,
                    _("Imported: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.")
                    % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
                )
                return redirect("web:product-list")
    context = {"form": form, "problems": problems, "columns": imports.COLUMNS}
    return render(request, "web/catalog/product_import.html", context, status=status)


@page
def product_export(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        file_format = "csv"
    exported = imports.products_export(
        actor=request.user, file_format=file_format, include_archived=request.GET.get("archived") == "1"
    )
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
