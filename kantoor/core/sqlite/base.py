"""Django's SQLite backend, with one change: the conversion of a statement's "%s"
placeholders to SQLite's "?" is cached per statement text.

Django converts every statement with a regular expression before SQLite sees it. The hot
paths (posting an invoice, registering a payment) send the same few dozen statements over
and over, several of them long multi-row INSERTs, and on them that conversion cost more
than a tenth of the whole service call. The conversion itself is Django's own.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db.backends.sqlite3 import base


@functools.lru_cache(maxsize=2048)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return _qmark(query)
        # (django-stubs do not declare convert_query.)
        return str(super().convert_query(query, param_names=param_names))  # type: ignore[misc]


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: Any = None) -> SQLiteCursorWrapper:
        return self.connection.cursor(factory=SQLiteCursorWrapper)
