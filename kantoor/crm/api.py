"""The crm endpoints under /api/v1/: leads (create, change, qualify, disqualify, convert,
CSV import), opportunities (create, change, move on the board, win, lose, reopen, make a
quotation), the pipeline's stages, lost reasons, web forms and scoring weights, the board,
the forecast and the totals — and the public web form, the one part without sign-in."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from kantoor.core.auth import actor_of
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id
from kantoor.crm import imports, selectors, services
from kantoor.crm.errors import LeadImportError
from kantoor.crm.models import Lead, LostReason, Opportunity, PipelineStage, WebForm
from kantoor.crm.schemas import (
    BoardFilters,
    BoardOut,
    CrmVersionIn,
    ForecastFilters,
    ForecastOut,
    LeadConvertIn,
    LeadCreateIn,
    LeadDisqualifyIn,
    LeadFilters,
    LeadImportOut,
    LeadOut,
    LeadPage,
    LeadUpdateIn,
    LostReasonCreateIn,
    LostReasonOut,
    LostReasonUpdateIn,
    OpportunityCreateIn,
    OpportunityFilters,
    OpportunityLoseIn,
    OpportunityMoveIn,
    OpportunityOut,
    OpportunityPage,
    OpportunityUpdateIn,
    PartyCandidateOut,
    PipelineTotalsOut,
    QuotationOut,
    ScoringWeightsIn,
    StageCreateIn,
    StageOrderIn,
    StageOut,
    StageUpdateIn,
    WebFormCreateIn,
    WebFormOut,
    WebFormTokenOut,
    WebFormUpdateIn,
    WebLeadIn,
    WebLeadOut,
)

router = Router(tags=["crm"])

# API names (…_id) → the services' names of the same fields.
_RENAMED = {"owner_id": "owner", "team_id": "team", "party_id": "party", "stage_id": "stage"}


def _renamed(values: dict[str, Any]) -> dict[str, Any]:
    return {_RENAMED.get(k, k): v for k, v in values.items()}


# ---- leads


@router.get("/crm/leads", response=LeadPage)
def list_leads(
    request: HttpRequest, filters: Query[LeadFilters], page: Query[PageParams]
) -> KeysetPage[Lead]:
    """Leads you may see (a rep: own and the team's), newest first."""
    leads = selectors.leads_list(
        actor_of(request),
        q=filters.q,
        state=filters.state or "",
        source=filters.source or "",
        channel=filters.channel or "",
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        min_score=filters.min_score,
    )
    return keyset_page(leads, ordering=["-created_at", "-id"], params=page, name="crm-leads")


@router.post("/crm/leads", response={201: LeadOut})
def create_lead(request: HttpRequest, payload: LeadCreateIn) -> Status:
    """A lead, scored at once; `source` defaults to "api"."""
    values = _renamed(payload.model_dump())
    if values["owner"] is None:
        values.pop("owner")
    if values["team"] is None:
        values.pop("team")
    return Status(201, services.lead_create(actor=actor_of(request), **values))


@router.post("/crm/leads/import", response=LeadImportOut)
def import_leads(request: HttpRequest, file: File[UploadedFile]) -> imports.ImportResult:
    """Leads from a CSV file, all or none: a file with any bad row imports nothing, and the
    problem's `errors` name every row and column at fault ("row 3, column email: …")."""
    if (file.size or 0) > imports.MAX_BYTES:
        raise LeadImportError.for_field("file", _("The file is larger than 5 MB."))
    return imports.leads_import(actor=actor_of(request), content=file.read())


@router.get("/crm/leads/{lead_id}", response=LeadOut)
def get_lead(request: HttpRequest, lead_id: Id) -> Lead:
    return selectors.lead_get_for_actor(actor_of(request), lead_id)


@router.patch("/crm/leads/{lead_id}", response=LeadOut)
def update_lead(request: HttpRequest, lead_id: Id, payload: LeadUpdateIn) -> Lead:
    """Change the fields sent (the lead is scored again); 409 when `version` is stale or the
    lead is converted or disqualified."""
    changes = _renamed(payload.model_dump(exclude_unset=True))
    version = changes.pop("version")
    return services.lead_update(actor=actor_of(request), lead_id=lead_id, version=version, changes=changes)


@router.post("/crm/leads/{lead_id}/qualify", response=LeadOut)
def qualify_lead(request: HttpRequest, lead_id: Id, payload: CrmVersionIn) -> Lead:
    return services.lead_qualify(actor=actor_of(request), lead_id=lead_id, version=payload.version)


@router.post("/crm/leads/{lead_id}/disqualify", response=LeadOut)
def disqualify_lead(request: HttpRequest, lead_id: Id, payload: LeadDisqualifyIn) -> Lead:
    return services.lead_disqualify(
        actor=actor_of(request), lead_id=lead_id, reason=payload.reason, version=payload.version
    )


@router.post("/crm/leads/{lead_id}/reopen", response=LeadOut)
def reopen_lead(request: HttpRequest, lead_id: Id, payload: CrmVersionIn) -> Lead:
    """A disqualified lead back to new."""
    return services.lead_reopen(actor=actor_of(request), lead_id=lead_id, version=payload.version)


@router.get("/crm/leads/{lead_id}/party-candidates", response=list[PartyCandidateOut])
def lead_party_candidates(request: HttpRequest, lead_id: Id) -> list[Any]:
    """Existing parties this lead may be (same e-mail or name): link one when converting."""
    return [m.as_dict() for m in selectors.lead_party_candidates(actor_of(request), lead_id)]


@router.post("/crm/leads/{lead_id}/convert", response=LeadOut)
def convert_lead(request: HttpRequest, lead_id: Id, payload: LeadConvertIn) -> Lead:
    """Into a party (the existing `party_id`, or a new one) and an opportunity, at once. A
    look-alike party answers 409 `duplicate-party` with the candidates in `duplicates`."""
    return services.lead_convert(
        actor=actor_of(request),
        lead_id=lead_id,
        party_id=payload.party_id,
        confirmed_duplicate_ids=payload.confirmed_duplicate_ids,
        opportunity_name=payload.opportunity_name,
        expected_revenue=payload.expected_revenue,
        close_date=payload.close_date,
        stage_id=payload.stage_id,
        version=payload.version,
    )


# ---- opportunities


@router.get("/crm/opportunities", response=OpportunityPage)
def list_opportunities(
    request: HttpRequest, filters: Query[OpportunityFilters], page: Query[PageParams]
) -> KeysetPage[Opportunity]:
    items = selectors.opportunities_list(
        actor_of(request),
        q=filters.q,
        state=filters.state or "",
        stage_id=filters.stage_id,
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        party_id=filters.party_id,
        close_from=filters.close_from,
        close_to=filters.close_to,
    )
    return keyset_page(items, ordering=["-created_at", "-id"], params=page, name="crm-opportunities")


@router.post("/crm/opportunities", response={201: OpportunityOut})
def create_opportunity(request: HttpRequest, payload: OpportunityCreateIn) -> Status:
    """An open opportunity, in the first stage unless `stage_id` is given."""
    values = _renamed(payload.model_dump())
    for name in ("owner", "team"):
        if values[name] is None:
            values.pop(name)
    return Status(201, services.opportunity_create(actor=actor_of(request), **values))


@router.get("/crm/opportunities/{opportunity_id}", response=OpportunityOut)
def get_opportunity(request: HttpRequest, opportunity_id: Id) -> Opportunity:
    return selectors.opportunity_get_for_actor(actor_of(request), opportunity_id)


@router.patch("/crm/opportunities/{opportunity_id}", response=OpportunityOut)
def update_opportunity(request: HttpRequest, opportunity_id: Id, payload: OpportunityUpdateIn) -> Opportunity:
    changes = _renamed(payload.model_dump(exclude_unset=True))
    version = changes.pop("version")
    return services.opportunity_update(
        actor=actor_of(request), opportunity_id=opportunity_id, version=version, changes=changes
    )


@router.post("/crm/opportunities/{opportunity_id}/move", response=OpportunityOut)
def move_opportunity(request: HttpRequest, opportunity_id: Id, payload: OpportunityMoveIn) -> Opportunity:
    """To another stage (the board's drag and drop); the probability becomes the stage's."""
    return services.opportunity_move(
        actor=actor_of(request),
        opportunity_id=opportunity_id,
        stage_id=payload.stage_id,
        version=payload.version,
    )


@router.post("/crm/opportunities/{opportunity_id}/win", response=OpportunityOut)
def win_opportunity(request: HttpRequest, opportunity_id: Id, payload: CrmVersionIn) -> Opportunity:
    return services.opportunity_win(
        actor=actor_of(request), opportunity_id=opportunity_id, version=payload.version
    )


@router.post("/crm/opportunities/{opportunity_id}/lose", response=OpportunityOut)
def lose_opportunity(request: HttpRequest, opportunity_id: Id, payload: OpportunityLoseIn) -> Opportunity:
    return services.opportunity_lose(
        actor=actor_of(request),
        opportunity_id=opportunity_id,
        lost_reason_id=payload.lost_reason_id,
        note=payload.note,
        version=payload.version,
    )


@router.post("/crm/opportunities/{opportunity_id}/reopen", response=OpportunityOut)
def reopen_opportunity(request: HttpRequest, opportunity_id: Id, payload: CrmVersionIn) -> Opportunity:
    return services.opportunity_reopen(
        actor=actor_of(request), opportunity_id=opportunity_id, version=payload.version
    )


@router.post("/crm/opportunities/{opportunity_id}/quotation", response={201: QuotationOut})
def create_opportunity_quotation(request: HttpRequest, opportunity_id: Id) -> Status:
    """A draft quotation in sales for the opportunity's customer (origin: the opportunity)."""
    return Status(
        201, services.opportunity_quotation_create(actor=actor_of(request), opportunity_id=opportunity_id)
    )


# ---- board, forecast, totals


@router.get("/crm/board", response=BoardOut)
def get_board(request: HttpRequest, filters: Query[BoardFilters]) -> selectors.Board:
    """Every active stage with its open opportunities (soonest close first), counts and sums."""
    return selectors.board(actor_of(request), owner_id=filters.owner_id, team_id=filters.team_id)


@router.get("/crm/forecast", response=ForecastOut)
def get_forecast(request: HttpRequest, filters: Query[ForecastFilters]) -> dict[str, Any]:
    """Open opportunities by month of the expected close date and by owner, per currency:
    Σ expected revenue and Σ expected revenue × probability."""
    actor = actor_of(request)
    return {
        "by_month": selectors.forecast_by_month(
            actor,
            date_from=filters.date_from,
            date_to=filters.date_to,
            team_id=filters.team_id,
            owner_id=filters.owner_id,
        ),
        "by_owner": selectors.forecast_by_owner(
            actor, date_from=filters.date_from, date_to=filters.date_to, team_id=filters.team_id
        ),
    }


@router.get("/crm/totals", response=list[PipelineTotalsOut])
def get_pipeline_totals(request: HttpRequest, filters: Query[BoardFilters]) -> list[selectors.PipelineTotals]:
    return selectors.pipeline_totals(actor_of(request), owner_id=filters.owner_id, team_id=filters.team_id)


# ---- configuration


@router.get("/crm/stages", response=list[StageOut])
def list_stages(request: HttpRequest, include_inactive: bool = False) -> list[PipelineStage]:
    return selectors.pipeline_stages(actor_of(request), include_inactive=include_inactive)


@router.post("/crm/stages", response={201: StageOut})
def create_stage(request: HttpRequest, payload: StageCreateIn) -> Status:
    return Status(201, services.stage_create(actor=actor_of(request), **payload.model_dump()))


@router.post("/crm/stages/order", response=list[StageOut])
def order_stages(request: HttpRequest, payload: StageOrderIn) -> list[PipelineStage]:
    """Put every stage in the order given."""
    return services.stages_reorder(actor=actor_of(request), stage_ids=payload.stage_ids)


@router.patch("/crm/stages/{stage_id}", response=StageOut)
def update_stage(request: HttpRequest, stage_id: Id, payload: StageUpdateIn) -> PipelineStage:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    return services.stage_update(actor=actor_of(request), stage_id=stage_id, version=version, changes=changes)


@router.delete("/crm/stages/{stage_id}", response={204: None})
def delete_stage(request: HttpRequest, stage_id: Id) -> Status:
    """Only a stage no opportunity was ever in; deactivate the others."""
    services.stage_delete(actor=actor_of(request), stage_id=stage_id)
    return Status(204, None)


@router.get("/crm/lost-reasons", response=list[LostReasonOut])
def list_lost_reasons(request: HttpRequest, include_inactive: bool = False) -> list[LostReason]:
    return selectors.lost_reasons(actor_of(request), include_inactive=include_inactive)


@router.post("/crm/lost-reasons", response={201: LostReasonOut})
def create_lost_reason(request: HttpRequest, payload: LostReasonCreateIn) -> Status:
    return Status(201, services.lost_reason_create(actor=actor_of(request), name=payload.name))


@router.patch("/crm/lost-reasons/{lost_reason_id}", response=LostReasonOut)
def update_lost_reason(request: HttpRequest, lost_reason_id: Id, payload: LostReasonUpdateIn) -> LostReason:
    return services.lost_reason_update(
        actor=actor_of(request), lost_reason_id=lost_reason_id, name=payload.name, is_active=payload.is_active
    )


@router.get("/crm/web-forms", response=list[WebFormOut])
def list_web_forms(request: HttpRequest) -> list[WebForm]:
    return selectors.web_forms(actor_of(request))


@router.post("/crm/web-forms", response={201: WebFormOut})
def create_web_form(request: HttpRequest, payload: WebFormCreateIn) -> Status:
    """A public lead form; embed it by posting to /crm/web-form/{key}."""
    return Status(201, services.web_form_create(actor=actor_of(request), **_renamed(payload.model_dump())))


@router.patch("/crm/web-forms/{web_form_id}", response=WebFormOut)
def update_web_form(request: HttpRequest, web_form_id: Id, payload: WebFormUpdateIn) -> WebForm:
    return services.web_form_update(
        actor=actor_of(request),
        web_form_id=web_form_id,
        changes=_renamed(payload.model_dump(exclude_unset=True)),
    )


@router.get("/crm/scoring", response=dict[str, int])
def get_scoring_weights(request: HttpRequest) -> dict[str, int]:
    """Points per lead-scoring rule (the company's own or the default)."""
    return selectors.scoring_weights(actor_of(request))


@router.put("/crm/scoring", response=dict[str, int])
def set_scoring_weights(request: HttpRequest, payload: ScoringWeightsIn) -> dict[str, int]:
    return services.scoring_weights_set(actor=actor_of(request), weights=payload.weights)


# ---- the public web form (no sign-in: a visitor of the company's website)


def _client_ip(request: HttpRequest) -> str:
    # The socket's address: X-Forwarded-For is set by whoever sends the request, so a
    # flood could name a new address each time. Behind a proxy, the proxy must set
    # REMOTE_ADDR (e.g. gunicorn's --forwarded-allow-ips with a trusted proxy).
    return str(request.META.get("REMOTE_ADDR") or "")


@router.get("/crm/web-form/{form_key}", response=WebFormTokenOut, auth=None)
def get_web_form_token(request: HttpRequest, form_key: str) -> dict[str, str]:
    """A fresh token to send with the form (render the form with it; valid 3 s to 6 h)."""
    return {"token": services.web_form_token(form_key=form_key), "honeypot_field": services.HONEYPOT_FIELD}


@router.post("/crm/web-form/{form_key}", response={202: WebLeadOut}, auth=None)
def submit_web_form(request: HttpRequest, form_key: str, payload: Form[WebLeadIn]) -> Status:
    """A visitor's enquiry. 429 after 5 submissions from one address within 10 minutes;
    400 for a missing, tampered, expired or too-fresh token or a filled-in honeypot; 422
    for bad fields. Nothing is written then."""
    services.web_lead_submit(form_key=form_key, data=payload.model_dump(), ip=_client_ip(request))
    return Status(202, {"received": True})
