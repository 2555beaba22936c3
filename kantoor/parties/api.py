"""Endpoints of parties: list and search, create (with duplicate detection), read, change,
archive and restore, merge, and a party's contacts, timeline and history."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core.auth import actor_of
from kantoor.core.models import AuditEntry
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import AuditEntryPage, Id
from kantoor.core.selectors import audit_entries_for
from kantoor.parties import selectors, services
from kantoor.parties.models import Party, PartyKind, TimelineEntry
from kantoor.parties.schemas import (
    MergeIn,
    PartyCreateIn,
    PartyFilters,
    PartyOut,
    PartyPage,
    PartyUpdateIn,
    TimelinePage,
    VersionIn,
    as_service_fields,
)

router = Router(tags=["parties"])

# Lists are ordered by the normalised name with the id as tie-breaker: the index
# (company, normalized_name, id) serves the keyset range and the order at once.
NAME_ORDER = ["normalized_name", "id"]
_LIST_RELATIONS = ("roles", "tags", "contact_points")


@router.get("/parties", response=PartyPage)
def list_parties(
    request: HttpRequest, filters: Query[PartyFilters], page: Query[PageParams]
) -> KeysetPage[Party]:
    """Parties you may see, by name. Archived ones only with `include_archived`; merged ones never."""
    parties = selectors.parties_list(
        actor_of(request),
        q=filters.q,
        kind=filters.kind or "",
        role=filters.role or "",
        tag=filters.tag,
        owner_id=filters.owner_id,
        organisation_id=filters.organisation_id,
        include_archived=filters.include_archived,
    ).prefetch_related(*_LIST_RELATIONS)
    return keyset_page(parties, ordering=NAME_ORDER, params=page, name="parties")


@router.post("/parties", response={201: PartyOut})
def create_party(request: HttpRequest, payload: PartyCreateIn) -> Status:
    """Create an organisation or a person (a contact: a person with `organisation_id`).

    A likely duplicate (same VAT number, e-mail or name) is refused with 409 and a
    `duplicates` list; send their ids in `confirmed_duplicate_ids` to create it anyway."""
    # Owner and team take the service's defaults (you, your first team) unless sent.
    data = payload.model_dump(mode="json", exclude={"owner_id", "team_id"})
    data |= payload.model_dump(mode="json", include={"owner_id", "team_id"}, exclude_unset=True)
    party = services.party_create(actor=actor_of(request), **as_service_fields(data))
    return Status(201, party)


@router.get("/parties/{party_id}", response=PartyOut)
def get_party(request: HttpRequest, party_id: Id) -> Party:
    return selectors.party_get_for_actor(actor_of(request), party_id)


@router.patch("/parties/{party_id}", response=PartyOut)
def update_party(request: HttpRequest, party_id: Id, payload: PartyUpdateIn) -> Party:
    """Change the fields sent; lists sent (roles, tags, contact_points, addresses) replace the
    current ones. Refused with 409 when `version` is not the current one."""
    changes = payload.model_dump(mode="json", exclude_unset=True)
    version = changes.pop("version")
    confirmed = changes.pop("confirmed_duplicate_ids", [])
    return services.party_update(
        actor=actor_of(request),
        party_id=party_id,
        version=version,
        changes=as_service_fields(changes),
        confirmed_duplicate_ids=confirmed,
    )


@router.post("/parties/{party_id}/archive", response=PartyOut)
def archive_party(request: HttpRequest, party_id: Id, payload: VersionIn) -> Party:
    """Hide the party from lists and pickers; its history stays."""
    return services.party_archive(
        actor=actor_of(request), party_id=party_id, version=payload.version, is_archived=True
    )


@router.post("/parties/{party_id}/restore", response=PartyOut)
def restore_party(request: HttpRequest, party_id: Id, payload: VersionIn) -> Party:
    return services.party_archive(
        actor=actor_of(request), party_id=party_id, version=payload.version, is_archived=False
    )


@router.post("/parties/{party_id}/merge", response=PartyOut)
def merge_party(request: HttpRequest, party_id: Id, payload: MergeIn) -> Party:
    """Merge the duplicate `source_id` into this party: every reference moves here, the
    source is archived and points here."""
    return services.party_merge(actor=actor_of(request), source_id=payload.source_id, target_id=party_id)


@router.get("/parties/{party_id}/contacts", response=PartyPage)
def list_party_contacts(request: HttpRequest, party_id: Id, page: Query[PageParams]) -> KeysetPage[Party]:
    """The persons linked to this organisation, by name."""
    actor = actor_of(request)
    organisation = selectors.party_get_for_actor(actor, party_id)
    contacts = selectors.parties_list(
        actor, kind=PartyKind.PERSON, organisation_id=organisation.pk
    ).prefetch_related(*_LIST_RELATIONS)
    return keyset_page(contacts, ordering=NAME_ORDER, params=page, name="contacts")


@router.get("/parties/{party_id}/timeline", response=TimelinePage)
def list_party_timeline(
    request: HttpRequest, party_id: Id, page: Query[PageParams]
) -> KeysetPage[TimelineEntry]:
    """What happened with this party, newest first, written by every department's events."""
    party = selectors.party_get_for_actor(actor_of(request), party_id)
    return keyset_page(
        selectors.timeline_of(party), ordering=["-occurred_at", "-id"], params=page, name="timeline"
    )


@router.get("/parties/{party_id}/audit", response=AuditEntryPage)
def list_party_audit(request: HttpRequest, party_id: Id, page: Query[PageParams]) -> KeysetPage[AuditEntry]:
    """Who changed this party when, field by field, newest first (for whoever may see the party)."""
    party = selectors.party_get_for_actor(actor_of(request), party_id)
    return keyset_page(
        audit_entries_for(party._meta.label_lower, party.pk),
        ordering=["-at", "-id"],
        params=page,
        name="party-audit",
    )
