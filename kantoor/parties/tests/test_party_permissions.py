"""Every writing party service, for anonymous, no role, another company, another team, allowed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import OutboxEvent
from kantoor.core.services import team_create
from kantoor.parties import services
from kantoor.parties.models import Party

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(admin_user, make_user, outsider):
    north = team_create(actor=admin_user, name="Sales North")
    south = team_create(actor=admin_user, name="Sales South")
    owner = make_user("sales", scope="team", team=north)
    party = services.party_create(actor=owner, kind="organisation", name="Acme")
    other = services.party_create(actor=owner, kind="organisation", name="Beta")
    return {
        "party": party,
        "other": other,
        "anonymous": AnonymousUser(),
        "no role": make_user(),
        "other company": outsider,
        "other team": make_user("sales", scope="team", team=south),
        "teammate": make_user("sales", scope="team", team=north),
        "owner": owner,
    }


CALLS = {
    "update": lambda actor, w: services.party_update(
        actor=actor, party_id=w["party"].pk, version=1, changes={"notes": "x"}
    ),
    "archive": lambda actor, w: services.party_archive(
        actor=actor, party_id=w["party"].pk, version=1, is_archived=True
    ),
    "merge": lambda actor, w: services.party_merge(
        actor=actor, source_id=w["other"].pk, target_id=w["party"].pk
    ),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize(
    ("who", "refusal"),
    # Signed-in users who may not see the party learn nothing of it (404).
    [
        ("anonymous", PermissionDeniedError),
        ("no role", NotFoundError),
        ("other company", NotFoundError),
        ("other team", NotFoundError),
    ],
)
def test_refused_writes_change_nothing(world, call, who, refusal):
    events = OutboxEvent.objects.count()
    with pytest.raises(refusal):
        CALLS[call](world[who], world)
    party = Party.objects.get(pk=world["party"].pk)
    assert (party.version, party.notes, party.is_archived) == (1, "", False)
    assert OutboxEvent.objects.count() == events


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("who", ["owner", "teammate"])
def test_allowed_writes(world, call, who):
    result = CALLS[call](world[who], world)
    assert result.pk == world["party"].pk
    assert Party.objects.get(pk=world["party"].pk).version == 2


@pytest.mark.parametrize(
    ("who", "refusal"), [("anonymous", PermissionDeniedError), ("no role", PermissionDeniedError)]
)
def test_party_create_refused(world, who, refusal):
    count = Party.objects.count()
    with pytest.raises(refusal):
        services.party_create(actor=world[who], kind="organisation", name="Gamma")
    assert Party.objects.count() == count


def test_own_scope_user_cannot_create_for_someone_else(make_user, world):
    own = make_user("sales", scope="own")
    with pytest.raises(PermissionDeniedError):
        services.party_create(
            actor=own, kind="organisation", name="Gamma", owner=world["owner"].pk, team=None
        )
    assert not Party.objects.filter(name="Gamma").exists()
    mine = services.party_create(actor=own, kind="organisation", name="Gamma")
    assert mine.owner_id == own.pk
