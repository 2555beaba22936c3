"""The activities endpoints under /api/v1/: list (yours, a party's, a record's, a period),
read, log, change, tick off, reopen, cancel; and your calendar feed's secret URL."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from kantoor.activities import selectors, services
from kantoor.activities.models import Activity, ActivityFeed
from kantoor.activities.schemas import (
    ActivityCreateIn,
    ActivityFilters,
    ActivityOut,
    ActivityPage,
    ActivityUpdateIn,
    ActivityVersionIn,
    FeedOut,
)
from kantoor.core.auth import actor_of
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import Id

router = Router(tags=["activities"])


@router.get("/activities", response=ActivityPage)
def list_activities(
    request: HttpRequest, filters: Query[ActivityFilters], page: Query[PageParams]
) -> KeysetPage[Activity]:
    """The activities you may see: open ones first, then by due day and time."""
    activities = selectors.activities_list(
        actor_of(request),
        mine=filters.mine,
        party_id=filters.party_id,
        target=filters.target or "",
        state=filters.state or "",
        kind=filters.kind or "",
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    return keyset_page(activities, ordering=["agenda_key", "id"], params=page, name="activities")


@router.post("/activities", response={201: ActivityOut})
def create_activity(request: HttpRequest, payload: ActivityCreateIn) -> Status:
    """Log an activity (against a record and its party); a note is done at once."""
    return Status(201, services.activity_create(actor=actor_of(request), **payload.model_dump()))


@router.post("/activities/feed/rotate", response=FeedOut)
def rotate_activity_feed(request: HttpRequest) -> ActivityFeed:
    """A new secret URL of your iCalendar feed (the old one stops working)."""
    return services.feed_rotate(actor=actor_of(request))


@router.get("/activities/{activity_id}", response=ActivityOut)
def get_activity(request: HttpRequest, activity_id: Id) -> Activity:
    return selectors.activity_get_for_actor(actor_of(request), activity_id)


@router.patch("/activities/{activity_id}", response=ActivityOut)
def update_activity(request: HttpRequest, activity_id: Id, payload: ActivityUpdateIn) -> Activity:
    """Change the fields sent. 409 when `version` is stale or the activity is cancelled."""
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return services.activity_update(
        actor=actor_of(request), activity_id=activity_id, version=version, **changes
    )


@router.post("/activities/{activity_id}/done", response=ActivityOut)
def done_activity(request: HttpRequest, activity_id: Id, payload: ActivityVersionIn) -> Activity:
    return services.activity_done(actor=actor_of(request), activity_id=activity_id, version=payload.version)


@router.post("/activities/{activity_id}/reopen", response=ActivityOut)
def reopen_activity(request: HttpRequest, activity_id: Id, payload: ActivityVersionIn) -> Activity:
    return services.activity_reopen(actor=actor_of(request), activity_id=activity_id, version=payload.version)


@router.post("/activities/{activity_id}/cancel", response=ActivityOut)
def cancel_activity(request: HttpRequest, activity_id: Id, payload: ActivityVersionIn) -> Activity:
    return services.activity_cancel(actor=actor_of(request), activity_id=activity_id, version=payload.version)
