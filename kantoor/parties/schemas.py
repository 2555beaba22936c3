"""API schemas of parties. Lengths mirror the columns, so that an overlong value is a 422
naming the field rather than a database error; the service checks the business rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from kantoor.core.schemas import Id, Input, Page, QueryInput, Version, unchanged
from kantoor.parties.models import (
    AddressKind,
    ContactPointKind,
    Party,
    PartyKind,
    PartyRoleType,
    TimelineEntry,
)


class ContactPointSchema(Input):
    kind: ContactPointKind
    value: str = Field(
        min_length=1, max_length=254, description="An e-mail address, phone number or web address."
    )
    label: str = Field("", max_length=60)
    is_primary: bool = False


class AddressSchema(Input):
    kind: AddressKind
    street: str = Field(max_length=200, description="Street and number.")
    city: str = Field(max_length=100)
    country: str = Field(max_length=2, description="ISO 3166 code, e.g. NL.")
    postal_code: str = Field("", max_length=20)
    region: str = Field("", max_length=100)
    is_primary: bool = False


class ContactPointOut(Schema):
    kind: str
    value: str
    label: str
    is_primary: bool


class AddressOut(Schema):
    kind: str
    street: str
    postal_code: str
    city: str
    region: str
    country: str
    is_primary: bool


class PartyListOut(Schema):
    """A party as lists show it (without notes and addresses)."""

    id: int
    kind: str
    name: str
    organisation_id: int | None
    job_title: str
    vat_number: str
    coc_number: str
    country: str
    language: str
    owner_id: int | None
    team_id: int | None
    is_archived: bool
    roles: list[str]
    tags: list[str]
    contact_points: list[ContactPointOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_roles(obj: Party) -> list[str]:
        return sorted(role.role for role in obj.roles.all())

    @staticmethod
    def resolve_tags(obj: Party) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())

    @staticmethod
    def resolve_contact_points(obj: Party) -> list[Any]:
        return list(obj.contact_points.all())


class PartyOut(PartyListOut):
    notes: str
    addresses: list[AddressOut]
    merged_into_id: int | None = Field(description="Set when this party was merged into another one.")

    @staticmethod
    def resolve_addresses(obj: Party) -> list[Any]:
        return list(obj.addresses.all())


class PartyPage(Page[PartyListOut]):
    pass


class PartyCreateIn(Input):
    kind: PartyKind
    name: str = Field(min_length=1, max_length=200)
    organisation_id: Id | None = Field(
        None, description="For a contact person: the organisation they work for."
    )
    job_title: str = Field("", max_length=120)
    vat_number: str = Field("", max_length=40)
    coc_number: str = Field("", max_length=20)
    country: str = Field("", max_length=2)
    language: str = Field("en", max_length=8)
    notes: str = Field("", max_length=20000)
    owner_id: Id | None = unchanged(description="Default: you.")
    team_id: Id | None = unchanged(description="Default: your first team.")
    roles: list[PartyRoleType] = []
    tags: list[str] = Field([], max_length=100)
    contact_points: list[ContactPointSchema] = Field([], max_length=100)
    addresses: list[AddressSchema] = Field([], max_length=50)
    confirmed_duplicate_ids: list[Id] = Field(
        [],
        max_length=100,
        description="Ids from a 409 duplicate-party problem's `duplicates` that you checked: create anyway.",
    )


class PartyUpdateIn(Input):
    """Only the fields sent change; lists sent replace the current ones."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    kind: PartyKind = unchanged()
    name: str = unchanged(min_length=1, max_length=200)
    organisation_id: Id | None = unchanged()
    job_title: str = unchanged(max_length=120)
    vat_number: str = unchanged(max_length=40)
    coc_number: str = unchanged(max_length=20)
    country: str = unchanged(max_length=2)
    language: str = unchanged(max_length=8)
    notes: str = unchanged(max_length=20000)
    owner_id: Id | None = unchanged()
    team_id: Id | None = unchanged()
    roles: list[PartyRoleType] = unchanged()
    tags: list[str] = unchanged(max_length=100)
    contact_points: list[ContactPointSchema] = unchanged(max_length=100)
    addresses: list[AddressSchema] = unchanged(max_length=50)
    confirmed_duplicate_ids: list[Id] = Field([], max_length=100)


class VersionIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")


class MergeIn(Input):
    source_id: Id = Field(description="The duplicate to merge into this party; it is archived afterwards.")


class PartyFilters(QueryInput):
    q: str = Field(
        "", max_length=200, description="Name prefix or a later word of it, VAT number, or e-mail."
    )
    kind: PartyKind | None = None
    role: PartyRoleType | None = None
    tag: str = Field("", max_length=60)
    owner_id: Id | None = None
    organisation_id: Id | None = None
    include_archived: bool = False


class TimelineEntryOut(Schema):
    id: int
    occurred_at: dt.datetime
    kind: str
    title: str
    body: str
    actor_id: int | None

    @staticmethod
    def resolve_title(obj: TimelineEntry) -> str:
        return _(obj.title)  # stored untranslated (gettext_noop), translated when shown


class TimelinePage(Page[TimelineEntryOut]):
    pass


# Field names of the API that the service calls by the relation's name.
RELATION_FIELDS = {"organisation_id": "organisation", "owner_id": "owner", "team_id": "team"}


def as_service_fields(given: dict[str, Any]) -> dict[str, Any]:
    """API field names and values → the keyword arguments `party_create`/`party_update` take."""
    return {RELATION_FIELDS.get(name, name): value for name, value in given.items()}
