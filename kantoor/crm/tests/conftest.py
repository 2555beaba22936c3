"""Fixtures of the crm tests: a sales team with two reps (team scope, so each sees the
other's records and changes only their own), a rep of another team, the sales manager, a
marketer, a manager of another company; the default pipeline, a lost reason and a public
web form. The API fixtures come from core's support."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache

from kantoor.core.models import Team
from kantoor.core.tests.api_support import anonymous_api, api_as
from kantoor.crm import selectors, services
from kantoor.crm.models import LostReason, PipelineStage, WebForm

__all__ = ["anonymous_api", "api_as"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The web form's rate limit counts in the cache: each test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sales_team(company: Any) -> Team:
    return Team.objects.create(company=company, name="Sales North")


@pytest.fixture
def other_team(company: Any) -> Team:
    return Team.objects.create(company=company, name="Sales South")


@pytest.fixture
def rep(make_user: Callable[..., Any], sales_team: Team) -> Any:
    return make_user("sales", scope="team", team=sales_team, username="rita")


@pytest.fixture
def teammate(make_user: Callable[..., Any], sales_team: Team) -> Any:
    return make_user("sales", scope="team", team=sales_team, username="tom")


@pytest.fixture
def stranger_rep(make_user: Callable[..., Any], other_team: Team) -> Any:
    return make_user("sales", scope="team", team=other_team, username="sven")


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("sales_manager", username="noor")


@pytest.fixture
def marketer(make_user: Callable[..., Any]) -> Any:
    return make_user("marketing", username="mia")


@pytest.fixture
def outsider(make_user: Callable[..., Any], other_company: Any) -> Any:
    return make_user("sales_manager", in_company=other_company, username="olaf")


@pytest.fixture
def stages(manager: Any) -> dict[str, PipelineStage]:
    return {s.name: s for s in selectors.pipeline_stages(manager)}


@pytest.fixture
def price_reason(manager: Any) -> LostReason:
    return services.lost_reason_create(actor=manager, name="Price too high")


@pytest.fixture
def web_form(manager: Any, rep: Any, sales_team: Team) -> WebForm:
    return services.web_form_create(actor=manager, name="Contact page", owner=rep.pk, team=sales_team.pk)


def _rows() -> dict[str, list[dict[str, Any]]]:
    labels = {"core", "parties", "crm"}
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in labels and model._meta.label_lower != "core.apitoken":
            rows[model._meta.label_lower] = list(model._default_manager.order_by("pk").values())
    return rows


@contextmanager
def nothing_written() -> Iterator[None]:
    """Assert that the block changed no row of core, parties or crm (outbox and audit too)."""
    before = _rows()
    yield
    after = _rows()
    changed = sorted(label for label in before if before[label] != after[label])
    assert not changed, f"rows changed: {changed}"
