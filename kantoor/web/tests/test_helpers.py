"""The shell's helpers: DomainError onto forms, keyset pages, audit rows for people."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from kantoor.core.errors import DomainError
from kantoor.parties.models import Party
from kantoor.web.forms import ContactPointForm, form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.templatetags.kantoor_web import audit_changes


class NameForm(forms.Form):
    name = forms.CharField()
    version = forms.IntegerField(widget=forms.HiddenInput)


def test_domain_error_lands_on_fields_rows_and_the_top() -> None:
    form = NameForm({"name": "x", "version": "1"})
    rows = [ContactPointForm({"kind": "email", "value": "a"}) for _ in range(2)]
    for row in [form, *rows]:
        row.is_valid()
    error = DomainError(
        "Please correct the marked fields.",
        field_errors={
            "name": ["Too short."],
            "contact_points.1.value": ["Not an e-mail."],
            "version": ["Stale."],
            "contact_points.9.value": ["Row gone."],
            "unknown": ["Odd."],
        },
    )
    form_add_domain_error(form, error, {"contact_points": rows})
    assert form.errors["name"] == ["Too short."]
    assert rows[0].errors == {}
    assert rows[1].errors["value"] == ["Not an e-mail."]
    # hidden, unknown and out-of-range fields, and the message, go to the top
    assert form.non_field_errors() == ["Stale.", "Row gone.", "Odd.", "Please correct the marked fields."]


@pytest.mark.django_db
def test_keyset_pages_walk_forward_and_back(salesperson: Any, make_party: Any) -> None:
    for name in ["a", "b", "b", "c", "d"]:
        make_party(
            salesperson,
            f"{name} corp",
            confirmed_duplicate_ids=list(Party.objects.values_list("pk", flat=True)),
        )
    qs = Party.objects.all()
    ordering = Ordering("normalized_name")
    pages, page = [], keyset_page(qs, ordering, size=2)
    while True:
        pages.append([p.pk for p in page.rows])
        if not page.next_cursor:
            break
        page = keyset_page(qs, ordering, after=page.next_cursor, size=2)
    expected = list(qs.order_by("normalized_name", "id").values_list("pk", flat=True))
    assert [pk for chunk in pages for pk in chunk] == expected
    assert [len(chunk) for chunk in pages] == [2, 2, 1]
    back = keyset_page(qs, ordering, before=page.previous_cursor, size=2)
    assert [p.pk for p in back.rows] == pages[1]
    assert back.next_cursor
    assert back.previous_cursor


@pytest.mark.django_db
def test_audit_changes_are_readable(salesperson: Any, make_party: Any) -> None:
    from kantoor.core.models import AuditEntry

    party = make_party(
        salesperson,
        "Jansen",
        vat_number="NL853746333B01",
        contact_points=[{"kind": "email", "value": "a@b.example", "is_primary": True}],
    )
    entry = AuditEntry.objects.get(model="parties.party", action="create")
    rows = {label: (before, after) for label, before, after in audit_changes(entry, party)}
    assert rows["VAT number"] == ("—", "NL853746333B01")
    assert rows["Contact details"] == ("—", "email a@b.example")
