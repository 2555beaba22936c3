"""The crm demo step: leads in every state, opportunities in every stage, won and lost ones
with reasons — the same on every run, and re-runnable without duplicates."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kantoor.core import demo as core_demo
from kantoor.crm import selectors
from kantoor.crm.demo import DEMO_DEALS, DEMO_LEADS
from kantoor.crm.models import Lead, Opportunity

pytestmark = pytest.mark.django_db


def load(*names: str) -> Any:
    loaded = core_demo.demo_company_load()
    steps = {step.name: step for step in core_demo.steps()}
    for name in names:
        options = {"parties": 40} if name == "parties" else {}
        steps[name].load(
            loaded.company, loaded.users, core_demo.step_random(name), lambda *_: lambda n=1: None, options
        )
    return loaded


def test_the_demo_fills_the_pipeline_once() -> None:
    loaded = load("parties", "crm")
    assert Counter(Lead.objects.values_list("state", flat=True)) == Counter(
        {"new": 2, "qualified": 2, "disqualified": 2, "converted": 3}
    )
    assert len({lead.source for lead in Lead.objects.all()}) >= 5
    opportunities = Opportunity.objects.all()
    assert opportunities.count() == len(DEMO_DEALS) + 3
    assert Counter(o.state for o in opportunities) == Counter({"open": 8, "won": 2, "lost": 2})
    assert all(o.lost_reason_id for o in opportunities if o.state == "lost")
    board = selectors.board(loaded.users["sales_manager"])
    assert [c.stage.name for c in board.columns] == ["New", "Qualified", "Proposal", "Negotiation"]
    assert all(c.count >= 1 for c in board.columns)
    # The rep of Sales North sees the leads assigned to him.
    assert selectors.leads_list(loaded.users["sales"]).count() == len(DEMO_LEADS)
    load("crm")
    assert Lead.objects.count() == len(DEMO_LEADS)
    assert Opportunity.objects.count() == len(DEMO_DEALS) + 3
