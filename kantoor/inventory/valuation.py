"""What stock is worth: every done move that brings goods into the company's own stock or
takes them out of it is valued, adds or takes a valuation layer, and books its value to
the ledger in the same transaction.

- Incoming (from a supplier, production, inventory gain, a customer's return) at the move's
  unit cost: the purchase price, the production cost, the current cost, or what the
  returned delivery was valued at.
- Outgoing by the category's costing method: the product's average cost (its stock value
  over its stock quantity), or first in, first out over the layers still open. Taking the
  last unit takes the whole remaining value, so no cent is left behind.
- The ledger: Dr stock / Cr the counterpart for incoming, the reverse for outgoing. The
  counterpart follows where the goods come from or go to: suppliers → goods received not
  invoiced, customers → cost of goods sold, production → work in progress, inventory loss →
  stock differences. Accounts come from the category's StockAccounts, else the company's,
  else the active account with the role. One entry per call, lines summed per account.

A category valued **periodically** keeps its layers and valuations but books nothing per
move: its stock reaches the ledger by the accountant's period-end entry.

Invariant (checked by `kantoor ledger verify` and the tests): Σ layers' value of the
company = Σ ProductValuation.value; of the perpetual categories it equals the balance of
the stock accounts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from kantoor.catalog.models import CostingMethod, Product, StockValuation
from kantoor.core import audit, fastsql
from kantoor.core.models import User
from kantoor.finance import services as ledger
from kantoor.finance.models import AccountRole, Journal, JournalKind
from kantoor.inventory.errors import StockAccountsMissingError
from kantoor.inventory.models import (
    LocationUsage,
    Move,
    ProductValuation,
    StockAccounts,
    ValuationLayer,
)

CENT = Decimal("0.01")
UNIT_COST = Decimal("0.000001")
ZERO = Decimal(0)

# Where goods come from or go to → the account that takes the other side of the stock account.
COUNTERPART_FIELD: dict[str, str] = {
    LocationUsage.SUPPLIER: "received_account",
    LocationUsage.CUSTOMER: "cogs_account",
    LocationUsage.PRODUCTION: "production_account",
    LocationUsage.INVENTORY: "difference_account",
}
FIELD_ROLE: dict[str, str] = {
    "stock_account": AccountRole.STOCK,
    "received_account": AccountRole.STOCK_RECEIVED,
    "cogs_account": AccountRole.COST_OF_SALES,
    "production_account": AccountRole.PRODUCTION,
    "difference_account": AccountRole.STOCK_DIFFERENCE,
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Valued:
    """A move being valued: `incoming` into own stock (else out of it) and its counterpart
    location's usage; `unit_cost` is given for incoming moves (None: the current cost)."""

    move: Move
    product: Product
    incoming: bool
    counterpart: str
    unit_cost: Decimal | None = None


class Accounts:
    """The stock accounts of a company, read once per valuation."""

    def __init__(self, company_id: int, category_ids: set[int]) -> None:
        self.company_id = company_id
        ids = sorted(category_ids)
        where = "company_id = %s AND (category_id IS NULL"
        where += f" OR category_id IN ({fastsql.placeholders(ids)}))" if ids else ")"
        self.by_category = {
            row.category_id: row for row in fastsql.select(StockAccounts, where, [company_id, *ids])
        }
        roles = sorted(set(FIELD_ROLE.values()))
        statement = fastsql.cursor()
        sql = (
            "SELECT id, role, code, is_reconcilable FROM finance_account "  # noqa: S608 - placeholders only
            f"WHERE company_id = %s AND is_active = %s AND role IN ({fastsql.placeholders(roles)}) "
            "ORDER BY code DESC"
        )
        statement.execute(sql, [company_id, True, *roles])
        by_role: dict[str, int] = {}
        # What the ledger checks of an entry's accounts, so it need not read them again.
        self.facts: dict[int, tuple[str, bool, bool]] = {}
        for pk, role, code, reconcilable in statement.fetchall():
            by_role[role] = pk  # ordered by code descending: the lowest code wins
            self.facts[pk] = (code, True, bool(reconcilable))
        self.by_role = by_role

    def account(self, category_id: int, field: str) -> int:
        for key in (category_id, None):
            row = self.by_category.get(key)
            if row is not None and getattr(row, f"{field}_id") is not None:
                return int(getattr(row, f"{field}_id"))
        role = FIELD_ROLE[field]
        if role not in self.by_role:
            raise StockAccountsMissingError(
                _("No account for “%(role)s”: add one (role %(code)s) or set the stock accounts.")
                % {"role": AccountRole(role).label, "code": role}
            )
        return self.by_role[role]


class Books(NamedTuple):
    """Where and how a company's stock is booked: its stock journal (else its general
    journal), its currency and the start of its fiscal year."""

    journal: Journal
    currency: str
    fiscal_year_start: tuple[int, int]

    def fiscal_year(self, on: dt.date) -> int:
        return on.year if (on.month, on.day) >= self.fiscal_year_start else on.year - 1


def books_read(company_id: int) -> Books:
    """The company's Books in one read: the stock journal first, then the general one, the
    oldest of each kind."""
    statement = fastsql.cursor()
    statement.execute(
        "SELECT j.id, j.code, j.sequence_code, j.kind, c.base_currency, "
        "c.fiscal_year_start_month, c.fiscal_year_start_day FROM core_company c "
        "LEFT JOIN finance_journal j ON j.company_id = c.id AND j.kind IN (%s, %s) "
        "WHERE c.id = %s ORDER BY CASE WHEN j.kind = %s THEN 0 ELSE 1 END, j.id LIMIT 1",
        [JournalKind.STOCK, JournalKind.GENERAL, company_id, JournalKind.STOCK],
    )
    rows = statement.fetchall()
    if not rows or rows[0][0] is None:
        raise StockAccountsMissingError(_("No stock or general journal; install a chart of accounts first."))
    pk, code, sequence_code, kind, currency, month, day = rows[0]
    journal = Journal(id=pk, company_id=company_id, code=code, sequence_code=sequence_code, kind=kind)
    journal._state.adding = False
    return Books(journal, str(currency), (int(month), int(day)))


def _valuations(company_id: int, product_ids: set[int]) -> dict[int, ProductValuation]:
    """The products' valuation rows, locked (created when missing)."""
    ids = sorted(product_ids)
    where = f"product_id IN ({fastsql.placeholders(ids)})"
    found = {row.product_id: row for row in fastsql.select(ProductValuation, where, ids, lock=True)}
    missing = [ProductValuation(company_id=company_id, product_id=pk) for pk in ids if pk not in found]
    if missing:
        fastsql.insert_objects_returning(missing)
        found.update({row.product_id: row for row in missing})
    return found


def _fifo_layers(valued: list[Valued], fifo_ids: set[int]) -> list[ValuationLayer]:
    """The open layers FIFO deliveries will take from, oldest first and locked: per product
    only those before which less than the quantity going out is left (a running sum in
    SQL), not every open layer of a product that has many."""
    need: dict[int, Decimal] = defaultdict(Decimal)
    for item in valued:
        if item.product.pk in fifo_ids and not item.incoming:
            need[item.product.pk] += item.move.quantity
    ids = sorted(need)
    # "> '0'" as the partial index layer_fifo_open says it (SQLite uses a partial index only
    # for the same term; the column's numeric affinity compares it as the number 0).
    # A margin on the bound: SQLite sums decimals as floating point, and one layer too many
    # costs nothing while one too few would be valued at the product's cost.
    cases = " ".join(["WHEN %s THEN %s"] * len(ids))
    params: list[Any] = [*ids]
    for pk in ids:
        params += [pk, need[pk] + Decimal("0.001")]
    return fastsql.select(
        ValuationLayer,
        "id IN (SELECT id FROM (SELECT id, product_id, "  # noqa: S608 - placeholders only
        "SUM(remaining_quantity) OVER (PARTITION BY product_id ORDER BY id) - remaining_quantity AS before "
        f"FROM inventory_valuationlayer WHERE product_id IN ({fastsql.placeholders(ids)}) "
        f"AND remaining_quantity > '0') open_layers WHERE before < CASE product_id {cases} END)",
        params,
        lock=True,
        order_by="id",
    )


def _fifo_take(
    product: Product, quantity: Decimal, layers: list[ValuationLayer], touched: dict[int, ValuationLayer]
) -> tuple[Decimal, Decimal]:
    """Consume `quantity` from the open `layers` (oldest first, each changed one noted in
    `touched`); returns the value taken and the quantity no layer had left (negative
    stock), which the caller values at cost."""
    value = ZERO
    left = quantity
    for layer in layers:
        if left <= 0:
            break
        if layer.remaining_quantity <= 0:
            continue
        touched[layer.pk] = layer
        if layer.remaining_quantity <= left:
            taken_value = layer.remaining_value
            left -= layer.remaining_quantity
            layer.remaining_quantity = ZERO
            layer.remaining_value = ZERO
        else:
            taken_value = cents(layer.remaining_value * left / layer.remaining_quantity)
            layer.remaining_quantity -= left
            layer.remaining_value -= taken_value
            left = ZERO
        value += taken_value
    return value, left


def value_moves(
    *,
    actor: User,
    company_id: int,
    valued: list[Valued],
    on: dt.date,
    reference: str,
    permission: str,
    announcements: list[tuple[audit.Change, Any]] | None = None,
) -> None:
    """Value `valued` (done moves crossing the own-stock boundary): set each move's
    unit_cost and value, write their layers, update the products' valuation and book one
    journal entry dated `on`. Call inside the moves' transaction. With `announcements` the
    entry's audit row and event are added to it for the caller to write with its own."""
    if not valued:
        return
    product_ids = {item.product.pk for item in valued}
    valuations = _valuations(company_id, product_ids)
    fifo_ids = {
        item.product.pk
        for item in valued
        if not item.incoming and item.product.category.costing_method == CostingMethod.FIFO
    }
    open_layers: dict[int, list[ValuationLayer]] = defaultdict(list)
    if fifo_ids:
        for layer in _fifo_layers(valued, fifo_ids):
            open_layers[layer.product_id].append(layer)
    # Periodic categories keep their layers (cost, valuation report) but book nothing now:
    # the accountant's period-end entry brings their stock value to the ledger.
    booked = [item for item in valued if item.product.category.stock_valuation == StockValuation.PERPETUAL]
    accounts = Accounts(company_id, {item.product.category_id for item in booked}) if booked else None
    layers: list[ValuationLayer] = []
    touched_layers: dict[int, ValuationLayer] = {}
    amounts: dict[int, Decimal] = defaultdict(Decimal)  # account → debit (+) / credit (−)
    for item in valued:
        move, product = item.move, item.product
        stock = valuations[product.pk]
        quantity = move.quantity
        fifo = product.category.costing_method == CostingMethod.FIFO
        if item.incoming:
            unit = item.unit_cost
            if unit is None:  # an inventory gain: at the current average, else the product's cost
                unit = stock.value / stock.quantity if stock.quantity > 0 else product.cost
            value = cents(quantity * unit)
            layer = ValuationLayer(
                company_id=company_id,
                product_id=product.pk,
                move=move,
                date=on,
                quantity=quantity,
                unit_cost=unit.quantize(UNIT_COST),
                value=value,
                remaining_quantity=quantity if fifo else ZERO,
                remaining_value=value if fifo else ZERO,
                description=reference,
            )
            stock.quantity += quantity
            stock.value += value
        else:
            if fifo:
                value, uncovered = _fifo_take(product, quantity, open_layers[product.pk], touched_layers)
                if uncovered > 0:
                    value += cents(uncovered * product.cost)
            elif stock.quantity > 0 and quantity >= stock.quantity:
                # The last units take what is left, so the value reaches zero with the stock.
                value = stock.value + cents((quantity - stock.quantity) * (stock.value / stock.quantity))
            elif stock.quantity > 0:
                value = cents(quantity * stock.value / stock.quantity)
            else:
                value = cents(quantity * product.cost)
            unit = (value / quantity) if quantity else ZERO
            layer = ValuationLayer(
                company_id=company_id,
                product_id=product.pk,
                move=move,
                date=on,
                quantity=-quantity,
                unit_cost=unit.quantize(UNIT_COST),
                value=-value,
                description=reference,
            )
            stock.quantity -= quantity
            stock.value -= value
        move.unit_cost = unit.quantize(UNIT_COST)
        move.value = value
        layers.append(layer)
        if accounts is None or product.category.stock_valuation != StockValuation.PERPETUAL:
            continue
        stock_account = accounts.account(product.category_id, "stock_account")
        counterpart = accounts.account(product.category_id, COUNTERPART_FIELD[item.counterpart])
        signed = value if item.incoming else -value
        amounts[stock_account] += signed
        amounts[counterpart] -= signed
    fastsql.insert_objects(layers)
    fastsql.update_objects(list(touched_layers.values()), ["remaining_quantity", "remaining_value"])
    fastsql.update_objects([valuations[pk] for pk in product_ids], ["quantity", "value"])
    lines = [
        ledger.LineIn(
            account_id=account_id,
            debit=amount if amount > 0 else ZERO,
            credit=-amount if amount < 0 else ZERO,
            label=reference,
        )
        for account_id, amount in sorted(amounts.items())
        if amount != 0
    ]
    if lines and accounts is not None:
        books = books_read(company_id)
        entry = ledger.entry_book(
            actor=actor,
            journal_id=books.journal.pk,
            known=ledger.Known(journal=books.journal, currency=books.currency, accounts=accounts.facts),
            fiscal_year=books.fiscal_year(on),
            date=on,
            lines=lines,
            reference=reference,
            narration=_("Stock valuation"),
            permission=permission,
            announce=announcements is None,
        )
        if announcements is not None:
            announcements.append(ledger.posting_announcements(actor, entry))
        for item in valued:
            item.move.entry = entry
