"""party_update and party_archive: field changes, lists, versions, audit."""

from __future__ import annotations

import pytest

from kantoor.core.errors import StaleVersionError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.parties import services
from kantoor.parties.errors import DuplicatePartyError, PartyInvalidError, PartyMergeError
from kantoor.parties.models import Party

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(salesperson):
    return services.party_create(
        actor=salesperson,
        kind="organisation",
        name="Acme",
        roles=["prospect"],
        contact_points=[{"kind": "email", "value": "info@acme.nl"}],
    )


def test_party_update_records_field_level_changes(salesperson, acme):
    party = services.party_update(
        actor=salesperson,
        party_id=acme.pk,
        version=1,
        changes={"name": "Acme Holding", "roles": ["customer"], "notes": "Key account"},
    )
    assert (party.name, party.normalized_name, party.version) == ("Acme Holding", "acme holding", 2)
    assert list(party.roles.values_list("role", flat=True)) == ["customer"]
    entry = AuditEntry.objects.filter(model="parties.party", object_id=str(acme.pk), action="update").get()
    assert entry.changes == {
        "name": ["Acme", "Acme Holding"],
        "notes": ["", "Key account"],
        "roles": [["prospect"], ["customer"]],
    }
    event = OutboxEvent.objects.get(name="parties.PartyUpdated")
    assert event.payload["changed_fields"] == ["name", "notes", "roles"]


def test_party_update_without_changes_writes_nothing(salesperson, acme):
    events = OutboxEvent.objects.count()
    party = services.party_update(actor=salesperson, party_id=acme.pk, version=1, changes={"name": "Acme"})
    assert party.version == 1
    assert OutboxEvent.objects.count() == events
    assert not AuditEntry.objects.filter(
        model="parties.party", object_id=str(acme.pk), action="update"
    ).exists()


def test_party_update_refuses_stale_version(salesperson, acme):
    services.party_update(actor=salesperson, party_id=acme.pk, version=1, changes={"notes": "first"})
    with pytest.raises(StaleVersionError) as refused:
        services.party_update(actor=salesperson, party_id=acme.pk, version=1, changes={"notes": "second"})
    assert refused.value.status == 409
    assert refused.value.extra == {"current_version": 2}
    assert Party.objects.get(pk=acme.pk).notes == "first"


def test_party_update_refuses_invalid_vat_and_keeps_record(salesperson, acme):
    with pytest.raises(PartyInvalidError) as refused:
        services.party_update(actor=salesperson, party_id=acme.pk, version=1, changes={"vat_number": "NL000"})
    assert list(refused.value.field_errors) == ["vat_number"]
    assert Party.objects.get(pk=acme.pk).vat_number == ""


def test_party_update_refuses_unknown_field(salesperson, acme):
    with pytest.raises(PartyInvalidError) as refused:
        services.party_update(actor=salesperson, party_id=acme.pk, version=1, changes={"company": 99})
    assert refused.value.field_errors == {"company": ["Unknown field."]}


def test_renaming_into_a_duplicate_is_offered(salesperson, acme):
    other = services.party_create(actor=salesperson, kind="organisation", name="Beta")
    with pytest.raises(DuplicatePartyError):
        services.party_update(actor=salesperson, party_id=other.pk, version=1, changes={"name": "ACME"})
    renamed = services.party_update(
        actor=salesperson,
        party_id=other.pk,
        version=1,
        changes={"name": "ACME"},
        confirmed_duplicate_ids=[acme.pk],
    )
    assert renamed.name == "ACME"


def test_party_archive_and_restore(salesperson, acme):
    archived = services.party_archive(actor=salesperson, party_id=acme.pk, version=1, is_archived=True)
    assert (archived.is_archived, archived.version) == (True, 2)
    restored = services.party_archive(actor=salesperson, party_id=acme.pk, version=2, is_archived=False)
    assert (restored.is_archived, restored.version) == (False, 3)
    assert list(
        AuditEntry.objects.filter(model="parties.party", object_id=str(acme.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "create",
        "archive",
        "restore",
    ]


def test_merged_party_cannot_change(salesperson, acme):
    other = services.party_create(actor=salesperson, kind="organisation", name="Acme Two")
    services.party_merge(actor=salesperson, source_id=other.pk, target_id=acme.pk)
    with pytest.raises(PartyMergeError):
        services.party_update(actor=salesperson, party_id=other.pk, version=None, changes={"notes": "x"})
