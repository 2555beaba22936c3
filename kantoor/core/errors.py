"""The DomainError family: every refused action raises one; one handler maps it to
RFC 9457 problem+json for the API and to inline errors for forms."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the action; nothing was written."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "domain-error"
    title: ClassVar[Any] = _("The action was refused")

    def __init__(
        self,
        message: Any = "",
        *,
        field_errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = str(message or self.title)
        self.field_errors = {k: [str(m) for m in v] for k, v in (field_errors or {}).items()}
        self.extra = extra or {}
        super().__init__(self.message)

    @classmethod
    def for_field(cls, field: str, message: Any) -> DomainError:
        return cls(message, field_errors={field: [str(message)]})

    def as_problem(self, instance: str = "") -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": f"https://kantoor.dev/problems/{self.code}",
            "title": str(self.title),
            "status": self.status,
            "detail": self.message,
        }
        if instance:
            problem["instance"] = instance
        if self.field_errors:
            problem["errors"] = [
                {"field": field, "message": message}
                for field, messages in self.field_errors.items()
                for message in messages
            ]
        problem.update(self.extra)
        return problem


class InvalidInputError(DomainError):
    status = 422
    code = "invalid-input"
    title = _("The input is not valid")


class NotFoundError(DomainError):
    status = 404
    code = "not-found"
    title = _("Not found")


class PermissionDeniedError(DomainError):
    status = 403
    code = "permission-denied"
    title = _("You are not allowed to do this")


class ConflictError(DomainError):
    status = 409
    code = "conflict"
    title = _("The action conflicts with the current state")


class StaleVersionError(ConflictError):
    code = "stale-version"
    title = _("The record was changed by someone else; reload it and try again")


class StateError(ConflictError):
    code = "invalid-state"
    title = _("The record is not in a state that allows this")


class UnknownCurrencyError(InvalidInputError):
    code = "unknown-currency"
    title = _("Unknown currency")


class MissingExchangeRateError(InvalidInputError):
    code = "missing-exchange-rate"
    title = _("No exchange rate for that currency and date")
