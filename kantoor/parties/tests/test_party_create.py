"""party_create: validation, normalisation, duplicates, audit and events."""

from __future__ import annotations

import pytest

from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.core.outbox import run_pending_events
from kantoor.parties import services
from kantoor.parties.errors import DuplicatePartyError, PartyInvalidError
from kantoor.parties.models import Party, TimelineEntry

pytestmark = pytest.mark.django_db


def test_party_create_normalises_identifiers_and_lists(salesperson):
    # when a salesperson creates an organisation with loosely typed details
    party = services.party_create(
        actor=salesperson,
        kind="organisation",
        name="  Bakkerij  De Vries B.V. ",
        country="nl",
        vat_number="nl 8537.46.333.B01",
        coc_number="3437 4865",
        roles=["customer", "prospect"],
        tags=["bakery", " bakery ", "utrecht"],
        contact_points=[
            {"kind": "email", "value": "Info@DeVries.nl", "is_primary": True},
            {"kind": "phone", "value": "+31 30 123 4567"},
            {"kind": "website", "value": "devries.nl"},
        ],
        addresses=[
            {
                "kind": "visit",
                "street": "Oudegracht 1",
                "postal_code": "3511ab",
                "city": "Utrecht",
                "country": "nl",
            }
        ],
    )
    # then every value is stored in its canonical form
    party.refresh_from_db()
    assert (party.name, party.normalized_name) == ("Bakkerij De Vries B.V.", "bakkerij de vries")
    assert (party.country, party.vat_number, party.coc_number) == ("NL", "NL853746333B01", "34374865")
    assert (party.owner_id, party.version) == (salesperson.pk, 1)
    assert sorted(party.roles.values_list("role", flat=True)) == ["customer", "prospect"]
    assert sorted(party.tags.values_list("name", flat=True)) == ["bakery", "utrecht"]
    assert list(party.contact_points.order_by("id").values_list("kind", "value", "normalized_value")) == [
        ("email", "Info@DeVries.nl", "info@devries.nl"),
        ("phone", "+31 30 123 4567", "+31301234567"),
        ("website", "https://devries.nl", "https://devries.nl"),
    ]
    assert list(party.addresses.values_list("postal_code", "country")) == [("3511 AB", "NL")]
    # and one audit row and one event were written
    entry = AuditEntry.objects.get(model="parties.party", object_id=str(party.pk))
    assert (entry.action, entry.actor_id) == ("create", salesperson.pk)
    assert entry.changes["name"] == [None, "Bakkerij De Vries B.V."]
    assert entry.changes["roles"] == [[], ["customer", "prospect"]]
    event = OutboxEvent.objects.get(name="parties.PartyCreated")
    assert event.payload["party_id"] == party.pk
    # and the relay writes the timeline entry once, however often it runs
    run_pending_events()
    run_pending_events()
    assert list(TimelineEntry.objects.filter(party=party).values_list("kind", "title")) == [
        ("party.created", "Party created")
    ]


def test_party_create_refuses_invalid_input_naming_every_field(salesperson):
    events = OutboxEvent.objects.count()
    with pytest.raises(PartyInvalidError) as refused:
        services.party_create(
            actor=salesperson,
            kind="robot",
            name=" ",
            vat_number="NL123",
            coc_number="??",
            country="XX",
            language="fr",
            roles=["boss"],
            contact_points=[{"kind": "email", "value": "not-an-email"}, {"kind": "phone", "value": "abc"}],
            addresses=[{"kind": "visit", "street": "", "city": "", "country": "ZZ"}],
        )
    assert sorted(refused.value.field_errors) == [
        "addresses.0.city",
        "addresses.0.country",
        "addresses.0.street",
        "coc_number",
        "contact_points.0.value",
        "contact_points.1.value",
        "country",
        "kind",
        "language",
        "name",
        "roles",
        "vat_number",
    ]
    assert refused.value.status == 422
    assert Party.objects.count() == 0
    assert OutboxEvent.objects.count() == events
    assert not AuditEntry.objects.filter(model="parties.party").exists()


@pytest.mark.parametrize(
    ("existing", "new", "reason"),
    [
        ({"name": "Acme B.V."}, {"name": "ACME bv"}, "name"),
        (
            {"name": "Acme", "vat_number": "NL853746333B01"},
            {"name": "Other", "vat_number": "NL853746333B01"},
            "vat_number",
        ),
        (
            {"name": "Acme", "contact_points": [{"kind": "email", "value": "a@acme.nl"}]},
            {"name": "Other", "contact_points": [{"kind": "email", "value": "A@ACME.NL"}]},
            "email",
        ),
    ],
)
def test_party_create_offers_duplicates_and_accepts_confirmation(salesperson, existing, new, reason):
    # given a party
    first = services.party_create(actor=salesperson, kind="organisation", **existing)
    events_before = OutboxEvent.objects.count()
    # when a look-alike is created, the duplicate is offered and nothing is written
    with pytest.raises(DuplicatePartyError) as refused:
        services.party_create(actor=salesperson, kind="organisation", **new)
    assert refused.value.candidates == [{"id": first.pk, "name": first.name, "reason": reason}]
    assert refused.value.as_problem()["duplicates"] == refused.value.candidates
    assert (Party.objects.count(), OutboxEvent.objects.count()) == (1, events_before)
    # when the user confirms they are different parties, it is created
    second = services.party_create(
        actor=salesperson, kind="organisation", confirmed_duplicate_ids=[first.pk], **new
    )
    assert Party.objects.count() == 2
    assert second.pk != first.pk


def test_duplicates_are_per_company(salesperson, outsider):
    services.party_create(actor=outsider, kind="organisation", name="Acme", vat_number="NL853746333B01")
    party = services.party_create(
        actor=salesperson, kind="organisation", name="Acme", vat_number="NL853746333B01"
    )
    assert party.company_id == salesperson.company_id


def test_person_contact_of_organisation(salesperson):
    org = services.party_create(actor=salesperson, kind="organisation", name="Acme")
    person = services.party_create(
        actor=salesperson,
        kind="person",
        name="Anna de Boer",
        organisation=org.pk,
        job_title="Buyer",
        roles=["contact"],
    )
    assert list(org.contacts.values_list("pk", "job_title")) == [(person.pk, "Buyer")]
    with pytest.raises(PartyInvalidError) as refused:
        services.party_create(actor=salesperson, kind="organisation", name="Sub", organisation=org.pk)
    assert list(refused.value.field_errors) == ["organisation"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": "N" * 201}, {"name": ["At most 200 characters."]}),
        ({"name": "Acme\x00"}, {"name": ["Contains a NUL character."]}),
        ({"job_title": "J" * 121}, {"job_title": ["At most 120 characters."]}),
        ({"tags": ["t" * 61]}, {"tags": ["A tag has at most 60 characters and no NUL character."]}),
        (
            {"contact_points": [{"kind": "email", "value": "a@b.nl", "label": "L" * 61}]},
            {"contact_points.0.label": ["At most 60 characters."]},
        ),
        (
            {
                "addresses": [
                    {
                        "kind": "visit",
                        "street": "S" * 201,
                        "city": "Utrecht",
                        "country": "BE",
                        "postal_code": "P" * 21,
                    }
                ]
            },
            {
                "addresses.0.street": ["At most 200 characters."],
                "addresses.0.postal_code": ["At most 20 characters."],
            },
        ),
    ],
)
def test_party_create_refuses_text_that_does_not_fit(salesperson, fields, errors):
    arguments = {"kind": "organisation", "name": "Acme", **fields}
    with pytest.raises(PartyInvalidError) as refused:
        services.party_create(actor=salesperson, **arguments)
    assert refused.value.field_errors == errors
    assert Party.objects.count() == 0
