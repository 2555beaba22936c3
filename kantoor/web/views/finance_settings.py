"""Pages of the finance configuration, for whoever manages the ledger: accounts (new, edit,
archive — the chart itself is listed by views/ledger.py), journals with their bank details,
taxes, payment terms with their instalments, and the tax rounding.

Each write calls one service of kantoor.finance.configuration with `request.user`: a user
without the permission gets a 403 before any record is read, another company's record a
404, and a refusal is shown on the form (field errors next to their fields).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core.errors import DomainError, NotFoundError, StaleVersionError
from kantoor.finance import configuration, selectors
from kantoor.finance.models import (
    Account,
    AccountRole,
    AccountType,
    FinanceSettings,
    Journal,
    JournalKind,
    PaymentTerm,
    Tax,
    TaxRounding,
    TaxScope,
    TaxTreatment,
)
from kantoor.finance.vat import KNOWN_TAGS
from kantoor.web.forms import form_add_domain_error
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

MANAGE = "finance.manage_ledger"
VIEW = "finance.view_ledger"
INSTALMENT_ROWS = 6  # rows the payment-term form shows (filled ones plus blanks)


def _choices(field: forms.Field, choices: Sequence[tuple[Any, Any]]) -> None:
    cast("forms.ChoiceField", field).choices = choices


def _account_choices(request: AuthedRequest, keep: Sequence[int | None] = ()) -> list[tuple[Any, str]]:
    """Active accounts (and the ones already chosen, even if archived since)."""
    accounts = selectors.accounts_visible(request.user).filter(is_active=True)
    chosen = selectors.accounts_visible(request.user).filter(pk__in=[pk for pk in keep if pk])
    rows = {account.pk: str(account) for account in [*accounts, *chosen]}
    return [("", "—"), *sorted(rows.items(), key=lambda row: row[1])]


def _tag_choices(suffix: str) -> list[tuple[str, str]]:
    return [("", "—"), *((tag, tag) for tag in sorted(KNOWN_TAGS) if tag.endswith(suffix))]


def _save(form: forms.Form, call: Any, **rows: Sequence[forms.Form]) -> Any:
    """Run the service `call`; a refusal lands on the form (None), a 403/404 propagates."""
    try:
        return call()
    except StaleVersionError:
        form.add_error(None, _("Someone else changed this in the meantime; open it again and retry."))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc, rows=rows or None)
    return None


def _get(queryset: QuerySet[Any], pk: int) -> Any:
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFoundError()
    return obj


# ---- accounts ----------------------------------------------------------------------------


class AccountForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    account_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=AccountType.choices)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=AccountRole.choices, required=False)
    reference_code = forms.CharField(
        label=gettext_lazy("Reference code"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("E.g. the RGS code."),
    )
    is_reconcilable = forms.BooleanField(
        label=gettext_lazy("Reconcilable (keeps open items: receivables, payables, bank)"), required=False
    )
    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        max_length=3,
        required=False,
        help_text=gettext_lazy("Only for an account kept in one foreign currency; leave empty otherwise."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["currency"]


@page
def account_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = _save(form, lambda: configuration.account_create(actor=request.user, **form.cleaned_data))
        if account is not None:
            messages.success(request, _("Account %(account)s was created.") % {"account": account})
            return redirect("web:account-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "web/finance/settings/account_form.html", {"form": form, "account": None}, status=status
    )


@page
def account_edit(request: AuthedRequest, account_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    account: Account = _get(selectors.accounts_visible(request.user), account_id)
    initial = {name: getattr(account, name) for name in AccountForm.base_fields}
    form = AccountForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: configuration.account_update(
                actor=request.user, account_id=account.pk, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:account-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "web/finance/settings/account_form.html", {"form": form, "account": account}, status=status
    )


@require_POST
@page
def account_archive(request: AuthedRequest, account_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    archived = request.POST.get("archived", "1") != "0"
    try:
        account = configuration.account_archive(actor=request.user, account_id=account_id, archived=archived)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        for message in [exc.message, *exc.field_errors.get("archived", [])[1:]]:
            messages.error(request, message)
        return redirect("web:account-edit", account_id=account_id)
    if archived:
        messages.success(request, _("Account %(account)s was archived.") % {"account": account})
    else:
        messages.success(request, _("Account %(account)s was restored.") % {"account": account})
    return redirect("web:account-list")


# ---- journals ----------------------------------------------------------------------------


class JournalForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"), max_length=10, help_text=gettext_lazy("Letters, digits, - and _.")
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=JournalKind.choices)
    default_account_id = forms.TypedChoiceField(
        label=gettext_lazy("Default account"), coerce=int, empty_value=None, required=False
    )
    bank_account = forms.CharField(
        label=gettext_lazy("IBAN"),
        max_length=42,
        required=False,
        help_text=gettext_lazy("Bank journals only; printed on invoices as the payment details."),
    )
    bank_bic = forms.CharField(label=gettext_lazy("BIC"), max_length=14, required=False)

    def __init__(self, *args: Any, accounts: Sequence[tuple[Any, str]], editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self.fields["default_account_id"], accounts)
        if editing:  # a journal keeps its code (and numbering) and kind
            del self.fields["code"]
            del self.fields["kind"]


@page
def journal_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    journals = selectors.journals_visible(request.user).select_related("default_account")
    return render(request, "web/finance/settings/journal_list.html", {"journals": journals})


@page
def journal_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    form = JournalForm(request.POST or None, accounts=_account_choices(request))
    if request.method == "POST" and form.is_valid():
        journal = _save(form, lambda: configuration.journal_create(actor=request.user, **form.cleaned_data))
        if journal is not None:
            messages.success(request, _("Journal %(journal)s was created.") % {"journal": journal})
            return redirect("web:journal-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "web/finance/settings/journal_form.html", {"form": form, "journal": None}, status=status
    )


@page
def journal_edit(request: AuthedRequest, journal_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    journal: Journal = _get(selectors.journals_visible(request.user), journal_id)
    initial = {
        "name": journal.name,
        "default_account_id": journal.default_account_id,
        "bank_account": journal.bank_account,
        "bank_bic": journal.bank_bic,
    }
    form = JournalForm(
        request.POST or None,
        initial=initial,
        editing=True,
        accounts=_account_choices(request, keep=[journal.default_account_id]),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: configuration.journal_update(
                actor=request.user, journal_id=journal.pk, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:journal-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "web/finance/settings/journal_form.html", {"form": form, "journal": journal}, status=status
    )


# ---- taxes -------------------------------------------------------------------------------


class TaxForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    scope = forms.ChoiceField(label=gettext_lazy("For"), choices=TaxScope.choices)
    treatment = forms.ChoiceField(label=gettext_lazy("Treatment"), choices=TaxTreatment.choices)
    rate = forms.DecimalField(
        label=gettext_lazy("Rate (%)"), localize=True, max_digits=7, decimal_places=4, min_value=0
    )
    account_id = forms.TypedChoiceField(
        label=gettext_lazy("Tax account"), coerce=int, empty_value=None, required=False
    )
    reverse_account_id = forms.TypedChoiceField(
        label=gettext_lazy("Reverse-charge account"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("Only for reverse charge: where the self-assessed VAT is booked as payable."),
    )
    base_tag = forms.ChoiceField(label=gettext_lazy("Base box"), required=False)
    tax_tag = forms.ChoiceField(label=gettext_lazy("Tax box"), required=False)
    reverse_tag = forms.ChoiceField(label=gettext_lazy("Reverse-charge box"), required=False)

    def __init__(self, *args: Any, accounts: Sequence[tuple[Any, str]], editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self.fields["account_id"], accounts)
        _choices(self.fields["reverse_account_id"], accounts)
        _choices(self.fields["base_tag"], _tag_choices("-base"))
        _choices(self.fields["tax_tag"], _tag_choices("-tax"))
        _choices(self.fields["reverse_tag"], _tag_choices("-tax"))
        if editing:  # a tax keeps its code, scope and treatment
            for name in ("code", "scope", "treatment"):
                del self.fields[name]


def _taxes(request: AuthedRequest) -> QuerySet[Tax]:
    return policy.filter_queryset(
        request.user, MANAGE, Tax.objects.select_related("account", "reverse_account")
    )


@page
def tax_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    return render(request, "web/finance/settings/tax_list.html", {"taxes": _taxes(request)})


@page
def tax_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    form = TaxForm(request.POST or None, accounts=_account_choices(request))
    if request.method == "POST" and form.is_valid():
        tax = _save(form, lambda: configuration.tax_create(actor=request.user, **form.cleaned_data))
        if tax is not None:
            messages.success(request, _("Tax %(tax)s was created.") % {"tax": tax})
            return redirect("web:tax-list")
    status = 422 if request.method == "POST" else 200
    return render(request, "web/finance/settings/tax_form.html", {"form": form, "tax": None}, status=status)


@page
def tax_edit(request: AuthedRequest, tax_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    tax: Tax = _get(_taxes(request), tax_id)
    initial = {name: getattr(tax, name) for name in configuration.TAX_FIELDS if not name.endswith("account")}
    initial.update(account_id=tax.account_id, reverse_account_id=tax.reverse_account_id)
    form = TaxForm(
        request.POST or None,
        initial=initial,
        editing=True,
        accounts=_account_choices(request, keep=[tax.account_id, tax.reverse_account_id]),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form, lambda: configuration.tax_update(actor=request.user, tax_id=tax.pk, **form.cleaned_data)
        )
        if saved is not None:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:tax-list")
    status = 422 if request.method == "POST" else 200
    return render(request, "web/finance/settings/tax_form.html", {"form": form, "tax": tax}, status=status)


@require_POST
@page
def tax_archive(request: AuthedRequest, tax_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    archived = request.POST.get("archived", "1") != "0"
    try:
        tax = configuration.tax_archive(actor=request.user, tax_id=tax_id, archived=archived)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
        for field_messages in exc.field_errors.values():
            for message in field_messages:
                messages.error(request, message)
        return redirect("web:tax-list")
    if archived:
        messages.success(request, _("Tax %(tax)s was archived.") % {"tax": tax})
    else:
        messages.success(request, _("Tax %(tax)s was restored.") % {"tax": tax})
    return redirect("web:tax-list")


# ---- payment terms -----------------------------------------------------------------------


class PaymentTermForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)


class InstalmentForm(forms.Form):
    """One instalment row; a row without a percentage is left out."""

    percent = forms.DecimalField(
        label=gettext_lazy("Percent"), localize=True, max_digits=7, decimal_places=4, required=False
    )
    days = forms.IntegerField(label=gettext_lazy("Days"), min_value=0, max_value=3660, required=False)
    end_of_month = forms.BooleanField(label=gettext_lazy("End of month"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, row_field in self.fields.items():  # the rows show no <label>s
            row_field.widget.attrs["aria-label"] = str(row_field.label or name)


def _instalment_forms(request: AuthedRequest, term: PaymentTerm | None) -> list[InstalmentForm]:
    if request.method == "POST":
        return [InstalmentForm(request.POST, prefix=f"instalments-{n}") for n in range(INSTALMENT_ROWS)]
    lines = list(term.lines.order_by("sequence")) if term is not None else []
    initial = [
        {"percent": line.percent.normalize(), "days": line.days, "end_of_month": line.end_of_month}
        for line in lines
    ]
    if not initial:
        initial = [{"percent": 100, "days": 30, "end_of_month": False}]
    rows = max(INSTALMENT_ROWS, len(initial))
    return [
        InstalmentForm(initial=initial[n] if n < len(initial) else None, prefix=f"instalments-{n}")
        for n in range(rows)
    ]


def _instalments(
    rows: list[InstalmentForm],
) -> tuple[list[tuple[Any, int, bool]], list[InstalmentForm]] | None:
    """The filled rows as (percent, days, end of month) and their forms, or None if a row
    is not valid."""
    checked = [row.is_valid() for row in rows]  # every row, so each shows its errors
    if not all(checked):
        return None
    filled = [row for row in rows if row.cleaned_data.get("percent") is not None]
    values = [
        (row.cleaned_data["percent"], row.cleaned_data.get("days") or 0, row.cleaned_data["end_of_month"])
        for row in filled
    ]
    return values, filled


def _term_form(request: AuthedRequest, term: PaymentTerm | None) -> HttpResponse:
    form = PaymentTermForm(request.POST or None, initial={"name": term.name} if term else None)
    rows = _instalment_forms(request, term)
    if request.method == "POST":
        instalments = _instalments(rows)
        if form.is_valid() and instalments is not None:
            values, filled = instalments
            name = form.cleaned_data["name"]
            if term is None:
                saved = _save(
                    form,
                    lambda: configuration.payment_term_create(
                        actor=request.user, name=name, instalments=values
                    ),
                    instalments=filled,
                )
            else:
                saved = _save(
                    form,
                    lambda: configuration.payment_term_update(
                        actor=request.user, term_id=term.pk, name=name, instalments=values
                    ),
                    instalments=filled,
                )
            if saved is not None:
                if term is None:
                    messages.success(request, _("Payment term %(term)s was created.") % {"term": saved})
                else:
                    messages.success(request, _("Your changes were saved."))
                return redirect("web:payment-term-list")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "rows": rows, "term": term}
    return render(request, "web/finance/settings/payment_term_form.html", context, status=status)


def _terms(request: AuthedRequest) -> QuerySet[PaymentTerm]:
    return policy.filter_queryset(request.user, MANAGE, PaymentTerm.objects.prefetch_related("lines"))


@page
def payment_term_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    return render(request, "web/finance/settings/payment_term_list.html", {"terms": _terms(request)})


@page
def payment_term_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    return _term_form(request, None)


@page
def payment_term_edit(request: AuthedRequest, term_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    return _term_form(request, _get(_terms(request), term_id))


@require_POST
@page
def payment_term_archive(request: AuthedRequest, term_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    archived = request.POST.get("archived", "1") != "0"
    term = configuration.payment_term_archive(actor=request.user, term_id=term_id, archived=archived)
    if archived:
        messages.success(request, _("Payment term %(term)s was archived.") % {"term": term})
    else:
        messages.success(request, _("Payment term %(term)s was restored.") % {"term": term})
    return redirect("web:payment-term-list")


# ---- finance settings --------------------------------------------------------------------


class FinanceSettingsForm(forms.Form):
    tax_rounding = forms.ChoiceField(
        label=gettext_lazy("Tax rounding"),
        choices=TaxRounding.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Per line rounds each invoice line's tax; per document rounds each tax once, on the sum "
            "of its lines. Drafts take the new rule when posted; posted invoices keep theirs."
        ),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


@page
def finance_settings(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    current: FinanceSettings = configuration.finance_settings_get(request.user)
    form = FinanceSettingsForm(
        request.POST or None, initial={"tax_rounding": current.tax_rounding, "version": current.version}
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: configuration.finance_settings_update(
                actor=request.user,
                tax_rounding=form.cleaned_data["tax_rounding"],
                version=form.cleaned_data["version"],
            ),
        )
        if saved is not None:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:finance-settings")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "web/finance/settings/finance_settings.html",
        {"form": form, "settings": current},
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("finance/accounts/new/", account_create, name="account-create"),
    path("finance/accounts/<int:account_id>/edit/", account_edit, name="account-edit"),
    path("finance/accounts/<int:account_id>/archive/", account_archive, name="account-archive"),
    path("finance/journals/", journal_list, name="journal-list"),
    path("finance/journals/new/", journal_create, name="journal-create"),
    path("finance/journals/<int:journal_id>/", journal_edit, name="journal-edit"),
    path("finance/taxes/", tax_list, name="tax-list"),
    path("finance/taxes/new/", tax_create, name="tax-create"),
    path("finance/taxes/<int:tax_id>/", tax_edit, name="tax-edit"),
    path("finance/taxes/<int:tax_id>/archive/", tax_archive, name="tax-archive"),
    path("finance/payment-terms/", payment_term_list, name="payment-term-list"),
    path("finance/payment-terms/new/", payment_term_create, name="payment-term-create"),
    path("finance/payment-terms/<int:term_id>/", payment_term_edit, name="payment-term-edit"),
    path("finance/payment-terms/<int:term_id>/archive/", payment_term_archive, name="payment-term-archive"),
    path("finance/settings/", finance_settings, name="finance-settings"),
]
