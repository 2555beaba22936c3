"""Writes of purchasing: requests for quotation from draft through sent to a confirmed
purchase order (with its receipt in inventory), cancellation, and supplier bills made from
what was received (or, for services, ordered) and not billed yet.

Every function owns its transaction, checks the policy (`purchasing.manage_order`; making a
bill also needs finance's `finance.manage_invoice`, checked by finance), locks the order it
changes and re-reads it, refuses bad input with a DomainError naming the fields (nothing is
written then), records an audit row and publishes its events through the outbox. E-mail
leaves only after commit, from a handler (handlers.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.models import Product, ProductKind, SupplierPrice, Uom, uom_convert
from kantoor.catalog.selectors import supplier_price_for
from kantoor.core import audit, outbox, policy
from kantoor.core.errors import DomainError, NotFoundError
from kantoor.core.models import Company, User
from kantoor.core.money import currency_validate, exchange_rate_on, quantize
from kantoor.core.numbering import number_allocate
from kantoor.core.services import require_version
from kantoor.core.validation import number_parse, text_errors
from kantoor.finance import invoicing
from kantoor.finance import services as ledger
from kantoor.finance.models import (
    EntryState,
    FinanceSettings,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    Journal,
    JournalEntry,
    JournalLine,
    Tax,
    TaxRounding,
    TaxScope,
)
from kantoor.finance.taxes import TaxRate, document_amounts, line_untaxed
from kantoor.inventory import services as inventory
from kantoor.inventory import valuation
from kantoor.inventory.errors import StockAccountsMissingError
from kantoor.inventory.models import LocationUsage, Move, MoveState, Warehouse
from kantoor.parties.models import Party
from kantoor.purchasing.errors import NothingToBillError, OrderInvalidError, OrderStateError
from kantoor.purchasing.events import PurchaseOrderCancelled, PurchaseOrderConfirmed, RfqSent
from kantoor.purchasing.models import (
    EDITABLE_STATES,
    OrderState,
    PurchaseBillLine,
    PurchaseOrder,
    PurchaseOrderLine,
)
from kantoor.purchasing.selectors import (
    MANAGE,
    VIEW,
    billed_by_line,
    is_received_goods,
    open_receipts,
    order_is_complete,
    order_lines,
    received_by_line,
    three_way_match,
)

log = logging.getLogger(__name__)

NUMBER_CODE = "purchasing.order"
NUMBER_PREFIX = "PO"
PRICE = Decimal("0.000001")
QUANTITY = Decimal("0.0001")


@dataclass(frozen=True)
class OrderLineIn:
    """A line as given: `quantity` in `uom_id` (default: the product's purchase unit); without
    `unit_price` the supplier's price for that quantity (else the product's cost)."""

    product_id: int
    quantity: Decimal | int | str
    unit_price: Decimal | int | str | None = None
    discount: Decimal | int | str = 0
    tax_id: int | None = None
    uom_id: int | None = None
    description: str = ""
    expected_date: dt.date | None = None


_LINE_FIELDS = {f.name for f in fields(OrderLineIn)}


@dataclass
class _Checked:
    """An order's checked header and lines, with the amounts computed."""

    values: dict[str, Any]
    lines: list[PurchaseOrderLine]
    untaxed: Decimal
    tax: Decimal
    total: Decimal


def _in_currency(
    amount: Decimal, from_currency: str, to_currency: str, company_id: int, on: dt.date
) -> Decimal:
    """`amount` in `from_currency` expressed in `to_currency` at the rates of `on`."""
    if from_currency == to_currency:
        return amount
    base_rate = exchange_rate_on(company_id=company_id, currency=from_currency, on=on)
    to_rate = exchange_rate_on(company_id=company_id, currency=to_currency, on=on)
    return (amount / base_rate * to_rate).quantize(PRICE, rounding=ROUND_HALF_UP)


def _default_price(
    product: Product, supplier_id: int, quantity: Decimal, uom: Uom, currency: str, on: dt.date
) -> tuple[Decimal, SupplierPrice | None]:
    """The supplier's price per `uom` for `quantity` (in `uom`), in `currency`; else the
    product's cost (per its stock unit, in company currency)."""
    purchase_uom = product.purchase_uom
    in_purchase_uom = uom_convert(quantity, uom, purchase_uom, rounded=False)
    price = supplier_price_for(product, supplier_id, in_purchase_uom, on)
    if price is not None:
        per_uom = Decimal(price.price) * uom.ratio / purchase_uom.ratio
        amount = _in_currency(per_uom, price.currency, currency, product.company_id, on)
        return amount.quantize(PRICE, rounding=ROUND_HALF_UP), price
    base = Company.objects.values_list("base_currency", flat=True).get(pk=product.company_id)
    per_uom = Decimal(product.cost) * uom.ratio / product.uom.ratio
    return _in_currency(per_uom, base, currency, product.company_id, on).quantize(
        PRICE, rounding=ROUND_HALF_UP
    ), None


def _party(company_id: int, party_id: Any, field: str, errors: dict[str, list[str]]) -> Party | None:
    party = (
        Party.objects.filter(pk=party_id, company_id=company_id).first()
        if isinstance(party_id, int)
        else None
    )
    if party is None:
        errors.setdefault(field, []).append(_("Unknown party."))
    elif party.is_archived or party.merged_into_id is not None:
        errors.setdefault(field, []).append(_("This party is archived."))
        return None
    return party


def _check(
    *,
    company_id: int,
    supplier_id: Any,
    warehouse_id: Any,
    order_date: Any,
    expected_date: Any,
    currency: str,
    dropship_customer_id: Any,
    notes: str,
    lines: Sequence[OrderLineIn | Mapping[str, Any]],
) -> _Checked:
    """Check everything at once (one error names every faulty field) and compute the lines'
    defaults and the amounts; raises OrderInvalidError."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    supplier = _party(company_id, supplier_id, "supplier_id", errors)
    customer = (
        _party(company_id, dropship_customer_id, "dropship_customer_id", errors)
        if dropship_customer_id is not None
        else None
    )
    warehouse = (
        Warehouse.objects.filter(pk=warehouse_id, company_id=company_id, is_active=True).first()
        if isinstance(warehouse_id, int)
        else None
    )
    if warehouse is None:
        fail("warehouse_id", _("Unknown warehouse."))
    if not isinstance(order_date, dt.date) or isinstance(order_date, dt.datetime):
        fail("order_date", _("Not a date."))
        order_date = timezone.localdate()
    if expected_date is not None and (not isinstance(expected_date, dt.date) or expected_date < order_date):
        fail("expected_date", _("The expected date cannot lie before the order date."))
    base = Company.objects.values_list("base_currency", flat=True).get(pk=company_id)
    code = (currency or base).strip().upper()
    try:
        code = currency_validate(code)
        if code != base:
            exchange_rate_on(company_id=company_id, currency=code, on=order_date)
    except DomainError as exc:
        fail("currency", exc.message)
    for field, messages in text_errors(PurchaseOrder, {"notes": notes}).items():
        errors.setdefault(field, []).extend(messages)
    given: list[OrderLineIn] = []
    for i, item in enumerate(lines):
        if isinstance(item, OrderLineIn):
            given.append(item)
        elif isinstance(item, Mapping) and set(item) <= _LINE_FIELDS and "product_id" in item:
            given.append(OrderLineIn(**dict(item)))
        else:
            fail(f"lines[{i}]", _("Unknown line fields."))
    if not given and not errors:
        fail("lines", _("Add at least one line."))
    products = {
        p.pk: p
        for p in Product.objects.select_related("uom", "purchase_uom").filter(
            company_id=company_id,
            pk__in=[line.product_id for line in given if isinstance(line.product_id, int)],
        )
    }
    uoms = {
        u.pk: u
        for u in Uom.objects.filter(
            company_id=company_id, pk__in=[line.uom_id for line in given if isinstance(line.uom_id, int)]
        )
    }
    taxes = {
        t.pk: t
        for t in Tax.objects.filter(
            company_id=company_id, pk__in=[line.tax_id for line in given if isinstance(line.tax_id, int)]
        )
    }
    checked: list[PurchaseOrderLine] = []
    for i, line in enumerate(given):
        prefix = f"lines[{i}]"
        product = products.get(line.product_id) if isinstance(line.product_id, int) else None
        if product is None:
            fail(f"{prefix}.product_id", _("Unknown product."))
            continue
        if not product.is_active or not product.is_purchased:
            fail(f"{prefix}.product_id", _("%s is not bought.") % product.sku)
            continue
        uom = product.purchase_uom
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
            numbers["discount"] = number_parse(line.discount, 4, low=Decimal(0), high=Decimal(100))
        except ValueError as exc:
            fail(f"{prefix}.discount", str(exc))
        if line.unit_price is not None and str(line.unit_price).strip() != "":
            try:
                numbers["unit_price"] = number_parse(line.unit_price, 6, low=Decimal(0))
            except ValueError as exc:
                fail(f"{prefix}.unit_price", str(exc))
        tax = None
        if line.tax_id is not None:
            tax = taxes.get(line.tax_id) if isinstance(line.tax_id, int) else None
            if tax is None or not tax.is_active:
                fail(f"{prefix}.tax_id", _("Unknown tax."))
            elif tax.scope != TaxScope.PURCHASE:
                fail(f"{prefix}.tax_id", _("Tax %s is not a purchase tax.") % tax.code)
        description = (line.description or "").strip() or product.name
        for field, messages in text_errors(PurchaseOrderLine, {"description": description}).items():
            errors.setdefault(f"{prefix}.{field}", []).extend(messages)
        line_expected = line.expected_date
        if line_expected is not None and not isinstance(line_expected, dt.date):
            fail(f"{prefix}.expected_date", _("Not a date."))
            line_expected = None
        if errors or "quantity" not in numbers or supplier is None:
            continue
        supplier_price = None
        if "unit_price" not in numbers:
            try:
                numbers["unit_price"], supplier_price = _default_price(
                    product, supplier.pk, numbers["quantity"], uom, code, order_date
                )
            except DomainError as exc:
                fail(f"{prefix}.unit_price", exc.message)
                continue
        if line_expected is None:
            if supplier_price is None:
                supplier_price = supplier_price_for(
                    product,
                    supplier.pk,
                    uom_convert(numbers["quantity"], uom, product.purchase_uom, rounded=False),
                    order_date,
                )
            days = supplier_price.lead_time_days if supplier_price is not None else 0
            line_expected = expected_date or (order_date + dt.timedelta(days=days))
        checked.append(
            PurchaseOrderLine(
                sequence=i + 1,
                product=product,
                description=description,
                quantity=numbers["quantity"],
                uom=uom,
                unit_price=numbers["unit_price"],
                discount=numbers.get("discount", Decimal(0)),
                tax=tax,
                expected_date=line_expected,
            )
        )
    if errors:
        raise OrderInvalidError(_("Please correct the marked fields."), field_errors=errors)
    assert supplier is not None  # noqa: S101 - refused above otherwise
    rounding = (
        FinanceSettings.objects.filter(company_id=company_id).values_list("tax_rounding", flat=True).first()
        or TaxRounding.PER_LINE
    )
    for row in checked:
        row.amount_untaxed = line_untaxed(row.quantity, row.unit_price, row.discount, code)
    rates = {
        row.tax.pk: TaxRate(rate=row.tax.rate, is_reverse=row.tax.is_reverse_charge)
        for row in checked
        if row.tax is not None
    }
    amounts = document_amounts(
        [(row.amount_untaxed, row.tax.pk if row.tax else None) for row in checked],
        rates,
        rounding=rounding,
        currency=code,
    )
    if abs(amounts.total) >= Decimal(10) ** 12:
        raise OrderInvalidError(_("The total is too large."), field_errors={"lines": [_("Too large.")]})
    return _Checked(
        values={
            "supplier": supplier,
            "warehouse": warehouse,
            "order_date": order_date,
            "expected_date": expected_date,
            "currency": code,
            "dropship_customer": customer,
            "notes": notes.strip(),
        },
        lines=checked,
        untaxed=amounts.untaxed,
        tax=amounts.tax,
        total=amounts.total,
    )


def _lines_save(order: PurchaseOrder, lines: list[PurchaseOrderLine]) -> None:
    for line in lines:
        line.order = order
    PurchaseOrderLine.objects.bulk_create(lines)


def _insert(company_id: int, checked: _Checked, *, actor: User | None) -> PurchaseOrder:
    order = PurchaseOrder(
        company_id=company_id,
        number=number_allocate(
            company_id=company_id, code=NUMBER_CODE, on=checked.values["order_date"], prefix=NUMBER_PREFIX
        ),
        buyer=actor,
        created_by=actor,
        amount_untaxed=checked.untaxed,
        amount_tax=checked.tax,
        amount_total=checked.total,
        **checked.values,
    )
    order.save()
    _lines_save(order, checked.lines)
    return order


@transaction.atomic
def rfq_create(
    *,
    actor: User,
    supplier_id: int,
    warehouse_id: int,
    lines: Sequence[OrderLineIn | Mapping[str, Any]],
    order_date: dt.date | None = None,
    expected_date: dt.date | None = None,
    currency: str = "",
    dropship_customer_id: int | None = None,
    notes: str = "",
) -> PurchaseOrder:
    """A request for quotation (a draft order) with its lines and totals, numbered now (the
    supplier quotes that number back). Lines without a price take the supplier's price for
    the quantity (quantities in the product's purchase unit unless another is given)."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    checked = _check(
        company_id=company_id,
        supplier_id=supplier_id,
        warehouse_id=warehouse_id,
        order_date=order_date or timezone.localdate(),
        expected_date=expected_date,
        currency=currency,
        dropship_customer_id=dropship_customer_id,
        notes=notes,
        lines=lines,
    )
    order = _insert(company_id, checked, actor=actor)
    audit.record(
        actor=actor,
        obj=order,
        action="purchasing.rfq_create",
        changes={
            "number": [None, order.number],
            "supplier": [None, order.supplier_id],
            "total": [None, order.amount_total],
        },
    )
    return order


def _locked(actor: User, order_id: int, action: str = MANAGE) -> PurchaseOrder:
    """The order under lock, re-read (a 404 for one the actor may not see, a 403 for one
    they see but may not change)."""
    policy.require(actor, action)
    order = (
        PurchaseOrder.objects.select_for_update().filter(pk=order_id).first()
        if isinstance(order_id, int)
        else None
    )
    if order is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, action, order, visible_with=VIEW)
    return order


@transaction.atomic
def rfq_update(
    *,
    actor: User,
    order_id: int,
    version: int,
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
    lines: Sequence[OrderLineIn | Mapping[str, Any]] | None = None,
    order_date: dt.date | None = None,
    expected_date: dt.date | None = None,
    currency: str | None = None,
    dropship_customer_id: int | None = None,
    clear_dropship: bool = False,
    notes: str | None = None,
) -> PurchaseOrder:
    """Change an RFQ (draft or sent): the fields given change; `lines`, when given, replace
    all its lines. A stale `version` is a 409; a confirmed order is not changed (409)."""
    order = _locked(actor, order_id)
    require_version(order, version)
    if order.state not in EDITABLE_STATES:
        raise OrderStateError(_("Only a request for quotation can be changed."))
    current = [
        OrderLineIn(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            tax_id=line.tax_id,
            uom_id=line.uom_id,
            description=line.description,
            expected_date=line.expected_date,
        )
        for line in order_lines(order)
    ]
    checked = _check(
        company_id=order.company_id,
        supplier_id=supplier_id if supplier_id is not None else order.supplier_id,
        warehouse_id=warehouse_id if warehouse_id is not None else order.warehouse_id,
        order_date=order_date or order.order_date,
        expected_date=expected_date if expected_date is not None else order.expected_date,
        currency=currency if currency is not None else order.currency,
        dropship_customer_id=None
        if clear_dropship
        else (dropship_customer_id if dropship_customer_id is not None else order.dropship_customer_id),
        notes=notes if notes is not None else order.notes,
        lines=lines if lines is not None else current,
    )
    names = [
        "supplier_id",
        "warehouse_id",
        "order_date",
        "expected_date",
        "currency",
        "dropship_customer_id",
        "notes",
        "amount_total",
    ]
    before = audit.snapshot(order, names)
    for name, value in checked.values.items():
        setattr(order, name, value)
    order.amount_untaxed, order.amount_tax, order.amount_total = checked.untaxed, checked.tax, checked.total
    order.version += 1
    order.save()
    if lines is None:
        # The same lines (re-priced only if the currency changed): they keep their ids, which
        # receipts and bills refer to.
        kept = order_lines(order)
        for row, new in zip(kept, checked.lines, strict=True):
            row.unit_price, row.amount_untaxed = new.unit_price, new.amount_untaxed
        PurchaseOrderLine.objects.bulk_update(kept, ["unit_price", "amount_untaxed"])
    else:
        order.lines.all().delete()
        _lines_save(order, checked.lines)
    changes: dict[str, Any] = audit.diff(before, audit.snapshot(order, names))
    if lines is not None:
        changes["lines"] = [None, len(checked.lines)]
    audit.record(actor=actor, obj=order, action="purchasing.rfq_update", changes=changes)
    return order


def _recipients(order: PurchaseOrder, to: Sequence[str] | None) -> list[str]:
    recipients = [address.strip() for address in (to or []) if address and address.strip()]
    if not recipients:
        recipients = list(
            order.supplier.contact_points.filter(kind="email")
            .order_by("-is_primary", "pk")
            .values_list("value", flat=True)[:1]
        )
    if not recipients:
        raise OrderInvalidError(
            _("The supplier has no e-mail address; give one."),
            field_errors={"to": [_("The supplier has no e-mail address; give one.")]},
        )
    bad = []
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        message = _("Not an e-mail address: %s.") % ", ".join(bad)
        raise OrderInvalidError(message, field_errors={"to": [message]})
    return recipients


@transaction.atomic
def rfq_send(
    *, actor: User, order_id: int, to: Sequence[str] | None = None, version: int | None = None
) -> PurchaseOrder:
    """Ask for the RFQ (or, once confirmed, the purchase order) to be e-mailed as a PDF to
    `to` or the supplier's e-mail address; a draft RFQ becomes "RFQ sent". The e-mail leaves
    after commit, from a handler, which records `sent_at`. Publishes RfqSent."""
    order = _locked(actor, order_id)
    require_version(order, version)
    if order.state not in (OrderState.DRAFT, OrderState.SENT, OrderState.CONFIRMED):
        raise OrderStateError(_("A done or cancelled order is not sent."))
    recipients = _recipients(order, to)
    before = order.state
    if order.state == OrderState.DRAFT:
        order.state = OrderState.SENT
    order.version += 1
    order.save(update_fields=["state", "version", "updated_at"])
    audit.record(
        actor=actor,
        obj=order,
        action="purchasing.rfq_send",
        changes={"state": [before, order.state], "to": [None, recipients]},
    )
    outbox.publish(
        RfqSent(
            company_id=order.company_id,
            order_id=order.pk,
            supplier_id=order.supplier_id,
            number=order.number,
            to=tuple(recipients),
            actor_id=actor.pk,
        )
    )
    return order


@transaction.atomic
def order_mark_sent(*, order_id: int) -> None:
    """Record that the order left by e-mail (called by the sending handler)."""
    PurchaseOrder.objects.filter(pk=order_id).update(sent_at=timezone.now())


def _unit_cost(order: PurchaseOrder, line: PurchaseOrderLine, on: dt.date) -> Decimal:
    """The line's net unit price (per its unit) in company currency at the rate of `on`."""
    net = Decimal(line.unit_price) * (100 - Decimal(line.discount)) / 100
    base = Company.objects.values_list("base_currency", flat=True).get(pk=order.company_id)
    return _in_currency(net, order.currency, base, order.company_id, on).quantize(
        PRICE, rounding=ROUND_HALF_UP
    )


@transaction.atomic
def order_confirm(*, actor: User, order_id: int, version: int | None = None) -> PurchaseOrder:
    """The RFQ becomes a purchase order: a receipt for its goods is made in inventory (one
    move per line, `origin_line` naming it, valued at the net price in company currency), into
    the warehouse's stock — or, drop-shipped, from the supplier straight to the customer
    (no stock, no valuation). Needs inventory's `manage_stock` too. Publishes
    PurchaseOrderConfirmed."""
    order = _locked(actor, order_id)
    require_version(order, version)
    if not order.can_transition_to(OrderState.CONFIRMED):
        raise OrderStateError(_("Only a request for quotation can be confirmed."))
    lines = order_lines(order)
    on = timezone.localdate()
    goods = [line for line in lines if is_received_goods(line)]
    receipt = None
    if goods:
        destination_id = (
            inventory.company_location(order.company_id, LocationUsage.CUSTOMER).pk
            if order.is_dropship
            else None
        )
        receipt = inventory.transfer_create(
            actor=actor,
            kind="receipt",
            warehouse_id=order.warehouse_id,
            party_id=order.supplier_id,
            destination_id=destination_id,
            scheduled_date=order.expected_date
            or min((line.expected_date or on for line in goods), default=on),
            origin=order.number,
            lines=[
                inventory.MoveIn(
                    product_id=line.product_id,
                    quantity=line.quantity,
                    uom_id=line.uom_id,
                    unit_cost=_unit_cost(order, line, on),
                    origin_line=line.origin_line,
                )
                for line in goods
            ],
        )
        inventory.transfer_confirm(actor=actor, transfer_id=receipt.pk)
    before = order.state
    order.state = OrderState.CONFIRMED
    order.confirmed_at = timezone.now()
    order.version += 1
    order.save(update_fields=["state", "confirmed_at", "version", "updated_at"])
    audit.record(
        actor=actor,
        obj=order,
        action="purchasing.order_confirm",
        changes={"state": [before, order.state], "receipt": [None, receipt.number if receipt else None]},
    )
    outbox.publish(
        PurchaseOrderConfirmed(
            company_id=order.company_id,
            order_id=order.pk,
            supplier_id=order.supplier_id,
            number=order.number,
            currency=order.currency,
            amount_total=str(order.amount_total),
            receipt_id=receipt.pk if receipt else None,
            actor_id=actor.pk,
        )
    )
    return order


@transaction.atomic
def order_cancel(*, actor: User, order_id: int, version: int | None = None) -> PurchaseOrder:
    """Cancel an RFQ or an order of which nothing was received or billed: its open receipts
    are cancelled in inventory (so they can no longer be validated). Publishes
    PurchaseOrderCancelled."""
    order = _locked(actor, order_id)
    require_version(order, version)
    if not order.can_transition_to(OrderState.CANCELLED):
        raise OrderStateError(_("A done or cancelled order cannot be cancelled."))
    lines = order_lines(order)
    received = received_by_line(lines)
    if any(received[line.pk] != 0 for line in lines if is_received_goods(line)):
        raise OrderStateError(_("Goods were received for %s: it can no longer be cancelled.") % order.number)
    billed = billed_by_line(lines)
    if any(billed[line.pk].quantity or billed[line.pk].posted_quantity for line in lines):
        # A bill refunded in full (posted) leaves nothing billed; a draft refund not yet.
        raise OrderStateError(_("%s is billed: delete or credit its bills first.") % order.number)
    for receipt in open_receipts(order):
        inventory.transfer_cancel(actor=actor, transfer_id=receipt.pk)
    before = order.state
    order.state = OrderState.CANCELLED
    order.version += 1
    order.save(update_fields=["state", "version", "updated_at"])
    audit.record(
        actor=actor, obj=order, action="purchasing.order_cancel", changes={"state": [before, order.state]}
    )
    outbox.publish(
        PurchaseOrderCancelled(
            company_id=order.company_id,
            order_id=order.pk,
            supplier_id=order.supplier_id,
            number=order.number,
            actor_id=actor.pk,
        )
    )
    return order


def _received_account(company_id: int, product: Product) -> int | None:
    """The goods-received-not-invoiced account the receipt booked the product's value to:
    its category's, the company default's, else the account with that role (lowest code) —
    as inventory's valuation chooses it. None when there is none."""
    try:
        return valuation.Accounts(company_id, {product.category_id}).account(
            product.category_id, "received_account"
        )
    except StockAccountsMissingError:
        return None


@transaction.atomic
def bill_create_from_order(*, actor: User, order_id: int, date: dt.date | None = None) -> Invoice:
    """A draft supplier bill in finance for what is left to bill: per line, what was
    received less what is billed (services: ordered less billed), at the order's price. Goods
    kept in stock (not drop-shipped) are billed to the goods-received account their receipt
    credited, so the bill clears it; the rest to the purchase journal's expense account.
    Needs `purchasing.view_order` and finance's `finance.manage_invoice`."""
    policy.require(actor, VIEW)
    order = (
        PurchaseOrder.objects.select_for_update().filter(pk=order_id).first()
        if isinstance(order_id, int)
        else None
    )
    if order is None or not policy.allows(actor, VIEW, order):
        raise NotFoundError(_("Not found."))
    if order.state not in (OrderState.CONFIRMED, OrderState.DONE):
        raise OrderStateError(_("Confirm the order before billing it."))
    to_bill = [row for row in three_way_match(order) if row.to_bill > 0]
    if not to_bill:
        raise NothingToBillError(_("Everything received on %s is billed already.") % order.number)
    lines = []
    for row in to_bill:
        line = row.line
        account_id = (
            _received_account(order.company_id, line.product)
            if line.product.kind == ProductKind.STOCKABLE and not order.is_dropship
            else None
        )
        lines.append(
            invoicing.InvoiceLineIn(
                description=f"{order.number}: {line.description}"[:300],
                quantity=row.to_bill,
                unit_price=line.unit_price,
                discount=line.discount,
                tax_id=line.tax_id,
                account_id=account_id,
                product_code=line.product.sku,
            )
        )
    bill = invoicing.invoice_create(
        actor=actor,
        kind=InvoiceKind.SUPPLIER_BILL,
        party_id=order.supplier_id,
        date=date or timezone.localdate(),
        lines=lines,
        currency=order.currency,
        reference=order.number,
    )
    PurchaseBillLine.objects.bulk_create(
        [
            PurchaseBillLine(order_line=row.line, invoice=bill, sequence=index + 1)
            for index, row in enumerate(to_bill)
        ]
    )
    audit.record(
        actor=actor,
        obj=order,
        action="purchasing.bill_create_from_order",
        changes={"bill": [None, bill.pk], "lines": [None, len(lines)]},
    )
    return bill


def _cost_account(company_id: int, product: Product) -> int:
    """The account a purchase price difference is a cost on: the product's cost of sales, as
    inventory's valuation chooses it (where the goods' value goes when they are sold)."""
    return valuation.Accounts(company_id, {product.category_id}).account(product.category_id, "cogs_account")


def _received_unit_value(line: PurchaseOrderLine) -> Decimal | None:
    """What the receipt credited goods-received with per stock unit of the line's product,
    in company currency: the value of the goods received over their quantity (the order's
    net price converted at confirmation), else — nothing received yet — the receipt's
    planned unit cost. None without a receipt."""
    moves = list(
        Move.objects.filter(origin_line=line.origin_line, source__usage=LocationUsage.SUPPLIER)
        .exclude(state=MoveState.CANCELLED)
        .order_by("id")
        .values_list("state", "quantity", "value", "unit_cost")
    )
    done = [(quantity, value) for state, quantity, value, _cost in moves if state == MoveState.DONE]
    quantity = sum((row[0] for row in done), Decimal(0))
    if quantity > 0:
        return sum((row[1] for row in done), Decimal(0)) / quantity
    return Decimal(moves[0][3]) if moves else None


def _posted_amounts(invoice: Invoice, lines: list[InvoiceLine], base: str) -> dict[int, Decimal]:
    """Per invoice line (by id): its untaxed amount as the posted entry booked it in company
    currency, positive for a billed (or refunded) line. The entry books the invoice's lines
    first, in order, one journal line each (finance.invoicing._entry_lines); should that no
    longer hold, the line's amount converted at the invoice's rate, as posting converts it."""
    booked = [line for line in lines if line.amount_untaxed]
    sign = Decimal(1) if invoice.kind == InvoiceKind.SUPPLIER_BILL else Decimal(-1)
    entry_lines = list(
        JournalLine.objects.filter(entry_id=invoice.entry_id)
        .order_by("id")
        .values_list("account_id", "debit", "credit")[: len(booked)]
    )
    if len(entry_lines) == len(booked) and all(
        row[0] == line.account_id for row, line in zip(entry_lines, booked, strict=True)
    ):
        return {
            line.pk: sign * (Decimal(row[1]) - Decimal(row[2]))
            for row, line in zip(entry_lines, booked, strict=True)
        }
    if invoice.currency == base:
        return {line.pk: line.amount_untaxed for line in booked}
    return {line.pk: quantize(line.amount_untaxed / invoice.rate, base) for line in booked}


def _stock_journal(company_id: int) -> Journal | None:
    """The journal inventory books goods-received in (its stock journal, else the general
    one); None without either."""
    try:
        return valuation.books_read(company_id).journal
    except StockAccountsMissingError:
        return None


def price_difference_reference(number: str) -> str:
    """The reference of the entry booking a bill's (or refund's) price difference: how a
    second delivery of the event finds it booked already."""
    return f"price difference {number}"[:120]


@transaction.atomic
def bill_price_difference_book(*, invoice_id: int) -> JournalEntry | None:
    """A system write (from handlers), in the name of who posted the bill: a posted supplier
    bill made from orders that bills stockable goods (kept in stock) at another price than
    the order's leaves the difference on goods-received — the receipt credited it at the
    order's price in company currency, the bill debits it at the billed amount. Book that
    difference, for the quantity billed, from goods-received to the product's cost of sales
    (a purchase price variance: the stock keeps the order's price). A supplier refund of
    such a bill books it back for the quantity refunded. Once per document: the entry's
    reference is `price_difference_reference`. None when there is nothing to book."""
    invoice = (
        Invoice.objects.select_for_update()
        .filter(
            pk=invoice_id,
            state=InvoiceState.POSTED,
            kind__in=[InvoiceKind.SUPPLIER_BILL, InvoiceKind.SUPPLIER_REFUND],
        )
        .first()
    )
    if invoice is None or invoice.entry_id is None:
        return None
    reference = price_difference_reference(invoice.number)
    refund = invoice.kind == InvoiceKind.SUPPLIER_REFUND
    bill_id = invoice.credit_note_of_id if refund else invoice.pk
    if bill_id is None:
        return None
    links = {
        link.sequence: link.order_line
        for link in PurchaseBillLine.objects.filter(invoice_id=bill_id).select_related(
            "order_line__order", "order_line__product__uom", "order_line__uom"
        )
    }
    if not links:
        return None
    lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("sequence", "id"))
    bill_sequences = (
        dict(InvoiceLine.objects.filter(invoice_id=bill_id).values_list("pk", "sequence")) if refund else {}
    )
    currency = Company.objects.values_list("base_currency", flat=True).get(pk=invoice.company_id)
    amounts = _posted_amounts(invoice, lines, currency)
    balances: dict[int, Decimal] = defaultdict(Decimal)  # account → debit (+) / credit (−)
    for line in lines:
        sequence: int | None = line.sequence
        if refund:  # the bill line it credits (none: a line added to the refund by hand)
            credited = line.credited_line_id
            sequence = bill_sequences.get(credited) if credited is not None else None
        order_line = links.get(sequence) if sequence is not None else None
        if order_line is None or line.pk not in amounts:
            continue
        product = order_line.product
        if product.kind != ProductKind.STOCKABLE or order_line.order.is_dropship:
            continue
        received_account = _received_account(invoice.company_id, product)
        if line.account_id != received_account:  # booked elsewhere by hand: not on goods-received
            continue
        unit = _received_unit_value(order_line)
        if unit is None:
            continue
        quantity = uom_convert(line.quantity, order_line.uom, product.uom, rounded=False)
        difference = amounts[line.pk] - quantize(quantity * unit, currency)
        if refund:
            difference = -difference
        balances[_cost_account(invoice.company_id, product)] += difference
        balances[received_account] -= difference
    entry_lines = [
        ledger.LineIn(
            account_id=account_id,
            debit=amount if amount > 0 else 0,
            credit=-amount if amount < 0 else 0,
            label=reference,
        )
        for account_id, amount in sorted(balances.items())
        if amount
    ]
    if not entry_lines:
        return None
    journal = _stock_journal(invoice.company_id)
    booked = JournalEntry.objects.filter(  # by the (company, state, date) index
        company_id=invoice.company_id, state=EntryState.POSTED, date=invoice.date, reference=reference
    )
    if booked.exists():  # the invoice's lock above orders two deliveries of the event
        return None
    poster = User.objects.filter(pk=invoice.posted_by_id).first() if invoice.posted_by_id else None
    if journal is None or poster is None:
        log.warning("price difference of %s not booked: no journal or no poster", invoice.number)
        return None
    return ledger.entry_book(
        actor=poster,
        journal_id=journal.pk,
        known=ledger.Known(journal=journal, currency=currency),
        date=invoice.date,
        lines=entry_lines,
        reference=reference,
        narration=_("Purchase price difference on %s") % invoice.number,
        permission=invoicing.MANAGE,  # part of posting the bill, which needed it
    )


@transaction.atomic
def order_done_check(*, order_id: int) -> bool:
    """A system write (from handlers): a confirmed order everything of which was received
    and billed on posted bills becomes done. True when it did."""
    order = PurchaseOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None or not order.can_transition_to(OrderState.DONE) or not order_is_complete(order):
        return False
    order.state = OrderState.DONE
    order.version += 1
    order.save(update_fields=["state", "version", "updated_at"])
    audit.record(
        actor=None,
        obj=order,
        action="purchasing.order_done",
        changes={"state": [OrderState.CONFIRMED, OrderState.DONE]},
        company_id=order.company_id,
    )
    return True


@transaction.atomic
def rfq_create_for_reorder(
    *, company_id: int, product_id: int, warehouse_id: int, quantity: Decimal
) -> PurchaseOrder | None:
    """A system write (from the reorder check): a draft RFQ to the product's preferred
    supplier (the supplier price of lowest priority, then cheapest) for `quantity` in the
    product's stock unit, converted into its purchase unit. None, with a log line, when the
    product has no supplier or an RFQ for it in that warehouse is still open."""
    product = (
        Product.objects.select_related("uom", "purchase_uom")
        .filter(pk=product_id, company_id=company_id)
        .first()
    )
    if product is None:
        return None
    on = timezone.localdate()
    wanted = uom_convert(Decimal(quantity), product.uom, product.purchase_uom, rounded=False)
    rounded = product.purchase_uom.round(wanted)
    if rounded < wanted:
        rounded += product.purchase_uom.rounding
    # The preferred supplier's price for the quantity; below every price break, its smallest
    # order quantity.
    preferred = supplier_price_for(product, None, rounded, on) or (
        SupplierPrice.objects.filter(company_id=company_id, product=product)
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )
        .order_by("priority", "min_quantity", "price", "id")
        .first()
    )
    if preferred is None:
        log.info("reorder: %s has no supplier price; no RFQ proposed", product.sku)
        return None
    if PurchaseOrderLine.objects.filter(
        product=product,
        order__company_id=company_id,
        order__warehouse_id=warehouse_id,
        order__state__in=EDITABLE_STATES,
    ).exists():
        log.info("reorder: an RFQ for %s is open already", product.sku)
        return None
    rounded = max(rounded, Decimal(preferred.min_quantity)).quantize(QUANTITY)
    checked = _check(
        company_id=company_id,
        supplier_id=preferred.supplier_id,
        warehouse_id=warehouse_id,
        order_date=on,
        expected_date=None,
        currency=preferred.currency,
        dropship_customer_id=None,
        notes="",
        lines=[OrderLineIn(product_id=product.pk, quantity=rounded)],
    )
    order = _insert(company_id, checked, actor=None)
    audit.record(
        actor=None,
        obj=order,
        action="purchasing.rfq_create_for_reorder",
        changes={
            "number": [None, order.number],
            "product": [None, product.sku],
            "quantity": [None, str(rounded)],
        },
        company_id=company_id,
    )
    return order
