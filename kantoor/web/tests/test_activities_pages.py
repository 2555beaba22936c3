"""The activities pages: my activities (filters, quick add, the HTMX "done" button), the
form, the calendar, a record's panel, and the public calendar feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from kantoor.activities import selectors, services
from kantoor.activities.models import Activity
from kantoor.activities.targets import target_of
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rep(make_user: Any) -> Any:
    return make_user("sales", scope="own", username="rita")


@pytest.fixture
def customer(rep: Any) -> Any:
    return party_create(actor=rep, kind="organisation", name="Bakkerij De Korenschoof", owner=rep.pk)


def test_my_activities_lists_mine_open_first_with_overdue_flagged(rep: Any, make_user: Any) -> None:
    today = selectors.company_today(rep.company)
    services.activity_create(
        actor=rep, kind="task", subject="Late one", due_date=today - dt.timedelta(days=1)
    )
    services.activity_create(
        actor=rep, kind="task", subject="Next week", due_date=today + dt.timedelta(days=7)
    )
    other = make_user("management", username="mona")
    services.activity_create(actor=other, kind="task", subject="Not mine")
    response = _client(rep).get(reverse("web:activity-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Late one") < html.index("Next week")
    assert "Not mine" not in html
    assert 'class="state-open overdue"' in html
    assert "2 activities" in html


def test_quick_add_and_done_through_htmx(rep: Any) -> None:
    client = _client(rep)
    response = client.post(
        reverse("web:activity-quick-add"),
        {"kind": "call", "subject": "Ring the baker", "due_date": "2030-01-02"},
    )
    assert response.status_code == 302
    activity = Activity.objects.get(subject="Ring the baker")
    assert (activity.kind, activity.due_date, activity.assignee_id) == ("call", dt.date(2030, 1, 2), rep.pk)
    done = client.post(
        reverse("web:activity-done", args=[activity.pk]), {"version": "1"}, headers={"HX-Request": "true"}
    )
    assert done.status_code == 200
    assert f'id="activity-{activity.pk}" class="state-done' in done.content.decode()
    activity.refresh_from_db()
    assert activity.state == "done"


def test_quick_add_refuses_an_empty_subject(rep: Any) -> None:
    response = _client(rep).post(reverse("web:activity-quick-add"), {"kind": "task", "subject": " "})
    assert response.status_code == 302
    assert not Activity.objects.exists()


def test_the_form_creates_and_edits_with_the_party_and_a_meeting_time(rep: Any, customer: Any) -> None:
    client = _client(rep)
    assert client.get(reverse("web:activity-create")).status_code == 200
    response = client.post(
        reverse("web:activity-create"),
        {
            "kind": "meeting",
            "subject": "Tasting",
            "starts_at": "2030-03-04T10:00",
            "ends_at": "2030-03-04T11:30",
            "assignee_id": str(rep.pk),
            "party": str(customer.pk),
            "notes": "Bring samples",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    activity = Activity.objects.get(subject="Tasting")
    # entered in the company's time zone (Amsterdam, winter time: UTC+1)
    assert activity.starts_at == dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)
    assert (activity.due_date, activity.party_id) == (dt.date(2030, 3, 4), customer.pk)
    page = client.get(reverse("web:activity-edit", args=[activity.pk]))
    assert 'value="2030-03-04T10:00"' in page.content.decode()
    edited = client.post(
        reverse("web:activity-edit", args=[activity.pk]),
        {
            "kind": "meeting",
            "subject": "Tasting at the bakery",
            "starts_at": "2030-03-04T10:00",
            "assignee_id": str(rep.pk),
            "party": str(customer.pk),
            "version": "1",
        },
    )
    assert edited.status_code == 302
    activity.refresh_from_db()
    assert (activity.subject, activity.ends_at, activity.version) == ("Tasting at the bakery", None, 2)
    stale = client.post(
        reverse("web:activity-edit", args=[activity.pk]),
        {"kind": "task", "subject": "Late edit", "assignee_id": str(rep.pk), "version": "1"},
    )
    assert stale.status_code == 409
    assert "Someone else changed this activity" in stale.content.decode()


def test_a_meeting_without_a_start_is_shown_on_the_form(rep: Any) -> None:
    response = _client(rep).post(
        reverse("web:activity-create"), {"kind": "meeting", "subject": "No time", "assignee_id": str(rep.pk)}
    )
    assert response.status_code == 422
    assert "A meeting needs a start time." in response.content.decode()
    assert not Activity.objects.exists()


def test_another_users_activity_is_a_404(rep: Any, make_user: Any) -> None:
    theirs = services.activity_create(
        actor=make_user("sales", scope="own", username="otto"), kind="task", subject="Theirs"
    )
    client = _client(rep)
    assert client.get(reverse("web:activity-edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:activity-done", args=[theirs.pk])).status_code == 404


def test_the_calendar_shows_the_month(rep: Any) -> None:
    services.activity_create(actor=rep, kind="task", subject="Pay rent", due_date=dt.date(2030, 5, 1))
    response = _client(rep).get(reverse("web:activity-calendar"), {"month": "2030-05"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "May 2030" in html
    assert 'data-date="2030-05-01"' in html
    assert "Pay rent" in html
    assert "?month=2030-04" in html
    assert "?month=2030-06" in html
    assert (
        _client(rep).get(reverse("web:activity-calendar"), {"month": "99999999999999999999-1"}).status_code
        == 200
    )


def test_the_panel_of_a_record_lists_and_adds(rep: Any, customer: Any) -> None:
    target = target_of(customer)
    services.activity_create(actor=rep, kind="task", subject="On the baker", target=target)
    client = _client(rep)
    panel = client.get(reverse("web:activity-panel"), {"target": target})
    assert panel.status_code == 200
    assert "On the baker" in panel.content.decode()
    added = client.post(
        reverse("web:activity-quick-add"),
        {"kind": "call", "subject": "Second", "target": target},
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 200
    assert "Second" in added.content.decode()
    assert Activity.objects.get(subject="Second").party_id == customer.pk
    assert client.get(reverse("web:activity-panel"), {"target": "nonsense"}).status_code == 404


def test_the_feed_is_created_rotated_and_served_without_a_session(rep: Any, customer: Any) -> None:
    client = _client(rep)
    services.activity_create(
        actor=rep,
        kind="meeting",
        subject="Visit",
        starts_at=dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC),
        party_id=customer.pk,
    )
    assert client.post(reverse("web:activity-feed-rotate")).status_code == 302
    own = selectors.feed_of_user(rep)
    assert own is not None
    token = own.token
    page = client.get(reverse("web:activity-list")).content.decode()
    assert f"/activities/feed/{token}.ics" in page
    response = Client().get(reverse("web:activity-feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == ["Meeting: Visit"]
    client.post(reverse("web:activity-feed-rotate"))
    assert Client().get(reverse("web:activity-feed", args=[token])).status_code == 404
    assert Client().get("/activities/feed/unknown.ics").status_code == 404


def test_my_activities_costs_the_same_for_many_rows(
    rep: Any, customer: Any, django_assert_max_num_queries: Any
) -> None:
    for number in range(30):
        services.activity_create(actor=rep, kind="task", subject=f"Task {number}", target=target_of(customer))
    client = _client(rep)
    client.get(reverse("web:activity-list"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("web:activity-list"))
    assert response.content.decode().count('class="state-open') == 25
