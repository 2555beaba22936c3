"""The engine under every stock document: reserving stock for moves and doing moves.

Doing a move takes its quantity off the quant at its source and puts it on the quant at its
destination (only the company's own locations keep quants; suppliers, customers, production
and inventory loss are the other side of the double entry), then values the moves that cross
into or out of own stock (kantoor.inventory.valuation). All of it in the caller's transaction.

Concurrency: the quants a call changes are read with SELECT … FOR UPDATE (on PostgreSQL;
SQLite's IMMEDIATE transaction holds the write lock), in a fixed order, before anything is
checked; so two deliveries competing for the last units are serialised and the second one
sees what the first took.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.models import Product, Tracking
from kantoor.core import fastsql
from kantoor.core.models import User
from kantoor.inventory import valuation
from kantoor.inventory.errors import LotRequiredError, SerialNumberError, StockUnavailableError
from kantoor.inventory.models import OWN_STOCK, Location, Lot, Move, MoveState, Quant

ZERO = Decimal(0)
QuantKey = tuple[int, int, int | None]  # product, location, lot


def _key(product_id: int, location_id: int, lot_id: int | None) -> QuantKey:
    return (product_id, location_id, lot_id)


def quants_locked(company_id: int, keys: Iterable[QuantKey]) -> dict[QuantKey, Quant]:
    """The company's existing quants of `keys`, locked in id order (found through the
    (company, location, product) index: a customer's location holds a quant of every product
    it ever got, which a read by product alone would walk)."""
    wanted = set(keys)
    if not wanted:
        return {}
    products = sorted({k[0] for k in wanted})
    locations = sorted({k[1] for k in wanted})
    rows = fastsql.select(
        Quant,
        f"company_id = %s AND location_id IN ({fastsql.placeholders(locations)}) "
        f"AND product_id IN ({fastsql.placeholders(products)})",
        [company_id, *locations, *products],
        lock=True,
        order_by="id",
    )
    return {
        key: quant
        for quant in rows
        if (key := _key(quant.product_id, quant.location_id, quant.lot_id)) in wanted
    }


def _format(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def _sub_locations(location: Location) -> Q:
    """The location and every location under it."""
    return Q(location=location) | Q(location__full_name__startswith=location.full_name + "/")


def reserve(moves: Sequence[Move]) -> list[Move]:
    """Reserve stock for `moves` (out of own stock, not done, of storable products) from
    the quants at or under each move's source: lots expiring first, then the oldest quant.
    A move is split per quant it takes from (each piece names its location and lot); what
    cannot be reserved stays on a piece in WAITING. One read of the quants for all moves,
    locked; returns the pieces (saved)."""
    kept, added, changed, _quants = _split(moves, hold=True)
    fastsql.update_objects(changed, ["reserved_quantity"])
    fastsql.update_objects(kept, ["quantity", "source", "lot", "state"])
    fastsql.insert_objects_returning(added)
    return kept + added


def allocate(moves: Sequence[Move]) -> tuple[list[Move], dict[QuantKey, Quant]]:
    """Split `moves` over the quants they would take from, as `reserve` does, for moves
    done in the same transaction: nothing is held on the quants and the pieces keep their
    state; only the new pieces are written (they need their ids). Returns the pieces and
    the quants read (locked, unchanged: moves_do takes them as `locked`)."""
    kept, added, _changed, quants = _split(moves, hold=False)
    for piece in [*kept, *added]:
        piece.state = MoveState.DRAFT
    fastsql.insert_objects_returning(added)
    return kept + added, {_key(q.product_id, q.location_id, q.lot_id): q for q in quants}


def _split(moves: Sequence[Move], *, hold: bool) -> tuple[list[Move], list[Move], list[Quant], list[Quant]]:
    """reserve's work in memory: the moves changed, the new pieces, the quants held and
    the quants read. Without `hold` the quants are left as they are (what the pieces take
    is counted aside)."""
    if not moves:
        return [], [], [], []
    sources = {move.source_id: move.source for move in moves}
    products = sorted({move.product_id for move in moves})
    # The quants with something free at or under the sources, in own locations.
    places = " OR ".join(["(l.id = %s OR l.full_name LIKE %s ESCAPE '\\')"] * len(sources))
    params: list[Any] = [moves[0].company_id, *products, *OWN_STOCK]
    for source in sources.values():
        params += [source.pk, _like_prefix(source.full_name)]
    # Naming the company lets the (company, location, product) index find the own locations'
    # quants: by product alone it would walk every customer's quant of the product too.
    quants = fastsql.select(
        Quant,
        f"company_id = %s AND product_id IN ({fastsql.placeholders(products)}) "  # noqa: S608 - placeholders only
        "AND quantity > reserved_quantity AND location_id IN (SELECT l.id FROM inventory_location l "
        f"WHERE l.usage IN ({fastsql.placeholders(OWN_STOCK)}) AND ({places}))",
        params,
        lock=True,
        order_by="id",
    )
    _quant_places_attach(quants)
    # Lots that expire first go first; quants without a lot or expiry after them, oldest first.
    quants.sort(
        key=lambda q: (q.lot is None or q.lot.expiry_date is None, q.lot.expiry_date if q.lot else None, q.pk)
    )
    by_product: dict[int, list[Quant]] = defaultdict(list)
    for quant in quants:
        by_product[quant.product_id].append(quant)
    changed: dict[int, Quant] = {}
    taken: dict[int, Decimal] = defaultdict(Decimal)  # by quant, without `hold`
    kept: list[Move] = []
    added: list[Move] = []
    for move in moves:
        source, wanted_lot = move.source, move.lot_id
        prefix = source.full_name + "/"
        left = move.quantity
        pieces = 0
        for quant in by_product[move.product_id]:
            if left <= 0:
                break
            if wanted_lot is not None and quant.lot_id != wanted_lot:
                continue
            if quant.location_id != source.pk and not quant.location.full_name.startswith(prefix):
                continue
            if quant.location_id == move.destination_id:
                continue  # goods already where the move takes them (a shelf under the source)
            available = quant.quantity - quant.reserved_quantity - taken[quant.pk]
            if available <= 0:
                continue
            take = min(available, left)
            if hold:
                quant.reserved_quantity += take
                changed[quant.pk] = quant
            else:
                taken[quant.pk] += take
            piece = move if not pieces else move_copy(move)
            piece.quantity = take
            piece.source = quant.location
            piece.lot = quant.lot
            piece.state = MoveState.RESERVED
            (kept if piece is move else added).append(piece)
            pieces += 1
            left -= take
        if left > 0:
            piece = move if not pieces else move_copy(move)
            piece.quantity = left
            piece.source = source  # where it was asked from, not the last quant's place
            piece.lot_id = wanted_lot
            piece.state = MoveState.WAITING
            (kept if piece is move else added).append(piece)
    return kept, added, list(changed.values()), quants


def _like_prefix(name: str) -> str:
    """A LIKE pattern for the locations under `name` (its wildcards escaped)."""
    return name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


def _quant_places_attach(quants: list[Quant]) -> None:
    """Give each quant its location and lot (two plain reads)."""
    location_ids = sorted({q.location_id for q in quants})
    lot_ids = sorted({q.lot_id for q in quants if q.lot_id is not None})
    places = (
        {
            loc.pk: loc
            for loc in fastsql.select(Location, f"id IN ({fastsql.placeholders(location_ids)})", location_ids)
        }
        if location_ids
        else {}
    )
    lots = (
        {lot.pk: lot for lot in fastsql.select(Lot, f"id IN ({fastsql.placeholders(lot_ids)})", lot_ids)}
        if lot_ids
        else {}
    )
    for quant in quants:
        quant.location = places[quant.location_id]
        quant.lot = lots.get(quant.lot_id) if quant.lot_id is not None else None


def move_copy(move: Move) -> Move:
    """An unsaved move like `move` (to split it)."""
    return Move(
        company_id=move.company_id,
        transfer_id=move.transfer_id,
        product_id=move.product_id,
        lot_id=move.lot_id,
        source_id=move.source_id,
        destination_id=move.destination_id,
        quantity=move.quantity,
        state=move.state,
        date=move.date,
        unit_cost=move.unit_cost,
        reference=move.reference,
        origin_move_id=move.origin_move_id,
        origin_line=move.origin_line,
    )


def unreserve(moves: Sequence[Move], *, write: bool = True) -> dict[QuantKey, Quant]:
    """Give back what `moves` (RESERVED) hold on their quants; they become WAITING. Returns
    the quants, locked. Without `write` nothing is written: the caller does the moves at
    once and gives the quants to moves_do (`held`), which writes them with the moves."""
    reserved = [move for move in moves if move.state == MoveState.RESERVED]
    if not reserved:
        return {}
    quants = quants_locked(
        reserved[0].company_id, (_key(m.product_id, m.source_id, m.lot_id) for m in reserved)
    )
    for move in reserved:
        quant = quants.get(_key(move.product_id, move.source_id, move.lot_id))
        if quant is not None:
            quant.reserved_quantity = max(ZERO, quant.reserved_quantity - move.quantity)
        move.state = MoveState.WAITING
    if write:
        fastsql.update_objects(list(quants.values()), ["reserved_quantity"])
        fastsql.update_objects(reserved, ["state"])
    return quants


def lot_for(company_id: int, product: Product, name: str, expiry: dt.date | None, *, create: bool) -> Lot:
    """The product's lot or serial number `name`, created when `create` (goods coming in)."""
    name = name.strip()
    lot = Lot.objects.filter(company_id=company_id, product=product, name=name).first()
    if lot is None:
        if not create:
            raise LotRequiredError(
                _("%(product)s has no lot or serial number “%(lot)s”.")
                % {"product": product.sku, "lot": name}
            )
        lot = Lot.objects.create(company_id=company_id, product=product, name=name, expiry_date=expiry)
    elif expiry is not None and lot.expiry_date != expiry:
        lot.expiry_date = expiry
        lot.save(update_fields=["expiry_date"])
    return lot


def moves_do(
    *,
    actor: User,
    moves: Sequence[Move],
    products: dict[int, Product],
    locations: dict[int, Location],
    unit_costs: dict[int, Decimal | None] | None = None,
    on: dt.date | None = None,
    reference: str,
    permission: str,
    held: dict[QuantKey, Quant] | None = None,
    locked: dict[QuantKey, Quant] | None = None,
    also: Sequence[str] = (),
    announcements: list[tuple[Any, Any]] | None = None,
) -> None:
    """Do `moves` (saved, not reserved any more, each of one product, lot, source and
    destination): change the quants, check stock and serial numbers, value what crosses
    into or out of own stock and book it. `unit_costs` gives incoming moves' unit cost by
    move id (None or missing: the current cost). Refuses (StockUnavailableError,
    SerialNumberError, LotRequiredError) before it changes anything.

    Saves writes for a caller that has just changed the moves and quants: `held` are the
    quants it released without writing (unreserve(write=False)), written here with theirs;
    `locked` are quants it read locked and left as they were (allocate), not read again;
    `also` names the moves' fields it changed, written with the moves' own. With
    `announcements` the entry's audit row and event are left to the caller (value_moves)."""
    if not moves:
        fastsql.update_objects(list((held or {}).values()), ["reserved_quantity"])
        return
    company_id = moves[0].company_id
    on = on or timezone.localdate()
    unit_costs = unit_costs or {}
    deltas: dict[QuantKey, Decimal] = defaultdict(Decimal)
    for move in moves:
        product = products[move.product_id]
        if not product.is_storable:
            continue
        if product.tracking != Tracking.NONE and move.lot_id is None:
            raise LotRequiredError(
                _("Enter the lot or serial number of %(product)s.") % {"product": product.sku},
                field_errors={"lot": [_("Required for %s.") % product.sku]},
            )
        if product.tracking == Tracking.SERIAL and move.quantity != 1:
            raise SerialNumberError(
                _("A serial number is one unit: move %(product)s one serial number at a time.")
                % {"product": product.sku}
            )
        if locations[move.source_id].is_own_stock:
            deltas[_key(move.product_id, move.source_id, move.lot_id)] -= move.quantity
        if locations[move.destination_id].is_own_stock:
            deltas[_key(move.product_id, move.destination_id, move.lot_id)] += move.quantity
    held = held or {}
    known = {**(locked or {}), **held}
    quants = {**known, **quants_locked(company_id, (key for key in deltas if key not in known))}
    for key, delta in sorted(deltas.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or 0)):
        quant = quants.get(key)
        have = quant.quantity if quant is not None else ZERO
        reserved = quant.reserved_quantity if quant is not None else ZERO
        product = products[key[0]]
        if delta < 0 and not product.allows_negative_stock and have - reserved + delta < 0:
            available = max(ZERO, have - reserved)
            raise StockUnavailableError(
                _("Not enough %(product)s at %(location)s: %(needed)s needed, %(available)s available.")
                % {
                    "product": product.sku,
                    "location": locations[key[1]].full_name,
                    "needed": _format(-delta),
                    "available": _format(available),
                }
            )
    _serials_check(company_id, products, deltas, quants)
    new_quants: list[Quant] = []
    changed: dict[int, Quant] = {quant.pk: quant for quant in held.values()}
    for key, delta in deltas.items():
        quant = quants.get(key)
        if quant is None:
            new_quants.append(
                Quant(
                    company_id=company_id,
                    product_id=key[0],
                    location_id=key[1],
                    lot_id=key[2],
                    quantity=delta,
                )
            )
        elif delta:
            quant.quantity += delta
            changed[quant.pk] = quant
    fastsql.insert_objects(new_quants)
    fastsql.update_objects(
        list(changed.values()), ["quantity", "reserved_quantity"] if held else ["quantity"]
    )
    now = timezone.now()
    valued: list[valuation.Valued] = []
    for move in moves:
        move.state = MoveState.DONE
        move.done_at = now
        move.date = on
        product = products[move.product_id]
        source, destination = locations[move.source_id], locations[move.destination_id]
        if product.is_storable and source.is_own_stock != destination.is_own_stock:
            incoming = destination.is_own_stock
            valued.append(
                valuation.Valued(
                    move=move,
                    product=product,
                    incoming=incoming,
                    counterpart=str((source if incoming else destination).usage),
                    unit_cost=unit_costs.get(move.pk) if incoming else None,
                )
            )
    valuation.value_moves(
        actor=actor,
        company_id=company_id,
        valued=valued,
        on=on,
        reference=reference,
        permission=permission,
        announcements=announcements,
    )
    fastsql.update_objects(moves, [*also, "state", "done_at", "date", "unit_cost", "value", "entry"])


def _serials_check(
    company_id: int,
    products: dict[int, Product],
    deltas: dict[QuantKey, Decimal],
    quants: dict[QuantKey, Quant],
) -> None:
    """A serial number is one unit in one place: after the moves, its own stock is 0 or 1
    in total and never more than 1 at a location."""
    serial_lots: dict[int, Decimal] = defaultdict(Decimal)
    for (product_id, _location, lot_id), delta in deltas.items():
        if lot_id is not None and products[product_id].tracking == Tracking.SERIAL:
            serial_lots[lot_id] += delta
    if not serial_lots:
        return
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for lot_id, quantity in Quant.objects.filter(
        lot_id__in=list(serial_lots), location__usage__in=OWN_STOCK
    ).values_list("lot_id", "quantity"):
        totals[lot_id] += quantity
    for lot_id, delta in serial_lots.items():
        after = totals[lot_id] + delta
        if after > 1:
            lot = Lot.objects.select_related("product").get(pk=lot_id)
            raise SerialNumberError(
                _("Serial number %(serial)s of %(product)s is in stock already.")
                % {"serial": lot.name, "product": lot.product.sku}
            )
