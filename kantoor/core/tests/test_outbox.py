"""The transactional outbox: publish in the writer's transaction, relay after commit, each
handler exactly once per event (receipts), retries with back-off, no duplicate effects."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.utils import timezone

from kantoor.core import outbox
from kantoor.core.events import Event, event_type
from kantoor.core.models import HandlerReceipt, OutboxEvent
from kantoor.parties import services as party_services
from kantoor.parties.models import TimelineEntry


@dataclasses.dataclass(frozen=True, kw_only=True)
class Pinged(Event):
    """A test event: `core.Pinged` (named by its app, like every event)."""

    text: str


calls: Counter[str] = Counter()
failures_left: dict[str, int] = {}


def _run(name: str, event: Pinged) -> None:
    calls[name] += 1
    if failures_left.get(name, 0) > 0:
        failures_left[name] -= 1
        raise RuntimeError(f"{name} could not handle {event.text}")


def on_ping_log(event: Pinged) -> None:
    _run("log", event)


def on_ping_mail(event: Pinged) -> None:
    _run("mail", event)


LOG = f"{__name__}.on_ping_log"
MAIL = f"{__name__}.on_ping_mail"


@pytest.fixture(autouse=True)
def handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both test handlers subscribed to Pinged, on a copy of the registry (undone after)."""
    registry = defaultdict(list, {name: list(entries) for name, entries in outbox._handlers.items()})
    monkeypatch.setattr(outbox, "_handlers", registry)
    outbox.subscribe(Pinged, on_ping_log)
    outbox.subscribe(Pinged, on_ping_mail)
    calls.clear()
    failures_left.clear()


def ping(text: str = "hello", company_id: int | None = None) -> OutboxEvent:
    with transaction.atomic():
        return outbox.publish(Pinged(company_id=company_id, text=text))


def ping_then_fail(text: str) -> None:
    """A write that publishes, then fails: its transaction rolls back."""
    with transaction.atomic():
        outbox.publish(Pinged(company_id=None, text=text))
        raise LookupError("the write failed")


def test_event_is_named_by_its_app_and_rebuilt_from_its_row(db):
    # given a published event
    row = ping("round trip")
    # then the row names it and carries every field, and the outbox rebuilds the same event
    assert (row.name, row.attempts, row.processed_at, row.last_error) == ("core.Pinged", 0, None, "")
    assert set(row.payload) == {"company_id", "event_id", "text"}
    rebuilt = event_type("core.Pinged").from_payload({**row.payload, "added_later": 1})
    assert rebuilt == Pinged(company_id=None, event_id=row.payload["event_id"], text="round trip")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Unheard(Event):
    text: str


def test_an_event_nobody_handles_is_delivered_as_it_is_written(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        row = outbox.publish(Unheard(company_id=None, text="nobody listens"))
    # then it is stored as processed, with no relay after commit and nothing left for the worker
    assert callbacks == []
    row.refresh_from_db()
    assert row.processed_at == row.created_at
    assert outbox.run_pending_events() == 0


def test_subscribing_twice_delivers_once(db):
    outbox.subscribe(Pinged, on_ping_log)
    assert [name for name, _ in outbox.handlers_for("core.Pinged")] == [LOG, MAIL]


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        outbox.publish(Pinged(company_id=None, text="loose"))
    assert OutboxEvent.objects.count() == 0
    assert calls == {}


def test_rollback_removes_the_event(db, django_capture_on_commit_callbacks):
    # when the publishing transaction rolls back
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(LookupError):
        ping_then_fail("never")
    # then neither the event nor its after-commit relay remains
    assert OutboxEvent.objects.count() == 0
    assert callbacks == []
    assert calls == {}


def test_relay_delivers_to_every_handler_once_and_records_receipts(db):
    row = ping("once")
    # when the relay runs twice
    assert outbox.run_pending_events() == 1
    assert outbox.run_pending_events() == 0
    # then each handler ran once and left its receipt, and the event is done
    assert calls == {"log": 1, "mail": 1}
    assert sorted(HandlerReceipt.objects.filter(event=row).values_list("handler", flat=True)) == [LOG, MAIL]
    row.refresh_from_db()
    assert (row.attempts, row.last_error) == (0, "")
    assert row.processed_at is not None


def test_a_failing_handler_is_retried_with_backoff_without_rerunning_the_other(db):
    row = ping("flaky")
    failures_left["mail"] = 1
    # when the relay runs and the mail handler fails
    before = timezone.now()
    assert outbox.relay_pending() == 0
    after = timezone.now()
    # then the attempt is counted, the error kept, the event waits 2 s, and only the log has a receipt
    row.refresh_from_db()
    assert (row.attempts, row.processed_at) == (1, None)
    assert before + dt.timedelta(seconds=2) <= row.available_at <= after + dt.timedelta(seconds=2)
    assert row.last_error.startswith(f"{MAIL}: Traceback")
    assert "RuntimeError: mail could not handle flaky" in row.last_error
    assert list(HandlerReceipt.objects.filter(event=row).values_list("handler", flat=True)) == [LOG]
    assert calls == {"log": 1, "mail": 1}
    # and a relay before the back-off has passed leaves it alone
    assert outbox.relay_pending() == 0
    assert calls == {"log": 1, "mail": 1}
    # when it is due again, only the failed handler runs, and the event completes
    OutboxEvent.objects.filter(pk=row.pk).update(available_at=timezone.now() - dt.timedelta(seconds=1))
    assert outbox.relay_pending() == 1
    assert calls == {"log": 1, "mail": 2}
    row.refresh_from_db()
    assert row.attempts == 1
    assert row.processed_at is not None
    assert sorted(HandlerReceipt.objects.filter(event=row).values_list("handler", flat=True)) == [LOG, MAIL]


def test_backoff_doubles_and_the_relay_gives_up_after_max_attempts(db):
    row = ping("hopeless")
    failures_left["mail"] = 1000
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        start = timezone.now()
        assert outbox.run_pending_events() == 0
        row.refresh_from_db()
        waits.append(round((row.available_at - start).total_seconds()))
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    # after the last attempt the event is left for a person to look at
    OutboxEvent.objects.filter(pk=row.pk).update(available_at=timezone.now() - dt.timedelta(seconds=1))
    assert outbox.run_pending_events() == 0
    assert outbox.relay_pending() == 0
    assert calls == {"log": 1, "mail": outbox.MAX_ATTEMPTS}
    row.refresh_from_db()
    assert (row.attempts, row.processed_at) == (outbox.MAX_ATTEMPTS, None)


def test_run_pending_events_drains_everything_and_tries_each_event_once(db):
    rows = [ping(f"event {n}") for n in range(3)]
    failures_left["log"] = 1  # the first event's log handler fails once
    # when everything pending is relayed
    assert outbox.run_pending_events() == 2
    # then each event was tried once, the two good ones completed, the failed one waits
    assert calls == {"log": 3, "mail": 3}
    done = set(OutboxEvent.objects.filter(processed_at__isnull=False).values_list("pk", flat=True))
    assert done == {rows[1].pk, rows[2].pk}
    # and the next run completes the remaining one, ignoring its back-off
    assert outbox.run_pending_events() == 1
    assert calls == {"log": 4, "mail": 3}
    assert OutboxEvent.objects.filter(processed_at__isnull=True).count() == 0


def test_an_undecodable_event_does_not_block_the_ones_behind_it(db):
    # given a row whose event class no longer exists, then a good event
    bad = OutboxEvent.objects.create(name="core.NoSuchEvent", payload={"company_id": None})
    good = ping("behind")
    # when the relay runs
    assert outbox.run_pending_events() == 1
    # then the good event was delivered and the bad one waits with the reason
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.processed_at is not None
    assert (bad.processed_at, bad.attempts) == (None, 1)
    assert "KeyError: 'core.NoSuchEvent'" in bad.last_error


def test_redelivery_does_not_duplicate_the_timeline_entry(salesperson):
    # given a party whose creation was relayed to the timeline
    outbox.run_pending_events()  # the salesperson's UserCreated
    party = party_services.party_create(actor=salesperson, kind="organisation", name="Bakkerij Jansen")
    assert outbox.run_pending_events() == 1
    event = OutboxEvent.objects.get(name="parties.PartyCreated")
    # when the event is delivered again as if its receipts were lost (a crash before they were kept)
    HandlerReceipt.objects.filter(event=event).delete()
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)
    assert outbox.run_pending_events() == 1
    # then the party still has exactly one "created" entry, keyed by the event
    entries = list(TimelineEntry.objects.filter(party=party).values_list("kind", "event_key"))
    assert entries == [("party.created", event.payload["event_id"])]
    assert HandlerReceipt.objects.filter(event=event).count() == 1


def test_inline_relay_runs_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = ping("inline")
        # nothing is delivered before the commit
        assert calls == {}
    assert len(callbacks) == 1
    assert calls == {"log": 1, "mail": 1}
    row.refresh_from_db()
    assert row.processed_at is not None


def test_inline_relay_still_works_after_a_rolled_back_publish(db, django_capture_on_commit_callbacks):
    # given a publish whose transaction rolled back
    with pytest.raises(LookupError):
        ping_then_fail("rolled back")
    # when the next transaction publishes and commits
    with django_capture_on_commit_callbacks(execute=True):
        row = ping("next")
    # then its event is relayed right after the commit
    assert calls == {"log": 1, "mail": 1}
    row.refresh_from_db()
    assert row.processed_at is not None


def test_a_failing_inline_relay_does_not_fail_the_committed_write(db, django_capture_on_commit_callbacks):
    failures_left["log"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        row = ping("tolerated")
    row.refresh_from_db()
    assert (row.attempts, row.processed_at) == (1, None)
    assert calls == {"log": 1, "mail": 1}


def test_without_inline_relay_events_wait_for_the_worker(db, settings, django_capture_on_commit_callbacks):
    settings.KANTOOR_OUTBOX_INLINE = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = ping("for the worker")
    assert (callbacks, dict(calls)) == ([], {})
    assert outbox.relay_pending() == 1
    row.refresh_from_db()
    assert row.processed_at is not None


@pytest.mark.django_db(transaction=True)
def test_inline_relay_after_a_real_commit():
    row = ping("committed")
    assert calls == {"log": 1, "mail": 1}
    row.refresh_from_db()
    assert row.processed_at is not None
    assert HandlerReceipt.objects.filter(event=row).count() == 2
