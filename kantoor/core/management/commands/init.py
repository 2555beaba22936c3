"""`kantoor init`: migrate the database, then create the company and its first
administrator — from flags, or by asking in a terminal for whatever flags are missing."""

from __future__ import annotations

import getpass
import os
import sys
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core import registry
from kantoor.core.errors import DomainError
from kantoor.core.models import Company, Role, Scope
from kantoor.core.services import company_create, user_create

PASSWORD_ENV = "KANTOOR_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a password


@dataclass(frozen=True)
class Field:
    """One answer `init` needs: its flag, its prompt and its default (None: required)."""

    option: str
    prompt: Any
    default: str | None = None
    secret: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.option.replace("_", "-")


FIELDS = [
    Field("company_name", gettext_lazy("Company name")),
    Field("currency", gettext_lazy("Base currency (ISO 4217)"), "EUR"),
    Field("country", gettext_lazy("Country (ISO 3166, two letters)"), "NL"),
    Field("time_zone", gettext_lazy("Time zone"), "Europe/Amsterdam"),
    Field("fiscal_year_start", gettext_lazy("First day of the fiscal year (MM-DD)"), "01-01"),
    Field("language", gettext_lazy("Language (en or nl)"), "en"),
    Field("admin_username", gettext_lazy("Administrator's username")),
    Field("admin_email", gettext_lazy("Administrator's e-mail address")),
    Field("admin_first_name", gettext_lazy("Administrator's first name"), ""),
    Field("admin_last_name", gettext_lazy("Administrator's last name"), ""),
    Field("admin_password", gettext_lazy("Administrator's password"), secret=True),
]


class Command(BaseCommand):
    help = _(
        "Migrate the database and create the company and its first administrator. Missing flags are "
        "asked for in a terminal; with --no-input they are an error. The password may also come from "
        "the KANTOOR_ADMIN_PASSWORD environment variable (not visible in the process list)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        for field in FIELDS:
            default = "" if field.default is None else _(" (default %s)") % (field.default or "empty")
            parser.add_argument(field.flag, dest=field.option, help=f"{field.prompt}{default}")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help=_("Never prompt: fail when a required flag is missing."),
        )
        parser.add_argument(
            "--force-new-company",
            action="store_true",
            help=_("Create another company even though one exists already."),
        )
        parser.add_argument("--skip-migrate", action="store_true", help=_("Do not run the migrations first."))
        for step in _init_steps():
            step.arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["admin_password"] is None and os.environ.get(PASSWORD_ENV):
            options["admin_password"] = os.environ[PASSWORD_ENV]
        if not options["skip_migrate"]:
            self.stdout.write(_("Applying database migrations…"))
            call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        existing = Company.objects.order_by("pk").first()
        if existing is not None and not options["force_new_company"]:
            raise CommandError(
                _(
                    "This database already has a company (“%(name)s”); nothing was changed. Sign in as its "
                    "administrator, or pass --force-new-company to create another one."
                )
                % {"name": existing.name}
            )
        answers = self._answers(options)
        month, day = _fiscal_start(answers["fiscal_year_start"])
        try:
            with transaction.atomic():  # the company and its administrator, or neither
                company = company_create(
                    name=answers["company_name"],
                    base_currency=answers["currency"].upper(),
                    country=answers["country"].upper(),
                    time_zone=answers["time_zone"],
                    fiscal_year_start_month=month,
                    fiscal_year_start_day=day,
                    language=answers["language"],
                )
                admin = user_create(
                    actor=None,
                    company_id=company.pk,
                    username=answers["admin_username"],
                    password=answers["admin_password"],
                    email=answers["admin_email"],
                    first_name=answers["admin_first_name"],
                    last_name=answers["admin_last_name"],
                    language=answers["language"],
                    roles={Role.ADMIN: Scope.COMPANY},
                )
                done = [step.run(company, admin, options) for step in _init_steps()]
        except DomainError as exc:
            raise CommandError(_describe(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Created the company “%(company)s” and its administrator “%(user)s”.")
                % {"company": company.name, "user": admin.username}
            )
        )
        for line in done:
            if line:
                self.stdout.write(line)
        self.stdout.write(_("Start Kantoor with `kantoor serve` and sign in at http://127.0.0.1:8000."))

    def _answers(self, options: dict[str, Any]) -> dict[str, str]:
        interactive = options["interactive"] and sys.stdin.isatty()
        answers: dict[str, str] = {}
        missing: list[str] = []
        for field in FIELDS:
            value = options.get(field.option)
            if value is None and interactive:
                value = _prompt(field, input_=input, secret_input=getpass.getpass, write=self.stdout.write)
            if value is None:
                if field.default is None:
                    missing.append(field.flag)
                    continue
                value = field.default
            answers[field.option] = value.strip() if not field.secret else value
        if missing:
            raise CommandError(
                _(
                    "Missing %(flags)s. Pass them as flags, or run `kantoor init` in a terminal without "
                    "--no-input to be asked."
                )
                % {"flags": ", ".join(missing)}
            )
        errors = _check(answers)
        if errors:
            raise CommandError("\n".join(errors))
        return answers


def _init_steps() -> list[registry.InitStep]:
    """The steps apps added to init (e.g. finance's chart of accounts), in order."""
    return sorted(registry.init_steps.values(), key=lambda step: (step.order, step.name))


def _prompt(
    field: Field,
    *,
    input_: Callable[[str], str],
    secret_input: Callable[[str], str],
    write: Callable[[str], Any],
) -> str | None:
    """Ask until there is an answer (Enter takes the default); a password is asked twice."""
    while True:
        if field.secret:
            first = secret_input(f"{field.prompt}: ")
            if not first:
                continue
            if secret_input(_("Password (again): ")) != first:
                write(_("The passwords do not match; try again."))
                continue
            return first
        suffix = f" [{field.default}]" if field.default else ""
        answer = input_(f"{field.prompt}{suffix}: ").strip()
        if answer:
            return answer
        if field.default is not None:
            return field.default


def _fiscal_start(value: str) -> tuple[int, int]:
    month, _sep, day = value.partition("-")
    return int(month), int(day)


def _check(answers: dict[str, str]) -> list[str]:
    """Shape checks a terminal user should hear about before anything is written; the
    services check the rest."""
    errors = []
    try:
        month, day = _fiscal_start(answers["fiscal_year_start"])
        if not (1 <= month <= 12 and 1 <= day <= 28):
            raise ValueError
    except ValueError:
        errors.append(_("--fiscal-year-start must be MM-DD with a day from 1 to 28, e.g. 01-01 or 07-01."))
    if answers["time_zone"] not in zoneinfo.available_timezones():
        errors.append(
            _("--time-zone: unknown time zone “%s” (e.g. Europe/Amsterdam).") % answers["time_zone"]
        )
    if answers["language"] not in {code for code, _label in settings.LANGUAGES}:
        errors.append(
            _("--language: choose one of %s.") % ", ".join(code for code, _label in settings.LANGUAGES)
        )
    return errors


def _describe(exc: DomainError) -> str:
    lines = [exc.message]
    for field, messages in exc.field_errors.items():
        lines += [f"  {field}: {message}" for message in messages]
    return "\n".join(lines)
