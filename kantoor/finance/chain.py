"""The tamper-evident chain of posted entries: SHA-256 over a canonical serialisation of
an entry and its lines plus the hash of the entry before it in the same journal.

The serialisation is JSON with sorted keys, amounts as fixed-point strings and dates in
ISO form, so the same content always gives the same bytes whichever database stored it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

GENESIS = ""  # the previous hash of a journal's first posted entry

# A line's party is not hashed: a party merge re-points posted lines to the surviving party
# (audited by the merge); everything that makes up the amounts, accounts and dates is.

ENTRY_FIELDS = (
    "id",
    "company_id",
    "journal_id",
    "number",
    "date",
    "reference",
    "narration",
    "reversal_of_id",
    "chain_position",
)
LINE_FIELDS = (
    "id",
    "account_id",
    "label",
    "debit",
    "credit",
    "currency",
    "amount_currency",
    "rate",
    "due_date",
    "tax_tag",
)
_PLACES = {"debit": 2, "credit": 2, "amount_currency": 6, "rate": 10}
_QUANTUM = {name: Decimal(1).scaleb(-places) for name, places in _PLACES.items()}


def _plain(name: str, value: Any) -> Any:
    if value is None:
        return None
    quantum = _QUANTUM.get(name)
    if quantum is not None:
        # SQLite keeps decimals as REAL: fix the places so the text never depends on storage.
        exact = value if type(value) is Decimal else Decimal(str(value))
        return f"{exact.quantize(quantum):f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def canonical(entry: Mapping[str, Any], lines: Iterable[Mapping[str, Any]], previous_hash: str) -> bytes:
    """The bytes that are hashed: the entry's fields, its lines in id order, the previous hash."""
    document = {
        "entry": {name: _plain(name, entry[name]) for name in ENTRY_FIELDS},
        "lines": [
            {name: _plain(name, line[name]) for name in LINE_FIELDS}
            for line in sorted(lines, key=lambda line: line["id"])
        ],
        "previous_hash": previous_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any], lines: Iterable[Mapping[str, Any]], previous_hash: str) -> str:
    return hashlib.sha256(canonical(entry, lines, previous_hash)).hexdigest()
