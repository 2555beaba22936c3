"""`kantoor serve`: the development server, or gunicorn in production (never started here)."""

from __future__ import annotations

import io
import re
import sys
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from kantoor.core.management.commands import serve


@pytest.fixture
def no_exec(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(serve.Command, "_exec", lambda self, argv, env: calls.append((argv, env)))
    return calls


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(serve, "call_command", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_serve_prod_collects_static_files_then_execs_gunicorn(
    db: Any, no_exec: list[Any], commands: list[Any]
) -> None:
    out = io.StringIO()

    call_command("serve", "--prod", "--workers", "3", stdout=out)

    assert commands == [(("collectstatic",), {"interactive": False, "verbosity": 0})]
    ((argv, env),) = no_exec
    assert argv == [
        sys.executable,
        "-m",
        "gunicorn",
        "kantoor.wsgi:application",
        "--bind",
        "127.0.0.1:8000",
        "--workers",
        "3",
        "--timeout",
        "60",
        "--graceful-timeout",
        "30",
        "--max-requests",
        "2000",
        "--max-requests-jitter",
        "200",
        "--forwarded-allow-ips",
        "127.0.0.1,::1",
        "--access-logfile",
        "-",
    ]
    assert env["KANTOOR_WHITENOISE_USE_FINDERS"] == "false"
    assert env["DJANGO_SETTINGS_MODULE"] == "kantoor.settings"
    assert "Serving Kantoor on http://127.0.0.1:8000 with 3 gunicorn workers." in out.getvalue()


def test_serve_prod_defaults_to_two_workers_per_core_plus_one_capped(
    db: Any, no_exec: list[Any], commands: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve.os, "cpu_count", lambda: 2)
    call_command("serve", "--prod", "--addr", "0.0.0.0:9000", "--no-access-log", stdout=io.StringIO())
    monkeypatch.setattr(serve.os, "cpu_count", lambda: 16)
    call_command("serve", "--prod", stdout=io.StringIO())

    first, second = (argv for argv, _env in no_exec)
    assert first[first.index("--bind") + 1] == "0.0.0.0:9000"
    assert first[first.index("--workers") + 1] == "5"
    assert "--access-logfile" not in first
    assert second[second.index("--workers") + 1] == str(serve.MAX_WORKERS)


def test_serve_prod_refuses_zero_workers(db: Any, no_exec: list[Any], commands: list[Any]) -> None:
    with pytest.raises(CommandError, match=re.escape("--workers must be at least 1.")):
        call_command("serve", "--prod", "--workers", "0", stdout=io.StringIO())
    assert no_exec == []


def test_serve_runs_the_development_server(
    db: Any, commands: list[Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    call_command("serve", "--addr", "127.0.0.1:8123", stdout=io.StringIO())

    assert commands == [(("runserver", "127.0.0.1:8123"), {"use_reloader": True})]


def test_serve_collects_static_files_first_when_templates_need_the_manifest(
    db: Any, commands: list[Any], settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    call_command("serve", "--noreload", stdout=io.StringIO())

    assert commands == [
        (("collectstatic",), {"interactive": False, "verbosity": 0}),
        (("runserver", "127.0.0.1:8000"), {"use_reloader": False}),
    ]


def test_serve_collects_only_in_the_process_that_serves(
    db: Any, commands: list[Any], settings: Any, monkeypatch: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    monkeypatch.delenv("RUN_MAIN", raising=False)

    call_command("serve", stdout=io.StringIO())  # the reloader's parent: it serves nothing

    assert commands == [(("runserver", "127.0.0.1:8000"), {"use_reloader": True})]
    monkeypatch.setenv("RUN_MAIN", "true")  # the reloader's child, which serves

    call_command("serve", stdout=io.StringIO())

    assert commands[1:] == [
        (("collectstatic",), {"interactive": False, "verbosity": 0}),
        (("runserver", "127.0.0.1:8000"), {"use_reloader": True}),
    ]
