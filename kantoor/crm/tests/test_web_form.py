"""The public web form: a visitor's enquiry becomes a lead; bots and floods are refused with
nothing written (a filled-in honeypot, a form sent too quickly, a tampered or foreign token:
400; the sixth submission from one address in ten minutes: 429)."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import Client

from kantoor.core.tests.api_support import assert_problem
from kantoor.crm import services
from kantoor.crm.models import Lead, LeadSource
from kantoor.crm.tests.conftest import nothing_written

URL = "/api/v1/crm/web-form/{key}"


@pytest.fixture
def aged(monkeypatch):
    """Tokens handed out a minute ago (the visitor took their time filling in the form)."""
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - 60)
    )


def _form(token, **values):
    return {
        "token": token,
        "contact_name": "Eva Smit",
        "organisation_name": "Smit Catering",
        "email": "eva@smitcatering.nl",
        "message": "Please call me about your coffee machines.",
        "website": "",
        **values,
    }


def _token(client, web_form):
    response = client.get(URL.format(key=web_form.key))
    assert response.status_code == 200
    return response.json()["token"]


def test_a_visitor_leaves_a_lead(aged, web_form, rep, sales_team):
    client = Client()
    body = client.get(URL.format(key=web_form.key)).json()
    assert body["honeypot_field"] == "website"
    response = client.post(URL.format(key=web_form.key), _form(body["token"]), REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 202, response.content
    lead = Lead.objects.get()
    assert (lead.source, lead.channel, lead.source_detail) == (LeadSource.WEB_FORM, "website", "Contact page")
    assert (lead.owner_id, lead.team_id, lead.created_by_id) == (rep.pk, sales_team.pk, None)
    assert (lead.contact_name, lead.email) == ("Eva Smit", "eva@smitcatering.nl")
    assert lead.score > 0


def test_the_honeypot_refuses(aged, web_form):
    client = Client()
    token = _token(client, web_form)
    with nothing_written():
        response = client.post(URL.format(key=web_form.key), _form(token, website="http://spam.example"))
    assert_problem(response, 400, "crm-web-form-rejected")


def test_a_form_sent_too_quickly_is_refused(web_form):
    client = Client()
    token = _token(client, web_form)  # handed out just now
    with nothing_written():
        response = client.post(URL.format(key=web_form.key), _form(token))
    body = assert_problem(response, 400, "crm-web-form-rejected")
    assert "too quickly" in body["detail"]


@pytest.mark.parametrize("token", ["", "garbage", "1:abc:def"])
def test_a_missing_or_tampered_token_is_refused(aged, web_form, token):
    with nothing_written():
        response = Client().post(URL.format(key=web_form.key), _form(token))
    assert_problem(response, 400, "crm-web-form-rejected")


def test_a_token_of_another_form_is_refused(aged, web_form, manager):
    other = services.web_form_create(actor=manager, name="Newsletter")
    client = Client()
    token = _token(client, other)
    with nothing_written():
        response = client.post(URL.format(key=web_form.key), _form(token))
    assert_problem(response, 400, "crm-web-form-rejected")


def test_an_expired_token_is_refused(web_form, monkeypatch):
    old = int(time.time()) - services.TOKEN_MAX_AGE - 5
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(old))
    token = services.web_form_token(form_key=web_form.key)
    monkeypatch.undo()
    with nothing_written():
        response = Client().post(URL.format(key=web_form.key), _form(token))
    assert_problem(response, 400, "crm-web-form-rejected")


def test_bad_fields_are_named(aged, web_form):
    client = Client()
    token = _token(client, web_form)
    with nothing_written():
        response = client.post(URL.format(key=web_form.key), _form(token, contact_name="", email="nope"))
    body = assert_problem(response, 422, "crm-lead-invalid")
    assert {e["field"] for e in body["errors"]} == {"email"}


def test_unknown_and_inactive_forms_are_not_found(web_form, manager):
    assert_problem(Client().get(URL.format(key="no-such-form")), 404)
    services.web_form_update(actor=manager, web_form_id=web_form.pk, changes={"is_active": False})
    assert_problem(Client().get(URL.format(key=web_form.key)), 404)


def test_a_flood_from_one_address_gets_429(aged, web_form):
    client = Client()
    token = _token(client, web_form)
    for n in range(services.RATE_LIMIT):
        response = client.post(
            URL.format(key=web_form.key),
            _form(token, email=f"eva{n}@smitcatering.nl"),
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 202
    with nothing_written():
        response = client.post(URL.format(key=web_form.key), _form(token), REMOTE_ADDR="203.0.113.9")
    body = assert_problem(response, 429, "rate-limited")
    assert body["retry_after"] == services.RATE_WINDOW
    assert Lead.objects.count() == services.RATE_LIMIT
    # Another address is not held back by the flood.
    response = client.post(URL.format(key=web_form.key), _form(token), REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 202
