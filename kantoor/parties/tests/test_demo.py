"""`kantoor demo`: a realistic, deterministic demo company that a second run leaves unchanged."""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from stdnum.eu import vat as eu_vat
from stdnum.nl import postcode as nl_postcode

from kantoor.core.demo import DEMO_COMPANY_NAME, DEMO_PASSWORD
from kantoor.core.models import AuditEntry, Company, OutboxEvent, Role, RoleAssignment, Team, User
from kantoor.parties.demo import PartyGenerator
from kantoor.parties.models import Address, ContactPoint, Party, PartyRole, Tag, TimelineEntry


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(capture: Any, *args: str) -> str:
    out = io.StringIO()
    with capture(execute=True):  # relay the events as after each real commit
        call_command("demo", "--skip-migrate", "--parties", "40", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Company,
            User,
            Team,
            RoleAssignment,
            Party,
            PartyRole,
            ContactPoint,
            Address,
            Tag,
            TimelineEntry,
            AuditEntry,
            OutboxEvent,
        )
    } | {
        "party tags": Party.tags.through.objects.count(),
        "team members": Team.members.through.objects.count(),
    }


def test_demo_twice_leaves_the_same_data(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    first_output = run_demo(django_capture_on_commit_callbacks)
    after_first = counts()
    names_first = sorted(Party.objects.values_list("name", "vat_number", "is_archived"))

    second_output = run_demo(django_capture_on_commit_callbacks)

    assert counts() == after_first
    assert sorted(Party.objects.values_list("name", "vat_number", "is_archived")) == names_first
    assert after_first["Company"] == 1
    # 40, the duplicate that was merged and two customers won from converted leads (crm)
    assert after_first["Party"] == 43
    # created, 2 archived, 1 merged (the finance demo's invoices add entries of their own)
    assert TimelineEntry.objects.filter(kind__startswith="party.").count() == 43 + 2 + 1
    assert OutboxEvent.objects.filter(processed_at__isnull=True).count() == 0
    assert "Loaded the demo company “Tulp & Zonen B.V.”." in first_output
    assert "was loaded before; whatever was missing has been added." in second_output


def test_demo_has_a_user_for_every_role_with_the_demo_password(
    db: Any, django_capture_on_commit_callbacks: Any
) -> None:
    output = run_demo(django_capture_on_commit_callbacks)

    company = Company.objects.get()
    assert (company.name, company.base_currency, company.country, company.time_zone) == (
        DEMO_COMPANY_NAME,
        "EUR",
        "NL",
        "Europe/Amsterdam",
    )
    users = {u.username: u for u in User.objects.filter(company=company, is_system=False)}
    assert set(users) == set(Role.values)
    for username, user in users.items():
        assert user.check_password(DEMO_PASSWORD), username
        assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [username]
    assert RoleAssignment.objects.get(user=users["sales"]).scope == "team"
    assert list(users["sales"].teams.values_list("name", flat=True)) == ["Sales North"]
    assert set(Team.objects.values_list("name", flat=True)) >= {
        "Sales North",
        "Sales South",
        "Customer Service",
        "Finance",
    }
    assert "http://127.0.0.1:8000" in output
    assert "Demo logins (password for all: kantoor-demo)" in output
    for username in Role.values:
        assert re.search(rf"│ {username} +│", output), username


def test_demo_parties_are_realistic_and_valid(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    run_demo(django_capture_on_commit_callbacks)

    live = Party.objects.filter(merged_into__isnull=True)
    organisations = live.filter(kind="organisation")
    assert organisations.count() >= 15
    for vat in Party.objects.exclude(vat_number="").values_list("vat_number", flat=True):
        assert eu_vat.validate(vat) == vat
    for coc in Party.objects.exclude(coc_number="").values_list("coc_number", flat=True):
        assert re.fullmatch(r"\d{8}", coc)
    for code in Address.objects.filter(country="NL").values_list("postal_code", flat=True):
        assert nl_postcode.validate(code) == code
    contacts = live.filter(kind="person", organisation__isnull=False)
    assert contacts.exists()
    assert all(kind == "organisation" for kind in contacts.values_list("organisation__kind", flat=True))
    assert not PartyRole.objects.filter(party__in=contacts).exclude(role="contact").exists()
    assert ContactPoint.objects.filter(kind="email").count() >= 40
    assert all(
        v.endswith(".example")
        for v in ContactPoint.objects.filter(kind="email").values_list("value", flat=True)
    )
    assert live.filter(is_archived=True).count() == 2
    merged = Party.objects.get(merged_into__isnull=False)
    assert merged.is_archived
    assert merged.merged_into is not None
    assert merged.merged_into.name.startswith(merged.name)
    assert set(PartyRole.objects.values_list("role", flat=True)) >= {
        "customer",
        "prospect",
        "supplier",
        "contact",
    }


def test_demo_refuses_a_database_whose_admin_belongs_to_another_company(admin_user: Any) -> None:
    with pytest.raises(CommandError, match="The user names admin belong to another company"):
        call_command("demo", "--skip-migrate", "--parties", "5", stdout=io.StringIO())
    assert Company.objects.filter(name=DEMO_COMPANY_NAME).count() == 0


def test_party_generator_is_deterministic_and_unique() -> None:
    def specs(seed: int) -> list[tuple[str, str, str]]:
        return [
            (s.name, s.fields.get("vat_number", ""), s.fields["contact_points"][0]["value"])
            for s in PartyGenerator(random.Random(seed)).parties(3000)
        ]

    first = specs(7)
    assert first == specs(7)
    assert first != specs(8)
    names = [name for name, _vat, _email in first]
    assert len(set(names)) == len(names) == 3000
    vats = [vat for _name, vat, _email in first if vat]
    assert len(set(vats)) == len(vats)
    assert all(eu_vat.is_valid(vat) for vat in vats)
    assert {vat[:2] for vat in vats} == {"NL", "BE", "DE", "FR"}
    emails = [email for _name, _vat, email in first]
    assert len(set(emails)) == len(emails)


def test_kantoor_demo_end_to_end_twice(tmp_path: Path) -> None:
    """The command as `make demo` runs it: its own migrations, commits and in-process relay."""
    database = tmp_path / "demo.sqlite3"
    env = {**os.environ, "KANTOOR_DATABASE_URL": f"sqlite:///{database}", "KANTOOR_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "kantoor", "demo", "--parties", "12"]

    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    with contextlib.closing(sqlite3.connect(database)) as db:
        tables = (
            "parties_party",
            "parties_timelineentry",
            "core_auditentry",
            "core_outboxevent",
            "core_user",
        )
        before = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    with contextlib.closing(sqlite3.connect(database)) as db:
        after = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608
        pending = db.execute("SELECT count(*) FROM core_outboxevent WHERE processed_at IS NULL").fetchone()[0]
        # The finance demo's invoices add timeline entries of their own.
        party_entries = db.execute(
            "SELECT count(*) FROM parties_timelineentry WHERE kind LIKE 'party.%'"
        ).fetchone()[0]

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "Applying database migrations…" in first.stdout
    assert "Loaded the demo company “Tulp & Zonen B.V.”." in first.stdout
    assert "was loaded before; whatever was missing has been added." in second.stdout
    assert after == before
    assert before["parties_party"] == 15  # 12 asked for, a merged duplicate, two from converted leads
    assert before["core_user"] == 12  # one per role and the company's system actor
    assert party_entries == before["parties_party"] + 1  # and the merge
    assert pending == 0
