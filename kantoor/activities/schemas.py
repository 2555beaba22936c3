"""API schemas of activities. Shapes and sizes only; the services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field

from kantoor.activities.models import Activity, ActivityFeed, ActivityKind, ActivityState
from kantoor.core.schemas import Id, Input, Page, QueryInput, StorableDatetime, Version, unchanged

Target = Annotated[
    str,
    Field(
        max_length=220,
        pattern=r"^([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*:[1-9][0-9]{0,17})?$",
        description='The record it is logged against: "app_label.model:id", e.g. "sales.salesorder:12".',
    ),
]


class ActivityOut(Schema):
    id: int
    kind: ActivityKind
    subject: str
    notes: str
    state: ActivityState
    due_date: dt.date | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    assignee_id: int
    team_id: int | None
    party_id: int | None
    party_name: str | None
    target: str = Field(description='"app_label.model:id", or "" when logged against no record.')
    target_label: str
    reminder_at: dt.datetime | None
    reminded_at: dt.datetime | None
    done_at: dt.datetime | None
    created_by_id: int | None
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_party_name(obj: Activity) -> str | None:
        return obj.party.name if obj.party_id is not None and obj.party else None

    @staticmethod
    def resolve_target(obj: Activity) -> str:
        return obj.target


class ActivityPage(Page[ActivityOut]):
    pass


class ActivityFilters(QueryInput):
    mine: bool = Field(False, description="Only the activities assigned to you.")
    party_id: Id | None = None
    target: Target | None = None
    state: ActivityState | None = None
    kind: ActivityKind | None = None
    date_from: dt.date | None = Field(None, alias="from", description="Due on or after this day.")
    date_to: dt.date | None = Field(None, alias="to", description="Due on or before this day.")


class ActivityCreateIn(Input):
    """A call or meeting may have a start (a meeting must): its day is then the due date."""

    kind: ActivityKind
    subject: str = Field(min_length=1, max_length=200)
    notes: str = Field("", max_length=20000)
    due_date: dt.date | None = None
    starts_at: StorableDatetime | None = None
    ends_at: StorableDatetime | None = None
    assignee_id: Id | None = Field(None, description="Default: you.")
    team_id: Id | None = None
    party_id: Id | None = Field(None, description="Default: the party of the record (`target`).")
    target: Target = ""
    reminder_at: StorableDatetime | None = Field(None, description="E-mail the assignee at this time.")


class ActivityUpdateIn(Input):
    """Only the fields sent change; null clears an optional one."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    kind: ActivityKind = unchanged()
    subject: str = unchanged(min_length=1, max_length=200)
    notes: str = unchanged(max_length=20000)
    due_date: dt.date | None = unchanged()
    starts_at: StorableDatetime | None = unchanged()
    ends_at: StorableDatetime | None = unchanged()
    assignee_id: Id = unchanged()
    team_id: Id | None = unchanged()
    party_id: Id | None = unchanged()
    target: Target = unchanged()
    reminder_at: StorableDatetime | None = unchanged()


class ActivityVersionIn(Input):
    version: Version | None = Field(None, description="The version you read; a newer one → 409.")


class FeedOut(Schema):
    url: str = Field(description="The secret iCalendar URL to subscribe to; rotating it ends the old one.")
    created_at: dt.datetime

    @staticmethod
    def resolve_url(obj: ActivityFeed, context: dict[str, object]) -> str:
        from django.urls import reverse

        request = context["request"]
        path = reverse("web:activity-feed", args=[obj.token])
        return str(request.build_absolute_uri(path))  # type: ignore[attr-defined]
