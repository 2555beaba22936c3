"""The board, the weighted forecast by month and by owner, and the pipeline totals: exact
sums computed in SQL, scoped like everything else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kantoor.crm import selectors, services
from kantoor.crm.models import Opportunity
from kantoor.parties.services import party_create


@pytest.fixture
def party(admin_user):
    return party_create(actor=admin_user, kind="organisation", name="Café Centraal")


def _deal(actor, party, stage, amount, close, **extra):
    return services.opportunity_create(
        actor=actor,
        name=f"Deal {amount}",
        party=party.pk,
        expected_revenue=amount,
        close_date=close,
        stage=stage.pk,
        **extra,
    )


@pytest.fixture
def pipeline(manager, rep, teammate, party, stages, price_reason):
    """Open: 1000 at 10 % and 333.33 at 60 % in March 2030 (rep), 2500 at 80 % in April
    (teammate), 50 at 30 % without a date (manager). Closed: 700 won, 900 lost."""
    rep_party = party_create(actor=rep, kind="organisation", name="Rep's customer")
    tom_party = party_create(actor=teammate, kind="organisation", name="Tom's customer")
    deals = {
        "a": _deal(rep, rep_party, stages["New"], "1000", dt.date(2030, 3, 1)),
        "b": _deal(rep, rep_party, stages["Proposal"], "333.33", dt.date(2030, 3, 31)),
        "c": _deal(teammate, tom_party, stages["Negotiation"], "2500", dt.date(2030, 4, 10)),
        "d": _deal(manager, party, stages["Qualified"], "50", None),
        "won": _deal(manager, party, stages["Proposal"], "700", dt.date(2030, 3, 5)),
        "lost": _deal(manager, party, stages["Proposal"], "900", dt.date(2030, 3, 6)),
    }
    services.opportunity_win(actor=manager, opportunity_id=deals["won"].pk)
    services.opportunity_lose(actor=manager, opportunity_id=deals["lost"].pk, lost_reason_id=price_reason.pk)
    return deals


def test_forecast_by_month_is_exact(manager, pipeline):
    rows = selectors.forecast_by_month(manager)
    assert [(r.key, r.currency, r.count, r.expected, r.weighted) for r in rows] == [
        # 1000 × 10 % + 333.33 × 60 % = 100 + 199.998 → 300.00
        (dt.date(2030, 3, 1), "EUR", 2, Decimal("1333.33"), Decimal("300.00")),
        (dt.date(2030, 4, 1), "EUR", 1, Decimal("2500.00"), Decimal("2000.00")),
    ]
    assert [r.label for r in rows] == ["2030-03", "2030-04"]


def test_forecast_by_owner_is_exact(manager, rep, teammate, pipeline):
    rows = selectors.forecast_by_owner(manager)
    assert [(r.key, r.count, r.expected, r.weighted) for r in rows] == [
        (teammate.pk, 1, Decimal("2500.00"), Decimal("2000.00")),
        (rep.pk, 2, Decimal("1333.33"), Decimal("300.00")),
        (manager.pk, 1, Decimal("50.00"), Decimal("15.00")),
    ]


def test_the_board_counts_and_sums_per_stage(manager, pipeline, stages, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        board = selectors.board(manager)
    summary = [
        (c.stage.name, c.count, c.expected, c.weighted, [o.pk for o in c.opportunities])
        for c in board.columns
    ]
    assert summary == [
        ("New", 1, Decimal("1000.00"), Decimal("100.00"), [pipeline["a"].pk]),
        ("Qualified", 1, Decimal("50.00"), Decimal("15.00"), [pipeline["d"].pk]),
        ("Proposal", 1, Decimal("333.33"), Decimal("200.00"), [pipeline["b"].pk]),
        ("Negotiation", 1, Decimal("2500.00"), Decimal("2000.00"), [pipeline["c"].pk]),
    ]
    assert (board.count, board.expected) == (4, Decimal("3883.33"))


def test_pipeline_totals(manager, pipeline):
    (totals,) = selectors.pipeline_totals(manager)
    assert (totals.currency, totals.open_count, totals.open_expected, totals.open_weighted) == (
        "EUR",
        4,
        Decimal("3883.33"),
        Decimal("2315.00"),
    )
    assert (totals.won_count, totals.won_amount, totals.lost_count, totals.lost_amount) == (
        1,
        Decimal("700.00"),
        1,
        Decimal("900.00"),
    )


def test_a_rep_forecasts_only_what_they_see(stranger_rep, rep, pipeline):
    assert selectors.forecast_by_month(stranger_rep) == []
    assert sum(r.count for r in selectors.forecast_by_owner(rep)) == 3  # own two and Tom's


AMOUNTS = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)
PERCENTS = st.decimals(min_value=0, max_value=100, places=2)
MONTHS = st.integers(min_value=1, max_value=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deals=st.lists(st.tuples(AMOUNTS, PERCENTS, MONTHS), min_size=1, max_size=8))
def test_forecast_is_the_sum_of_expected_times_probability(manager, party, stages, deals):
    Opportunity.objects.all().delete()
    for amount, percent, month in deals:
        services.opportunity_create(
            actor=manager,
            name="Deal",
            party=party.pk,
            expected_revenue=amount,
            probability=percent,
            close_date=dt.date(2031, month, 28),
        )
    rows = {r.key.month: r for r in selectors.forecast_by_month(manager)}
    for month in {m for _a, _p, m in deals}:
        mine = [(a, p) for a, p, m in deals if m == month]
        assert rows[month].count == len(mine)
        assert rows[month].expected == sum((a for a, _p in mine), Decimal(0))
        assert rows[month].weighted == sum((a * p / 100 for a, p in mine), Decimal(0)).quantize(
            Decimal("0.01")
        )


def test_sums_count_each_deal_once_when_teams_overlap(make_user, rep, teammate, other_team, stages):
    # Rita and Tom share two teams: the team scope's join meets Tom's deal twice.
    other_team.members.add(rep, teammate)
    party = party_create(actor=teammate, kind="organisation", name="Tom's customer")
    services.opportunity_create(
        actor=teammate, name="Deal", party=party.pk, expected_revenue="1000", close_date=dt.date(2030, 5, 2)
    )
    from kantoor.core import policy

    policy.forget(rep)
    assert selectors.opportunities_list(rep).count() == 1
    (row,) = selectors.forecast_by_month(rep)
    assert (row.count, row.expected, row.weighted) == (1, Decimal("1000.00"), Decimal("100.00"))
    board = selectors.board(rep)
    assert (board.count, board.expected) == (1, Decimal("1000.00"))
    assert selectors.pipeline_totals(rep)[0].open_count == 1
