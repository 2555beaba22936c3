"""Errors of the sales app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import ConflictError, InvalidInputError, PermissionDeniedError, StateError


class SalesOrderInvalidError(InvalidInputError):
    code = "sales-order-invalid"
    title = _("The quotation or order is not valid")


class SalesOrderStateError(StateError):
    code = "sales-order-state"
    title = _("The quotation or order cannot do that in its state")


class NothingToInvoiceError(StateError):
    code = "sales-nothing-to-invoice"
    title = _("Nothing is left to invoice on this order")


class OutOfStockError(ConflictError):
    code = "sales-out-of-stock"
    title = _("Not enough stock, and the product is not sold on backorder")


class CreditLimitExceededError(ConflictError):
    code = "sales-credit-limit"
    title = _("The order would take the customer over their credit limit")


class DiscountApprovalRequiredError(PermissionDeniedError):
    code = "sales-discount-approval"
    title = _("A discount above your allowance needs a sales manager's approval")


class QuoteLinkError(InvalidInputError):
    status = 404
    code = "sales-quote-link"
    title = _("This link is not valid or has expired")


class QuoteAnsweredError(StateError):
    code = "sales-quote-answered"
    title = _("The quotation was answered already")


class SalesSettingsInvalidError(InvalidInputError):
    code = "sales-settings-invalid"
    title = _("The sales settings are not valid")


class CustomerTermsInvalidError(InvalidInputError):
    code = "sales-terms-invalid"
    title = _("The customer's terms are not valid")


class ReturnInvalidError(InvalidInputError):
    code = "sales-return-invalid"
    title = _("The return is not valid")


class ReturnStateError(StateError):
    code = "sales-return-state"
    title = _("The return cannot do that in its state")


class SalesTargetInvalidError(InvalidInputError):
    code = "sales-target-invalid"
    title = _("The sales target is not valid")
