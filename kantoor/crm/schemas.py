"""API schemas of the crm app. Amounts and percentages travel as decimal strings both ways
("1250.00"), never as JSON numbers; the patterns bound only the shape and size, the
services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged
from kantoor.crm.models import LeadChannel, LeadSource, LeadState, Opportunity, OpportunityState
from kantoor.finance.schemas_invoices import MoneyText, NumberText, Percent

Amount = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,16}(\.[0-9]{1,2})?$",
        max_length=19,
        description='A decimal string, e.g. "1250.00".',
    ),
]


# ---- leads


class LeadCreateIn(Input):
    """A contact name or an organisation is required. `owner_id` defaults to you."""

    contact_name: str = Field("", max_length=200)
    organisation_name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    job_title: str = Field("", max_length=120)
    country: str = Field("", max_length=2, description="ISO 3166 alpha-2, e.g. NL.")
    message: str = Field("", max_length=20000)
    source: LeadSource = LeadSource.API
    channel: LeadChannel = LeadChannel.OTHER
    source_detail: str = Field("", max_length=200, description="Which campaign, event or referrer.")
    owner_id: Id | None = Field(None, description="Default: you.")
    team_id: Id | None = Field(None, description="Default: your first team.")


class LeadUpdateIn(Input):
    """Only the fields sent change."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    contact_name: str = unchanged(max_length=200)
    organisation_name: str = unchanged(max_length=200)
    email: str = unchanged(max_length=254)
    phone: str = unchanged(max_length=40)
    job_title: str = unchanged(max_length=120)
    country: str = unchanged(max_length=2)
    message: str = unchanged(max_length=20000)
    source: LeadSource = unchanged()
    channel: LeadChannel = unchanged()
    source_detail: str = unchanged(max_length=200)
    owner_id: Id | None = unchanged()
    team_id: Id | None = unchanged()


class CrmVersionIn(Input):
    version: Version | None = Field(None, description="The version you read; a newer one → 409.")


class LeadDisqualifyIn(CrmVersionIn):
    reason: str = Field(min_length=1, max_length=300)


class LeadConvertIn(CrmVersionIn):
    """Link an existing party (`party_id`) or create one; a 409 `duplicate-party` problem
    lists look-alike parties in `duplicates`: resend with one as `party_id`, or with their
    ids in `confirmed_duplicate_ids` to create a new party anyway."""

    party_id: Id | None = None
    confirmed_duplicate_ids: list[Id] = Field([], max_length=50)
    opportunity_name: str = Field("", max_length=200, description="Default: the organisation or contact.")
    expected_revenue: Amount | None = None
    close_date: dt.date | None = None
    stage_id: Id | None = Field(None, description="Default: the first stage.")


class ScoreItemOut(Schema):
    rule: str
    label: str
    points: int


class LeadOut(Schema):
    id: int
    state: LeadState
    source: LeadSource
    channel: LeadChannel
    source_detail: str
    contact_name: str
    organisation_name: str
    email: str
    phone: str
    job_title: str
    country: str
    message: str
    disqualify_reason: str
    score: int
    score_details: list[ScoreItemOut]
    owner_id: int | None
    team_id: int | None
    party_id: int | None
    opportunity_id: int | None
    qualified_at: dt.datetime | None
    converted_at: dt.datetime | None
    created_at: dt.datetime
    version: int


class LeadPage(Page[LeadOut]):
    pass


class LeadFilters(QueryInput):
    q: str = Field("", max_length=100, description="Part of the name, organisation or e-mail.")
    state: LeadState | None = None
    source: LeadSource | None = None
    channel: LeadChannel | None = None
    owner_id: int | None = None
    team_id: int | None = None
    min_score: int | None = Field(None, ge=0, le=100)


class PartyCandidateOut(Schema):
    id: int
    name: str
    reason: str


class LeadImportOut(Schema):
    created: int
    lead_ids: list[int]


# ---- opportunities


class OpportunityCreateIn(Input):
    name: str = Field(min_length=1, max_length=200)
    party_id: Id
    expected_revenue: Amount = "0"
    currency: str = Field("", max_length=3, description="ISO 4217; default the company currency.")
    close_date: dt.date | None = None
    stage_id: Id | None = Field(None, description="Default: the first stage.")
    probability: Percent | None = Field(None, description="Default: the stage's.")
    owner_id: Id | None = Field(None, description="Default: you.")
    team_id: Id | None = Field(None, description="Default: your first team.")
    notes: str = Field("", max_length=20000)


class OpportunityUpdateIn(Input):
    """Only the fields sent change; a new `stage_id` resets the probability to the stage's
    unless `probability` is sent too."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    name: str = unchanged(min_length=1, max_length=200)
    party_id: Id = unchanged()
    expected_revenue: Amount = unchanged()
    currency: str = unchanged(max_length=3)
    close_date: dt.date | None = unchanged()
    stage_id: Id = unchanged()
    probability: Percent = unchanged()
    owner_id: Id | None = unchanged()
    team_id: Id | None = unchanged()
    notes: str = unchanged(max_length=20000)


class OpportunityMoveIn(Input):
    stage_id: Id
    version: Version | None = Field(None, description="The version you read; a newer one → 409.")


class OpportunityLoseIn(CrmVersionIn):
    lost_reason_id: Id
    note: str = Field("", max_length=5000)


class OpportunityOut(Schema):
    id: int
    name: str
    party_id: int
    party_name: str
    lead_id: int | None
    stage_id: int
    stage_name: str
    state: OpportunityState
    probability: NumberText
    expected_revenue: MoneyText
    currency: str
    close_date: dt.date | None
    owner_id: int | None
    team_id: int | None
    lost_reason_id: int | None
    lost_note: str
    won_at: dt.datetime | None
    lost_at: dt.datetime | None
    notes: str
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_party_name(obj: Opportunity) -> str:
        return obj.party.name

    @staticmethod
    def resolve_stage_name(obj: Opportunity) -> str:
        return obj.stage.name


class OpportunityPage(Page[OpportunityOut]):
    pass


class OpportunityFilters(QueryInput):
    q: str = Field("", max_length=100)
    state: OpportunityState | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    party_id: int | None = None
    close_from: dt.date | None = None
    close_to: dt.date | None = None


class QuotationOut(Schema):
    id: int
    number: str
    state: str
    customer_id: int
    origin: str


# ---- configuration


class StageOut(Schema):
    id: int
    name: str
    sequence: int
    probability: NumberText
    is_active: bool
    version: int


class StageCreateIn(Input):
    name: str = Field(min_length=1, max_length=80)
    probability: Percent
    sequence: int | None = Field(None, ge=0, le=1_000_000, description="Default: after the last stage.")


class StageUpdateIn(Input):
    version: Version | None = None
    name: str = unchanged(min_length=1, max_length=80)
    probability: Percent = unchanged()
    sequence: int = unchanged(ge=0, le=1_000_000)
    is_active: bool = unchanged()


class StageOrderIn(Input):
    stage_ids: list[Id] = Field(max_length=100, description="Every stage, in the new order.")


class LostReasonOut(Schema):
    id: int
    name: str
    is_active: bool


class LostReasonCreateIn(Input):
    name: str = Field(min_length=1, max_length=120)


class LostReasonUpdateIn(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    is_active: bool | None = None


class WebFormOut(Schema):
    id: int
    name: str
    key: str
    channel: LeadChannel
    owner_id: int | None
    team_id: int | None
    is_active: bool


class WebFormCreateIn(Input):
    name: str = Field(min_length=1, max_length=120)
    channel: LeadChannel = LeadChannel.WEBSITE
    owner_id: Id | None = None
    team_id: Id | None = None


class WebFormUpdateIn(Input):
    name: str = unchanged(min_length=1, max_length=120)
    channel: LeadChannel = unchanged()
    owner_id: Id | None = unchanged()
    team_id: Id | None = unchanged()
    is_active: bool = unchanged()


class ScoringWeightsIn(Input):
    weights: dict[Annotated[str, Field(max_length=40)], int] = Field(
        max_length=50, description="Points per rule code, -100 to 100."
    )


# ---- board, forecast, totals


class BoardCardOut(Schema):
    id: int
    name: str
    party_id: int
    party_name: str
    expected_revenue: MoneyText
    currency: str
    probability: NumberText
    close_date: dt.date | None
    owner_id: int | None
    version: int

    @staticmethod
    def resolve_party_name(obj: Opportunity) -> str:
        return obj.party.name


class BoardColumnOut(Schema):
    stage: StageOut
    count: int
    expected: MoneyText
    weighted: MoneyText
    opportunities: list[BoardCardOut]


class BoardOut(Schema):
    count: int
    expected: MoneyText
    weighted: MoneyText
    columns: list[BoardColumnOut]


class BoardFilters(QueryInput):
    owner_id: int | None = None
    team_id: int | None = None


class ForecastFilters(QueryInput):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    team_id: int | None = None
    owner_id: int | None = None


class ForecastRowOut(Schema):
    key: str | None = Field(description="The month (YYYY-MM-01) or the owner's id.")
    label: str
    currency: str
    count: int
    expected: MoneyText
    weighted: MoneyText

    @staticmethod
    def resolve_key(obj: Any) -> str | None:
        return None if obj.key is None else str(obj.key)


class ForecastOut(Schema):
    by_month: list[ForecastRowOut]
    by_owner: list[ForecastRowOut]


class PipelineTotalsOut(Schema):
    currency: str
    open_count: int
    open_expected: MoneyText
    open_weighted: MoneyText
    won_count: int
    won_amount: MoneyText
    lost_count: int
    lost_amount: MoneyText


# ---- the public web form


class WebFormTokenOut(Schema):
    token: str = Field(description="Send it back as `token` with the form, 3 s to 6 h later.")
    honeypot_field: str = Field(description="A field to hide from people and leave empty.")


class WebLeadIn(Schema):
    """The public form's fields (a plain HTML form or FormData). Unknown fields are ignored."""

    token: str = Field("", max_length=300)
    contact_name: str = Field("", max_length=200)
    organisation_name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    job_title: str = Field("", max_length=120)
    country: str = Field("", max_length=2)
    message: str = Field("", max_length=5000)
    website: str = Field("", max_length=300, description="The honeypot: must stay empty.")


class WebLeadOut(Schema):
    received: bool = True
