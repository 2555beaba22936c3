"""The database refuses what the services refuse, whatever path the write takes: posted
entries and lines are immutable, an unbalanced or locked entry cannot become posted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from kantoor.finance import services
from kantoor.finance.models import EntryState, FinanceSettings, JournalEntry, JournalLine
from kantoor.finance.tests.conftest import YEAR, line

pytestmark = pytest.mark.django_db


def refused(write):
    """Run `write` in a savepoint and expect the database to refuse it."""
    with pytest.raises(DatabaseError), transaction.atomic():  # IntegrityError is a DatabaseError
        write()


def test_queryset_update_and_delete_of_a_posted_entry_are_refused(posted):
    entry = posted("40.00")
    refused(lambda: JournalEntry.objects.filter(pk=entry.pk).update(narration="edited"))
    refused(lambda: JournalEntry.objects.filter(pk=entry.pk).update(state=EntryState.DRAFT))
    refused(lambda: JournalEntry.objects.filter(pk=entry.pk).delete())
    assert JournalEntry.objects.get(pk=entry.pk).narration == ""


def test_queryset_update_delete_and_insert_of_posted_lines_are_refused(posted, acct):
    entry = posted("40.00")
    first = entry.lines.order_by("pk").first()
    refused(lambda: JournalLine.objects.filter(pk=first.pk).update(debit=Decimal("41.00")))
    refused(lambda: JournalLine.objects.filter(pk=first.pk).delete())
    refused(
        lambda: JournalLine.objects.create(
            entry=entry,
            company_id=entry.company_id,
            account=acct("6300"),
            debit=Decimal("1.00"),
            currency="EUR",
            amount_currency=Decimal("1.00"),
            date=entry.date,
            journal_id=entry.journal_id,
        )
    )
    assert list(entry.lines.values_list("debit", flat=True)) == [Decimal("40.00"), Decimal("0.00")]


def test_raw_sql_edits_are_refused(posted):
    entry = posted("40.00")

    def raw(sql, params):
        def write():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

        return write

    refused(raw("UPDATE finance_journalentry SET narration = %s WHERE id = %s", ["x", entry.pk]))
    refused(raw("UPDATE finance_journalline SET credit = 0, debit = 0 WHERE entry_id = %s", [entry.pk]))
    refused(raw("DELETE FROM finance_journalline WHERE entry_id = %s", [entry.pk]))


def test_the_database_refuses_to_post_an_unbalanced_entry(accountant, acct, journal):
    entry = services.entry_create(
        actor=accountant,
        journal_id=journal("GEN").pk,
        date=dt.date(YEAR, 3, 1),
        lines=[line(acct("6100"), debit="100.00"), line(acct("1000"), credit="99.99")],
    )
    refused(
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(
            state=EntryState.POSTED, number="GEN-X", chain_position=1, hash="f" * 64
        )
    )
    assert JournalEntry.objects.get(pk=entry.pk).state == EntryState.DRAFT


def test_the_database_refuses_to_post_on_or_before_the_lock_date(accountant, draft):
    entry = draft(on=dt.date(YEAR, 3, 1))
    FinanceSettings.objects.filter(company=accountant.company).update(lock_date=dt.date(YEAR, 3, 1))
    refused(
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(
            state=EntryState.POSTED, number="GEN-X", chain_position=1, hash="f" * 64
        )
    )


def test_an_entry_cannot_be_inserted_as_posted(accountant, journal):
    refused(
        lambda: JournalEntry.objects.create(
            company=accountant.company,
            journal=journal("GEN"),
            date=dt.date(YEAR, 3, 1),
            state=EntryState.POSTED,
            number="GEN-X",
            chain_position=99,
            hash="f" * 64,
        )
    )


def test_drafts_stay_editable_at_the_database_level(draft):
    entry = draft("10.00")
    assert JournalEntry.objects.filter(pk=entry.pk).update(narration="still a draft") == 1
    assert JournalLine.objects.filter(entry=entry).update(label="fine") == 2


def test_a_party_merge_repoints_posted_lines_and_the_ledger_still_verifies(
    accountant, admin_user, acct, journal
):
    from kantoor.finance.verify import ledger_verify
    from kantoor.parties.services import party_create, party_merge

    # given a customer entered twice, with a posted receivable on the duplicate
    original = party_create(actor=admin_user, kind="organisation", name="Bloemenhandel Visser")
    duplicate = party_create(
        actor=admin_user,
        kind="organisation",
        name="Bloemenhandel Visser B.V.",
        confirmed_duplicate_ids=[original.pk],
    )
    entry = services.entry_create(
        actor=accountant,
        journal_id=journal("SAL").pk,
        date=dt.date(YEAR, 3, 1),
        lines=[
            line(acct("1100"), debit="121.00", party_id=duplicate.pk),
            line(acct("4000"), credit="121.00"),
        ],
    )
    services.entry_post(actor=accountant, entry_id=entry.pk)
    # when the duplicate is merged into the original
    party_merge(actor=admin_user, source_id=duplicate.pk, target_id=original.pk)
    # then the receivable belongs to the original, and nothing else of the entry changed
    assert list(entry.lines.values_list("party_id", "debit")) == [
        (original.pk, Decimal("121.00")),
        (None, Decimal("0.00")),
    ]
    assert ledger_verify() == []
    # but a party's change may not carry any other column along
    refused(lambda: JournalLine.objects.filter(entry=entry).update(party=duplicate, label="moved"))
