"""Fixtures of the web tests: plain static storage, parties built through services."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def party_form_data(
    *,
    contact_points: Sequence[dict[str, Any]] = (),
    addresses: Sequence[dict[str, Any]] = (),
    **fields: Any,
) -> dict[str, Any]:
    """The POST body of the party form: its fields plus both row formsets."""
    data: dict[str, Any] = {"kind": "organisation", "name": "", "language": "en", **fields}
    for prefix, rows in (("contact_points", contact_points), ("addresses", addresses)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{index}-{key}"] = value
    return {k: v for k, v in data.items() if v is not None}
