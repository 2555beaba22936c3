"""party_merge: every reference moves to the surviving party; history is kept."""

from __future__ import annotations

import pytest

from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.core.outbox import run_pending_events
from kantoor.parties import services
from kantoor.parties.errors import PartyMergeError
from kantoor.parties.models import Party, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(salesperson):
    target = services.party_create(
        actor=salesperson,
        kind="organisation",
        name="De Vries Bakkerij",
        roles=["customer"],
        tags=["bakery"],
        contact_points=[{"kind": "email", "value": "info@devries.nl"}],
    )
    source = services.party_create(
        actor=salesperson,
        kind="organisation",
        name="Bakkerij de Vries (old)",
        roles=["customer", "supplier"],
        tags=["utrecht"],
        vat_number="NL853746333B01",
        contact_points=[
            {"kind": "email", "value": "INFO@devries.nl"},
            {"kind": "phone", "value": "030 1234567"},
        ],
        addresses=[{"kind": "invoice", "street": "Oudegracht 1", "city": "Utrecht", "country": "NL"}],
        confirmed_duplicate_ids=[target.pk],
    )
    contact = services.party_create(
        actor=salesperson, kind="person", name="Anna de Boer", organisation=source.pk
    )
    run_pending_events()
    return source, target, contact


def test_party_merge_moves_everything_to_the_target(salesperson, pair):
    source, target, contact = pair
    # when the duplicate is merged into the surviving party
    merged = services.party_merge(actor=salesperson, source_id=source.pk, target_id=target.pk)
    run_pending_events()
    # then the target has the union of roles, tags and contact points, without duplicates
    assert merged.pk == target.pk
    assert sorted(merged.roles.values_list("role", flat=True)) == ["customer", "supplier"]
    assert sorted(merged.tags.values_list("name", flat=True)) == ["bakery", "utrecht"]
    assert sorted(merged.contact_points.values_list("kind", "normalized_value")) == [
        ("email", "info@devries.nl"),
        ("phone", "0301234567"),
    ]
    # and empty fields were filled from the source; references (addresses, contacts) moved
    assert merged.vat_number == "NL853746333B01"
    assert list(merged.addresses.values_list("street", flat=True)) == ["Oudegracht 1"]
    assert Party.objects.get(pk=contact.pk).organisation_id == target.pk
    # and the source survives archived, pointing at the target
    source.refresh_from_db()
    assert (source.merged_into_id, source.is_archived) == (target.pk, True)
    # and the timeline keeps both histories plus the merge
    assert sorted(TimelineEntry.objects.filter(party=target).values_list("kind", flat=True)) == [
        "party.created",
        "party.created",
        "party.merged",
    ]
    assert list(
        AuditEntry.objects.filter(
            model="parties.party", object_id=str(target.pk), action="merge"
        ).values_list("changes__merged_from", flat=True)
    ) == [[None, source.pk]]
    event = OutboxEvent.objects.get(name="parties.PartiesMerged")
    assert (event.payload["source_id"], event.payload["target_id"]) == (source.pk, target.pk)


@pytest.mark.parametrize("case", ["same", "kind", "already-merged"])
def test_party_merge_refusals_change_nothing(salesperson, pair, case):
    source, target, contact = pair
    if case == "already-merged":
        services.party_merge(actor=salesperson, source_id=source.pk, target_id=target.pk)
    events = OutboxEvent.objects.count()
    arguments = {
        "same": (target.pk, target.pk),
        "kind": (contact.pk, target.pk),
        "already-merged": (source.pk, target.pk),
    }[case]
    with pytest.raises(PartyMergeError):
        services.party_merge(actor=salesperson, source_id=arguments[0], target_id=arguments[1])
    assert OutboxEvent.objects.count() == events
    assert Party.objects.get(pk=contact.pk).merged_into_id is None
