"""`kantoor bench parties`: create N parties through the service layer, one transaction
per party as a person's requests would be (audit rows, outbox events, in-process relay),
then time the party list page, the API list and the name-prefix search at that size."""

from __future__ import annotations

import random
import time
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from kantoor.core import bench
from kantoor.core.models import OutboxEvent, Role, Scope
from kantoor.core.services import api_token_create, company_create, team_create, user_create
from kantoor.parties import selectors
from kantoor.parties.demo import PartyGenerator
from kantoor.parties.models import Party, TimelineEntry
from kantoor.parties.services import party_create

TARGET_CREATE_PER_SECOND = 1000  # on SQLite
TARGET_P95_MS = 50
API_LIST_PATH = "/api/v1/parties"


def _arguments(group: Any) -> None:
    group.add_argument("--count", type=int, default=100_000, help=_("Parties to create (default 100,000)."))
    group.add_argument(
        "--repetitions", type=int, default=50, help=_("Timed requests per read measurement (default 50).")
    )
    group.add_argument("--seed", type=int, default=42, help=_("Seed of the data generator (default 42)."))


@bench.register(
    "parties",
    help=_(
        "Create parties through the services, then time the list page, "
        "the API list and the name-prefix search."
    ),
    arguments=_arguments,
)
def parties(ctx: bench.BenchContext) -> None:
    count, repetitions = int(ctx.options["count"]), int(ctx.options["repetitions"])
    rng = random.Random(ctx.options["seed"])  # noqa: S311 - reproducible test data, not secrets

    # Set-up, not timed: a company, a management user who creates and reads everything.
    company = company_create(name="Bench B.V.")
    user = user_create(
        actor=None,
        company_id=company.pk,
        username="bench-admin",
        password=None,
        roles={Role.ADMIN: Scope.COMPANY},
    )
    north = team_create(actor=user, name="Sales North")
    manager = user_create(
        actor=user,
        username="bench-management",
        password=None,
        roles={Role.MANAGEMENT: Scope.COMPANY},
        team_ids=[north.pk],
    )

    # Creation, timed: every party through party_create in its own transaction.
    generator = PartyGenerator(rng)
    organisations: dict[str, int] = {}
    service_seconds = 0.0
    started, cpu_started = time.perf_counter(), time.process_time()
    with ctx.progress(_("Creating parties"), count) as advance:
        for index, spec in enumerate(generator.parties(count), start=1):
            fields = dict(spec.fields)
            if spec.organisation_name:
                fields["organisation"] = organisations[spec.organisation_name]
            before = time.perf_counter()
            party = party_create(actor=manager, kind=spec.kind, name=spec.name, **fields)
            service_seconds += time.perf_counter() - before
            if spec.kind == "organisation":
                organisations[spec.name] = party.pk
            if index % 250 == 0:
                advance(250)
        advance(count % 250)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    wall_note = _("%(count)s parties in %(seconds).1f s, one transaction each, events relayed in-process") % {
        "count": f"{count:,}",
        "seconds": wall,
    }
    rate = round(count / wall, 1)
    service_rate = round(count / service_seconds, 1)
    service_note = _("time inside party_create: validation, duplicate check, writes, commit and the relay")
    # The target is the embedded default's, and it is the service layer's: generating the
    # test data is the bench's own work, shown separately as the wall-clock figure.
    if connection.vendor == "sqlite":
        ctx.record(
            bench.Measurement.at_least(
                "create party (service)",
                service_rate,
                _("parties/s"),
                target=TARGET_CREATE_PER_SECOND,
                note=service_note,
            )
        )
    else:
        ctx.record(
            bench.Measurement.info("create party (service)", service_rate, _("parties/s"), note=service_note)
        )
    ctx.record(
        bench.Measurement.info(
            "create party (wall)", rate, _("parties/s"), note=wall_note + _(", including generating the data")
        )
    )
    ctx.record(
        bench.Measurement.info(
            "create party (CPU time)",
            round(count / cpu, 1),
            _("parties/s"),
            note=_("by this process's CPU time: what other load on the machine does not change"),
        )
    )
    pending = OutboxEvent.objects.filter(processed_at__isnull=True).count()
    ctx.record(bench.Measurement.equals("outbox events left unrelayed", pending, 0))
    ctx.record(
        bench.Measurement.equals(
            "timeline entries written by the relay",
            TimelineEntry.objects.filter(kind="party.created").count(),
            count,
        )
    )

    # Reads, timed in-process: the request through every middleware, the server's time only.
    _time_page(ctx, manager, "list page /parties/", repetitions, lambda: reverse("web:party-list"), {})
    _token, raw_token = api_token_create(actor=manager, name="bench", is_read_only=True)
    _time_page(
        ctx,
        manager,
        f"API list {API_LIST_PATH}",
        repetitions,
        lambda: _api_path(),
        {"Authorization": f"Bearer {raw_token}", "Accept": "application/json"},
    )
    prefixes = _prefixes(rng, repetitions + 3)

    def search(i: int) -> None:
        list(
            selectors.parties_list(manager, q=prefixes[i % len(prefixes)])
            .order_by("normalized_name", "id")
            .values_list("pk", "name")[:25]
        )

    timings = bench.time_repeated(search, repetitions)
    for m in bench.latency_measurements(
        "prefix search (25 rows)",
        timings,
        p95_target_ms=TARGET_P95_MS,
        note=_("parties_list(q=…) with %d prefixes of 1 to 5 letters") % len(set(prefixes)),
    ):
        ctx.record(m)
    ctx.record(bench.Measurement.info("parties in the database", Party.objects.count()))


def _api_path() -> str:
    resolve(API_LIST_PATH)  # raises Resolver404 until the API has a party list
    return API_LIST_PATH


def _time_page(
    ctx: bench.BenchContext, user: Any, name: str, repetitions: int, path: Any, headers: dict[str, str]
) -> None:
    try:
        url = path()
    except (NoReverseMatch, Resolver404):
        ctx.record(
            bench.Measurement.skipped(
                f"{name} p95",
                unit="ms",
                target=f"< {TARGET_P95_MS}",
                note=_("not measured: the page does not exist yet"),
            )
        )
        return
    client = Client()
    client.force_login(user)
    statuses: set[int] = set()

    def fetch(i: int) -> None:
        statuses.add(client.get(url, headers=headers).status_code)

    timings = bench.time_repeated(fetch, repetitions)
    if statuses != {200}:
        ctx.record(
            bench.Measurement(
                f"{name} p95",
                None,
                "ms",
                f"< {TARGET_P95_MS}",
                False,
                _("answered with status %s") % sorted(statuses),
            )
        )
        return
    for m in bench.latency_measurements(
        name, timings, p95_target_ms=TARGET_P95_MS, note=_("first page, signed in as management")
    ):
        ctx.record(m)


def _prefixes(rng: random.Random, count: int) -> list[str]:
    """Prefixes as people type them: the first 1 to 5 letters of existing names."""
    names = list(Party.objects.order_by("pk").values_list("normalized_name", flat=True))
    return [rng.choice(names)[: rng.randint(1, 5)] for _ in range(count)] if names else ["a"]
