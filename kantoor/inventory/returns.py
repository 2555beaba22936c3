"""Returns: goods of a done receipt go back to the supplier (return_out), goods of a done
delivery come back from the customer (return_in). A return is an ordinary draft transfer
(confirmed, reserved and validated like any other) whose moves point at the moves they
send back (`origin_move`): a customer's return comes back into stock at what the delivery
cost, and no more can be returned of a move than it moved, minus earlier returns that
were not cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from kantoor.catalog.models import QUANTITY
from kantoor.core import audit, policy
from kantoor.core.errors import NotFoundError
from kantoor.core.models import User
from kantoor.inventory import services
from kantoor.inventory.errors import TransferInvalidError, TransferStateError
from kantoor.inventory.models import Move, MoveState, Transfer, TransferKind, TransferState

# What a done transfer is returned as.
RETURN_KIND: dict[str, str] = {
    TransferKind.RECEIPT: TransferKind.RETURN_OUT,
    TransferKind.DELIVERY: TransferKind.RETURN_IN,
}


def _quantity(value: Any, field: str) -> Decimal:
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise TransferInvalidError(
            _("Enter a number."), field_errors={field: [_("Enter a number.")]}
        ) from None
    if not quantity.is_finite() or quantity <= 0:
        raise TransferInvalidError(
            _("Enter a quantity above zero."), field_errors={field: [_("Enter a quantity above zero.")]}
        )
    if quantity != quantity.quantize(QUANTITY):
        raise TransferInvalidError(
            _("Enter a quantity with at most four decimals."),
            field_errors={field: [_("Enter a quantity with at most four decimals.")]},
        )
    return quantity


def returnable(moves: Sequence[Move]) -> dict[int, Decimal]:
    """What is left to return of each done move: its quantity minus what returns that are
    not cancelled take back of it."""
    taken = dict(
        Move.objects.filter(origin_move_id__in=[move.pk for move in moves])
        .exclude(state=MoveState.CANCELLED)
        .values("origin_move_id")
        .annotate(total=Sum("quantity"))
        .values_list("origin_move_id", "total")
    )
    return {move.pk: move.quantity - (taken.get(move.pk) or Decimal(0)) for move in moves}


@transaction.atomic
def transfer_return(
    *, actor: User, transfer_id: int, lines: Sequence[tuple[int, Decimal | int | str]] | None = None
) -> Transfer:
    """A draft return of a done receipt (to the supplier) or delivery (from the customer):
    of `lines` — (move id, quantity) of the transfer's done moves — or of everything still
    returnable. Each return move keeps the lot, the document line (`origin_line`) and points
    at its original (`origin_move`). Locks the original transfer, so two returns made at
    once cannot both take the last units back. Refused with nothing written when a line
    names another transfer's move or asks more than is left to return."""
    policy.require(actor, services.MANAGE)
    original = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(pk=transfer_id)
        .first()
        if isinstance(transfer_id, int)
        else None
    )
    if original is None or original.company_id != policy.actor_company_id(actor):
        raise NotFoundError(_("Not found."))
    kind = RETURN_KIND.get(original.kind)
    if kind is None:
        raise TransferStateError(_("Only receipts and deliveries are returned."))
    if original.state != TransferState.DONE:
        raise TransferStateError(_("Only a done transfer is returned."))
    done = list(
        Move.objects.filter(transfer=original, state=MoveState.DONE).select_related("lot").order_by("id")
    )
    left = returnable(done)
    by_id = {move.pk: move for move in done}
    wanted: dict[int, Decimal] = {}
    if lines is None:
        wanted = {pk: quantity for pk, quantity in left.items() if quantity > 0}
        if not wanted:
            raise TransferInvalidError(
                _("Everything of %s was returned already.") % original.number,
                field_errors={"lines": [_("Nothing is left to return.")]},
            )
    else:
        if not lines:
            raise TransferInvalidError(
                _("Add at least one line."), field_errors={"lines": [_("Add at least one line.")]}
            )
        for index, (move_id, raw) in enumerate(lines):
            if move_id not in by_id:
                raise TransferInvalidError(
                    _("Line %d: not a done move of this transfer.") % (index + 1),
                    field_errors={f"lines.{index}.move_id": [_("Unknown move.")]},
                )
            wanted[move_id] = wanted.get(move_id, Decimal(0)) + _quantity(raw, f"lines.{index}.quantity")
        for index, (move_id, _raw) in enumerate(lines):
            if wanted[move_id] > left[move_id]:
                raise TransferInvalidError(
                    _("Line %(line)d: at most %(left)s can be returned.")
                    % {"line": index + 1, "left": f"{left[move_id].normalize():f}"},
                    field_errors={
                        f"lines.{index}.quantity": [
                            _("At most %s can be returned.") % f"{left[move_id].normalize():f}"
                        ]
                    },
                )
    chosen = [by_id[pk] for pk in sorted(wanted)]
    warehouse = original.warehouse
    route: dict[str, Any] = {}
    if kind == TransferKind.RETURN_OUT:
        # From where the receipt put the goods (its destination) back to the suppliers.
        route = {"source_id": original.destination_id, "destination_id": original.source_id}
    else:
        # From the customers back into the warehouse's stock (not the output of a 3-step delivery).
        route = {
            "source_id": original.destination_id,
            "destination_id": warehouse.stock_location_id if warehouse else original.source_id,
        }
    transfer = services.transfer_create(
        actor=actor,
        kind=kind,
        warehouse_id=original.warehouse_id,
        party_id=original.party_id,
        origin=original.number,
        lines=[
            services.MoveIn(
                product_id=move.product_id,
                quantity=wanted[move.pk],
                unit_cost=move.unit_cost,
                lot=move.lot.name if move.lot else "",
                origin_line=move.origin_line,
            )
            for move in chosen
        ],
        **route,
    )
    made = list(Move.objects.filter(transfer=transfer).order_by("id"))
    for move, origin in zip(made, chosen, strict=True):
        move.origin_move = origin
    Move.objects.bulk_update(made, ["origin_move"])
    transfer.return_of = original
    transfer.save(update_fields=["return_of"])
    audit.record(
        actor=actor,
        obj=original,
        action="inventory.transfer_return",
        changes={"return": [None, transfer.number], "lines": [None, len(made)]},
    )
    return transfer
