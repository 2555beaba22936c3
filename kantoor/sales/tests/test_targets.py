"""Sales targets: set by the sales manager, per salesperson or team and month; progress is
the untaxed amount of the orders confirmed in the month, in the company's currency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import AuditEntry
from kantoor.core.services import exchange_rate_set, team_create
from kantoor.inventory import services as inventory
from kantoor.parties.services import party_create
from kantoor.sales import targets
from kantoor.sales.errors import SalesTargetInvalidError
from kantoor.sales.models import SalesOrder, SalesTarget

pytestmark = pytest.mark.django_db

MONTH = dt.date(2026, 3, 1)
AMSTERDAM = dt.timezone(dt.timedelta(hours=1))  # CET in March before the switch


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("sales_manager", username="noor")


@pytest.fixture
def team(admin_user: Any) -> Any:
    return team_create(actor=admin_user, name="Noord")


@pytest.fixture
def rep(make_user: Callable[..., Any], team: Any) -> Any:
    return make_user("sales", team=team, username="sam")


@pytest.fixture
def other_rep(make_user: Callable[..., Any]) -> Any:
    return make_user("sales", username="olga")


@pytest.fixture
def warehouse(make_user: Callable[..., Any]) -> Any:
    return inventory.warehouse_create(actor=make_user("operations"), code="WH", name="Main")


@pytest.fixture
def make_order(company: Any, admin_user: Any, warehouse: Any) -> Callable[..., SalesOrder]:
    customer = party_create(actor=admin_user, kind="organisation", name="Klant B.V.", roles=["customer"])
    counter = {"n": 0}

    def make(
        untaxed: str,
        *,
        by: Any = None,
        team: Any = None,
        at: dt.datetime,
        state: str = "confirmed",
        currency: str = "EUR",
    ) -> SalesOrder:
        counter["n"] += 1
        return SalesOrder.objects.create(
            company=company,
            number=f"SO{counter['n']:04d}",
            customer=customer,
            state=state,
            order_date=at.date(),
            currency=currency,
            warehouse=warehouse,
            salesperson=by,
            team=team,
            amount_untaxed=Decimal(untaxed),
            amount_total=Decimal(untaxed) * Decimal("1.21"),
            confirmed_at=at,
        )

    return make


def test_target_set_replaces_and_audits(manager: Any, rep: Any, team: Any) -> None:
    first = targets.target_set(actor=manager, user_id=rep.pk, month=dt.date(2026, 3, 17), amount="10000")
    assert (first.month, first.amount, first.user_id, first.team_id) == (
        MONTH,
        Decimal("10000.00"),
        rep.pk,
        None,
    )
    again = targets.target_set(actor=manager, user_id=rep.pk, month=MONTH, amount="12500.50")
    assert again.pk == first.pk
    assert SalesTarget.objects.get().amount == Decimal("12500.50")
    team_target = targets.target_set(actor=manager, team_id=team.pk, month=MONTH, amount="50000")
    assert SalesTarget.objects.count() == 2
    entries = list(
        AuditEntry.objects.filter(model="sales.salestarget").order_by("pk").values_list("action", "changes")
    )
    assert entries == [
        ("sales.target_set", {"user": rep.pk, "team": None, "month": "2026-03-01", "amount": "10000.00"}),
        ("sales.target_set", {"amount": ["10000.00", "12500.50"]}),
        ("sales.target_set", {"user": None, "team": team.pk, "month": "2026-03-01", "amount": "50000.00"}),
    ]
    targets.target_delete(actor=manager, target_id=team_target.pk)
    assert list(SalesTarget.objects.values_list("pk", flat=True)) == [first.pk]
    assert AuditEntry.objects.filter(action="sales.target_delete").count() == 1


def test_target_set_refusals_change_nothing(
    manager: Any, rep: Any, team: Any, outsider: Any, make_user: Callable[..., Any], other_company: Any
) -> None:
    stranger = make_user("sales", in_company=other_company)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"user_id": rep.pk, "team_id": team.pk, "amount": "1"}, {"user_id"}),
        ({"amount": "1"}, {"user_id"}),
        ({"user_id": stranger.pk, "amount": "1"}, {"user_id"}),
        ({"user_id": rep.pk, "amount": "-1"}, {"amount"}),
        ({"user_id": rep.pk, "amount": "1.001"}, {"amount"}),
        ({"user_id": rep.pk, "amount": "lots"}, {"amount"}),
    ]
    for values, fields in cases:
        with pytest.raises(SalesTargetInvalidError) as caught:
            targets.target_set(actor=manager, month=MONTH, **values)
        assert set(caught.value.field_errors) == fields
    with pytest.raises(PermissionDeniedError):
        targets.target_set(actor=rep, user_id=rep.pk, month=MONTH, amount="1")
    target = targets.target_set(actor=manager, user_id=rep.pk, month=MONTH, amount="1")
    with pytest.raises(NotFoundError):
        targets.target_delete(actor=outsider, target_id=target.pk)
    with pytest.raises(PermissionDeniedError):
        targets.target_delete(actor=rep, target_id=target.pk)
    assert list(SalesTarget.objects.values_list("amount", flat=True)) == [Decimal("1.00")]
    assert AuditEntry.objects.filter(model="sales.salestarget").count() == 1


def test_progress_counts_orders_confirmed_in_the_month(
    manager: Any,
    rep: Any,
    other_rep: Any,
    team: Any,
    admin_user: Any,
    make_order: Callable[..., SalesOrder],
    make_user: Callable[..., Any],
) -> None:
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(2026, 3, 20), rate=Decimal("1.25"))
    targets.target_set(actor=manager, user_id=rep.pk, month=MONTH, amount="1000")
    targets.target_set(actor=manager, user_id=other_rep.pk, month=MONTH, amount="0")
    targets.target_set(actor=manager, team_id=team.pk, month=MONTH, amount="3000")
    # counted for the rep: 400 (confirmed), 100 (done), 250 USD (= 200 EUR at 1.25, the rate
    # of the month's last day), the first and last minutes of March in Amsterdam (CEST from the 29th)
    make_order("400", by=rep, at=dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC))
    make_order("100", by=rep, state="done", at=dt.datetime(2026, 3, 31, 21, 59, tzinfo=dt.UTC))
    make_order("250", by=rep, currency="USD", at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    make_order("1", by=rep, team=team, at=dt.datetime(2026, 3, 1, 0, 0, tzinfo=AMSTERDAM))
    # not counted: April in Amsterdam, February, cancelled, a quotation, another rep's
    make_order("900", by=rep, at=dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC))
    make_order("900", by=rep, at=dt.datetime(2026, 2, 28, 22, 59, tzinfo=dt.UTC))
    make_order("900", by=rep, state="cancelled", at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    make_order("900", by=rep, state="sent", at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    make_order("75", by=other_rep, team=team, at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC))

    rows = targets.targets_progress(actor=manager, month=dt.date(2026, 3, 9))
    by_key = {(r.target.user_id, r.target.team_id): r for r in rows}
    assert len(rows) == 3
    mine = by_key[rep.pk, None]
    assert (mine.achieved, mine.percentage, mine.currency, mine.missing_rates) == (
        Decimal("701.00"),
        Decimal("70.1"),
        "EUR",
        [],
    )
    assert (by_key[other_rep.pk, None].achieved, by_key[other_rep.pk, None].percentage) == (
        Decimal("75.00"),
        None,
    )
    assert (by_key[None, team.pk].achieved, by_key[None, team.pk].percentage) == (
        Decimal("76.00"),
        Decimal("2.5"),
    )


def test_progress_names_a_currency_without_rate(
    manager: Any, rep: Any, make_order: Callable[..., SalesOrder]
) -> None:
    targets.target_set(actor=manager, user_id=rep.pk, month=MONTH, amount="100")
    make_order("50", by=rep, at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    make_order("50", by=rep, currency="CHF", at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    (row,) = targets.targets_progress(actor=manager, month=MONTH)
    assert (row.achieved, row.percentage, row.missing_rates) == (Decimal("50.00"), Decimal("50.0"), ["CHF"])


def test_a_rep_sees_own_and_team_targets_only(
    manager: Any, rep: Any, other_rep: Any, team: Any, nobody: Any, make_user: Callable[..., Any]
) -> None:
    own = targets.target_set(actor=manager, user_id=rep.pk, month=MONTH, amount="1")
    other = targets.target_set(actor=manager, user_id=other_rep.pk, month=MONTH, amount="1")
    team_target = targets.target_set(actor=manager, team_id=team.pk, month=MONTH, amount="1")
    ids = {r.target.pk for r in targets.targets_progress(actor=rep, month=MONTH)}
    assert ids == {own.pk, team_target.pk}
    assert {r.target.pk for r in targets.targets_progress(actor=other_rep, month=MONTH)} == {other.pk}
    management = make_user("management")
    assert len(targets.targets_progress(actor=management, month=MONTH)) == 3
    assert targets.targets_progress(actor=manager, month=dt.date(2026, 4, 1)) == []
    with pytest.raises(PermissionDeniedError):
        targets.targets_progress(actor=nobody, month=MONTH)


def test_progress_query_budget(
    manager: Any,
    rep: Any,
    team: Any,
    make_order: Callable[..., SalesOrder],
    django_assert_max_num_queries: Any,
) -> None:
    targets.target_set(actor=manager, user_id=rep.pk, month=MONTH, amount="1")
    targets.target_set(actor=manager, team_id=team.pk, month=MONTH, amount="1")
    make_order("5", by=rep, team=team, at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    with django_assert_max_num_queries(6):
        assert len(targets.targets_progress(actor=manager, month=MONTH)) == 2
    assert timezone.localdate()  # the running month is converted at today's rate
