"""Settings pages: administrators list and create users and teams through core services."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kantoor.core.models import RoleAssignment, Team, User
from kantoor.core.services import team_create

pytestmark = pytest.mark.django_db


def test_user_list_and_create(client: Any, admin_user: Any, salesperson: Any) -> None:
    team = team_create(actor=admin_user, name="Sales North")
    client.force_login(admin_user)
    listing = client.get(reverse("web:user-list"))
    assert listing.status_code == 200
    assert [u.username for u in listing.context["users"]] == ["admin", "sally"]
    response = client.post(
        reverse("web:user-create"),
        {
            "username": "fiona",
            "first_name": "Fiona",
            "last_name": "Visser",
            "email": "fiona@example.test",
            "language": "nl",
            "password": "",
            "role_finance": "team",
            "role_sales": "",
            "teams": [team.pk],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:user-list")
    fiona = User.objects.get(username="fiona")
    assert (fiona.company_id, fiona.language, fiona.has_usable_password()) == (
        admin_user.company_id,
        "nl",
        False,
    )
    assert dict(RoleAssignment.objects.filter(user=fiona).values_list("role", "scope")) == {"finance": "team"}
    assert list(fiona.teams.values_list("name", flat=True)) == ["Sales North"]


def test_user_create_shows_service_errors_inline(client: Any, admin_user: Any, salesperson: Any) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("web:user-create"), {"username": "sally", "language": "en", "password": "123"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["username"] == ["This username is taken."]
    assert User.objects.filter(username="sally").count() == 1


def test_user_pages_are_for_administrators(client: Any, salesperson: Any, outsider: Any) -> None:
    url = reverse("web:user-create")
    data = {"username": "x", "language": "en"}
    assert client.post(url, data)["Location"] == f"{reverse('web:login')}?next={url}"
    client.force_login(salesperson)
    assert client.get(reverse("web:user-list")).status_code == 403
    assert client.post(url, data).status_code == 403
    assert not User.objects.filter(username="x").exists()
    # an administrator of another company creates users in their own company only
    client.force_login(outsider)
    assert client.post(url, data).status_code == 302
    assert User.objects.get(username="x").company_id == outsider.company_id


def test_team_create_and_edit(client: Any, admin_user: Any, salesperson: Any) -> None:
    client.force_login(admin_user)
    response = client.post(reverse("web:team-create"), {"name": "Sales North", "members": [salesperson.pk]})
    assert response.status_code == 302
    team = Team.objects.get()
    assert list(team.members.all()) == [salesperson]
    edit = reverse("web:team-edit", args=[team.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"name": "Sales Noord", "members": [], "version": "1"})
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.version, team.members.count()) == ("Sales Noord", 2, 0)
    # a stale version is refused with a message, nothing changes
    stale = client.post(edit, {"name": "Other", "version": "1"})
    assert stale.status_code == 422
    assert "Someone else changed this team in the meantime" in stale.content.decode()
    team.refresh_from_db()
    assert team.name == "Sales Noord"
    duplicate = client.post(reverse("web:team-create"), {"name": "sales noord"})
    assert duplicate.context["form"].errors["name"] == ["A team with this name exists."]


def test_team_pages_permissions(client: Any, admin_user: Any, salesperson: Any, outsider: Any) -> None:
    team = team_create(actor=admin_user, name="Sales North")
    edit = reverse("web:team-edit", args=[team.pk])
    data = {"name": "Renamed", "version": "1"}
    assert client.post(edit, data)["Location"] == f"{reverse('web:login')}?next={edit}"
    client.force_login(salesperson)
    assert client.post(edit, data).status_code == 403
    client.force_login(outsider)
    assert client.post(edit, data).status_code == 404
    team.refresh_from_db()
    assert team.name == "Sales North"
    client.force_login(admin_user)
    assert client.post(edit, data).status_code == 302
