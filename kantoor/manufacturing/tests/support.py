"""`nothing_written()` over every Kantoor table (core's helper covers core and parties only)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps


def _rows() -> dict[str, list[dict[str, Any]]]:
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if not model.__module__.startswith("kantoor.") and model._meta.app_label != "manufacturing":
            continue
        values = list(model._default_manager.order_by("pk").values())
        if model._meta.label_lower == "core.apitoken":
            for row in values:
                row.pop("last_used_at")
        rows[model._meta.label_lower] = values
    return rows


@contextmanager
def nothing_written() -> Iterator[None]:
    """Assert that the block changed no row of any Kantoor table (outbox and audit too)."""
    before = _rows()
    yield
    after = _rows()
    changed = sorted(label for label in before if before[label] != after[label])
    assert not changed, f"rows changed: {changed}"
