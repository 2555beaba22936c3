"""The activities endpoints: an activity's life through the API, Idempotency-Key replays,
filters and paging, and refusals (404 for another company's, 409 stale, 422 bad input)
that write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from kantoor.activities import services
from kantoor.activities.models import Activity
from kantoor.activities.targets import target_of
from kantoor.core.tests import api_support
from kantoor.core.tests.api_support import assert_problem

pytestmark = pytest.mark.django_db


@contextmanager
def nothing_written() -> Iterator[None]:
    """No row of core, parties (outbox and audit too) or activities changed."""
    before = list(Activity.objects.order_by("pk").values())
    with api_support.nothing_written():
        yield
    assert list(Activity.objects.order_by("pk").values()) == before


def test_an_activity_through_the_api(api_as: Any, rep: Any, customer: Any) -> None:
    api = api_as(rep)
    payload = {
        "kind": "meeting",
        "subject": "Tasting at the bakery",
        "starts_at": "2030-03-04T09:00:00Z",
        "ends_at": "2030-03-04T10:00:00+00:00",
        "target": target_of(customer),
        "reminder_at": "2030-03-04T08:45:00Z",
    }
    created = api.post("/activities", payload, key="act-1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert {
        k: body[k] for k in ("kind", "state", "due_date", "party_id", "party_name", "target", "version")
    } == {
        "kind": "meeting",
        "state": "open",
        "due_date": "2030-03-04",
        "party_id": customer.pk,
        "party_name": "Bakkerij De Korenschoof",
        "target": f"parties.party:{customer.pk}",
        "version": 1,
    }
    # a replay with the same key answers the same and creates nothing
    replay = api.post("/activities", payload, key="act-1")
    assert (replay.status_code, replay.json()["id"]) == (201, body["id"])
    assert Activity.objects.count() == 1

    path = f"/activities/{body['id']}"
    assert api.get(path).json()["subject"] == "Tasting at the bakery"
    patched = api.patch(path, {"version": 1, "subject": "Tasting", "reminder_at": None})
    assert patched.status_code == 200, patched.content
    assert (patched.json()["subject"], patched.json()["reminder_at"], patched.json()["version"]) == (
        "Tasting",
        None,
        2,
    )
    done = api.post(f"{path}/done", {"version": 2})
    assert (done.status_code, done.json()["state"], done.json()["version"]) == (200, "done", 3)
    reopened = api.post(f"{path}/reopen", {})
    assert reopened.json()["state"] == "open"
    cancelled = api.post(f"{path}/cancel", {"version": 4})
    assert cancelled.json()["state"] == "cancelled"


def test_list_filters_and_pages(api_as: Any, rep: Any, manager: Any, customer: Any) -> None:
    api = api_as(manager)
    for day in ("2030-01-03", "2030-01-01", "2030-01-02"):
        assert (
            api.post("/activities", {"kind": "task", "subject": f"Due {day}", "due_date": day}).status_code
            == 201
        )
    api_as(rep).post("/activities", {"kind": "call", "subject": "Rep's call", "target": target_of(customer)})
    first = api.get("/activities", {"limit": 2, "mine": "true", "with_count": "true"}).json()
    assert [row["subject"] for row in first["items"]] == ["Due 2030-01-01", "Due 2030-01-02"]
    assert first["count"] == 3
    second = api.get("/activities", {"limit": 2, "mine": "true", "cursor": first["next_cursor"]}).json()
    assert ([row["subject"] for row in second["items"]], second["next_cursor"]) == (["Due 2030-01-03"], None)
    ranged = api.get("/activities", {"from": "2030-01-02", "to": "2030-01-02"}).json()
    assert [row["subject"] for row in ranged["items"]] == ["Due 2030-01-02"]
    by_party = api.get("/activities", {"party_id": customer.pk}).json()
    assert [row["subject"] for row in by_party["items"]] == ["Rep's call"]
    by_target = api.get("/activities", {"target": target_of(customer), "state": "open"}).json()
    assert [row["subject"] for row in by_target["items"]] == ["Rep's call"]
    # the rep sees only their own
    assert [row["subject"] for row in api_as(rep).get("/activities").json()["items"]] == ["Rep's call"]


def test_another_companys_activity_is_a_404(api_as: Any, rep: Any, outsider: Any) -> None:
    created = api_as(rep).post("/activities", {"kind": "task", "subject": "Mine"}).json()
    api = api_as(outsider)
    with nothing_written():
        assert_problem(api.get(f"/activities/{created['id']}"), 404)
        assert_problem(api.patch(f"/activities/{created['id']}", {"version": 1, "subject": "Theirs"}), 404)
        assert_problem(api.post(f"/activities/{created['id']}/done", {}), 404)


def test_a_stale_version_is_a_409(api_as: Any, rep: Any) -> None:
    api = api_as(rep)
    created = api.post("/activities", {"kind": "task", "subject": "Mine"}).json()
    api.patch(f"/activities/{created['id']}", {"version": 1, "subject": "Changed"})
    with nothing_written():
        problem = assert_problem(
            api.patch(f"/activities/{created['id']}", {"version": 1, "subject": "Stale"}),
            409,
            "stale-version",
        )
        assert problem["current_version"] == 2
        assert_problem(api.post(f"/activities/{created['id']}/done", {"version": 1}), 409, "stale-version")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "party", "subject": "x"}, "kind"),
        ({"kind": "task", "subject": ""}, "subject"),
        ({"kind": "task", "subject": "x", "target": "not a target"}, "target"),
        ({"kind": "task", "subject": "x", "target": "sales.nothing:1"}, "target"),
        ({"kind": "task", "subject": "x", "starts_at": "2030-01-01T10:00:00"}, "starts_at"),
        ({"kind": "meeting", "subject": "x"}, "starts_at"),
        ({"kind": "task", "subject": "x", "due_date": "2030-02-30"}, "due_date"),
        ({"kind": "task", "subject": "x", "surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_a_422_and_writes_nothing(
    api_as: Any, rep: Any, body: dict[str, Any], field: str
) -> None:
    api = api_as(rep)
    with nothing_written():
        problem = assert_problem(api.post("/activities", body), 422)
    assert any(field in error["field"] for error in problem["errors"]), problem


def test_anonymous_and_read_only_callers_are_refused(api_as: Any, anonymous_api: Any, rep: Any) -> None:
    read_only = api_as(rep, read_only=True)
    with nothing_written():
        assert anonymous_api.post("/activities", {"kind": "task", "subject": "x"}).status_code == 401
        assert read_only.post("/activities", {"kind": "task", "subject": "x"}).status_code == 403


def test_feed_rotate_returns_the_url(api_as: Any, rep: Any) -> None:
    response = api_as(rep).post("/activities/feed/rotate")
    assert response.status_code == 200, response.content
    assert response.json()["url"].startswith("http://testserver/activities/feed/")
    assert response.json()["url"].endswith(".ics")


def test_the_list_costs_the_same_for_many_rows(
    api_as: Any, manager: Any, customer: Any, django_assert_max_num_queries: Any
) -> None:
    api = api_as(manager)
    for number in range(12):
        services.activity_create(
            actor=manager, kind="task", subject=f"Task {number}", target=target_of(customer)
        )
    api.get("/activities", {"limit": 1})  # warm the content types' cache
    with django_assert_max_num_queries(8):
        response = api.get("/activities", {"limit": 50, "with_count": "true"})
    assert len(response.json()["items"]) == 12
