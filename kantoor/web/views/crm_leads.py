"""Pages of the leads: the list (a tab per state, source and owner filters, search, keyset
pages), the detail with the score and its reasons, qualify / disqualify (with a reason) /
reopen, the conversion into a party and an opportunity (linking an existing party, or
creating one after the duplicate check), the form with its inline errors, and the CSV
import (all or none, the problems named by row and column).

A sales rep sees the team's leads and changes only their own (the services refuse
otherwise; the pages hide the buttons).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core.errors import DomainError, NotFoundError, StaleVersionError
from kantoor.core.models import Scope
from kantoor.crm import imports, selectors, services
from kantoor.crm.errors import RateLimitedError, WebFormRejectedError
from kantoor.crm.models import Lead, LeadChannel, LeadSource, LeadState
from kantoor.crm.scoring import RULES
from kantoor.parties.errors import DuplicatePartyError
from kantoor.web.forms import country_choices, form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission
from kantoor.web.views.crm import (
    CREATE_LEAD,
    MANAGE_LEAD,
    MANAGE_OPPORTUNITY,
    STALE_MESSAGE,
    VIEW_LEAD,
    activity_panel_url,
    choice_field,
    int_or_none,
    refuse,
    team_choices,
    user_choices,
)

PAGE_SIZE = 25
COUNT_CAP = 1000
ORDER = Ordering("created_at", descending=True, is_datetime=True)
STATE_TABS = [("", gettext_lazy("All")), *LeadState.choices]
RULE_LABELS = {rule.code: rule.label for rule in RULES}


# ---- list -----------------------------------------------------------------------------


@page
def lead_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW_LEAD)
    params = request.GET
    state = params.get("state", "") if params.get("state") in LeadState.values else ""
    source = params.get("source", "") if params.get("source") in LeadSource.values else ""
    owner = int_or_none(params.get("owner"))
    q = params.get("q", "").strip()[:100]
    leads = selectors.leads_list(request.user, q=q, state=state, source=source, owner_id=owner)
    result = keyset_page(
        leads, ORDER, after=params.get("after", ""), before=params.get("before", ""), size=PAGE_SIZE
    )
    count = leads.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    tab_query = query.copy()
    tab_query.pop("state", None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "base_query": query.urlencode(),
        "tab_query": tab_query.urlencode(),
        "state": state,
        "source": source,
        "owner": owner,
        "q": q,
        "tabs": STATE_TABS,
        "sources": LeadSource.choices,
        "users": user_choices(request),
        "can_create": policy.has_permission(request.user, CREATE_LEAD),
    }
    if request.htmx and request.htmx.target == "lead-results":
        return render(request, "web/crm/lead_list.html#results", context)
    return render(request, "web/crm/lead_list.html", context)


# ---- detail, qualify, disqualify, reopen ----------------------------------------------


def _score_reasons(lead: Lead) -> list[tuple[str, int]]:
    """The score's reasons in the reader's language (the rule's label where it is known)."""
    reasons = []
    for item in lead.score_details or []:
        if not isinstance(item, dict):
            continue
        label = RULE_LABELS.get(str(item.get("rule", "")), item.get("label", ""))
        reasons.append((str(label), int(item.get("points") or 0)))
    return reasons


def _detail(request: AuthedRequest, lead: Lead, *, status: int = 200, **extra: Any) -> HttpResponse:
    can_change = selectors.lead_can_change(request.user, lead)
    context = {
        "lead": lead,
        "reasons": _score_reasons(lead),
        "can_edit": can_change and lead.is_open,
        "can_qualify": can_change and lead.can_transition_to(LeadState.QUALIFIED),
        "can_disqualify": can_change and lead.can_transition_to(LeadState.DISQUALIFIED),
        "can_reopen": can_change and lead.can_transition_to(LeadState.NEW),
        "can_convert": can_change
        and lead.can_transition_to(LeadState.CONVERTED)
        and policy.has_permission(request.user, MANAGE_OPPORTUNITY),
        "disqualify_errors": {},
        "activity_panel_url": activity_panel_url(request, f"crm.lead:{lead.pk}"),
        **extra,
    }
    return render(request, "web/crm/lead_detail.html", context, status=status)


@page
def lead_detail(request: AuthedRequest, lead_id: int) -> HttpResponse:
    require_permission(request, VIEW_LEAD)
    return _detail(request, selectors.lead_get_for_actor(request.user, lead_id))


@require_POST
@page
def lead_qualify(request: AuthedRequest, lead_id: int) -> HttpResponse:
    require_permission(request, MANAGE_LEAD)
    try:
        services.lead_qualify(
            actor=request.user, lead_id=lead_id, version=int_or_none(request.POST.get("version"))
        )
    except DomainError as exc:
        refuse(request, exc)
    else:
        messages.success(request, _("The lead is qualified."))
    return redirect("web:crm-lead-detail", lead_id)


@require_POST
@page
def lead_disqualify(request: AuthedRequest, lead_id: int) -> HttpResponse:
    """Disqualify with a reason; a missing reason shows beside its field (422)."""
    require_permission(request, MANAGE_LEAD)
    reason = request.POST.get("reason", "")[:1000]
    try:
        services.lead_disqualify(
            actor=request.user,
            lead_id=lead_id,
            reason=reason,
            version=int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        if exc.status in (403, 404) or not exc.field_errors:
            refuse(request, exc)
            return redirect("web:crm-lead-detail", lead_id)
        lead = selectors.lead_get_for_actor(request.user, lead_id)
        return _detail(
            request,
            lead,
            status=exc.status,
            disqualify_errors=exc.field_errors,
            disqualify_reason=reason,
            show_disqualify=True,
        )
    messages.success(request, _("The lead is disqualified."))
    return redirect("web:crm-lead-detail", lead_id)


@require_POST
@page
def lead_reopen(request: AuthedRequest, lead_id: int) -> HttpResponse:
    require_permission(request, MANAGE_LEAD)
    try:
        services.lead_reopen(
            actor=request.user, lead_id=lead_id, version=int_or_none(request.POST.get("version"))
        )
    except DomainError as exc:
        refuse(request, exc)
    else:
        messages.success(request, _("The lead is open again."))
    return redirect("web:crm-lead-detail", lead_id)


# ---- the lead form --------------------------------------------------------------------


class LeadForm(forms.Form):
    """The lead's fields; names match the service's, so its field errors land here."""

    contact_name = forms.CharField(label=gettext_lazy("Contact name"), max_length=200, required=False)
    organisation_name = forms.CharField(label=gettext_lazy("Organisation"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    job_title = forms.CharField(label=gettext_lazy("Job title"), max_length=120, required=False)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    source = forms.ChoiceField(
        label=gettext_lazy("Source"), choices=LeadSource.choices, initial=LeadSource.MANUAL
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=LeadChannel.choices, initial=LeadChannel.OTHER
    )
    source_detail = forms.CharField(
        label=gettext_lazy("Source detail"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Which campaign, event, form or referrer."),
    )
    owner = forms.TypedChoiceField(label=gettext_lazy("Owner"), coerce=int, empty_value=None, required=False)
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), coerce=int, empty_value=None, required=False)
    message = forms.CharField(
        label=gettext_lazy("Message"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        users: list[tuple[int, str]],
        teams: list[tuple[int, str]],
        may_assign: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "country").choices = country_choices()
        if may_assign:
            choice_field(self, "owner").choices = [("", "—"), *users]
            choice_field(self, "team").choices = [("", "—"), *teams]
        else:  # a rep's leads are their own: nothing to choose
            del self.fields["owner"]
            del self.fields["team"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("contact_name") and not data.get("organisation_name"):
            message = _("Give a contact name or an organisation.")
            self.add_error("contact_name", message)
            self.add_error("organisation_name", message)
        return data


def _may_assign(request: AuthedRequest, action: str) -> bool:
    """Whether the user may give a lead to someone else (a rep's scope is their own)."""
    return policy.scope_for(request.user, action) in (Scope.TEAM, Scope.COMPANY)


def _lead_form(request: AuthedRequest, *, initial: dict[str, Any], action: str) -> LeadForm:
    return LeadForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        users=user_choices(request),
        teams=team_choices(request),
        may_assign=_may_assign(request, action),
    )


def _render_form(
    request: AuthedRequest, form: LeadForm, *, lead: Lead | None, status: int = 200
) -> HttpResponse:
    return render(request, "web/crm/lead_form.html", {"form": form, "lead": lead}, status=status)


@page
def lead_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, CREATE_LEAD)
    teams = policy.team_ids_of(request.user)
    form = _lead_form(
        request,
        initial={"owner": request.user.pk, "team": teams[0] if teams else None},
        action=CREATE_LEAD,
    )
    if request.method != "POST" or not form.is_valid():
        return _render_form(request, form, lead=None, status=422 if request.method == "POST" else 200)
    values = {name: value for name, value in form.cleaned_data.items() if name != "version"}
    try:
        lead = services.lead_create(actor=request.user, **values)
    except DomainError as exc:
        if exc.status == 404:
            raise
        form_add_domain_error(form, exc)
        return _render_form(request, form, lead=None, status=exc.status)
    messages.success(request, _("Lead “%(name)s” was saved.") % {"name": lead.display_name})
    return redirect("web:crm-lead-detail", lead.pk)


@page
def lead_edit(request: AuthedRequest, lead_id: int) -> HttpResponse:
    require_permission(request, MANAGE_LEAD)
    lead = selectors.lead_get_for_actor(request.user, lead_id)
    if not lead.is_open or not selectors.lead_can_change(request.user, lead):
        raise PermissionDenied
    form = _lead_form(
        request,
        initial={
            **{name: getattr(lead, name) for name in services.LEAD_FIELDS if name not in ("owner", "team")},
            "owner": lead.owner_id,
            "team": lead.team_id,
            "version": lead.version,
        },
        action=MANAGE_LEAD,
    )
    if request.method != "POST" or not form.is_valid():
        return _render_form(request, form, lead=lead, status=422 if request.method == "POST" else 200)
    # Only what changed: a rep saving the phone number does not re-send the owner.
    changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
    version = form.cleaned_data["version"]
    try:
        services.lead_update(
            actor=request.user,
            lead_id=lead.pk,
            version=version if version is not None else lead.version,
            changes=changes,
        )
    except StaleVersionError:
        form.add_error(None, STALE_MESSAGE)
        return _render_form(request, form, lead=lead, status=409)
    except DomainError as exc:
        if exc.status == 404:
            raise
        form_add_domain_error(form, exc)
        return _render_form(request, form, lead=lead, status=exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect("web:crm-lead-detail", lead.pk)


# ---- conversion -----------------------------------------------------------------------


NEW_PARTY = "new"
OTHER_PARTY = "other"


class ConvertForm(forms.Form):
    """Which party the lead becomes (an existing one, or a new one) and its opportunity."""

    party = forms.CharField(max_length=20, initial=NEW_PARTY)
    other = forms.IntegerField(required=False)
    opportunity_name = forms.CharField(label=gettext_lazy("Opportunity name"), max_length=200)
    expected_revenue = forms.DecimalField(
        label=gettext_lazy("Expected revenue"), min_value=0, max_digits=20, decimal_places=2, localize=True
    )
    close_date = forms.DateField(
        label=gettext_lazy("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    stage = forms.TypedChoiceField(label=gettext_lazy("Stage"), coerce=int, empty_value=None, required=False)
    create_anyway = forms.BooleanField(
        label=gettext_lazy("These are different parties — create a new one anyway"), required=False
    )
    confirmed_duplicate_ids = forms.CharField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, stages: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "stage").choices = stages

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("party", NEW_PARTY)
        if choice == OTHER_PARTY and not data.get("other"):
            self.add_error(None, _("Search for the party to link the lead to, and choose it."))
        elif choice not in (NEW_PARTY, OTHER_PARTY) and not str(choice).isdigit():
            self.add_error(None, _("Choose a party or create a new one."))
        return data

    def party_id(self) -> int | None:
        choice = self.cleaned_data["party"]
        if choice == NEW_PARTY:
            return None
        if choice == OTHER_PARTY:
            return int(self.cleaned_data["other"])
        return int(choice)

    def duplicate_ids(self) -> list[int]:
        if not self.cleaned_data.get("create_anyway"):
            return []
        raw = self.cleaned_data.get("confirmed_duplicate_ids") or ""
        return [int(part) for part in raw.split(",") if part.strip().isdigit()][:20]


@page
def lead_convert(request: AuthedRequest, lead_id: int) -> HttpResponse:
    """Convert the lead: link an existing party (the likely ones are offered) or create a
    new one; a new one alike an existing party comes back with the duplicates (409)."""
    require_permission(request, MANAGE_LEAD)
    user = request.user
    lead = selectors.lead_get_for_actor(user, lead_id)
    if (
        not selectors.lead_can_change(user, lead)
        or not lead.can_transition_to(LeadState.CONVERTED)
        or not policy.has_permission(user, MANAGE_OPPORTUNITY)
    ):
        raise PermissionDenied
    candidates = selectors.lead_party_candidates(user, lead.pk)
    stages = [(s.pk, s.name) for s in selectors.pipeline_stages(user)]
    form = ConvertForm(
        request.POST if request.method == "POST" else None,
        initial={
            "party": str(candidates[0].party_id) if candidates else NEW_PARTY,
            "opportunity_name": lead.organisation_name or lead.contact_name,
            "expected_revenue": 0,
            "stage": stages[0][0] if stages else None,
            "version": lead.version,
        },
        stages=stages,
    )
    context: dict[str, Any] = {"lead": lead, "form": form, "candidates": candidates, "duplicates": []}
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "web/crm/lead_convert.html", context, status=status)
    data = form.cleaned_data
    try:
        converted = services.lead_convert(
            actor=user,
            lead_id=lead.pk,
            party_id=form.party_id(),
            confirmed_duplicate_ids=form.duplicate_ids(),
            opportunity_name=data["opportunity_name"],
            expected_revenue=data["expected_revenue"],
            close_date=data["close_date"],
            stage_id=data["stage"],
            version=data["version"] if data["version"] is not None else lead.version,
        )
    except DuplicatePartyError as exc:
        context["duplicates"] = exc.candidates
        context["duplicate_ids"] = ",".join(str(c["id"]) for c in exc.candidates)
        return render(request, "web/crm/lead_convert.html", context, status=409)
    except StaleVersionError:
        form.add_error(None, STALE_MESSAGE)
        return render(request, "web/crm/lead_convert.html", context, status=409)
    except DomainError as exc:
        if exc.status == 404:
            raise
        form_add_domain_error(form, exc, renames={"name": "opportunity_name", "party_id": "party"})
        return render(request, "web/crm/lead_convert.html", context, status=exc.status)
    messages.success(
        request,
        _("The lead is converted: %(party)s has the opportunity “%(name)s”.")
        % {
            "party": converted.party.name if converted.party else "",
            "name": converted.opportunity.name if converted.opportunity else "",
        },
    )
    if converted.opportunity_id:
        return redirect("web:crm-opportunity-detail", converted.opportunity_id)
    return redirect("web:crm-lead-detail", lead.pk)


# ---- CSV import -----------------------------------------------------------------------


@page
def lead_import(request: AuthedRequest) -> HttpResponse:
    """Upload a CSV file of leads: all are imported, or none when any row is wrong."""
    require_permission(request, CREATE_LEAD)
    context: dict[str, Any] = {"columns": imports.COLUMNS, "problems": [], "error": ""}
    if request.method != "POST":
        return render(request, "web/crm/lead_import.html", context)
    upload = request.FILES.get("file")
    if upload is None:
        context["error"] = _("Choose a CSV file to import.")
        return render(request, "web/crm/lead_import.html", context, status=422)
    content = upload.read(imports.MAX_BYTES + 1)
    try:
        result = imports.leads_import(actor=request.user, content=content)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        context["error"] = exc.message
        context["problems"] = [m for m in exc.field_errors.get("file", []) if m != exc.message]
        return render(request, "web/crm/lead_import.html", context, status=exc.status)
    messages.success(
        request,
        ngettext("%(count)d lead was imported.", "%(count)d leads were imported.", result.created)
        % {"count": result.created},
    )
    return redirect("web:crm-lead-list")


urlpatterns: list[URLPattern] = [
    path("crm/leads/", lead_list, name="crm-lead-list"),
    path("crm/leads/new/", lead_create, name="crm-lead-create"),
    path("crm/leads/import/", lead_import, name="crm-lead-import"),
    path("crm/leads/<int:lead_id>/", lead_detail, name="crm-lead-detail"),
    path("crm/leads/<int:lead_id>/edit/", lead_edit, name="crm-lead-edit"),
    path("crm/leads/<int:lead_id>/qualify/", lead_qualify, name="crm-lead-qualify"),
    path("crm/leads/<int:lead_id>/disqualify/", lead_disqualify, name="crm-lead-disqualify"),
    path("crm/leads/<int:lead_id>/reopen/", lead_reopen, name="crm-lead-reopen"),
    path("crm/leads/<int:lead_id>/convert/", lead_convert, name="crm-lead-convert"),
]


# ---- the public web form ----------------------------------------------------------------


class PublicLeadForm(forms.Form):
    """What a visitor of the company's website fills in (no sign-in)."""

    contact_name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    organisation_name = forms.CharField(label=gettext_lazy("Organisation"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    message = forms.CharField(
        label=gettext_lazy("Your question"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _public_page(
    request: HttpRequest, form_key: str, form: PublicLeadForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    try:
        token = services.web_form_token(form_key=form_key)
    except NotFoundError as exc:
        raise Http404 from exc
    context = {
        "form": form,
        "token": token,
        "honeypot": services.HONEYPOT_FIELD,
        "error": error,
        "sent": False,
    }
    return render(request, "web/crm/web_form.html", context, status=status)


def web_form_public(request: HttpRequest, form_key: str) -> HttpResponse:
    """The company's public lead form: a visitor's enquiry becomes a lead (spam checks and
    the rate limit are the service's)."""
    if request.GET.get("sent") == "1" and request.method == "GET":
        return render(request, "web/crm/web_form.html", {"sent": True})
    if request.method != "POST":
        return _public_page(request, form_key, PublicLeadForm())
    form = PublicLeadForm(request.POST)
    if not form.is_valid():
        return _public_page(request, form_key, form, status=422)
    data = {
        **form.cleaned_data,
        "token": request.POST.get("token", ""),
        services.HONEYPOT_FIELD: request.POST.get(services.HONEYPOT_FIELD, ""),
    }
    try:
        services.web_lead_submit(form_key=form_key, data=data, ip=str(request.META.get("REMOTE_ADDR") or ""))
    except NotFoundError as exc:
        raise Http404 from exc
    except (WebFormRejectedError, RateLimitedError) as exc:
        return _public_page(request, form_key, form, error=exc.message, status=exc.status)
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _public_page(request, form_key, form, status=exc.status)
    return redirect(reverse("web:crm-web-form", args=[form_key]) + "?sent=1")


urlpatterns.append(path("forms/lead/<str:form_key>/", web_form_public, name="crm-web-form"))
