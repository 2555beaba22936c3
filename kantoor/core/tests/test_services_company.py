"""The company's legal details (address, VAT and KvK numbers, contact): checked and
normalised, audited, administrators only; a refusal writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kantoor.core.demo import DEMO_COMPANY_DETAILS
from kantoor.core.errors import InvalidInputError, PermissionDeniedError, StaleVersionError
from kantoor.core.models import AuditEntry, Company
from kantoor.core.services import company_fields_clean, company_update
from kantoor.core.tests.api_support import nothing_written

pytestmark = pytest.mark.django_db

DETAILS: dict[str, Any] = {
    "street": "Keizersgracht 123",
    "postal_code": "1015 CJ",
    "city": "Amsterdam",
    "vat_number": "NL123456782B01",
    "coc_number": "34567890",
    "email": "info@tulip.example",
    "phone": "+31 20 123 4567",
    "website": "https://www.tulip.example",
}


def test_an_administrator_sets_the_legal_details(admin_user: Any, company: Company) -> None:
    updated = company_update(actor=admin_user, version=1, **DETAILS)

    company.refresh_from_db()
    assert updated.pk == company.pk
    assert {name: getattr(company, name) for name in DETAILS} == DETAILS
    assert (company.version, company.name) == (2, "Tulip Trading B.V.")
    entry = AuditEntry.objects.get(action="update", model="core.company")
    assert (entry.actor_id, entry.company_id, entry.object_id) == (admin_user.pk, company.pk, str(company.pk))
    assert entry.changes == {name: ["", value] for name, value in DETAILS.items()}


def test_values_are_trimmed_and_normalised(admin_user: Any, company: Company) -> None:
    company_update(
        actor=admin_user,
        name="  Tulip Holding B.V. ",
        postal_code=" 1015cj ",
        vat_number="nl 1234.56782 b01",
        coc_number="3456 7890",
        website="www.tulip.example",
        email=" info@tulip.example ",
    )

    company.refresh_from_db()
    assert (
        company.name,
        company.postal_code,
        company.vat_number,
        company.coc_number,
        company.website,
        company.email,
    ) == (
        "Tulip Holding B.V.",
        "1015 CJ",
        "NL123456782B01",
        "34567890",
        "https://www.tulip.example",
        "info@tulip.example",
    )


def test_only_the_given_fields_change_and_an_empty_value_clears(admin_user: Any, company: Company) -> None:
    company_update(actor=admin_user, **DETAILS)

    company_update(actor=admin_user, version=2, phone="", city="Haarlem")

    company.refresh_from_db()
    assert (company.phone, company.city, company.street, company.version) == (
        "",
        "Haarlem",
        "Keizersgracht 123",
        3,
    )
    assert AuditEntry.objects.filter(model="core.company").order_by("pk").last().changes == {  # type: ignore[union-attr]
        "phone": ["+31 20 123 4567", ""],
        "city": ["Amsterdam", "Haarlem"],
    }


def test_nothing_changed_writes_nothing(admin_user: Any, company: Company) -> None:
    company_update(actor=admin_user, **DETAILS)
    with nothing_written():
        same = company_update(actor=admin_user, version=2, **DETAILS)
    assert same.version == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vat_number", "NL001234567B01", "“NL001234567B01” is not a valid VAT number."),
        ("vat_number", "XX123", "“XX123” does not start with an EU country code."),
        ("coc_number", "1234567", "“1234567” is not a valid KvK number (8 digits)."),
        ("coc_number", "1234567A", "“1234567A” is not a valid KvK number (8 digits)."),
        ("postal_code", "1015", "“1015” is not a valid Dutch postal code (1234 AB)."),
        ("postal_code", "0123 AB", "“0123 AB” is not a valid Dutch postal code (1234 AB)."),
        ("postal_code", "1234 SA", "“1234 SA” is not a valid Dutch postal code (1234 AB)."),
        ("email", "info@", "“info@” is not a valid e-mail address."),
        ("phone", "call me", "“call me” is not a valid phone number."),
        ("website", "not a site", "“not a site” is not a valid web address."),
        ("name", "  ", "A company needs a name."),
        ("street", "x" * 201, "At most 200 characters."),
        ("website", 12, "Enter text."),
        ("country", "DE", "Unknown field."),
    ],
)
def test_invalid_details_are_refused_and_nothing_is_written(
    admin_user: Any, company: Company, field: str, value: Any, message: str
) -> None:
    with nothing_written(), pytest.raises(InvalidInputError) as caught:
        company_update(actor=admin_user, **{"city": "Haarlem", field: value})

    assert caught.value.field_errors == {field: [message]}


def test_every_invalid_field_is_named_at_once(admin_user: Any) -> None:
    with nothing_written(), pytest.raises(InvalidInputError) as caught:
        company_update(actor=admin_user, vat_number="NL1", coc_number="12", email="x")
    assert sorted(caught.value.field_errors) == ["coc_number", "email", "vat_number"]


def test_a_foreign_company_keeps_its_postal_code_and_registration_as_typed() -> None:
    cleaned = company_fields_clean(
        {"postal_code": "SW1A 1AA", "coc_number": "HRB 12345", "vat_number": "DE136695976"}, "GB"
    )
    assert cleaned == {"postal_code": "SW1A 1AA", "coc_number": "HRB 12345", "vat_number": "DE136695976"}


def test_a_stale_version_is_refused(admin_user: Any) -> None:
    company_update(actor=admin_user, city="Amsterdam")
    with nothing_written(), pytest.raises(StaleVersionError):
        company_update(actor=admin_user, version=1, city="Utrecht")


@pytest.mark.parametrize("role", ["finance", "management", "sales", ""])
def test_only_administrators_may_change_the_company(make_user: Any, role: str) -> None:
    user = make_user(*([role] if role else []))
    with nothing_written(), pytest.raises(PermissionDeniedError):
        company_update(actor=user, city="Utrecht")


def test_anonymous_is_refused() -> None:
    with nothing_written(), pytest.raises(PermissionDeniedError):
        company_update(actor=AnonymousUser(), city="Utrecht")  # type: ignore[arg-type]


def test_an_administrator_changes_only_their_own_company(
    admin_user: Any, outsider: Any, company: Company
) -> None:
    company_update(actor=outsider, city="London")
    company.refresh_from_db()
    assert (company.city, company.version) == ("", 1)
    assert Company.objects.get(pk=outsider.company_id).city == "London"


def test_the_demo_details_pass_the_checks() -> None:
    assert company_fields_clean(dict(DEMO_COMPANY_DETAILS), "NL") == DEMO_COMPANY_DETAILS
