"""`kantoor ledger verify`: recompute what the ledger guarantees and name every entry that
breaks it — the hash chain per journal, the balance of each posted entry, gapless numbers
per sequence and fiscal year, the lines' copies of their entry's fields, and a trial
balance that sums to zero. Reads only; nothing is repaired.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from kantoor.core.models import Company, NumberSequence
from kantoor.finance import chain
from kantoor.finance.models import EntryState, Journal, JournalEntry, JournalLine

_NUMBER = re.compile(r"^(?P<prefix>.+)-(?P<year>\d{4})-(?P<n>\d+)$")
BATCH = 2000


@dataclass(frozen=True)
class Problem:
    company_id: int
    kind: str  # chain | hash | balance | numbering | line | trial-balance
    entry: str  # the entry's number ("" when the problem is not one entry's)
    message: str

    def __str__(self) -> str:
        where = _("entry %s: ") % self.entry if self.entry else ""
        return f"[{_('company')} {self.company_id}] {self.kind}: {where}{self.message}"


def ledger_verify(*, company_id: int | None = None) -> list[Problem]:
    companies = Company.objects.order_by("pk")
    if company_id is not None:
        companies = companies.filter(pk=company_id)
    problems: list[Problem] = []
    for company in companies:
        problems += _company_verify(company)
    return problems


def _company_verify(company: Company) -> list[Problem]:
    problems: list[Problem] = []

    def add(kind: str, entry: str, message: str) -> None:
        problems.append(Problem(company.pk, kind, entry, message))

    for journal in Journal.objects.filter(company=company).order_by("code"):
        numbers: dict[int, list[int]] = defaultdict(list)
        expected_previous, expected_position = chain.GENESIS, 1
        for entry, lines in _chained_entries(journal):
            label = entry["number"] or f"#{entry['id']}"
            if entry["state"] != EntryState.POSTED:
                add("chain", label, _("is in the chain of journal %s but not posted") % journal.code)
            if entry["chain_position"] != expected_position:
                add(
                    "chain",
                    label,
                    _("position %(position)s in journal %(journal)s, expected %(expected)s")
                    % {
                        "position": entry["chain_position"],
                        "journal": journal.code,
                        "expected": expected_position,
                    },
                )
            if entry["previous_hash"] != expected_previous:
                add("chain", label, _("its previous hash does not match the entry before it in the chain"))
            if chain.entry_hash(entry, lines, entry["previous_hash"]) != entry["hash"]:
                add("hash", label, _("its content does not match its hash: altered after posting"))
            expected_previous, expected_position = entry["hash"], entry["chain_position"] + 1
            match = _NUMBER.match(entry["number"])
            if match is None:
                add("numbering", label, _("the number does not follow the sequence's pattern"))
            else:
                numbers[int(match["year"])].append(int(match["n"]))
        unchained = JournalEntry.objects.filter(journal=journal, state=EntryState.POSTED, chain_position=None)
        for number in unchained.values_list("number", flat=True):
            add("chain", number, _("is posted but missing from the chain of journal %s") % journal.code)
        allocated = dict(
            NumberSequence.objects.filter(company=company, code=journal.sequence_code).values_list(
                "year", "next_number"
            )
        )
        for year in sorted(set(numbers) | set(allocated)):
            used = sorted(numbers.get(year, []))
            issued = allocated.get(year, 1) - 1
            where = {"journal": journal.code, "year": year}
            duplicates = sorted({n for n in used if used.count(n) > 1})
            missing = sorted(set(range(1, issued + 1)) - set(used))
            beyond = sorted(n for n in set(used) if n > issued)
            if duplicates:
                add(
                    "numbering",
                    "",
                    _("journal %(journal)s %(year)s: numbers used twice: %(numbers)s")
                    % {**where, "numbers": _few(duplicates)},
                )
            if missing:
                add(
                    "numbering",
                    "",
                    _("journal %(journal)s %(year)s: missing numbers: %(numbers)s")
                    % {**where, "numbers": _few(missing)},
                )
            if beyond:
                add(
                    "numbering",
                    "",
                    _("journal %(journal)s %(year)s: numbers never issued: %(numbers)s")
                    % {**where, "numbers": _few(beyond)},
                )

    for number, difference in _unbalanced(company):
        add("balance", number, _("debits and credits differ by %s") % difference)
    for number in _lines_out_of_step(company):
        add("line", number, _("a line's date, journal, state or company differs from its entry's"))
    total = _trial_balance_total(company)
    if total != 0:
        add("trial-balance", "", _("posted debits and credits differ by %s") % total)
    return problems


def _few(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:20])
    return shown + (_(" … (%d in all)") % len(numbers) if len(numbers) > 20 else "")


def _chained_entries(journal: Journal) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The journal's chained entries in chain order, each with its lines, in batches."""
    fields = (*chain.ENTRY_FIELDS, "state", "previous_hash", "hash")
    after = 0
    while True:
        batch = list(
            JournalEntry.objects.filter(journal=journal, chain_position__gt=after)
            .order_by("chain_position")
            .values(*fields)[:BATCH]
        )
        if not batch:
            return
        lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in JournalLine.objects.filter(entry_id__in=[e["id"] for e in batch]).values(
            "entry_id", *chain.LINE_FIELDS
        ):
            lines[line["entry_id"]].append(line)
        for entry in batch:
            yield entry, lines[entry["id"]]
        after = batch[-1]["chain_position"]


def _places(company: Company) -> int:
    from kantoor.core.money import currency_exponent

    return currency_exponent(company.base_currency)


def _unbalanced(company: Company) -> list[tuple[str, Any]]:
    # ROUND: SQLite sums decimals as floating point.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.number, ROUND(SUM(l.debit) - SUM(l.credit), %s) FROM finance_journalline l "
            "JOIN finance_journalentry e ON e.id = l.entry_id "
            "WHERE e.company_id = %s AND e.state = 'posted' GROUP BY e.id, e.number "
            "HAVING ROUND(SUM(l.debit) - SUM(l.credit), %s) <> 0 ORDER BY e.id",
            [_places(company), company.pk, _places(company)],
        )
        return list(cursor.fetchall())


def _lines_out_of_step(company: Company) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT e.number, e.id FROM finance_journalline l "
            "JOIN finance_journalentry e ON e.id = l.entry_id "
            "WHERE (e.company_id = %s OR l.company_id = %s) AND (l.state <> e.state OR l.date <> e.date "
            "OR l.journal_id <> e.journal_id OR l.company_id <> e.company_id) ORDER BY e.id",
            [company.pk, company.pk],
        )
        return [row[0] or f"#{row[1]}" for row in cursor.fetchall()]


def _trial_balance_total(company: Company) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ROUND(COALESCE(SUM(l.debit), 0) - COALESCE(SUM(l.credit), 0), %s) "
            "FROM finance_journalline l JOIN finance_journalentry e ON e.id = l.entry_id "
            "WHERE e.company_id = %s AND e.state = 'posted'",
            [_places(company), company.pk],
        )
        (total,) = cursor.fetchone() or (0,)
        return total or 0
