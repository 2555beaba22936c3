"""`kantoor bench [SCENARIO…]`: run benchmark scenarios on a fresh database and print a
table of measured figures against their targets.

The command creates the fresh database (a temporary SQLite file, or `kantoor_bench_<pid>`
on PostgreSQL), then runs the scenarios in a child process whose KANTOOR_DATABASE_URL
points at it — so the settings, connections and caches of the run are exactly those of
a real process on that database — and deletes the database afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, cast

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _
from rich.console import Console

from kantoor.core import bench

# The child runs like the embedded default in production (events relayed in-process after
# each commit), without DEBUG's query log, and renders pages without collected static files.
CHILD_ENVIRONMENT = {
    "KANTOOR_OUTBOX_INLINE": "true",
    "KANTOOR_DEBUG": "false",
    "KANTOOR_STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
}
# Options of the command itself (and Django's); every other option belongs to a scenario.
COMMAND_OPTIONS = frozenset({
    "scenarios", "list", "json_path", "strict", "child", "verbosity", "settings", "pythonpath", "traceback",
    "no_color", "force_color", "skip_checks",
})  # fmt: skip


class Command(BaseCommand):
    help = _("Run benchmark scenarios on a fresh database and print the measured figures.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "scenarios", nargs="*", metavar="SCENARIO", help=_("Scenarios to run (default: all; see --list).")
        )
        parser.add_argument("--list", action="store_true", help=_("List the scenarios and exit."))
        parser.add_argument(
            "--json", dest="json_path", metavar="FILE", help=_("Also write the results as JSON to FILE.")
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help=_("Exit with status 1 when a measurement misses its target."),
        )
        parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: run inside the fresh database
        for scenario in bench.scenarios().values():
            if scenario.arguments is not None:
                scenario.arguments(parser.add_argument_group(_("scenario %s") % scenario.name))

    def handle(self, *args: Any, **options: Any) -> None:
        available = bench.scenarios()
        if options["child"]:
            self._run_child(Path(options["child"]), available)
            return
        if options["list"]:
            for scenario in available.values():
                self.stdout.write(f"{scenario.name:<16} {scenario.help}")
            return
        names = options["scenarios"] or list(available)
        unknown = [name for name in names if name not in available]
        if unknown:
            raise CommandError(
                _("Unknown scenario: %(names)s. Available: %(available)s.")
                % {"names": ", ".join(unknown), "available": ", ".join(available) or "—"}
            )
        scenario_options = {key: value for key, value in options.items() if key not in COMMAND_OPTIONS}
        results = self._run_in_fresh_database(names, scenario_options)

        console = Console(
            file=cast("IO[str]", self.stdout), width=max(Console().width, 140), no_color=options["no_color"]
        )
        console.print(
            bench.results_table(
                results, title=_("kantoor bench on %(engine)s") % {"engine": connection.vendor}
            )
        )
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps([r.as_dict() for r in results], indent=2))
        failed = [result.scenario for result in results if result.error]
        if failed:  # a scenario that crashed or found its figures wrong, whatever the targets
            raise CommandError(_("Failed: %s") % ", ".join(failed))
        missed = bench.missed(results)
        if missed and options["strict"]:
            raise CommandError(_("Missed: %s") % "; ".join(missed))

    def _run_in_fresh_database(self, names: list[str], options: dict[str, Any]) -> list[bench.ScenarioResult]:
        with tempfile.TemporaryDirectory(prefix="kantoor-bench-run-") as work, bench.fresh_database() as url:
            spec = Path(work) / "spec.json"
            output = Path(work) / "results.json"
            (Path(work) / "static").mkdir()  # STATIC_ROOT, which WhiteNoise expects to exist
            spec.write_text(json.dumps({"scenarios": names, "options": options, "output": str(output)}))
            env = {
                **os.environ,
                **CHILD_ENVIRONMENT,
                "KANTOOR_DATABASE_URL": url,
                "KANTOOR_DATA_DIR": work,
                "DJANGO_SETTINGS_MODULE": "kantoor.settings",
            }
            completed = subprocess.run(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "kantoor", "bench", "--child", str(spec)], env=env, check=False
            )
            if not output.exists():
                raise CommandError(_("The benchmark process failed (exit status %d).") % completed.returncode)
            return [bench.ScenarioResult.from_dict(item) for item in json.loads(output.read_text())]

    def _run_child(self, spec_path: Path, available: dict[str, bench.Scenario]) -> None:
        spec = json.loads(spec_path.read_text())
        console = Console(stderr=True)
        console.print(_("Preparing a fresh database on %s…") % connection.vendor)
        call_command("migrate", verbosity=0, interactive=False)
        results = []
        for name in spec["scenarios"]:
            console.rule(_("scenario %s") % name)
            results.append(bench.run_scenario(available[name], spec["options"], console))
        Path(spec["output"]).write_text(json.dumps([r.as_dict() for r in results]))
