"""Name search: the index-range prefix filter finds exactly what a prefix match would."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kantoor.parties import selectors, services
from kantoor.parties.models import Party, normalise_name

pytestmark = pytest.mark.django_db

NAMES = [
    "Bakkerij De Vries B.V.",
    "Bakker Jansen",
    "bakkerij-de-vries",
    "De Vries & Zn",
    "Élan Café",
    "Elan Consultancy",
    "Zwart Transport",
    "zwartjes",
    "A.B.C. Holding",
    "abc holding nv",
    "Ab Cd",
    "Vries",
    "Vriesland Zuivel",
    "Café 't Hoekje",
    "9 Straatjes",
    "Zz Top",
]


@pytest.fixture
def named(salesperson):
    for index, name in enumerate(NAMES):
        services.party_create(
            actor=salesperson,
            kind="organisation",
            name=name,
            confirmed_duplicate_ids=list(Party.objects.values_list("pk", flat=True)),
        )
        assert Party.objects.count() == index + 1
    return salesperson


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Bakkerij De Vries B.V.", "bakkerij de vries"),
        ("Élan Café", "elan cafe"),
        ("A.B.C. Holding", "a b c holding"),
        ("  ACME   Ltd. ", "acme"),
        ("Jansen & Co", "jansen"),
    ],
)
def test_normalise_name(name, normalised):
    assert normalise_name(name) == normalised


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.text(alphabet="abcdevrijszlntéz .&'-9", min_size=1, max_size=6))
def test_prefix_filter_equals_python_prefix_match(named, prefix):
    key = normalise_name(prefix)
    found = set(Party.objects.filter(selectors.name_prefix_filter(prefix)).values_list("name", flat=True))
    expected = {n for n in NAMES if normalise_name(n).startswith(key)} if key else set(NAMES)
    assert found == expected


def test_search_finds_later_words_vat_and_email(named):
    services.party_create(
        actor=named,
        kind="organisation",
        name="Melkveebedrijf Hoeve",
        vat_number="NL853746333B01",
        contact_points=[{"kind": "email", "value": "Boer@Hoeve.nl"}],
    )

    def names(q):
        return sorted(p.name for p in selectors.parties_list(named, q=q))

    assert names("vries") == [
        "Bakkerij De Vries B.V.",
        "De Vries & Zn",
        "Vries",
        "Vriesland Zuivel",
        "bakkerij-de-vries",
    ]
    assert names("bakker") == ["Bakker Jansen", "Bakkerij De Vries B.V.", "bakkerij-de-vries"]
    assert names("nl 8537 46333B01") == ["Melkveebedrijf Hoeve"]  # typed with spaces and lower case
    assert names("NL853746333B01") == ["Melkveebedrijf Hoeve"]
    assert names("boer@hoeve.nl") == ["Melkveebedrijf Hoeve"]
    assert names("'; DROP TABLE parties_party; --") == []
    assert Party.objects.count() == len(NAMES) + 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_duplicate_lookup_uses_indexes_not_a_scan(named):
    """Each branch of the duplicate check must be an index search: a scan made party
    creation slow down as the table grew (seen at 75,000 parties)."""
    with CaptureQueriesContext(connection) as captured:
        selectors.party_duplicates(
            company_id=named.company_id, name="Acme", vat_number="NL853746333B01", emails=["a@acme.nl"]
        )
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
        plan = [row[3] for row in cursor.fetchall()]
    searches = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    assert not [step for step in searches if step.startswith("SCAN")], plan
    assert any("party_vat_idx (company_id=? AND vat_number=?)" in step for step in searches), plan
    assert any("contact_point_lookup (kind=? AND normalized_value=?)" in step for step in searches), plan
    assert any("party_name_idx (company_id=? AND normalized_name=?)" in step for step in searches), plan
