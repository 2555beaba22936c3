"""The shell's navigation, built from what each app registered and the user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kantoor.core import policy, registry


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    sections: dict[str, list[registry.NavItem]] = {}
    for item in sorted(registry.navigation, key=lambda i: (i.order, str(i.label))):
        if policy.has_permission(user, item.permission):
            sections.setdefault(item.section, []).append(item)
    return {"nav_sections": sections}
