"""Story: two departments meet the same customer and end up with one record.

Sales registers a bakery as a prospect; service, not finding it, tries to register the
same bakery by its e-mail and is shown the existing record; finance later finds an old
duplicate entered with the VAT number and merges it. The customer's timeline tells the
whole story, and every change is in the audit trail.
"""

from __future__ import annotations

import pytest

from kantoor.core.models import AuditEntry
from kantoor.core.outbox import run_pending_events
from kantoor.core.services import team_create
from kantoor.parties import selectors, services
from kantoor.parties.errors import DuplicatePartyError
from kantoor.parties.models import Party

pytestmark = pytest.mark.django_db


def test_one_record_per_customer_across_departments(admin_user, make_user):
    sales_team = team_create(actor=admin_user, name="Sales")
    seller = make_user("sales", scope="team", team=sales_team)
    agent = make_user("service", scope="company")
    accountant = make_user("finance", scope="company")

    # given sales registers a prospect with its e-mail address
    bakery = services.party_create(
        actor=seller,
        kind="organisation",
        name="Bakkerij De Vries B.V.",
        roles=["prospect"],
        contact_points=[{"kind": "email", "value": "info@devries.nl"}],
    )
    # and an old record of the same bakery exists from the previous bookkeeping system
    old = services.party_create(
        actor=accountant,
        kind="organisation",
        name="De Vries Broodbakkers",
        vat_number="NL853746333B01",
        roles=["customer"],
    )

    # when service tries to register the bakery again by its e-mail
    with pytest.raises(DuplicatePartyError) as offered:
        services.party_create(
            actor=agent,
            kind="organisation",
            name="De Vries",
            contact_points=[{"kind": "email", "value": "INFO@devries.nl"}],
        )
    # then they are shown the existing record instead of creating a second one
    assert [c["id"] for c in offered.value.candidates] == [bakery.pk]

    # when finance merges the old record into the live one
    services.party_merge(actor=accountant, source_id=old.pk, target_id=bakery.pk)
    run_pending_events()

    # then there is one live bakery: a customer and prospect, with the VAT number
    live = selectors.parties_list(accountant, q="bakkerij")
    assert [p.pk for p in live] == [bakery.pk]
    bakery.refresh_from_db()
    assert bakery.vat_number == "NL853746333B01"
    assert sorted(bakery.roles.values_list("role", flat=True)) == ["customer", "prospect"]
    assert Party.objects.filter(merged_into=bakery).count() == 1
    # and the VAT number now finds it too
    assert [p.pk for p in selectors.parties_list(agent, q="NL853746333B01")] == [bakery.pk]
    # and the timeline and audit trail tell the story
    assert list(selectors.timeline_of(bakery).values_list("kind", flat=True)) == [
        "party.merged",
        "party.created",
        "party.created",
    ]
    assert list(
        AuditEntry.objects.filter(model="parties.party").order_by("id").values_list("object_id", "action")
    ) == [
        (str(bakery.pk), "create"),
        (str(old.pk), "create"),
        (str(bakery.pk), "merge"),
        (str(old.pk), "merged"),
    ]
