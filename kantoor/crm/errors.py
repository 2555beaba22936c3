"""Errors of the crm app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import DomainError, InvalidInputError, StateError


class LeadInvalidError(InvalidInputError):
    code = "crm-lead-invalid"
    title = _("The lead is not valid")


class LeadStateError(StateError):
    code = "crm-lead-state"
    title = _("The lead cannot do that in its state")


class OpportunityInvalidError(InvalidInputError):
    code = "crm-opportunity-invalid"
    title = _("The opportunity is not valid")


class OpportunityStateError(StateError):
    code = "crm-opportunity-state"
    title = _("The opportunity cannot do that in its state")


class CrmSettingsInvalidError(InvalidInputError):
    code = "crm-settings-invalid"
    title = _("The CRM settings are not valid")


class LeadImportError(InvalidInputError):
    """A CSV import refused as a whole: `errors` name each row and column at fault."""

    code = "crm-lead-import-invalid"
    title = _("The file cannot be imported")


class WebFormRejectedError(InvalidInputError):
    """A public form submission refused (missing fields, a bad or expired form token, a
    submission that looks automated). Says no more than needed to a stranger."""

    status = 400
    code = "crm-web-form-rejected"
    title = _("The form could not be submitted")


class RateLimitedError(DomainError):
    """Too many submissions from one address in a short time (HTTP 429)."""

    status = 429
    code = "rate-limited"
    title = _("Too many requests")
