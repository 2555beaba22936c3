"""Creating, editing, archiving and merging parties through the pages: permissions,
inline errors, the duplicate warning and stale edits."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.parties.models import ContactPoint, Party
from kantoor.web.tests.conftest import party_form_data

pytestmark = pytest.mark.django_db


def _login_url(url: str) -> str:
    return f"{reverse('web:login')}?next={url}"


# ---- create -----------------------------------------------------------------------------


def test_party_create_page_offers_the_form(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    response = client.get(reverse("web:party-create"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="name"' in body
    assert 'name="contact_points-TOTAL_FORMS"' in body
    assert 'name="addresses-TOTAL_FORMS"' in body


def test_party_create_makes_the_party_with_rows(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    data = party_form_data(
        name="Bakkerij De Vries B.V.",
        vat_number="NL853746333B01",
        country="NL",
        roles=["customer", "prospect"],
        tags="bakery, utrecht",
        owner=str(salesperson.pk),
        contact_points=[
            {"kind": "email", "value": "Info@DeVries.example", "label": "office", "is_primary": "on"}
        ],
        addresses=[
            {
                "kind": "visit",
                "street": "Dorpsstraat 1",
                "postal_code": "3511ab",
                "city": "Utrecht",
                "country": "NL",
            }
        ],
    )
    response = client.post(reverse("web:party-create"), data)
    party = Party.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:party-detail", args=[party.pk])
    assert party.name == "Bakkerij De Vries B.V."
    assert party.vat_number == "NL853746333B01"
    assert party.owner_id == salesperson.pk
    assert sorted(party.roles.values_list("role", flat=True)) == ["customer", "prospect"]
    assert sorted(party.tags.values_list("name", flat=True)) == ["bakery", "utrecht"]
    assert list(party.contact_points.values_list("kind", "value", "label", "is_primary")) == [
        ("email", "Info@DeVries.example", "office", True)
    ]
    assert list(party.addresses.values_list("street", "postal_code", "city", "country")) == [
        ("Dorpsstraat 1", "3511 AB", "Utrecht", "NL")
    ]


def test_party_create_skips_blank_rows(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    data = party_form_data(
        name="Jansen",
        contact_points=[{"kind": "email", "value": ""}],
        addresses=[{"kind": "visit", "street": "", "city": "", "country": "NL"}],
    )
    response = client.post(reverse("web:party-create"), data)
    assert response.status_code == 302
    party = Party.objects.get()
    assert party.contact_points.count() == 0
    assert party.addresses.count() == 0


def test_party_create_shows_service_errors_inline(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    data = party_form_data(
        name="Jansen",
        vat_number="NL000000000B00",
        contact_points=[{"kind": "email", "value": "a@b.example"}, {"kind": "phone", "value": "call me"}],
        addresses=[
            {
                "kind": "visit",
                "street": "Dorpsstraat 1",
                "postal_code": "12",
                "city": "Utrecht",
                "country": "NL",
            }
        ],
    )
    response = client.post(reverse("web:party-create"), data)
    assert response.status_code == 422
    editor = response.context["editor"]
    assert editor.form.errors["vat_number"] == ["“NL000000000B00” is not a valid VAT number."]
    assert editor.form.non_field_errors() == ["Please correct the marked fields."]
    # the second contact row sent carries the phone error, the first none
    assert editor.contact_points.forms[0].errors == {}
    assert editor.contact_points.forms[1].errors["value"] == ["“call me” is not a valid phone number."]
    assert editor.addresses.forms[0].errors["postal_code"] == ["“12” is not a valid Dutch postal code."]
    assert "“call me” is not a valid phone number." in response.content.decode()
    assert Party.objects.count() == 0


def test_party_create_refuses_a_bad_shape_without_calling_the_service(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    events_before = OutboxEvent.objects.count()
    response = client.post(reverse("web:party-create"), party_form_data(name="", kind="robot"))
    assert response.status_code == 422
    assert set(response.context["editor"].form.errors) == {"name", "kind"}
    assert Party.objects.count() == 0
    assert OutboxEvent.objects.count() == events_before


def test_duplicate_warning_lists_candidates_until_confirmed(
    client: Any, salesperson: Any, make_party: Any
) -> None:
    existing = make_party(salesperson, "Bakkerij De Vries B.V.")
    client.force_login(salesperson)
    data = party_form_data(name="bakkerij de vries")
    # when the same name is entered, nothing is created and the candidate is linked
    response = client.post(reverse("web:party-create"), data)
    assert response.status_code == 409
    body = response.content.decode()
    assert response.context["duplicates"] == [
        {"id": existing.pk, "name": "Bakkerij De Vries B.V.", "reason": "name"}
    ]
    assert f'href="{reverse("web:party-detail", args=[existing.pk])}"' in body
    assert f'name="confirmed_duplicate_ids" value="{existing.pk}"' in body
    assert "These are different parties — create anyway" in body
    assert Party.objects.count() == 1
    # resending the ids without ticking the box still refuses
    response = client.post(reverse("web:party-create"), {**data, "confirmed_duplicate_ids": [existing.pk]})
    assert response.status_code == 409
    assert Party.objects.count() == 1
    # ticking it creates the second party
    response = client.post(
        reverse("web:party-create"),
        {**data, "confirmed_duplicate_ids": [existing.pk], "confirm_duplicates": "1"},
    )
    assert response.status_code == 302
    assert Party.objects.count() == 2


def test_party_create_permissions(client: Any, salesperson: Any, nobody: Any) -> None:
    url = reverse("web:party-create")
    data = party_form_data(name="Jansen")
    # anonymous: to the login page
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == _login_url(url)
    # no role: 403, for the form and the post
    client.force_login(nobody)
    assert client.get(url).status_code == 403
    response = client.post(url, data)
    assert response.status_code == 403
    assert "You are not allowed to do this" in response.content.decode()
    assert Party.objects.count() == 0
    # allowed
    client.force_login(salesperson)
    assert client.post(url, data).status_code == 302
    assert Party.objects.count() == 1


# ---- edit -------------------------------------------------------------------------------


def test_party_edit_changes_only_what_changed(client: Any, salesperson: Any, make_party: Any) -> None:
    party = make_party(salesperson, "Jansen", contact_points=[{"kind": "email", "value": "jan@example.test"}])
    client.force_login(salesperson)
    page = client.get(reverse("web:party-edit", args=[party.pk]))
    assert page.status_code == 200
    assert f'name="version" value="{party.version}"' in page.content.decode()
    assert 'value="jan@example.test"' in page.content.decode()
    response = client.post(
        reverse("web:party-edit", args=[party.pk]),
        party_form_data(
            name="Jansen",
            job_title="",
            notes="Pays on time",
            version=str(party.version),
            owner=str(salesperson.pk),
        ),
    )
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.notes == "Pays on time"
    assert party.version == 2
    # the contact points were not part of the form's changes and stay
    assert list(ContactPoint.objects.filter(party=party).values_list("value", flat=True)) == [
        "jan@example.test"
    ]
    assert AuditEntry.objects.filter(
        model="parties.party", object_id=str(party.pk), action="update"
    ).get().changes == {"notes": ["", "Pays on time"]}


def test_party_edit_refuses_a_stale_version(client: Any, salesperson: Any, make_party: Any) -> None:
    party = make_party(salesperson, "Jansen")
    client.force_login(salesperson)
    # someone else saves first
    from kantoor.parties.services import party_update

    party_update(actor=salesperson, party_id=party.pk, version=1, changes={"notes": "theirs"})
    response = client.post(
        reverse("web:party-edit", args=[party.pk]),
        party_form_data(name="Jansen", notes="mine", version="1", owner=str(salesperson.pk)),
    )
    assert response.status_code == 409
    assert "Someone else changed this party while you were editing it." in response.content.decode()
    party.refresh_from_db()
    assert party.notes == "theirs"
    assert party.version == 2


def test_party_edit_permissions(
    client: Any, salesperson: Any, nobody: Any, outsider: Any, make_party: Any, make_user: Any
) -> None:
    party = make_party(salesperson, "Jansen")
    url = reverse("web:party-edit", args=[party.pk])
    data = party_form_data(name="Changed", version="1", owner=str(salesperson.pk))
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == _login_url(url)
    client.force_login(nobody)
    assert client.post(url, data).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    # a salesperson limited to her own parties may not see a colleague's
    client.force_login(make_user("sales", scope="own"))
    assert client.post(url, data).status_code == 404
    party.refresh_from_db()
    assert party.name == "Jansen"
    assert party.version == 1
    client.force_login(salesperson)
    assert client.post(url, data).status_code == 302
    party.refresh_from_db()
    assert party.name == "Changed"


def test_party_edit_of_a_merged_party_is_refused(client: Any, salesperson: Any, make_party: Any) -> None:
    from kantoor.parties.services import party_merge

    source = make_party(salesperson, "Jansen")
    target = make_party(salesperson, "Jansen Transport")
    party_merge(actor=salesperson, source_id=source.pk, target_id=target.pk)
    client.force_login(salesperson)
    assert client.get(reverse("web:party-edit", args=[source.pk])).status_code == 403


# ---- archive ----------------------------------------------------------------------------


def test_party_archive_and_restore(client: Any, salesperson: Any, make_party: Any) -> None:
    party = make_party(salesperson, "Jansen")
    client.force_login(salesperson)
    url = reverse("web:party-archive", args=[party.pk])
    response = client.post(url, {"version": "1", "is_archived": "1"})
    assert response.status_code == 302
    party.refresh_from_db()
    assert (party.is_archived, party.version) == (True, 2)
    detail = client.get(reverse("web:party-detail", args=[party.pk])).content.decode()
    assert "Jansen was archived." in detail
    assert ">Restore</button>" in detail
    client.post(url, {"version": "2", "is_archived": "0"})
    party.refresh_from_db()
    assert (party.is_archived, party.version) == (False, 3)


def test_party_archive_with_a_stale_version_changes_nothing(
    client: Any, salesperson: Any, make_party: Any
) -> None:
    party = make_party(salesperson, "Jansen")
    client.force_login(salesperson)
    response = client.post(
        reverse("web:party-archive", args=[party.pk]), {"version": "7", "is_archived": "1"}, follow=True
    )
    assert "Someone else changed this party in the meantime" in response.content.decode()
    party.refresh_from_db()
    assert (party.is_archived, party.version) == (False, 1)


def test_party_archive_permissions(
    client: Any, salesperson: Any, nobody: Any, outsider: Any, make_party: Any
) -> None:
    party = make_party(salesperson, "Jansen")
    url = reverse("web:party-archive", args=[party.pk])
    data = {"version": "1", "is_archived": "1"}
    response = client.post(url, data)
    assert response["Location"] == _login_url(url)
    client.force_login(nobody)
    assert client.post(url, data).status_code == 403
    client.force_login(outsider)
    assert client.post(url, data).status_code == 404
    client.force_login(salesperson)
    assert client.get(url).status_code == 405
    party.refresh_from_db()
    assert party.is_archived is False
    assert client.post(url, data).status_code == 302
    party.refresh_from_db()
    assert party.is_archived is True


# ---- merge ------------------------------------------------------------------------------


def test_party_merge_compares_and_keeps_the_chosen_party(
    client: Any, salesperson: Any, make_party: Any
) -> None:
    first = make_party(salesperson, "Jansen Transport", roles=["customer"])
    second = make_party(
        salesperson, "Jansen Transport Utrecht", roles=["supplier"], vat_number="NL853746333B01"
    )
    client.force_login(salesperson)
    url = reverse("web:party-merge", args=[first.pk])
    picker = client.get(reverse("web:party-picker"), {"q": "jansen", "field": "other", "exclude": first.pk})
    assert picker.status_code == 200
    assert f'name="other" value="{second.pk}"' in picker.content.decode()
    assert f'value="{first.pk}"' not in picker.content.decode()
    compare = client.get(url, {"other": second.pk})
    assert compare.status_code == 200
    assert ("VAT number", "", "NL853746333B01") in [
        (str(a), b, c) for a, b, c in compare.context["comparison"]
    ]
    # keep the second one this time
    response = client.post(url, {"other": second.pk, "keep": second.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:party-detail", args=[second.pk])
    first.refresh_from_db()
    assert first.merged_into_id == second.pk
    assert sorted(second.roles.values_list("role", flat=True)) == ["customer", "supplier"]


def test_party_merge_of_different_kinds_is_shown_not_done(
    client: Any, salesperson: Any, make_party: Any
) -> None:
    organisation = make_party(salesperson, "Jansen Transport")
    person = make_party(salesperson, "Jan Jansen", kind="person")
    client.force_login(salesperson)
    response = client.post(reverse("web:party-merge", args=[organisation.pk]), {"other": person.pk})
    assert response.status_code == 422
    assert "An organisation cannot be merged with a person." in response.content.decode()
    person.refresh_from_db()
    assert person.merged_into_id is None


def test_party_merge_permissions(
    client: Any, salesperson: Any, nobody: Any, outsider: Any, make_party: Any, make_user: Any
) -> None:
    first = make_party(salesperson, "Jansen Transport")
    second = make_party(salesperson, "Jansen Utrecht")
    url = reverse("web:party-merge", args=[first.pk])
    data = {"other": second.pk, "keep": first.pk}
    response = client.post(url, data)
    assert response["Location"] == _login_url(url)
    client.force_login(nobody)
    assert client.post(url, data).status_code == 403
    # marketing may change parties but not merge them
    client.force_login(make_user("marketing"))
    assert client.post(url, data).status_code == 403
    client.force_login(outsider)
    assert client.post(url, data).status_code == 404
    assert Party.objects.filter(merged_into__isnull=False).count() == 0
    client.force_login(salesperson)
    assert client.post(url, data).status_code == 302
    second.refresh_from_db()
    assert second.merged_into_id == first.pk


def test_person_gets_an_organisation_through_the_picker(
    client: Any, salesperson: Any, make_party: Any
) -> None:
    organisation = make_party(salesperson, "Jansen Transport")
    make_party(salesperson, "Jansen Janssen", kind="person")
    client.force_login(salesperson)
    # the picker offers organisations only, as radio buttons named after the field
    picker = client.get(
        reverse("web:party-picker"), {"q": "jans", "field": "organisation", "kind": "organisation"}
    )
    assert picker.content.decode().count('type="radio"') == 1
    assert f'name="organisation" value="{organisation.pk}"> Jansen Transport' in picker.content.decode()
    # the form for a new contact person starts with the organisation chosen
    page = client.get(reverse("web:party-create"), {"kind": "person", "organisation": organisation.pk})
    assert f'name="organisation" value="{organisation.pk}" checked' in page.content.decode()
    response = client.post(
        reverse("web:party-create"),
        party_form_data(
            kind="person", name="Jan Jansen", organisation=str(organisation.pk), job_title="Planner"
        ),
    )
    assert response.status_code == 302
    person = Party.objects.get(name="Jan Jansen")
    assert (person.organisation_id, person.job_title) == (organisation.pk, "Planner")
    # an organisation cannot have one: the service's error shows at the picker
    refused = client.post(
        reverse("web:party-create"),
        party_form_data(kind="organisation", name="Other B.V.", organisation=str(organisation.pk)),
    )
    assert refused.status_code == 422
    assert refused.context["editor"].form.errors["organisation"] == [
        "Only a person can be the contact of an organisation."
    ]
    assert not Party.objects.filter(name="Other B.V.").exists()
