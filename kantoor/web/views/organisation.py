"""Settings pages for administrators: the company's legal details, its users and teams."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core import selectors as core_selectors
from kantoor.core import services as core_services
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.web.forms import TeamForm, UserForm, form_add_domain_error
from kantoor.web.shortcuts import AuthedRequest, page, require_permission


@page
def user_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, "core.manage_users")
    users = core_selectors.users_visible(request.user).prefetch_related("role_assignments", "teams")[:500]
    return render(request, "web/settings/user_list.html", {"users": users})


@page
def user_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, "core.manage_users")
    teams = list(core_selectors.teams_visible(request.user).values_list("pk", "name"))
    form = UserForm(request.POST or None, teams=teams, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = core_services.user_create(
                actor=request.user,
                username=data["username"],
                password=data["password"] or None,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                language=data["language"],
                roles=form.roles(),
                team_ids=data["teams"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("User %(name)s was created.") % {"name": user.username})
            return redirect("web:user-list")
    status = 422 if request.method == "POST" else 200
    return render(request, "web/settings/user_form.html", {"form": form}, status=status)


@page
def team_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, "core.manage_teams")
    teams = core_selectors.teams_visible(request.user).prefetch_related("members")
    return render(request, "web/settings/team_list.html", {"teams": teams})


def _members(request: AuthedRequest) -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in core_selectors.users_visible(request.user).filter(is_active=True)[:500]]


@page
def team_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, "core.manage_teams")
    form = TeamForm(request.POST or None, users=_members(request))
    if request.method == "POST" and form.is_valid():
        try:
            team = core_services.team_create(
                actor=request.user, name=form.cleaned_data["name"], member_ids=form.cleaned_data["members"]
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Team %(name)s was created.") % {"name": team.name})
            return redirect("web:team-list")
    status = 422 if request.method == "POST" else 200
    return render(request, "web/settings/team_form.html", {"form": form, "team": None}, status=status)


@page
def team_edit(request: AuthedRequest, team_id: int) -> HttpResponse:
    require_permission(request, "core.manage_teams")
    team = core_selectors.team_get_for_actor(request.user, team_id)
    initial = {
        "name": team.name,
        "members": list(team.members.values_list("pk", flat=True)),
        "version": team.version,
    }
    form = TeamForm(request.POST or None, users=_members(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            core_services.team_update(
                actor=request.user,
                team_id=team.pk,
                version=form.cleaned_data["version"],
                name=form.cleaned_data["name"],
                member_ids=form.cleaned_data["members"],
            )
        except StaleVersionError:
            form.add_error(
                None, _("Someone else changed this team in the meantime; open it again and retry.")
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:team-list")
    status = 422 if request.method == "POST" else 200
    return render(request, "web/settings/team_form.html", {"form": form, "team": team}, status=status)


class CompanyForm(forms.Form):
    """The company's name and the legal details its invoices show; company_update checks
    and normalises the numbers (VAT, KvK, postal code)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    street = forms.CharField(label=gettext_lazy("Street and number"), max_length=200, required=False)
    postal_code = forms.CharField(label=gettext_lazy("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=gettext_lazy("City"), max_length=100, required=False)
    vat_number = forms.CharField(
        label=gettext_lazy("VAT number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("With the country code, e.g. NL123456782B01."),
    )
    coc_number = forms.CharField(
        label=gettext_lazy("Chamber of Commerce (KvK) number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Dutch KvK numbers have 8 digits."),
    )
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    website = forms.CharField(label=gettext_lazy("Website"), max_length=200, required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


@page
def company_edit(request: AuthedRequest) -> HttpResponse:
    """The company's name and legal details (address, VAT and KvK numbers, contact)."""
    require_permission(request, "core.manage_company")
    company = core_selectors.company_for(request.user)
    initial = {name: getattr(company, name) for name in core_services.COMPANY_FIELDS}
    form = CompanyForm(request.POST or None, initial={**initial, "version": company.version})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            core_services.company_update(actor=request.user, version=version, **data)
        except StaleVersionError:
            form.add_error(
                None, _("Someone else changed the company in the meantime; open it again and retry.")
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("web:company-edit")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "web/settings/company_form.html", {"form": form, "company": company}, status=status
    )
