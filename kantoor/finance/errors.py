"""Errors of the finance app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import ConflictError, InvalidInputError, StateError


class EntryInvalidError(InvalidInputError):
    code = "entry-invalid"
    title = _("The journal entry is not valid")


class EntryUnbalancedError(InvalidInputError):
    code = "entry-unbalanced"
    title = _("The journal entry does not balance")


class EntryStateError(StateError):
    code = "entry-state"
    title = _("The journal entry is not in a state that allows this")


class PeriodLockedError(ConflictError):
    code = "period-locked"
    title = _("The date lies in a closed period or on or before the lock date")


class FiscalYearInvalidError(InvalidInputError):
    code = "fiscal-year-invalid"
    title = _("The fiscal year is not valid")


class ChartInvalidError(ConflictError):
    code = "chart-invalid"
    title = _("The chart of accounts cannot be installed")


class FiscalYearStateError(StateError):
    code = "fiscal-year-state"
    title = _("The fiscal year is not in a state that allows this")


class FiscalYearCloseError(ConflictError):
    code = "fiscal-year-close"
    title = _("The fiscal year cannot be closed yet")


class InvoiceInvalidError(InvalidInputError):
    code = "invoice-invalid"
    title = _("The invoice is not valid")


class InvoiceStateError(StateError):
    code = "invoice-state"
    title = _("The invoice is not in a state that allows this")


class PaymentInvalidError(InvalidInputError):
    code = "payment-invalid"
    title = _("The payment is not valid")


class PaymentStateError(StateError):
    code = "payment-state"
    title = _("The payment is not in a state that allows this")


class JournalInvalidError(InvalidInputError):
    code = "journal-invalid"
    title = _("The journal is not valid")


class AccountInvalidError(InvalidInputError):
    code = "account-invalid"
    title = _("The account is not valid")


class AccountInUseError(ConflictError):
    code = "account-in-use"
    title = _("The account is in use and cannot be changed this way")


class TaxInvalidError(InvalidInputError):
    code = "tax-invalid"
    title = _("The tax is not valid")


class TaxInUseError(ConflictError):
    code = "tax-in-use"
    title = _("The tax is used on posted invoices and cannot be changed this way")


class PaymentTermInvalidError(InvalidInputError):
    code = "payment-term-invalid"
    title = _("The payment term is not valid")


class FinanceSettingsInvalidError(InvalidInputError):
    code = "finance-settings-invalid"
    title = _("The finance settings are not valid")
