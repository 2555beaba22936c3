"""Money: an exact Decimal amount with an ISO 4217 currency, rounded per currency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import format_currency, get_currency_precision, list_currencies
from django.utils.translation import gettext as _

from kantoor.core.errors import MissingExchangeRateError, UnknownCurrencyError


@cache
def currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_validate(code: str) -> str:
    """Return the upper-case ISO 4217 code, or raise UnknownCurrencyError naming it."""
    normalised = (code or "").strip().upper()
    if normalised not in currencies():
        raise UnknownCurrencyError(
            _("“%(code)s” is not an ISO 4217 currency code.") % {"code": code},
            field_errors={"currency": [_("Unknown currency “%(code)s”.") % {"code": code}]},
        )
    return normalised


@cache
def currency_exponent(code: str) -> int:
    return int(get_currency_precision(currency_validate(code)))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up (commercial rounding) to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency; arithmetic refuses to mix currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money amounts are Decimal, never float")
        object.__setattr__(self, "currency", currency_validate(self.currency))

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal) -> Money:
        return Money(self.amount * factor, self.currency)

    def rounded(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)

    def format(self, locale: str = "en") -> str:
        return format_currency(self.amount, self.currency, locale=locale)

    def __str__(self) -> str:
        return f"{self.currency} {quantize(self.amount, self.currency)}"


def exchange_rate_on(*, company_id: int, currency: str, on: dt.date) -> Decimal:
    """Units of `currency` per unit of the base currency valid on `on` (latest earlier rate)."""
    from kantoor.core.models import Company, ExchangeRate

    code = currency_validate(currency)
    base = Company.objects.values_list("base_currency", flat=True).get(pk=company_id)
    if code == base:
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(company_id=company_id, currency=code, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise MissingExchangeRateError(
            _("No exchange rate for %(currency)s on or before %(date)s.")
            % {"currency": code, "date": on.isoformat()},
            field_errors={"currency": [_("No exchange rate for this date.")]},
        )
    return rate


def to_base(*, company_id: int, money: Money, on: dt.date) -> Money:
    """Convert to the company's base currency at the rate valid on `on`, rounded."""
    from kantoor.core.models import Company

    base = Company.objects.values_list("base_currency", flat=True).get(pk=company_id)
    rate = exchange_rate_on(company_id=company_id, currency=money.currency, on=on)
    return Money(quantize(money.amount / rate, base), base)
