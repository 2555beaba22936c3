"""`kantoor ledger verify` names every entry altered behind the application's back."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from kantoor.finance import triggers
from kantoor.finance.models import JournalEntry
from kantoor.finance.verify import ledger_verify

pytestmark = pytest.mark.django_db


def behind_the_apps_back(sql, params):
    """A raw edit with the guard triggers dropped (the test's transaction restores them)."""
    with connection.cursor() as cursor:
        for statement in triggers.drop_statements(connection.vendor):
            cursor.execute(statement)
        cursor.execute(sql, params)


@pytest.fixture
def five(posted):
    return [posted(f"{10 + i}.00") for i in range(5)]


def test_an_untouched_ledger_has_no_problem(five, accountant):
    from kantoor.finance import services

    services.entry_reverse(actor=accountant, entry_id=five[2].pk)
    assert ledger_verify() == []
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.parametrize("where", [0, 2, 4], ids=["head", "middle", "tail"])
@pytest.mark.parametrize(
    ("sql", "kinds"),
    [
        ("UPDATE finance_journalentry SET narration = 'cooked' WHERE id = %s", {"hash"}),
        ("UPDATE finance_journalentry SET date = '2026-03-16' WHERE id = %s", {"hash", "line"}),
        ("UPDATE finance_journalentry SET reference = 'X' WHERE id = %s", {"hash"}),
        (
            "UPDATE finance_journalline SET debit = debit + 1 WHERE entry_id = %s AND debit > 0",
            {"hash", "balance", "trial-balance"},
        ),
        (
            "UPDATE finance_journalline SET debit = credit, credit = debit WHERE entry_id = %s",
            {"hash"},
        ),
    ],
    ids=["narration", "date", "reference", "amount", "swapped sides"],
)
def test_a_raw_edit_is_detected_and_named(five, where, sql, kinds):
    target = five[where]
    behind_the_apps_back(sql, [target.pk])

    problems = ledger_verify()

    assert {p.kind for p in problems} == kinds
    named = {p.entry for p in problems if p.entry}
    assert named == {target.number}


def test_a_rewritten_hash_breaks_the_link_to_the_next_entry(five):
    behind_the_apps_back(
        "UPDATE finance_journalentry SET narration = 'cooked', hash = %s WHERE id = %s",
        ["0" * 64, five[1].pk],
    )
    problems = {(p.kind, p.entry) for p in ledger_verify()}
    assert problems == {("hash", five[1].number), ("chain", five[2].number)}


def test_a_deleted_entry_leaves_a_gap_in_numbers_and_chain(five):
    behind_the_apps_back("DELETE FROM finance_openitem WHERE entry_id = %s", [five[2].pk])
    behind_the_apps_back("DELETE FROM finance_journalline WHERE entry_id = %s", [five[2].pk])
    behind_the_apps_back("DELETE FROM finance_journalentry WHERE id = %s", [five[2].pk])
    problems = [str(p) for p in ledger_verify()]
    assert any("missing numbers: 3" in p for p in problems)
    assert any(five[3].number in p and "chain" in p for p in problems)


def test_the_command_prints_the_problems_and_exits_with_status_1(five):
    behind_the_apps_back("UPDATE finance_journalentry SET narration = 'cooked' WHERE id = %s", [five[4].pk])
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("ledger", "verify", stdout=out)
    assert failed.value.returncode == 1
    assert f"entry {five[4].number}: its content does not match its hash" in out.getvalue()
    assert JournalEntry.objects.filter(narration="cooked").count() == 1
