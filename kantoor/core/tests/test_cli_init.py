"""`kantoor init`: the company and its first administrator, from flags or prompts."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from kantoor.core.management.commands import init
from kantoor.core.models import AuditEntry, Company, RoleAssignment, User

FLAGS = [
    "--company-name",
    "Molen & Co B.V.",
    "--currency",
    "eur",
    "--country",
    "be",
    "--time-zone",
    "Europe/Brussels",
    "--fiscal-year-start",
    "07-01",
    "--language",
    "nl",
    "--admin-username",
    "anna",
    "--admin-email",
    "anna@molen.example",
    "--admin-first-name",
    "Anna",
    "--admin-last-name",
    "Molenaar",
    "--admin-password",
    "Zonnebloem-2026!",
]


def run_init(*args: str, **kwargs: Any) -> str:
    out = io.StringIO()
    call_command("init", *args, "--skip-migrate", stdout=out, **kwargs)
    return out.getvalue()


def test_init_with_flags_creates_the_company_and_its_administrator(db: Any) -> None:
    output = run_init(*FLAGS, "--no-input")

    company = Company.objects.get()
    assert (company.name, company.base_currency, company.country, company.time_zone) == (
        "Molen & Co B.V.",
        "EUR",
        "BE",
        "Europe/Brussels",
    )
    assert (company.fiscal_year_start_month, company.fiscal_year_start_day, company.language) == (7, 1, "nl")
    admin = User.objects.get()
    assert (admin.username, admin.email, admin.first_name, admin.last_name, admin.company_id) == (
        "anna",
        "anna@molen.example",
        "Anna",
        "Molenaar",
        company.pk,
    )
    assert admin.check_password("Zonnebloem-2026!")
    assert list(RoleAssignment.objects.filter(user=admin).values_list("role", "scope")) == [
        ("admin", "company")
    ]
    assert sorted(AuditEntry.objects.values_list("model", "action")) == [
        ("core.company", "catalog.units_install"),  # an app's init step (registry)
        ("core.company", "create"),
        ("core.user", "create"),
        ("finance.financesettings", "finance.chart_install"),  # an app's init step (registry)
        ("finance.fiscalyear", "finance.fiscal_year_create"),
    ]
    assert "Created the company “Molen & Co B.V.” and its administrator “anna”." in output


def test_init_takes_the_password_from_the_environment(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANTOOR_ADMIN_PASSWORD", "Kaasboer-1987!")
    flags = FLAGS[: FLAGS.index("--admin-password")]

    run_init(*flags, "--no-input")

    assert User.objects.get().check_password("Kaasboer-1987!")


def test_init_without_input_names_every_missing_flag_and_writes_nothing(db: Any) -> None:
    with pytest.raises(CommandError) as refused:
        run_init("--company-name", "Molen B.V.", "--no-input")

    assert str(refused.value) == (
        "Missing --admin-username, --admin-email, --admin-password. Pass them as flags, or run "
        "`kantoor init` in a terminal without --no-input to be asked."
    )
    assert Company.objects.count() == 0
    assert User.objects.count() == 0


def test_init_refuses_a_second_company_unless_forced(db: Any) -> None:
    run_init(*FLAGS, "--no-input")

    with pytest.raises(
        CommandError, match=re.escape("already has a company (“Molen & Co B.V.”); nothing was changed")
    ):
        run_init(*FLAGS, "--no-input")
    assert Company.objects.count() == 1

    second = [*FLAGS]
    second[second.index("anna")] = "bert"
    run_init(*second, "--no-input", "--force-new-company")
    assert Company.objects.count() == 2
    assert User.objects.get(username="bert").company_id != User.objects.get(username="anna").company_id


def test_init_refuses_a_weak_password_and_keeps_no_company(db: Any) -> None:
    flags = [*FLAGS]
    flags[flags.index("Zonnebloem-2026!")] = "1234"

    with pytest.raises(CommandError) as refused:
        run_init(*flags, "--no-input")

    assert str(refused.value).startswith("The password is too weak.\n  password: This password is too short.")
    assert Company.objects.count() == 0
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--fiscal-year-start", "02-30", "--fiscal-year-start must be MM-DD with a day from 1 to 28"),
        ("--time-zone", "Mars/Olympus", "--time-zone: unknown time zone “Mars/Olympus”"),
        ("--language", "fr", "--language: choose one of en, nl."),
    ],
)
def test_init_checks_the_answers_before_writing(db: Any, flag: str, value: str, message: str) -> None:
    flags = [*FLAGS]
    flags[flags.index(flag) + 1] = value

    with pytest.raises(CommandError, match=re.escape(message)):
        run_init(*flags, "--no-input")
    assert Company.objects.count() == 0


def test_init_asks_in_a_terminal_for_what_is_missing(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["Bloem B.V.", "", "", "", "", "", "bloem", "bloem@bloem.example", "Bea", ""])
    passwords = iter(["Tulpenbol-2026!", "Tulpenbol-2026!"])
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or next(answers))
    monkeypatch.setattr(init.getpass, "getpass", lambda prompt: next(passwords))

    run_init()

    company = Company.objects.get()
    assert (company.name, company.base_currency, company.country, company.time_zone) == (
        "Bloem B.V.",
        "EUR",
        "NL",
        "Europe/Amsterdam",
    )
    assert User.objects.get().check_password("Tulpenbol-2026!")
    assert prompts[:3] == [
        "Company name: ",
        "Base currency (ISO 4217) [EUR]: ",
        "Country (ISO 3166, two letters) [NL]: ",
    ]


def test_init_runs_the_migrations_first(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    real = init.call_command
    monkeypatch.setattr(init, "call_command", lambda name, **kw: called.append(name) or real(name, **kw))

    call_command("init", *FLAGS, "--no-input", stdout=io.StringIO())

    assert called == ["migrate"]
    assert Company.objects.count() == 1
