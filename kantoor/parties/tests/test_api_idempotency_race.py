"""Two retries of one request racing each other on PostgreSQL: both are past the key
lookup before either has written, yet one party is created and both callers get the same
answer — the loser's whole transaction is rolled back by the unique (user, key) row."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from kantoor.core.models import IdempotencyRecord, OutboxEvent
from kantoor.core.tests.api_support import Api, token_for
from kantoor.parties import services
from kantoor.parties.models import Party


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_party(
    salesperson: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_for(salesperson)
    both_looked_up = threading.Barrier(2, timeout=20)
    real_create = services.party_create

    def create_after_both_looked_up(**kwargs: Any) -> Any:
        both_looked_up.wait()
        return real_create(**kwargs)

    monkeypatch.setattr(services, "party_create", create_after_both_looked_up)
    responses: list[Any] = []
    errors: list[BaseException] = []

    def retry() -> None:
        try:
            responses.append(
                Api(Client(), token).post("/parties", {"kind": "organisation", "name": "Acme"}, key="r")
            )
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].content == responses[1].content
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
    assert Party.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert OutboxEvent.objects.filter(name="parties.PartyCreated").count() == 1
