"""The stock accounts page: which accounts stock moves book to, for the company (its
defaults) and per product category. Those who read the ledger see it; only those who
manage it save (403 otherwise, before anything is read).

One form per row: a row's five selects list the company's active accounts, the empty
choice naming the account it falls back to. Saving a row calls
kantoor.inventory.configuration.stock_accounts_set with all five; a refusal shows on that
row, the other rows as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core import policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.finance import selectors as finance_selectors
from kantoor.inventory import configuration
from kantoor.inventory.configuration import FIELDS
from kantoor.inventory.stock_accounts import StockAccountsRow, stock_accounts_overview
from kantoor.web.forms import form_add_domain_error
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

MANAGE = "finance.manage_ledger"
VIEW = "finance.view_ledger"
COMPANY_ROW = "company"

LABELS = {
    "stock_account": gettext_lazy("Stock"),
    "received_account": gettext_lazy("Goods received not invoiced"),
    "cogs_account": gettext_lazy("Cost of goods sold"),
    "difference_account": gettext_lazy("Stock differences"),
    "production_account": gettext_lazy("Work in progress"),
}


class StockAccountsForm(forms.Form):
    """One row's five accounts; empty falls back."""

    def __init__(
        self,
        data: Any,
        *,
        row: StockAccountsRow,
        accounts: Sequence[tuple[int, str]],
        editable: bool,
    ) -> None:
        initial = {f"{slot.field}_id": slot.chosen and slot.chosen.pk for slot in row.slots}
        super().__init__(data, initial=initial, prefix=row_key(row))
        self.row = row
        for slot in row.slots:
            if slot.fallback is not None:
                empty = _("— (default: %(account)s)") % {"account": slot.fallback}
            else:
                empty = _("— (no default)")
            choices: list[tuple[Any, str]] = [("", empty), *accounts]
            if slot.chosen is not None and slot.chosen.pk not in dict(accounts):
                # archived since it was chosen: keep showing it rather than silently dropping it
                choices.append((slot.chosen.pk, _("%(account)s (archived)") % {"account": slot.chosen}))
            field = forms.TypedChoiceField(
                label=LABELS[slot.field],
                coerce=int,
                empty_value=None,
                required=False,
                disabled=not editable,
                # the row's <form> sits in its last cell; the selects join it by its id
                widget=forms.Select(attrs={"form": f"form-{self.prefix}", "aria-label": LABELS[slot.field]}),
            )
            cast("forms.ChoiceField", field).choices = choices
            self.fields[f"{slot.field}_id"] = field

    def slots(self) -> list[tuple[forms.BoundField, Any]]:
        """(bound field, overview slot) per column, for the template."""
        return [(self[f"{slot.field}_id"], slot) for slot in self.row.slots]


def row_key(row: StockAccountsRow) -> str:
    return COMPANY_ROW if row.category is None else f"category-{row.category.pk}"


def _account_choices(request: AuthedRequest) -> list[tuple[int, str]]:
    accounts = finance_selectors.accounts_visible(request.user).filter(is_active=True).order_by("code")
    return [(account.pk, str(account)) for account in accounts]


@page
def stock_accounts(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE if request.method == "POST" else VIEW)
    editable = policy.has_permission(request.user, MANAGE)
    rows = stock_accounts_overview(request.user)
    accounts = _account_choices(request)
    posted = request.POST.get("row") if request.method == "POST" else None
    if request.method == "POST" and posted not in {row_key(row) for row in rows}:
        raise NotFoundError()  # a row that is not (or no longer) there
    forms_ = [
        StockAccountsForm(
            request.POST if row_key(row) == posted else None, row=row, accounts=accounts, editable=editable
        )
        for row in rows
    ]
    bound = next((form for form in forms_ if form.is_bound), None)
    if bound is not None and bound.is_valid():
        try:
            configuration.stock_accounts_set(
                actor=request.user, category_id=bound.row.category_id, **bound.cleaned_data
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(bound, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:stock-accounts")
    status = 422 if bound is not None else 200
    return render(
        request,
        "web/inventory_settings/stock_accounts.html",
        {"forms": forms_, "editable": editable, "fields": [LABELS[field] for field in FIELDS]},
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("inventory/stock-accounts/", stock_accounts, name="stock-accounts"),
]
