"""The order-to-cash workload of ../shared/bench/ORDER_TO_CASH.md, re-implemented from its
rules (the shared `o2c_workload.py` is not part of an installed Kantoor): one seeded
generator drawn in the documented order, and the control totals a run must reach. A test
checks both against the shared file."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
TAX_RATE = Decimal("0.21")
INITIAL_STOCK = 1_000_000  # units per product, booked before phase A


@dataclass(frozen=True)
class PlanProduct:
    index: int
    code: str
    name: str
    list_price: Decimal
    cost_price: Decimal


@dataclass(frozen=True)
class PlanCustomer:
    index: int
    code: str
    name: str
    street: str
    postal_code: str
    city: str


@dataclass
class PlanOrder:
    index: int
    customer: int
    lines: list[tuple[int, int]] = field(default_factory=list)  # (product index, quantity)

    @property
    def paid(self) -> bool:
        return self.index % 2 == 1


@dataclass(frozen=True)
class Plan:
    products: list[PlanProduct]
    customers: list[PlanCustomer]
    orders: list[PlanOrder]


def plan_make(
    customers: int = 200, products: int = 100, orders: int = 1000, lines: int = 5, seed: int = 42
) -> Plan:
    rng = random.Random(seed)  # noqa: S311 - the workload's own reproducible generator
    product_rows = []
    for p in range(1, products + 1):
        cents = rng.randint(100, 20000)
        product_rows.append(
            PlanProduct(
                index=p,
                code=f"P{p:04d}",
                name=f"Product {p:04d}",
                list_price=Decimal(cents) / 100,
                cost_price=Decimal(cents * 6 // 10) / 100,
            )
        )
    customer_rows = [
        PlanCustomer(
            index=c,
            code=f"C{c:04d}",
            name=f"Customer {c:04d}",
            street=f"{c} Main Street",
            postal_code=f"{10000 + c}",
            city="Springfield",
        )
        for c in range(1, customers + 1)
    ]
    order_rows = []
    for o in range(1, orders + 1):
        order = PlanOrder(index=o, customer=rng.randint(1, customers))
        for _line in range(lines):
            product = rng.randint(1, products)
            quantity = rng.randint(1, 10)
            order.lines.append((product, quantity))
        order_rows.append(order)
    return Plan(products=product_rows, customers=customer_rows, orders=order_rows)


def order_amounts(plan: Plan, order: PlanOrder) -> tuple[Decimal, Decimal, Decimal]:
    """(untaxed, tax, total) of the order's single invoice: tax per document, half even."""
    untaxed = sum((plan.products[p - 1].list_price * q for p, q in order.lines), Decimal(0))
    tax = (untaxed * TAX_RATE).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return untaxed, tax, untaxed + tax


def balances_digest(balances: Iterable[tuple[str, Decimal]]) -> str:
    """First 16 hex digits of the SHA-256 of "C0001:123.45\\n" per customer, in index order."""
    digest = hashlib.sha256()
    for code, balance in balances:
        amount = Decimal(balance).quantize(CENT)
        if not amount:
            amount = abs(amount)  # "-0.00" → "0.00"
        digest.update(f"{code}:{amount}\n".encode())
    return digest.hexdigest()[:16]


def expected_totals(plan: Plan) -> dict[str, str | int]:
    untaxed_total = tax_total = invoiced = received = Decimal(0)
    balance = {customer.index: Decimal(0) for customer in plan.customers}
    units = 0
    for order in plan.orders:
        untaxed, tax, total = order_amounts(plan, order)
        untaxed_total += untaxed
        tax_total += tax
        invoiced += total
        units += sum(quantity for _product, quantity in order.lines)
        if order.paid:
            received += total
        else:
            balance[order.customer] += total
    return {
        "orders": len(plan.orders),
        "order_lines": sum(len(order.lines) for order in plan.orders),
        "units_shipped": units,
        "stock_left_in_storage": INITIAL_STOCK * len(plan.products) - units,
        "invoices": len(plan.orders),
        "invoices_paid": sum(1 for order in plan.orders if order.paid),
        "total_untaxed": str(untaxed_total),
        "total_tax": str(tax_total),
        "total_invoiced": str(invoiced),
        "total_received": str(received),
        "total_receivable": str(invoiced - received),
        "customers_with_balance": sum(1 for value in balance.values() if value),
        "receivable_digest": balances_digest((c.code, balance[c.index]) for c in plan.customers),
        "trial_balance_debit": str(invoiced + received),
        "trial_balance_credit": str(invoiced + received),
        "revenue": str(untaxed_total),
    }
