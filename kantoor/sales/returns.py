"""Customer returns: a return authorisation (RMA) agreed on a confirmed order, the return
receipt that brings the goods back into the order's warehouse, and the draft credit note
for what was invoiced of them.

    requested (draft) ─approve→ approved ─receipt done→ received (nothing invoiced to credit)
          │                      │                   └→ credited (a draft credit note made)
          └──────cancel──────────┴→ cancelled (the open return receipt is cancelled too)

- A line may return at most what was delivered of the order line (done moves to the
  customers less done moves back, in the line's unit) less what open RMAs (requested or
  approved) already take back.
- Approving makes the return receipt in inventory (kind return_in, from the customers into
  the warehouse's receiving location) with `origin` = the RMA number and each move's
  `origin_line` = the order line's, so the order counts the goods as returned once the
  receipt is done. The receipt is the company's (its system actor writes it).
- When the receipt is done, `return_handlers.on_return_received` marks the RMA received and
  credits, by the system actor, the returned quantities that posted invoices invoiced (and
  no credit note credits yet): one draft credit note per invoice, the RMA keeping the first.

Every write owns its transaction, checks `sales.manage_return` (a rep: their own orders'),
locks the order or the RMA and re-reads it, refuses bad input with nothing written, and
writes an audit row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.core import audit, policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import User
from kantoor.core.numbering import number_allocate
from kantoor.core.services import require_version, system_actor
from kantoor.finance import invoicing
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceLine, InvoiceState
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Move, MoveState, Transfer, TransferKind, TransferState
from kantoor.sales.errors import ReturnInvalidError, ReturnStateError
from kantoor.sales.models import (
    OrderState,
    ReturnAuthorisation,
    ReturnLine,
    ReturnState,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderLine,
)
from kantoor.sales.selectors import order_lines, order_lines_status

VIEW = "sales.view_return"
MANAGE = "sales.manage_return"
NUMBER_CODE = "sales.return"
NUMBER_PREFIX = "RMA"
QUANTITY = Decimal("0.0001")
OPEN_STATES = (ReturnState.DRAFT, ReturnState.APPROVED)
RETURNABLE_ORDER_STATES = (OrderState.CONFIRMED, OrderState.DONE)


# ----------------------------------------------------------------------------- reads


def returns_visible(actor: policy.Actor) -> QuerySet[ReturnAuthorisation]:
    return policy.filter_queryset(actor, VIEW, ReturnAuthorisation.objects.all())


def returns_list(
    actor: policy.Actor, *, order_id: int | None = None, state: str = ""
) -> QuerySet[ReturnAuthorisation]:
    """The RMAs the actor may see (of one order), newest first."""
    rmas = returns_visible(actor).select_related("order__customer", "receipt", "credit_note")
    if order_id is not None:
        rmas = rmas.filter(order_id=order_id)
    if state:
        rmas = rmas.filter(state=state)
    return rmas.order_by("-created_at", "-id")


def return_get_for_actor(actor: policy.Actor, return_id: int) -> ReturnAuthorisation:
    rma = (
        returns_visible(actor)
        .select_related("order__customer", "order__warehouse", "receipt", "credit_note", "created_by")
        .filter(pk=return_id)
        .first()
    )
    if rma is None:
        raise NotFoundError(_("Not found."))
    return rma


def return_lines(rma: ReturnAuthorisation) -> list[ReturnLine]:
    return list(
        ReturnLine.objects.filter(authorisation_id=rma.pk)
        .select_related("order_line__product", "order_line__uom")
        .order_by("order_line__sequence", "order_line_id", "id")
    )


@dataclass(frozen=True)
class Returnable:
    """An order line as a return sees it, in the line's unit: what was delivered (net of
    done returns), what open RMAs take back, and what is left to return."""

    line: SalesOrderLine
    delivered: Decimal
    pending: Decimal

    @property
    def returnable(self) -> Decimal:
        return max(self.delivered - self.pending, Decimal(0))


def _pending_by_line(order_id: int, exclude_return_id: int | None = None) -> dict[int, Decimal]:
    rows = ReturnLine.objects.filter(authorisation__order_id=order_id, authorisation__state__in=OPEN_STATES)
    if exclude_return_id is not None:
        rows = rows.exclude(authorisation_id=exclude_return_id)
    return {
        line_id: Decimal(str(total)).quantize(QUANTITY)  # SQLite sums in floating point
        for line_id, total in rows.values("order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("order_line_id", "total")
    }


def returnable_lines(order: SalesOrder) -> list[Returnable]:
    """The order's lines with what may still be returned of each (goods lines only)."""
    pending = _pending_by_line(order.pk)
    return [
        Returnable(
            line=status.line, delivered=status.delivered, pending=pending.get(status.line.pk, Decimal(0))
        )
        for status in order_lines_status(order)
        if status.delivered > 0 or pending.get(status.line.pk)
    ]


def returnable_for_actor(actor: policy.Actor, order_id: int) -> tuple[SalesOrder, list[Returnable]]:
    """The order (visible to the actor) and its returnable lines: the RMA form's rows."""
    policy.require(actor, VIEW)
    order = (
        policy.filter_queryset(actor, VIEW, SalesOrder.objects.select_related("customer"))
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFoundError(_("Not found."))
    return order, returnable_lines(order)


# ----------------------------------------------------------------------------- writes


def _quantity(value: Any, field: str) -> Decimal:
    if isinstance(value, float | bool):
        raise ReturnInvalidError.for_field(field, _("Give the quantity as a decimal number."))
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ReturnInvalidError.for_field(field, _("Enter a number.")) from None
    if not quantity.is_finite() or quantity <= 0:
        raise ReturnInvalidError.for_field(field, _("Enter a quantity above zero."))
    if quantity != quantity.quantize(QUANTITY) or quantity >= Decimal(10) ** 14:
        raise ReturnInvalidError.for_field(field, _("Enter a quantity with at most four decimals."))
    return quantity


def _locked_order(actor: User, order_id: Any) -> SalesOrder:
    order = (
        SalesOrder.objects.select_for_update().filter(pk=order_id).first()
        if isinstance(order_id, int)
        else None
    )
    if order is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, MANAGE, order, visible_with=VIEW)
    return order


def _locked_return(actor: User, return_id: Any) -> ReturnAuthorisation:
    rma = (
        ReturnAuthorisation.objects.select_for_update().select_related("order").filter(pk=return_id).first()
        if isinstance(return_id, int)
        else None
    )
    if rma is None:
        raise NotFoundError(_("Not found."))
    policy.require(actor, MANAGE, rma, visible_with=VIEW)
    return rma


@transaction.atomic
def return_create(
    *,
    actor: User,
    order_id: int,
    lines: Sequence[Mapping[str, Any]],
    reason: str = "",
) -> ReturnAuthorisation:
    """Request a return of a confirmed (or done) order: `lines` as
    [{"order_line_id": …, "quantity": …}] in the order line's unit, each at most what is
    left to return (delivered less open RMAs). Numbered at once ("RMA…", gapless per
    year). Locks the order, so two RMAs made at once cannot both take the last units.
    Audits "sales.return_create"."""
    order = _locked_order(actor, order_id)
    if order.state not in RETURNABLE_ORDER_STATES:
        raise ReturnStateError(_("Only the goods of a confirmed order can be returned."))
    reason = str(reason or "").strip()
    if len(reason) > 5000:
        raise ReturnInvalidError.for_field("reason", _("At most 5000 characters."))
    if not lines:
        raise ReturnInvalidError.for_field("lines", _("Add at least one line."))
    by_id = {row.line.pk: row for row in returnable_lines(order)}
    wanted: dict[int, Decimal] = {}
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(lines):
        raw_id = item.get("order_line_id") if isinstance(item, Mapping) else None
        try:
            line_id = int(raw_id) if raw_id is not None and not isinstance(raw_id, bool) else None
        except (TypeError, ValueError):
            line_id = None
        if line_id is None or line_id not in by_id:
            errors[f"lines.{index}.order_line_id"] = [_("Not a delivered line of %s.") % order.number]
            continue
        try:
            quantity = _quantity(item.get("quantity"), f"lines.{index}.quantity")
        except ReturnInvalidError as exc:
            errors.update(exc.field_errors)
            continue
        wanted[line_id] = wanted.get(line_id, Decimal(0)) + quantity
        left = by_id[line_id].returnable
        if wanted[line_id] > left:
            errors[f"lines.{index}.quantity"] = [_("At most %s can be returned.") % f"{left.normalize():f}"]
    if errors:
        raise ReturnInvalidError(_("Please correct the marked lines."), field_errors=errors)
    today = timezone.localdate()
    rma = ReturnAuthorisation.objects.create(
        company_id=order.company_id,
        number=number_allocate(company_id=order.company_id, code=NUMBER_CODE, on=today, prefix=NUMBER_PREFIX),
        order=order,
        reason=reason,
        created_by=actor,
    )
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(authorisation=rma, order_line_id=pk, quantity=quantity)
            for pk, quantity in sorted(wanted.items())
        ]
    )
    audit.record(
        actor=actor,
        obj=rma,
        action="sales.return_create",
        changes={
            "order": order.number,
            "lines": [[pk, str(quantity)] for pk, quantity in sorted(wanted.items())],
            "reason": reason,
        },
    )
    return rma


@transaction.atomic
def return_approve(*, actor: User, return_id: int, version: int | None = None) -> ReturnAuthorisation:
    """Agree to the return: the return receipt is made (and confirmed) in inventory, from
    the customers into the order's warehouse, `origin` the RMA number. Re-checks that the
    goods are still returnable (a return made in inventory meanwhile takes them). Needs
    inventory's `inventory.manage_stock` too. Audits "sales.return_approve"."""
    rma = _locked_return(actor, return_id)
    require_version(rma, version)
    if rma.state != ReturnState.DRAFT:
        raise ReturnStateError(_("Only a requested return can be approved."))
    order = SalesOrder.objects.select_for_update().get(pk=rma.order_id)
    lines = return_lines(rma)
    pending = _pending_by_line(order.pk, exclude_return_id=rma.pk)
    delivered = {row.line.pk: row.delivered for row in order_lines_status(order, order_lines(order))}
    short = [
        line
        for line in lines
        if line.quantity
        > delivered.get(line.order_line_id, Decimal(0)) - pending.get(line.order_line_id, Decimal(0))
    ]
    if short:
        raise ReturnInvalidError(
            _("More than is left to return of: %s.")
            % ", ".join(line.order_line.description for line in short),
            field_errors={"lines": [_("More than is left to return.")]},
        )
    # The approved return makes its receipt, as a confirmed order makes its delivery: the
    # company's system actor writes it (the audit names the approver).
    stock_actor = system_actor(order.company_id)
    receipt = inventory.transfer_create(
        actor=stock_actor,
        kind=TransferKind.RETURN_IN,
        warehouse_id=order.warehouse_id,
        party_id=order.customer_id,
        scheduled_date=timezone.localdate(),
        origin=rma.number,
        notes=rma.reason,
        lines=[
            inventory.MoveIn(
                product_id=line.order_line.product_id,
                quantity=line.quantity,
                uom_id=line.order_line.uom_id,
                origin_line=line.order_line.origin_line,
            )
            for line in lines
        ],
    )
    receipt = inventory.transfer_confirm(actor=stock_actor, transfer_id=receipt.pk)
    rma.state = ReturnState.APPROVED
    rma.receipt = receipt
    rma.version += 1
    rma.save(update_fields=["state", "receipt", "version"])
    audit.record(
        actor=actor,
        obj=rma,
        action="sales.return_approve",
        changes={"state": [ReturnState.DRAFT, ReturnState.APPROVED], "receipt": [None, receipt.number]},
    )
    return rma


@transaction.atomic
def return_cancel(*, actor: User, return_id: int, version: int | None = None) -> ReturnAuthorisation:
    """Cancel a requested or approved return whose goods have not come back: its open
    return receipt is cancelled in inventory. Audits "sales.return_cancel"."""
    rma = _locked_return(actor, return_id)
    require_version(rma, version)
    if rma.state not in OPEN_STATES:
        raise ReturnStateError(_("A return whose goods came back cannot be cancelled."))
    before = rma.state
    if rma.receipt_id is not None:
        receipt = Transfer.objects.get(pk=rma.receipt_id)
        if receipt.state == TransferState.DONE:
            raise ReturnStateError(_("The goods came back already; the return cannot be cancelled."))
        if receipt.state != TransferState.CANCELLED:
            inventory.transfer_cancel(actor=system_actor(rma.company_id), transfer_id=receipt.pk)
    rma.state = ReturnState.CANCELLED
    rma.version += 1
    rma.save(update_fields=["state", "version"])
    audit.record(actor=actor, obj=rma, action="sales.return_cancel", changes={"state": [before, rma.state]})
    return rma


# ----------------------------------------------------------------------------- receipt done (system)


def _received_by_line(transfer_id: int, origin_lines: dict[str, int]) -> dict[int, Decimal]:
    """What the done moves of the return receipt brought back per order line, in the order
    line's unit (moves are in the product's stock unit)."""
    lines = {
        line.pk: line
        for line in SalesOrderLine.objects.filter(pk__in=list(origin_lines.values())).select_related(
            "uom", "product__uom"
        )
    }
    received: dict[int, Decimal] = defaultdict(Decimal)
    for origin, quantity in Move.objects.filter(
        transfer_id=transfer_id, state=MoveState.DONE, origin_line__in=list(origin_lines)
    ).values_list("origin_line", "quantity"):
        line = lines[origin_lines[origin]]
        amount = Decimal(quantity)
        if line.uom_id != line.product.uom_id:
            amount = (amount * line.product.uom.ratio / line.uom.ratio).quantize(QUANTITY)
        received[line.pk] += amount
    return received


def _creditable(order_line_ids: list[int]) -> dict[int, list[tuple[InvoiceLine, Decimal]]]:
    """Per order line: the posted customer invoice lines made from it, oldest first, each
    with what no credit note (drafts too) credits of it yet."""
    links = list(
        SalesInvoiceLine.objects.filter(
            order_line_id__in=order_line_ids,
            invoice__state=InvoiceState.POSTED,
            invoice__kind=InvoiceKind.CUSTOMER_INVOICE,
        ).values_list("order_line_id", "invoice_id", "sequence")
    )
    if not links:
        return {}
    positions = {(invoice_id, sequence): line_id for line_id, invoice_id, sequence in links}
    invoice_lines = [
        line
        for line in InvoiceLine.objects.filter(invoice_id__in={invoice_id for _l, invoice_id, _s in links})
        .select_related("invoice")
        .order_by("invoice__date", "invoice_id", "sequence")
        if (line.invoice_id, line.sequence) in positions
    ]
    credited = {
        pk: Decimal(str(total)).quantize(QUANTITY)
        for pk, total in InvoiceLine.objects.filter(credited_line__in=[line.pk for line in invoice_lines])
        .values("credited_line")
        .annotate(total=Sum("quantity"))
        .values_list("credited_line", "total")
    }
    result: dict[int, list[tuple[InvoiceLine, Decimal]]] = defaultdict(list)
    for line in invoice_lines:
        left = line.quantity - credited.get(line.pk, Decimal(0))
        if left > 0:
            result[positions[line.invoice_id, line.sequence]].append((line, left))
    return result


@transaction.atomic
def return_receive(*, actor: User, transfer_id: int) -> ReturnAuthorisation | None:
    """The return receipt `transfer_id` is done: its approved RMA (by receipt, or by the
    receipt's origin for a backorder of it) becomes received, and what was invoiced of the
    received quantities is credited — one draft credit note per invoice, made by `actor`
    (the system actor: needs finance's manage_invoice); the RMA is then credited. Nothing
    invoiced: it stays received (its page says so). Idempotent: an RMA already received is
    left alone. Returns the RMA, or None when the receipt is none of an RMA."""
    transfer = Transfer.objects.filter(pk=transfer_id, kind=TransferKind.RETURN_IN).first()
    if transfer is None or not transfer.origin:
        return None
    rma = (
        ReturnAuthorisation.objects.select_for_update()
        .filter(company_id=transfer.company_id, number=transfer.origin)
        .first()
    )
    if rma is None or rma.state != ReturnState.APPROVED:
        return None
    lines = return_lines(rma)
    origin_lines = {line.order_line.origin_line: line.order_line_id for line in lines}
    received = _received_by_line(transfer.pk, origin_lines)
    wanted = {
        line.order_line_id: min(line.quantity, received.get(line.order_line_id, Decimal(0))) for line in lines
    }
    per_invoice: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for order_line_id, sources in _creditable(list(wanted)).items():
        left = wanted.get(order_line_id, Decimal(0))
        for invoice_line, open_quantity in sources:
            if left <= 0:
                break
            take = min(left, open_quantity)
            per_invoice[invoice_line.invoice_id].append({"line_id": invoice_line.pk, "quantity": take})
            left -= take
    notes: list[Invoice] = []
    for invoice_id in sorted(per_invoice):
        notes.append(
            invoicing.credit_note_create(
                actor=actor,
                invoice_id=invoice_id,
                lines=per_invoice[invoice_id],
                reason=_("Return %(number)s of %(order)s") % {"number": rma.number, "order": rma.order.number}
                + (f": {rma.reason}" if rma.reason else ""),
            )
        )
    before = rma.state
    rma.state = ReturnState.CREDITED if notes else ReturnState.RECEIVED
    rma.credit_note = notes[0] if notes else None
    rma.version += 1
    rma.save(update_fields=["state", "credit_note", "version"])
    audit.record(
        actor=actor,
        obj=rma,
        action="sales.return_receive",
        changes={
            "state": [before, rma.state],
            "receipt": transfer.number,
            "credit_notes": [note.pk for note in notes],
        },
    )
    return rma
