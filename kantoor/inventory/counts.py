"""Inventory counts: the storekeeper counts what is really at a location and the books
follow. A count lists what the books expect per product, location and lot; the counted
quantities are entered line by line (a product or lot the books do not know is added);
applying the count moves each difference to or from inventory loss in one adjustment
transfer, done and valued by the move engine (Dr/Cr stock against stock differences).

The difference applied is the counted quantity minus what the books hold when the count
is applied (the expected quantity is refreshed then), so goods that moved between the
start of the count and its end are not counted twice. Lines left uncounted change nothing.

Every function owns its transaction, checks `inventory.manage_stock`, locks the count it
changes and refuses bad input with a DomainError (nothing is written then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kantoor.catalog.models import QUANTITY, Product, Tracking
from kantoor.core import audit, outbox, policy
from kantoor.core.errors import InvalidInputError, NotFoundError, StateError
from kantoor.core.models import User
from kantoor.core.numbering import number_allocate
from kantoor.core.services import require_version
from kantoor.inventory import moves as engine
from kantoor.inventory import services
from kantoor.inventory.events import TransferDone
from kantoor.inventory.models import (
    CountState,
    InventoryCount,
    InventoryCountLine,
    Location,
    LocationUsage,
    Move,
    MoveState,
    Quant,
    Transfer,
    TransferKind,
    TransferState,
)

MANAGE = services.MANAGE
ZERO = Decimal(0)


class CountInvalidError(InvalidInputError):
    code = "count-invalid"
    title = gettext_lazy("The inventory count is not valid")


class CountStateError(StateError):
    code = "count-state"
    title = gettext_lazy("The inventory count cannot do that in its state")


def _under(location: Location, prefix: str = "location") -> Q:
    """`location` and every location under it (by full name, as the move engine does)."""
    return Q(**{prefix: location}) | Q(**{f"{prefix}__full_name__startswith": location.full_name + "/"})


def _count_location(company_id: int, location_id: Any) -> Location:
    location = (
        Location.objects.filter(pk=location_id, company_id=company_id).first()
        if isinstance(location_id, int)
        else None
    )
    if location is None:
        raise CountInvalidError(
            _("Unknown location."), field_errors={"location_id": [_("Unknown location.")]}
        )
    if not location.is_active:
        raise CountInvalidError(
            _("Location %s is archived.") % location.full_name,
            field_errors={"location_id": [_("Location %s is archived.") % location.full_name]},
        )
    # Own stock only: a warehouse's view location counts every shelf in it.
    if not (
        location.usage == LocationUsage.INTERNAL
        or (location.usage == LocationUsage.VIEW and location.warehouse_id is not None)
    ):
        raise CountInvalidError(
            _("Only the company's own stock locations are counted."),
            field_errors={"location_id": [_("Choose a stock location.")]},
        )
    return location


def _counted(value: Any, field: str, product: Product) -> Decimal:
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise CountInvalidError(_("Enter a number."), field_errors={field: [_("Enter a number.")]}) from None
    if not quantity.is_finite() or quantity < 0:
        raise CountInvalidError(
            _("Enter a quantity of zero or more."),
            field_errors={field: [_("Enter a quantity of zero or more.")]},
        )
    if quantity != quantity.quantize(QUANTITY) or quantity >= Decimal(10) ** 14:
        raise CountInvalidError(
            _("Enter a quantity with at most four decimals."),
            field_errors={field: [_("Enter a quantity with at most four decimals.")]},
        )
    if product.tracking == Tracking.SERIAL and quantity > 1:
        raise CountInvalidError(
            _("A serial number is one unit: count 0 or 1."),
            field_errors={field: [_("A serial number is one unit: count 0 or 1.")]},
        )
    return quantity.quantize(QUANTITY)


def _number(company_id: int, location: Location, on: dt.date) -> str:
    code = location.full_name.split("/", 1)[0] if location.warehouse_id else ""
    prefix = f"{code}/CNT" if code else "CNT"
    return number_allocate(company_id=company_id, code=f"stock.{prefix}", on=on, prefix=prefix)


@transaction.atomic
def count_create(
    *,
    actor: User,
    location_id: int,
    product_ids: Sequence[int] | None = None,
    scheduled_date: dt.date | None = None,
) -> InventoryCount:
    """A count of the stock at and under a location: of every product with stock there
    (`product_ids` None), or of the products named (a cycle count; a product the books
    hold none of there gets a line expecting 0, unless it needs a lot). It takes its
    number now; nothing moves until it is applied."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    location = _count_location(company_id, location_id)
    quants = Quant.objects.filter(
        _under(location), company_id=company_id, location__usage=LocationUsage.INTERNAL
    )
    products: dict[int, Product] = {}
    if product_ids is None:
        quants = quants.exclude(quantity=0)
    else:
        wanted = list(dict.fromkeys(product_ids))
        if not wanted:
            raise CountInvalidError(
                _("Choose the products to count."), field_errors={"product_ids": [_("Choose a product.")]}
            )
        products = {
            product.pk: product
            for product in Product.objects.filter(
                company_id=company_id, pk__in=[pk for pk in wanted if isinstance(pk, int)]
            )
        }
        for index, pk in enumerate(wanted):
            product = products.get(pk)
            if product is None or not product.is_storable:
                raise CountInvalidError(
                    _("Product %d is unknown or not kept in stock.") % (index + 1),
                    field_errors={f"product_ids.{index}": [_("Unknown product or not kept in stock.")]},
                )
        quants = quants.filter(product_id__in=wanted)
    rows = list(quants.values_list("product_id", "location_id", "lot_id", "quantity"))
    on = scheduled_date or timezone.localdate()
    count = InventoryCount.objects.create(
        company_id=company_id,
        number=_number(company_id, location, on),
        location=location,
        scheduled_date=on,
        created_by=actor,
    )
    lines = [
        InventoryCountLine(
            count=count,
            product_id=product_id,
            location_id=location_pk,
            lot_id=lot_id,
            expected_quantity=quantity,
        )
        for product_id, location_pk, lot_id, quantity in rows
    ]
    held = {row[0] for row in rows}
    for product in products.values():
        if product.pk not in held and product.tracking == Tracking.NONE:
            lines.append(
                InventoryCountLine(count=count, product=product, location=location, expected_quantity=0)
            )
    InventoryCountLine.objects.bulk_create(lines)
    audit.record(
        actor=actor,
        obj=count,
        action="inventory.count_create",
        changes={
            "number": [None, count.number],
            "location": [None, location.full_name],
            "lines": [None, len(lines)],
        },
    )
    return count


def _locked_count(actor: User, count_id: Any) -> InventoryCount:
    policy.require(actor, MANAGE)
    count = (
        InventoryCount.objects.select_for_update(of=("self",))
        .select_related("location")
        .filter(pk=count_id)
        .first()
        if isinstance(count_id, int)
        else None
    )
    if count is None or count.company_id != policy.actor_company_id(actor):
        raise NotFoundError(_("Not found."))
    return count


def _require_draft(count: InventoryCount) -> None:
    if count.state != CountState.DRAFT:
        raise CountStateError(_("Count %s is applied or cancelled already.") % count.number)


@transaction.atomic
def count_line_set(
    *, actor: User, count_id: int, line_id: int, counted_quantity: Decimal | int | str | None
) -> InventoryCountLine:
    """Enter what was counted on a line (None or "": not counted, the line changes nothing)."""
    count = _locked_count(actor, count_id)
    _require_draft(count)
    line = (
        InventoryCountLine.objects.select_related("product").filter(pk=line_id, count=count).first()
        if isinstance(line_id, int)
        else None
    )
    if line is None:
        raise NotFoundError(_("Not found."))
    before = line.counted_quantity
    if counted_quantity is None or str(counted_quantity).strip() == "":
        line.counted_quantity = None
    else:
        line.counted_quantity = _counted(counted_quantity, "counted_quantity", line.product)
    line.save(update_fields=["counted_quantity"])
    if before != line.counted_quantity:
        audit.record(
            actor=actor,
            obj=count,
            action="inventory.count_line_set",
            changes={f"line {line.pk}": [before, line.counted_quantity]},
        )
    return line


@transaction.atomic
def count_line_add(
    *,
    actor: User,
    count_id: int,
    product_id: int,
    counted_quantity: Decimal | int | str,
    lot: str = "",
    expiry_date: dt.date | None = None,
    location_id: int | None = None,
) -> InventoryCountLine:
    """A line for goods found that the count does not list: a product (with its lot or
    serial number when tracked, made when new) at the count's location or one under it.
    Its expected quantity is what the books hold there now."""
    count = _locked_count(actor, count_id)
    _require_draft(count)
    company_id = count.company_id
    product = (
        Product.objects.filter(pk=product_id, company_id=company_id).first()
        if isinstance(product_id, int)
        else None
    )
    if product is None or not product.is_storable:
        raise CountInvalidError(
            _("Unknown product or not kept in stock."),
            field_errors={"product_id": [_("Unknown product or not kept in stock.")]},
        )
    location: Location | None = count.location
    if location_id is not None and location_id != count.location_id:
        location = (
            Location.objects.filter(pk=location_id, company_id=company_id).first()
            if isinstance(location_id, int)
            else None
        )
        if location is None or not location.full_name.startswith(count.location.full_name + "/"):
            raise CountInvalidError(
                _("Choose a location in %s.") % count.location.full_name,
                field_errors={"location_id": [_("Choose a location in %s.") % count.location.full_name]},
            )
    assert location is not None  # noqa: S101 - the count's own, or checked above
    if location.usage != LocationUsage.INTERNAL or not location.is_active:
        raise CountInvalidError(
            _("%s does not hold stock.") % location.full_name,
            field_errors={"location_id": [_("Choose a stock location.")]},
        )
    quantity = _counted(counted_quantity, "counted_quantity", product)
    lot_name = str(lot or "").strip()
    if product.tracking == Tracking.NONE and lot_name:
        raise CountInvalidError(
            _("%s has no lots or serial numbers.") % product.sku,
            field_errors={"lot": [_("%s has no lots or serial numbers.") % product.sku]},
        )
    if product.tracking != Tracking.NONE and not lot_name:
        raise CountInvalidError(
            _("Enter the lot or serial number of %s.") % product.sku,
            field_errors={"lot": [_("Required for %s.") % product.sku]},
        )
    if len(lot_name) > 60:
        raise CountInvalidError(
            _("Enter a lot of at most 60 characters."),
            field_errors={"lot": [_("Enter a lot of at most 60 characters.")]},
        )
    lot_row = engine.lot_for(company_id, product, lot_name, expiry_date, create=True) if lot_name else None
    if count.lines.filter(product=product, location=location, lot=lot_row).exists():
        raise CountInvalidError(
            _("The count has a line for this already."),
            field_errors={"product_id": [_("The count has a line for this already.")]},
        )
    expected = (
        Quant.objects.filter(product=product, location=location, lot=lot_row)
        .values_list("quantity", flat=True)
        .first()
    )
    line = InventoryCountLine.objects.create(
        count=count,
        product=product,
        location=location,
        lot=lot_row,
        expected_quantity=expected or ZERO,
        counted_quantity=quantity,
    )
    audit.record(
        actor=actor,
        obj=count,
        action="inventory.count_line_add",
        changes={
            f"line {line.pk}": [None, f"{product.sku} {lot_name} {location.full_name}: {quantity}".strip()]
        },
    )
    return line


@transaction.atomic
def count_apply(*, actor: User, count_id: int, version: int | None = None) -> InventoryCount:
    """Apply a count: for each counted line the difference between what was counted and
    what the books hold now moves from inventory loss to the location (a gain, valued at
    the product's current cost) or back (a loss, valued as any goods leaving), in one
    adjustment transfer, done at once. Refused with nothing written when a loss would take
    stock that is reserved for a delivery. Publishes TransferDone when anything moved."""
    count = _locked_count(actor, count_id)
    require_version(count, version)
    _require_draft(count)
    company_id = count.company_id
    lines = list(count.lines.filter(counted_quantity__isnull=False).order_by("id"))
    quants = engine.quants_locked(
        company_id, ((line.product_id, line.location_id, line.lot_id) for line in lines)
    )
    differences: list[tuple[InventoryCountLine, Decimal]] = []
    for line in lines:
        quant = quants.get((line.product_id, line.location_id, line.lot_id))
        line.expected_quantity = quant.quantity if quant is not None else ZERO
        assert line.counted_quantity is not None  # noqa: S101 - filtered above
        difference = line.counted_quantity - line.expected_quantity
        if difference:
            differences.append((line, difference))
    InventoryCountLine.objects.bulk_update(lines, ["expected_quantity"])
    on = timezone.localdate()
    adjustment = None
    if differences:
        adjustment = _adjust(actor, count, differences, on)
    count.state = CountState.DONE
    count.done_at = timezone.now()
    count.adjustment = adjustment
    count.version += 1
    count.save(update_fields=["state", "done_at", "adjustment", "version"])
    audit.record(
        actor=actor,
        obj=count,
        action="inventory.count_apply",
        changes={
            "state": [CountState.DRAFT, CountState.DONE],
            "adjustment": [None, adjustment.number if adjustment else None],
            "differences": [None, len(differences)],
        },
    )
    if adjustment is not None:
        outbox.publish(
            TransferDone(
                company_id=company_id,
                transfer_id=adjustment.pk,
                number=adjustment.number,
                kind=adjustment.kind,
                party_id=None,
                origin=count.number,
                actor_id=actor.pk,
            )
        )
    return count


def _adjust(
    actor: User, count: InventoryCount, differences: list[tuple[InventoryCountLine, Decimal]], on: dt.date
) -> Transfer:
    """The adjustment transfer of a count, its moves done through the engine."""
    company_id = count.company_id
    loss = services.company_location(company_id, LocationUsage.INVENTORY)
    location = count.location
    warehouse_code = location.full_name.split("/", 1)[0] if location.warehouse_id else ""
    prefix = services.KIND_PREFIX[TransferKind.ADJUSTMENT]
    prefix = f"{warehouse_code}/{prefix}" if warehouse_code else prefix
    transfer = Transfer.objects.create(
        company_id=company_id,
        kind=TransferKind.ADJUSTMENT,
        number=number_allocate(company_id=company_id, code=f"stock.{prefix}", on=on, prefix=prefix),
        warehouse_id=location.warehouse_id,
        source=loss,
        destination=location,
        scheduled_date=on,
        origin=count.number,
        state=TransferState.DONE,
        done_at=timezone.now(),
        created_by=actor,
    )
    products = {
        product.pk: product
        for product in Product.objects.select_related("category", "uom").filter(
            pk__in={line.product_id for line, _difference in differences}
        )
    }
    moves = [
        Move(
            company_id=company_id,
            transfer=transfer,
            product_id=line.product_id,
            lot_id=line.lot_id,
            source_id=loss.pk if difference > 0 else line.location_id,
            destination_id=line.location_id if difference > 0 else loss.pk,
            quantity=abs(difference),
            state=MoveState.DRAFT,
            date=on,
            reference=transfer.number,
            origin_line=f"inventory.countline:{line.pk}",
        )
        for line, difference in differences
    ]
    # Saved one by one: the engine keys incoming costs by move id.
    for move in moves:
        move.save()
    locations = {
        loc.pk: loc
        for loc in Location.objects.filter(pk__in={loss.pk} | {line.location_id for line, _d in differences})
    }
    engine.moves_do(
        actor=actor,
        moves=moves,
        products=products,
        locations=locations,
        unit_costs=None,
        on=on,
        reference=transfer.number,
        permission=MANAGE,
    )
    audit.record(
        actor=actor,
        obj=transfer,
        action="inventory.transfer_validate",
        changes={
            "state": [None, TransferState.DONE],
            "moves": [None, len(moves)],
            "origin": [None, count.number],
        },
    )
    return transfer


@transaction.atomic
def count_cancel(*, actor: User, count_id: int, version: int | None = None) -> InventoryCount:
    """Drop a count that was not applied: nothing moves."""
    count = _locked_count(actor, count_id)
    require_version(count, version)
    _require_draft(count)
    count.state = CountState.CANCELLED
    count.version += 1
    count.save(update_fields=["state", "version"])
    audit.record(
        actor=actor,
        obj=count,
        action="inventory.count_cancel",
        changes={"state": [CountState.DRAFT, CountState.CANCELLED]},
    )
    return count
