"""Teams (with optimistic locking) and personal API tokens (only a hash is kept)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from kantoor.core.errors import InvalidInputError, NotFoundError, PermissionDeniedError, StaleVersionError
from kantoor.core.models import ApiToken, AuditEntry, OutboxEvent, Team
from kantoor.core.selectors import tokens_of
from kantoor.core.services import api_token_create, api_token_revoke, team_create, team_update

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return (
        Team.objects.count(),
        ApiToken.objects.count(),
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )


def team_events() -> list[int]:
    return [e.payload["team_id"] for e in OutboxEvent.objects.filter(name="core.TeamChanged").order_by("id")]


# --- teams ------------------------------------------------------------------------------------


def test_team_create_sets_name_and_members_and_publishes_team_changed(admin_user, make_user, company):
    rep = make_user("sales")
    team = team_create(actor=admin_user, name="  Field sales ", member_ids=[rep.pk, admin_user.pk])
    team.refresh_from_db()
    assert (team.company_id, team.name, team.version) == (company.pk, "Field sales", 1)
    assert sorted(team.members.values_list("pk", flat=True)) == sorted([rep.pk, admin_user.pk])
    assert team_events() == [team.pk]
    assert OutboxEvent.objects.get(name="core.TeamChanged").company_id == company.pk


@pytest.mark.parametrize(
    ("name", "message"), [(" ", "A team needs a name."), ("north", "A team with this name exists.")]
)
def test_team_create_refuses_a_blank_or_taken_name(admin_user, name, message):
    team_create(actor=admin_user, name="North")
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        team_create(actor=admin_user, name=name)
    assert refused.value.field_errors == {"name": [message]}
    assert counts() == before


def test_the_same_team_name_may_exist_in_another_company(admin_user, outsider):
    ours, theirs = team_create(actor=admin_user, name="North"), team_create(actor=outsider, name="North")
    assert (ours.company_id, theirs.company_id) == (admin_user.company_id, outsider.company_id)


def test_team_create_refuses_members_of_another_company(admin_user, outsider):
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        team_create(actor=admin_user, name="North", member_ids=[outsider.pk])
    assert refused.value.field_errors == {"member_ids": ["Unknown user."]}
    assert counts() == before


@pytest.mark.parametrize("role", ["sales", "management"])
def test_only_administrators_manage_teams(admin_user, make_user, role):
    team = team_create(actor=admin_user, name="North")
    actor = make_user(role)
    before = counts()
    with pytest.raises(PermissionDeniedError):
        team_create(actor=actor, name="South")
    with pytest.raises(PermissionDeniedError):
        team_update(actor=actor, team_id=team.pk, version=1, name="Renamed")
    assert Team.objects.get(pk=team.pk).name == "North"
    assert counts() == before


def test_team_update_renames_sets_members_and_bumps_the_version(admin_user, make_user):
    first, second = make_user("sales"), make_user("sales")
    team = team_create(actor=admin_user, name="North", member_ids=[first.pk])
    updated = team_update(
        actor=admin_user, team_id=team.pk, version=1, name=" North-West ", member_ids=[second.pk]
    )
    updated.refresh_from_db()
    assert (updated.name, updated.version) == ("North-West", 2)
    assert list(updated.members.values_list("pk", flat=True)) == [second.pk]
    assert team_events() == [team.pk, team.pk]


def test_team_update_with_a_stale_version_is_refused_and_changes_nothing(admin_user, make_user):
    rep = make_user("sales")
    team = team_create(actor=admin_user, name="North")
    team_update(actor=admin_user, team_id=team.pk, version=1, name="North-West")
    before = counts()
    # when someone saves a change based on version 1, which is no longer current
    with pytest.raises(StaleVersionError) as refused:
        team_update(actor=admin_user, team_id=team.pk, version=1, name="Northern", member_ids=[rep.pk])
    # then it is a 409 naming the current version, and the team is as it was
    assert (refused.value.status, refused.value.extra) == (409, {"current_version": 2})
    assert refused.value.message == "This record was changed by someone else (version 2, you had 1)."
    team.refresh_from_db()
    assert (team.name, team.version, list(team.members.all())) == ("North-West", 2, [])
    assert counts() == before


def test_team_update_without_changes_writes_and_publishes_nothing(admin_user):
    team = team_create(actor=admin_user, name="North")
    before = counts()
    same = team_update(actor=admin_user, team_id=team.pk, version=1, name="North", member_ids=[])
    assert same.version == 1
    assert counts() == before


def test_team_update_refuses_a_taken_name_and_another_companys_team(admin_user, outsider):
    team_create(actor=admin_user, name="North")
    south = team_create(actor=admin_user, name="South")
    theirs = team_create(actor=outsider, name="Theirs")
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        team_update(actor=admin_user, team_id=south.pk, version=1, name="NORTH")
    assert refused.value.field_errors == {"name": ["A team with this name exists."]}
    with pytest.raises(NotFoundError):
        team_update(actor=admin_user, team_id=theirs.pk, version=1, name="Mine now")
    assert list(Team.objects.order_by("pk").values_list("name", "version")) == [
        ("North", 1),
        ("South", 1),
        ("Theirs", 1),
    ]
    assert counts() == before


# --- API tokens -------------------------------------------------------------------------------


def test_api_token_create_returns_the_key_once_and_keeps_only_its_hash(salesperson):
    expires = timezone.now() + dt.timedelta(days=30)
    token, raw = api_token_create(
        actor=salesperson, name=" CI export ", is_read_only=True, expires_at=expires
    )
    token.refresh_from_db()
    assert raw.startswith("knt_")
    assert len(raw) == 4 + 43  # 32 random bytes, url-safe base64
    assert (token.user_id, token.name, token.is_read_only, token.expires_at) == (
        salesperson.pk,
        "CI export",
        True,
        expires,
    )
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.key_prefix == raw[:8]
    assert token.is_active
    # the raw key is stored nowhere: not in the token row, not in the audit trail
    stored = json.dumps([list(ApiToken.objects.values()), list(AuditEntry.objects.values())], default=str)
    assert raw not in stored
    assert raw[8:] not in stored
    entry = AuditEntry.objects.get(model="core.apitoken")
    assert (entry.action, entry.changes) == (
        "create",
        {"name": [None, "CI export"], "is_read_only": [None, True]},
    )
    assert list(tokens_of(salesperson)) == [token]


def test_every_signed_in_user_may_have_tokens(nobody):
    token, _raw = api_token_create(actor=nobody, name="mine")
    assert token.user_id == nobody.pk


@pytest.mark.parametrize(
    ("name", "expires_in", "errors"),
    [
        (" ", None, {"name": ["Give the token a name."]}),
        ("late", dt.timedelta(seconds=-1), {"expires_at": ["The expiry must be in the future."]}),
    ],
)
def test_api_token_create_refuses_bad_input(salesperson, name, expires_in, errors):
    before = counts()
    expires_at = timezone.now() + expires_in if expires_in else None
    with pytest.raises(InvalidInputError) as refused:
        api_token_create(actor=salesperson, name=name, expires_at=expires_at)
    assert refused.value.field_errors == errors
    assert counts() == before


def test_anonymous_callers_get_no_token(db):
    with pytest.raises(PermissionDeniedError):
        api_token_create(actor=AnonymousUser(), name="sneaky")  # type: ignore[arg-type]
    assert ApiToken.objects.count() == 0


def test_api_token_revoke_is_kept_once(salesperson):
    token, _raw = api_token_create(actor=salesperson, name="laptop")
    revoked = api_token_revoke(actor=salesperson, token_id=token.pk)
    first_revocation = revoked.revoked_at
    assert first_revocation is not None
    assert not revoked.is_active
    again = api_token_revoke(actor=salesperson, token_id=token.pk)
    assert again.revoked_at == first_revocation
    actions = list(
        AuditEntry.objects.filter(model="core.apitoken").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["create", "revoke"]


def test_a_colleagues_token_is_not_found_unless_an_administrator_revokes_it(
    salesperson, make_user, admin_user, outsider
):
    token, _raw = api_token_create(actor=salesperson, name="laptop")
    manager = make_user("management")
    before = counts()
    for intruder in (manager, outsider):
        with pytest.raises(NotFoundError):
            api_token_revoke(actor=intruder, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert counts() == before
    # an administrator of the same company may revoke it (a leaked key, someone leaving)
    assert api_token_revoke(actor=admin_user, token_id=token.pk).revoked_at is not None


def test_team_create_refuses_an_overlong_name(admin_user):
    with pytest.raises(InvalidInputError) as refused:
        team_create(actor=admin_user, name="T" * 121)
    assert refused.value.field_errors == {"name": ["At most 120 characters."]}
    assert Team.objects.count() == 0
