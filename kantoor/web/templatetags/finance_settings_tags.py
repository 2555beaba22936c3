"""Template tags of the finance configuration pages: whether the user may open them (the
chart of accounts shows its "New account" and "Edit" links to those who may manage it)."""

from __future__ import annotations

from typing import Any

from django import template

from kantoor.core import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context: dict[str, Any], action: str) -> bool:
    """{% may "finance.manage_ledger" as can_manage %}: whether a role grants the user `action`."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and policy.has_permission(user, action)
