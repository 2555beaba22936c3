"""References to parties that are not foreign keys (ids inside JSON, external systems).

Foreign keys to Party in any app are found and re-pointed by the merge automatically;
an app whose references are not foreign keys registers a callback here that moves them
and returns how many it moved.
"""

from __future__ import annotations

from collections.abc import Callable

MergeCallback = Callable[[int, int], int]
_extra: dict[str, MergeCallback] = {}


def register(label: str, callback: MergeCallback) -> None:
    _extra[label] = callback


def extra_references() -> list[tuple[str, MergeCallback]]:
    return list(_extra.items())
