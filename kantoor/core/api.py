"""Endpoints of the platform: the company, users, teams, the audit log and personal API tokens."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from kantoor.core import policy, selectors, services
from kantoor.core.auth import actor_of, token_of
from kantoor.core.errors import PermissionDeniedError
from kantoor.core.models import ApiToken, AuditEntry, Company, Team, User
from kantoor.core.pagination import KeysetPage, PageParams, keyset_page
from kantoor.core.schemas import (
    AuditEntryPage,
    AuditFilters,
    CompanyOut,
    CompanyUpdateIn,
    Id,
    TeamCreateIn,
    TeamOut,
    TeamPage,
    TeamUpdateIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
    TokenPage,
    UserCreateIn,
    UserOut,
    UserPage,
    UserUpdateIn,
)

router = Router()

_USER_RELATIONS = ("role_assignments", "teams")


@router.get("/company", response=CompanyOut, tags=["company"])
def get_company(request: HttpRequest) -> Company:
    """Your company with the legal details its invoices show (address, VAT and KvK numbers)."""
    return selectors.company_for(actor_of(request))


@router.patch("/company", response=CompanyOut, tags=["company"])
def update_company(request: HttpRequest, payload: CompanyUpdateIn) -> Company:
    """Change the company's name and legal details (administrators). VAT and KvK numbers
    and Dutch postal codes are checked and normalised; 409 when `version` is stale."""
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return services.company_update(actor=actor_of(request), version=version, **changes)


@router.get("/users", response=UserPage, tags=["users"])
def list_users(request: HttpRequest, page: Query[PageParams]) -> KeysetPage[User]:
    """Colleagues in the company (everyone may see them: owners, assignees, pickers)."""
    users = selectors.users_visible(actor_of(request)).prefetch_related(*_USER_RELATIONS)
    return keyset_page(users, ordering=["id"], params=page, name="users")


@router.get("/users/me", response=UserOut, tags=["users"])
def get_me(request: HttpRequest) -> User:
    """The calling user, with roles and teams."""
    actor = actor_of(request)
    return selectors.user_get_for_actor(actor, actor.pk)


@router.get("/users/{user_id}", response=UserOut, tags=["users"])
def get_user(request: HttpRequest, user_id: Id) -> User:
    return selectors.user_get_for_actor(actor_of(request), user_id)


@router.post("/users", response={201: UserOut}, tags=["users"])
def create_user(request: HttpRequest, payload: UserCreateIn) -> Status:
    """Create a colleague (administrators). `roles` maps role → scope."""
    user = services.user_create(
        actor=actor_of(request),
        username=payload.username,
        password=payload.password,
        email=payload.email,
        first_name=payload.first_name,
        last_name=payload.last_name,
        language=payload.language,
        roles={role.value: scope.value for role, scope in payload.roles.items()},
        team_ids=payload.team_ids,
    )
    return Status(201, user)


@router.patch("/users/{user_id}", response=UserOut, tags=["users"])
def update_user(request: HttpRequest, user_id: Id, payload: UserUpdateIn) -> User:
    """Change a colleague (administrators). Given `roles` and `team_ids` replace the current ones."""
    given = payload.model_dump(exclude_unset=True)
    roles = given.pop("roles", None)
    team_ids = given.pop("team_ids", None)
    return services.user_update(
        actor=actor_of(request),
        user_id=user_id,
        changes=given,
        roles=None if roles is None else {str(role): str(scope) for role, scope in roles.items()},
        team_ids=team_ids,
    )


@router.get("/teams", response=TeamPage, tags=["teams"])
def list_teams(request: HttpRequest, page: Query[PageParams]) -> KeysetPage[Team]:
    teams = selectors.teams_visible(actor_of(request)).prefetch_related("members")
    return keyset_page(teams, ordering=["id"], params=page, name="teams")


@router.get("/teams/{team_id}", response=TeamOut, tags=["teams"])
def get_team(request: HttpRequest, team_id: Id) -> Team:
    return selectors.team_get_for_actor(actor_of(request), team_id)


@router.post("/teams", response={201: TeamOut}, tags=["teams"])
def create_team(request: HttpRequest, payload: TeamCreateIn) -> Status:
    team = services.team_create(actor=actor_of(request), name=payload.name, member_ids=payload.member_ids)
    return Status(201, team)


@router.patch("/teams/{team_id}", response=TeamOut, tags=["teams"])
def update_team(request: HttpRequest, team_id: Id, payload: TeamUpdateIn) -> Team:
    """Rename a team or set its members; refused with 409 when `version` is stale."""
    return services.team_update(
        actor=actor_of(request),
        team_id=team_id,
        version=payload.version,
        name=payload.name,
        member_ids=payload.member_ids,
    )


@router.get("/audit", response=AuditEntryPage, tags=["audit"])
def list_audit_entries(
    request: HttpRequest, filters: Query[AuditFilters], page: Query[PageParams]
) -> KeysetPage[AuditEntry]:
    """Who changed what, newest first (management and administrators)."""
    actor = actor_of(request)
    policy.require(actor, "core.view_audit")
    entries = selectors.audit_entries_visible(actor)
    if filters.model:
        entries = entries.filter(model=filters.model)
    if filters.object_id:
        entries = entries.filter(object_id=filters.object_id)
    if filters.actor_id is not None:
        entries = entries.filter(actor_id=filters.actor_id)
    return keyset_page(entries, ordering=["-at", "-id"], params=page, name="audit")


@router.get("/tokens", response=TokenPage, tags=["tokens"])
def list_tokens(request: HttpRequest, page: Query[PageParams]) -> KeysetPage[ApiToken]:
    """Your own API tokens, newest first (the keys themselves are never shown again)."""
    return keyset_page(selectors.tokens_of(actor_of(request)), ordering=["-id"], params=page, name="tokens")


@router.post("/tokens", response={201: TokenCreatedOut}, tags=["tokens"])
def create_token(request: HttpRequest, payload: TokenCreateIn) -> Status:
    """Issue a personal API token; the response holds its key, shown this once.

    Only from a signed-in session: a token that could mint tokens would let a leaked
    key outlive its own revocation."""
    if token_of(request) is not None:
        raise PermissionDeniedError(_("Create API tokens while signed in, not with another token."))
    token, key = services.api_token_create(
        actor=actor_of(request),
        name=payload.name,
        is_read_only=payload.is_read_only,
        expires_at=payload.expires_at,
    )
    token.key = key  # type: ignore[attr-defined]
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response=TokenOut, tags=["tokens"])
def revoke_token(request: HttpRequest, token_id: Id) -> ApiToken:
    """Revoke one of your tokens (administrators: any token in the company). Revoking twice is harmless."""
    return services.api_token_revoke(actor=actor_of(request), token_id=token_id)
