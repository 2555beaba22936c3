"""`kantoor serve`: Django's development server on 127.0.0.1:8000, or with `--prod`
gunicorn with several workers and the static files collected for WhiteNoise."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

DEFAULT_ADDR = "127.0.0.1:8000"
MAX_WORKERS = 8  # beyond this, run more machines: SQLite has one writer, PostgreSQL has connection limits


def default_workers() -> int:
    """gunicorn's rule of thumb, 2 × cores + 1, capped."""
    return min(2 * (os.cpu_count() or 1) + 1, MAX_WORKERS)


def gunicorn_argv(*, addr: str, workers: int, timeout: int, access_log: bool = True) -> list[str]:
    """The gunicorn command line that `kantoor serve --prod` replaces itself with."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "kantoor.wsgi:application",
        "--bind",
        addr,
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        str(min(timeout, 30)),
        "--max-requests",
        "2000",  # recycle workers now and then: bounded memory over months
        "--max-requests-jitter",
        "200",
        "--forwarded-allow-ips",
        "127.0.0.1,::1",
    ]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv


def gunicorn_environment() -> dict[str, str]:
    """Production serves the collected (hashed, compressed) files, not the finders."""
    return {
        **os.environ,
        "KANTOOR_WHITENOISE_USE_FINDERS": "false",
        "DJANGO_SETTINGS_MODULE": "kantoor.settings",
    }


class Command(BaseCommand):
    help = _(
        "Serve Kantoor: Django's development server (auto-reload), or with --prod gunicorn with "
        "several workers and WhiteNoise serving the collected static files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--addr",
            default=DEFAULT_ADDR,
            help=_("Address and port to listen on (default %s).") % DEFAULT_ADDR,
        )
        parser.add_argument("--prod", action="store_true", help=_("Serve with gunicorn, for production."))
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=_("gunicorn worker processes (default 2 × cores + 1, at most %d).") % MAX_WORKERS,
        )
        parser.add_argument(
            "--timeout", type=int, default=60, help=_("Seconds before a stuck worker is restarted.")
        )
        parser.add_argument("--no-access-log", action="store_true", help=_("Do not log every request."))
        parser.add_argument(
            "--noreload", action="store_true", help=_("Development server without auto-reload.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["prod"]:
            self._warn_unapplied_migrations()  # runserver warns by itself
            workers = default_workers() if options["workers"] is None else options["workers"]
            if workers < 1:
                raise CommandError(_("--workers must be at least 1."))
            argv = gunicorn_argv(
                addr=options["addr"],
                workers=workers,
                timeout=options["timeout"],
                access_log=not options["no_access_log"],
            )
            self._collect_static()
            self.stdout.write(
                _("Serving Kantoor on http://%(addr)s with %(workers)d gunicorn workers.")
                % {"addr": options["addr"], "workers": workers}
            )
            self._exec(argv, gunicorn_environment())
            return
        # The reloader's parent process serves nothing; only the process that serves (the
        # reloader's child, RUN_MAIN, or the only one with --noreload) collects.
        serving = options["noreload"] or os.environ.get("RUN_MAIN") == "true"
        if self._uses_manifest_storage() and serving:
            # The templates name hashed files from the manifest, which only collectstatic writes.
            self._collect_static()
        self.stdout.write(
            _("Serving Kantoor on http://%s (development server; Ctrl+C stops it).") % options["addr"]
        )
        call_command("runserver", options["addr"], use_reloader=not options["noreload"])

    def _exec(self, argv: list[str], env: dict[str, str]) -> None:
        """Replace this process with gunicorn, so signals from the supervisor reach it directly."""
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(argv[0], argv, env)  # noqa: S606 - our own interpreter, fixed arguments

    def _collect_static(self) -> None:
        self.stdout.write(_("Collecting static files into %s…") % settings.STATIC_ROOT)
        call_command("collectstatic", interactive=False, verbosity=0)

    @staticmethod
    def _uses_manifest_storage() -> bool:
        backend = settings.STORAGES["staticfiles"]["BACKEND"]
        return "Manifest" in backend.rsplit(".", 1)[-1]

    def _warn_unapplied_migrations(self) -> None:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write(
                self.style.WARNING(
                    _(
                        "The database is not up to date: run `kantoor init` (new installation) "
                        "or `kantoor migrate`."
                    )
                )
            )
