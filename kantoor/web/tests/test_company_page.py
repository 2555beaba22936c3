"""The company settings page: administrators change the legal details invoices show,
through core's company_update; service refusals show next to their fields."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kantoor.core.models import AuditEntry, Company

pytestmark = pytest.mark.django_db

URL = "/settings/company/"

FORM = {
    "name": "Tulip Trading B.V.",
    "street": "Keizersgracht 123",
    "postal_code": "1015cj",
    "city": "Amsterdam",
    "vat_number": "nl123456782b01",
    "coc_number": "3456 7890",
    "email": "info@tulip.example",
    "phone": "+31 20 123 4567",
    "website": "www.tulip.example",
    "version": "1",
}


def test_an_administrator_saves_the_legal_details(client: Any, admin_user: Any, company: Company) -> None:
    assert reverse("web:company-edit") == URL
    client.force_login(admin_user)
    page = client.get(URL)
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == "Tulip Trading B.V."
    assert 'href="/settings/company/"' in page.content.decode()  # in the Settings menu

    response = client.post(URL, FORM)

    assert (response.status_code, response["Location"]) == (302, URL)
    company.refresh_from_db()
    assert (
        company.street,
        company.postal_code,
        company.city,
        company.vat_number,
        company.coc_number,
        company.email,
        company.phone,
        company.website,
        company.version,
    ) == (
        "Keizersgracht 123",
        "1015 CJ",
        "Amsterdam",
        "NL123456782B01",
        "34567890",
        "info@tulip.example",
        "+31 20 123 4567",
        "https://www.tulip.example",
        2,
    )
    shown = client.get(URL).content.decode()
    assert 'value="NL123456782B01"' in shown
    assert 'value="1015 CJ"' in shown


def test_invalid_numbers_are_shown_next_to_their_fields(
    client: Any, admin_user: Any, company: Company
) -> None:
    client.force_login(admin_user)

    response = client.post(URL, {**FORM, "vat_number": "NL001234567B01", "postal_code": "0123 AB"})

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["vat_number"] == ["“NL001234567B01” is not a valid VAT number."]
    assert errors["postal_code"] == ["“0123 AB” is not a valid Dutch postal code (1234 AB)."]
    company.refresh_from_db()
    assert (company.street, company.version) == ("", 1)
    assert not AuditEntry.objects.filter(model="core.company", action="update").exists()


def test_a_stale_version_is_refused_with_a_message(client: Any, admin_user: Any, company: Company) -> None:
    client.force_login(admin_user)
    assert client.post(URL, {**FORM, "city": "Delft"}).status_code == 302

    stale = client.post(URL, {**FORM, "city": "Leiden"})

    assert stale.status_code == 422
    assert "Someone else changed the company in the meantime" in stale.content.decode()
    company.refresh_from_db()
    assert (company.city, company.version) == ("Delft", 2)


def test_the_page_is_for_administrators(
    client: Any, admin_user: Any, make_user: Any, outsider: Any, company: Company
) -> None:
    assert client.post(URL, FORM)["Location"] == f"{reverse('web:login')}?next={URL}"
    for role in ("finance", "management", "sales"):
        user = make_user(role)
        client.force_login(user)
        assert client.get(URL).status_code == 403, role
        assert client.post(URL, FORM).status_code == 403, role
        assert 'href="/settings/company/"' not in client.get("/").content.decode(), role
    company.refresh_from_db()
    assert company.version == 1
    # an administrator elsewhere changes their own company only
    client.force_login(outsider)
    assert client.post(URL, {**FORM, "name": "Elsewhere Ltd", "postal_code": "SW1A 1AA"}).status_code == 302
    assert Company.objects.get(pk=outsider.company_id).postal_code == "SW1A 1AA"
    company.refresh_from_db()
    assert (company.street, company.version) == ("", 1)
