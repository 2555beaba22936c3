"""The transactional outbox: `publish()` writes an event row in the caller's transaction;
the relay delivers it to every subscribed handler at least once, with retries, and records
a receipt per handler in the handler's own transaction so a redelivery never repeats it.

On the embedded default (KANTOOR_OUTBOX_INLINE) the events of a transaction are relayed
in-process right after it commits; otherwise `kantoor worker` relays them.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kantoor.core import fastsql
from kantoor.core.events import Event, event_type
from kantoor.core.models import HandlerReceipt, OutboxEvent

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]

_handlers: dict[str, list[tuple[str, Handler]]] = defaultdict(list)


def subscribe(event_cls: type[E], handler: Callable[[E], None]) -> None:
    """Subscribe `handler` to `event_cls`; handlers are named by their dotted path."""
    name = f"{handler.__module__}.{handler.__qualname__}"
    entries = _handlers[event_cls.event_name]
    if all(existing != name for existing, _ in entries):
        entries.append((name, handler))


def handlers_for(event_name: str) -> list[tuple[str, Handler]]:
    return list(_handlers.get(event_name, ()))


def publish(event: Event) -> OutboxEvent:
    """Write the event to the outbox inside the current transaction."""
    return publish_many([event])[0]


def publish_many(events: Sequence[Event]) -> list[OutboxEvent]:
    """Write the events to the outbox inside the current transaction, in one statement."""
    if not connection.in_atomic_block:
        raise RuntimeError("publish() belongs inside the service's transaction")
    now = timezone.now()
    rows = []
    for event in events:
        values: dict[str, Any] = {
            "name": event.event_name,
            "payload": event.to_payload(),
            "created_at": now,
            "available_at": now,
            # An event nobody handles is delivered as it is written: no relay transaction for
            # it (every posting publishes one; handlers are subscribed when the apps are ready).
            "processed_at": None if _handlers.get(event.event_name) else now,
        }
        rows.append((event, values))
    # Every service publishes: a pre-built INSERT rather than the ORM's.
    ids = fastsql.insert_many(
        OutboxEvent, [{**values, "company": event.company_id} for event, values in rows], returning=True
    )
    published = []
    for pk, (event, values) in zip(ids, rows, strict=True):
        row = OutboxEvent(pk=pk, company_id=event.company_id, **values)
        row._state.adding = False
        if settings.KANTOOR_OUTBOX_INLINE and values["processed_at"] is None:
            # One callback per event: Django drops it together with the row when the
            # savepoint or transaction rolls back, so nothing of a rolled-back publish outlives it.
            transaction.on_commit(functools.partial(_relay_committed, row))
        published.append(row)
    return published


def _relay_committed(row: OutboxEvent) -> None:
    try:
        _deliver(row)
    except Exception:  # the worker retries; a failed relay must not fail the user's request
        log.exception("in-process outbox relay failed; the worker will retry")


def relay_pending(*, limit: int = 500) -> int:
    """Deliver due events (oldest first); returns how many were completed."""
    due = OutboxEvent.objects.filter(
        processed_at__isnull=True, available_at__lte=timezone.now(), attempts__lt=MAX_ATTEMPTS
    ).order_by("available_at", "id")[:limit]
    return relay(due)


def relay(rows: Iterable[OutboxEvent]) -> int:
    completed = 0
    for row in list(rows):
        if _deliver(row):
            completed += 1
    return completed


def _deliver(row: OutboxEvent) -> bool:
    """Run the event's handlers in one transaction that first claims the row: the claim
    (an UPDATE of `processed_at`) holds the row lock on PostgreSQL and the write lock on
    SQLite, so two relays never run the same handler. Each handler runs in a savepoint: a
    failing one is rolled back alone, the claim is released with a back-off, and receipts
    of the handlers that succeeded keep them from running again."""
    try:
        event = event_type(row.name).from_payload(row.payload)
    except Exception:  # an unknown or malformed event must not block the events behind it
        log.exception("cannot decode %s #%s", row.name, row.pk)
        _retry_later(row, f"decoding: {traceback.format_exc(limit=5)}")
        return False
    try:
        with transaction.atomic():
            now = timezone.now()
            claimed = fastsql.update_where_null(OutboxEvent, pk=row.pk, field="processed_at", value=now)
            if not claimed:
                return True  # another relay delivered it meanwhile
            # A first delivery has no receipts to read.
            done = set(row.receipts.values_list("handler", flat=True)) if row.attempts else set()
            todo = [(name, handler) for name, handler in handlers_for(row.name) if name not in done]
            # A savepoint per handler only where another handler's work must survive a
            # failure; a lone handler's failure rolls back the whole delivery, claim included.
            isolate = len(todo) > 1
            failure, succeeded = "", []
            for name, handler in todo:
                if not isolate:
                    handler(event)
                else:
                    try:
                        with transaction.atomic():
                            handler(event)
                    except Exception:
                        log.exception("handler %s failed on %s #%s", name, row.name, row.pk)
                        failure += f"{name}: {traceback.format_exc(limit=5)}\n"
                        continue
                succeeded.append(name)
            fastsql.insert_many(
                HandlerReceipt,
                [{"event": row.pk, "handler": name, "processed_at": now} for name in succeeded],
            )
            if failure:
                _retry_later(row, failure)
                return False
    except Exception:
        log.exception("delivering %s #%s failed", row.name, row.pk)
        _retry_later(row, traceback.format_exc(limit=5))
        return False
    return True


def _retry_later(row: OutboxEvent, failure: str) -> None:
    """Count the failed attempt and back off exponentially (2 s, 4 s, 8 s… at most an hour)."""
    attempts = row.attempts + 1
    backoff = dt.timedelta(seconds=min(2**attempts, 3600))
    OutboxEvent.objects.filter(pk=row.pk).update(
        attempts=attempts,
        available_at=timezone.now() + backoff,
        last_error=failure[-4000:],
        processed_at=None,
    )
    row.attempts = attempts


def run_pending_events() -> int:
    """Relay everything pending now, ignoring back-off; for tests and `kantoor worker --once`.

    Each event is tried once per call, oldest first; events that handlers publish meanwhile
    are relayed too. Failing events do not hide the ones behind them."""
    total, after = 0, 0
    while True:
        batch = list(
            OutboxEvent.objects.filter(
                processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS, pk__gt=after
            ).order_by("id")[:500]
        )
        if not batch:
            return total
        total += relay(batch)
        after = batch[-1].pk
