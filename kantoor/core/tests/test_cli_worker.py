"""`kantoor worker`: relays the outbox and runs queued tasks."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from kantoor.core.events import TeamChanged
from kantoor.core.management.commands import worker as worker_command
from kantoor.core.models import OutboxEvent
from kantoor.core.outbox import publish, subscribe

received: list[int] = []
ran: list[str] = []


def on_team_changed_for_test(event: TeamChanged) -> None:
    received.append(event.team_id)


@task()
def greet(name: str) -> str:
    ran.append(name)
    return f"hello {name}"


# The worker is a process of its own: it commits, and closes connections between rounds
# (which would end a test's enclosing transaction), so these tests use real transactions.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listening(settings: Any) -> None:
    settings.KANTOOR_OUTBOX_INLINE = False  # as in production, where workers relay
    received.clear()
    ran.clear()
    subscribe(TeamChanged, on_team_changed_for_test)


@pytest.mark.usefixtures("listening")
def test_worker_once_relays_a_pending_event(company: Any) -> None:
    with transaction.atomic():
        row = publish(TeamChanged(company_id=company.pk, team_id=41))
    out = io.StringIO()

    call_command("worker", "--once", stdout=out)

    row.refresh_from_db()
    assert row.processed_at is not None
    assert received == [41]
    assert OutboxEvent.objects.filter(processed_at__isnull=True).count() == 0
    assert out.getvalue().strip() == "Relayed 1 events and ran 0 tasks."


@pytest.mark.usefixtures("listening")
def test_worker_once_runs_queued_tasks(db: Any) -> None:
    result = greet.enqueue("Anna")
    out = io.StringIO()

    call_command("worker", "--once", stdout=out)

    assert ran == ["Anna"]
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert out.getvalue().strip() == "Relayed 0 events and ran 1 tasks."


@pytest.mark.usefixtures("listening")
def test_worker_once_without_tasks_only_relays(company: Any) -> None:
    greet.enqueue("Bert")
    with transaction.atomic():
        publish(TeamChanged(company_id=company.pk, team_id=7))

    call_command("worker", "--once", "--no-tasks", stdout=io.StringIO())

    assert received == [7]
    assert ran == []
    assert DBTaskResult.objects.get().status == "READY"


def test_worker_relays_until_sigterm_then_stops_gracefully(tmp_path: Path) -> None:
    # given an installation whose events wait for the worker (the production setting)
    database = tmp_path / "worker.sqlite3"
    env = {
        **os.environ,
        "KANTOOR_DATABASE_URL": f"sqlite:///{database}",
        "KANTOOR_DATA_DIR": str(tmp_path),
        "KANTOOR_OUTBOX_INLINE": "false",
        "DJANGO_SETTINGS_MODULE": "kantoor.settings",
    }
    init = [
        sys.executable, "-m", "kantoor", "init", "--no-input", "--company-name", "Werk B.V.",
        "--admin-username", "wim", "--admin-email", "wim@werk.example",
        "--admin-password", "Werkplaats-2026!",
    ]  # fmt: skip
    subprocess.run(init, env=env, check=True, capture_output=True)  # noqa: S603 - our own command
    # (the administrator's UserCreated has no handler: it is delivered as it is written)
    assert _pending_events(database) == 0
    create_party = (
        "from kantoor.core.models import User; from kantoor.parties.services import party_create; "
        "party_create(actor=User.objects.get(username='wim'), kind='organisation', name='Klant B.V.')"
    )
    shell = [sys.executable, "-m", "kantoor", "shell", "-c", create_party]
    subprocess.run(shell, env=env, check=True, capture_output=True)  # noqa: S603 - our own command
    assert _pending_events(database) == 1  # PartyCreated, for the timeline

    # when the worker runs, it relays the event; then SIGTERM stops it
    worker = subprocess.Popen(
        [sys.executable, "-m", "kantoor", "worker", "--interval", "0.1"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith("Worker started: relaying events and running tasks.")
        deadline = time.monotonic() + 20
        while _pending_events(database) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pending_events(database) == 0
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=10)
    finally:
        worker.kill()

    # then it finished cleanly
    assert worker.returncode == 0
    assert output.splitlines()[-2:] == [
        "Stopping after the current work… (press Ctrl+C again to force)",
        "Worker stopped.",
    ]


def _pending_events(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return int(
            db.execute("SELECT count(*) FROM core_outboxevent WHERE processed_at IS NULL").fetchone()[0]
        )


def test_worker_exits_when_its_task_runner_dies(monkeypatch: pytest.MonkeyPatch) -> None:
    crashes: list[str] = []

    def crash(self: worker_command.TaskWorker) -> None:
        raise RuntimeError("the task table is gone")

    monkeypatch.setattr(worker_command.TaskWorker, "run", crash)
    monkeypatch.setattr(threading, "excepthook", lambda args: crashes.append(str(args.exc_value)))

    with pytest.raises(CommandError, match=re.escape("The task runner stopped unexpectedly")):
        call_command("worker", "--interval", "0.01", stdout=io.StringIO())
    assert crashes == ["the task table is gone"]
