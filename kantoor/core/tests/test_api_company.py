"""The company at /api/v1/company: every colleague reads it, administrators change its
legal details; invalid details, a stale version or another role change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kantoor.core.models import AuditEntry, Company
from kantoor.core.tests.api_support import Api, assert_problem, nothing_written, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(admin_user: Any) -> Api:
    return Api(Client(), token_for(admin_user), admin_user)


def test_read_the_company(api: Api, company: Company) -> None:
    assert api.get("/company").json() == {
        "id": company.pk,
        "name": "Tulip Trading B.V.",
        "country": "NL",
        "base_currency": "EUR",
        "street": "",
        "postal_code": "",
        "city": "",
        "vat_number": "",
        "coc_number": "",
        "email": "",
        "phone": "",
        "website": "",
        "version": 1,
    }


def test_an_administrator_changes_the_legal_details(api: Api, company: Company) -> None:
    response = api.patch(
        "/company",
        {
            "version": 1,
            "street": "Keizersgracht 123",
            "postal_code": "1015cj",
            "city": "Amsterdam",
            "vat_number": "NL 123456782 B01",
            "coc_number": "3456.7890",
            "website": "www.tulip.example",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("street", "postal_code", "city", "vat_number", "coc_number", "website")} == {
        "street": "Keizersgracht 123",
        "postal_code": "1015 CJ",
        "city": "Amsterdam",
        "vat_number": "NL123456782B01",
        "coc_number": "34567890",
        "website": "https://www.tulip.example",
    }
    assert (body["version"], body["email"], body["name"]) == (2, "", "Tulip Trading B.V.")
    company.refresh_from_db()
    assert (company.vat_number, company.version) == ("NL123456782B01", 2)
    assert AuditEntry.objects.filter(model="core.company", action="update").count() == 1


def test_invalid_details_name_their_fields_and_change_nothing(api: Api) -> None:
    with nothing_written():
        response = api.patch(
            "/company", {"version": 1, "vat_number": "NL001234567B01", "coc_number": "123", "city": "Delft"}
        )
    problem = assert_problem(response, 422, "invalid-input")
    assert sorted(e["field"] for e in problem["errors"]) == ["coc_number", "vat_number"]


@pytest.mark.parametrize(
    "body",
    [
        {"city": "Delft"},  # no version
        {"version": 1, "country": "DE"},  # not changeable here
        {"version": 1, "city": None},
        {"version": 1, "street": "x" * 201},
        {"version": 1, "name": ""},
    ],
)
def test_malformed_bodies_are_refused(api: Api, body: dict[str, Any]) -> None:
    with nothing_written():
        assert_problem(api.patch("/company", body), 422, "invalid-input")


def test_a_stale_version_is_a_conflict(api: Api) -> None:
    assert api.patch("/company", {"version": 1, "city": "Delft"}).status_code == 200
    with nothing_written():
        assert_problem(api.patch("/company", {"version": 1, "city": "Leiden"}), 409, "stale-version")


@pytest.mark.parametrize("role", ["finance", "management", "sales", ""])
def test_other_roles_read_but_may_not_change(make_user: Any, role: str, company: Company) -> None:
    caller = Api(Client(), token_for(make_user(*([role] if role else []))))
    assert caller.get("/company").json()["id"] == company.pk
    with nothing_written():
        assert_problem(caller.patch("/company", {"version": 1, "city": "Delft"}), 403, "permission-denied")


def test_an_administrator_elsewhere_sees_and_changes_only_their_own(outsider: Any, company: Company) -> None:
    caller = Api(Client(), token_for(outsider))
    assert caller.get("/company").json()["name"] == "Elsewhere Ltd"
    assert caller.patch("/company", {"version": 1, "city": "London"}).json()["city"] == "London"
    company.refresh_from_db()
    assert (company.city, company.version) == ("", 1)


def test_anonymous_is_refused(anonymous_api: Api) -> None:
    assert_problem(anonymous_api.get("/company"), 401)
    with nothing_written():
        assert_problem(anonymous_api.patch("/company", {"version": 1, "city": "Delft"}), 401)
