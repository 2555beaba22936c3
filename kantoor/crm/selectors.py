"""Reads of the crm app, scoped to the actor's company, roles and object scope: leads,
opportunities, the pipeline board, the weighted forecast and the pipeline totals.

Sums are computed in SQL (ARCHITECTURE §7): the forecast is one GROUP BY per grouping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.registry import SearchHit
from kantoor.crm.models import (
    Lead,
    LeadState,
    LostReason,
    Opportunity,
    OpportunityState,
    PipelineStage,
    ScoringWeight,
    WebForm,
)
from kantoor.parties.models import Party
from kantoor.parties.selectors import DuplicateMatch, party_duplicates

VIEW_LEAD = "crm.view_lead"
CREATE_LEAD = "crm.create_lead"
MANAGE_LEAD = "crm.manage_lead"
VIEW_OPPORTUNITY = "crm.view_opportunity"
MANAGE_OPPORTUNITY = "crm.manage_opportunity"
VIEW_SETTINGS = "crm.view_settings"
MANAGE_SETTINGS = "crm.manage_settings"
ZERO = Decimal(0)
HUNDRED = Decimal(100)

# Installed the first time a company's pipeline is read (names stored untranslated: they
# are the company's own data from then on, renamed freely).
DEFAULT_STAGES: tuple[tuple[str, int, Decimal], ...] = (
    (gettext_noop("New"), 10, Decimal(10)),
    (gettext_noop("Qualified"), 20, Decimal(30)),
    (gettext_noop("Proposal"), 30, Decimal(60)),
    (gettext_noop("Negotiation"), 40, Decimal(80)),
)


def _not_found() -> NotFoundError:
    return NotFoundError(_("Not found."))


# ---- leads


def leads_visible(actor: policy.Actor) -> QuerySet[Lead]:
    """Every lead the actor may see (none without crm.view_lead)."""
    return policy.filter_queryset(actor, VIEW_LEAD, Lead.objects.select_related("owner", "team", "party"))


def leads_list(
    actor: policy.Actor,
    *,
    q: str = "",
    state: str = "",
    source: str = "",
    channel: str = "",
    owner_id: int | None = None,
    team_id: int | None = None,
    min_score: int | None = None,
) -> QuerySet[Lead]:
    """Visible leads, filtered; newest first."""
    leads = leads_visible(actor)
    if q:
        leads = leads.filter(
            Q(contact_name__icontains=q) | Q(organisation_name__icontains=q) | Q(email__icontains=q)
        )
    if state:
        leads = leads.filter(state=state)
    if source:
        leads = leads.filter(source=source)
    if channel:
        leads = leads.filter(channel=channel)
    if owner_id is not None:
        leads = leads.filter(owner_id=owner_id)
    if team_id is not None:
        leads = leads.filter(team_id=team_id)
    if min_score is not None:
        leads = leads.filter(score__gte=min_score)
    return leads.order_by("-created_at", "-id")


def lead_get_for_actor(actor: policy.Actor, lead_id: int) -> Lead:
    """The lead (404 when it is another company's or out of the actor's scope)."""
    lead = leads_visible(actor).filter(pk=lead_id).first() if isinstance(lead_id, int) else None
    if lead is None:
        raise _not_found()
    return lead


def lead_party_candidates(actor: policy.Actor, lead_id: int) -> list[DuplicateMatch]:
    """Existing parties the lead may be (same e-mail or organisation/contact name), to
    offer before conversion: link one of them instead of creating a duplicate."""
    lead = lead_get_for_actor(actor, lead_id)
    matches: dict[int, DuplicateMatch] = {}
    names = [n for n in (lead.organisation_name, lead.contact_name) if n]
    for index, name in enumerate(names):
        for match in party_duplicates(
            company_id=lead.company_id,
            name=name,
            vat_number="",
            emails=[lead.email.lower()] if lead.email and index == 0 else [],
        ):
            matches.setdefault(match.party_id, match)
    if not matches:
        return []
    visible = set(
        policy.filter_queryset(actor, "parties.view_party", Party.objects.filter(pk__in=matches)).values_list(
            "pk", flat=True
        )
    )
    return [m for pk, m in matches.items() if pk in visible]


def lead_can_change(actor: policy.Actor, lead: Lead) -> bool:
    """Whether the actor may edit, qualify, disqualify or convert this lead (for buttons)."""
    return policy.allows(actor, MANAGE_LEAD, lead)


# ---- opportunities


def opportunities_visible(actor: policy.Actor) -> QuerySet[Opportunity]:
    return policy.filter_queryset(
        actor,
        VIEW_OPPORTUNITY,
        Opportunity.objects.select_related("party", "stage", "owner", "team", "lost_reason"),
    )


def opportunities_list(
    actor: policy.Actor,
    *,
    q: str = "",
    state: str = "",
    stage_id: int | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    party_id: int | None = None,
    close_from: dt.date | None = None,
    close_to: dt.date | None = None,
) -> QuerySet[Opportunity]:
    """Visible opportunities, filtered; newest first."""
    items = opportunities_visible(actor)
    if q:
        items = items.filter(Q(name__icontains=q) | Q(party__name__icontains=q))
    if state:
        items = items.filter(state=state)
    if stage_id is not None:
        items = items.filter(stage_id=stage_id)
    if owner_id is not None:
        items = items.filter(owner_id=owner_id)
    if team_id is not None:
        items = items.filter(team_id=team_id)
    if party_id is not None:
        items = items.filter(party_id=party_id)
    if close_from is not None:
        items = items.filter(close_date__gte=close_from)
    if close_to is not None:
        items = items.filter(close_date__lte=close_to)
    return items.order_by("-created_at", "-id")


def opportunity_get_for_actor(actor: policy.Actor, opportunity_id: int) -> Opportunity:
    item = (
        opportunities_visible(actor).filter(pk=opportunity_id).first()
        if isinstance(opportunity_id, int)
        else None
    )
    if item is None:
        raise _not_found()
    return item


def opportunity_can_change(actor: policy.Actor, opportunity: Opportunity) -> bool:
    return policy.allows(actor, MANAGE_OPPORTUNITY, opportunity)


def opportunity_quotations(actor: policy.Actor, opportunity: Opportunity) -> list[Any]:
    """The quotations and orders made for the opportunity that the actor may see."""
    from kantoor.sales.models import SalesOrder

    return list(
        policy.filter_queryset(
            actor, "sales.view_order", SalesOrder.objects.filter(origin=opportunity.origin)
        ).order_by("-id")
    )


# ---- configuration


def stages_install_defaults(company_id: int) -> None:
    """Give a company without any stage the default pipeline (idempotent: a concurrent
    second install conflicts on the unique name and adds nothing)."""
    if PipelineStage.objects.filter(company_id=company_id).exists():
        return
    PipelineStage.objects.bulk_create(
        [
            PipelineStage(company_id=company_id, name=name, sequence=sequence, probability=probability)
            for name, sequence, probability in DEFAULT_STAGES
        ],
        ignore_conflicts=True,
    )


def pipeline_stages(actor: policy.Actor, *, include_inactive: bool = False) -> list[PipelineStage]:
    """The company's pipeline stages in order (installing the defaults the first time)."""
    company_id = policy.actor_company_id(actor)
    if not policy.has_permission(actor, VIEW_OPPORTUNITY) and not policy.has_permission(actor, VIEW_SETTINGS):
        return []
    stages_install_defaults(company_id)
    stages = PipelineStage.objects.filter(company_id=company_id)
    if not include_inactive:
        stages = stages.filter(is_active=True)
    return list(stages.order_by("sequence", "id"))


def lost_reasons(actor: policy.Actor, *, include_inactive: bool = False) -> list[LostReason]:
    company_id = policy.actor_company_id(actor)
    reasons = LostReason.objects.filter(company_id=company_id)
    if not include_inactive:
        reasons = reasons.filter(is_active=True)
    return list(reasons.order_by("name"))


def web_forms(actor: policy.Actor) -> list[WebForm]:
    """The company's public lead forms (for those who may configure the CRM)."""
    if not policy.has_permission(actor, MANAGE_SETTINGS):
        return []
    return list(
        WebForm.objects.filter(company_id=policy.actor_company_id(actor))
        .select_related("owner", "team")
        .order_by("name")
    )


def scoring_weights(actor: policy.Actor) -> dict[str, int]:
    """Every scoring rule's points for the actor's company (defaults where not set)."""
    from kantoor.crm.scoring import weights_for

    return weights_for(policy.actor_company_id(actor))


def company_scoring_overrides(company_id: int) -> dict[str, int]:
    return dict(ScoringWeight.objects.filter(company_id=company_id).values_list("rule", "points"))


# ---- board, forecast, totals


def _for_sums(actor: policy.Actor) -> QuerySet[Opportunity]:
    """The visible opportunities as a plain filter by id, fit for GROUP BY: the team scope
    joins the owner's teams and deduplicates with DISTINCT, which would not stop a sum from
    counting an opportunity once per team its owner shares with the actor."""
    visible = policy.filter_queryset(actor, VIEW_OPPORTUNITY, Opportunity.objects.all())
    return Opportunity.objects.filter(pk__in=visible.order_by().values("pk"))


def _weighted() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("expected_revenue") * F("probability") / Value(HUNDRED),
        output_field=DecimalField(max_digits=30, decimal_places=6),
    )


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


@dataclass
class BoardColumn:
    stage: PipelineStage
    opportunities: list[Opportunity] = field(default_factory=list)
    count: int = 0
    expected: Decimal = ZERO
    weighted: Decimal = ZERO


@dataclass
class Board:
    columns: list[BoardColumn]
    count: int
    expected: Decimal
    weighted: Decimal


def board(
    actor: policy.Actor,
    *,
    owner_id: int | None = None,
    team_id: int | None = None,
    per_stage: int = 100,
) -> Board:
    """The kanban board: every active stage with its open opportunities (soonest close date
    first, at most `per_stage` cards), their count and expected and weighted sums. Three
    queries whatever the number of stages."""
    stages = pipeline_stages(actor)
    open_items = _for_sums(actor).filter(state=OpportunityState.OPEN)
    if owner_id is not None:
        open_items = open_items.filter(owner_id=owner_id)
    if team_id is not None:
        open_items = open_items.filter(team_id=team_id)
    totals = {
        row["stage_id"]: row
        for row in open_items.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), expected=Sum("expected_revenue"), weighted=Sum(_weighted()))
    }
    columns = {s.pk: BoardColumn(stage=s) for s in stages}
    for stage_id, row in totals.items():
        if stage_id in columns:
            column = columns[stage_id]
            column.count = row["n"]
            column.expected = _money(row["expected"])
            column.weighted = _money(row["weighted"])
    cards = (
        open_items.select_related("party", "stage", "owner", "team")
        .filter(stage_id__in=list(columns))
        .order_by(F("close_date").asc(nulls_last=True), "id")
    )
    for item in cards:
        column = columns[item.stage_id]
        if len(column.opportunities) < per_stage:
            column.opportunities.append(item)
    ordered = [columns[s.pk] for s in stages]
    return Board(
        columns=ordered,
        count=sum(c.count for c in ordered),
        expected=sum((c.expected for c in ordered), ZERO),
        weighted=sum((c.weighted for c in ordered), ZERO),
    )


@dataclass(frozen=True)
class ForecastRow:
    """One month (first day) or one owner of the forecast, in one currency."""

    key: Any  # a date (month) or an owner id (None: nobody)
    label: str
    currency: str
    count: int
    expected: Decimal
    weighted: Decimal


def _forecast_base(
    actor: policy.Actor,
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    team_id: int | None,
    owner_id: int | None,
) -> QuerySet[Opportunity]:
    items = _for_sums(actor).filter(state=OpportunityState.OPEN)
    if date_from is not None:
        items = items.filter(close_date__gte=date_from)
    if date_to is not None:
        items = items.filter(close_date__lte=date_to)
    if team_id is not None:
        items = items.filter(team_id=team_id)
    if owner_id is not None:
        items = items.filter(owner_id=owner_id)
    return items.order_by()


def forecast_by_month(
    actor: policy.Actor,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    team_id: int | None = None,
    owner_id: int | None = None,
) -> list[ForecastRow]:
    """Open opportunities by month of their expected close date (no date: left out), per
    currency: how many, Σ expected revenue and Σ expected × probability / 100."""
    rows = (
        _forecast_base(actor, date_from=date_from, date_to=date_to, team_id=team_id, owner_id=owner_id)
        .filter(close_date__isnull=False)
        .annotate(month=TruncMonth("close_date"))
        .values("month", "currency")
        .annotate(n=Count("id"), expected=Sum("expected_revenue"), weighted=Sum(_weighted()))
        .order_by("month", "currency")
    )
    result = []
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        result.append(
            ForecastRow(
                key=month,
                label=month.strftime("%Y-%m"),
                currency=row["currency"],
                count=row["n"],
                expected=_money(row["expected"]),
                weighted=_money(row["weighted"]),
            )
        )
    return result


def forecast_by_owner(
    actor: policy.Actor,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    team_id: int | None = None,
) -> list[ForecastRow]:
    """Open opportunities per owner and currency, largest weighted amount first."""
    rows = (
        _forecast_base(actor, date_from=date_from, date_to=date_to, team_id=team_id, owner_id=None)
        .values("owner_id", "owner__first_name", "owner__last_name", "owner__username", "currency")
        .annotate(n=Count("id"), expected=Sum("expected_revenue"), weighted=Sum(_weighted()))
    )
    result = []
    for row in rows:
        full = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
        label = full or row["owner__username"] or _("Nobody")
        result.append(
            ForecastRow(
                key=row["owner_id"],
                label=label,
                currency=row["currency"],
                count=row["n"],
                expected=_money(row["expected"]),
                weighted=_money(row["weighted"]),
            )
        )
    result.sort(key=lambda r: (-r.weighted, r.label))
    return result


@dataclass(frozen=True)
class PipelineTotals:
    currency: str
    open_count: int
    open_expected: Decimal
    open_weighted: Decimal
    won_count: int
    won_amount: Decimal
    lost_count: int
    lost_amount: Decimal


def pipeline_totals(
    actor: policy.Actor, *, team_id: int | None = None, owner_id: int | None = None
) -> list[PipelineTotals]:
    """Per currency: open count, expected and weighted; won and lost counts and amounts.
    One query."""
    items = _for_sums(actor).order_by()
    if team_id is not None:
        items = items.filter(team_id=team_id)
    if owner_id is not None:
        items = items.filter(owner_id=owner_id)
    dec: DecimalField[Decimal, Decimal] = DecimalField(max_digits=30, decimal_places=6)
    is_open = Q(state=OpportunityState.OPEN)
    is_won = Q(state=OpportunityState.WON)
    is_lost = Q(state=OpportunityState.LOST)
    rows = (
        items.values("currency")
        .annotate(
            open_count=Count("id", filter=is_open),
            open_expected=Coalesce(Sum("expected_revenue", filter=is_open), Value(ZERO), output_field=dec),
            open_weighted=Coalesce(Sum(_weighted(), filter=is_open), Value(ZERO), output_field=dec),
            won_count=Count("id", filter=is_won),
            won_amount=Coalesce(Sum("expected_revenue", filter=is_won), Value(ZERO), output_field=dec),
            lost_count=Count("id", filter=is_lost),
            lost_amount=Coalesce(Sum("expected_revenue", filter=is_lost), Value(ZERO), output_field=dec),
        )
        .order_by("currency")
    )
    return [
        PipelineTotals(
            currency=row["currency"],
            open_count=row["open_count"],
            open_expected=_money(row["open_expected"]),
            open_weighted=_money(row["open_weighted"]),
            won_count=row["won_count"],
            won_amount=_money(row["won_amount"]),
            lost_count=row["lost_count"],
            lost_amount=_money(row["lost_amount"]),
        )
        for row in rows
    ]


def crm_search_hits(actor: Any, query: str, limit: int) -> list[SearchHit]:
    """Global search provider: open leads and opportunities by name, organisation or e-mail."""
    query = query.strip()
    if len(query) < 2:
        return []
    leads = (
        leads_list(actor, q=query)
        .filter(state__in=[LeadState.NEW, LeadState.QUALIFIED])
        .values_list("pk", "contact_name", "organisation_name", "email")[:limit]
    )
    hits = [
        SearchHit(
            kind=_("Lead"),
            title=contact or organisation,
            subtitle=organisation if contact else email,
            url_name="web:crm-lead-detail",
            url_args=(pk,),
        )
        for pk, contact, organisation, email in leads
    ]
    opportunities = opportunities_list(actor, q=query, state=OpportunityState.OPEN).values_list(
        "pk", "name", "party__name"
    )[: max(0, limit - len(hits))]
    hits += [
        SearchHit(
            kind=_("Opportunity"),
            title=name,
            subtitle=party_name,
            url_name="web:crm-opportunity-detail",
            url_args=(pk,),
        )
        for pk, name, party_name in opportunities
    ]
    return hits
