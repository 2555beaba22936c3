"""Errors of the inventory app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import ConflictError, InvalidInputError, StateError


class WarehouseInvalidError(InvalidInputError):
    code = "warehouse-invalid"
    title = _("The warehouse details are not valid")


class LocationInvalidError(InvalidInputError):
    code = "location-invalid"
    title = _("The location details are not valid")


class TransferInvalidError(InvalidInputError):
    code = "transfer-invalid"
    title = _("The transfer is not valid")


class TransferStateError(StateError):
    code = "transfer-state"
    title = _("The transfer cannot do that in its state")


class StockUnavailableError(ConflictError):
    """More is asked of a location than it has (and the product may not go below zero)."""

    code = "stock-unavailable"
    title = _("Not enough stock")


class SerialNumberError(ConflictError):
    """A serial number would be in two places at once, or count more than one unit."""

    code = "serial-number"
    title = _("This serial number cannot be used here")


class LotRequiredError(InvalidInputError):
    code = "lot-required"
    title = _("A lot or serial number is required")


class StockAccountsMissingError(InvalidInputError):
    """The value of a move has no account to go to (the chart lacks a stock account)."""

    code = "stock-accounts-missing"
    title = _("Stock accounts are not configured")
