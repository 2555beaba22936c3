"""The demo company behind `kantoor demo`, and the registry through which every app adds
its share of demo data.

Core loads the company, one user per role (username = role name, one known password)
and the teams. Then each registered step runs in order with its own seeded generator:

    # kantoor/<app>/demo.py — found by registry.kantoor_modules_import: core never imports the app
    @demo.register("parties", order=10, arguments=lambda parser: parser.add_argument("--parties", ...))
    def demo_load(company, users, rng, progress, options):
        advance = progress(_("Parties"), total)
        ...  # create what is missing, through the app's services; advance(1) per record

Re-running is safe: every step creates only what is missing, found by a natural key
(usernames, team names, party names…), and draws the same random numbers whatever exists
already, so a second run — or a run after an interrupted one, or after a new app added its
step — ends in the same state as one clean run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction
from django.utils.translation import gettext as _

from kantoor.core import registry
from kantoor.core.errors import ConflictError
from kantoor.core.models import Company, Role, Scope, Team, User
from kantoor.core.services import company_create, company_update, team_create, user_create

DEMO_COMPANY_NAME = "Tulp & Zonen B.V."
DEMO_PASSWORD = "kantoor-demo"  # noqa: S105 - the demo's published login, never a real one
DEMO_DOMAIN = "tulpenzonen.example"  # a reserved top-level domain: demo mail reaches nobody
DEMO_URL = "http://127.0.0.1:8000"
# The legal details an invoice shows: a fictitious address and numbers that pass the checks
# (the VAT number's check digit is valid; no real company is meant).
DEMO_COMPANY_DETAILS: dict[str, Any] = {
    "street": "Keizersgracht 123",
    "postal_code": "1015 CJ",
    "city": "Amsterdam",
    "vat_number": "NL123456782B01",
    "coc_number": "34567890",
    "email": f"info@{DEMO_DOMAIN}",
    "phone": "+31 20 123 4567",
    "website": f"https://www.{DEMO_DOMAIN}",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    scope: str
    team: str


DEMO_TEAMS = [
    "Sales North",
    "Sales South",
    "Customer Service",
    "Marketing",
    "Finance",
    "HR",
    "IT",
    "Operations",
    "Legal",
    "Management",
]
# One user per role; `sales` is team-scoped to show the policy at work (it sees Sales North).
DEMO_USERS = [
    DemoUser("admin", "Sanne", "de Boer", Role.ADMIN, Scope.COMPANY, "Management"),
    DemoUser("sales", "Daan", "Visser", Role.SALES, Scope.TEAM, "Sales North"),
    DemoUser("sales_manager", "Noor", "Hendriks", Role.SALES_MANAGER, Scope.COMPANY, "Sales North"),
    DemoUser("service", "Emma", "Jansen", Role.SERVICE, Scope.COMPANY, "Customer Service"),
    DemoUser("marketing", "Lotte", "Smit", Role.MARKETING, Scope.COMPANY, "Marketing"),
    DemoUser("finance", "Bram", "Mulder", Role.FINANCE, Scope.COMPANY, "Finance"),
    DemoUser("hr", "Fleur", "Bos", Role.HR, Scope.COMPANY, "HR"),
    DemoUser("it", "Thijs", "Meijer", Role.IT, Scope.COMPANY, "IT"),
    DemoUser("operations", "Ruben", "de Groot", Role.OPERATIONS, Scope.COMPANY, "Operations"),
    DemoUser("legal", "Iris", "Dekker", Role.LEGAL, Scope.COMPANY, "Legal"),
    DemoUser("management", "Willem", "Tulp", Role.MANAGEMENT, Scope.COMPANY, "Management"),
]


class Progress(Protocol):
    """`advance = progress(description, total)` starts a bar; `advance(n)` moves it."""

    def __call__(self, description: str, total: int) -> Callable[[int], None]: ...


DemoLoad = Callable[[Company, Mapping[str, User], random.Random, Progress, Mapping[str, Any]], None]


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    load: DemoLoad
    arguments: Callable[[Any], None] | None = None


_steps: dict[str, DemoStep] = {}


def register(
    name: str, *, order: int = 100, arguments: Callable[[Any], None] | None = None
) -> Callable[[DemoLoad], DemoLoad]:
    """Register an app's demo step; lower `order` runs first (parties before sales…).
    `arguments(parser)` may add options such as sizes to `kantoor demo`."""

    def decorate(load: DemoLoad) -> DemoLoad:
        _steps[name] = DemoStep(name=name, order=order, load=load, arguments=arguments)
        return load

    return decorate


def steps() -> list[DemoStep]:
    """Every registered step in running order, after importing each app's `demo` module."""
    registry.kantoor_modules_import("demo")
    return sorted(_steps.values(), key=lambda step: (step.order, step.name))


def step_random(name: str) -> random.Random:
    """The generator of one step: seeded by its name, so adding a step changes no other's data."""
    return random.Random(f"kantoor-demo/{name}")  # noqa: S311 - reproducible demo data, not secrets


@dataclass
class DemoCompany:
    company: Company
    users: dict[str, User]
    is_new: bool


@transaction.atomic
def demo_company_load() -> DemoCompany:
    """The demo company with its users and teams, creating whatever is missing."""
    company = Company.objects.filter(name=DEMO_COMPANY_NAME).order_by("pk").first()
    is_new = company is None
    if company is None:
        company = company_create(
            name=DEMO_COMPANY_NAME,
            base_currency="EUR",
            country="NL",
            time_zone="Europe/Amsterdam",
            fiscal_year_start_month=1,
            fiscal_year_start_day=1,
            language="en",
        )
    existing = {u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_USERS])}
    strangers = sorted(name for name, user in existing.items() if user.company_id != company.pk)
    if strangers:
        raise ConflictError(
            _(
                "The user names %(names)s belong to another company in this database; load the demo "
                "into a database of its own (KANTOOR_DATA_DIR or KANTOOR_DATABASE_URL)."
            )
            % {"names": ", ".join(strangers)}
        )
    users: dict[str, User] = {}
    admin_spec = DEMO_USERS[0]
    users["admin"] = existing.get("admin") or _demo_user_create(None, company, admin_spec)
    for spec in DEMO_USERS[1:]:
        users[spec.username] = existing.get(spec.username) or _demo_user_create(users["admin"], company, spec)
    if not company.street:
        company = company_update(actor=users["admin"], **DEMO_COMPANY_DETAILS)
    known_teams = set(Team.objects.filter(company=company).values_list("name", flat=True))
    for team_name in DEMO_TEAMS:
        if team_name not in known_teams:
            members = [users[d.username].pk for d in DEMO_USERS if d.team == team_name]
            team_create(actor=users["admin"], name=team_name, member_ids=members)
    return DemoCompany(company=company, users=users, is_new=is_new)


def _demo_user_create(actor: User | None, company: Company, spec: DemoUser) -> User:
    return user_create(
        actor=actor,
        company_id=company.pk,
        username=spec.username,
        password=DEMO_PASSWORD,
        email=f"{spec.username}@{DEMO_DOMAIN}",
        first_name=spec.first_name,
        last_name=spec.last_name,
        language="en",
        roles={spec.role: spec.scope},
    )


def demo_load(progress: Progress, options: Mapping[str, Any]) -> DemoCompany:
    """Load (or complete) the whole demo: the company, then every app's step."""
    loaded = demo_company_load()
    for step in steps():
        step.load(loaded.company, loaded.users, step_random(step.name), progress, options)
    return loaded
