"""The company's system actor: made once, an administrator without a password, hidden from
the people lists and out of reach of the user administration."""

from __future__ import annotations

from typing import Any

import pytest

from kantoor.core import policy, selectors
from kantoor.core.errors import NotFoundError
from kantoor.core.models import Role, RoleAssignment, User
from kantoor.core.services import system_actor, user_update

pytestmark = pytest.mark.django_db


def test_the_system_actor_is_made_once_and_stays_out_of_sight(company: Any, make_user: Any) -> None:
    admin = make_user("admin", username="ada")
    first = system_actor(company.pk)
    again = system_actor(company.pk)
    assert first.pk == again.pk
    assert (first.is_system, first.has_usable_password(), first.company_id) == (True, False, company.pk)
    assert list(RoleAssignment.objects.filter(user=first).values_list("role", "scope")) == [
        (Role.ADMIN, "company")
    ]
    assert policy.has_permission(again, "core.manage_company")
    assert User.objects.filter(is_system=True).count() == 1
    assert first.pk not in set(selectors.users_visible(admin).values_list("pk", flat=True))
    with pytest.raises(NotFoundError):
        user_update(actor=admin, user_id=first.pk, changes={"first_name": "Eve"})


def test_each_company_has_its_own(company: Any, other_company: Any) -> None:
    assert system_actor(company.pk).pk != system_actor(other_company.pk).pk
    assert system_actor(other_company.pk).company_id == other_company.pk
