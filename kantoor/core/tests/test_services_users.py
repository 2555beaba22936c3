"""Users: creation and changes by administrators, with validation per field, audit and events."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kantoor.core.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from kantoor.core.models import AuditEntry, OutboxEvent, RoleAssignment, User
from kantoor.core.services import team_create, user_create, user_update

pytestmark = pytest.mark.django_db

STRONG = "Correct-horse-battery-2026"


def counts() -> tuple[int, int, int, int]:
    """What a refused action must leave as it was."""
    return (
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )


def create(actor: Any, **overrides: Any) -> User:
    values: dict[str, Any] = {
        "username": "fenna",
        "password": STRONG,
        "email": "fenna@example.test",
        "first_name": "Fenna",
        "last_name": "Bakker",
        "roles": {"sales": "team"},
    }
    return user_create(actor=actor, **{**values, **overrides})


def test_user_create_sets_details_roles_teams_and_publishes_user_created(admin_user, company):
    north = team_create(actor=admin_user, name="North")
    events_before = OutboxEvent.objects.count()
    user = create(admin_user, language="nl", roles={"sales": "team", "marketing": "own"}, team_ids=[north.pk])
    user.refresh_from_db()
    assert (user.company_id, user.username, user.email, user.first_name, user.last_name, user.language) == (
        company.pk,
        "fenna",
        "fenna@example.test",
        "Fenna",
        "Bakker",
        "nl",
    )
    assert user.is_active
    assert user.check_password(STRONG)
    assert dict(user.role_assignments.values_list("role", "scope")) == {"sales": "team", "marketing": "own"}
    assert list(user.teams.values_list("name", flat=True)) == ["North"]
    assert OutboxEvent.objects.count() == events_before + 1
    event = OutboxEvent.objects.latest("id")
    assert (event.name, event.company_id) == ("core.UserCreated", company.pk)
    assert {k: v for k, v in event.payload.items() if k != "event_id"} == {
        "company_id": company.pk,
        "user_id": user.pk,
    }


def test_an_administrator_creates_users_in_their_own_company_only(admin_user, company, other_company):
    user = create(admin_user, company_id=other_company.pk)
    assert user.company_id == company.pk


def test_a_user_without_password_cannot_sign_in_with_one(admin_user):
    user = create(admin_user, password=None)
    assert not user.has_usable_password()


def test_invalid_details_are_refused_naming_every_field_and_nothing_is_written(admin_user):
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        create(admin_user, username="  ", email="not-an-address")
    assert refused.value.field_errors == {
        "username": ["A username is required."],
        "email": ["Enter a valid e-mail address."],
    }
    assert counts() == before


def test_a_username_is_unique_across_companies(admin_user, outsider):
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        create(admin_user, username=outsider.username)
    assert refused.value.field_errors == {"username": ["This username is taken."]}
    assert counts() == before


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        (
            "abc",
            [
                "This password is too short. It must contain at least 8 characters.",
                "This password is too common.",
            ],
        ),
        ("12345678", ["This password is too common.", "This password is entirely numeric."]),
        ("fenna123", ["The password is too similar to the username."]),
    ],
)
def test_a_weak_password_is_refused_with_the_reasons(admin_user, password, messages):
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        create(admin_user, password=password)
    assert refused.value.field_errors == {"password": messages}
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"roles": {"boss": "company"}}, {"roles": ["Unknown role “boss”."]}),
        ({"roles": {"sales": "planet"}}, {"roles": ["Unknown scope “planet”."]}),
        ({"language": "fr"}, {"language": ["Unsupported language “fr”."]}),
    ],
)
def test_unknown_roles_scopes_and_languages_are_refused(admin_user, overrides, errors):
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        create(admin_user, **overrides)
    assert refused.value.field_errors == errors
    assert counts() == before


def test_a_team_of_another_company_is_refused(admin_user, outsider):
    theirs = team_create(actor=outsider, name="Their team")
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        create(admin_user, team_ids=[theirs.pk])
    assert refused.value.field_errors == {"team_ids": ["Unknown team."]}
    assert counts() == before


@pytest.mark.parametrize("who", ["sales", "management", "no role", "inactive admin", "anonymous"])
def test_only_active_administrators_create_users(admin_user, make_user, who):
    actor: Any
    if who == "anonymous":
        actor = AnonymousUser()
    elif who == "inactive admin":
        actor = make_user("admin")
        user_update(actor=admin_user, user_id=actor.pk, changes={"is_active": False})
        actor = User.objects.get(pk=actor.pk)
    else:
        actor = make_user(*([] if who == "no role" else [who]))
    before = counts()
    with pytest.raises(PermissionDeniedError):
        create(actor)
    assert counts() == before


def test_without_an_actor_a_company_must_be_named(db):
    before = counts()
    with pytest.raises(InvalidInputError, match=r"A user belongs to a company\."):
        user_create(actor=None, username="orphan", password=None)
    assert counts() == before


def test_user_update_changes_details_roles_and_teams(admin_user, make_user):
    north = team_create(actor=admin_user, name="North")
    user = make_user("sales", scope="own")
    user_update(
        actor=admin_user,
        user_id=user.pk,
        changes={"first_name": "Sanne", "email": "sanne@example.test", "language": "nl"},
        roles={"finance": "company"},
        team_ids=[north.pk],
    )
    user.refresh_from_db()
    assert (user.first_name, user.email, user.language) == ("Sanne", "sanne@example.test", "nl")
    assert dict(user.role_assignments.values_list("role", "scope")) == {"finance": "company"}
    assert list(user.teams.values_list("pk", flat=True)) == [north.pk]


def test_user_update_refuses_fields_it_does_not_manage(admin_user, make_user):
    user = make_user("sales")
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        user_update(actor=admin_user, user_id=user.pk, changes={"first_name": "X", "is_superuser": True})
    assert refused.value.field_errors == {"is_superuser": ["This field cannot be changed."]}
    user.refresh_from_db()
    assert (user.first_name, user.is_superuser) == ("Sales", False)
    assert counts() == before


def test_user_update_refuses_a_taken_username(admin_user, make_user):
    user = make_user("sales")
    before = counts()
    with pytest.raises(InvalidInputError) as refused:
        user_update(actor=admin_user, user_id=user.pk, changes={"username": "admin"})
    assert refused.value.field_errors == {"username": ["This username is taken."]}
    assert User.objects.get(pk=user.pk).username == user.username
    assert counts() == before


def test_administrators_cannot_deactivate_themselves_or_drop_their_own_admin_role(admin_user):
    before = counts()
    with pytest.raises(ConflictError, match=r"You cannot deactivate yourself\."):
        user_update(actor=admin_user, user_id=admin_user.pk, changes={"is_active": False})
    with pytest.raises(ConflictError, match=r"You cannot remove your own administrator role\."):
        user_update(actor=admin_user, user_id=admin_user.pk, changes={}, roles={"sales": "company"})
    admin = User.objects.get(pk=admin_user.pk)
    assert admin.is_active
    assert dict(admin.role_assignments.values_list("role", "scope")) == {"admin": "company"}
    assert counts() == before


def test_user_update_of_another_companys_user_is_not_found(admin_user, outsider):
    before = counts()
    with pytest.raises(NotFoundError):
        user_update(actor=admin_user, user_id=outsider.pk, changes={"first_name": "Hacked"})
    assert User.objects.get(pk=outsider.pk).first_name == "Admin"
    assert counts() == before


def test_only_administrators_update_users(make_user):
    manager, colleague = make_user("management"), make_user("sales")
    before = counts()
    with pytest.raises(PermissionDeniedError):
        user_update(
            actor=manager, user_id=colleague.pk, changes={"first_name": "X"}, roles={"admin": "company"}
        )
    assert dict(colleague.role_assignments.values_list("role", "scope")) == {"sales": "company"}
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "u" * 151, "At most 150 characters."),
        ("first_name", "Anna\x00", "Contains a NUL character."),
        ("last_name", "x" * 151, "At most 150 characters."),
    ],
)
def test_user_create_refuses_text_that_does_not_fit(admin_user, field, value, message):
    users = User.objects.count()
    arguments = {"username": "newbie", "first_name": "", "last_name": "", field: value}
    with pytest.raises(InvalidInputError) as refused:
        user_create(actor=admin_user, password=None, **arguments)
    assert refused.value.field_errors == {field: [message]}
    assert User.objects.count() == users
