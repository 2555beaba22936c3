"""Writes of sales: quotations from draft through sent (and versions) to a confirmed sales
order with its delivery in inventory, cancellation, customer invoices made from what was
ordered or delivered, and the system writes of the order-to-cash flow (the invoice on
delivery, paid and done), called from handlers.

Every function owns its transaction, checks the policy (`sales.manage_order`: a rep only
their own, core.policy caps; invoicing also needs finance's `finance.manage_invoice`,
checked by finance), locks the order it changes and re-reads it, refuses bad input with a
DomainError naming the fields (nothing is written then), records an audit row and
publishes its events through the outbox. E-mail leaves only after commit, from a handler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.models import PriceList, Product, ProductKind, Uom
from kantoor.catalog.selectors import price_quotes
from kantoor.core import audit, fastsql, outbox, policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.core.models import Team, User
from kantoor.core.money import currency_validate, exchange_rate_on
from kantoor.core.numbering import number_allocate
from kantoor.core.services import require_version, system_actor
from kantoor.core.validation import number_parse, text_errors
from kantoor.finance import invoicing
from kantoor.finance.models import (
    Invoice,
    InvoiceKind,
    InvoiceState,
    PaymentState,
    PaymentTerm,
    Tax,
    TaxRounding,
    TaxScope,
)
from kantoor.finance.taxes import TaxRate, document_amounts, line_untaxed
from kantoor.inventory import reports as stock_reports
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Transfer, TransferKind, TransferState, Warehouse
from kantoor.parties.models import Party
from kantoor.sales import terms
from kantoor.sales.errors import (
    DiscountApprovalRequiredError,
    NothingToInvoiceError,
    OutOfStockError,
    SalesOrderInvalidError,
    SalesOrderStateError,
    SalesSettingsInvalidError,
)
from kantoor.sales.events import OrderCancelled, OrderConfirmed, OrderDelivered, OrderPaid, QuoteSent
from kantoor.sales.models import (
    EDITABLE_STATES,
    CustomerTerms,
    InvoicingPolicy,
    OrderState,
    QuoteRevision,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderLine,
    SalesSettings,
)
from kantoor.sales.selectors import MANAGE, VIEW, LineStatus, order_lines, order_lines_status

NUMBER_CODE = "sales.order"
NUMBER_PREFIX = "SO"
PRICE = Decimal("0.000001")
QUANTITY = Decimal("0.0001")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
APPROVE_DISCOUNT = "sales.approve_discount"


@dataclass(frozen=True)
class OrderLineIn:
    """A line as given: `quantity` in `uom_id` (default: the product's unit); without
    `unit_price` the customer's price (price list, else list price) for that quantity;
    without `tax_id` the company's default sales tax."""

    product_id: int
    quantity: Decimal | int | str
    unit_price: Decimal | int | str | None = None
    discount: Decimal | int | str = 0
    tax_id: int | None = None
    uom_id: int | None = None
    description: str = ""
    is_optional: bool = False


_LINE_FIELDS = {f.name for f in fields(OrderLineIn)}


@dataclass
class _Checked:
    """A quotation's checked header and lines, with the amounts computed."""

    values: dict[str, Any]
    lines: list[SalesOrderLine]
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    margin: Decimal
    max_discount: Decimal


@dataclass(frozen=True)
class _Defaults:
    """The company's sales settings and the customer's terms, read once."""

    base_currency: str
    settings: SalesSettings | None
    terms: CustomerTerms | None

    @property
    def invoicing_policy(self) -> str:
        if self.terms is not None and self.terms.invoicing_policy:
            return self.terms.invoicing_policy
        return self.settings.invoicing_policy if self.settings else InvoicingPolicy.DELIVERY

    @property
    def discount_limit(self) -> Decimal:
        return Decimal(self.settings.discount_limit) if self.settings else Decimal(10)


def _scalar(sql: str, params: list[Any]) -> Any:
    """The first column of the first row of a plain query (None without a row)."""
    statement = fastsql.cursor()
    statement.execute(sql, params)
    rows = statement.fetchall()
    return rows[0][0] if rows else None


def _defaults(company_id: int, customer_id: Any) -> _Defaults:
    base = _scalar("SELECT base_currency FROM core_company WHERE id = %s", [company_id])
    found = fastsql.select(SalesSettings, "company_id = %s", [company_id])
    customer_terms = (
        fastsql.select(CustomerTerms, "company_id = %s AND party_id = %s", [company_id, customer_id])
        if isinstance(customer_id, int)
        else []
    )
    return _Defaults(
        base_currency=str(base),
        settings=found[0] if found else None,
        terms=customer_terms[0] if customer_terms else None,
    )


def _plain(number: Decimal) -> str:
    """A number without trailing zeros or exponent (10, 2.5), for messages."""
    return format(number.normalize(), "f")


def _company_row(model: type[Any], pk: Any, company_id: int) -> Any:
    found = (
        fastsql.select(model, "id = %s AND company_id = %s", [pk, company_id]) if isinstance(pk, int) else []
    )
    return found[0] if found else None


def _given_lines(lines: Sequence[OrderLineIn | Mapping[str, Any]], fail: Any) -> list[OrderLineIn]:
    given: list[OrderLineIn] = []
    for i, item in enumerate(lines):
        if isinstance(item, OrderLineIn):
            given.append(item)
        elif isinstance(item, Mapping) and set(item) <= _LINE_FIELDS and "product_id" in item:
            given.append(OrderLineIn(**dict(item)))
        else:
            fail(f"lines[{i}]", _("Unknown line fields."))
    return given


def _check(
    *,
    company_id: int,
    defaults: _Defaults,
    customer_id: Any,
    order_date: Any,
    valid_until: Any,
    currency: str,
    price_list_id: Any,
    payment_term_id: Any,
    warehouse_id: Any,
    invoicing_policy: str,
    salesperson_id: Any,
    team_id: Any,
    customer_reference: str,
    origin: str,
    notes: str,
    lines: Sequence[OrderLineIn | Mapping[str, Any]],
) -> _Checked:
    """Check everything at once (one error names every faulty field), price the lines and
    compute the amounts; raises SalesOrderInvalidError."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    customer = (
        fastsql.select(Party, "id = %s AND company_id = %s", [customer_id, company_id])
        if isinstance(customer_id, int)
        else []
    )
    if not customer:
        fail("customer_id", _("Unknown customer."))
    elif customer[0].is_archived or customer[0].merged_into_id is not None:
        fail("customer_id", _("This party is archived."))
    if not isinstance(order_date, dt.date) or isinstance(order_date, dt.datetime):
        fail("order_date", _("Not a date."))
        order_date = timezone.localdate()
    if valid_until is not None and (not isinstance(valid_until, dt.date) or valid_until < order_date):
        fail("valid_until", _("A quotation cannot expire before its date."))
    settings = defaults.settings
    price_list = None
    if price_list_id is not None:
        price_list = _company_row(PriceList, price_list_id, company_id)
        if price_list is None or not price_list.is_active:
            fail("price_list_id", _("Unknown price list."))
            price_list = None
    code = (currency or (price_list.currency if price_list else "") or defaults.base_currency).strip().upper()
    try:
        code = currency_validate(code)
        if code != defaults.base_currency:
            exchange_rate_on(company_id=company_id, currency=code, on=order_date)
    except DomainError as exc:
        fail("currency", exc.message)
    if price_list is not None and price_list.currency != code:
        fail("price_list_id", _("The price list is in %s; the quotation is not.") % price_list.currency)
    payment_term = None
    if payment_term_id is not None:
        payment_term = _company_row(PaymentTerm, payment_term_id, company_id)
        if payment_term is None:
            fail("payment_term_id", _("Unknown payment term."))
    chosen_warehouse = (
        warehouse_id if warehouse_id is not None else (settings.warehouse_id if settings else None)
    )
    if chosen_warehouse is None:  # the company's first warehouse
        warehouses = fastsql.select(
            Warehouse, "company_id = %s AND is_active = %s", [company_id, True], order_by="id"
        )[:1]
    elif isinstance(chosen_warehouse, int):
        warehouses = fastsql.select(
            Warehouse, "id = %s AND company_id = %s AND is_active = %s", [chosen_warehouse, company_id, True]
        )
    else:
        warehouses = []
    if not warehouses:
        fail("warehouse_id", _("Unknown warehouse."))
    if invoicing_policy and invoicing_policy not in InvoicingPolicy.values:
        fail("invoicing_policy", _("Choose one of: %s.") % ", ".join(InvoicingPolicy.values))
    salesperson = None
    if salesperson_id is not None:
        salesperson = (
            User.objects.filter(pk=salesperson_id, company_id=company_id, is_active=True).first()
            if isinstance(salesperson_id, int)
            else None
        )
        if salesperson is None:
            fail("salesperson_id", _("Unknown user."))
    team = None
    if team_id is not None:
        team = _company_row(Team, team_id, company_id)
        if team is None:
            fail("team_id", _("Unknown team."))
    for field, messages in text_errors(
        SalesOrder, {"notes": notes, "customer_reference": customer_reference, "origin": origin}
    ).items():
        errors.setdefault(field, []).extend(messages)
    given = _given_lines(lines, fail)
    checked, numbers_of, given_prices = _lines_check(company_id, given, settings, fail)
    if errors:
        raise SalesOrderInvalidError(_("Please correct the marked fields."), field_errors=errors)
    party = customer[0]
    if given:
        try:
            quotes = price_quotes(
                company_id=company_id,
                lines=[(row.product, numbers_of[i]) for i, row in enumerate(checked)],
                party_id=party.pk,
                on=order_date,
                currency=code,
                price_list_id=price_list.pk if price_list else None,
                base_currency=defaults.base_currency,
            )
        except DomainError as exc:
            raise SalesOrderInvalidError(exc.message, field_errors={"currency": [exc.message]}) from exc
        rate = (
            Decimal(1)
            if code == defaults.base_currency
            else exchange_rate_on(company_id=company_id, currency=code, on=order_date)
        )
        for row, quote, given_price in zip(checked, quotes, given_prices, strict=True):
            if given_price is None:
                # The price list prices per the product's unit; another unit of its category scales it.
                row.unit_price = (quote.unit_price * row.uom.ratio / row.product.uom.ratio).quantize(
                    PRICE, rounding=ROUND_HALF_UP
                )
            row.unit_cost = (Decimal(row.product.cost) * row.uom.ratio / row.product.uom.ratio).quantize(
                PRICE, rounding=ROUND_HALF_UP
            )
            row._rate = rate  # type: ignore[attr-defined]
    rounding = (
        _scalar("SELECT tax_rounding FROM finance_financesettings WHERE company_id = %s", [company_id])
        or TaxRounding.PER_LINE
    )
    for row in checked:
        row.amount_untaxed = line_untaxed(row.quantity, row.unit_price, row.discount, code)
    counted = [row for row in checked if not row.is_optional]
    rates = {
        row.tax.pk: TaxRate(rate=row.tax.rate, is_reverse=row.tax.is_reverse_charge)
        for row in counted
        if row.tax is not None
    }
    amounts = document_amounts(
        [(row.amount_untaxed, row.tax.pk if row.tax else None) for row in counted],
        rates,
        rounding=rounding,
        currency=code,
    )
    if abs(amounts.total) >= Decimal(10) ** 12:
        raise SalesOrderInvalidError(_("The total is too large."), field_errors={"lines": [_("Too large.")]})
    cost = sum(
        (row.quantity * row.unit_cost * getattr(row, "_rate", Decimal(1)) for row in counted), Decimal(0)
    )
    return _Checked(
        values={
            "customer": party,
            "order_date": order_date,
            "valid_until": valid_until,
            "currency": code,
            "price_list": price_list,
            "payment_term": payment_term,
            "warehouse": warehouses[0],
            "invoicing_policy": invoicing_policy or defaults.invoicing_policy,
            "salesperson": salesperson,
            "team": team,
            "customer_reference": customer_reference.strip(),
            "origin": origin.strip(),
            "notes": notes.strip(),
        },
        lines=checked,
        untaxed=amounts.untaxed,
        tax=amounts.tax,
        total=amounts.total,
        margin=(amounts.untaxed - cost).quantize(CENT, rounding=ROUND_HALF_UP),
        max_discount=max((row.discount for row in counted), default=Decimal(0)),
    )


def _lines_check(
    company_id: int, given: list[OrderLineIn], settings: SalesSettings | None, fail: Any
) -> tuple[list[SalesOrderLine], list[Decimal], list[Decimal | None]]:
    """The lines checked, their quantities in the product's unit (for the price list's
    quantity breaks) and the prices given (None: to be priced)."""
    product_ids = [line.product_id for line in given if isinstance(line.product_id, int)]
    products = (
        {
            p.pk: p
            for p in fastsql.select_related(
                Product,
                "uom",
                f"company_id = %s AND id IN ({fastsql.placeholders(product_ids)})",
                [company_id, *product_ids],
            )
        }
        if product_ids
        else {}
    )
    uom_ids = [line.uom_id for line in given if isinstance(line.uom_id, int)]
    uoms = {u.pk: u for u in Uom.objects.filter(company_id=company_id, pk__in=uom_ids)} if uom_ids else {}
    default_tax_id = settings.default_tax_id if settings else None
    tax_ids = {line.tax_id for line in given if isinstance(line.tax_id, int)}
    if default_tax_id is not None:
        tax_ids.add(default_tax_id)
    taxes = (
        {
            tax.pk: tax
            for tax in fastsql.select(
                Tax,
                f"company_id = %s AND id IN ({fastsql.placeholders(sorted(tax_ids))})",
                [company_id, *sorted(tax_ids)],
            )
        }
        if tax_ids
        else {}
    )
    checked: list[SalesOrderLine] = []
    quantities: list[Decimal] = []
    prices: list[Decimal | None] = []
    for i, line in enumerate(given):
        prefix = f"lines[{i}]"
        product = products.get(line.product_id) if isinstance(line.product_id, int) else None
        if product is None:
            fail(f"{prefix}.product_id", _("Unknown product."))
            continue
        if not product.is_active or not product.is_sold:
            fail(f"{prefix}.product_id", _("%s is not sold.") % product.sku)
            continue
        uom = product.uom
        if line.uom_id is not None:
            found = uoms.get(line.uom_id) if isinstance(line.uom_id, int) else None
            if found is None:
                fail(f"{prefix}.uom_id", _("Unknown unit."))
                continue
            if found.category_id != product.uom.category_id:
                fail(
                    f"{prefix}.uom_id",
                    _("%(uom)s does not measure %(sku)s.") % {"uom": found.code, "sku": product.sku},
                )
                continue
            uom = found
        numbers: dict[str, Decimal] = {}
        try:
            numbers["quantity"] = number_parse(line.quantity, 4, low=Decimal(0), above=True)
        except ValueError as exc:
            fail(f"{prefix}.quantity", str(exc))
        try:
            numbers["discount"] = number_parse(line.discount, 4, low=Decimal(0), high=HUNDRED)
        except ValueError as exc:
            fail(f"{prefix}.discount", str(exc))
        unit_price = None
        if line.unit_price is not None and str(line.unit_price).strip() != "":
            try:
                unit_price = number_parse(line.unit_price, 6, low=Decimal(0))
            except ValueError as exc:
                fail(f"{prefix}.unit_price", str(exc))
        tax = None
        tax_id = line.tax_id if line.tax_id is not None else default_tax_id
        if tax_id is not None:
            tax = taxes.get(tax_id) if isinstance(tax_id, int) else None
            if tax is None or not tax.is_active:
                fail(f"{prefix}.tax_id", _("Unknown tax."))
            elif tax.scope != TaxScope.SALE:
                fail(f"{prefix}.tax_id", _("Tax %s is not a sales tax.") % tax.code)
        description = (line.description or "").strip() or product.name
        for field, messages in text_errors(SalesOrderLine, {"description": description}).items():
            fail(f"{prefix}.{field}", "; ".join(messages))
        if not isinstance(line.is_optional, bool):
            fail(f"{prefix}.is_optional", _("Yes or no."))
        if "quantity" not in numbers:
            continue
        checked.append(
            SalesOrderLine(
                sequence=i + 1,
                product=product,
                description=description[:300],
                quantity=numbers["quantity"],
                uom=uom,
                unit_price=unit_price or Decimal(0),
                discount=numbers.get("discount", Decimal(0)),
                tax=tax,
                is_optional=bool(line.is_optional),
            )
        )
        in_stock_unit = (
            numbers["quantity"]
            if uom.pk == product.uom_id
            else (numbers["quantity"] * uom.ratio / product.uom.ratio)
        )
        quantities.append(in_stock_unit)
        prices.append(unit_price)
    return checked, quantities, prices


def _insert(company_id: int, checked: _Checked, *, actor: User) -> SalesOrder:
    values = dict(checked.values)
    if values["salesperson"] is None:
        values["salesperson"] = actor
    order = SalesOrder(
        company_id=company_id,
        number=number_allocate(
            company_id=company_id, code=NUMBER_CODE, on=values["order_date"], prefix=NUMBER_PREFIX
        ),
        created_by=actor,
        amount_untaxed=checked.untaxed,
        amount_tax=checked.tax,
        amount_total=checked.total,
        amount_margin=checked.margin,
        max_discount=checked.max_discount,
        **values,
    )
    if order.team_id is None and order.salesperson_id is not None:
        statement = fastsql.cursor()
        statement.execute(
            f"SELECT team_id FROM {Team.members.through._meta.db_table} "  # noqa: S608 - the model's table
            "WHERE user_id = %s ORDER BY team_id",
            [order.salesperson_id],
        )
        first = statement.fetchone()
        order.team_id = first[0] if first else None
    if not policy.allows(actor, MANAGE, order):
        # A rep creates quotations in their own name (or their team's with a team scope).
        raise SalesOrderInvalidError.for_field(
            "salesperson_id", _("You may not make quotations for this salesperson.")
        )
    order.created_at = order.updated_at = timezone.now()
    fastsql.insert_instance(order)
    for line in checked.lines:
        line.order = order
    fastsql.insert_objects(checked.lines)
    return order


@transaction.atomic
def quotation_create(
    *,
    actor: User,
    customer_id: int,
    lines: Sequence[OrderLineIn | Mapping[str, Any]] = (),
    order_date: dt.date | None = None,
    valid_until: dt.date | None = None,
    currency: str = "",
    price_list_id: int | None = None,
    payment_term_id: int | None = None,
    warehouse_id: int | None = None,
    invoicing_policy: str = "",
    salesperson_id: int | None = None,
    team_id: int | None = None,
    customer_reference: str = "",
    origin: str = "",
    notes: str = "",
) -> SalesOrder:
    """A quotation (a draft order) with its lines and totals, numbered now (the customer
    quotes that number back). Defaults: the customer's terms (price list, payment term,
    invoicing policy), else the company's sales settings; valid for the settings' days;
    lines without a price take the customer's price for the quantity."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    defaults = _defaults(company_id, customer_id)
    on = order_date or timezone.localdate()
    terms_row = defaults.terms
    checked = _check(
        company_id=company_id,
        defaults=defaults,
        customer_id=customer_id,
        order_date=on,
        valid_until=valid_until
        or (on + dt.timedelta(days=defaults.settings.quote_validity_days if defaults.settings else 30)),
        currency=currency,
        price_list_id=price_list_id
        if price_list_id is not None
        else (terms_row.price_list_id if terms_row else None),
        payment_term_id=payment_term_id
        if payment_term_id is not None
        else (
            terms_row.payment_term_id
            if terms_row and terms_row.payment_term_id
            else (defaults.settings.payment_term_id if defaults.settings else None)
        ),
        warehouse_id=warehouse_id,
        invoicing_policy=invoicing_policy,
        salesperson_id=salesperson_id,
        team_id=team_id,
        customer_reference=customer_reference,
        origin=origin,
        notes=notes,
        lines=lines,
    )
    order = _insert(company_id, checked, actor=actor)
    audit.record(
        actor=actor,
        obj=order,
        action="sales.quotation_create",
        changes={
            "number": [None, order.number],
            "customer": [None, order.customer_id],
            "total": [None, str(order.amount_total)],
        },
    )
    return order


def _locked(actor: User, order_id: int, action: str = MANAGE) -> SalesOrder:
    """The order under lock, re-read (a 404 for one the actor may not see, a 403 for one
    they see but may not change)."""
    policy.require(actor, action)
    rows = fastsql.select(SalesOrder, "id = %s", [order_id], lock=True) if isinstance(order_id, int) else []
    if not rows:
        raise NotFoundError(_("Not found."))
    order = rows[0]
    policy.require(actor, action, order, visible_with=VIEW)
    return order


def _snapshot(order: SalesOrder, lines: list[SalesOrderLine]) -> dict[str, Any]:
    """What the customer received of a version: header and lines, as text."""
    return {
        "number": order.number,
        "revision": order.revision,
        "order_date": order.order_date.isoformat(),
        "valid_until": order.valid_until.isoformat() if order.valid_until else None,
        "currency": order.currency,
        "amount_untaxed": str(order.amount_untaxed),
        "amount_tax": str(order.amount_tax),
        "amount_total": str(order.amount_total),
        "lines": [
            {
                "product_id": line.product_id,
                "description": line.description,
                "quantity": str(line.quantity),
                "uom_id": line.uom_id,
                "unit_price": str(line.unit_price),
                "discount": str(line.discount),
                "tax_id": line.tax_id,
                "is_optional": line.is_optional,
                "amount_untaxed": str(line.amount_untaxed),
            }
            for line in lines
        ],
    }


_UPDATABLE = {
    "customer_id",
    "lines",
    "order_date",
    "valid_until",
    "currency",
    "price_list_id",
    "payment_term_id",
    "warehouse_id",
    "invoicing_policy",
    "salesperson_id",
    "team_id",
    "customer_reference",
    "notes",
}


@transaction.atomic
def quotation_update(*, actor: User, order_id: int, version: int | None = None, **changes: Any) -> SalesOrder:
    """Change a quotation (draft, sent or declined): the fields given change; `lines`, when
    given, replace all its lines. A quotation the customer has seen (sent or declined) gets
    a new version: the one sent is kept (QuoteRevision) and it goes back to draft, to be
    sent again. A stale `version` is a 409; an order is not changed (409)."""
    order = _locked(actor, order_id)
    require_version(order, version)
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise SalesOrderInvalidError(
            _("Unknown fields: %s.") % ", ".join(sorted(unknown)),
            field_errors={name: [_("Unknown field.")] for name in sorted(unknown)},
        )
    if order.state not in EDITABLE_STATES:
        raise SalesOrderStateError(_("Only a quotation can be changed; %s is an order.") % order.number)
    current = order_lines(order)
    given_lines = changes.get("lines")
    if given_lines is None:
        given_lines = [
            OrderLineIn(
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                tax_id=line.tax_id,
                uom_id=line.uom_id,
                description=line.description,
                is_optional=line.is_optional,
            )
            for line in current
        ]

    def value(name: str, current_value: Any) -> Any:
        return changes.get(name, current_value)

    customer_id = value("customer_id", order.customer_id)
    defaults = _defaults(order.company_id, customer_id)
    checked = _check(
        company_id=order.company_id,
        defaults=defaults,
        customer_id=customer_id,
        order_date=value("order_date", order.order_date),
        valid_until=value("valid_until", order.valid_until),
        currency=value("currency", order.currency) or "",
        price_list_id=value("price_list_id", order.price_list_id),
        payment_term_id=value("payment_term_id", order.payment_term_id),
        warehouse_id=value("warehouse_id", order.warehouse_id),
        invoicing_policy=value("invoicing_policy", order.invoicing_policy) or "",
        salesperson_id=value("salesperson_id", order.salesperson_id),
        team_id=value("team_id", order.team_id),
        customer_reference=value("customer_reference", order.customer_reference) or "",
        origin=order.origin,
        notes=value("notes", order.notes) or "",
        lines=given_lines,
    )
    names = [
        "customer_id",
        "order_date",
        "valid_until",
        "currency",
        "price_list_id",
        "payment_term_id",
        "warehouse_id",
        "invoicing_policy",
        "salesperson_id",
        "team_id",
        "customer_reference",
        "notes",
        "amount_total",
        "state",
        "revision",
    ]
    before = audit.snapshot(order, names)
    if order.state in (OrderState.SENT, OrderState.DECLINED):
        QuoteRevision.objects.create(order=order, revision=order.revision, snapshot=_snapshot(order, current))
        order.revision += 1
        order.state = OrderState.DRAFT
        order.answered_at, order.answered_by_name, order.decline_reason = None, "", ""
    for name, new in checked.values.items():
        if name == "salesperson" and new is None:
            continue
        setattr(order, name, new)
    if checked.max_discount > order.max_discount:
        order.discount_approved_by = None  # a bigger discount needs approving anew
    order.amount_untaxed, order.amount_tax, order.amount_total = checked.untaxed, checked.tax, checked.total
    order.amount_margin, order.max_discount = checked.margin, checked.max_discount
    if not policy.allows(actor, MANAGE, order):
        raise SalesOrderInvalidError.for_field(
            "salesperson_id", _("You may not hand the quotation to this salesperson.")
        )
    order.version += 1
    order.save()
    # Lines are written anew (nothing refers to a quotation's lines yet).
    SalesOrderLine.objects.filter(order_id=order.pk).delete()
    for line in checked.lines:
        line.order = order
    SalesOrderLine.objects.bulk_create(checked.lines)
    diff: dict[str, Any] = audit.diff(before, audit.snapshot(order, names))
    if "lines" in changes:
        diff["lines"] = [len(current), len(checked.lines)]
    audit.record(actor=actor, obj=order, action="sales.quotation_update", changes=diff)
    return order


def _discount_check(actor: User, order: SalesOrder) -> None:
    """A discount above the rep's allowance needs a sales manager: their own action approves
    it; anyone else is refused until one approved it."""
    if order.max_discount <= 0 or order.discount_approved_by_id is not None:
        return
    defaults = _defaults(order.company_id, order.customer_id)
    if order.max_discount <= defaults.discount_limit:
        return
    if policy.has_permission(actor, APPROVE_DISCOUNT):
        order.discount_approved_by_id = actor.pk
        return
    raise DiscountApprovalRequiredError(
        _(
            "A discount of %(discount)s %% is above the %(limit)s %% you may give: "
            "ask a sales manager to approve it."
        )
        % {"discount": _plain(order.max_discount), "limit": _plain(defaults.discount_limit)}
    )


@transaction.atomic
def quotation_discount_approve(*, actor: User, order_id: int, version: int | None = None) -> SalesOrder:
    """A sales manager approves the quotation's discounts (`sales.approve_discount`)."""
    policy.require(actor, APPROVE_DISCOUNT)
    order = _locked(actor, order_id, action=VIEW)
    require_version(order, version)
    if order.state not in EDITABLE_STATES:
        raise SalesOrderStateError(_("Only a quotation's discounts are approved."))
    order.discount_approved_by_id = actor.pk
    order.version += 1
    fastsql.update_objects([order], ["discount_approved_by_id", "version"])
    audit.record(
        actor=actor,
        obj=order,
        action="sales.discount_approve",
        changes={"max_discount": [None, str(order.max_discount)]},
    )
    return order


def _recipients(order: SalesOrder, to: Sequence[str] | None) -> list[str]:
    recipients = [address.strip() for address in (to or []) if address and address.strip()]
    if not recipients:
        recipients = list(
            Party.objects.get(pk=order.customer_id)
            .contact_points.filter(kind="email")
            .order_by("-is_primary", "pk")
            .values_list("value", flat=True)[:1]
        )
    if not recipients:
        message = _("The customer has no e-mail address; give one.")
        raise SalesOrderInvalidError(message, field_errors={"to": [message]})
    bad = []
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        message = _("Not an e-mail address: %s.") % ", ".join(bad)
        raise SalesOrderInvalidError(message, field_errors={"to": [message]})
    return recipients


@transaction.atomic
def quotation_send(
    *, actor: User, order_id: int, to: Sequence[str] | None = None, version: int | None = None
) -> SalesOrder:
    """The quotation goes to the customer: e-mailed as a PDF with the acceptance link to `to`
    (None: the customer's e-mail address) after commit, by a handler — or, with `to` an
    empty sequence, only marked as sent (handed over otherwise). A discount above the rep's
    allowance needs a manager's approval first. Publishes QuoteSent."""
    order = _locked(actor, order_id)
    require_version(order, version)
    if order.state not in (OrderState.DRAFT, OrderState.SENT):
        raise SalesOrderStateError(_("Only a quotation is sent; revise a declined one first."))
    if not SalesOrderLine.objects.filter(order_id=order.pk).exists():
        raise SalesOrderInvalidError.for_field("lines", _("Add at least one line."))
    _discount_check(actor, order)
    recipients = [] if to is not None and len(to) == 0 else _recipients(order, to)
    before = order.state
    order.state = OrderState.SENT
    if not recipients:
        order.sent_at = timezone.now()
    order.version += 1
    fastsql.update_objects([order], ["state", "sent_at", "discount_approved_by_id", "version"])
    audit.record(
        actor=actor,
        obj=order,
        action="sales.quotation_send",
        changes={"state": [before, order.state], "to": [None, recipients]},
    )
    outbox.publish(
        QuoteSent(
            company_id=order.company_id,
            order_id=order.pk,
            customer_id=order.customer_id,
            number=order.number,
            revision=order.revision,
            to=tuple(recipients),
            actor_id=actor.pk,
        )
    )
    return order


@transaction.atomic
def quotation_mark_sent(*, order_id: int) -> None:
    """Record that the quotation left by e-mail (called by the sending handler)."""
    SalesOrder.objects.filter(pk=order_id).update(sent_at=timezone.now())


def _stock_check(order: SalesOrder, goods: list[SalesOrderLine]) -> None:
    """Products that are not sold on backorder need the stock at hand in the order's
    warehouse, less what other open deliveries already take."""
    strict = [line for line in goods if not line.product.allows_backorder]
    if not strict:
        return
    needed: dict[int, Decimal] = {}
    for line in strict:
        in_stock_unit = line.quantity * line.uom.ratio / line.product.uom.ratio
        needed[line.product_id] = needed.get(line.product_id, Decimal(0)) + in_stock_unit
    forecast = stock_reports.forecast(
        company_id=order.company_id, product_ids=list(needed), warehouse_id=order.warehouse_id
    )
    short = []
    for line in strict:
        figures = forecast[line.product_id]
        available = figures.on_hand - figures.outgoing
        if needed[line.product_id] > available:
            short.append(
                _("%(sku)s: %(needed)s wanted, %(available)s available")
                % {
                    "sku": line.product.sku,
                    "needed": _plain(needed[line.product_id]),
                    "available": _plain(max(available, Decimal(0))),
                }
            )
    if short:
        raise OutOfStockError(
            _("Not enough stock for products that are not sold on backorder: %s.") % "; ".join(short),
            field_errors={"lines": short},
        )


@transaction.atomic
def order_confirm(
    *, actor: User, order_id: int, version: int | None = None, credit_override: bool = False
) -> SalesOrder:
    """The quotation becomes a sales order: its delivery is made in inventory (one move per
    goods line, `origin_line` naming it) and reserves what stock there is. Refused when a
    product not sold on backorder lacks stock, a discount needs approval, or the customer
    would exceed their credit limit — unless a sales manager overrides it
    (`credit_override`, audited). The delivery is the company's (its system actor writes
    it). Publishes
    OrderConfirmed (its handler makes the invoice when the order is invoiced on order)."""
    order = _locked(actor, order_id)
    require_version(order, version)
    if not order.can_transition_to(OrderState.CONFIRMED):
        raise SalesOrderStateError(_("Only a quotation can be confirmed."))
    lines = [line for line in order_lines(order) if not line.is_optional]
    if not lines:
        raise SalesOrderInvalidError.for_field("lines", _("Add at least one line."))
    _discount_check(actor, order)
    goods = [line for line in lines if line.product.kind != ProductKind.SERVICE]
    _stock_check(order, goods)
    if terms.credit_check(actor=actor, order=order, override=credit_override):
        order.credit_override_by_id = actor.pk
    delivery = None
    if goods:
        # The confirmed order makes its delivery: a rule of the business, not a stock
        # keeper's act, so the company's system actor writes it (the audit names the user).
        stock_actor = system_actor(order.company_id)
        delivery = inventory.transfer_create(
            actor=stock_actor,
            kind=TransferKind.DELIVERY,
            warehouse_id=order.warehouse_id,
            party_id=order.customer_id,
            scheduled_date=timezone.localdate(),
            origin=order.number,
            lines=[
                inventory.MoveIn(
                    product_id=line.product_id,
                    quantity=line.quantity,
                    uom_id=line.uom_id,
                    origin_line=line.origin_line,
                )
                for line in goods
            ],
        )
        inventory.transfer_confirm(actor=stock_actor, transfer_id=delivery.pk)
    before = order.state
    order.state = OrderState.CONFIRMED
    order.confirmed_at = timezone.now()
    order.version += 1
    fastsql.update_objects(
        [order], ["state", "confirmed_at", "discount_approved_by_id", "credit_override_by_id", "version"]
    )
    audit.record(
        actor=actor,
        obj=order,
        action="sales.order_confirm",
        changes={"state": [before, order.state], "delivery": [None, delivery.number if delivery else None]},
    )
    outbox.publish(
        OrderConfirmed(
            company_id=order.company_id,
            order_id=order.pk,
            customer_id=order.customer_id,
            number=order.number,
            currency=order.currency,
            amount_total=str(order.amount_total),
            invoicing_policy=order.invoicing_policy,
            delivery_id=delivery.pk if delivery else None,
            origin=order.origin,
            actor_id=actor.pk,
        )
    )
    return order


def open_deliveries(order: SalesOrder) -> list[Transfer]:
    """The order's deliveries (and their pick and pack steps) not done nor cancelled."""
    return list(
        Transfer.objects.filter(company_id=order.company_id, origin=order.number)
        .exclude(state__in=[TransferState.DONE, TransferState.CANCELLED])
        .order_by("id")
    )


@transaction.atomic
def order_cancel(*, actor: User, order_id: int, version: int | None = None) -> SalesOrder:
    """Cancel a quotation, or an order of which nothing was delivered or invoiced: its open
    deliveries are cancelled in inventory (releasing their reservations). Publishes
    OrderCancelled."""
    order = _locked(actor, order_id)
    require_version(order, version)
    if not order.can_transition_to(OrderState.CANCELLED):
        raise SalesOrderStateError(_("A done or cancelled order cannot be cancelled."))
    if order.state == OrderState.CONFIRMED:
        status = order_lines_status(order)
        if any(row.delivered != 0 for row in status):
            raise SalesOrderStateError(_("Goods were delivered for %s: return them instead.") % order.number)
        if any(row.invoiced.quantity - row.invoiced.credited != 0 for row in status):
            raise SalesOrderStateError(
                _("%s is invoiced: delete or credit its invoices first.") % order.number
            )
        stock_actor = system_actor(order.company_id)
        for delivery in open_deliveries(order):
            inventory.transfer_cancel(actor=stock_actor, transfer_id=delivery.pk)
    before = order.state
    order.state = OrderState.CANCELLED
    order.version += 1
    fastsql.update_objects([order], ["state", "version"])
    audit.record(
        actor=actor, obj=order, action="sales.order_cancel", changes={"state": [before, order.state]}
    )
    outbox.publish(
        OrderCancelled(
            company_id=order.company_id,
            order_id=order.pk,
            customer_id=order.customer_id,
            number=order.number,
            actor_id=actor.pk,
        )
    )
    return order


def _to_invoice(order: SalesOrder, row: LineStatus) -> Decimal:
    """What is left to invoice of a line: by the order's policy, ordered or delivered (services
    count as delivered once ordered), less what its invoices (drafts too) invoice net."""
    if order.invoicing_policy == InvoicingPolicy.ORDER or row.line.product.kind == ProductKind.SERVICE:
        return row.to_invoice_on_order
    return row.to_invoice_on_delivery


@transaction.atomic
def invoice_create_from_order(*, actor: User, order_id: int, date: dt.date | None = None) -> Invoice:
    """A draft customer invoice in finance for what is left to invoice: per line, by the
    order's invoicing policy, ordered (on order) or delivered (on delivery) less what is
    invoiced, at the order's price, tax and discount; reference = the order number; the
    order's payment term. Needs `sales.view_order` and finance's `finance.manage_invoice`."""
    policy.require(actor, VIEW)
    rows = fastsql.select(SalesOrder, "id = %s", [order_id], lock=True) if isinstance(order_id, int) else []
    if not rows or not policy.allows(actor, VIEW, rows[0]):
        raise NotFoundError(_("Not found."))
    order = rows[0]
    return _invoice_make(actor, order, date=date)


def _invoice_make(
    actor: User, order: SalesOrder, *, date: dt.date | None, status: list[LineStatus] | None = None
) -> Invoice:
    if order.state not in (OrderState.CONFIRMED, OrderState.DONE):
        raise SalesOrderStateError(_("Confirm the order before invoicing it."))
    status = [row for row in (status or order_lines_status(order)) if _to_invoice(order, row) > 0]
    if not status:
        raise NothingToInvoiceError(_("Everything of %s is invoiced already.") % order.number)
    lines = [
        invoicing.InvoiceLineIn(
            description=row.line.description,
            quantity=_to_invoice(order, row),
            unit_price=row.line.unit_price,
            discount=row.line.discount,
            tax_id=row.line.tax_id,
            product_code=row.line.product.sku,
        )
        for row in status
    ]
    invoice = invoicing.invoice_create(
        actor=actor,
        kind=InvoiceKind.CUSTOMER_INVOICE,
        party_id=order.customer_id,
        date=date or timezone.localdate(),
        lines=lines,
        payment_term_id=order.payment_term_id,
        currency=order.currency,
        reference=order.number,
    )
    fastsql.insert_objects(
        [
            SalesInvoiceLine(order_line_id=row.line.pk, invoice_id=invoice.pk, sequence=index + 1)
            for index, row in enumerate(status)
        ]
    )
    audit.record(
        actor=actor,
        obj=order,
        action="sales.invoice_create",
        changes={"invoice": [None, invoice.pk], "lines": [None, len(lines)]},
    )
    return invoice


# ----------------------------------------------------------------------------- system writes (handlers)


def order_for_system(company_id: int, number: str) -> SalesOrder | None:
    """The order `number` of the company under lock (for handlers), or None."""
    rows = fastsql.select(SalesOrder, "company_id = %s AND number = %s", [company_id, number], lock=True)
    return rows[0] if rows else None


@transaction.atomic
def order_goods_delivered(*, company_id: int, origin: str, actor_id: int | None = None) -> SalesOrder | None:
    """A system write (from the GoodsDelivered handler): goods left for order `origin`. An
    order invoiced on delivery gets a draft invoice for what was delivered and is not
    invoiced yet (by the company's system actor); OrderDelivered is announced once all is
    delivered; an order invoiced on order may be paid already, and is done now. Returns the
    order (None when `origin` names none, or no confirmed one)."""
    order = order_for_system(company_id, origin)
    if order is None or order.state != OrderState.CONFIRMED:
        return None
    status = order_lines_status(order)
    if order.invoicing_policy == InvoicingPolicy.DELIVERY and any(
        _to_invoice(order, row) > 0 for row in status
    ):
        _invoice_make(system_actor(company_id), order, date=None, status=status)
    delivered, _invoiced = _fully(order, status)
    if delivered:
        outbox.publish(
            OrderDelivered(
                company_id=order.company_id,
                order_id=order.pk,
                customer_id=order.customer_id,
                number=order.number,
                actor_id=actor_id,
            )
        )
        if order.invoicing_policy == InvoicingPolicy.ORDER:
            order_progress(order_id=order.pk, actor_id=actor_id)
    return order


@transaction.atomic
def order_confirmation_invoice(*, actor: User, order_id: int) -> Invoice | None:
    """A system write (from the OrderConfirmed handler): an order invoiced on order gets its
    draft invoice for everything ordered. None when it has one already."""
    rows = fastsql.select(SalesOrder, "id = %s", [order_id], lock=True)
    if not rows or rows[0].invoicing_policy != InvoicingPolicy.ORDER:
        return None
    try:
        return _invoice_make(actor, rows[0], date=None)
    except NothingToInvoiceError:
        return None


def _fully(order: SalesOrder, status: list[LineStatus]) -> tuple[bool, bool]:
    """(everything delivered, everything invoiced on posted documents) of the order."""
    goods = [row for row in status if row.line.product.kind != ProductKind.SERVICE]
    # Delivered: every unit, or no delivery is left open (the rest's backorder was cancelled).
    delivered = (
        not goods or all(row.delivered >= row.line.quantity for row in goods) or not open_deliveries(order)
    )
    invoiced = all(
        row.invoiced.posted - row.invoiced.credited
        >= (
            row.line.quantity
            if order.invoicing_policy == InvoicingPolicy.ORDER or row.line.product.kind == ProductKind.SERVICE
            else row.delivered
        )
        for row in status
    )
    return delivered, invoiced


@transaction.atomic
def order_progress(*, order_id: int, actor_id: int | None = None) -> SalesOrder | None:
    """A system write (from the delivery and payment handlers): a confirmed order whose goods
    are all delivered publishes OrderDelivered once; one that is invoiced in full with every
    invoice paid is marked paid (OrderPaid); delivered, invoiced and paid, it is done."""
    rows = fastsql.select(SalesOrder, "id = %s", [order_id], lock=True)
    if not rows or rows[0].state != OrderState.CONFIRMED:
        return rows[0] if rows else None
    order = rows[0]
    status = order_lines_status(order)
    delivered, invoiced = _fully(order, status)
    changed: list[str] = []
    # Its invoices (credit notes of them settle them: a credited invoice counts as paid).
    statement = fastsql.cursor()
    statement.execute(
        "SELECT i.state, i.payment_state FROM finance_invoice i WHERE i.id IN ("
        " SELECT s.invoice_id FROM sales_salesinvoiceline s"
        " JOIN sales_salesorderline l ON l.id = s.order_line_id WHERE l.order_id = %s)",
        [order.pk],
    )
    documents = statement.fetchall()
    paid = (
        invoiced
        and bool(documents)
        and all(state == InvoiceState.POSTED and payment == PaymentState.PAID for state, payment in documents)
    )
    if paid and order.paid_at is None:
        order.paid_at = timezone.now()
        changed.append("paid_at")
        outbox.publish(
            OrderPaid(
                company_id=order.company_id,
                order_id=order.pk,
                customer_id=order.customer_id,
                number=order.number,
                currency=order.currency,
                amount_total=str(order.amount_total),
                actor_id=actor_id,
            )
        )
    if delivered and paid:
        order.state = OrderState.DONE
        changed.append("state")
    if changed:
        order.version += 1
        fastsql.update_objects([order], [*changed, "version"])
        audit.record(
            actor=None,
            obj=order,
            action="sales.order_progress",
            changes={name: [None, str(getattr(order, name))] for name in changed},
        )
    return order


def orders_of_invoice(invoice_id: int) -> list[int]:
    """The orders an invoice was made from."""
    statement = fastsql.cursor()
    statement.execute(
        "SELECT DISTINCT l.order_id FROM sales_salesinvoiceline s "
        "JOIN sales_salesorderline l ON l.id = s.order_line_id WHERE s.invoice_id = %s ORDER BY l.order_id",
        [invoice_id],
    )
    return [row[0] for row in statement.fetchall()]


# ----------------------------------------------------------------------------- settings

SETTINGS_FIELDS = (
    "default_tax_id",
    "warehouse_id",
    "payment_term_id",
    "invoicing_policy",
    "quote_validity_days",
    "discount_limit",
)


@transaction.atomic
def sales_settings_update(*, actor: User, version: int | None = None, **changes: Any) -> SalesSettings:
    """Change the company's sales defaults (`sales.manage_settings`): the default sales tax,
    the warehouse goods leave from, the payment term, the invoicing policy, how many days a
    quotation holds and the discount (%) a rep may give without approval."""
    policy.require(actor, "sales.manage_settings")
    company_id = policy.actor_company_id(actor)
    settings, _created = SalesSettings.objects.select_for_update().get_or_create(company_id=company_id)
    require_version(settings, version)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in sorted(unknown)}
    clean: dict[str, Any] = {}
    if "default_tax_id" in changes:
        tax = (
            _company_row(Tax, changes["default_tax_id"], company_id)
            if changes["default_tax_id"] is not None
            else None
        )
        if changes["default_tax_id"] is not None and (
            tax is None or tax.scope != TaxScope.SALE or not tax.is_active
        ):
            errors.setdefault("default_tax_id", []).append(_("Choose an active sales tax."))
        clean["default_tax_id"] = changes["default_tax_id"]
    if "warehouse_id" in changes:
        if (
            changes["warehouse_id"] is not None
            and _company_row(Warehouse, changes["warehouse_id"], company_id) is None
        ):
            errors.setdefault("warehouse_id", []).append(_("Unknown warehouse."))
        clean["warehouse_id"] = changes["warehouse_id"]
    if "payment_term_id" in changes:
        if (
            changes["payment_term_id"] is not None
            and _company_row(PaymentTerm, changes["payment_term_id"], company_id) is None
        ):
            errors.setdefault("payment_term_id", []).append(_("Unknown payment term."))
        clean["payment_term_id"] = changes["payment_term_id"]
    if "invoicing_policy" in changes:
        if changes["invoicing_policy"] not in InvoicingPolicy.values:
            errors.setdefault("invoicing_policy", []).append(
                _("Choose one of: %s.") % ", ".join(InvoicingPolicy.values)
            )
        clean["invoicing_policy"] = changes["invoicing_policy"]
    if "quote_validity_days" in changes:
        days = changes["quote_validity_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
            errors.setdefault("quote_validity_days", []).append(_("Between 1 and 366 days."))
        clean["quote_validity_days"] = days
    if "discount_limit" in changes:
        try:
            clean["discount_limit"] = number_parse(changes["discount_limit"], 4, low=Decimal(0), high=HUNDRED)
        except ValueError as exc:
            errors.setdefault("discount_limit", []).append(str(exc))
    if errors:
        raise SalesSettingsInvalidError(_("Please correct the marked fields."), field_errors=errors)
    before = audit.snapshot(settings, list(clean))
    for name, new in clean.items():
        setattr(settings, name, new)
    settings.version += 1
    settings.save()
    audit.record(
        actor=actor,
        obj=settings,
        action="sales.settings_update",
        changes=audit.diff(before, audit.snapshot(settings, list(clean))),
    )
    return settings
