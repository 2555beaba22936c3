"""The Dutch VAT return from posted lines: every box with exact figures, the form's whole
euros rounded in the taxpayer's favour, credit notes lowering the sales boxes, drafts and
lines outside the period left out, unknown tags listed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kantoor.core.errors import PermissionDeniedError
from kantoor.finance import services, vat
from kantoor.finance.models import Account, Journal, JournalEntry

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def _line(company: Any, code: str, debit: str = "0", credit: str = "0", tag: str = "") -> services.LineIn:
    account = Account.objects.get(company=company, code=code)
    return services.LineIn(account_id=account.pk, debit=D(debit), credit=D(credit), tax_tag=tag)


def book(actor: Any, on: dt.date, lines: list[services.LineIn], *, post: bool = True) -> JournalEntry:
    journal = Journal.objects.get(company_id=actor.company_id, code="GEN")
    entry = services.entry_create(actor=actor, journal_id=journal.pk, date=on, lines=lines)
    return services.entry_post(actor=actor, entry_id=entry.pk) if post else entry


def book_every_box(actor: Any) -> None:
    """March 2026: a sale in every sales box, a credit note, reverse-charged and imported
    purchases and a domestic purchase; outside March and as a draft, more that must not count."""
    c = actor.company
    sales = [
        ("1a", "1000.40", "210.08"),
        ("1b", "200.70", "18.06"),
        ("1c", "100.99", "5.05"),
        ("1d", "50.50", "10.61"),
        ("1e", "300.25", ""),
        ("3a", "400.80", ""),
        ("3b", "500.90", ""),
        ("3c", "60.60", ""),
    ]
    lines = []
    total = D(0)
    for box, base, tax in sales:
        lines.append(_line(c, "4000", credit=base, tag=f"{box}-base"))
        total += D(base)
        if tax:
            lines.append(_line(c, "2100", credit=tax, tag=f"{box}-tax"))
            total += D(tax)
    book(actor, dt.date(2026, 3, 10), [_line(c, "1100", debit=str(total)), *lines])
    # A credit note: the sale's signs reversed.
    book(
        actor,
        dt.date(2026, 3, 12),
        [
            _line(c, "4000", debit="100.10", tag="1a-base"),
            _line(c, "2100", debit="21.02", tag="1a-tax"),
            _line(c, "1100", credit="121.12"),
        ],
    )
    # Reverse charge (2a), import from outside (4a) and inside the EU (4b): base and VAT due,
    # the same VAT deductible (5b).
    for box, base, tax in (("2a", "150.55", "31.62"), ("4a", "700.33", "147.07"), ("4b", "80.20", "16.84")):
        book(
            actor,
            dt.date(2026, 3, 15),
            [
                _line(c, "6300", debit=base, tag=f"{box}-base"),
                _line(c, "2000", credit=base),
                _line(c, "1300", debit=tax, tag="5b-tax"),
                _line(c, "2100", credit=tax, tag=f"{box}-tax"),
            ],
        )
    book(
        actor,
        dt.date(2026, 3, 31),
        [
            _line(c, "6300", debit="100.00"),
            _line(c, "1300", debit="21.00", tag="5b-tax"),
            _line(c, "2000", credit="121.00"),
        ],
    )
    # Not in March's return: a draft, and sales on 28 February and 1 April.
    book(
        actor,
        dt.date(2026, 3, 20),
        [
            _line(c, "1100", debit="6050"),
            _line(c, "4000", credit="5000", tag="1a-base"),
            _line(c, "2100", credit="1050", tag="1a-tax"),
        ],
        post=False,
    )
    for day in (dt.date(2026, 2, 28), dt.date(2026, 4, 1)):
        book(
            actor,
            day,
            [
                _line(c, "1100", debit="1210"),
                _line(c, "4000", credit="1000", tag="1a-base"),
                _line(c, "2100", credit="210", tag="1a-tax"),
            ],
        )


EXACT = {
    "1a": (D("900.30"), D("189.06")),
    "1b": (D("200.70"), D("18.06")),
    "1c": (D("100.99"), D("5.05")),
    "1d": (D("50.50"), D("10.61")),
    "1e": (D("300.25"), None),
    "2a": (D("150.55"), D("31.62")),
    "3a": (D("400.80"), None),
    "3b": (D("500.90"), None),
    "3c": (D("60.60"), None),
    "4a": (D("700.33"), D("147.07")),
    "4b": (D("80.20"), D("16.84")),
    "5a": (None, D("418.31")),
    "5b": (None, D("216.53")),
    "5c": (None, D("201.78")),
    "5d": (None, D("0.00")),
    "5e": (None, D("0.00")),
    "5f": (None, D("0.00")),
    "5g": (None, D("201.78")),
}

ROUNDED = {
    "1a": (D(900), D(189)),
    "1b": (D(200), D(18)),
    "1c": (D(100), D(5)),
    "1d": (D(50), D(10)),
    "1e": (D(300), None),
    "2a": (D(150), D(31)),
    "3a": (D(400), None),
    "3b": (D(500), None),
    "3c": (D(60), None),
    "4a": (D(700), D(147)),
    "4b": (D(80), D(16)),
    "5a": (None, D(416)),
    "5b": (None, D(217)),  # input VAT rounds up: in the taxpayer's favour
    "5c": (None, D(199)),
    "5d": (None, D(0)),
    "5e": (None, D(0)),
    "5f": (None, D(0)),
    "5g": (None, D(199)),
}


def _figures(result: vat.VatReturn) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    return {box.code: (box.base, box.tax) for box in result.boxes}


def test_every_box_exact(accountant: Any, ledger: Any) -> None:
    book_every_box(accountant)
    result = vat.vat_return(company_id=ledger.pk, date_from=MARCH[0], date_to=MARCH[1])
    assert _figures(result) == EXACT
    assert [box.code for box in result.boxes] == list(EXACT)
    assert result.total == D("201.78")
    assert result.currency == "EUR"
    assert not result.is_rounded
    assert result.unknown_tag_count == 0
    assert result.box("1a").label_nl == "Leveringen/diensten belast met hoog tarief"
    assert result.box("1a").label == "Supplies/services taxed at the standard rate"


def test_rounded_whole_euros_and_5g_from_rounded_figures(accountant: Any, ledger: Any) -> None:
    book_every_box(accountant)
    result = vat.vat_return(company_id=ledger.pk, date_from=MARCH[0], date_to=MARCH[1]).rounded()
    assert result.is_rounded
    assert _figures(result) == ROUNDED
    assert result.rounded() is result


def test_estimates_fill_5e_and_5f(accountant: Any, ledger: Any) -> None:
    book_every_box(accountant)
    result = vat.vat_return(
        company_id=ledger.pk,
        date_from=MARCH[0],
        date_to=MARCH[1],
        previous_estimate=D("10"),
        this_estimate=D("-3.50"),
    )
    assert (result.box("5e").tax, result.box("5f").tax) == (D("10.00"), D("-3.50"))
    assert result.total == D("208.28")
    rounded = result.rounded()
    assert (rounded.box("5e").tax, rounded.box("5f").tax) == (D(10), D(-4))
    assert rounded.total == D(205)


def test_refund_is_negative(accountant: Any, ledger: Any) -> None:
    c = accountant.company
    book(
        accountant,
        dt.date(2026, 3, 5),
        [
            _line(c, "6300", debit="1000.00"),
            _line(c, "1300", debit="210.01", tag="5b-tax"),
            _line(c, "2000", credit="1210.01"),
        ],
    )
    result = vat.vat_return(company_id=ledger.pk, date_from=MARCH[0], date_to=MARCH[1])
    assert (result.box("5a").tax, result.box("5b").tax, result.total) == (
        D("0.00"),
        D("210.01"),
        D("-210.01"),
    )
    assert result.rounded().total == D(-211)


def test_credit_note_only_gives_negative_sales_boxes(accountant: Any, ledger: Any) -> None:
    c = accountant.company
    sale = book(
        accountant,
        dt.date(2026, 2, 10),
        [
            _line(c, "1100", debit="121.00"),
            _line(c, "4000", credit="100.00", tag="1a-base"),
            _line(c, "2100", credit="21.00", tag="1a-tax"),
        ],
    )
    # A reversal dated in March keeps the tags with swapped sides.
    services.entry_reverse(actor=accountant, entry_id=sale.pk, date=dt.date(2026, 3, 2))
    result = vat.vat_return(company_id=ledger.pk, date_from=MARCH[0], date_to=MARCH[1])
    assert (result.box("1a").base, result.box("1a").tax, result.total) == (
        D("-100.00"),
        D("-21.00"),
        D("-21.00"),
    )
    rounded = result.rounded()
    assert (rounded.box("1a").base, rounded.box("1a").tax, rounded.total) == (D(-100), D(-21), D(-21))
    february_and_march = vat.vat_return(company_id=ledger.pk, date_from=dt.date(2026, 2, 1), date_to=MARCH[1])
    assert (february_and_march.box("1a").base, february_and_march.total) == (D("0.00"), D("0.00"))


def test_date_range_is_inclusive(accountant: Any, ledger: Any) -> None:
    book_every_box(accountant)
    first_day = vat.vat_return(
        company_id=ledger.pk, date_from=dt.date(2026, 2, 28), date_to=dt.date(2026, 2, 28)
    )
    assert (first_day.box("1a").base, first_day.box("1a").tax, first_day.total) == (
        D("1000.00"),
        D("210.00"),
        D("210.00"),
    )
    april = vat.vat_return(company_id=ledger.pk, date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 4, 30))
    assert april.total == D("210.00")
    quarter = vat.vat_return(
        company_id=ledger.pk, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31)
    )
    assert quarter.box("1a").base == D("1900.30")


def test_unknown_tags_are_listed(accountant: Any, ledger: Any) -> None:
    c = accountant.company
    entry = book(
        accountant,
        dt.date(2026, 3, 5),
        [_line(c, "1100", debit="50.00"), _line(c, "4000", credit="50.00", tag="9z-base")],
    )
    result = vat.vat_return(company_id=ledger.pk, date_from=MARCH[0], date_to=MARCH[1])
    assert result.total == D("0.00")
    assert result.unknown_tag_count == 1
    (line,) = result.unknown_tag_lines
    assert (line.entry_id, line.entry_number, line.tax_tag, line.account_code, line.debit, line.credit) == (
        entry.pk,
        entry.number,
        "9z-base",
        "4000",
        D("0.00"),
        D("50.00"),
    )


def test_bad_period_is_refused(ledger: Any) -> None:
    with pytest.raises(vat.VatPeriodInvalidError) as caught:
        vat.vat_return(company_id=ledger.pk, date_from=MARCH[1], date_to=MARCH[0])
    assert caught.value.field_errors.keys() == {"date_to"}
    with pytest.raises(vat.VatPeriodInvalidError):
        vat.vat_return(company_id=ledger.pk, date_from=None, date_to=MARCH[0])


def test_only_ledger_viewers(make_user: Any, ledger: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        vat.vat_return_for_actor(make_user("sales"), date_from=MARCH[0], date_to=MARCH[1])
    manager = make_user("management")
    assert vat.vat_return_for_actor(manager, date_from=MARCH[0], date_to=MARCH[1]).total == D("0.00")
