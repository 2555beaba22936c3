"""Reads of the platform, scoped to the actor's company and roles."""

from __future__ import annotations

from django.db.models import QuerySet

from kantoor.core import policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import ApiToken, AuditEntry, Company, Team, User


def users_visible(actor: policy.Actor) -> QuerySet[User]:
    return policy.filter_queryset(actor, "core.view_user", User.objects.filter(is_system=False)).order_by(
        "username"
    )


def teams_visible(actor: policy.Actor) -> QuerySet[Team]:
    return policy.filter_queryset(actor, "core.view_team", Team.objects.all()).order_by("name")


def user_get_for_actor(actor: policy.Actor, user_id: int) -> User:
    user = users_visible(actor).filter(pk=user_id).first()
    if user is None:
        raise NotFoundError()
    return user


def team_get_for_actor(actor: policy.Actor, team_id: int) -> Team:
    team = teams_visible(actor).filter(pk=team_id).first()
    if team is None:
        raise NotFoundError()
    return team


def audit_entries_visible(actor: policy.Actor) -> QuerySet[AuditEntry]:
    return policy.filter_queryset(actor, "core.view_audit", AuditEntry.objects.all()).order_by("-at", "-id")


def audit_entries_for(obj_label: str, object_id: int | str) -> QuerySet[AuditEntry]:
    """The history of one record; callers have already checked the actor may see it."""
    return (
        AuditEntry.objects.filter(model=obj_label, object_id=str(object_id))
        .select_related("actor")
        .order_by("-at", "-id")
    )


def tokens_of(actor: policy.Actor) -> QuerySet[ApiToken]:
    if not isinstance(actor, User):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=actor.pk).order_by("-created_at")


def company_for(actor: policy.Actor) -> Company:
    """The actor's own company (its name and legal details are no secret to colleagues)."""
    return Company.objects.get(pk=policy.actor_company_id(actor))
