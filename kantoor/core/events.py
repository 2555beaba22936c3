"""Domain events: frozen dataclasses, past tense, the public contract between apps.

Each app declares its events in its own `events.py` by subclassing `Event`; the class
registers itself under "<app label>.<ClassName>" so the outbox can rebuild it from a row.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, ClassVar, Self

_EVENT_TYPES: dict[str, type[Event]] = {}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    company_id: int | None
    # Stable across redeliveries: handlers use it to make their effects idempotent.
    event_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)

    event_name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        app = cls.__module__.split(".")[1] if cls.__module__.startswith("kantoor.") else cls.__module__
        cls.event_name = f"{app}.{cls.__name__}"
        _EVENT_TYPES[cls.event_name] = cls

    def to_payload(self) -> dict[str, Any]:
        # Fields hold plain JSON values (ids, text, lists of text): a shallow copy suffices,
        # and every service call pays for this, unlike dataclasses.asdict's deep copy.
        return {name: getattr(self, name) for name in _field_names(type(self))}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        names = _field_names(cls)
        return cls(**{k: v for k, v in payload.items() if k in names})


_FIELD_NAMES: dict[type[Event], frozenset[str]] = {}


def _field_names(cls: type[Event]) -> frozenset[str]:
    # A dict rather than functools.cache: mypy cannot see that a frozen dataclass's class is hashable.
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


def event_type(name: str) -> type[Event]:
    return _EVENT_TYPES[name]


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserCreated(Event):
    user_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class TeamChanged(Event):
    team_id: int
