"""Fixtures of the web tests: plain static storage, parties built through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kantoor.parties import services


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    """WhiteNoise's manifest storage needs `collectstatic` first (and 404s every file under
    live_server, which runs with DEBUG=False): tests serve static files as they are."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_party() -> Callable[..., Any]:
    """make_party(actor, "Name", kind=…, roles=[…], …) through party_create."""

    def make(actor: Any, name: str, *, kind: str = "organisation", **fields: Any) -> Any:
        return services.party_create(actor=actor, kind=kind, name=name, **fields)

    return make
