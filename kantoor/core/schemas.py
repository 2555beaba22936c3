"""API schemas of the platform: shared input bases, the page and problem shapes, and the
users, teams, tokens and audit entries exposed at /api/v1/."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, field_validator

from kantoor.core.models import ApiToken, AuditEntry, Role, Scope, Team, User

# Database keys are signed 64-bit integers on SQLite and PostgreSQL: a larger number in a
# path, body or filter would overflow in the driver (a 500) instead of matching nothing.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL characters; refuse them as bad input, not a 500."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(_("Text may not contain NUL characters."))
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _without_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key)
            _without_nul(item)
    return value


def _storable_datetime(value: dt.datetime) -> dt.datetime:
    """Aware and representable in UTC (databases store UTC; year 9999 + an offset is not)."""
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError(_("Enter a date between the years 1900 and 9000.")) from exc
    if not 1900 <= utc.year <= 9000:
        raise ValueError(_("Enter a date between the years 1900 and 9000."))
    return utc


StorableDatetime = Annotated[AwareDatetime, AfterValidator(_storable_datetime)]


def unchanged(**constraints: Any) -> Any:
    """A PATCH field: absent means 'leave as is'; null is refused unless the type allows it.

    The default is hidden from the OpenAPI document, where `null` would be a lie."""
    return Field(default=None, json_schema_extra=_drop_default, **constraints)


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class Input(Schema):
    """A request body: unknown fields are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        return _without_nul(value)


class QueryInput(Schema):
    """Query parameters: unknown ones are ignored (cache busters), NUL characters refused."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        return _without_nul(value)


class ProblemFieldError(Schema):
    field: str
    message: str
    location: str = ""


class Problem(Schema):
    """RFC 9457 problem details, as every error of the API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[ProblemFieldError] = []


T = TypeVar("T")


class Page(Schema, Generic[T]):
    """One page of a keyset-paginated list; pass `next_cursor` as `cursor` for the next."""

    items: list[T]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
    count: int | None = Field(
        None, description="With `with_count=true`: the number of matching rows, up to 10,000."
    )
    count_capped: bool | None = Field(
        None, description="With `with_count=true`: true when more than 10,000 rows match."
    )


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    language: str
    is_active: bool
    roles: dict[str, str] = Field(description="Role → scope (own, team or company).")
    team_ids: list[int]

    @staticmethod
    def resolve_roles(obj: User) -> dict[str, str]:
        return {a.role: a.scope for a in sorted(obj.role_assignments.all(), key=lambda a: a.role)}

    @staticmethod
    def resolve_team_ids(obj: User) -> list[int]:
        return sorted(team.pk for team in obj.teams.all())


class UserPage(Page[UserOut]):
    pass


class UserCreateIn(Input):
    username: str = Field(min_length=1, max_length=150)
    password: str | None = Field(
        None, max_length=4096, description="Omit for a user who signs in another way (no password)."
    )
    email: str = Field("", max_length=254)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    language: str = Field("en", max_length=8)
    roles: dict[Role, Scope] = {}
    team_ids: list[Id] = []


class UserUpdateIn(Input):
    username: str = unchanged(min_length=1, max_length=150)
    email: str = unchanged(max_length=254)
    first_name: str = unchanged(max_length=150)
    last_name: str = unchanged(max_length=150)
    language: str = unchanged(max_length=8)
    is_active: bool = unchanged()
    roles: dict[Role, Scope] = unchanged()
    team_ids: list[Id] = unchanged()


class TeamOut(Schema):
    id: int
    name: str
    member_ids: list[int]
    version: int

    @staticmethod
    def resolve_member_ids(obj: Team) -> list[int]:
        return sorted(member.pk for member in obj.members.all())


class TeamPage(Page[TeamOut]):
    pass


class TeamCreateIn(Input):
    name: str = Field(min_length=1, max_length=120)
    member_ids: list[Id] = []


class TeamUpdateIn(Input):
    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    name: str = unchanged(min_length=1, max_length=120)
    member_ids: list[Id] = unchanged()


class TokenOut(Schema):
    id: int
    name: str
    key_prefix: str = Field(description="The first characters of the key, to recognise it.")
    is_read_only: bool
    is_active: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="Updated at most once a minute.")
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_is_active(obj: ApiToken) -> bool:
        return obj.is_active


class TokenPage(Page[TokenOut]):
    pass


class TokenCreatedOut(TokenOut):
    key: str = Field(description="The secret key, shown this once: send it as `Authorization: Bearer <key>`.")


class TokenCreateIn(Input):
    name: str = Field(min_length=1, max_length=100)
    is_read_only: bool = False
    expires_at: StorableDatetime | None = None


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    action: str
    model: str = Field(description="app_label.model, e.g. parties.party.")
    object_id: str
    object_repr: str
    changes: dict[str, Any] = Field(description="Field → [before, after].")

    @staticmethod
    def resolve_changes(obj: AuditEntry) -> dict[str, Any]:
        return dict(obj.changes or {})


class AuditEntryPage(Page[AuditEntryOut]):
    pass


class AuditFilters(QueryInput):
    model: str | None = Field(None, max_length=60, description="app_label.model, e.g. parties.party.")
    object_id: str | None = Field(None, max_length=40)
    actor_id: Id | None = None


class CompanyOut(Schema):
    """The company with the legal details its invoices show."""

    id: int
    name: str
    country: str
    base_currency: str
    street: str
    postal_code: str
    city: str
    vat_number: str = Field(description="The EU VAT number, compact: NL123456782B01.")
    coc_number: str = Field(description="The Chamber of Commerce (KvK) number.")
    email: str
    phone: str
    website: str
    version: int


class CompanyUpdateIn(Input):
    """Only the fields sent change; an empty string clears a detail."""

    version: Version = Field(description="The version you read; a newer one on the server → 409.")
    name: str = unchanged(min_length=1, max_length=200)
    street: str = unchanged(max_length=200)
    postal_code: str = unchanged(max_length=20, description="Dutch ones are written 1234 AB.")
    city: str = unchanged(max_length=100)
    vat_number: str = unchanged(max_length=20, description="Checked with python-stdnum.")
    coc_number: str = unchanged(max_length=20, description="Dutch: 8 digits.")
    email: str = unchanged(max_length=254)
    phone: str = unchanged(max_length=40)
    website: str = unchanged(max_length=200, description="https:// is added when missing.")
