"""Errors of the purchasing app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import InvalidInputError, StateError


class OrderInvalidError(InvalidInputError):
    code = "purchase-order-invalid"
    title = _("The purchase order is not valid")


class OrderStateError(StateError):
    code = "purchase-order-state"
    title = _("The purchase order cannot do that in its state")


class NothingToBillError(StateError):
    code = "purchase-nothing-to-bill"
    title = _("Nothing is left to bill on this order")
