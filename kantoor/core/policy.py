"""One policy for every service, list, search, export and endpoint.

A user holds roles, each with a scope (own / team / company). Apps register which roles
grant which actions. For an actor, an action and an object, the policy answers both
questions: does a role grant the action, and does that role's scope reach the object?
Objects of another company are never visible. Administrators may do everything in their
own company.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import Role, RoleAssignment, Scope, User

M = TypeVar("M", bound=Model)
Actor = User | AnonymousUser | None

_SCOPE_RANK = {Scope.OWN: 0, Scope.TEAM: 1, Scope.COMPANY: 2}
_grants: dict[str, set[str]] = defaultdict(set)  # role -> actions
# role -> action -> the widest scope that role grants it in, whatever the assignment's scope:
# a sales rep sees the team's leads (view at team scope) but changes only their own.
_caps: dict[str, dict[str, str]] = defaultdict(dict)

CORE_GRANTS: dict[str, set[str]] = {
    Role.MANAGEMENT: {"core.view_user", "core.view_team", "core.view_audit"},
    Role.ADMIN: {
        "core.view_user",
        "core.manage_users",
        "core.view_team",
        "core.manage_teams",
        "core.view_audit",
        "core.manage_company",
    },
}
# Everyone signed in may see colleagues and teams (pickers, owners) and manage own tokens.
EVERYONE = "*"
CORE_GRANTS[EVERYONE] = {"core.view_user", "core.view_team", "core.manage_own_tokens"}


@dataclass(frozen=True)
class ScopeFields:
    """Where a model keeps the fields the policy scopes by (None: not scoped that way)."""

    company: str = "company"
    owner: str | None = None
    team: str | None = None


def register_grants(grants: Mapping[str, set[str]]) -> None:
    for role, actions in grants.items():
        _grants[str(role)] |= set(actions)


def register_caps(caps: Mapping[str, Mapping[str, str]]) -> None:
    """Cap the scope in which a role grants some actions (below the assignment's scope)."""
    for role, actions in caps.items():
        _caps[str(role)].update({action: str(scope) for action, scope in actions.items()})


def _is_active(actor: Actor) -> TypeGuard[User]:
    return isinstance(actor, User) and actor.is_active and actor.company_id is not None


def roles_of(actor: User) -> dict[str, str]:
    """The actor's roles and their scopes, cached on the user object for one request."""
    cached: dict[str, str] | None = getattr(actor, "_kantoor_roles", None)
    if cached is None:
        cached = dict(RoleAssignment.objects.filter(user=actor).values_list("role", "scope"))
        actor._kantoor_roles = cached  # type: ignore[attr-defined]
    return cached


def team_ids_of(actor: User) -> list[int]:
    cached: list[int] | None = getattr(actor, "_kantoor_team_ids", None)
    if cached is None:
        cached = list(actor.teams.values_list("pk", flat=True))
        actor._kantoor_team_ids = cached  # type: ignore[attr-defined]
    return cached


def forget(actor: User) -> None:
    """Drop the cached roles and teams (after they change)."""
    for attr in ("_kantoor_roles", "_kantoor_team_ids"):
        if hasattr(actor, attr):
            delattr(actor, attr)


def scope_for(actor: Actor, action: str) -> str | None:
    """The widest scope in which the actor may perform `action`, or None."""
    if not _is_active(actor):
        return None
    roles = roles_of(actor)
    if Role.ADMIN in roles:
        return Scope.COMPANY
    best: str | None = Scope.COMPANY if action in _grants[EVERYONE] else None
    for role, scope in roles.items():
        if action not in _grants[role]:
            continue
        cap = _caps[role].get(action)
        if cap is not None and _SCOPE_RANK[cap] < _SCOPE_RANK[scope]:  # type: ignore[index]
            scope = cap
        if best is None or _SCOPE_RANK[scope] > _SCOPE_RANK[best]:  # type: ignore[index]
            best = scope
    return best


def has_permission(actor: Actor, action: str) -> bool:
    return scope_for(actor, action) is not None


def _fields(model: type[Model]) -> ScopeFields:
    return getattr(model, "policy_scope", ScopeFields())


def _value(obj: Model, path: str) -> Any:
    """The value at a field path of `obj` ("owner_id", or "party__owner_id" through a relation)."""
    value: Any = obj
    for name in path.split("__"):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def filter_queryset(actor: Actor, action: str, queryset: QuerySet[M]) -> QuerySet[M]:
    """Only the rows the actor may `action` (an empty queryset when none)."""
    scope = scope_for(actor, action)
    if scope is None or not isinstance(actor, User):  # a scope implies an active user
        return queryset.none()
    fields = _fields(queryset.model)
    queryset = queryset.filter(**{f"{fields.company}_id": actor.company_id})
    if scope == Scope.COMPANY:
        return queryset
    condition = Q()
    if fields.owner:
        condition |= Q(**{f"{fields.owner}_id": actor.pk})
    if scope == Scope.TEAM:
        teams = team_ids_of(actor)
        if fields.team:
            condition |= Q(**{f"{fields.team}_id__in": teams})
        if fields.owner:
            condition |= Q(**{f"{fields.owner}__teams__in": teams})
    if not condition:
        return queryset.none()
    return (
        queryset.filter(condition).distinct()
        if scope == Scope.TEAM and fields.owner
        else queryset.filter(condition)
    )


def allows(actor: Actor, action: str, obj: Model | None = None) -> bool:
    """True when the actor may `action`, on `obj` when given."""
    scope = scope_for(actor, action)
    if scope is None or not isinstance(actor, User):  # a scope implies an active user
        return False
    if obj is None:
        return True
    fields = _fields(type(obj))
    if _value(obj, f"{fields.company}_id") != actor.company_id:
        return False
    if scope == Scope.COMPANY:
        return True
    owner_id: Any = _value(obj, f"{fields.owner}_id") if fields.owner else None
    if owner_id is not None and owner_id == actor.pk:
        return True
    if scope == Scope.TEAM:
        teams = set(team_ids_of(actor))
        if fields.team and _value(obj, f"{fields.team}_id") in teams:
            return True
        if (
            owner_id is not None
            and User.teams.through.objects.filter(user_id=owner_id, team_id__in=teams).exists()
        ):
            return True
    return False


def require(actor: Actor, action: str, obj: Model | None = None, *, visible_with: str = "") -> None:
    """Raise unless the actor may `action` (on `obj`).

    With `visible_with`, an object the actor may not even see raises NotFoundError, so
    the answer does not reveal that it exists; one they see but may not change is a 403.
    """
    if not _is_active(actor):
        raise PermissionDeniedError(_("Sign in to do this."))
    if obj is not None and visible_with and not allows(actor, visible_with, obj):
        raise NotFoundError(_("Not found."))
    if not allows(actor, action, obj):
        raise PermissionDeniedError(_("You are not allowed to do this."))


def actor_company_id(actor: Actor) -> int:
    company_id = actor.company_id if _is_active(actor) else None
    if company_id is None:
        raise PermissionDeniedError(_("You are not allowed to do this."))
    return company_id
