"""Errors of the activities app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import InvalidInputError, StateError


class ActivityInvalidError(InvalidInputError):
    code = "activity-invalid"
    title = _("The activity is not valid")


class ActivityStateError(StateError):
    code = "activity-state"
    title = _("The activity cannot do that in its state")
