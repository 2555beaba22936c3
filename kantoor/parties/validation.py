"""Shape checks of party data: identifiers with python-stdnum, e-mail, phone and URLs."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.nl import postcode as nl_postcode
from stdnum.util import clean, isdigits

from kantoor.parties.models import ContactPointKind


def vat_normalise(value: str, country: str = "") -> str:
    """The compact EU VAT number ('NL853746333B01'), or ValueError with the reason."""
    raw = (value or "").strip()
    if not raw:
        return ""
    compact = eu_vat.compact(raw)
    if compact[:2].isdigit() and country:
        compact = eu_vat.compact(country + compact)
    try:
        return str(eu_vat.validate(compact))
    except stdnum_errors.InvalidComponent as exc:
        raise ValueError(_("“%s” does not start with an EU country code.") % raw) from exc
    except stdnum_errors.ValidationError as exc:
        raise ValueError(_("“%s” is not a valid VAT number.") % raw) from exc


def coc_normalise(value: str, country: str) -> str:
    """A Chamber of Commerce number: checked as a Dutch KvK number for Dutch parties."""
    raw = (value or "").strip()
    if not raw:
        return ""
    if country.upper() in {"", "NL"}:
        # KvK numbers are 8 digits without a check digit (python-stdnum has no module).
        compact = clean(raw, " .-")
        if len(compact) != 8 or not isdigits(compact):
            raise ValueError(_("“%s” is not a valid KvK number (8 digits).") % raw)
        return compact
    if not re.fullmatch(r"[A-Za-z0-9 .\-/]{2,20}", raw):
        raise ValueError(_("“%s” is not a valid registration number.") % raw)
    return raw


_url = URLValidator(schemes=["http", "https"])


def contact_value_normalise(kind: str, value: str) -> tuple[str, str]:
    """(value as shown, value as compared) for a contact point, or ValueError."""
    raw = (value or "").strip()
    if kind not in ContactPointKind.values:
        raise ValueError(_("Unknown contact kind “%s”.") % kind)
    if not raw:
        raise ValueError(_("Enter a value."))
    if kind == ContactPointKind.EMAIL:
        try:
            validate_email(raw)
        except DjangoValidationError as exc:
            raise ValueError(_("“%s” is not a valid e-mail address.") % raw) from exc
        return raw, raw.lower()
    if kind in (ContactPointKind.PHONE, ContactPointKind.MOBILE):
        if not re.fullmatch(r"\+?[0-9 ()./\-]{6,25}", raw):
            raise ValueError(_("“%s” is not a valid phone number.") % raw)
        digits = re.sub(r"\D", "", raw)
        if not 6 <= len(digits) <= 17:
            raise ValueError(_("“%s” is not a valid phone number.") % raw)
        return raw, ("+" if raw.startswith("+") else "") + digits
    url = raw if "://" in raw else f"https://{raw}"
    try:
        _url(url)
    except DjangoValidationError as exc:
        raise ValueError(_("“%s” is not a valid web address.") % raw) from exc
    return url, url.lower().rstrip("/")


def postal_code_normalise(value: str, country: str) -> str:
    """Dutch postal codes are checked and written '1234 AB'; others are kept as typed."""
    raw = (value or "").strip()
    if raw and country.upper() == "NL":
        try:
            return str(nl_postcode.validate(raw))
        except stdnum_errors.ValidationError as exc:
            raise ValueError(_("“%s” is not a valid Dutch postal code.") % raw) from exc
    return raw
