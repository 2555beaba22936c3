"""The shell's navigation, built from what each app registered and the user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kantoor.core import policy, registry

SECTIONS = [
    (registry.FRONT_OFFICE, _("Front office")),
    (registry.BACK_OFFICE, _("Back office")),
    (registry.INSIGHTS, _("Insights")),
    (registry.SETTINGS, _("Settings")),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    """`nav_sections`: [(section label, [NavItem…])] in menu order, only what the user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items: dict[str, list[registry.NavItem]] = {}
    for item in sorted(registry.navigation, key=lambda i: (i.order, str(i.label))):
        if policy.has_permission(user, item.permission):
            items.setdefault(item.section, []).append(item)
    return {"nav_sections": [(label, items[key]) for key, label in SECTIONS if key in items]}
