"""Leads from a CSV file: all rows or none, and every problem named by row and column."""

from __future__ import annotations

import pytest

from kantoor.crm import imports
from kantoor.crm.errors import LeadImportError
from kantoor.crm.models import Lead, LeadSource
from kantoor.crm.tests.conftest import nothing_written


def test_a_good_file_imports_every_row(rep, teammate, manager):
    content = (
        b"contact_name;organisation_name;email;source;channel;owner\n"
        b"Anna Bos;Bos Bouw;anna@bosbouw.nl;event;event;\n"
        b"Kees Mol;;kees@gmail.com;;;tom\n"
        b"\n"
    )
    result = imports.leads_import(actor=manager, content=content)
    assert result.created == 2
    anna, kees = Lead.objects.order_by("id")
    assert (anna.contact_name, anna.source, anna.channel, anna.owner_id) == (
        "Anna Bos",
        "event",
        "event",
        manager.pk,
    )
    assert (kees.source, kees.channel, kees.owner_id) == (LeadSource.IMPORT, "other", teammate.pk)


def test_a_bad_row_imports_nothing_and_names_row_and_column(manager):
    content = (
        b"contact_name,email,country,owner\n"
        b"Anna Bos,anna@bosbouw.nl,NL,\n"
        b"Kees Mol,not-an-address,NL,\n"
        b",,,\n"
        b"Lies,lies@example.nl,Holland,ghost\n"
    )
    with nothing_written(), pytest.raises(LeadImportError) as refused:
        imports.leads_import(actor=manager, content=content)
    problems = [(p["row"], p["column"]) for p in refused.value.extra["problems"]]
    assert problems == [(3, "email"), (5, "owner")]
    assert refused.value.message == "The file has 2 problems; nothing was imported."
    assert refused.value.field_errors["file"][0] == "row 3, column email: Enter a valid e-mail address."


def test_a_row_without_a_name_is_named(manager):
    content = b"contact_name,organisation_name,email\nAnna,,a@b.nl\n,,x@y.nl\n"
    with nothing_written(), pytest.raises(LeadImportError) as refused:
        imports.leads_import(actor=manager, content=content)
    assert [(p["row"], p["column"]) for p in refused.value.extra["problems"]] == [
        (3, "contact_name"),
        (3, "organisation_name"),
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"name,email\nA,a@b.nl\n", "Unknown column"),
        (b"contact_name\n", "no rows"),
        ("contact_name\nJos\u00e9\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_unreadable_files_are_refused(manager, content, fragment):
    with nothing_written(), pytest.raises(LeadImportError) as refused:
        imports.leads_import(actor=manager, content=content)
    assert fragment in " ".join(refused.value.field_errors["file"])


def test_a_rep_imports_only_leads_of_their_own(rep, teammate):
    content = b"contact_name,owner\nAnna,tom\n"
    with nothing_written(), pytest.raises(LeadImportError) as refused:
        imports.leads_import(actor=rep, content=content)
    assert [(p["row"], p["column"]) for p in refused.value.extra["problems"]] == [(2, "")]


def test_the_api_uploads_a_file(api_as, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api = api_as(manager)
    upload = SimpleUploadedFile(
        "leads.csv", b"contact_name,email\nAnna,anna@bosbouw.nl\n", content_type="text/csv"
    )
    response = api.client.post(
        "/api/v1/crm/leads/import", {"file": upload}, headers={"Authorization": f"Bearer {api.token}"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    bad = SimpleUploadedFile("leads.csv", b"contact_name,email\nAnna,nope\n", content_type="text/csv")
    with nothing_written():
        response = api.client.post(
            "/api/v1/crm/leads/import", {"file": bad}, headers={"Authorization": f"Bearer {api.token}"}
        )
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"row": 2, "column": "email", "message": "Enter a valid e-mail address."}
    ]
