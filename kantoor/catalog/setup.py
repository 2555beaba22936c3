"""The catalog's step of `kantoor init`: the default units of measure (pieces, weight,
length, volume, time) and the product category "All"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from kantoor.catalog import services
from kantoor.core.models import Company, User


def init_arguments(parser: Any) -> None:
    """No options: every company gets the same units, and may add its own."""


def init_run(company: Company, admin: User, options: Mapping[str, Any]) -> str:
    created = services.units_install(company_id=company.pk, actor=admin)
    return _("Installed %(count)d units of measure and the product category “All”.") % {"count": len(created)}
