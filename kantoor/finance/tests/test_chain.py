"""The chain's canonical form is fixed: every posted entry's stored hash depends on it, so
a change to it would make `ledger verify` report every existing entry as altered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kantoor.finance import chain

ENTRY = {
    "id": 7,
    "company_id": 1,
    "journal_id": 2,
    "number": "VK-2026-00007",
    "date": dt.date(2026, 3, 31),
    "reference": "INV-2026-00007 PO-1",
    "narration": "Acme B.V.",
    "reversal_of_id": None,
    "chain_position": 7,
}


def _line(
    line_id: int, debit: object, credit: object, amount_currency: object, rate: object
) -> dict[str, object]:
    return {
        "id": line_id,
        "account_id": 20 + line_id,
        "label": f"line {line_id}",
        "debit": debit,
        "credit": credit,
        "currency": "EUR",
        "amount_currency": amount_currency,
        "rate": rate,
        "due_date": dt.date(2026, 4, 30) if line_id == 12 else None,
        "tax_tag": "1a" if line_id != 12 else "",
    }


# As posting holds them (Decimals of any exponent), as SQLite reads them back (floats, ints)
# and as text: the same entry.
AS_GIVEN = [
    _line(12, Decimal("1210.00"), Decimal(0), Decimal("1210.000000"), Decimal(1)),
    _line(11, Decimal(0), Decimal("1000"), Decimal("-1000"), Decimal("1.0000000000")),
    _line(13, Decimal("0.00"), Decimal("210.0"), Decimal("-210.00"), Decimal(1)),
]
AS_READ = [
    _line(12, 1210.0, 0, 1210.0, 1),
    _line(11, 0.0, 1000.0, -1000.0, 1.0),
    _line(13, "0", "210.00", "-210", "1"),
]


def test_the_canonical_form_is_fixed_and_independent_of_how_amounts_are_held() -> None:
    expected = (
        '{"entry":{"chain_position":7,"company_id":1,"date":"2026-03-31","id":7,"journal_id":2,'
        '"narration":"Acme B.V.","number":"VK-2026-00007","reference":"INV-2026-00007 PO-1",'
        '"reversal_of_id":null},"lines":['
        '{"account_id":31,"amount_currency":"-1000.000000","credit":"1000.00","currency":"EUR",'
        '"debit":"0.00","due_date":null,"id":11,"label":"line 11","rate":"1.0000000000","tax_tag":"1a"},'
        '{"account_id":32,"amount_currency":"1210.000000","credit":"0.00","currency":"EUR",'
        '"debit":"1210.00","due_date":"2026-04-30","id":12,"label":"line 12","rate":"1.0000000000",'
        '"tax_tag":""},'
        '{"account_id":33,"amount_currency":"-210.000000","credit":"210.00","currency":"EUR",'
        '"debit":"0.00","due_date":null,"id":13,"label":"line 13","rate":"1.0000000000","tax_tag":"1a"}],'
        '"previous_hash":"abc"}'
    )

    assert chain.canonical(ENTRY, AS_GIVEN, "abc").decode() == expected
    assert chain.canonical(ENTRY, AS_READ, "abc").decode() == expected
    assert chain.entry_hash(ENTRY, AS_GIVEN, "abc") == chain.entry_hash(ENTRY, AS_READ, "abc")
