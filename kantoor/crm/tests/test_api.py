"""The crm API: each endpoint calls one service or selector; errors are problems; a refused
call writes nothing."""

from __future__ import annotations

import pytest

from kantoor.core.tests.api_support import assert_problem
from kantoor.crm.models import Lead, Opportunity
from kantoor.crm.tests.conftest import nothing_written
from kantoor.parties.models import Party
from kantoor.parties.services import party_create


def test_lead_to_won_opportunity_through_the_api(api_as, rep, stages):
    api = api_as(rep)
    response = api.post("/crm/leads", {"contact_name": "Anna Bos", "organisation_name": "Bos Bouw"}, key="k1")
    assert response.status_code == 201, response.content
    lead = response.json()
    assert (lead["source"], lead["owner_id"], lead["version"]) == ("api", rep.pk, 1)
    # A replay with the same key returns the first answer and creates nothing.
    assert (
        api.post("/crm/leads", {"contact_name": "Anna Bos", "organisation_name": "Bos Bouw"}, key="k1").json()
        == lead
    )
    assert Lead.objects.count() == 1

    assert api.patch(f"/crm/leads/{lead['id']}", {"version": 1, "phone": "0201234567"}).json()["version"] == 2
    assert_problem(api.patch(f"/crm/leads/{lead['id']}", {"version": 1, "phone": "1"}), 409, "stale-version")
    assert api.post(f"/crm/leads/{lead['id']}/qualify", {"version": 2}).json()["state"] == "qualified"
    converted = api.post(f"/crm/leads/{lead['id']}/convert", {"expected_revenue": "5000"}).json()
    assert converted["state"] == "converted"
    deal_id = converted["opportunity_id"]

    deal = api.get(f"/crm/opportunities/{deal_id}").json()
    assert (deal["party_name"], deal["stage_name"], deal["expected_revenue"], deal["probability"]) == (
        "Bos Bouw",
        "New",
        "5000.00",
        "10",
    )
    moved = api.post(
        f"/crm/opportunities/{deal_id}/move",
        {"stage_id": stages["Negotiation"].pk, "version": deal["version"]},
    ).json()
    assert (moved["stage_name"], moved["probability"]) == ("Negotiation", "80")
    board = api.get("/crm/board").json()
    assert [c["count"] for c in board["columns"]] == [0, 0, 0, 1]
    assert board["weighted"] == "4000.00"
    assert api.post(f"/crm/opportunities/{deal_id}/win", {}).json()["state"] == "won"
    assert api.get("/crm/totals").json()[0]["won_amount"] == "5000.00"
    assert api.get("/crm/leads", {"state": "converted"}).json()["items"][0]["id"] == lead["id"]


def test_convert_answers_409_with_the_look_alike_parties(api_as, rep, stages):
    existing = party_create(actor=rep, kind="organisation", name="Bos Bouw")
    api = api_as(rep)
    lead = api.post("/crm/leads", {"contact_name": "Anna", "organisation_name": "Bos Bouw"}).json()
    assert api.get(f"/crm/leads/{lead['id']}/party-candidates").json() == [
        {"id": existing.pk, "name": "Bos Bouw", "reason": "name"}
    ]
    with nothing_written():
        body = assert_problem(api.post(f"/crm/leads/{lead['id']}/convert", {}), 409, "duplicate-party")
    assert body["duplicates"] == [{"id": existing.pk, "name": "Bos Bouw", "reason": "name"}]
    linked = api.post(f"/crm/leads/{lead['id']}/convert", {"party_id": existing.pk}).json()
    assert linked["party_id"] == existing.pk
    assert Party.objects.count() == 1


def test_lose_needs_a_reason_and_the_manager_configures(api_as, rep, manager, stages):
    boss = api_as(manager)
    reason = boss.post("/crm/lost-reasons", {"name": "Timing"})
    assert reason.status_code == 201
    stage = boss.post("/crm/stages", {"name": "Demo", "probability": "45"}).json()
    assert (stage["sequence"], stage["probability"]) == (50, "45")
    assert_problem(api_as(rep).post("/crm/stages", {"name": "X", "probability": "1"}), 403)
    party = party_create(actor=rep, kind="organisation", name="Bos Bouw")
    api = api_as(rep)
    deal = api.post(
        "/crm/opportunities", {"name": "Deal", "party_id": party.pk, "expected_revenue": "10"}
    ).json()
    with nothing_written():
        assert_problem(api.post(f"/crm/opportunities/{deal['id']}/lose", {}), 422)
    lost = api.post(f"/crm/opportunities/{deal['id']}/lose", {"lost_reason_id": reason.json()["id"]}).json()
    assert (lost["state"], lost["lost_reason_id"]) == ("lost", reason.json()["id"])
    forecast = api.get("/crm/forecast").json()
    assert forecast == {"by_month": [], "by_owner": []}


@pytest.mark.parametrize("who", ["stranger_rep", "outsider"])
def test_records_out_of_scope_are_not_found(api_as, request, rep, stages, who):
    lead = Lead.objects.get(pk=api_as(rep).post("/crm/leads", {"contact_name": "Anna"}).json()["id"])
    api = api_as(request.getfixturevalue(who))
    assert_problem(api.get(f"/crm/leads/{lead.pk}"), 404)
    with nothing_written():
        assert_problem(api.post(f"/crm/leads/{lead.pk}/qualify", {}), 404)
    assert api.get("/crm/leads").json()["items"] == []
    assert Opportunity.objects.count() == 0


def test_anonymous_callers_are_refused_except_on_the_public_form(anonymous_api):
    assert anonymous_api.get("/crm/leads").status_code == 401
    assert anonymous_api.post("/crm/leads", {"contact_name": "X"}).status_code == 401


def test_a_quotation_without_sales_set_up_is_a_clear_refusal(api_as, rep, stages):
    party = party_create(actor=rep, kind="organisation", name="Bos Bouw")
    api = api_as(rep)
    deal = api.post("/crm/opportunities", {"name": "Deal", "party_id": party.pk}).json()
    with nothing_written():
        response = api.post(f"/crm/opportunities/{deal['id']}/quotation")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")


def test_lists_keep_to_a_query_budget(api_as, rep, stages, django_assert_max_num_queries):
    party = party_create(actor=rep, kind="organisation", name="Bos Bouw")
    api = api_as(rep)
    for n in range(5):
        api.post("/crm/leads", {"contact_name": f"Lead {n}"})
        api.post("/crm/opportunities", {"name": f"Deal {n}", "party_id": party.pk})
    for path in ("/crm/leads", "/crm/opportunities", "/crm/board", "/crm/forecast", "/crm/totals"):
        with django_assert_max_num_queries(12):
            assert api.get(path).status_code == 200
