"""Invoice arithmetic, exact to the cent: line amounts, taxes under the company's rounding
rule, and instalments by payment term. Pure functions over Decimals (no queries)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from kantoor.core.money import currency_exponent, quantize
from kantoor.finance.models import TaxRounding

_EXACT = Decimal("0.000001")  # the places of a stored unrounded line tax
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxRate:
    rate: Decimal
    # Reverse charge: the tax is booked (payable and deductible) but not charged to the party.
    is_reverse: bool = False


@dataclass(frozen=True)
class DocumentAmounts:
    line_untaxed: list[Decimal]
    line_tax: list[Decimal]
    # Per tax id: the tax booked for it (rounded to the currency) and the base it is on.
    tax_totals: dict[int, Decimal]
    tax_bases: dict[int, Decimal]
    untaxed: Decimal
    tax: Decimal  # charged to the party (reverse-charge taxes excluded)
    total: Decimal


def line_untaxed(quantity: Decimal, unit_price: Decimal, discount: Decimal, currency: str) -> Decimal:
    """Quantity × unit price less the discount percentage, rounded to the currency."""
    return quantize(quantity * unit_price * (HUNDRED - discount) / HUNDRED, currency)


def document_amounts(
    lines: Sequence[tuple[Decimal, int | None]],
    rates: dict[int, TaxRate],
    *,
    rounding: str,
    currency: str,
) -> DocumentAmounts:
    """The tax of each line (untaxed amount, tax id) and the document's totals.

    Per line: each line's tax is rounded and the tax totals are their sums. Per document:
    each tax is rounded once, on the sum of its bases; the lines keep their unrounded share.
    A half cent goes up, or with the `_even` rules to the even cent.
    """
    per_line = rounding in (TaxRounding.PER_LINE, TaxRounding.PER_LINE_EVEN)
    cent = Decimal(1).scaleb(-currency_exponent(currency))
    mode = (
        ROUND_HALF_EVEN
        if rounding in (TaxRounding.PER_LINE_EVEN, TaxRounding.PER_DOCUMENT_EVEN)
        else ROUND_HALF_UP
    )
    untaxed_by_line = [amount for amount, _tax in lines]
    bases: dict[int, Decimal] = {}
    for amount, tax_id in lines:
        if tax_id is not None:
            bases[tax_id] = bases.get(tax_id, Decimal(0)) + amount
    line_tax: list[Decimal] = []
    totals: dict[int, Decimal] = {}
    for amount, tax_id in lines:
        if tax_id is None:
            line_tax.append(Decimal(0))
            continue
        exact = amount * rates[tax_id].rate / HUNDRED
        if per_line:
            rounded = exact.quantize(cent, rounding=mode)
            line_tax.append(rounded)
            totals[tax_id] = totals.get(tax_id, Decimal(0)) + rounded
        else:
            line_tax.append(exact.quantize(_EXACT))
    if not per_line:
        totals = {
            tax_id: (base * rates[tax_id].rate / HUNDRED).quantize(cent, rounding=mode)
            for tax_id, base in bases.items()
        }
    untaxed = sum(untaxed_by_line, Decimal(0))
    charged = sum((amount for tax_id, amount in totals.items() if not rates[tax_id].is_reverse), Decimal(0))
    return DocumentAmounts(
        line_untaxed=untaxed_by_line,
        line_tax=line_tax,
        tax_totals=totals,
        tax_bases=bases,
        untaxed=untaxed,
        tax=charged,
        total=untaxed + charged,
    )


def _due(on: dt.date, days: int, end_of_month: bool) -> dt.date:
    due = on + dt.timedelta(days=days)
    if end_of_month:
        due = due.replace(day=calendar.monthrange(due.year, due.month)[1])
    return due


def instalments(
    total: Decimal, on: dt.date, term: Iterable[tuple[Decimal, int, bool]], currency: str
) -> list[tuple[dt.date, Decimal]]:
    """The due dates and amounts of `total` under a payment term given as (percent, days,
    end of month) instalments; the last instalment takes what the rounding left. Without
    instalments the whole total is due on `on`.

    Each instalment is the rounded running share less the rounded share before it, so the
    roundings never add up to more than the total (which made the last one negative) and
    every instalment lies between zero and the total."""
    parts = list(term)
    if not parts:
        return [(on, total)]
    result: list[tuple[dt.date, Decimal]] = []
    share = Decimal(0)  # the percent due up to this instalment
    before = Decimal(0)  # the (rounded) amount due before it
    for index, (percent, days, end_of_month) in enumerate(parts):
        share = min(share + percent, HUNDRED)
        upto = total if index == len(parts) - 1 else quantize(total * share / HUNDRED, currency)
        result.append((_due(on, days, end_of_month), upto - before))
        before = upto
    return result
