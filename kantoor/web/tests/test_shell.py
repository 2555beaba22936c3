"""The shell: navigation by role, the dashboard tiles, global search, language switch."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kantoor.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_navigation_follows_the_roles(client: Any, salesperson: Any, admin_user: Any, nobody: Any) -> None:
    client.force_login(salesperson)
    sections = client.get(reverse("web:home")).context["nav_sections"]
    assert [(str(label), [str(i.label) for i in items]) for label, items in sections] == [
        (
            "Front office",
            [
                "Parties",
                "My activities",
                "Calendar",
                "Leads",
                "Pipeline",
                "Opportunities",
                "Forecast",
                "Quotations and orders",
                "Returns",
                "Sales targets",
            ],
        ),
        # Sales read the invoices of their customers, the products, their deliveries and
        # what is in stock.
        ("Back office", ["Invoices", "Payments", "Products", "Transfers", "Stock on hand"]),
    ]
    client.force_login(admin_user)
    sections = client.get(reverse("web:home")).context["nav_sections"]
    assert [str(label) for label, _items in sections] == ["Front office", "Back office", "Settings"]
    # Other finance areas add their own Back office entries beside the ledger's.
    assert {"Journal entries", "Chart of accounts", "Fiscal years"} <= {str(i.label) for i in sections[1][1]}
    # Other areas append their own Settings entries after the users and teams.
    assert [str(i.label) for i in sections[2][1]][:3] == ["Users", "Teams", "Company"]
    client.force_login(nobody)
    response = client.get(reverse("web:home"))
    assert response.context["nav_sections"] == []
    assert "Ask an administrator to give you a role." in response.content.decode()


def test_home_requires_login(client: Any) -> None:
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next=/"


def test_dashboard_tiles_per_role(
    client: Any,
    salesperson: Any,
    admin_user: Any,
    make_user: Any,
    make_party: Any,
    django_assert_max_num_queries: Any,
) -> None:
    make_party(salesperson, "Alpha", roles=["customer"])
    make_party(salesperson, "Bravo", roles=["customer", "prospect"])
    make_party(salesperson, "Carla", kind="person", roles=["prospect"])
    make_party(admin_user, "Delta", roles=["supplier"])
    client.force_login(salesperson)
    with django_assert_max_num_queries(8):
        tiles = client.get(reverse("web:home")).context["tiles"]
    assert tiles["parties"] == {"total": 4, "organisations": 3, "persons": 1}
    assert tiles["mine"] == {"customers": 2, "prospects": 2}
    assert [p["name"] for p in tiles["recent"]] == ["Carla", "Bravo", "Alpha"]
    assert "by_role" not in tiles
    assert "people" not in tiles

    client.force_login(make_user("management"))
    tiles = client.get(reverse("web:home")).context["tiles"]
    assert [(str(label), n) for label, n in tiles["by_role"]] == [
        ("Customer", 2),
        ("Prospect", 2),
        ("Supplier", 1),
        ("Partner", 0),
        ("Employee", 0),
        ("Contact person", 0),
    ]
    assert "mine" not in tiles

    client.force_login(admin_user)
    tiles = client.get(reverse("web:home")).context["tiles"]
    assert tiles["people"] == {"users": 3, "teams": 0}


def test_global_search_full_page_and_htmx_partial(
    client: Any, salesperson: Any, outsider: Any, make_party: Any
) -> None:
    party = make_party(salesperson, "Bakkerij De Vries")
    make_party(outsider, "Bakkerij Elders")
    client.force_login(salesperson)
    full = client.get(reverse("web:search"), {"q": "bakk"})
    assert full.status_code == 200
    assert [hit["title"] for hit in full.context["hits"]] == ["Bakkerij De Vries"]
    assert full.context["hits"][0]["url"] == reverse("web:party-detail", args=[party.pk])
    partial = client.get(reverse("web:search"), {"q": "bakk"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert f'href="{reverse("web:party-detail", args=[party.pk])}"' in partial
    assert "Bakkerij Elders" not in partial
    none = client.get(reverse("web:search"), {"q": "zzz"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing found for “zzz”." in none
    # one letter searches nothing
    assert client.get(reverse("web:search"), {"q": "b"}).context["hits"] == []


def test_language_switch_saves_the_users_preference(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    response = client.post(reverse("web:set-language"), {"language": "nl", "next": "/parties/"})
    assert response.status_code == 302
    assert response["Location"] == "/parties/"
    salesperson.refresh_from_db()
    assert salesperson.language == "nl"
    assert AuditEntry.objects.filter(
        action="update", model="core.user", object_id=str(salesperson.pk)
    ).exists()
    home = client.get(reverse("web:home"))
    assert home["Content-Language"] == "nl"
    # an outside `next` is not followed; an unknown language changes nothing
    response = client.post(reverse("web:set-language"), {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:home")
    salesperson.refresh_from_db()
    assert salesperson.language == "nl"


def test_error_pages_use_the_shell(client: Any, nobody: Any) -> None:
    client.force_login(nobody)
    forbidden = client.get(reverse("web:party-create"))
    assert forbidden.status_code == 403
    assert "You are not allowed to do this" in forbidden.content.decode()
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode()
