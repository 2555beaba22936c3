"""Parties through the API: create (with duplicate detection), read, change, archive and
restore, merge, and a party's contacts, timeline and history."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.core.outbox import run_pending_events
from kantoor.core.tests.api_support import Api, assert_problem, nothing_written, token_for
from kantoor.parties.models import Party
from kantoor.parties.services import party_archive, party_create, party_merge, party_update


@pytest.fixture
def api(salesperson: Any) -> Api:
    return Api(Client(), token_for(salesperson), salesperson)


@pytest.fixture
def bakery(salesperson: Any) -> Party:
    return party_create(
        actor=salesperson,
        kind="organisation",
        name="Bakkerij de Vries B.V.",
        vat_number="NL853746333B01",
        country="NL",
        roles=["customer"],
        contact_points=[{"kind": "email", "value": "info@devries.example"}],
    )


def _time(value: Any) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_create_an_organisation(api: Api, salesperson: Any) -> None:
    response = api.post(
        "/parties",
        {
            "kind": "organisation",
            "name": "  Bakkerij  de Vries B.V. ",
            "vat_number": "nl 8537.46333.B01",
            "coc_number": "1234 5678",
            "country": "nl",
            "roles": ["supplier", "customer"],
            "tags": ["bread", "Amsterdam"],
            "contact_points": [
                {"kind": "email", "value": "Info@DeVries.example", "is_primary": True},
                {"kind": "website", "value": "devries.example"},
            ],
            "addresses": [
                {
                    "kind": "visit",
                    "street": "Dorpsstraat 1",
                    "postal_code": "1234ab",
                    "city": "Urk",
                    "country": "nl",
                }
            ],
        },
    )

    assert response.status_code == 201
    party = Party.objects.get()
    assert response.json() == {
        "id": party.pk,
        "kind": "organisation",
        "name": "Bakkerij de Vries B.V.",
        "organisation_id": None,
        "job_title": "",
        "vat_number": "NL853746333B01",
        "coc_number": "12345678",
        "country": "NL",
        "language": "en",
        "notes": "",
        "owner_id": salesperson.pk,
        "team_id": None,
        "is_archived": False,
        "merged_into_id": None,
        "roles": ["customer", "supplier"],
        "tags": ["Amsterdam", "bread"],
        "contact_points": [
            {"kind": "email", "value": "Info@DeVries.example", "label": "", "is_primary": True},
            {"kind": "website", "value": "https://devries.example", "label": "", "is_primary": False},
        ],
        "addresses": [
            {
                "kind": "visit",
                "street": "Dorpsstraat 1",
                "postal_code": "1234 AB",
                "city": "Urk",
                "region": "",
                "country": "NL",
                "is_primary": False,
            }
        ],
        "version": 1,
        "created_at": _time(party.created_at),
        "updated_at": _time(party.updated_at),
    }
    assert OutboxEvent.objects.filter(name="parties.PartyCreated", payload__party_id=party.pk).count() == 1


def test_a_contact_is_a_person_of_an_organisation(api: Api, bakery: Party) -> None:
    response = api.post(
        "/parties",
        {"kind": "person", "name": "Jan de Vries", "job_title": "Owner", "organisation_id": bakery.pk},
    )

    assert response.status_code == 201
    assert response.json()["organisation_id"] == bakery.pk
    contacts = api.get(f"/parties/{bakery.pk}/contacts").json()
    assert [(c["name"], c["job_title"]) for c in contacts["items"]] == [("Jan de Vries", "Owner")]


def test_a_likely_duplicate_is_a_409_listing_the_candidates(api: Api, bakery: Party) -> None:
    with nothing_written():
        response = api.post("/parties", {"kind": "organisation", "name": "Bakkerij De Vries"})

    problem = assert_problem(response, 409, "duplicate-party")
    assert problem["detail"] == "A party with the same name exists: Bakkerij de Vries B.V.."
    assert problem["duplicates"] == [{"id": bakery.pk, "name": "Bakkerij de Vries B.V.", "reason": "name"}]


def test_a_confirmed_duplicate_is_created(api: Api, bakery: Party) -> None:
    response = api.post(
        "/parties",
        {"kind": "organisation", "name": "Bakkerij De Vries", "confirmed_duplicate_ids": [bakery.pk]},
    )

    assert response.status_code == 201
    assert Party.objects.count() == 2


def test_invalid_details_name_every_faulty_field(api: Api) -> None:
    with nothing_written():
        response = api.post(
            "/parties",
            {
                "kind": "organisation",
                "name": "Acme",
                "vat_number": "NL123",
                "country": "XX",
                "contact_points": [{"kind": "email", "value": "not-an-address"}],
            },
        )

    problem = assert_problem(response, 422, "party-invalid")
    assert problem["errors"] == [
        {"field": "country", "message": "“XX” is not an ISO 3166 country code."},
        {"field": "vat_number", "message": "“NL123” is not a valid VAT number."},
        {"field": "contact_points.0.value", "message": "“not-an-address” is not a valid e-mail address."},
    ]


def test_overlong_values_are_refused_before_the_database(api: Api) -> None:
    with nothing_written():
        response = api.post(
            "/parties",
            {
                "kind": "organisation",
                "name": "Acme",
                "addresses": [
                    {
                        "kind": "postal",
                        "street": "1 Main St",
                        "city": "Leeds",
                        "country": "GB",
                        "postal_code": "L" * 21,
                    }
                ],
            },
        )

    problem = assert_problem(response, 422, "invalid-input")
    assert problem["errors"] == [
        {"field": "addresses.0.postal_code", "message": "Enter at most 20 characters.", "location": "body"}
    ]


def test_get_a_party(api: Api, bakery: Party) -> None:
    body = api.get(f"/parties/{bakery.pk}").json()

    assert (body["name"], body["version"], body["roles"]) == ("Bakkerij de Vries B.V.", 1, ["customer"])


def test_a_party_of_another_company_is_not_found(outsider: Any, bakery: Party) -> None:
    api = Api(Client(), token_for(outsider))

    problem = assert_problem(api.get(f"/parties/{bakery.pk}"), 404, "not-found")

    assert problem["detail"] == "Not found."


def test_update_changes_what_was_sent_and_lists_replace(api: Api, bakery: Party) -> None:
    response = api.patch(
        f"/parties/{bakery.pk}",
        {
            "version": 1,
            "notes": "Delivers on Tuesdays.",
            "roles": ["supplier"],
            "contact_points": [{"kind": "phone", "value": "+31 20 123 4567"}],
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["vat_number"], body["notes"]) == (
        "Bakkerij de Vries B.V.",
        "NL853746333B01",
        "Delivers on Tuesdays.",
    )
    assert body["roles"] == ["supplier"]
    assert body["contact_points"] == [
        {"kind": "phone", "value": "+31 20 123 4567", "label": "", "is_primary": False}
    ]
    assert body["version"] == 2
    entry = AuditEntry.objects.filter(model="parties.party", action="update").get()
    assert entry.changes == {
        "notes": ["", "Delivers on Tuesdays."],
        "roles": [["customer"], ["supplier"]],
        "contact_points": [
            [["email", "info@devries.example", "", False]],
            [["phone", "+31 20 123 4567", "", False]],
        ],
    }


def test_tags_and_addresses_sent_replace_the_current_ones_and_others_stay(api: Api, salesperson: Any) -> None:
    shop = party_create(
        actor=salesperson,
        kind="organisation",
        name="Corner Shop",
        tags=["retail", "north"],
        addresses=[{"kind": "visit", "street": "Kerkstraat 2", "city": "Urk", "country": "NL"}],
    )

    replaced = api.patch(
        f"/parties/{shop.pk}",
        {
            "version": 1,
            "tags": ["vip"],
            "addresses": [
                {
                    "kind": "invoice",
                    "street": "Postbus 7",
                    "postal_code": "8321AA",
                    "city": "Urk",
                    "country": "NL",
                }
            ],
        },
    ).json()
    untouched = api.patch(f"/parties/{shop.pk}", {"version": 2, "job_title": ""}).json()

    assert replaced["tags"] == ["vip"]
    assert replaced["addresses"] == [
        {
            "kind": "invoice",
            "street": "Postbus 7",
            "postal_code": "8321 AA",
            "city": "Urk",
            "region": "",
            "country": "NL",
            "is_primary": False,
        }
    ]
    assert (untouched["tags"], untouched["addresses"], untouched["version"]) == (
        ["vip"],
        replaced["addresses"],
        2,
    )


def test_null_clears_a_relation(api: Api, bakery: Party, salesperson: Any) -> None:
    person = party_create(actor=salesperson, kind="person", name="Jan", organisation=bakery.pk)

    response = api.patch(f"/parties/{person.pk}", {"version": 1, "organisation_id": None})

    assert response.json()["organisation_id"] is None


def test_a_stale_version_is_a_409_and_changes_nothing(api: Api, bakery: Party, salesperson: Any) -> None:
    party_update(actor=salesperson, party_id=bakery.pk, version=1, changes={"notes": "Someone else's edit"})

    with nothing_written():
        response = api.patch(f"/parties/{bakery.pk}", {"version": 1, "name": "De Vries"})

    problem = assert_problem(response, 409, "stale-version")
    assert problem["current_version"] == 2


def test_archive_and_restore(api: Api, bakery: Party) -> None:
    archived = api.post(f"/parties/{bakery.pk}/archive", {"version": 1}).json()
    hidden = api.get("/parties").json()["items"]
    shown = api.get("/parties", {"include_archived": "true"}).json()["items"]
    restored = api.post(f"/parties/{bakery.pk}/restore", {"version": 2}).json()

    assert (archived["is_archived"], archived["version"]) == (True, 2)
    assert hidden == []
    assert [p["id"] for p in shown] == [bakery.pk]
    assert (restored["is_archived"], restored["version"]) == (False, 3)


def test_archiving_a_stale_version_changes_nothing(api: Api, bakery: Party) -> None:
    with nothing_written():
        response = api.post(f"/parties/{bakery.pk}/archive", {"version": 7})

    assert_problem(response, 409, "stale-version")


def test_merge_a_duplicate_into_the_party(api: Api, bakery: Party, salesperson: Any) -> None:
    duplicate = party_create(
        actor=salesperson,
        kind="organisation",
        name="De Vries Bakery",
        roles=["supplier"],
        confirmed_duplicate_ids=[bakery.pk],
    )

    response = api.post(f"/parties/{bakery.pk}/merge", {"source_id": duplicate.pk})

    assert response.status_code == 200
    assert response.json()["roles"] == ["customer", "supplier"]
    source = api.get(f"/parties/{duplicate.pk}").json()
    assert (source["merged_into_id"], source["is_archived"]) == (bakery.pk, True)
    listed = api.get("/parties", {"include_archived": "true"}).json()["items"]
    assert [p["id"] for p in listed] == [bakery.pk]


@pytest.mark.parametrize("case", ["itself", "a person", "already merged"])
def test_a_refused_merge_changes_nothing(api: Api, bakery: Party, salesperson: Any, case: str) -> None:
    if case == "itself":
        source_id = bakery.pk
    elif case == "a person":
        source_id = party_create(actor=salesperson, kind="person", name="Jan").pk
    else:
        gone = party_create(
            actor=salesperson, kind="organisation", name="Gone B.V.", confirmed_duplicate_ids=[bakery.pk]
        )
        other = party_create(actor=salesperson, kind="organisation", name="Other")
        party_merge(actor=salesperson, source_id=gone.pk, target_id=other.pk)
        source_id = gone.pk

    with nothing_written():
        response = api.post(f"/parties/{bakery.pk}/merge", {"source_id": source_id})

    assert_problem(response, 409, "party-merge-refused")


def test_a_merged_party_cannot_change(api: Api, bakery: Party, salesperson: Any) -> None:
    other = party_create(actor=salesperson, kind="organisation", name="Other")
    party_merge(actor=salesperson, source_id=other.pk, target_id=bakery.pk)
    version = Party.objects.get(pk=other.pk).version

    with nothing_written():
        response = api.patch(f"/parties/{other.pk}", {"version": version, "notes": "late edit"})

    problem = assert_problem(response, 409, "party-merge-refused")
    assert problem["detail"] == "This party was merged into another one and cannot change."


def test_the_timeline_newest_first(api: Api, bakery: Party, salesperson: Any) -> None:
    party_update(actor=salesperson, party_id=bakery.pk, version=1, changes={"notes": "VIP"})
    party_archive(actor=salesperson, party_id=bakery.pk, version=2, is_archived=True)
    run_pending_events()

    items = api.get(f"/parties/{bakery.pk}/timeline").json()["items"]

    assert [(i["kind"], i["title"]) for i in items] == [
        ("party.archived", "Archived"),
        ("party.updated", "Details changed"),
        ("party.created", "Party created"),
    ]
    assert (items[1]["body"], items[1]["actor_id"]) == ("notes", salesperson.pk)


def test_the_history_field_by_field(api: Api, bakery: Party, salesperson: Any) -> None:
    party_update(actor=salesperson, party_id=bakery.pk, version=1, changes={"job_title": "", "notes": "VIP"})

    items = api.get(f"/parties/{bakery.pk}/audit").json()["items"]

    assert [(i["action"], i["actor_id"]) for i in items] == [
        ("update", salesperson.pk),
        ("create", salesperson.pk),
    ]
    assert items[0]["changes"] == {"notes": ["", "VIP"]}


@pytest.mark.parametrize("what", ["contacts", "timeline", "audit"])
def test_the_lists_of_an_invisible_party_are_not_found(outsider: Any, bakery: Party, what: str) -> None:
    api = Api(Client(), token_for(outsider))

    assert_problem(api.get(f"/parties/{bakery.pk}/{what}"), 404, "not-found")
