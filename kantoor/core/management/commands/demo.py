"""`kantoor demo`: migrate, then load (or complete) the demo company and print its logins."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any, cast

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kantoor.core import demo
from kantoor.core.errors import DomainError
from kantoor.core.models import Role


class Command(BaseCommand):
    help = _(
        "Load the demo company “%(company)s” with users for every role, teams and parties. "
        "Safe to run again: what exists already is kept and nothing is created twice."
    ) % {"company": demo.DEMO_COMPANY_NAME}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--skip-migrate", action="store_true", help=_("Do not run the migrations first."))
        for step in demo.steps():
            if step.arguments is not None:
                step.arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(
            file=cast("IO[str]", self.stdout), no_color=options["no_color"], highlight=False, soft_wrap=True
        )
        if not options["skip_migrate"]:
            console.print(_("Applying database migrations…"))
            call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True, no_color=options["no_color"]),
        ) as bar:

            def progress(description: str, total: int) -> Callable[[int], None]:
                task = bar.add_task(str(description), total=total)

                def advance(n: int = 1) -> None:
                    bar.advance(task, n)

                return advance

            try:
                loaded = demo.demo_load(progress, options)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        if loaded.is_new:
            console.print(_("Loaded the demo company “%s”.") % loaded.company.name)
        else:
            console.print(
                _("The demo company “%s” was loaded before; whatever was missing has been added.")
                % loaded.company.name
            )
        console.print(_("Start it with `kantoor serve` (or `make demo`) and open %s") % demo.DEMO_URL)
        table = Table(
            title=_("Demo logins (password for all: %s)") % demo.DEMO_PASSWORD, title_justify="left"
        )
        table.add_column(_("username"))
        table.add_column(_("role"))
        table.add_column(_("reach"))
        table.add_column(_("team"))
        for user in demo.DEMO_USERS:
            table.add_row(
                user.username,
                str(Role(user.role).label),
                _("own team") if user.scope == "team" else _("whole company"),
                user.team,
            )
        console.print(table)
