"""Errors of the parties app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import ConflictError, InvalidInputError


class PartyInvalidError(InvalidInputError):
    code = "party-invalid"
    title = _("The party details are not valid")


class DuplicatePartyError(ConflictError):
    """Parties that look like the one being created; resend with their ids confirmed."""

    code = "duplicate-party"
    title = _("This party may already exist")

    def __init__(self, message: Any, *, candidates: list[dict[str, Any]]) -> None:
        super().__init__(message, extra={"duplicates": candidates})
        self.candidates = candidates


class PartyMergeError(ConflictError):
    code = "party-merge-refused"
    title = _("These parties cannot be merged")
