"""The append-only audit trail: every service write records who changed what, when."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

from kantoor.core import fastsql
from kantoor.core.models import AuditEntry, User

_AS_IS = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:  # the common case, on every audited write
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


@functools.cache
def _attname(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    return field.attname if isinstance(field, models.Field) else name


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of `fields` as JSON-safe plain values (foreign keys as ids)."""
    model = type(obj)
    return {name: _plain(getattr(obj, _attname(model, name))) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Only the fields whose value changed, as {field: [before, after]}."""
    return {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if _plain(before.get(name)) != _plain(value)
    }


@dataclass(frozen=True)
class Change:
    """One audit row to write: who did `action` to `obj`, with which changes."""

    actor: User | None
    obj: models.Model
    action: str
    changes: dict[str, Any] | None = None
    company_id: int | None = None


def _values(change: Change) -> dict[str, Any]:
    actor, obj = change.actor, change.obj
    company_id = change.company_id if change.company_id is not None else getattr(obj, "company_id", None)
    return {
        "company": company_id,
        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
        "action": change.action,
        "model": obj._meta.label_lower,
        "object_id": str(obj.pk),
        "object_repr": str(obj)[:200],
        "changes": {k: _plain(v) for k, v in (change.changes or {}).items()},
        "at": timezone.now(),
    }


def record(
    *,
    actor: User | None,
    obj: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    company_id: int | None = None,
) -> AuditEntry:
    """Append one audit row for `obj`; call inside the service's transaction."""
    values = _values(Change(actor=actor, obj=obj, action=action, changes=changes, company_id=company_id))
    # Every service writes one of these: a pre-built INSERT rather than the ORM's.
    pk = fastsql.insert(AuditEntry, values)
    entry = AuditEntry(
        pk=pk,
        company_id=values["company"],
        actor_id=values["actor"],
        **{k: v for k, v in values.items() if k not in ("company", "actor")},
    )
    entry._state.adding = False
    return entry


def record_many(changes: Sequence[Change]) -> None:
    """Append several audit rows in one statement (a service that makes more than one
    change at once, such as posting an invoice with its journal entry)."""
    fastsql.insert_many(AuditEntry, [_values(change) for change in changes])
