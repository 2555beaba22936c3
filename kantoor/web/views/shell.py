"""The shell around every app: the home dashboard, global search and the language switch."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from kantoor.core import policy, registry
from kantoor.core import selectors as core_selectors
from kantoor.core import services as core_services
from kantoor.core.errors import PermissionDeniedError
from kantoor.core.models import Role, User
from kantoor.parties import selectors as party_selectors
from kantoor.parties.models import PartyRole, PartyRoleType
from kantoor.web.forms import LanguageForm
from kantoor.web.shortcuts import AuthedRequest, page, safe_next

SEARCH_LIMIT = 8
LANGUAGE_SESSION_KEY = "kantoor_language"  # read by core.middleware.UserLanguageMiddleware


def _dashboard(user: User) -> dict[str, Any]:
    """The tiles a user's roles call for; every number is one aggregate query."""
    roles = policy.roles_of(user)
    tiles: dict[str, Any] = {}
    if policy.has_permission(user, "parties.view_party"):
        visible = party_selectors.parties_list(user)
        tiles["parties"] = visible.aggregate(
            total=Count("pk"),
            organisations=Count("pk", filter=Q(kind="organisation")),
            persons=Count("pk", filter=Q(kind="person")),
        )
        if Role.SALES in roles or Role.SERVICE in roles or Role.MARKETING in roles:
            mine = party_selectors.parties_list(user, owner_id=user.pk)
            tiles["mine"] = mine.aggregate(
                customers=Count("pk", filter=Q(roles__role=PartyRoleType.CUSTOMER), distinct=True),
                prospects=Count("pk", filter=Q(roles__role=PartyRoleType.PROSPECT), distinct=True),
            )
            tiles["recent"] = list(
                mine.order_by("-created_at", "-id").values("pk", "name", "kind", "created_at")[:5]
            )
        if Role.MANAGEMENT in roles or Role.ADMIN in roles:
            by_role = dict(
                PartyRole.objects.filter(party__in=visible.values("pk"))
                .values_list("role")
                .annotate(n=Count("id"))
                .values_list("role", "n")
            )
            tiles["by_role"] = [(label, by_role.get(value, 0)) for value, label in PartyRoleType.choices]
    if policy.has_permission(user, "core.manage_users"):
        tiles["people"] = {
            "users": core_selectors.users_visible(user).filter(is_active=True).count(),
            "teams": core_selectors.teams_visible(user).count(),
        }
    return tiles


@page
def home(request: AuthedRequest) -> HttpResponse:
    return render(request, "web/home.html", {"tiles": _dashboard(request.user)})


def search_hits(user: Any, query: str) -> list[dict[str, Any]]:
    """Hits of every registered provider, each with its URL resolved."""
    hits: list[dict[str, Any]] = []
    if len(query.strip()) < 2:
        return hits
    for provider in registry.search_providers.values():
        for hit in provider(user, query.strip(), SEARCH_LIMIT):
            try:
                url = reverse(hit.url_name, args=hit.url_args)
            except NoReverseMatch:  # a provider whose page is not built yet
                continue
            hits.append({"kind": hit.kind, "title": hit.title, "subtitle": hit.subtitle, "url": url})
    return hits


@page
def search(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    context = {"query": query, "search_query": query, "hits": search_hits(request.user, query)}
    template = "web/search.html#results" if request.htmx else "web/search.html"
    return render(request, template, context)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: saved on the user when signed in, and in the session
    (the login page offers the switch before anyone is signed in)."""
    form = LanguageForm(request.POST)
    if form.is_valid():
        language = form.cleaned_data["language"]
        request.session[LANGUAGE_SESSION_KEY] = language
        if request.user.is_authenticated:
            # A user of no company (a bare superuser): session only.
            with contextlib.suppress(PermissionDeniedError):
                core_services.user_set_own_preferences(actor=request.user, language=language)
    return redirect(safe_next(request, reverse("web:home")))
