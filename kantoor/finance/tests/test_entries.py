"""Journal entries from draft to posted and reversed: the service's rules, exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kantoor.core.errors import StaleVersionError
from kantoor.core.models import AuditEntry, NumberSequence, OutboxEvent
from kantoor.core.services import exchange_rate_set
from kantoor.finance import chain, selectors, services
from kantoor.finance.errors import EntryInvalidError, EntryStateError, EntryUnbalancedError, PeriodLockedError
from kantoor.finance.models import EntryState, FiscalYear, JournalEntry, JournalLine, Period
from kantoor.finance.tests.conftest import YEAR, line

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything a refused write must leave as it was."""
    return (
        list(JournalEntry.objects.order_by("pk").values()),
        list(JournalLine.objects.order_by("pk").values()),
        list(NumberSequence.objects.order_by("pk").values()),
        OutboxEvent.objects.count(),
    )


def test_entry_create_makes_an_unnumbered_draft(accountant, draft, acct):
    entry = draft("120.50", narration="Office rent March")

    assert (entry.state, entry.number, entry.version, entry.hash) == ("draft", "", 1, "")
    lines = list(
        entry.lines.values_list("account__code", "debit", "credit", "currency", "amount_currency", "state")
    )
    assert lines == [
        ("6100", Decimal("120.50"), Decimal("0.00"), "EUR", Decimal("120.50"), "draft"),
        ("1000", Decimal("0.00"), Decimal("120.50"), "EUR", Decimal("-120.50"), "draft"),
    ]
    assert not OutboxEvent.objects.filter(name__startswith="finance.").exists()


def test_entry_post_numbers_chains_and_publishes(accountant, posted, journal):
    first = posted("100.00")
    second = posted("25.00")

    assert (first.state, first.number, first.chain_position, first.previous_hash) == (
        "posted",
        "GEN-2026-00001",
        1,
        chain.GENESIS,
    )
    assert (second.number, second.chain_position, second.previous_hash) == ("GEN-2026-00002", 2, first.hash)
    assert len(first.hash) == 64
    assert first.posted_by == accountant
    assert set(JournalLine.objects.values_list("state", flat=True)) == {"posted"}
    payloads = list(
        OutboxEvent.objects.filter(name="finance.EntryPosted")
        .order_by("pk")
        .values_list("payload", flat=True)
    )
    assert [(p["number"], p["date"]) for p in payloads] == [
        ("GEN-2026-00001", "2026-03-15"),
        ("GEN-2026-00002", "2026-03-15"),
    ]
    assert AuditEntry.objects.filter(action="finance.entry_post").count() == 2


def test_numbers_are_per_journal_and_fiscal_year(accountant, posted):
    services.fiscal_year_create(actor=accountant, year=YEAR + 1)
    numbers = [
        posted(on=dt.date(YEAR, 5, 1)).number,
        posted(journal_code="BNK").number,
        posted(on=dt.date(YEAR + 1, 1, 2)).number,
        posted(on=dt.date(YEAR, 6, 1)).number,
    ]
    assert numbers == ["GEN-2026-00001", "BNK-2026-00001", "GEN-2027-00001", "GEN-2026-00002"]


def test_deleted_drafts_consume_no_number(accountant, draft, posted):
    doomed = draft()
    services.entry_delete(actor=accountant, entry_id=doomed.pk, version=1)
    assert posted().number == "GEN-2026-00001"
    assert not JournalEntry.objects.filter(pk=doomed.pk).exists()


def test_an_unbalanced_entry_is_refused_and_nothing_changes(accountant, acct, journal):
    entry = services.entry_create(
        actor=accountant,
        journal_id=journal("GEN").pk,
        date=dt.date(YEAR, 3, 1),
        lines=[line(acct("6100"), debit="100.00"), line(acct("1000"), credit="99.99")],
    )
    before = snapshot()
    with pytest.raises(EntryUnbalancedError) as refused:
        services.entry_post(actor=accountant, entry_id=entry.pk)
    assert refused.value.message == "Debits (100.00) and credits (99.99) differ by 0.01."
    assert snapshot() == before


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"debit": "-5"}, "lines[0].debit", "Cannot be negative."),
        ({"debit": "5", "credit": "5"}, "lines[0].credit", "A line has a debit or a credit, not both."),
        ({"debit": "0"}, "lines[0].debit", "A line needs a debit or a credit."),
        ({"debit": "1.005"}, "lines[0].debit", "At most 2 decimals."),
        ({"debit": 1.5}, "lines[0].debit", "Give amounts as decimals, not floating point numbers."),
        ({"debit": "abc"}, "lines[0].debit", "Not a number."),
        # 14 digits before the point: the amount-in-currency column must hold it on PostgreSQL.
        ({"debit": "100000000000000"}, "lines[0].debit", "Too large."),
        ({"debit": "5", "account_id": 0}, "lines[0].account_id", "Unknown account."),
        ({"debit": "5", "party_id": 0}, "lines[0].party_id", "Unknown party."),
        ({"debit": "5", "currency": "USD", "amount_currency": "6"}, "lines[0].currency", None),
    ],
)
def test_bad_lines_are_named_and_nothing_is_written(accountant, acct, journal, given, field, message):
    first = {"account_id": acct("6100").pk, **given}
    before = snapshot()
    with pytest.raises(EntryInvalidError) as refused:
        services.entry_create(
            actor=accountant,
            journal_id=journal("GEN").pk,
            date=dt.date(YEAR, 3, 1),
            lines=[first, line(acct("1000"), credit="5")],
        )
    assert field in refused.value.field_errors
    if message:
        assert refused.value.field_errors[field] == [message]
    assert snapshot() == before


def test_an_archived_account_cannot_be_posted_to(accountant, draft, acct):
    entry = draft()
    acct("6100").__class__.objects.filter(pk=acct("6100").pk).update(is_active=False)
    with pytest.raises(EntryInvalidError) as refused:
        services.entry_post(actor=accountant, entry_id=entry.pk)
    assert refused.value.field_errors == {"lines[0].account_id": ["Account 6100 is archived."]}


@pytest.mark.parametrize("how", ["closed period", "closed year", "lock date", "no fiscal year"])
def test_posting_into_a_locked_date_is_refused(accountant, draft, how):
    on = dt.date(YEAR, 3, 15)
    if how == "closed period":
        services.period_close(actor=accountant, period_id=Period.objects.get(number=3).pk)
    elif how == "closed year":
        # Closing a fiscal year is not built yet; the flag is honoured already.
        FiscalYear.objects.update(is_closed=True)
    elif how == "lock date":
        services.lock_date_set(actor=accountant, lock_date=on)
    else:
        on = dt.date(YEAR + 5, 1, 1)
    entry = draft(on=on)
    before = snapshot()
    with pytest.raises(PeriodLockedError) as refused:
        services.entry_post(actor=accountant, entry_id=entry.pk)
    assert "date" in refused.value.field_errors
    assert snapshot() == before


def test_entry_update_replaces_lines_and_refuses_a_stale_version(accountant, draft, acct):
    entry = draft("10.00")
    updated = services.entry_update(
        actor=accountant,
        entry_id=entry.pk,
        version=1,
        narration="Corrected",
        lines=[line(acct("6300"), debit="12.00"), line(acct("1010"), credit="12.00")],
    )
    assert (updated.version, updated.narration) == (2, "Corrected")
    assert list(updated.lines.values_list("account__code", "debit", "credit")) == [
        ("6300", Decimal("12.00"), Decimal("0.00")),
        ("1010", Decimal("0.00"), Decimal("12.00")),
    ]
    before = snapshot()
    with pytest.raises(StaleVersionError):
        services.entry_update(actor=accountant, entry_id=entry.pk, version=1, narration="Lost update")
    assert snapshot() == before


def test_a_posted_entry_cannot_be_changed_or_deleted_through_the_services(accountant, posted):
    entry = posted()
    before = snapshot()
    with pytest.raises(EntryStateError):
        services.entry_update(actor=accountant, entry_id=entry.pk, version=entry.version, narration="x")
    with pytest.raises(EntryStateError):
        services.entry_delete(actor=accountant, entry_id=entry.pk)
    with pytest.raises(EntryStateError):
        services.entry_post(actor=accountant, entry_id=entry.pk)
    assert snapshot() == before


def test_entry_reverse_posts_the_mirror_entry_once(accountant, posted, acct):
    original = posted("80.00")

    reversal = services.entry_reverse(actor=accountant, entry_id=original.pk, date=dt.date(YEAR, 4, 1))

    assert (reversal.state, reversal.number, reversal.reversal_of_id, reversal.date) == (
        "posted",
        "GEN-2026-00002",
        original.pk,
        dt.date(YEAR, 4, 1),
    )
    assert reversal.narration == "Reversal of GEN-2026-00001"
    assert list(reversal.lines.values_list("account__code", "debit", "credit", "amount_currency")) == [
        ("6100", Decimal("0.00"), Decimal("80.00"), Decimal("-80.00")),
        ("1000", Decimal("80.00"), Decimal("0.00"), Decimal("80.00")),
    ]
    assert selectors.account_balances(company_id=accountant.company_id) == {
        acct("6100").pk: Decimal("0.00"),
        acct("1000").pk: Decimal("0.00"),
    }
    event = OutboxEvent.objects.get(name="finance.EntryReversed")
    assert (event.payload["number"], event.payload["reversal_number"]) == ("GEN-2026-00001", "GEN-2026-00002")
    before = snapshot()
    with pytest.raises(EntryStateError):
        services.entry_reverse(actor=accountant, entry_id=original.pk)
    assert snapshot() == before


def test_a_draft_cannot_be_reversed_nor_reversed_into_a_locked_date(accountant, draft, posted):
    with pytest.raises(EntryStateError):
        services.entry_reverse(actor=accountant, entry_id=draft().pk)
    entry = posted(on=dt.date(YEAR, 2, 10))
    services.lock_date_set(actor=accountant, lock_date=dt.date(YEAR, 2, 28))
    before = snapshot()
    with pytest.raises(PeriodLockedError):
        services.entry_reverse(actor=accountant, entry_id=entry.pk)
    assert snapshot() == before
    reversal = services.entry_reverse(actor=accountant, entry_id=entry.pk, date=dt.date(YEAR, 3, 1))
    assert reversal.state == EntryState.POSTED


def test_a_foreign_currency_line_is_converted_at_the_rate_of_the_date(accountant, admin_user, acct, journal):
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(YEAR, 1, 1), rate=Decimal("1.25"))
    entry = services.entry_create(
        actor=accountant,
        journal_id=journal("PUR").pk,
        date=dt.date(YEAR, 3, 1),
        lines=[
            line(acct("6300"), debit="80.00"),
            {"account_id": acct("2000").pk, "currency": "USD", "amount_currency": "-100.00"},
        ],
    )
    posted = services.entry_post(actor=accountant, entry_id=entry.pk)
    usd = posted.lines.get(currency="USD")
    assert (usd.debit, usd.credit, usd.amount_currency, usd.rate) == (
        Decimal("0.00"),
        Decimal("80.00"),
        Decimal("-100.000000"),
        Decimal("1.2500000000"),
    )


def test_redating_a_draft_converts_its_foreign_lines_at_the_new_rate(accountant, admin_user, acct, journal):
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(YEAR, 1, 1), rate=Decimal("1.25"))
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(YEAR, 6, 1), rate=Decimal("1.10"))
    entry = services.entry_create(
        actor=accountant,
        journal_id=journal("BNK").pk,
        date=dt.date(YEAR, 3, 1),
        lines=[
            {"account_id": acct("1000").pk, "currency": "USD", "amount_currency": "110.00"},
            {"account_id": acct("1100").pk, "currency": "USD", "amount_currency": "-110.00"},
        ],
    )
    assert list(entry.lines.values_list("debit", "credit")) == [
        (Decimal("88.00"), Decimal("0.00")),
        (Decimal("0.00"), Decimal("88.00")),
    ]
    services.entry_update(actor=accountant, entry_id=entry.pk, version=1, date=dt.date(YEAR, 6, 2))
    assert list(entry.lines.values_list("debit", "credit", "rate", "date")) == [
        (Decimal("100.00"), Decimal("0.00"), Decimal("1.1000000000"), dt.date(YEAR, 6, 2)),
        (Decimal("0.00"), Decimal("100.00"), Decimal("1.1000000000"), dt.date(YEAR, 6, 2)),
    ]


def test_the_trial_balance_sums_per_account_in_sql(accountant, posted, acct):
    posted("100.10", debit="6100", credit="1000")
    posted("0.20", debit="6100", credit="1000")
    posted("50.00", debit="1000", credit="4000")
    rows = {
        row.code: (row.debit, row.credit) for row in selectors.trial_balance(company_id=accountant.company_id)
    }
    assert rows == {
        "1000": (Decimal("50.00"), Decimal("100.30")),
        "4000": (Decimal("0.00"), Decimal("50.00")),
        "6100": (Decimal("100.30"), Decimal("0.00")),
    }
