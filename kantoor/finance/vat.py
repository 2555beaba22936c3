"""The Dutch VAT return (aangifte omzetbelasting) of a period, from posted lines only.

Each posted line carries the box its amount is reported in (`JournalLine.tax_tag`,
"<box>-base" for the turnover, "<box>-tax" for the VAT), copied from the tax at posting;
the return sums the lines per tag in SQL. Signs: sales boxes count credit minus debit, so a
credit note (a reversed sale) lowers them; the purchase-side bases (2a, 4a, 4b — the
reverse-charged purchases) and the input VAT (5b-tax) count debit minus credit.

Rounding: the Belastingdienst's form takes whole euros, rounded in the taxpayer's favour:
what is owed (every base and the VAT of 1a–4b, and 5e/5f) is rounded down, the input VAT
(5b) — what is reclaimed — is rounded up. `VatReturn.rounded()` gives that form; 5a, 5c and
5g then follow from the rounded figures.

Not supported: the small business scheme reduction (kleineondernemersregeling, box 5d) is
always 0 — the KOR is an exemption chosen up front since 2020, not a reduction computed
here. The estimates of box 5e/5f are 0 unless the caller gives them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from django.db.models import DecimalField, Q, Sum
from django.db.models.functions import Coalesce, Round
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.core import policy
from kantoor.core.errors import InvalidInputError
from kantoor.core.models import Company
from kantoor.core.money import quantize
from kantoor.finance.models import EntryState, JournalLine

VIEW = "finance.view_ledger"
ZERO = Decimal(0)
UNKNOWN_TAG_LIMIT = 200  # lines listed in the warning; the count is exact


class VatPeriodInvalidError(InvalidInputError):
    code = "report-period-invalid"
    title = gettext_lazy("The report's dates are not valid")


def range_check(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """A valid date range, or a VatPeriodInvalidError naming the field."""
    errors: dict[str, list[str]] = {}
    if date_from is None:
        errors["date_from"] = [_("Enter the first day of the period.")]
    if date_to is None:
        errors["date_to"] = [_("Enter the last day of the period.")]
    if date_from is not None and date_to is not None and date_from > date_to:
        errors["date_to"] = [_("The end of the period lies before its start.")]
    if errors or date_from is None or date_to is None:
        raise VatPeriodInvalidError(_("The report's dates are not valid."), field_errors=errors)
    return date_from, date_to


def sql_sum(field: str, condition: Q | None = None) -> Any:
    """SUM(field) (over the rows matching `condition`), 0 when none, rounded to cents in SQL
    (SQLite sums decimals as floating point)."""
    total = Sum(field, filter=condition) if condition is not None else Sum(field)
    output: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
    return Round(Coalesce(total, ZERO, output_field=output), 2, output_field=output)


def company_currency(company_id: int) -> str:
    return str(Company.objects.values_list("base_currency", flat=True).get(pk=company_id))


def as_amount(value: Any, currency: str) -> Decimal:
    return quantize(Decimal(str(value if value is not None else 0)), currency)


# ----------------------------------------------------------------------------- the boxes


@dataclass(frozen=True)
class BoxSpec:
    code: str
    label: Promise  # English, translated
    label_nl: str  # the Belastingdienst form's own words
    has_base: bool
    has_tax: bool


BOX_SPECS: tuple[BoxSpec, ...] = (
    BoxSpec(
        "1a",
        gettext_lazy("Supplies/services taxed at the standard rate"),
        "Leveringen/diensten belast met hoog tarief",
        True,
        True,
    ),
    BoxSpec(
        "1b",
        gettext_lazy("Supplies/services taxed at the reduced rate"),
        "Leveringen/diensten belast met laag tarief",
        True,
        True,
    ),
    BoxSpec(
        "1c",
        gettext_lazy("Supplies/services taxed at other rates, except 0%"),
        "Leveringen/diensten belast met overige tarieven, behalve 0%",
        True,
        True,
    ),
    BoxSpec("1d", gettext_lazy("Private use"), "Privégebruik", True, True),
    BoxSpec(
        "1e",
        gettext_lazy("Supplies/services taxed at 0% or not taxed with you"),
        "Leveringen/diensten belast met 0% of niet bij u belast",
        True,
        False,
    ),
    BoxSpec(
        "2a",
        gettext_lazy("Supplies/services on which the VAT has been reverse-charged to you"),
        "Leveringen/diensten waarbij de omzetbelasting naar u is verlegd",
        True,
        True,
    ),
    BoxSpec(
        "3a",
        gettext_lazy("Supplies to countries outside the EU (exports)"),
        "Leveringen naar landen buiten de EU (uitvoer)",
        True,
        False,
    ),
    BoxSpec(
        "3b",
        gettext_lazy("Supplies to or services in countries within the EU"),
        "Leveringen naar of diensten in landen binnen de EU",
        True,
        False,
    ),
    BoxSpec(
        "3c",
        gettext_lazy("Installation or distance sales within the EU"),
        "Installatie/afstandsverkopen binnen de EU",
        True,
        False,
    ),
    BoxSpec(
        "4a",
        gettext_lazy("Supplies/services from countries outside the EU"),
        "Leveringen/diensten uit landen buiten de EU",
        True,
        True,
    ),
    BoxSpec(
        "4b",
        gettext_lazy("Supplies/services from countries within the EU"),
        "Leveringen/diensten uit landen binnen de EU",
        True,
        True,
    ),
    BoxSpec("5a", gettext_lazy("VAT due (boxes 1a to 4b)"), "Verschuldigde omzetbelasting", False, True),
    BoxSpec("5b", gettext_lazy("Input VAT"), "Voorbelasting", False, True),
    BoxSpec("5c", gettext_lazy("Subtotal (5a minus 5b)"), "Subtotaal (rubriek 5a min 5b)", False, True),
    BoxSpec(
        "5d",
        gettext_lazy("Reduction under the small business scheme (not supported: 0)"),
        "Vermindering volgens de kleineondernemersregeling",
        False,
        True,
    ),
    BoxSpec(
        "5e", gettext_lazy("Estimate of previous return(s)"), "Schatting vorige aangifte(n)", False, True
    ),
    BoxSpec("5f", gettext_lazy("Estimate of this return"), "Schatting deze aangifte", False, True),
    BoxSpec(
        "5g",
        gettext_lazy("Total to pay (negative: to be refunded)"),
        "Totaal te betalen / terug te vragen",
        False,
        True,
    ),
)
SPECS = {spec.code: spec for spec in BOX_SPECS}
# The boxes whose VAT makes up 5a.
DUE_BOXES = ("1a", "1b", "1c", "1d", "2a", "4a", "4b")
# Tags whose amount is debit minus credit; every other known tag is credit minus debit.
DEBIT_TAGS = frozenset({"2a-base", "4a-base", "4b-base", "5b-tax"})
KNOWN_TAGS = frozenset(
    {f"{spec.code}-base" for spec in BOX_SPECS[:11] if spec.has_base}
    | {f"{spec.code}-tax" for spec in BOX_SPECS[:11] if spec.has_tax}
    | {"5b-tax"}
)


@dataclass(frozen=True)
class VatBox:
    code: str
    label: str
    label_nl: str
    base: Decimal | None  # the turnover (omzet); None where the box has none
    tax: Decimal | None  # the VAT (omzetbelasting); None where the box has none


@dataclass(frozen=True)
class UnknownTagLine:
    """A posted line in the period with a VAT tag the return does not know."""

    line_id: int
    entry_id: int
    entry_number: str
    date: dt.date
    account_code: str
    tax_tag: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class VatReturn:
    currency: str
    date_from: dt.date
    date_to: dt.date
    is_rounded: bool
    boxes: tuple[VatBox, ...]  # 1a … 5g in the form's order
    unknown_tag_count: int
    unknown_tag_lines: tuple[UnknownTagLine, ...]  # at most UNKNOWN_TAG_LIMIT

    def box(self, code: str) -> VatBox:
        return next(box for box in self.boxes if box.code == code)

    @property
    def total(self) -> Decimal:
        """Box 5g: to pay, negative when it is refunded."""
        return self.box("5g").tax or ZERO

    def rounded(self) -> VatReturn:
        """The return in whole euros as the Belastingdienst's form takes it, rounded in the
        taxpayer's favour: owed amounts down, the input VAT (5b) up; 5a, 5c and 5g recomputed."""
        if self.is_rounded:
            return self

        def down(value: Decimal | None) -> Decimal | None:
            return None if value is None else value.quantize(Decimal(1), rounding=ROUND_FLOOR)

        figures = {
            box.code: (down(box.base), down(box.tax))
            for box in self.boxes
            if box.code not in {"5a", "5b", "5c", "5g"}
        }
        input_tax = (self.box("5b").tax or ZERO).quantize(Decimal(1), rounding=ROUND_CEILING)
        return replace(
            self,
            is_rounded=True,
            boxes=_boxes(figures, input_tax),
        )


def _boxes(
    figures: dict[str, tuple[Decimal | None, Decimal | None]], input_tax: Decimal
) -> tuple[VatBox, ...]:
    """Every box from the figures of 1a–4b, 5d, 5e, 5f and the input VAT; 5a, 5c, 5g computed."""
    due = sum((figures[code][1] or ZERO for code in DUE_BOXES), ZERO)
    subtotal = due - input_tax
    total = subtotal - (figures["5d"][1] or ZERO) + (figures["5e"][1] or ZERO) + (figures["5f"][1] or ZERO)
    values = {
        **figures,
        "5a": (None, due),
        "5b": (None, input_tax),
        "5c": (None, subtotal),
        "5g": (None, total),
    }
    return tuple(
        VatBox(spec.code, str(spec.label), spec.label_nl, values[spec.code][0], values[spec.code][1])
        for spec in BOX_SPECS
    )


def _posted_lines(company_id: int, date_from: dt.date, date_to: dt.date) -> Any:
    return JournalLine.objects.filter(
        company_id=company_id, state=EntryState.POSTED, date__gte=date_from, date__lte=date_to
    )


def vat_return(
    *,
    company_id: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
    previous_estimate: Decimal = ZERO,
    this_estimate: Decimal = ZERO,
) -> VatReturn:
    """The exact VAT return of the period (cents); `.rounded()` gives the form's whole euros.
    `previous_estimate` and `this_estimate` fill boxes 5e and 5f (positive: more to pay)."""
    start, end = range_check(date_from, date_to)
    currency = company_currency(company_id)
    lines = _posted_lines(company_id, start, end)
    sums = {
        row["tax_tag"]: (as_amount(row["debit"], currency), as_amount(row["credit"], currency))
        for row in lines.exclude(tax_tag="")
        .values("tax_tag")
        .annotate(debit=sql_sum("debit"), credit=sql_sum("credit"))
        .order_by()
    }

    def amount(tag: str) -> Decimal:
        debit, credit = sums.get(tag, (ZERO, ZERO))
        return debit - credit if tag in DEBIT_TAGS else credit - debit

    figures: dict[str, tuple[Decimal | None, Decimal | None]] = {
        spec.code: (
            amount(f"{spec.code}-base") if spec.has_base else None,
            amount(f"{spec.code}-tax") if spec.has_tax else None,
        )
        for spec in BOX_SPECS[:11]
    }
    figures["5d"] = (None, ZERO)
    figures["5e"] = (None, quantize(Decimal(previous_estimate), currency))
    figures["5f"] = (None, quantize(Decimal(this_estimate), currency))
    unknown = lines.exclude(tax_tag="").exclude(tax_tag__in=KNOWN_TAGS)
    unknown_lines = tuple(
        UnknownTagLine(
            line_id=row["pk"],
            entry_id=row["entry_id"],
            entry_number=row["entry__number"],
            date=row["date"],
            account_code=row["account__code"],
            tax_tag=row["tax_tag"],
            debit=row["debit"],
            credit=row["credit"],
        )
        for row in unknown.order_by("date", "pk").values(
            "pk", "entry_id", "entry__number", "date", "account__code", "tax_tag", "debit", "credit"
        )[:UNKNOWN_TAG_LIMIT]
    )
    return VatReturn(
        currency=currency,
        date_from=start,
        date_to=end,
        is_rounded=False,
        boxes=_boxes(figures, amount("5b-tax")),
        unknown_tag_count=unknown.count() if len(unknown_lines) == UNKNOWN_TAG_LIMIT else len(unknown_lines),
        unknown_tag_lines=unknown_lines,
    )


def vat_return_for_actor(
    actor: policy.Actor,
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    previous_estimate: Decimal = ZERO,
    this_estimate: Decimal = ZERO,
) -> VatReturn:
    policy.require(actor, VIEW)
    return vat_return(
        company_id=policy.actor_company_id(actor),
        date_from=date_from,
        date_to=date_to,
        previous_estimate=previous_estimate,
        this_estimate=this_estimate,
    )
