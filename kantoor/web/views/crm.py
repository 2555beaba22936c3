"""Pages of the CRM shared by its leads and pipeline pages, and the smaller ones: the
weighted forecast and the settings of the pipeline (its stages and the reasons deals are
lost). The leads are in `crm_leads`, the board and the opportunities in `crm_pipeline`.

Every page calls the crm selectors and services with `request.user`: the policy decides
what is shown and allowed (another company's record is a 404, a refused write a message or
a form error).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core import selectors as core_selectors
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.crm import selectors, services
from kantoor.crm.models import LeadChannel
from kantoor.crm.scoring import RULES
from kantoor.web.forms import form_add_domain_error
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

VIEW_LEAD = selectors.VIEW_LEAD
CREATE_LEAD = selectors.CREATE_LEAD
MANAGE_LEAD = selectors.MANAGE_LEAD
VIEW_OPPORTUNITY = selectors.VIEW_OPPORTUNITY
MANAGE_OPPORTUNITY = selectors.MANAGE_OPPORTUNITY
MANAGE_SETTINGS = selectors.MANAGE_SETTINGS
CHOICES_CAP = 500
STALE_MESSAGE = gettext_lazy(
    "Someone else changed this record while you were editing it. Your changes were not saved: "
    "open it again to see the current version, then make your changes once more."
)


def int_or_none(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else None


def url_or_empty(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def activity_panel_url(request: AuthedRequest, target: str) -> str:
    """The activities panel of a record ("crm.opportunity:12"), when the activities pages
    exist and the user may see activities; empty otherwise."""
    url = url_or_empty("web:activity-panel")
    if not url or not policy.has_permission(request.user, "activities.view_activity"):
        return ""
    return url + "?" + urlencode({"target": target})


def refuse(request: AuthedRequest, exc: DomainError) -> None:
    """A refused action on a page without a form: a 403/404 stays an error page, anything
    else is a message above the page (with the field errors, as there is no field to show
    them beside)."""
    if exc.status in (403, 404):
        raise exc
    details = [message for messages_ in exc.field_errors.values() for message in messages_]
    messages.error(request, " ".join([exc.message, *details]))


def user_choices(request: AuthedRequest) -> list[tuple[int, str]]:
    users = core_selectors.users_visible(request.user).filter(is_active=True)[:CHOICES_CAP]
    return [(u.pk, u.get_full_name() or u.username) for u in users]


def team_choices(request: AuthedRequest) -> list[tuple[int, str]]:
    return list(core_selectors.teams_visible(request.user).values_list("pk", "name")[:CHOICES_CAP])


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field the form declares, to set its choices per request."""
    return cast("forms.ChoiceField", form.fields[name])


def date_param(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


# ---- forecast -------------------------------------------------------------------------


def _totals(rows: list[selectors.ForecastRow]) -> list[dict[str, Any]]:
    """One total row per currency (amounts in different currencies are never added)."""
    sums: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"count": 0, "expected": Decimal(0), "weighted": Decimal(0)}
    )
    for row in rows:
        total = sums[row.currency]
        total["count"] += row.count
        total["expected"] += row.expected
        total["weighted"] += row.weighted
    return [{"currency": currency, **values} for currency, values in sorted(sums.items())]


@page
def forecast(request: AuthedRequest) -> HttpResponse:
    """The weighted forecast of the open opportunities the user sees, by month of their
    expected close date and by owner."""
    require_permission(request, VIEW_OPPORTUNITY)
    params = request.GET
    date_from = date_param(params.get("from"))
    date_to = date_param(params.get("to"))
    team_id = int_or_none(params.get("team"))
    owner_id = int_or_none(params.get("owner"))
    by_month = selectors.forecast_by_month(
        request.user, date_from=date_from, date_to=date_to, team_id=team_id, owner_id=owner_id
    )
    by_owner = selectors.forecast_by_owner(
        request.user, date_from=date_from, date_to=date_to, team_id=team_id
    )
    if owner_id is not None:
        by_owner = [row for row in by_owner if row.key == owner_id]
    context = {
        "by_month": by_month,
        "by_owner": by_owner,
        "month_totals": _totals(by_month),
        "owner_totals": _totals(by_owner),
        "date_from": date_from,
        "date_to": date_to,
        "team": team_id,
        "owner": owner_id,
        "users": user_choices(request),
        "teams": team_choices(request),
    }
    if request.htmx and request.htmx.target == "forecast-results":
        return render(request, "web/crm/forecast.html#results", context)
    return render(request, "web/crm/forecast.html", context)


# ---- settings: pipeline stages --------------------------------------------------------


class StageForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    sequence = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, max_value=1_000_000)
    probability = forms.DecimalField(
        label=gettext_lazy("Probability %"), min_value=0, max_value=100, decimal_places=2, localize=True
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


@page
def stage_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE_SETTINGS)
    stages = selectors.pipeline_stages(request.user, include_inactive=True)
    next_sequence = (max((s.sequence for s in stages), default=0) // 10 + 1) * 10
    form = StageForm(initial={"sequence": next_sequence, "probability": 50, "is_active": True})
    return render(request, "web/crm/stages.html", {"stages": stages, "form": form})


@page
def stage_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE_SETTINGS)
    form = StageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stage = services.stage_create(
                actor=request.user,
                name=data["name"],
                sequence=data["sequence"],
                probability=data["probability"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Stage “%(name)s” was added.") % {"name": stage.name})
            return redirect("web:crm-stage-list")
    stages = selectors.pipeline_stages(request.user, include_inactive=True)
    status = 422 if request.method == "POST" else 200
    return render(request, "web/crm/stages.html", {"stages": stages, "form": form}, status=status)


@page
def stage_edit(request: AuthedRequest, stage_id: int) -> HttpResponse:
    require_permission(request, MANAGE_SETTINGS)
    stages = selectors.pipeline_stages(request.user, include_inactive=True)
    stage = next((s for s in stages if s.pk == stage_id), None)
    if stage is None:
        raise Http404
    initial = {
        "name": stage.name,
        "sequence": stage.sequence,
        "probability": stage.probability.normalize(),
        "is_active": stage.is_active,
        "version": stage.version,
    }
    form = StageForm(request.POST or None, initial=initial)
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "web/crm/stage_form.html", {"stage": stage, "form": form}, status=status)
    data = form.cleaned_data
    try:
        services.stage_update(
            actor=request.user,
            stage_id=stage.pk,
            version=data["version"] if data["version"] is not None else stage.version,
            changes={key: data[key] for key in ("name", "sequence", "probability", "is_active")},
        )
    except StaleVersionError:
        form.add_error(None, STALE_MESSAGE)
        return render(request, "web/crm/stage_form.html", {"stage": stage, "form": form}, status=409)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc)
        return render(request, "web/crm/stage_form.html", {"stage": stage, "form": form}, status=exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect("web:crm-stage-list")


@require_POST
@page
def stage_move(request: AuthedRequest, stage_id: int) -> HttpResponse:
    """Move a stage one place up or down the pipeline (the board's column order)."""
    require_permission(request, MANAGE_SETTINGS)
    order = [s.pk for s in selectors.pipeline_stages(request.user, include_inactive=True)]
    if stage_id not in order:
        raise Http404
    index = order.index(stage_id)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        try:
            services.stages_reorder(actor=request.user, stage_ids=order)
        except DomainError as exc:
            refuse(request, exc)
    return redirect("web:crm-stage-list")


@require_POST
@page
def stage_delete(request: AuthedRequest, stage_id: int) -> HttpResponse:
    """Delete a stage no opportunity was ever in (else the service says to deactivate it)."""
    require_permission(request, MANAGE_SETTINGS)
    try:
        services.stage_delete(actor=request.user, stage_id=stage_id)
    except DomainError as exc:
        refuse(request, exc)
        return redirect("web:crm-stage-edit", stage_id)
    messages.success(request, _("The stage was deleted."))
    return redirect("web:crm-stage-list")


# ---- settings: lost reasons -----------------------------------------------------------


class LostReasonForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)


@page
def lost_reason_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE_SETTINGS)
    form = LostReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reason = services.lost_reason_create(actor=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Lost reason “%(name)s” was added.") % {"name": reason.name})
            return redirect("web:crm-lost-reason-list")
    reasons = selectors.lost_reasons(request.user, include_inactive=True)
    status = 422 if request.method == "POST" else 200
    return render(request, "web/crm/lost_reasons.html", {"reasons": reasons, "form": form}, status=status)


@require_POST
@page
def lost_reason_toggle(request: AuthedRequest, reason_id: int) -> HttpResponse:
    """Retire a lost reason (it stays on the deals lost for it) or bring it back."""
    require_permission(request, MANAGE_SETTINGS)
    reasons = {r.pk: r for r in selectors.lost_reasons(request.user, include_inactive=True)}
    reason = reasons.get(reason_id)
    if reason is None:
        raise Http404
    try:
        services.lost_reason_update(
            actor=request.user, lost_reason_id=reason.pk, is_active=not reason.is_active
        )
    except DomainError as exc:
        refuse(request, exc)
    else:
        messages.success(request, _("Your changes were saved."))
    return redirect("web:crm-lost-reason-list")


# ---- settings: public web forms -------------------------------------------------------


class WebFormForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=LeadChannel.choices, initial="website")
    owner = forms.TypedChoiceField(
        label=gettext_lazy("Assign leads to"), coerce=int, empty_value=None, required=False
    )
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), coerce=int, empty_value=None, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(
        self, *args: Any, users: list[tuple[int, str]], teams: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = [("", "—"), *users]
        choice_field(self, "team").choices = [("", "—"), *teams]


def _web_form_rows(request: AuthedRequest) -> list[tuple[Any, str]]:
    return [
        (item, request.build_absolute_uri(reverse("web:crm-web-form", args=[item.key])))
        for item in selectors.web_forms(request.user)
    ]


@page
def web_form_list(request: AuthedRequest) -> HttpResponse:
    """The company's public lead forms, with the address to link to, and a new one."""
    require_permission(request, MANAGE_SETTINGS)
    form = WebFormForm(request.POST or None, users=user_choices(request), teams=team_choices(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.web_form_create(
                actor=request.user,
                name=data["name"],
                channel=data["channel"],
                owner=data["owner"],
                team=data["team"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Web form “%(name)s” was added.") % {"name": created.name})
            return redirect("web:crm-web-form-list")
    status = 422 if request.method == "POST" else 200
    context = {"rows": _web_form_rows(request), "form": form}
    return render(request, "web/crm/web_forms.html", context, status=status)


@page
def web_form_edit(request: AuthedRequest, web_form_id: int) -> HttpResponse:
    require_permission(request, MANAGE_SETTINGS)
    item = next((f for f in selectors.web_forms(request.user) if f.pk == web_form_id), None)
    if item is None:
        raise Http404
    initial = {
        "name": item.name,
        "channel": item.channel,
        "owner": item.owner_id,
        "team": item.team_id,
        "is_active": item.is_active,
    }
    form = WebFormForm(
        request.POST or None, initial=initial, users=user_choices(request), teams=team_choices(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.web_form_update(
                actor=request.user,
                web_form_id=item.pk,
                changes={name: form.cleaned_data[name] for name in form.changed_data},
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:crm-web-form-list")
    status = 422 if request.method == "POST" else 200
    url = request.build_absolute_uri(reverse("web:crm-web-form", args=[item.key]))
    return render(
        request, "web/crm/web_form_edit.html", {"item": item, "form": form, "url": url}, status=status
    )


# ---- settings: lead scoring -----------------------------------------------------------


@page
def scoring(request: AuthedRequest) -> HttpResponse:
    """The points of each lead-scoring rule for the company, and rescoring the open leads."""
    require_permission(request, MANAGE_SETTINGS)
    weights = selectors.scoring_weights(request.user)
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {rule.code: str(weights.get(rule.code, rule.default_points)) for rule in RULES}
    if request.method == "POST" and request.POST.get("action") == "rescore":
        try:
            changed = services.leads_rescore(actor=request.user)
        except DomainError as exc:
            refuse(request, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d open lead has a new score.", "%(count)d open leads have a new score.", changed
                )
                % {"count": changed},
            )
        return redirect("web:crm-scoring")
    if request.method == "POST":
        sent: dict[str, int] = {}
        for rule in RULES:
            raw = request.POST.get(rule.code, "").strip()
            values[rule.code] = raw[:10]
            try:
                points = int(raw)
            except ValueError:
                errors[rule.code] = [_("Enter a whole number from -100 to 100.")]
                continue
            if points != weights.get(rule.code, rule.default_points):  # only what changed
                sent[rule.code] = points
        if not errors:
            try:
                services.scoring_weights_set(actor=request.user, weights=sent)
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                errors = exc.field_errors
            else:
                messages.success(request, _("The scoring rules were saved. New and changed leads use them."))
                return redirect("web:crm-scoring")
    rows = [
        {"code": rule.code, "label": rule.label, "default": rule.default_points, "value": values[rule.code]}
        for rule in RULES
    ]
    context = {"rows": rows, "errors": errors}
    return render(request, "web/crm/scoring.html", context, status=422 if errors else 200)


urlpatterns: list[URLPattern] = [
    path("crm/forecast/", forecast, name="crm-forecast"),
    path("crm/settings/stages/", stage_list, name="crm-stage-list"),
    path("crm/settings/stages/new/", stage_create, name="crm-stage-create"),
    path("crm/settings/stages/<int:stage_id>/", stage_edit, name="crm-stage-edit"),
    path("crm/settings/stages/<int:stage_id>/move/", stage_move, name="crm-stage-move"),
    path("crm/settings/stages/<int:stage_id>/delete/", stage_delete, name="crm-stage-delete"),
    path("crm/settings/web-forms/", web_form_list, name="crm-web-form-list"),
    path("crm/settings/web-forms/<int:web_form_id>/", web_form_edit, name="crm-web-form-edit"),
    path("crm/settings/scoring/", scoring, name="crm-scoring"),
    path("crm/settings/lost-reasons/", lost_reason_list, name="crm-lost-reason-list"),
    path(
        "crm/settings/lost-reasons/<int:reason_id>/toggle/", lost_reason_toggle, name="crm-lost-reason-toggle"
    ),
]
