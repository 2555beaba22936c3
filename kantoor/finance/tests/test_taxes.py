"""Invoice arithmetic (taxes.py), exact to the cent: line amounts after discount, taxes
rounded per line or per document, reverse charge kept out of the total, and instalments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kantoor.finance.models import TaxRounding
from kantoor.finance.taxes import TaxRate, document_amounts, instalments, line_untaxed

D = Decimal
PER_LINE, PER_DOCUMENT = TaxRounding.PER_LINE, TaxRounding.PER_DOCUMENT
V21, V9, REVERSE = 1, 2, 3
RATES = {V21: TaxRate(D(21)), V9: TaxRate(D(9)), REVERSE: TaxRate(D(21), is_reverse=True)}


# ----------------------------------------------------------------------------- line amounts


def test_a_line_is_quantity_times_price_less_the_discount_rounded_half_up_to_the_cent():
    assert line_untaxed(D(3), D("33.33"), D(0), "EUR") == D("99.99")
    assert line_untaxed(D(1), D("10.00"), D(10), "EUR") == D("9.00")
    # 3 × 19.99 = 59.97, less 15 % = 50.9745 → 50.97
    assert line_untaxed(D(3), D("19.99"), D(15), "EUR") == D("50.97")
    # 1.5 × 0.03 = 0.045 → 0.05 (half up, not banker's 0.04)
    assert line_untaxed(D("1.5"), D("0.03"), D(0), "EUR") == D("0.05")
    # a full discount leaves nothing; a negative line (a discount line) rounds away from zero too
    assert line_untaxed(D(7), D("12.34"), D(100), "EUR") == D("0.00")
    assert line_untaxed(D(-1), D("0.125"), D(0), "EUR") == D("-0.13")


def test_a_currency_without_minor_unit_rounds_to_whole_units():
    assert line_untaxed(D(3), D("33.5"), D(0), "JPY") == D(101)


# ----------------------------------------------------------------------------- taxes


def test_per_line_rounds_each_line_and_per_document_rounds_the_sum_once():
    # given three lines of 0.07 at 21 % (0.0147 tax each)
    lines = [(D("0.07"), V21)] * 3
    per_line = document_amounts(lines, RATES, rounding=PER_LINE, currency="EUR")
    per_document = document_amounts(lines, RATES, rounding=PER_DOCUMENT, currency="EUR")
    # then per line: 3 × 0.01 = 0.03; per document: round(0.21 × 21 %) = round(0.0441) = 0.04
    assert per_line.line_tax == [D("0.01")] * 3
    assert per_line.tax_totals == {V21: D("0.03")}
    assert (per_line.untaxed, per_line.tax, per_line.total) == (D("0.21"), D("0.03"), D("0.24"))
    assert per_document.line_tax == [D("0.014700")] * 3  # each line keeps its unrounded share
    assert per_document.tax_totals == {V21: D("0.04")}
    assert (per_document.untaxed, per_document.tax, per_document.total) == (D("0.21"), D("0.04"), D("0.25"))
    assert per_line.tax_bases == per_document.tax_bases == {V21: D("0.21")}


def test_three_lines_of_five_cents_at_9_percent_differ_by_a_cent_too():
    lines = [(D("0.05"), V9)] * 3
    assert document_amounts(lines, RATES, rounding=PER_LINE, currency="EUR").tax == D("0.00")
    assert document_amounts(lines, RATES, rounding=PER_DOCUMENT, currency="EUR").tax == D("0.01")


def test_taxes_are_totalled_per_tax_and_untaxed_lines_carry_no_tax():
    lines = [(D("99.99"), V21), (D("9.00"), V9), (D("50.00"), None), (D("0.01"), V21)]
    amounts = document_amounts(lines, RATES, rounding=PER_LINE, currency="EUR")
    # 99.99 × 21 % = 20.9979 → 21.00; 0.01 × 21 % = 0.0021 → 0.00; 9.00 × 9 % = 0.81
    assert amounts.line_tax == [D("21.00"), D("0.81"), D(0), D("0.00")]
    assert amounts.tax_totals == {V21: D("21.00"), V9: D("0.81")}
    assert amounts.tax_bases == {V21: D("100.00"), V9: D("9.00")}
    assert (amounts.untaxed, amounts.tax, amounts.total) == (D("159.00"), D("21.81"), D("180.81"))


def test_reverse_charge_is_booked_but_not_charged_to_the_party():
    lines = [(D("1000.00"), REVERSE), (D("100.00"), V21)]
    for rounding in (PER_LINE, PER_DOCUMENT):
        amounts = document_amounts(lines, RATES, rounding=rounding, currency="EUR")
        assert amounts.tax_totals == {REVERSE: D("210.00"), V21: D("21.00")}
        assert amounts.tax == D("21.00")
        assert amounts.total == D("1121.00")


def test_a_negative_line_reduces_the_base_and_its_tax():
    lines = [(D("100.00"), V21), (D("-10.00"), V21)]
    amounts = document_amounts(lines, RATES, rounding=PER_LINE, currency="EUR")
    assert amounts.line_tax == [D("21.00"), D("-2.10")]
    assert (amounts.untaxed, amounts.tax, amounts.total) == (D("90.00"), D("18.90"), D("108.90"))


# ----------------------------------------------------------------------------- instalments


def test_fifty_fifty_gives_the_odd_cent_to_the_first_instalment_and_the_rest_to_the_last():
    term = [(D(50), 0, False), (D(50), 30, False)]
    assert instalments(D("100.01"), dt.date(2026, 3, 1), term, "EUR") == [
        (dt.date(2026, 3, 1), D("50.01")),
        (dt.date(2026, 3, 31), D("50.00")),
    ]


def test_thirds_round_the_running_share_so_the_cents_spread_and_add_up():
    term = [(D("33.3333"), 0, False), (D("33.3333"), 30, False), (D("33.3334"), 60, False)]
    parts = instalments(D("100.00"), dt.date(2026, 1, 1), term, "EUR")
    # 33.33 due by the first, 66.67 by the second, 100.00 by the last
    assert [amount for _due, amount in parts] == [D("33.33"), D("33.34"), D("33.33")]
    assert [due for due, _amount in parts] == [dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 3, 2)]


def test_roundings_never_push_the_last_instalment_below_zero():
    # given shares that each round up (0.335 → 0.34) and a tiny last share: rounding each
    # share on its own made 0.34 + 0.33 + 0.34 = 1.01 and a last instalment of -0.01
    term = [(D("33.5"), 0, False), (D("32.5"), 10, False), (D("33.5"), 20, False), (D("0.5"), 30, False)]
    parts = instalments(D("1.00"), dt.date(2026, 1, 1), term, "EUR")
    assert [amount for _due, amount in parts] == [D("0.34"), D("0.32"), D("0.34"), D("0.00")]


def test_shares_above_a_hundred_percent_leave_the_later_instalments_empty():
    term = [(D(60), 0, False), (D(60), 10, False), (D(60), 20, False)]
    parts = instalments(D("10.00"), dt.date(2026, 1, 1), term, "EUR")
    assert [amount for _due, amount in parts] == [D("6.00"), D("4.00"), D("0.00")]


def test_thirty_days_from_the_31st_of_january_is_the_2nd_of_march():
    assert instalments(D("10.00"), dt.date(2026, 1, 31), [(D(100), 30, False)], "EUR") == [
        (dt.date(2026, 3, 2), D("10.00"))
    ]


def test_end_of_month_moves_the_due_date_to_the_last_day_of_its_month():
    term = [(D(100), 30, True)]
    assert instalments(D("10.00"), dt.date(2026, 1, 31), term, "EUR") == [(dt.date(2026, 3, 31), D("10.00"))]
    assert instalments(D("10.00"), dt.date(2026, 1, 15), term, "EUR") == [(dt.date(2026, 2, 28), D("10.00"))]
    assert instalments(D("10.00"), dt.date(2028, 1, 15), term, "EUR") == [(dt.date(2028, 2, 29), D("10.00"))]
    assert instalments(D("10.00"), dt.date(2026, 12, 15), [(D(100), 0, True)], "EUR") == [
        (dt.date(2026, 12, 31), D("10.00"))
    ]


def test_without_a_term_everything_is_due_on_the_date():
    assert instalments(D("12.34"), dt.date(2026, 5, 5), [], "EUR") == [(dt.date(2026, 5, 5), D("12.34"))]


# ----------------------------------------------------------------------------- properties

amounts_st = st.decimals(min_value=D("-999.99"), max_value=D("99999.99"), places=2)
rates_st = st.sampled_from([D(0), D(9), D(21), D("5.5"), D("19.6"), D("7.7")])


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.tuples(amounts_st, st.sampled_from([1, 2, 3, None])), min_size=1, max_size=12),
    rates=st.tuples(rates_st, rates_st, rates_st),
    reverse=st.booleans(),
)
def test_per_line_and_per_document_totals_differ_by_at_most_a_cent_per_line(lines, rates, reverse):
    table = {i + 1: TaxRate(rate, is_reverse=reverse and i == 2) for i, rate in enumerate(rates)}
    per_line = document_amounts(lines, table, rounding=PER_LINE, currency="EUR")
    per_document = document_amounts(lines, table, rounding=PER_DOCUMENT, currency="EUR")
    assert per_line.untaxed == per_document.untaxed == sum((a for a, _t in lines), D(0))
    assert abs(per_line.total - per_document.total) <= D("0.01") * len(lines)
    for amounts in (per_line, per_document):
        # the totals are whole cents and add up
        assert all(v == v.quantize(D("0.01")) for v in amounts.tax_totals.values())
        charged = sum((v for k, v in amounts.tax_totals.items() if not table[k].is_reverse), D(0))
        assert amounts.tax == charged
        assert amounts.total == amounts.untaxed + amounts.tax
    assert sum(per_line.line_tax, D(0)) == sum(per_line.tax_totals.values(), D(0))


@settings(max_examples=200, deadline=None)
@given(
    total=st.decimals(min_value=D("0.00"), max_value=D("9999999.99"), places=2),
    percents=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=5),
    days=st.lists(st.integers(min_value=0, max_value=400), min_size=5, max_size=5),
    end_of_month=st.lists(st.booleans(), min_size=5, max_size=5),
    on=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
)
def test_instalments_always_sum_to_the_total(total, percents, days, end_of_month, on):
    # given percentages that add up to 100 (as a payment term's do), four decimals each
    scale = sum(percents)
    shares = [(D(p) * 100 / scale).quantize(D("0.0001")) for p in percents]
    shares[-1] = D(100) - sum(shares[:-1], D(0))
    term = [(share, days[i], end_of_month[i]) for i, share in enumerate(shares)]
    parts = instalments(total, on, term, "EUR")
    assert len(parts) == len(term)
    assert sum((amount for _due, amount in parts), D(0)) == total
    assert all(amount >= 0 and amount == amount.quantize(D("0.01")) for _due, amount in parts)
    assert all(due >= on for due, _amount in parts)


def test_half_a_cent_goes_up_or_to_the_even_cent_by_the_rule() -> None:
    # 0.50 × 21 % = 0.105 and 0.70 × 21 % = 0.147: half a cent only in the first.
    lines = [(D("0.50"), 1)]
    table = {1: TaxRate(rate=D("21"))}
    assert document_amounts(lines, table, rounding="per_document", currency="EUR").tax == D("0.11")
    assert document_amounts(lines, table, rounding="document_even", currency="EUR").tax == D("0.10")
    assert document_amounts(lines, table, rounding="line_even", currency="EUR").line_tax == [D("0.10")]
    assert document_amounts([(D("0.70"), 1)], table, rounding="document_even", currency="EUR").tax == D(
        "0.15"
    )
    # 2.50 × 21 % = 0.525: to the even cent is 0.52, up is 0.53.
    assert document_amounts([(D("2.50"), 1)], table, rounding="document_even", currency="EUR").tax == D(
        "0.52"
    )
    assert document_amounts([(D("2.50"), 1)], table, rounding="per_document", currency="EUR").tax == D("0.53")
