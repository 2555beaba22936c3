"""Pages of finance: the ledger — chart of accounts, journal entries (list, detail, draft
form, post, reverse, delete) and fiscal years with their periods and the lock date.

Every page calls the finance selectors and services with `request.user`, so the policy
decides what is shown and allowed: who may not view the ledger gets a 403 before any
record is read, a record of another company is a 404, a refused write a 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core.errors import DomainError
from kantoor.finance import closing, selectors, services
from kantoor.finance.models import (
    AccountType,
    EntryState,
    FinanceSettings,
    FiscalYear,
    JournalEntry,
    JournalLine,
)
from kantoor.parties import selectors as party_selectors
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW = "finance.view_ledger"
POST = "finance.post_entry"
MANAGE = "finance.manage_ledger"
PAGE_SIZE = 25
COUNT_CAP = 1000  # "More than 1000 entries" rather than counting every row on each keystroke
PARTY_CHOICES = 300  # the line form's party select; more parties need a picker
MAX_LINES = 100


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _list_context(request: AuthedRequest, queryset: QuerySet[Any], ordering: Ordering) -> dict[str, Any]:
    """One keyset page of `queryset`, its capped count and the query string without cursors."""
    params = request.GET
    result = keyset_page(
        queryset, ordering, after=params.get("after", ""), before=params.get("before", ""), size=PAGE_SIZE
    )
    count = queryset.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    return {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "base_query": query.urlencode(),
    }


# ---- chart of accounts ------------------------------------------------------------------


@page
def account_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    filters = {
        "q": params.get("q", "").strip()[:100],
        "type": params.get("type", "") if params.get("type") in AccountType.values else "",
        "inactive": params.get("inactive") == "1",
    }
    accounts = selectors.accounts_visible(request.user)
    if filters["q"]:
        accounts = accounts.filter(
            Q(code__istartswith=filters["q"])
            | Q(name__icontains=filters["q"])
            | Q(reference_code__istartswith=filters["q"])
        )
    if filters["type"]:
        accounts = accounts.filter(account_type=filters["type"])
    if not filters["inactive"]:
        accounts = accounts.filter(is_active=True)
    context = _list_context(request, accounts, Ordering("code"))
    # The posted balance of the accounts shown: one aggregate query for the page.
    shown = [account.pk for account in context["page"].rows]
    # By the accounts' company: the (company, state, account, …) index serves the sums.
    company_ids = {account.company_id for account in context["page"].rows}
    balances = dict(
        JournalLine.objects.filter(company_id__in=company_ids, state=EntryState.POSTED, account_id__in=shown)
        .values("account_id")
        .annotate(total=Sum("debit") - Sum("credit"))
        .values_list("account_id", "total")
    )
    context["rows"] = [
        (account, Decimal(str(balances.get(account.pk) or 0)).quantize(Decimal("0.01")))
        for account in context["page"].rows
    ]
    context.update(filters=filters, types=AccountType.choices)
    if request.htmx and request.htmx.target == "account-results":
        return render(request, "web/finance/ledger/account_list.html#results", context)
    return render(request, "web/finance/ledger/account_list.html", context)


# ---- journal entries: list and detail ---------------------------------------------------

# Entries newest first by date; the cursor needs a text value, so the date is read as ISO text
# (which sorts as the date does).
ENTRY_ORDER = Ordering("date_key", descending=True)


@page
def entry_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    journals = list(selectors.journals_visible(request.user).only("pk", "code", "name"))
    filters: dict[str, Any] = {
        "q": params.get("q", "").strip()[:100],
        "journal": _int(params.get("journal")),
        "state": params.get("state", "") if params.get("state") in EntryState.values else "",
        "date_from": _date(params.get("date_from")),
        "date_to": _date(params.get("date_to")),
    }
    entries = selectors.entries_visible(request.user)
    if filters["q"]:
        entries = entries.filter(
            Q(number__icontains=filters["q"])
            | Q(reference__icontains=filters["q"])
            | Q(narration__icontains=filters["q"])
        )
    if filters["journal"]:
        entries = entries.filter(journal_id=filters["journal"])
    if filters["state"]:
        entries = entries.filter(state=filters["state"])
    if filters["date_from"]:
        entries = entries.filter(date__gte=filters["date_from"])
    if filters["date_to"]:
        entries = entries.filter(date__lte=filters["date_to"])
    entries = entries.select_related("journal").annotate(
        date_key=Cast("date", output_field=CharField()),
        total=Sum("lines__debit"),
    )
    context = _list_context(request, entries, ENTRY_ORDER)
    context.update(
        filters=filters,
        journals=journals,
        states=EntryState.choices,
        can_create=policy.has_permission(request.user, POST),
    )
    if request.htmx and request.htmx.target == "entry-results":
        return render(request, "web/finance/ledger/entry_list.html#results", context)
    return render(request, "web/finance/ledger/entry_list.html", context)


@page
def entry_detail(request: AuthedRequest, entry_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    entry = selectors.entry_get_for_actor(request.user, entry_id)
    lines = list(entry.lines.select_related("account", "party").order_by("id"))
    visible = selectors.entries_visible(request.user)
    reversal = visible.filter(reversal_of=entry).only("pk", "number").first()
    original = (
        visible.filter(pk=entry.reversal_of_id).only("pk", "number").first() if entry.reversal_of_id else None
    )
    may_post = policy.allows(request.user, POST, entry)
    context = {
        "entry": entry,
        "lines": lines,
        "total_debit": sum((line.debit for line in lines), Decimal(0)),
        "total_credit": sum((line.credit for line in lines), Decimal(0)),
        "reversal": reversal,
        "original": original,
        "posted_by": entry.posted_by if entry.posted_by_id else None,
        "can_edit": may_post and entry.state == EntryState.DRAFT,
        "can_reverse": may_post and entry.state == EntryState.POSTED and reversal is None,
    }
    return render(request, "web/finance/ledger/entry_detail.html", context)


# ---- journal entries: the draft form ----------------------------------------------------


class EntryForm(forms.Form):
    """The entry's header; names match the service's, so its field errors land here."""

    journal_id = forms.TypedChoiceField(label=gettext_lazy("Journal"), coerce=int)
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=120, required=False)
    narration = forms.CharField(
        label=gettext_lazy("Narration"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, journals: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["journal_id"]).choices = journals


class LineForm(forms.Form):
    """One line; the service decides whether it is right (balance, accounts, amounts)."""

    account_id = forms.TypedChoiceField(
        label=gettext_lazy("Account"), coerce=int, empty_value=None, required=False
    )
    label = forms.CharField(label=gettext_lazy("Label"), max_length=200, required=False)
    party_id = forms.TypedChoiceField(
        label=gettext_lazy("Party"), coerce=int, empty_value=None, required=False
    )
    debit = forms.DecimalField(label=gettext_lazy("Debit"), required=False, localize=True, max_digits=18)
    credit = forms.DecimalField(label=gettext_lazy("Credit"), required=False, localize=True, max_digits=18)

    def __init__(
        self,
        *args: Any,
        accounts: Sequence[tuple[Any, str]] = (),
        parties: Sequence[tuple[Any, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["account_id"]).choices = [("", "—"), *accounts]
        cast("forms.ChoiceField", self.fields["party_id"]).choices = [("", "—"), *parties]
        for name, line_field in self.fields.items():  # the rows show no <label>s
            line_field.widget.attrs["aria-label"] = str(line_field.label or name)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(data.get(name) for name in ("account_id", "label", "party_id", "debit", "credit"))


def _choices(request: AuthedRequest) -> dict[str, list[tuple[Any, str]]]:
    accounts = selectors.accounts_visible(request.user).filter(is_active=True).only("pk", "code", "name")
    parties = (
        party_selectors.parties_visible(request.user)
        .filter(is_archived=False, merged_into__isnull=True)
        .order_by("normalized_name", "id")
        .only("pk", "name")[:PARTY_CHOICES]
        if policy.has_permission(request.user, "parties.view_party")
        else []
    )
    return {
        "accounts": [(a.pk, f"{a.code} {a.name}") for a in accounts],
        "parties": [(p.pk, p.name) for p in parties],
    }


@dataclass
class EntryEditor:
    """The entry form and its line rows, bound or not; `sent` are the rows sent to the
    service, in order, so its `lines[i]` errors land on the right row."""

    form: EntryForm
    lines: forms.BaseFormSet
    sent: list[LineForm] = field(default_factory=list)

    @classmethod
    def build(
        cls, request: AuthedRequest, *, initial: dict[str, Any], lines: list[dict[str, Any]], extra: int
    ) -> EntryEditor:
        data = request.POST if request.method == "POST" else None
        journals = [(j.pk, str(j)) for j in selectors.journals_visible(request.user)]
        choices = _choices(request)
        formset_class = forms.formset_factory(
            LineForm, formset=forms.BaseFormSet, extra=extra, max_num=MAX_LINES, absolute_max=MAX_LINES
        )
        return cls(
            form=EntryForm(data, initial=initial, journals=journals),
            lines=formset_class(data, initial=lines, prefix="lines", form_kwargs=choices),
        )

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.lines.is_valid()])

    def line_values(self) -> list[dict[str, Any]]:
        self.sent = [row for row in self.lines.forms if row.cleaned_data and not row.is_blank()]
        return [
            {
                "account_id": row.cleaned_data["account_id"],
                "label": row.cleaned_data["label"],
                "party_id": row.cleaned_data["party_id"],
                "debit": row.cleaned_data["debit"] or 0,
                "credit": row.cleaned_data["credit"] or 0,
            }
            for row in self.sent
        ]

    def show_error(self, exc: DomainError) -> None:
        form_add_domain_error(self.form, exc, {"lines": self.sent})


def _render_form(
    request: AuthedRequest, editor: EntryEditor, *, entry: JournalEntry | None, status: int = 200
) -> HttpResponse:
    context = {"editor": editor, "entry": entry}
    return render(request, "web/finance/ledger/entry_form.html", context, status=status)


@page
def entry_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, POST)
    general = selectors.journals_visible(request.user).filter(kind="general").order_by("pk").first()
    editor = EntryEditor.build(
        request,
        initial={"journal_id": general.pk if general else None, "date": timezone.localdate()},
        lines=[],
        extra=2,
    )
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, entry=None, status=422 if request.method == "POST" else 200)
    header = editor.form.cleaned_data
    try:
        entry = services.entry_create(
            actor=request.user,
            journal_id=header["journal_id"],
            date=header["date"],
            reference=header["reference"],
            narration=header["narration"],
            lines=editor.line_values(),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, entry=None, status=exc.status)
    messages.success(request, _("The draft entry was saved."))
    return redirect("web:entry-detail", entry.pk)


@page
def entry_edit(request: AuthedRequest, entry_id: int) -> HttpResponse:
    require_permission(request, POST)
    entry = selectors.entry_get_for_actor(request.user, entry_id)
    if entry.state != EntryState.DRAFT or not policy.allows(request.user, POST, entry):
        raise PermissionDenied
    editor = EntryEditor.build(
        request,
        initial={
            "journal_id": entry.journal_id,
            "date": entry.date,
            "reference": entry.reference,
            "narration": entry.narration,
            "version": entry.version,
        },
        lines=[
            {
                "account_id": line.account_id,
                "label": line.label,
                "party_id": line.party_id,
                "debit": line.debit or None,
                "credit": line.credit or None,
            }
            for line in entry.lines.order_by("id")
        ],
        extra=1,
    )
    # The journal of a draft stays (its number and chain depend on it): shown, not sent.
    editor.form.fields["journal_id"].disabled = True
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, entry=entry, status=422 if request.method == "POST" else 200)
    header = editor.form.cleaned_data
    try:
        services.entry_update(
            actor=request.user,
            entry_id=entry.pk,
            version=header["version"] if header["version"] is not None else entry.version,
            date=header["date"],
            reference=header["reference"],
            narration=header["narration"],
            lines=editor.line_values(),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, entry=entry, status=exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect("web:entry-detail", entry.pk)


@page
def entry_line_row(request: AuthedRequest) -> HttpResponse:
    """One more blank line row for the entry form (HTMX "Add line"), and the formset's
    TOTAL_FORMS counted up out of band."""
    require_permission(request, POST)
    index = _int(request.GET.get("lines-TOTAL_FORMS")) or 0
    if index >= MAX_LINES:
        return HttpResponse(status=204)
    row = LineForm(
        prefix=f"lines-{index}", empty_permitted=True, use_required_attribute=False, **_choices(request)
    )
    return render(
        request, "web/finance/ledger/entry_form.html#line-row-added", {"row": row, "total": index + 1}
    )


# ---- journal entries: post, reverse, delete ---------------------------------------------


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


@require_POST
@page
def entry_post(request: AuthedRequest, entry_id: int) -> HttpResponse:
    require_permission(request, POST)
    try:
        entry = services.entry_post(
            actor=request.user, entry_id=entry_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Entry %(number)s was posted.") % {"number": entry.number})
    return redirect("web:entry-detail", entry_id)


@require_POST
@page
def entry_reverse(request: AuthedRequest, entry_id: int) -> HttpResponse:
    require_permission(request, POST)
    on = _date(request.POST.get("date"))
    if request.POST.get("date") and on is None:
        messages.error(request, _("Give the reversal's date as a date."))
        return redirect("web:entry-detail", entry_id)
    try:
        reversal = services.entry_reverse(actor=request.user, entry_id=entry_id, date=on)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("web:entry-detail", entry_id)
    messages.success(request, _("Entry %(number)s reverses it.") % {"number": reversal.number})
    return redirect("web:entry-detail", reversal.pk)


@require_POST
@page
def entry_delete(request: AuthedRequest, entry_id: int) -> HttpResponse:
    require_permission(request, POST)
    try:
        services.entry_delete(
            actor=request.user, entry_id=entry_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
        return redirect("web:entry-detail", entry_id)
    messages.success(request, _("The draft entry was deleted."))
    return redirect("web:entry-list")


# ---- fiscal years, periods and the lock date --------------------------------------------


class LockDateForm(forms.Form):
    lock_date = forms.DateField(
        label=gettext_lazy("Lock date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _settings_of(request: AuthedRequest) -> FinanceSettings | None:
    return policy.filter_queryset(request.user, VIEW, FinanceSettings.objects.all()).first()


def _years_page(
    request: AuthedRequest, lock_form: LockDateForm | None = None, status: int = 200
) -> HttpResponse:
    years = list(
        policy.filter_queryset(request.user, VIEW, FiscalYear.objects.all())
        .prefetch_related("periods")
        .order_by("-start_date")
    )
    settings = _settings_of(request)
    if lock_form is None:
        lock_form = LockDateForm(
            initial={
                "lock_date": settings.lock_date if settings else None,
                "version": settings.version if settings else None,
            }
        )
    context = {
        "years": years,
        "next_year": (years[0].year + 1) if years else timezone.localdate().year,
        "settings": settings,
        "lock_form": lock_form,
        "can_manage": policy.has_permission(request.user, MANAGE),
    }
    return render(request, "web/finance/ledger/fiscal_years.html", context, status=status)


@page
def fiscal_year_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    return _years_page(request)


@require_POST
@page
def fiscal_year_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    year = _int(request.POST.get("year"))
    if year is None:
        messages.error(request, _("Give the year as a number."))
        return redirect("web:fiscal-year-list")
    try:
        services.fiscal_year_create(actor=request.user, year=year)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Fiscal year %(year)s was opened.") % {"year": year})
    return redirect("web:fiscal-year-list")


@require_POST
@page
def fiscal_year_close(request: AuthedRequest, fiscal_year_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        year = closing.fiscal_year_close(actor=request.user, fiscal_year_id=fiscal_year_id)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Fiscal year %(year)s was closed; its result is in retained earnings.") % {"year": year.year},
        )
    return redirect("web:fiscal-year-list")


@require_POST
@page
def period_close(request: AuthedRequest, period_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        period = services.period_close(
            actor=request.user, period_id=period_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Period %(period)s was closed.") % {"period": period})
    return redirect("web:fiscal-year-list")


@require_POST
@page
def period_reopen(request: AuthedRequest, period_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    try:
        period = services.period_reopen(
            actor=request.user, period_id=period_id, version=_int(request.POST.get("version"))
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Period %(period)s was reopened.") % {"period": period})
    return redirect("web:fiscal-year-list")


@require_POST
@page
def lock_date_set(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    form = LockDateForm(request.POST)
    if not form.is_valid():
        return _years_page(request, form, status=422)
    try:
        settings = services.lock_date_set(
            actor=request.user, lock_date=form.cleaned_data["lock_date"], version=form.cleaned_data["version"]
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc)
        return _years_page(request, form, status=exc.status)
    if settings.lock_date:
        messages.success(
            request, _("The lock date is now %(date)s.") % {"date": settings.lock_date.isoformat()}
        )
    else:
        messages.success(request, _("The lock date was removed."))
    return redirect("web:fiscal-year-list")


urlpatterns: list[URLPattern] = [
    path("finance/accounts/", account_list, name="account-list"),
    path("finance/entries/", entry_list, name="entry-list"),
    path("finance/entries/new/", entry_create, name="entry-create"),
    path("finance/entries/line-row/", entry_line_row, name="entry-line-row"),
    path("finance/entries/<int:entry_id>/", entry_detail, name="entry-detail"),
    path("finance/entries/<int:entry_id>/edit/", entry_edit, name="entry-edit"),
    path("finance/entries/<int:entry_id>/post/", entry_post, name="entry-post"),
    path("finance/entries/<int:entry_id>/reverse/", entry_reverse, name="entry-reverse"),
    path("finance/entries/<int:entry_id>/delete/", entry_delete, name="entry-delete"),
    path("finance/years/", fiscal_year_list, name="fiscal-year-list"),
    path("finance/years/new/", fiscal_year_create, name="fiscal-year-create"),
    path("finance/years/<int:fiscal_year_id>/close/", fiscal_year_close, name="fiscal-year-close"),
    path("finance/periods/<int:period_id>/close/", period_close, name="period-close"),
    path("finance/periods/<int:period_id>/reopen/", period_reopen, name="period-reopen"),
    path("finance/lock-date/", lock_date_set, name="lock-date-set"),
]
