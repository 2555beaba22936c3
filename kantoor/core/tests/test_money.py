"""Money: ISO 4217 currencies, rounding per currency, no float, no mixing, exchange rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kantoor.core.errors import (
    InvalidInputError,
    MissingExchangeRateError,
    PermissionDeniedError,
    UnknownCurrencyError,
)
from kantoor.core.models import AuditEntry, ExchangeRate
from kantoor.core.money import (
    Money,
    currency_exponent,
    currency_validate,
    exchange_rate_on,
    quantize,
    to_base,
)
from kantoor.core.services import exchange_rate_set


@pytest.mark.parametrize(("raw", "code"), [("EUR", "EUR"), (" usd ", "USD"), ("jpy", "JPY")])
def test_currency_codes_are_normalised(raw, code):
    assert currency_validate(raw) == code


@pytest.mark.parametrize("raw", ["", "EURO", "ABC", "€"])
def test_an_unknown_currency_is_refused_naming_the_field(raw):
    with pytest.raises(UnknownCurrencyError) as refused:
        currency_validate(raw)
    assert refused.value.field_errors == {"currency": [f"Unknown currency “{raw}”."]}
    assert refused.value.message == f"“{raw}” is not an ISO 4217 currency code."
    assert (refused.value.status, refused.value.code) == (422, "unknown-currency")


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("2.675", "EUR", "2.68"),
        ("2.674999", "EUR", "2.67"),
        ("-2.675", "EUR", "-2.68"),  # half up = away from zero, as commerce rounds
        ("2.5", "JPY", "3"),
        ("-2.5", "JPY", "-3"),
        ("1234.4999", "JPY", "1234"),
        ("1.0005", "BHD", "1.001"),
        ("1.00049", "BHD", "1.000"),
        ("7", "EUR", "7.00"),
    ],
)
def test_quantize_rounds_half_up_to_the_currencys_minor_unit(amount, currency, rounded):
    result = quantize(Decimal(amount), currency)
    assert result == Decimal(rounded)
    assert str(result) == rounded  # the exponent too: 7.00, not 7


def test_currency_exponents():
    assert [currency_exponent(c) for c in ("JPY", "EUR", "BHD", "KWD")] == [0, 2, 3, 3]


@given(
    amount=st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False, places=8
    ),
    currency=st.sampled_from(["EUR", "JPY", "BHD", "USD", "GBP", "KWD", "CLP"]),
)
def test_quantize_is_idempotent_and_within_half_a_minor_unit(amount, currency):
    once = quantize(amount, currency)
    assert quantize(once, currency) == once
    half_unit = Decimal(1).scaleb(-currency_exponent(currency)) / 2
    assert abs(once - amount) <= half_unit
    assert once.as_tuple().exponent == -currency_exponent(currency)


def test_money_refuses_float_and_unknown_currencies():
    with pytest.raises(TypeError, match="never float"):
        Money(1.10, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="never float"):
        Money("1.10", "EUR")  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrencyError):
        Money(Decimal("1.10"), "XYZ")
    with pytest.raises(TypeError):
        Money(Decimal("1.10"), "EUR") * 1.5  # type: ignore[operator]


def test_money_arithmetic_stays_in_one_currency():
    a, b = Money(Decimal("10.10"), "eur"), Money(Decimal("0.905"), "EUR")
    assert a.currency == "EUR"
    assert a + b == Money(Decimal("11.005"), "EUR")
    assert a - b == Money(Decimal("9.195"), "EUR")
    assert -a == Money(Decimal("-10.10"), "EUR")
    assert a * Decimal("3") == Money(Decimal("30.30"), "EUR")
    assert (a + b).rounded() == Money(Decimal("11.01"), "EUR")
    assert str(a + b) == "EUR 11.01"
    assert Money(Decimal("1234.5"), "EUR").format("en") == "€1,234.50"
    assert Money(Decimal("1234.5"), "EUR").format("nl") == "€\xa01.234,50"
    with pytest.raises(ValueError, match="cannot combine EUR and USD"):
        a + Money(Decimal("1"), "USD")
    with pytest.raises(ValueError, match="cannot combine EUR and JPY"):
        a - Money(Decimal("1"), "JPY")


@pytest.fixture
def usd_rates(admin_user):
    exchange_rate_set(actor=admin_user, currency="usd", valid_from=dt.date(2026, 1, 1), rate=Decimal("1.1"))
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(2026, 2, 1), rate=Decimal("1.25"))


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2026, 1, 1), "1.1"),
        (dt.date(2026, 1, 31), "1.1"),
        (dt.date(2026, 2, 1), "1.25"),
        (dt.date(2027, 6, 30), "1.25"),
    ],
)
def test_exchange_rate_on_takes_the_latest_rate_on_or_before_the_day(company, usd_rates, day, rate):
    assert exchange_rate_on(company_id=company.pk, currency="USD", on=day) == Decimal(rate)


def test_exchange_rate_before_the_first_rate_is_missing(company, usd_rates):
    with pytest.raises(MissingExchangeRateError) as refused:
        exchange_rate_on(company_id=company.pk, currency="USD", on=dt.date(2025, 12, 31))
    assert refused.value.message == "No exchange rate for USD on or before 2025-12-31."
    assert refused.value.field_errors == {"currency": ["No exchange rate for this date."]}


def test_exchange_rates_belong_to_their_company(company, other_company, usd_rates):
    # the other company has no USD rate of its own (its base is GBP)
    with pytest.raises(MissingExchangeRateError):
        exchange_rate_on(company_id=other_company.pk, currency="USD", on=dt.date(2026, 3, 1))
    assert exchange_rate_on(company_id=other_company.pk, currency="GBP", on=dt.date(2026, 3, 1)) == Decimal(1)
    assert exchange_rate_on(company_id=company.pk, currency="EUR", on=dt.date(1999, 1, 1)) == Decimal(1)


def test_to_base_converts_and_rounds_in_the_base_currency(company, usd_rates):
    converted = to_base(company_id=company.pk, money=Money(Decimal("100.00"), "USD"), on=dt.date(2026, 2, 15))
    assert converted == Money(Decimal("80.00"), "EUR")
    converted = to_base(company_id=company.pk, money=Money(Decimal("10.00"), "USD"), on=dt.date(2026, 1, 15))
    assert converted == Money(Decimal("9.09"), "EUR")


def test_exchange_rate_set_replaces_the_rate_of_the_same_day(admin_user, company, usd_rates):
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(2026, 2, 1), rate=Decimal("1.3"))
    rows = (
        ExchangeRate.objects.filter(company=company).order_by("valid_from").values_list("valid_from", "rate")
    )
    assert [(day, rate.normalize()) for day, rate in rows] == [
        (dt.date(2026, 1, 1), Decimal("1.1")),
        (dt.date(2026, 2, 1), Decimal("1.3")),
    ]
    actions = list(
        AuditEntry.objects.filter(model="core.exchangerate").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["create", "create", "update"]


def test_only_administrators_set_rates_and_refusals_write_nothing(make_user, company):
    finance = make_user("finance")
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(PermissionDeniedError):
        exchange_rate_set(actor=finance, currency="USD", valid_from=dt.date(2026, 1, 1), rate=Decimal("1.1"))
    assert (ExchangeRate.objects.count(), AuditEntry.objects.count()) == (0, audit_rows)


@pytest.mark.parametrize(
    ("currency", "rate", "field"), [("XYZ", "1.1", "currency"), ("USD", "0", "rate"), ("USD", "-1", "rate")]
)
def test_exchange_rate_set_refuses_bad_input(admin_user, currency, rate, field):
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(InvalidInputError) as refused:  # UnknownCurrencyError is one too
        exchange_rate_set(
            actor=admin_user, currency=currency, valid_from=dt.date(2026, 1, 1), rate=Decimal(rate)
        )
    assert list(refused.value.field_errors) == [field]
    assert (ExchangeRate.objects.count(), AuditEntry.objects.count()) == (0, audit_rows)
