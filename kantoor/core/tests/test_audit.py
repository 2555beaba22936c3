"""The audit trail: exact before/after values, append-only rows, services that write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from kantoor.core import audit
from kantoor.core.models import AuditEntry, Team
from kantoor.core.services import team_create, team_update, user_create, user_update

pytestmark = pytest.mark.django_db


def test_record_writes_exactly_who_what_and_the_values(admin_user, company):
    team = team_create(actor=admin_user, name="Sales")
    # when a change is recorded with values of several types
    entry = audit.record(
        actor=admin_user,
        obj=team,
        action="update",
        changes={
            "name": ["Sales", "Sales NL"],
            "budget": [Decimal("10.50"), Decimal("12.00")],
            "starts": [None, dt.date(2026, 4, 1)],
            "lead": [None, admin_user],
            "ids": (3, 1),
        },
    )
    # then the row names the actor, company and record, with JSON-safe plain values
    entry.refresh_from_db()
    assert (entry.company_id, entry.actor_id, entry.action) == (company.pk, admin_user.pk, "update")
    assert (entry.model, entry.object_id, entry.object_repr) == ("core.team", str(team.pk), "Sales")
    assert entry.changes == {
        "name": ["Sales", "Sales NL"],
        "budget": ["10.50", "12.00"],
        "starts": [None, "2026-04-01"],
        "lead": [None, admin_user.pk],
        "ids": [3, 1],
    }


@pytest.mark.parametrize("actor", [None, AnonymousUser()], ids=["system", "anonymous"])
def test_record_without_a_signed_in_actor_keeps_no_actor(admin_user, actor):
    team = team_create(actor=admin_user, name="Ops")
    entry = audit.record(actor=actor, obj=team, action="update", changes={})
    assert (entry.actor_id, entry.changes, entry.company_id) == (None, {}, admin_user.company_id)


def test_snapshot_and_diff_keep_only_changed_fields(admin_user):
    team = team_create(actor=admin_user, name="Finance")
    before = audit.snapshot(team, ["name", "company", "version"])
    assert before == {"name": "Finance", "company": admin_user.company_id, "version": 1}
    team.name, team.version = "Finance & Control", 2
    assert audit.diff(before, audit.snapshot(team, ["name", "company", "version"])) == {
        "name": ["Finance", "Finance & Control"],
        "version": [1, 2],
    }


def test_audit_rows_refuse_update_and_delete(admin_user):
    entry = AuditEntry.objects.filter(action="create", model="core.user").get(object_id=str(admin_user.pk))
    original = (entry.action, entry.changes, entry.at)
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():  # its own savepoint
        AuditEntry.objects.bulk_update([entry], ["action"])
    entry.action = "forged"
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.changes, stored.at) == original


def test_user_create_writes_one_audit_row_with_every_value(admin_user, company):
    team = team_create(actor=admin_user, name="Service")
    user = user_create(
        actor=admin_user,
        username="fenna",
        password=None,
        email="fenna@example.test",
        first_name="Fenna",
        last_name="Bakker",
        language="nl",
        roles={"service": "team"},
        team_ids=[team.pk],
    )
    entry = AuditEntry.objects.get(model="core.user", object_id=str(user.pk))
    assert (entry.action, entry.actor_id, entry.company_id) == ("create", admin_user.pk, company.pk)
    assert entry.changes == {
        "username": [None, "fenna"],
        "first_name": [None, "Fenna"],
        "last_name": [None, "Bakker"],
        "email": [None, "fenna@example.test"],
        "language": [None, "nl"],
        "is_active": [None, True],
        "roles": [None, {"service": "team"}],
        "teams": [None, [team.pk]],
    }


def test_user_update_records_only_what_changed(admin_user, make_user):
    colleague = make_user("sales", scope="own")
    user_update(
        actor=admin_user,
        user_id=colleague.pk,
        changes={"first_name": "Sanne", "language": "en"},
        roles={"sales": "company", "marketing": "own"},
    )
    entry = AuditEntry.objects.filter(model="core.user", object_id=str(colleague.pk)).get(action="update")
    assert entry.changes == {
        "first_name": ["Sales", "Sanne"],
        "roles": [{"sales": "own"}, {"sales": "company", "marketing": "own"}],
    }
    # an update that changes nothing writes nothing
    user_update(actor=admin_user, user_id=colleague.pk, changes={"first_name": "Sanne"})
    assert (
        AuditEntry.objects.filter(model="core.user", object_id=str(colleague.pk), action="update").count()
        == 1
    )


def test_team_update_records_before_and_after(admin_user, make_user):
    first, second = make_user("sales"), make_user("sales")
    team = team_create(actor=admin_user, name="Field sales", member_ids=[first.pk])
    created = AuditEntry.objects.get(model="core.team", object_id=str(team.pk))
    assert (created.action, created.changes) == (
        "create",
        {"name": [None, "Field sales"], "members": [None, [first.pk]]},
    )
    team_update(
        actor=admin_user, team_id=team.pk, version=1, name="Key accounts", member_ids=[second.pk, first.pk]
    )
    entry = AuditEntry.objects.get(model="core.team", object_id=str(team.pk), action="update")
    assert (entry.actor_id, entry.company_id, entry.object_repr) == (
        admin_user.pk,
        team.company_id,
        "Key accounts",
    )
    assert entry.changes == {
        "name": ["Field sales", "Key accounts"],
        "members": [[first.pk], sorted([first.pk, second.pk])],
    }
    assert Team.objects.get(pk=team.pk).version == 2
