"""Every field of every Kantoor model is declared personal or not (ARCHITECTURE §5)."""

from __future__ import annotations

from kantoor.core import personal_data
from kantoor.core.models import AuditEntry, Company, User


def test_every_model_field_is_declared_personal_or_not():
    # A failure lists 'app.model.field': declare it in the app's ready() with personal_data.register().
    assert personal_data.undeclared_fields() == []


def test_personal_fields_are_looked_up_per_model():
    assert personal_data.personal_fields(User) == {"username", "first_name", "last_name", "email"}
    assert personal_data.personal_fields(AuditEntry) == {"changes", "object_repr"}
    assert personal_data.personal_fields(Company) == frozenset()


def test_an_undeclared_field_and_a_declaration_of_no_field_are_both_reported(monkeypatch):
    monkeypatch.setattr(personal_data, "_registry", dict(personal_data._registry))
    # when a model's declaration forgets fields and names one that does not exist
    personal_data.register(Company, personal={"name"}, not_personal={"id", "shoe_size"})
    # then both are reported
    assert [p for p in personal_data.undeclared_fields() if p.startswith("core.company.")] == [
        "core.company.base_currency",
        "core.company.city",
        "core.company.coc_number",
        "core.company.country",
        "core.company.created_at",
        "core.company.email",
        "core.company.fiscal_year_start_day",
        "core.company.fiscal_year_start_month",
        "core.company.language",
        "core.company.logo",
        "core.company.phone",
        "core.company.postal_code",
        "core.company.street",
        "core.company.time_zone",
        "core.company.vat_number",
        "core.company.version",
        "core.company.website",
        "core.company.shoe_size (no such field)",
    ]
