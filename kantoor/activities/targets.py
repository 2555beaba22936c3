"""The records activities are logged against: a reference "app_label.model:id" to a record
of any app ("sales.salesorder:12", "parties.party:3"), checked against the actor's view of it.

Which permission lets an actor see a kind of record, and where the record keeps its party,
is registered per model (`target_register`): apps above activities register their own from
their AppConfig.ready(); activities registers the ones it knows already (apps.py). A model
with a policy (`policy_scope`) but no registration is refused, so that logging an activity
can never reveal a record its author may not see; a Kantoor model without a policy needs
only to belong to the actor's company.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from kantoor.activities.errors import ActivityInvalidError
from kantoor.core import policy
from kantoor.parties.models import Party

TARGET = re.compile(r"^([a-z][a-z0-9_]{0,99})\.([a-z][a-z0-9_]{0,99}):([1-9][0-9]{0,17})$")
# Apps whose records are not business records to log activities against.
_NOT_TARGETS = frozenset({"core", "activities"})
_PARTY_FIELDS = ("party", "customer", "supplier")


@dataclass(frozen=True)
class TargetKind:
    """How to check and read one model as a target: `view_action` lets an actor see a record
    (checked with the model's policy scope); `party_field` is the path to its party's id
    ("customer", "order__customer"; "" for none; the party itself for parties.party)."""

    view_action: str
    party_field: str = ""


_kinds: dict[str, TargetKind] = {}


def target_register(label: str, *, view_action: str, party_field: str = "") -> None:
    """Let activities be logged against `label` ("sales.salesorder") by whoever may `view_action` it."""
    _kinds[label.lower()] = TargetKind(view_action=view_action, party_field=party_field)


def target_kinds() -> dict[str, TargetKind]:
    return dict(_kinds)


def target_of(obj: models.Model) -> str:
    """The reference of a record for the activities' services and panel: "sales.salesorder:12"."""
    return f"{obj._meta.app_label}.{obj._meta.model_name}:{obj.pk}"


@dataclass(frozen=True)
class Target:
    """A checked target: its content type and id, a label to show, and its party (if known)."""

    content_type: ContentType
    object_id: int
    label: str
    party_id: int | None

    @property
    def reference(self) -> str:
        return f"{self.content_type.app_label}.{self.content_type.model}:{self.object_id}"


def _invalid(message: str) -> ActivityInvalidError:
    return ActivityInvalidError(message, field_errors={"target": [message]})


def target_parse(reference: str) -> tuple[type[models.Model], int]:
    """The model and id a reference names; ActivityInvalidError (field "target") otherwise."""
    match = TARGET.match(reference.strip()) if isinstance(reference, str) else None
    if match is None:
        raise _invalid(_("Name the record as app.model:id, e.g. parties.party:3."))
    app_label, model_name, pk = match.groups()
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        raise _invalid(_("Unknown kind of record “%s”.") % f"{app_label}.{model_name}") from None
    if app_label in _NOT_TARGETS or not model.__module__.startswith("kantoor."):
        raise _invalid(_("Activities cannot be logged against this kind of record."))
    return model, int(pk)


def _value(obj: Any, path: str) -> Any:
    value = obj
    for name in path.split("__"):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def _party_of(obj: models.Model, kind: TargetKind | None) -> int | None:
    if isinstance(obj, Party):
        return obj.merged_into_id or obj.pk
    if kind is not None:
        return _value(obj, f"{kind.party_field}_id") if kind.party_field else None
    for name in _PARTY_FIELDS:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.ForeignKey) and field.related_model is Party:
            return getattr(obj, field.attname)
    return None


def target_resolve(actor: policy.Actor, reference: str, *, company_id: int) -> Target:
    """The record `reference` names, checked: it exists, belongs to `company_id` and the actor
    may see it. A record they may not see is answered like one that does not exist."""
    model, pk = target_parse(reference)
    label = model._meta.label_lower
    kind = _kinds.get(label)
    if kind is None and hasattr(model, "policy_scope"):
        raise _invalid(_("Activities cannot be logged against this kind of record."))
    if not any(f.name == "company" for f in model._meta.concrete_fields):
        raise _invalid(_("Activities cannot be logged against this kind of record."))
    obj = model._default_manager.filter(pk=pk).first()
    visible = (
        obj is not None
        and getattr(obj, "company_id", None) == company_id
        and (kind is None or policy.allows(actor, kind.view_action, obj))
    )
    if obj is None or not visible:
        raise _invalid(_("That record does not exist."))
    return Target(
        content_type=ContentType.objects.get_for_model(model),
        object_id=pk,
        label=str(obj)[:200],
        party_id=_party_of(obj, kind),
    )
