"""Pages of the sales pipeline: the kanban board (a column per stage with its open
opportunities, moved by drag and drop, by the arrow keys or by each card's "Move to"
control — all three post the same form), and the opportunity's page with its edit form,
Won / Lost / Reopen and "New quotation".

A sales rep sees the team's opportunities and changes only their own: cards of others
show without the move control, and their pages without the buttons (the services refuse
anyway).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.core.models import Scope
from kantoor.crm import selectors, services
from kantoor.crm.models import Opportunity, OpportunityState
from kantoor.parties import selectors as party_selectors
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission
from kantoor.web.views.crm import (
    MANAGE_OPPORTUNITY,
    STALE_MESSAGE,
    VIEW_OPPORTUNITY,
    activity_panel_url,
    choice_field,
    int_or_none,
    refuse,
    team_choices,
    url_or_empty,
    user_choices,
)

MINE, TEAM, ALL = "mine", "team", "all"
VIEW_LABELS = {MINE: gettext_lazy("Mine"), TEAM: gettext_lazy("My team"), ALL: gettext_lazy("All")}
QUOTE = "sales.manage_order"


# ---- the board ------------------------------------------------------------------------


class BoardFilter:
    """Whose opportunities the board shows: mine, my team's or all (as far as the policy
    lets the user see), optionally one owner's."""

    def __init__(self, request: AuthedRequest, params: QueryDict) -> None:
        user = request.user
        scope = policy.scope_for(user, VIEW_OPPORTUNITY)
        self.teams = policy.team_ids_of(user)
        self.views = [MINE]
        if scope in (Scope.TEAM, Scope.COMPANY) and (self.teams or scope == Scope.TEAM):
            self.views.append(TEAM)
        if scope == Scope.COMPANY:
            self.views.append(ALL)
        default = ALL if ALL in self.views else (TEAM if TEAM in self.views else MINE)
        requested = params.get("view") or ""
        self.view: str = requested if requested in self.views else default
        self.scope = scope
        self.owner = int_or_none(params.get("owner")) if self.view != MINE else None
        self.user_id = user.pk

    def selector_args(self) -> tuple[int | None, int | None]:
        """The board selector's (owner_id, team_id). With a team scope the policy already limits the
        board to the team's (own and teammates'), so "My team" adds nothing; with a company
        scope it means the opportunities of the user's (first) team."""
        if self.view == MINE:
            return self.user_id, None
        team = self.teams[0] if self.view == TEAM and self.scope == Scope.COMPANY and self.teams else None
        return self.owner, team

    def query(self) -> dict[str, str]:
        values = {"view": self.view}
        if self.owner is not None:
            values["owner"] = str(self.owner)
        return values

    def options(self) -> list[tuple[str, Any]]:
        return [(view, VIEW_LABELS[view]) for view in self.views]


def _board_context(request: AuthedRequest, board_filter: BoardFilter, **extra: Any) -> dict[str, Any]:
    user = request.user
    owner_id, team_id = board_filter.selector_args()
    board = selectors.board(user, owner_id=owner_id, team_id=team_id)
    movable = {
        item.pk
        for column in board.columns
        for item in column.opportunities
        if policy.allows(user, MANAGE_OPPORTUNITY, item)
    }
    return {
        "board": board,
        "movable": movable,
        "stages": [column.stage for column in board.columns],
        "filter": board_filter,
        "filter_query": urlencode(board_filter.query()),
        "users": user_choices(request),
        "can_create": policy.has_permission(user, MANAGE_OPPORTUNITY),
        "message": "",
        "message_level": "",
        **extra,
    }


@page
def pipeline(request: AuthedRequest) -> HttpResponse:
    """The kanban board of the open opportunities."""
    require_permission(request, VIEW_OPPORTUNITY)
    context = _board_context(request, BoardFilter(request, request.GET))
    if request.htmx and request.htmx.target == "crm-board":
        return render(request, "web/crm/pipeline.html#board", context)
    return render(request, "web/crm/pipeline.html", context)


@require_POST
@page
def opportunity_move(request: AuthedRequest, opportunity_id: int) -> HttpResponse:
    """Move a card to another stage. With HTMX the answer is the re-rendered board with a
    message (also when the move was refused: a stale card shows as it is now); without
    JavaScript a redirect back to the board."""
    require_permission(request, MANAGE_OPPORTUNITY)
    board_filter = BoardFilter(request, request.POST)
    item = selectors.opportunity_get_for_actor(request.user, opportunity_id)
    stage_id = int_or_none(request.POST.get("stage_id"))
    level, message = "success", ""
    try:
        moved = services.opportunity_move(
            actor=request.user,
            opportunity_id=item.pk,
            stage_id=stage_id if stage_id is not None else 0,
            version=int_or_none(request.POST.get("version")),
        )
    except StaleVersionError:
        level = "error"
        message = _(
            "Someone else changed “%(name)s” in the meantime, so it was not moved. The board now shows "
            "it as it is; move it again if you still want to."
        ) % {"name": item.name}
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        level, message = "error", exc.message
    else:
        message = _("“%(name)s” moved to %(stage)s.") % {"name": moved.name, "stage": moved.stage.name}
    if request.htmx:
        context = _board_context(request, board_filter, message=message, message_level=level)
        return render(request, "web/crm/pipeline.html#board", context)
    (messages.success if level == "success" else messages.error)(request, message)
    return redirect(reverse("web:crm-pipeline") + "?" + urlencode(board_filter.query()))


# ---- the opportunity ------------------------------------------------------------------


def _detail_context(request: AuthedRequest, item: Opportunity, **extra: Any) -> dict[str, Any]:
    user = request.user
    can_change = selectors.opportunity_can_change(user, item)
    quotations = selectors.opportunity_quotations(user, item)
    return {
        "item": item,
        "can_change": can_change,
        "can_edit": can_change and item.is_open,
        "can_win": can_change and item.can_transition_to(OpportunityState.WON),
        "can_lose": can_change and item.can_transition_to(OpportunityState.LOST),
        "can_reopen": can_change and item.can_transition_to(OpportunityState.OPEN),
        "can_quote": can_change and item.is_open and policy.has_permission(user, QUOTE),
        "lost_reasons": selectors.lost_reasons(user) if can_change and item.is_open else [],
        "quotations": [(order, url_or_empty("web:sales-order-detail", order.pk)) for order in quotations],
        "party_url": url_or_empty("web:party-detail", item.party_id),
        "lead_url": url_or_empty("web:crm-lead-detail", item.lead_id) if item.lead_id else "",
        "activity_panel_url": activity_panel_url(request, f"crm.opportunity:{item.pk}"),
        "lose_errors": {},
        **extra,
    }


@page
def opportunity_detail(request: AuthedRequest, opportunity_id: int) -> HttpResponse:
    require_permission(request, VIEW_OPPORTUNITY)
    item = selectors.opportunity_get_for_actor(request.user, opportunity_id)
    return render(request, "web/crm/opportunity_detail.html", _detail_context(request, item))


class OpportunityForm(forms.Form):
    """The opportunity's fields; names match the service's, so its field errors land here."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    stage = forms.TypedChoiceField(label=gettext_lazy("Stage"), coerce=int, empty_value=None)
    expected_revenue = forms.DecimalField(
        label=gettext_lazy("Expected revenue"), min_value=0, max_digits=20, decimal_places=2, localize=True
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    probability = forms.DecimalField(
        label=gettext_lazy("Probability %"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        localize=True,
        required=False,
        help_text=gettext_lazy("Empty: the stage's probability."),
    )
    close_date = forms.DateField(
        label=gettext_lazy("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    owner = forms.TypedChoiceField(label=gettext_lazy("Owner"), coerce=int, empty_value=None, required=False)
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), coerce=int, empty_value=None, required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        stages: list[tuple[int, str]],
        users: list[tuple[int, str]],
        teams: list[tuple[int, str]],
        may_assign: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "stage").choices = stages
        choice_field(self, "team").choices = [("", "—"), *teams]
        if may_assign:
            choice_field(self, "owner").choices = [("", "—"), *users]
        else:  # a rep's opportunities stay their own
            del self.fields["owner"]


@page
def opportunity_edit(request: AuthedRequest, opportunity_id: int) -> HttpResponse:
    require_permission(request, MANAGE_OPPORTUNITY)
    user = request.user
    item = selectors.opportunity_get_for_actor(user, opportunity_id)
    if not item.is_open or not selectors.opportunity_can_change(user, item):
        raise PermissionDenied
    initial = {
        "name": item.name,
        "stage": item.stage_id,
        "expected_revenue": item.expected_revenue,
        "currency": item.currency,
        "probability": item.probability.normalize(),
        "close_date": item.close_date,
        "owner": item.owner_id,
        "team": item.team_id,
        "notes": item.notes,
        "version": item.version,
    }
    form = OpportunityForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        stages=[(s.pk, s.name) for s in selectors.pipeline_stages(user)],
        users=user_choices(request),
        teams=team_choices(request),
        may_assign=policy.scope_for(user, MANAGE_OPPORTUNITY) in (Scope.TEAM, Scope.COMPANY),
    )

    def show(status: int) -> HttpResponse:
        return render(request, "web/crm/opportunity_form.html", {"item": item, "form": form}, status=status)

    if request.method != "POST" or not form.is_valid():
        return show(422 if request.method == "POST" else 200)
    # Only what the user changed, so that saving the notes keeps a probability set by the
    # stage; a new stage without a probability of its own takes the stage's.
    changes = {
        name: form.cleaned_data[name]
        for name in form.changed_data
        if name in form.fields and name != "version"
    }
    if "probability" in changes and changes["probability"] is None:
        del changes["probability"]
    try:
        services.opportunity_update(
            actor=user,
            opportunity_id=item.pk,
            version=form.cleaned_data["version"]
            if form.cleaned_data["version"] is not None
            else item.version,
            changes=changes,
        )
    except StaleVersionError:
        form.add_error(None, STALE_MESSAGE)
        return show(409)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc)
        return show(exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect("web:crm-opportunity-detail", item.pk)


@require_POST
@page
def opportunity_win(request: AuthedRequest, opportunity_id: int) -> HttpResponse:
    require_permission(request, MANAGE_OPPORTUNITY)
    try:
        item = services.opportunity_win(
            actor=request.user,
            opportunity_id=opportunity_id,
            version=int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        refuse(request, exc)
    else:
        messages.success(request, _("“%(name)s” is won.") % {"name": item.name})
    return redirect("web:crm-opportunity-detail", opportunity_id)


@require_POST
@page
def opportunity_lose(request: AuthedRequest, opportunity_id: int) -> HttpResponse:
    """Mark the opportunity lost with a reason; a missing reason shows on the page (422)."""
    require_permission(request, MANAGE_OPPORTUNITY)
    try:
        item = services.opportunity_lose(
            actor=request.user,
            opportunity_id=opportunity_id,
            lost_reason_id=int_or_none(request.POST.get("lost_reason")) or 0,
            note=request.POST.get("note", "")[:5000],
            version=int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        if exc.status in (403, 404) or not exc.field_errors:
            refuse(request, exc)
            return redirect("web:crm-opportunity-detail", opportunity_id)
        item = selectors.opportunity_get_for_actor(request.user, opportunity_id)
        context = _detail_context(
            request,
            item,
            lose_errors=exc.field_errors,
            lose_note=request.POST.get("note", "")[:5000],
            show_lose=True,
        )
        return render(request, "web/crm/opportunity_detail.html", context, status=exc.status)
    messages.success(request, _("“%(name)s” is lost.") % {"name": item.name})
    return redirect("web:crm-opportunity-detail", opportunity_id)


@require_POST
@page
def opportunity_reopen(request: AuthedRequest, opportunity_id: int) -> HttpResponse:
    require_permission(request, MANAGE_OPPORTUNITY)
    try:
        item = services.opportunity_reopen(
            actor=request.user,
            opportunity_id=opportunity_id,
            version=int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        refuse(request, exc)
    else:
        messages.success(
            request,
            _("“%(name)s” is open again, in %(stage)s.") % {"name": item.name, "stage": item.stage.name},
        )
    return redirect("web:crm-opportunity-detail", opportunity_id)


@require_POST
@page
def opportunity_quotation(request: AuthedRequest, opportunity_id: int) -> HttpResponse:
    """A new draft quotation for the opportunity's party, opened in its form."""
    require_permission(request, MANAGE_OPPORTUNITY)
    try:
        order = services.opportunity_quotation_create(actor=request.user, opportunity_id=opportunity_id)
    except DomainError as exc:
        refuse(request, exc)
        return redirect("web:crm-opportunity-detail", opportunity_id)
    messages.success(request, _("A draft quotation was made for the opportunity."))
    target = url_or_empty("web:sales-order-edit", order.pk) or url_or_empty(
        "web:sales-order-detail", order.pk
    )
    return redirect(target or reverse("web:crm-opportunity-detail", args=[opportunity_id]))


# ---- the list and a new opportunity ---------------------------------------------------


STATE_TABS = [("", gettext_lazy("All")), *OpportunityState.choices]
LIST_ORDER = Ordering("created_at", descending=True, is_datetime=True)
PAGE_SIZE = 25
COUNT_CAP = 1000
PARTY_CHOICES_CAP = 500


@page
def opportunity_list(request: AuthedRequest) -> HttpResponse:
    """Every opportunity the user sees, won and lost ones too (the board shows the open)."""
    require_permission(request, VIEW_OPPORTUNITY)
    params = request.GET
    state = params.get("state", "") if params.get("state") in OpportunityState.values else ""
    owner = int_or_none(params.get("owner"))
    stage = int_or_none(params.get("stage"))
    q = params.get("q", "").strip()[:100]
    items = selectors.opportunities_list(request.user, q=q, state=state, owner_id=owner, stage_id=stage)
    result = keyset_page(
        items, LIST_ORDER, after=params.get("after", ""), before=params.get("before", ""), size=PAGE_SIZE
    )
    count = items.order_by()[: COUNT_CAP + 1].count()
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
        "owner": owner,
        "stage": stage,
        "stages": selectors.pipeline_stages(request.user, include_inactive=True),
        "q": q,
        "tabs": STATE_TABS,
        "users": user_choices(request),
        "can_create": policy.has_permission(request.user, MANAGE_OPPORTUNITY),
    }
    if request.htmx and request.htmx.target == "opportunity-results":
        return render(request, "web/crm/opportunity_list.html#results", context)
    return render(request, "web/crm/opportunity_list.html", context)


class NewOpportunityForm(OpportunityForm):
    """A new opportunity: its party besides the opportunity's fields."""

    party = forms.TypedChoiceField(label=gettext_lazy("Customer"), coerce=int, empty_value=None)
    field_order = ["name", "party"]

    def __init__(self, *args: Any, parties: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "party").choices = [("", "—"), *parties]
        self.fields["currency"].required = False


@page
def opportunity_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE_OPPORTUNITY)
    user = request.user
    stages = selectors.pipeline_stages(user)
    visible_parties = party_selectors.parties_list(user).order_by("name", "id")[:PARTY_CHOICES_CAP]
    teams = policy.team_ids_of(user)
    form = NewOpportunityForm(
        request.POST if request.method == "POST" else None,
        initial={
            "party": int_or_none(request.GET.get("party")),
            "stage": stages[0].pk if stages else None,
            "currency": user.company.base_currency if user.company else "",
            "expected_revenue": 0,
            "owner": user.pk,
            "team": teams[0] if teams else None,
        },
        stages=[(s.pk, s.name) for s in stages],
        users=user_choices(request),
        teams=team_choices(request),
        may_assign=policy.scope_for(user, MANAGE_OPPORTUNITY) in (Scope.TEAM, Scope.COMPANY),
        parties=[(p.pk, p.name) for p in visible_parties],
    )

    def show(status: int) -> HttpResponse:
        return render(request, "web/crm/opportunity_form.html", {"item": None, "form": form}, status=status)

    if request.method != "POST" or not form.is_valid():
        return show(422 if request.method == "POST" else 200)
    values = {name: value for name, value in form.cleaned_data.items() if name != "version"}
    if values.get("currency") is None:
        values["currency"] = ""
    try:
        item = services.opportunity_create(actor=user, **values)
    except DomainError as exc:
        if exc.status == 404:
            raise
        form_add_domain_error(form, exc)
        return render(
            request, "web/crm/opportunity_form.html", {"item": None, "form": form}, status=exc.status
        )
    messages.success(request, _("Opportunity “%(name)s” was saved.") % {"name": item.name})
    return redirect("web:crm-opportunity-detail", item.pk)


urlpatterns: list[URLPattern] = [
    path("crm/pipeline/", pipeline, name="crm-pipeline"),
    path("crm/opportunities/", opportunity_list, name="crm-opportunity-list"),
    path("crm/opportunities/new/", opportunity_create, name="crm-opportunity-create"),
    path("crm/opportunities/<int:opportunity_id>/", opportunity_detail, name="crm-opportunity-detail"),
    path("crm/opportunities/<int:opportunity_id>/edit/", opportunity_edit, name="crm-opportunity-edit"),
    path("crm/opportunities/<int:opportunity_id>/move/", opportunity_move, name="crm-opportunity-move"),
    path("crm/opportunities/<int:opportunity_id>/win/", opportunity_win, name="crm-opportunity-win"),
    path("crm/opportunities/<int:opportunity_id>/lose/", opportunity_lose, name="crm-opportunity-lose"),
    path("crm/opportunities/<int:opportunity_id>/reopen/", opportunity_reopen, name="crm-opportunity-reopen"),
    path(
        "crm/opportunities/<int:opportunity_id>/quotation/",
        opportunity_quotation,
        name="crm-opportunity-quotation",
    ),
]
