"""The personal-data registry: every field of every Kantoor model is declared personal or
not. One registry drives export (right of access), erasure, retention and access logging;
a test fails when a model has a field nobody declared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model


@dataclass(frozen=True)
class Declaration:
    personal: frozenset[str]
    not_personal: frozenset[str]


_registry: dict[str, Declaration] = {}


def register(model: type[Model], *, personal: Iterable[str], not_personal: Iterable[str]) -> None:
    _registry[model._meta.label_lower] = Declaration(frozenset(personal), frozenset(not_personal))


def personal_fields(model: type[Model]) -> frozenset[str]:
    declaration = _registry.get(model._meta.label_lower)
    return declaration.personal if declaration else frozenset()


def undeclared_fields() -> list[str]:
    """'app.model.field' for every concrete or many-to-many field of a Kantoor model that is
    declared neither personal nor not personal (and declarations naming no field)."""
    problems = []
    for model in apps.get_models():
        if not model.__module__.startswith("kantoor."):
            continue
        label = model._meta.label_lower
        declaration = _registry.get(label, Declaration(frozenset(), frozenset()))
        names = {f.name for f in model._meta.get_fields() if f.concrete or f.many_to_many}
        names -= {f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete}
        declared = declaration.personal | declaration.not_personal
        problems += [f"{label}.{name}" for name in sorted(names - declared)]
        problems += [f"{label}.{name} (no such field)" for name in sorted(declared - names)]
    return problems


def register_core_models() -> None:
    from kantoor.core import models as m

    register(
        m.User,
        personal={"username", "first_name", "last_name", "email"},
        not_personal={
            "id",
            "password",
            "last_login",
            "is_superuser",
            "groups",
            "user_permissions",
            "is_staff",
            "is_active",
            "is_system",
            "date_joined",
            "company",
            "language",
        },
    )
    register(
        m.Company,
        personal=set(),
        not_personal={
            "id",
            "name",
            "base_currency",
            "country",
            "fiscal_year_start_month",
            "fiscal_year_start_day",
            "time_zone",
            "language",
            "logo",
            "street",
            "postal_code",
            "city",
            "vat_number",
            "coc_number",
            "email",
            "phone",
            "website",
            "created_at",
            "version",
        },
    )
    register(m.Team, personal=set(), not_personal={"id", "company", "name", "members", "version"})
    register(m.RoleAssignment, personal=set(), not_personal={"id", "user", "role", "scope"})
    register(
        m.NumberSequence,
        personal=set(),
        not_personal={"id", "company", "code", "year", "pattern", "prefix", "next_number"},
    )
    register(m.ExchangeRate, personal=set(), not_personal={"id", "company", "currency", "valid_from", "rate"})
    # Audit and outbox rows may quote personal values; erasure rewrites them by object id.
    register(
        m.AuditEntry,
        personal={"changes", "object_repr"},
        not_personal={"id", "company", "actor", "action", "model", "object_id", "at"},
    )
    register(
        m.OutboxEvent,
        personal={"payload"},
        not_personal={
            "id",
            "company",
            "name",
            "created_at",
            "available_at",
            "attempts",
            "processed_at",
            "last_error",
        },
    )
    register(m.HandlerReceipt, personal=set(), not_personal={"id", "event", "handler", "processed_at"})
    register(
        m.ScheduledJob,
        personal=set(),
        not_personal={
            "id",
            "name",
            "next_run_at",
            "running_until",
            "last_started_at",
            "last_finished_at",
            "last_status",
            "last_message",
        },
    )
    register(
        m.IdempotencyRecord,
        personal={"body"},
        not_personal={
            "id",
            "user",
            "key",
            "method",
            "path",
            "request_hash",
            "status_code",
            "content_type",
            "created_at",
        },
    )
    register(
        m.ApiToken,
        personal=set(),
        not_personal={
            "id",
            "user",
            "name",
            "key_prefix",
            "key_hash",
            "is_read_only",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        },
    )
