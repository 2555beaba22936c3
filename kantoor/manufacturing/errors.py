"""Errors of the manufacturing app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import InvalidInputError, StateError


class WorkCentreInvalidError(InvalidInputError):
    code = "work-centre-invalid"
    title = _("The work centre details are not valid")


class BomInvalidError(InvalidInputError):
    code = "bom-invalid"
    title = _("The bill of materials is not valid")


class BomCycleError(BomInvalidError):
    """A BOM would contain its own product, directly or through its components' BOMs."""

    code = "bom-cycle"
    title = _("The bill of materials contains itself")


class ProductionInvalidError(InvalidInputError):
    code = "production-invalid"
    title = _("The production order is not valid")


class ProductionStateError(StateError):
    code = "production-state"
    title = _("The production order cannot do that in its state")
