"""The policy: roles grant actions, scopes (own / team / company) reach objects, another
company is never visible, lists and single checks always agree."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kantoor.core import policy
from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import Role, Team, User
from kantoor.core.services import team_create, user_create, user_update
from kantoor.parties.models import Party
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db

VIEW, CHANGE, MERGE = "parties.view_party", "parties.change_party", "parties.merge_party"
PARTY_ACTIONS = (VIEW, CHANGE, MERGE)


def fresh(user: User) -> User:
    """The user as a new request sees it (no cached roles or teams)."""
    return User.objects.get(pk=user.pk)


def visible(actor: Any, action: str = VIEW) -> set[str]:
    return set(policy.filter_queryset(actor, action, Party.objects.all()).values_list("name", flat=True))


def allowed(actor: Any, action: str = VIEW) -> set[str]:
    return {p.name for p in Party.objects.all() if policy.allows(actor, action, p)}


@pytest.fixture
def world(company, admin_user, make_user, outsider) -> dict[str, Any]:
    """Two teams, salespeople of every scope, and parties owned and teamed in every way."""
    north = team_create(actor=admin_user, name="North")
    south = team_create(actor=admin_user, name="South")
    users = {
        "own_rep": make_user("sales", scope="own", team=north),
        "team_rep": make_user("sales", scope="team", team=north),
        "company_rep": make_user("sales", scope="company"),
        "south_rep": make_user("sales", scope="own", team=south),
    }

    def party(name: str, owner: str | None, team: Team | None) -> None:
        party_create(
            actor=admin_user,
            kind="organisation",
            name=name,
            owner=users[owner].pk if owner else None,
            team=team.pk if team else None,
        )

    party("Alpha", "own_rep", north)
    party("Bravo", "south_rep", north)  # a North team record owned by someone outside North
    party("Charlie", "team_rep", None)  # a North member's record without a team
    party("Delta", "south_rep", south)
    party("Echo", None, None)
    party("Golf", "own_rep", None)  # a North member's record without a team, seen by North's team scope
    party_create(actor=outsider, kind="organisation", name="Foxtrot")  # the other company's
    return {"north": north, "south": south, **users}


EVERYTHING = {"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Golf"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("own_rep", {"Alpha", "Golf"}),
        ("team_rep", {"Alpha", "Bravo", "Charlie", "Golf"}),
        ("company_rep", EVERYTHING),
        ("south_rep", {"Bravo", "Delta"}),
    ],
)
def test_scope_decides_which_parties_a_role_reaches(world, who, expected):
    actor = fresh(world[who])
    for action in PARTY_ACTIONS:
        assert visible(actor, action) == expected
        assert allowed(actor, action) == expected


def test_administrators_do_everything_in_their_own_company_only(world, admin_user, outsider):
    admin, foreign = fresh(admin_user), fresh(outsider)
    for action in (*PARTY_ACTIONS, "core.manage_users", "anything.not_even_registered"):
        assert policy.has_permission(admin, action)
        assert policy.scope_for(admin, action) == "company"
    for action in PARTY_ACTIONS:
        assert visible(admin, action) == allowed(admin, action) == EVERYTHING
        assert visible(foreign, action) == allowed(foreign, action) == {"Foxtrot"}


def test_the_other_company_is_never_visible_even_with_company_scope(world, make_user, other_company):
    their_rep = make_user("sales", "management", in_company=other_company)
    assert visible(fresh(their_rep)) == allowed(fresh(their_rep)) == {"Foxtrot"}
    ours = fresh(world["company_rep"])
    assert "Foxtrot" not in visible(ours) | allowed(ours)


@pytest.mark.parametrize("role", Role.values)
def test_which_roles_grant_which_party_actions(role, make_user):
    actor = fresh(make_user(role))
    granted = {action for action in PARTY_ACTIONS if policy.has_permission(actor, action)}
    expected = {
        "admin": {VIEW, CHANGE, MERGE},
        "it": set(),
        "sales": {VIEW, CHANGE, MERGE},
        "sales_manager": {VIEW, CHANGE, MERGE},
        "service": {VIEW, CHANGE, MERGE},
        "management": {VIEW, CHANGE, MERGE},
        "finance": {VIEW, CHANGE, MERGE},
        "marketing": {VIEW, CHANGE},
        "hr": {VIEW, CHANGE},
        "operations": {VIEW, CHANGE},
        "legal": {VIEW, CHANGE},
    }[role]
    assert granted == expected


def test_everyone_signed_in_sees_colleagues_and_manages_own_tokens(make_user):
    nobody = fresh(make_user())
    assert [
        policy.has_permission(nobody, a)
        for a in ("core.view_user", "core.view_team", "core.manage_own_tokens")
    ] == [True, True, True]
    assert [policy.has_permission(nobody, a) for a in ("core.manage_users", "core.view_audit", VIEW)] == [
        False,
        False,
        False,
    ]


def test_each_action_takes_the_widest_scope_of_the_roles_that_grant_it(world, admin_user, make_user):
    # a salesperson for their own records who is also company-wide marketing
    user = make_user("sales", scope="own")
    user_update(actor=admin_user, user_id=user.pk, changes={}, roles={"sales": "own", "marketing": "company"})
    actor = fresh(user)
    assert (policy.scope_for(actor, VIEW), policy.scope_for(actor, MERGE)) == ("company", "own")
    assert visible(actor, VIEW) == EVERYTHING
    assert visible(actor, MERGE) == allowed(actor, MERGE) == set()  # owns nothing yet


@pytest.mark.parametrize("role", ["sales", "admin"])
def test_an_inactive_user_may_do_nothing(world, admin_user, role, make_user):
    user = make_user(role)
    user_update(actor=admin_user, user_id=user.pk, changes={"is_active": False})
    actor = fresh(user)
    for action in (*PARTY_ACTIONS, "core.view_user", "core.manage_own_tokens"):
        assert policy.scope_for(actor, action) is None
        assert visible(actor, action) == allowed(actor, action) == set()
    with pytest.raises(PermissionDeniedError):
        policy.require(actor, VIEW)


@pytest.mark.parametrize("actor", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_no_one_signed_in_may_do_nothing(world, actor):
    assert policy.scope_for(actor, "core.view_user") is None
    assert visible(actor) == allowed(actor) == set()
    with pytest.raises(PermissionDeniedError):
        policy.actor_company_id(actor)


def test_a_user_without_a_company_may_do_nothing(world):
    root = User.objects.create_user("root", password=None, is_superuser=True, is_staff=True)
    assert (policy.scope_for(root, VIEW), visible(root), allowed(root)) == (None, set(), set())


def test_require_hides_what_the_actor_may_not_see_and_refuses_what_they_may_not_do(world, make_user):
    alpha = Party.objects.get(name="Alpha")
    marketer, it_person, south_rep = (
        fresh(make_user("marketing")),
        fresh(make_user("it")),
        fresh(world["south_rep"]),
    )
    policy.require(marketer, CHANGE, alpha, visible_with=VIEW)
    with pytest.raises(PermissionDeniedError):  # sees it, may not merge it: 403
        policy.require(marketer, MERGE, alpha, visible_with=VIEW)
    with pytest.raises(NotFoundError):  # may not see it: 404, its existence stays secret
        policy.require(it_person, CHANGE, alpha, visible_with=VIEW)
    with pytest.raises(NotFoundError):  # outside their own scope
        policy.require(south_rep, CHANGE, alpha, visible_with=VIEW)
    with pytest.raises(PermissionDeniedError):  # without visible_with the refusal is a 403
        policy.require(south_rep, CHANGE, alpha)


def test_the_policy_reads_roles_and_teams_once_per_actor(world, django_assert_num_queries):
    actor = fresh(world["team_rep"])
    with django_assert_num_queries(2):  # roles, then teams
        policy.filter_queryset(actor, VIEW, Party.objects.all())
    with django_assert_num_queries(0):
        policy.filter_queryset(actor, CHANGE, Party.objects.all())
    policy.forget(actor)
    with django_assert_num_queries(2):
        policy.filter_queryset(actor, VIEW, Party.objects.all())


# --- property: a list and a single check never disagree ---------------------------------------

ROLES = st.dictionaries(
    st.sampled_from(["sales", "marketing", "it", "management", "finance", "admin"]),
    st.sampled_from(["own", "team", "company"]),
    max_size=3,
)
USERS = st.lists(st.tuples(ROLES, st.sets(st.sampled_from([0, 1])), st.booleans()), min_size=1, max_size=4)
PARTIES = st.lists(
    st.tuples(st.none() | st.integers(min_value=0, max_value=3), st.none() | st.sampled_from([0, 1])),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(users=USERS, parties=PARTIES)
def test_filter_queryset_and_allows_agree_for_every_party(company, admin_user, outsider, users, parties):
    """For random roles, scopes, team memberships, owners and teams: the rows a list shows
    are exactly the rows a single check allows, and never another company's."""
    with transaction.atomic():
        try:
            teams = [team_create(actor=admin_user, name=f"Team {n}") for n in range(2)]
            people = [
                user_create(
                    actor=admin_user,
                    username=f"p{n}",
                    password=None,
                    roles=roles,
                    team_ids=[teams[t].pk for t in team_numbers],
                )
                for n, (roles, team_numbers, _active) in enumerate(users)
            ]
            for n, (owner, team) in enumerate(parties):
                party_create(
                    actor=admin_user,
                    kind="organisation",
                    name=f"Party {n}",
                    owner=people[owner % len(people)].pk if owner is not None else None,
                    team=teams[team].pk if team is not None else None,
                )
            party_create(actor=outsider, kind="person", name="Someone Else")
            for person, (_roles, _teams, active) in zip(people, users, strict=True):
                if not active:
                    user_update(actor=admin_user, user_id=person.pk, changes={"is_active": False})
            ours = {p.pk for p in Party.objects.filter(company=company)}
            for person in people:
                actor = fresh(person)
                for action in PARTY_ACTIONS:
                    listed = set(
                        policy.filter_queryset(actor, action, Party.objects.all()).values_list(
                            "pk", flat=True
                        )
                    )
                    checked = {p.pk for p in Party.objects.all() if policy.allows(actor, action, p)}
                    assert listed == checked
                    assert listed <= ours
        finally:
            transaction.set_rollback(True)


def test_a_cap_keeps_an_action_within_its_scope_whatever_the_assignment(make_user):
    policy.register_grants({"test_capped": {"test.view_thing", "test.change_thing"}})
    policy.register_caps({"test_capped": {"test.change_thing": "own"}})
    from kantoor.core.models import RoleAssignment

    teamed = make_user("sales", scope="team")
    RoleAssignment.objects.filter(user=teamed).update(role="test_capped")
    actor = fresh(teamed)
    # Seen at the assignment's scope, changed only among one's own.
    assert (policy.scope_for(actor, "test.view_thing"), policy.scope_for(actor, "test.change_thing")) == (
        "team",
        "own",
    )
