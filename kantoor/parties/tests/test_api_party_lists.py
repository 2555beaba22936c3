"""The parties list: filters, name order, keyset pages that stay index ranges however far
one pages, and query budgets for every list endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kantoor.core.outbox import run_pending_events
from kantoor.core.services import team_create
from kantoor.core.tests.api_support import Api, assert_problem, token_for
from kantoor.parties.models import Party, PartyRole, normalise_name
from kantoor.parties.services import party_archive, party_create, party_merge, party_update


@pytest.fixture
def api(salesperson: Any) -> Api:
    return Api(Client(), token_for(salesperson), salesperson)


@pytest.fixture
def book(salesperson: Any, make_user: Any, admin_user: Any) -> dict[str, Party]:
    """A small address book with one party for each filter."""
    other = make_user("sales", username="otto")
    vries = party_create(
        actor=salesperson,
        kind="organisation",
        name="Bakkerij de Vries B.V.",
        vat_number="NL853746333B01",
        roles=["customer"],
        tags=["bread"],
        contact_points=[{"kind": "email", "value": "info@devries.example"}],
    )
    angstrom = party_create(actor=other, kind="organisation", name="Ångström Optics", roles=["supplier"])
    jan = party_create(actor=salesperson, kind="person", name="Jan de Vries", organisation=vries.pk)
    closed = party_create(actor=salesperson, kind="organisation", name="Closed Shop")
    party_archive(actor=salesperson, party_id=closed.pk, version=1, is_archived=True)
    gone = party_create(actor=salesperson, kind="organisation", name="Zeta Gone")
    party_merge(actor=salesperson, source_id=gone.pk, target_id=angstrom.pk)
    return {"vries": vries, "angstrom": angstrom, "jan": jan, "closed": closed, "gone": gone, "other": other}


def _names(api: Api, **query: Any) -> list[str]:
    response = api.get("/parties", query)
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["items"]]


def test_by_normalised_name_without_archived_or_merged(api: Api, book: dict[str, Any]) -> None:
    assert _names(api) == ["Ångström Optics", "Bakkerij de Vries B.V.", "Jan de Vries"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "bakk"}, ["Bakkerij de Vries B.V."]),
        ({"q": "vries"}, ["Bakkerij de Vries B.V.", "Jan de Vries"]),  # a later word of the name
        ({"q": "angs"}, ["Ångström Optics"]),  # accents do not matter
        ({"q": "NL853746333B01"}, ["Bakkerij de Vries B.V."]),
        ({"q": "INFO@devries.example"}, ["Bakkerij de Vries B.V."]),
        ({"kind": "person"}, ["Jan de Vries"]),
        ({"role": "supplier"}, ["Ångström Optics"]),
        ({"tag": "bread"}, ["Bakkerij de Vries B.V."]),
        (
            {"include_archived": "true"},
            ["Ångström Optics", "Bakkerij de Vries B.V.", "Closed Shop", "Jan de Vries"],
        ),
        ({"q": "zeta", "include_archived": "true"}, []),  # merged parties never show
    ],
)
def test_filters(api: Api, book: dict[str, Any], query: dict[str, str], expected: list[str]) -> None:
    assert _names(api, **query) == expected


def test_filter_by_owner_and_organisation(api: Api, book: dict[str, Any]) -> None:
    assert _names(api, owner_id=book["other"].pk) == ["Ångström Optics"]
    assert _names(api, organisation_id=book["vries"].pk) == ["Jan de Vries"]


def test_an_unknown_kind_is_a_422(api: Api) -> None:
    problem = assert_problem(api.get("/parties", {"kind": "robot"}), 422, "invalid-input")

    assert problem["errors"] == [
        {"field": "kind", "message": "Choose one of: 'organisation' or 'person'.", "location": "query"}
    ]


def test_equal_names_page_by_id(api: Api, salesperson: Any) -> None:
    first = party_create(actor=salesperson, kind="person", name="Jan Jansen")
    twins = [first.pk]
    for _ in range(4):
        twins.append(
            party_create(
                actor=salesperson, kind="person", name="Jan Jansen", confirmed_duplicate_ids=twins
            ).pk
        )

    seen: list[int] = []
    cursor = None
    while True:
        page = api.get("/parties", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert seen == twins


def _bulk_parties(company_id: int, owner_id: int, count: int) -> None:
    """Master data for the scale tests, inserted in bulk (services would take minutes)."""
    now = timezone.now()
    names = [f"Customer {number:05d} {'ABCDEFGHIJ'[number % 10]}" for number in range(count)]
    Party.objects.bulk_create(
        [
            Party(
                company_id=company_id,
                kind="organisation",
                name=name,
                normalized_name=normalise_name(name),
                owner_id=owner_id,
                created_at=now,
                updated_at=now,
            )
            for name in names
        ],
        batch_size=500,
    )
    PartyRole.objects.bulk_create(
        [PartyRole(party_id=pk, role="customer") for pk in Party.objects.values_list("pk", flat=True)],
        batch_size=500,
    )


def test_every_page_is_an_index_range_with_the_same_cost(api: Api, salesperson: Any) -> None:
    _bulk_parties(salesperson.company_id, salesperson.pk, 1_000)
    api.get("/users/me")

    costs: list[int] = []
    listed: list[str] = []
    cursor = None
    while True:
        with CaptureQueriesContext(connection) as queries:
            page = api.get("/parties", {"limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        costs.append(len(queries.captured_queries))
        listed += [p["name"] for p in page["items"]]
        list_sql = next(q["sql"] for q in queries.captured_queries if 'FROM "parties_party"' in q["sql"])
        assert "OFFSET" not in list_sql.upper()
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert listed == sorted(listed, key=normalise_name)
    assert len(listed) == 1_000
    assert len(set(costs)) == 1, costs
    assert '"parties_party"."normalized_name" >=' in list_sql


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_the_list_query_uses_the_name_index(api: Api, salesperson: Any) -> None:
    _bulk_parties(salesperson.company_id, salesperson.pk, 300)
    cursor = api.get("/parties", {"limit": 100}).json()["next_cursor"]

    with CaptureQueriesContext(connection) as queries:
        api.get("/parties", {"limit": 100, "cursor": cursor})
    sql = next(q["sql"] for q in queries.captured_queries if 'FROM "parties_party"' in q["sql"])
    with connection.cursor() as db:
        db.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(str(row[-1]) for row in db.fetchall())

    assert "USING INDEX party_name_idx" in plan
    assert "TEMP B-TREE" not in plan  # the index gives the order: no sort of the matching rows


def test_list_query_budget(api: Api, salesperson: Any, django_assert_max_num_queries: Any) -> None:
    for number in range(30):
        party_create(
            actor=salesperson,
            kind="organisation",
            name=f"Shop {number}",
            roles=["customer"],
            tags=["retail"],
            contact_points=[{"kind": "email", "value": f"shop{number}@example.test"}],
        )
    api.get("/users/me")

    # token + roles of the caller + parties + their roles, tags and contact points
    with django_assert_max_num_queries(6):
        response = api.get("/parties", {"limit": 200})

    assert len(response.json()["items"]) == 30


def test_list_with_count_query_budget(api: Api, salesperson: Any, django_assert_max_num_queries: Any) -> None:
    _bulk_parties(salesperson.company_id, salesperson.pk, 120)
    api.get("/users/me")

    with django_assert_max_num_queries(7):
        page = api.get("/parties", {"limit": 10, "with_count": "true"}).json()

    assert (page["count"], page["count_capped"]) == (120, False)


def test_team_scope_list_query_budget(
    make_user: Any, admin_user: Any, django_assert_max_num_queries: Any
) -> None:
    north = team_create(actor=admin_user, name="North")
    alice = make_user("sales", scope="team", team=north)
    for number in range(20):
        party_create(
            actor=alice, kind="organisation", name=f"Shop {number}", team=north.pk, roles=["customer"]
        )
    api = Api(Client(), token_for(alice))
    api.get("/users/me")

    # ... plus the caller's teams
    with django_assert_max_num_queries(7):
        response = api.get("/parties", {"limit": 200})

    assert len(response.json()["items"]) == 20


def test_contacts_timeline_and_audit_query_budgets(
    api: Api, salesperson: Any, django_assert_max_num_queries: Any
) -> None:
    org = party_create(actor=salesperson, kind="organisation", name="Acme")
    for number in range(15):
        party_create(actor=salesperson, kind="person", name=f"Person {number}", organisation=org.pk)
    for number in range(15):
        party_update(
            actor=salesperson, party_id=org.pk, version=number + 1, changes={"notes": f"note {number}"}
        )
    run_pending_events()
    api.get("/users/me")

    # token + roles + the organisation + contacts + their roles, tags and contact points
    with django_assert_max_num_queries(7):
        contacts = api.get(f"/parties/{org.pk}/contacts", {"limit": 200}).json()
    # token + roles + the party + entries
    with django_assert_max_num_queries(4):
        timeline = api.get(f"/parties/{org.pk}/timeline", {"limit": 200}).json()
    with django_assert_max_num_queries(4):
        audit = api.get(f"/parties/{org.pk}/audit", {"limit": 200}).json()

    assert (len(contacts["items"]), len(timeline["items"]), len(audit["items"])) == (15, 16, 16)
