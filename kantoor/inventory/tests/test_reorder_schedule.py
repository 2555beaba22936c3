"""The reorder check as a periodic job: `kantoor scheduler` runs it each day at 04:00 UTC for
every company, as `kantoor stock reorder` does; a rule left below its minimum is proposed
again by each day's run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kantoor.core import schedule
from kantoor.core.models import OutboxEvent, ScheduledJob
from kantoor.inventory.reordering import PROPOSAL_PAUSE, reorder_check, reorder_rule_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def reorder_only(monkeypatch: pytest.MonkeyPatch) -> schedule.Job:
    """Only the inventory's job in the registry (other apps' jobs are theirs to test)."""
    job = next(job for job in schedule.jobs() if job.name == "inventory.reorder")
    monkeypatch.setattr(schedule, "_jobs", {job.name: job})
    return job


def test_the_daily_job_proposes_what_is_below_the_minimum_once_a_day(
    reorder_only: schedule.Job,
    storekeeper: Any,
    warehouse: Any,
    make_product: Any,
    receive: Any,
    company: Any,
    other_company: Any,
) -> None:
    # given a chair with 3 in stock and a rule to keep between 5 and 20
    chair = make_product("CHAIR")
    receive((chair, "3", "10"))
    rule = reorder_rule_set(
        actor=storekeeper, warehouse_id=warehouse.pk, product_id=chair.pk, min_quantity="5", max_quantity="20"
    )
    assert (reorder_only.every, reorder_only.at) == (dt.timedelta(days=1), dt.time(4, 0))

    # when the scheduler first sees the job, it waits for 04:00 UTC
    now = timezone.now()
    assert schedule.due_jobs_run(now) == []
    slot = ScheduledJob.objects.get(name="inventory.reorder").next_run_at
    assert slot == reorder_only.next_run_after(now)
    assert not OutboxEvent.objects.filter(name="inventory.StockBelowMinimum").exists()

    # then at 04:00 it proposes 17 chairs
    [outcome] = schedule.due_jobs_run(slot)
    assert (outcome.name, outcome.status, outcome.message) == (
        "inventory.reorder",
        "ok",
        "Reorder check done: 1 proposal(s).",
    )
    payloads = list(
        OutboxEvent.objects.filter(name="inventory.StockBelowMinimum").values_list("payload", flat=True)
    )
    assert [{k: v for k, v in p.items() if k != "event_id"} for p in payloads] == [
        {
            "company_id": company.pk,
            "rule_id": rule.pk,
            "product_id": chair.pk,
            "warehouse_id": warehouse.pk,
            "quantity": "17",
            "route": "buy",
        }
    ]

    # and later that day the job does not run again
    assert schedule.due_jobs_run(slot + dt.timedelta(hours=23, minutes=59)) == []
    assert OutboxEvent.objects.filter(name="inventory.StockBelowMinimum").count() == 1
    job = ScheduledJob.objects.get(name="inventory.reorder")
    assert (job.last_started_at, job.next_run_at) == (slot, slot + dt.timedelta(days=1))


@pytest.mark.parametrize(
    "second_run_after",
    [
        dt.timedelta(days=1),
        # the scheduler looks for due jobs every few seconds: today's run may start a moment
        # earlier after 04:00 than yesterday's did
        dt.timedelta(days=1) - dt.timedelta(seconds=6),
    ],
    ids=["a day later", "a moment less than a day later"],
)
def test_a_rule_still_below_its_minimum_is_proposed_again_by_the_next_days_run(
    second_run_after: dt.timedelta,
    storekeeper: Any,
    warehouse: Any,
    make_product: Any,
    receive: Any,
    company: Any,
) -> None:
    # given a chair with 3 in stock and a rule to keep between 5 and 20
    chair = make_product("CHAIR")
    receive((chair, "3", "10"))
    rule = reorder_rule_set(
        actor=storekeeper, warehouse_id=warehouse.pk, product_id=chair.pk, min_quantity="5", max_quantity="20"
    )
    below_minimum = OutboxEvent.objects.filter(name="inventory.StockBelowMinimum")
    first_run = dt.datetime(2026, 11, 27, 4, 0, 7, tzinfo=dt.UTC)

    # when the daily run proposes 17 chairs and nobody orders them
    assert [p.quantity for p in reorder_check(company_id=company.pk, now=first_run)] == [17]
    assert below_minimum.count() == 1
    # (a check by hand later that day proposes nothing again)
    assert reorder_check(company_id=company.pk, now=first_run + dt.timedelta(hours=8)) == []
    assert below_minimum.count() == 1

    # then the next day's run proposes them again
    second_run = first_run + second_run_after
    assert second_run - first_run > PROPOSAL_PAUSE
    assert [p.quantity for p in reorder_check(company_id=company.pk, now=second_run)] == [17]
    assert below_minimum.count() == 2
    rule.refresh_from_db()
    assert rule.last_proposed_at == second_run
