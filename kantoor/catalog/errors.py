"""Errors of the catalog app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import InvalidInputError


class UomIncompatibleError(InvalidInputError):
    """A quantity asked to change between units of different categories (kilograms into pieces)."""

    code = "uom-incompatible"
    title = _("These units do not convert into each other")
