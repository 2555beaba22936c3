"""The party list (filters, live search, keyset pages) and the party page, with query budgets."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kantoor.core.outbox import run_pending_events
from kantoor.parties.services import party_archive, party_update

pytestmark = pytest.mark.django_db


def _names(response: Any) -> list[str]:
    return [party.name for party in response.context["page"].rows]


def test_party_list_filters(client: Any, salesperson: Any, make_party: Any, make_user: Any) -> None:
    colleague = make_user("sales")
    make_party(salesperson, "Alpha B.V.", roles=["customer"], tags=["vip"])
    make_party(salesperson, "Bravo Ltd", roles=["supplier"])
    make_party(salesperson, "Charlie Jansen", kind="person", roles=["contact"])
    make_party(colleague, "Delta", roles=["customer"])
    archived = make_party(salesperson, "Echo")
    party_archive(actor=salesperson, party_id=archived.pk, version=1, is_archived=True)
    client.force_login(salesperson)
    url = reverse("web:party-list")
    assert _names(client.get(url)) == ["Alpha B.V.", "Bravo Ltd", "Charlie Jansen", "Delta"]
    assert _names(client.get(url, {"kind": "person"})) == ["Charlie Jansen"]
    assert _names(client.get(url, {"role": "customer"})) == ["Alpha B.V.", "Delta"]
    assert _names(client.get(url, {"tag": "vip"})) == ["Alpha B.V."]
    assert _names(client.get(url, {"owner": colleague.pk})) == ["Delta"]
    assert _names(client.get(url, {"archived": "1", "q": "echo"})) == ["Echo"]
    assert _names(client.get(url, {"q": "jans"})) == ["Charlie Jansen"]
    assert _names(client.get(url, {"sort": "newest"})) == [
        "Delta",
        "Charlie Jansen",
        "Bravo Ltd",
        "Alpha B.V.",
    ]
    assert client.get(url).context["count"] == 4
    # nonsense filters are ignored rather than failing
    assert client.get(url, {"kind": "robot", "owner": "x", "sort": "drop table"}).status_code == 200


def test_party_list_htmx_swaps_only_the_results(client: Any, salesperson: Any, make_party: Any) -> None:
    make_party(salesperson, "Alpha B.V.")
    client.force_login(salesperson)
    full = client.get(reverse("web:party-list"), {"q": "alp"}).content.decode()
    partial = client.get(
        reverse("web:party-list"), {"q": "alp"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="party-results"
    ).content.decode()
    assert "<html" in full
    assert "<html" not in partial
    assert 'id="party-results"' not in partial
    assert "Alpha B.V." in partial
    # the partial is the very markup the full page has inside #party-results
    assert partial.strip() in full


def test_party_list_pages_by_keyset(client: Any, salesperson: Any, make_party: Any) -> None:
    for index in range(30):
        make_party(salesperson, f"Party {index:02d}")
    client.force_login(salesperson)
    url = reverse("web:party-list")
    first = client.get(url)
    assert _names(first) == [f"Party {i:02d}" for i in range(25)]
    assert first.context["page"].previous_cursor == ""
    second = client.get(url, {"after": first.context["page"].next_cursor})
    assert _names(second) == [f"Party {i:02d}" for i in range(25, 30)]
    assert second.context["page"].next_cursor == ""
    back = client.get(url, {"before": second.context["page"].previous_cursor})
    assert _names(back) == _names(first)
    assert back.context["page"].previous_cursor == ""
    # newest first pages by (created_at, id)
    newest = client.get(url, {"sort": "newest"})
    older = client.get(url, {"sort": "newest", "after": newest.context["page"].next_cursor})
    assert _names(older) == [f"Party {i:02d}" for i in range(4, -1, -1)]
    # a damaged cursor shows the first page
    assert _names(client.get(url, {"after": "not-a-cursor"})) == _names(first)


def test_party_list_shows_only_visible_parties(
    client: Any, salesperson: Any, outsider: Any, make_party: Any, nobody: Any
) -> None:
    make_party(salesperson, "Ours")
    make_party(outsider, "Theirs")
    client.force_login(outsider)
    assert _names(client.get(reverse("web:party-list"))) == ["Theirs"]
    client.force_login(nobody)
    assert client.get(reverse("web:party-list")).status_code == 403


def test_party_list_query_budget(
    client: Any, salesperson: Any, make_party: Any, django_assert_max_num_queries: Any
) -> None:
    for index in range(30):
        make_party(salesperson, f"Party {index:02d}", roles=["customer", "supplier"], tags=["t"])
    client.force_login(salesperson)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("web:party-list"), {"role": "customer"})
    assert len(response.context["page"].rows) == 25


def test_party_detail_shows_the_record(client: Any, salesperson: Any, make_party: Any) -> None:
    organisation = make_party(
        salesperson,
        "Jansen Transport",
        roles=["customer"],
        tags=["logistics"],
        vat_number="NL853746333B01",
        contact_points=[{"kind": "phone", "value": "+31 30 123 4567"}],
        addresses=[
            {
                "kind": "invoice",
                "street": "Kade 2",
                "city": "Utrecht",
                "country": "NL",
                "postal_code": "3511AB",
            }
        ],
    )
    make_party(salesperson, "Jan Jansen", kind="person", organisation=organisation.pk, job_title="Planner")
    party_update(actor=salesperson, party_id=organisation.pk, version=1, changes={"notes": "Since 1990"})
    run_pending_events()  # the timeline is written by event handlers after commit
    client.force_login(salesperson)
    response = client.get(reverse("web:party-detail", args=[organisation.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "Jansen Transport",
        "NL853746333B01",
        "logistics",
        "+31 30 123 4567",
        "Kade 2, 3511 AB Utrecht",
        "Jan Jansen",
        "Planner",
        "Since 1990",
        "Party created",
        "Details changed",
    ):
        assert text in body, text
    assert [entry.action for entry in response.context["history"]] == ["update", "create"]
    assert response.context["history_names"] == {"owner": {salesperson.pk: str(salesperson)}}
    assert f"→ {salesperson}</td>" in body
    assert response.context["can_change"] is True


def test_party_detail_is_404_outside_the_actors_reach(
    client: Any, salesperson: Any, outsider: Any, make_party: Any, make_user: Any
) -> None:
    party = make_party(salesperson, "Jansen")
    url = reverse("web:party-detail", args=[party.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(make_user("sales", scope="own"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("web:party-detail", args=[99999])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_party_history_is_shown_to_editors_and_auditors_only(
    client: Any, salesperson: Any, make_party: Any, make_user: Any
) -> None:
    from kantoor.core import policy

    party = make_party(salesperson, "Jansen")
    # a reader: a role that may see parties but not change them
    policy.register_grants({"test_reader": {"parties.view_party"}})
    from kantoor.core.models import RoleAssignment

    reader = make_user()
    RoleAssignment.objects.create(user=reader, role="test_reader", scope="company")
    client.force_login(reader)
    response = client.get(reverse("web:party-detail", args=[party.pk]))
    assert response.status_code == 200
    assert response.context["show_history"] is False
    assert 'id="history"' not in response.content.decode()
    assert response.context["can_change"] is False
    client.force_login(make_user("management"))
    assert client.get(reverse("web:party-detail", args=[party.pk])).context["show_history"] is True


def test_party_detail_query_budget(
    client: Any, salesperson: Any, make_party: Any, django_assert_max_num_queries: Any
) -> None:
    organisation = make_party(
        salesperson,
        "Jansen Transport",
        roles=["customer"],
        tags=["a", "b"],
        contact_points=[{"kind": "email", "value": "a@b.example"}],
    )
    for index in range(10):
        make_party(salesperson, f"Person {index}", kind="person", organisation=organisation.pk)
        party_update(
            actor=salesperson, party_id=organisation.pk, version=index + 1, changes={"notes": str(index)}
        )
    run_pending_events()
    client.force_login(salesperson)
    # + 4 for the open balance the salesperson now reads (party, currency, sums).
    with django_assert_max_num_queries(18):
        response = client.get(reverse("web:party-detail", args=[organisation.pk]))
    assert len(response.context["contacts"]) == 10
    assert len(response.context["history"]) == 11
