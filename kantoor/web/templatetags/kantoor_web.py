"""Template helpers of the shell: navigation state and readable audit entries."""

from __future__ import annotations

import contextlib
from typing import Any, cast

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core.models import AuditEntry

register = template.Library()

ACTIONS = {
    "create": gettext_lazy("Created"),
    "update": gettext_lazy("Changed"),
    "archive": gettext_lazy("Archived"),
    "restore": gettext_lazy("Restored"),
    "merge": gettext_lazy("Merged another party into this one"),
    "merged": gettext_lazy("Merged into another party"),
    "revoke": gettext_lazy("Revoked"),
}
EXTRA_LABELS = {
    "roles": gettext_lazy("Roles"),
    "contact_points": gettext_lazy("Contact details"),
    "addresses": gettext_lazy("Addresses"),
    "merged_from": gettext_lazy("Merged from"),
    "merged_into": gettext_lazy("Merged into"),
    "moved": gettext_lazy("Moved references"),
    "members": gettext_lazy("Members"),
    "teams": gettext_lazy("Teams"),
}


@register.simple_tag(takes_context=True)
def nav_current(context: dict[str, Any], url: str) -> bool:
    """True for the menu entry whose page (or a page below it) is open."""
    request: HttpRequest | None = context.get("request")
    if request is None or not url or url == "/":
        return False
    return request.path.startswith(url)


def _item(value: Any) -> str:
    """One element of a listed value; a row such as a contact point shows its filled parts."""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value if v not in (None, "", False, True))
    return str(value)


def _plain(value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "; ".join(_item(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


@register.simple_tag
def audit_changes(
    entry: AuditEntry, record: Model | None = None, names: dict[str, dict[Any, str]] | None = None
) -> list[tuple[str, str, str]]:
    """(field label, before, after) for each change of an audit entry of `record`; ids of
    related records show as the names in `names` ({field: {id: name}}) when given."""
    rows = []
    for name, change in entry.changes.items():
        before, after = change if isinstance(change, list) and len(change) == 2 else (None, change)
        if names and name in names:
            before, after = (
                names[name].get(v, f"#{v}") if isinstance(v, int) else v for v in (before, after)
            )
        label: Any = EXTRA_LABELS.get(name, name.replace("_", " "))
        if record is not None and name not in EXTRA_LABELS:
            with contextlib.suppress(FieldDoesNotExist):
                # Audited names outside EXTRA_LABELS are the record's own fields; reverse
                # relations (no verbose_name) are all listed in EXTRA_LABELS.
                label = cast("Field[Any, Any]", record._meta.get_field(name)).verbose_name
        rows.append((capfirst(str(label)), _plain(before), _plain(after)))
    return rows


@register.filter
def audit_action(action: str) -> str:
    return str(ACTIONS.get(action, action))
