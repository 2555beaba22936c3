"""Checks every service applies to free text before it reaches the database: a value
longer than its column or holding a NUL character is a field error (422), never a
database error (500 on PostgreSQL). And the one parse of a document line's numbers
(quantities, prices, discounts) that sales and purchasing share."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from kantoor.core.errors import InvalidInputError


def text_errors(
    model: type[models.Model], values: Mapping[str, Any], *, prefix: str = ""
) -> dict[str, list[str]]:
    """Field errors for the string values that do not fit `model`'s columns."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            errors.setdefault(f"{prefix}{name}", []).append(_("Contains a NUL character."))
        max_length = getattr(model._meta.get_field(name), "max_length", None)
        if max_length and len(value) > max_length:
            errors.setdefault(f"{prefix}{name}", []).append(_("At most %d characters.") % max_length)
    return errors


def require_text_fits(model: type[models.Model], values: Mapping[str, Any]) -> None:
    errors = text_errors(model, values)
    if errors:
        raise InvalidInputError(_("Please correct the marked fields."), field_errors=errors)


@contextmanager
def unique_or_field_error(field: str, message: Callable[[], str]) -> Iterator[None]:
    """Run an insert in a savepoint; a unique-constraint race lost to a concurrent
    request becomes the same field error the pre-check would have given."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise InvalidInputError.for_field(field, message()) from exc


def number_parse(
    value: Any, places: int, *, low: Decimal, high: Decimal | None = None, above: bool = False
) -> Decimal:
    """`value` as a Decimal of at most `places` decimals, at least `low` (above it with
    `above`) and at most `high`; a ValueError with the message for the field otherwise."""
    if isinstance(value, float | bool) or value is None:
        raise ValueError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 12:
        raise ValueError(_("Enter a number."))
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(_("At most %d decimals.") % places)
    if number < low or (above and number == low):
        raise ValueError(_("Enter a number above %s.") % low if above else _("At least %s.") % low)
    if high is not None and number > high:
        raise ValueError(_("At most %s.") % high)
    return number
