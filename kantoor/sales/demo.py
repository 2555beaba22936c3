"""The sales demo: the company's sales settings (21 % VAT, warehouse AMS, 30 days, invoiced on
delivery, reps give at most 10 % discount), the terms of three customers (one with a credit
limit a later order exceeds and the sales manager overrides, one invoiced on order) and
fifteen quotations and orders in every state, dated over the last six weeks, by the sales rep
Daan and the sales manager Noor:

- quotations: a draft with an optional line; one sent and still valid; one sent with a
  discount above the rep's allowance, approved by the manager; one revised after it was sent
  (version 2 sent, version 1 kept); one the customer declined on the public page, with a
  reason; one the customer accepted there, which the handler confirmed;
- orders: two waiting for delivery (one over the customer's credit limit, overridden); one
  delivered in part (its backorder open, the first invoice drafted); one delivered and
  invoiced but unpaid; two paid and done; one invoiced on order; one cancelled; one with two
  returns — one received and credited by a draft credit note, the other approved and awaited;
- sales targets of this month and the last for Daan and the team Sales North.

Runs after the parties (customers), the catalog (products), finance (the chart, VAT, payment
terms, the bank journal) and inventory (warehouse AMS and its stock); without them it skips
with a message. Everything goes through the services, as the users would; the outbox's
handlers (invoices on delivery, paid and done, the accepted quotation confirmed, returns
credited) run as each order is made. Re-running creates only what is missing: an order is
known by its notes, terms by their customer, a target by its month.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kantoor.catalog.models import Product
from kantoor.core import demo, outbox
from kantoor.core.errors import DomainError
from kantoor.core.models import Company, Team, User
from kantoor.finance import invoicing, payments
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceState, Journal, PaymentTerm, Tax, TaxScope
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Move, TransferKind, Warehouse
from kantoor.parties.models import Party, PartyRoleType
from kantoor.sales import quotes, returns, services, targets, terms
from kantoor.sales.models import (
    CustomerTerms,
    InvoicingPolicy,
    SalesOrder,
    SalesOrderLine,
    SalesSettings,
    SalesTarget,
)

log = logging.getLogger(__name__)

WAREHOUSE = "AMS"
SALES_TAX = "V21"
TEAM = "Sales North"
SETTINGS = {
    "invoicing_policy": InvoicingPolicy.DELIVERY,
    "quote_validity_days": 30,
    "discount_limit": Decimal("10.0000"),
}

# Customers: "north" are Daan's (team Sales North), "south" the others; the credit and
# on-order customers have terms of their own and no other order.
CREDIT, ON_ORDER, ACCOUNT = "credit", "on_order", "account"
CREDIT_LIMIT = Decimal("1500.00")
ACCOUNT_LIMIT = Decimal("25000.00")


@dataclass(frozen=True)
class DemoLine:
    sku: str
    quantity: str
    discount: str = "0"
    optional: bool = False


@dataclass(frozen=True)
class DemoOrder:
    """An order of the demo: its notes (the natural key), who makes it, for which customer
    (a pool and a position in it, or a customer with terms), how long ago, what it sells and
    how far it goes."""

    notes: str
    by: str  # the demo user: "sales" (Daan) or "sales_manager" (Noor)
    customer: str  # "north", "south", or CREDIT / ON_ORDER / ACCOUNT
    days_ago: int
    lines: tuple[DemoLine, ...]
    stage: str
    reference: str = ""


DEMO_ORDERS = (
    DemoOrder(
        "Replacement keyboards and mice for the service desk; installation offered as an option.",
        "sales",
        "north",
        2,
        (DemoLine("KBD-WL-NL", "12"), DemoLine("MSE-WL", "12"), DemoLine("SRV-INSTALL", "3", optional=True)),
        "draft",
    ),
    DemoOrder(
        "Office supplies for the new branch office.",
        "sales",
        "north",
        9,
        (DemoLine("PEN-BP-BL", "40"), DemoLine("MRK-HL-4", "20"), DemoLine("NOTE-A5-LN", "30")),
        "sent",
    ),
    DemoOrder(
        "Ergonomic chairs for the whole team; volume discount agreed with the sales manager.",
        "sales",
        "north",
        12,
        (DemoLine("CHR-ERGO", "8", discount="15"), DemoLine("SRV-DELIVERY", "1")),
        "discount",
    ),
    DemoOrder(
        "Cabling for the meeting rooms; revised after the site visit (more power strips, headsets).",
        "sales",
        "north",
        20,
        (DemoLine("PWR-STRIP-6", "10"), DemoLine("CBL-CAT6", "10")),
        "revised",
    ),
    DemoOrder(
        "Toner and paper for the print room, yearly supply.",
        "sales_manager",
        "south",
        25,
        (DemoLine("PAP-A4-80", "100", discount="5"), DemoLine("PAP-A3-80", "20")),
        "declined",
    ),
    DemoOrder(
        "Headsets and USB-C cables for the hybrid workplaces.",
        "sales",
        "north",
        6,
        (DemoLine("HS-USB-DUO", "10"), DemoLine("CBL-USBC-1", "10")),
        "accepted",
    ),
    DemoOrder(
        "Staplers and lever arch files for the archive.",
        "sales_manager",
        "south",
        4,
        (DemoLine("STPL-DESK", "6"), DemoLine("FLD-LEVER-80", "40"), DemoLine("STP-24-6", "10")),
        "confirmed",
        reference="PO-48213",
    ),
    DemoOrder(
        "Sit-stand chairs and keyboards for the new office floor.",
        "sales",
        CREDIT,
        3,
        (DemoLine("CHR-ERGO", "6"), DemoLine("KBD-WL-NL", "6"), DemoLine("SRV-DELIVERY", "1")),
        "credit",
        reference="INK-2291",
    ),
    DemoOrder(
        "Monthly office supplies: pens, highlighters and sticky notes.",
        "sales",
        "north",
        15,
        (DemoLine("PEN-GEL-BK", "60"), DemoLine("POSTIT-76", "40")),
        "partial",
        reference="BO-7781",
    ),
    DemoOrder(
        "Power strips and notebooks for the warehouse office.",
        "sales_manager",
        "south",
        28,
        (DemoLine("PWR-STRIP-6", "8"), DemoLine("NOTE-A5-LN", "10"), DemoLine("SRV-DELIVERY", "1")),
        "invoiced",
        reference="PO-47950",
    ),
    DemoOrder(
        "Keyboards and mice for the reception.",
        "sales",
        ACCOUNT,
        40,
        (DemoLine("KBD-WL-NL", "4"), DemoLine("MSE-WL", "4")),
        "paid",
        reference="ORD-1044",
    ),
    DemoOrder(
        "Paper and staples for the copy room, with installation of the new stapler station.",
        "sales_manager",
        "south",
        35,
        (DemoLine("PAP-A4-RC", "30"), DemoLine("STP-24-6", "20"), DemoLine("SRV-INSTALL", "1")),
        "paid",
        reference="PO-47512",
    ),
    DemoOrder(
        "On-site support day and network cabling, invoiced in advance as agreed.",
        "sales_manager",
        ON_ORDER,
        10,
        (DemoLine("SRV-ONSITE", "1"), DemoLine("SRV-INSTALL", "4"), DemoLine("CBL-CAT6", "20")),
        "on_order",
        reference="2026-INK-118",
    ),
    DemoOrder(
        "HDMI cables for the training rooms; the customer postponed the refurbishment.",
        "sales",
        "north",
        18,
        (DemoLine("CBL-HDMI-2", "20"),),
        "cancelled",
    ),
    DemoOrder(
        "Headsets for the call centre.",
        "sales_manager",
        "south",
        33,
        (DemoLine("HS-USB-DUO", "10"), DemoLine("SRV-DELIVERY", "1")),
        "returned",
        reference="PO-47701",
    ),
)
# The revised quotation's second version: more power strips, headsets added.
REVISED_LINES = (DemoLine("PWR-STRIP-6", "14"), DemoLine("CBL-CAT6", "10"), DemoLine("HS-USB-DUO", "4"))
DECLINED_BY, DECLINE_REASON = "Marieke de Vries", "We have chosen a supplier with a lower price for toner."
ACCEPTED_BY = "Joost Bakker"
PARTIAL_DELIVERED = "36"  # of the 60 gel pens: the rest follows on the backorder
RETURN_RECEIVED = ("2", "Two headsets arrived with a broken microphone.")
RETURN_AWAITED = ("1", "One headset is not needed after all.")
# Monthly targets (untaxed, EUR): this month and the last, for Daan and the team.
TARGETS = {
    "user": (Decimal("12000.00"), Decimal("10500.00")),
    "team": (Decimal("30000.00"), Decimal("27500.00")),
}


@demo.register("sales", order=75)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """Settings, customer terms, quotations and orders in every state, and targets, where missing."""
    advance = progress(_("Sales"), len(DEMO_ORDERS) + 3)
    # Drawn before anything is read, so they do not depend on what exists already.
    picks = [rng.random() for _spec in DEMO_ORDERS]
    warehouse = Warehouse.objects.filter(company=company, code=WAREHOUSE).first()
    tax = Tax.objects.filter(company=company, code=SALES_TAX, scope=TaxScope.SALE).first()
    term = _term(company, 30)
    bank = Journal.objects.filter(company=company, code="BNK").first()
    products = {p.sku: p for p in Product.objects.filter(company=company)}
    needed = {line.sku for spec in DEMO_ORDERS for line in spec.lines}
    pools = _customers(company)
    if (
        warehouse is None
        or tax is None
        or term is None
        or bank is None
        or not needed <= set(products)
        or len({party.pk for pool in pools.values() for party in pool}) < 5
    ):
        log.warning(
            "sales demo skipped: it needs warehouse %s (inventory demo), tax %s, a payment term of "
            "30 days and journal BNK (finance demo), the catalog's products (%s) and five Dutch "
            "customers (parties demo)",
            WAREHOUSE,
            SALES_TAX,
            ", ".join(sorted(needed - set(products))) or "present",
        )
        advance(len(DEMO_ORDERS) + 3)
        return
    manager = users["sales_manager"]
    _settings_load(company, manager, tax, warehouse, term)
    advance(1)
    # The customers with terms of their own, then the pools without them.
    special: dict[str, Party] = {}
    for key, pool_name in ((CREDIT, "north"), (ACCOUNT, "north"), (ON_ORDER, "south")):
        taken = {party.pk for party in special.values()}
        special[key] = next(party for party in pools[pool_name] if party.pk not in taken)
    taken = {party.pk for party in special.values()}
    pool = {name: [party for party in parties if party.pk not in taken] for name, parties in pools.items()}
    _terms_load(company, manager, special, term)
    advance(1)
    existing = set(SalesOrder.objects.filter(company=company).values_list("notes", flat=True))
    today = timezone.localdate()
    for spec, pick in zip(DEMO_ORDERS, picks, strict=True):
        if spec.notes not in existing:
            customer = special.get(spec.customer) or pool[spec.customer][int(pick * len(pool[spec.customer]))]
            try:
                _order_load(spec, users, customer, products, bank, today)
            except DomainError as exc:
                # Another step took the stock, say: this order is left out (rolled back
                # whole), the rest of the demo goes on, and a later run makes it.
                log.warning("sales demo: order %r left out: %s", spec.notes, exc.message)
        advance(1)
    _targets_load(company, users, today)
    advance(1)


def _customers(company: Company) -> dict[str, list[Party]]:
    """The active Dutch customer organisations of each sales team (then the other team's), by
    name: the same lists on every run of the same parties demo."""
    found = (
        Party.objects.filter(
            company=company,
            kind="organisation",
            country="NL",
            roles__role=PartyRoleType.CUSTOMER,
            is_archived=False,
            merged_into__isnull=True,
        )
        .select_related("team")
        .order_by("normalized_name", "id")
        .distinct()
    )
    north = [party for party in found if party.team is not None and party.team.name == TEAM]
    south = [party for party in found if party.team is None or party.team.name != TEAM]
    # Each pool falls back on the other team's customers (a small parties demo has few).
    return {"north": north + south, "south": south + north}


def _settings_load(
    company: Company, manager: User, tax: Tax, warehouse: Warehouse, term: PaymentTerm
) -> None:
    """The company's sales defaults, changed only where they differ (a re-run writes nothing)."""
    current = SalesSettings.objects.filter(company=company).first()
    wanted: dict[str, Any] = {
        "default_tax_id": tax.pk,
        "warehouse_id": warehouse.pk,
        "payment_term_id": term.pk,
        **SETTINGS,
    }
    if current is not None:
        wanted = {name: value for name, value in wanted.items() if getattr(current, name) != value}
    if wanted:
        services.sales_settings_update(actor=manager, **wanted)


def _terms_load(company: Company, manager: User, special: Mapping[str, Party], term: PaymentTerm) -> None:
    """A credit limit the "credit" order exceeds, a customer invoiced on order (14 days to
    pay) and a regular account with a generous limit, paying at the end of the month."""
    known = set(CustomerTerms.objects.filter(company=company).values_list("party_id", flat=True))
    terms_of: dict[str, dict[str, Any]] = {
        CREDIT: {"credit_limit": CREDIT_LIMIT, "payment_term_id": term.pk},
        ON_ORDER: {
            "invoicing_policy": InvoicingPolicy.ORDER,
            "payment_term_id": (_term(company, 14) or term).pk,
        },
        ACCOUNT: {
            "credit_limit": ACCOUNT_LIMIT,
            "payment_term_id": (_term(company, 30, end_of_month=True) or term).pk,
        },
    }
    for key, values in terms_of.items():
        if special[key].pk not in known:
            terms.customer_terms_set(actor=manager, party_id=special[key].pk, **values)


def _term(company: Company, days: int, *, end_of_month: bool = False) -> PaymentTerm | None:
    """The company's payment term of one instalment, all due `days` after the invoice date (at
    the end of that month): found by what it is, whatever its name's language."""
    for term in PaymentTerm.objects.filter(company=company, is_active=True).prefetch_related("lines"):
        lines = list(term.lines.all())
        if len(lines) == 1 and (lines[0].days, lines[0].end_of_month) == (days, end_of_month):
            return term
    return None


def _lines(lines: Sequence[DemoLine], products: Mapping[str, Product]) -> list[services.OrderLineIn]:
    return [
        services.OrderLineIn(
            product_id=products[line.sku].pk,
            quantity=line.quantity,
            discount=line.discount,
            is_optional=line.optional,
        )
        for line in lines
    ]


def _relay() -> None:
    """Run the handlers of what was just published (the invoice on delivery, paid and done…)
    now: `kantoor demo` relays after each commit, but the next step of the order needs them
    inside its transaction, and a worker setup relays only later."""
    outbox.run_pending_events()


@transaction.atomic
def _order_load(
    spec: DemoOrder,
    users: Mapping[str, User],
    customer: Party,
    products: Mapping[str, Product],
    bank: Journal,
    today: dt.date,
) -> None:
    rep, manager = users[spec.by], users["sales_manager"]
    keeper, accountant = users["operations"], users["finance"]
    order = services.quotation_create(
        actor=rep,
        customer_id=customer.pk,
        order_date=today - dt.timedelta(days=spec.days_ago),
        customer_reference=spec.reference,
        notes=spec.notes,
        lines=_lines(spec.lines, products),
    )
    if spec.stage == "draft":
        return
    if spec.stage == "discount":  # above the rep's 10 %: the manager approves it first
        services.quotation_discount_approve(actor=manager, order_id=order.pk)
    if spec.stage == "revised":  # sent, then changed: version 1 is kept, version 2 goes out
        services.quotation_send(actor=rep, order_id=order.pk, to=())
        services.quotation_update(actor=rep, order_id=order.pk, lines=_lines(REVISED_LINES, products))
    # Handed over without e-mail: the demo mails nobody.
    order = services.quotation_send(actor=rep, order_id=order.pk, to=())
    _relay()
    if spec.stage in ("sent", "discount", "revised"):
        return
    if spec.stage == "declined":
        quotes.quote_decline(token=quotes.quote_link_token(order), name=DECLINED_BY, reason=DECLINE_REASON)
        _relay()
        return
    if spec.stage == "accepted":  # on the public page; the handler confirms the order
        quotes.quote_accept(token=quotes.quote_link_token(order), name=ACCEPTED_BY)
        _relay()
        return
    if spec.stage == "credit":  # over the customer's credit limit: the manager overrides it
        services.order_confirm(actor=manager, order_id=order.pk, credit_override=True)
    else:
        services.order_confirm(actor=rep, order_id=order.pk)
    _relay()
    if spec.stage in ("confirmed", "credit"):
        return
    if spec.stage == "cancelled":
        services.order_cancel(actor=rep, order_id=order.pk)
        _relay()
        return
    if spec.stage == "on_order":  # invoiced when confirmed; the goods follow
        _post(accountant, order)
        return
    delivery = next((t for t in services.open_deliveries(order) if t.kind == TransferKind.DELIVERY), None)
    if delivery is None:
        return
    if spec.stage == "partial":
        moves = list(Move.objects.filter(transfer=delivery).order_by("id"))
        inventory.transfer_validate(
            actor=keeper,
            transfer_id=delivery.pk,
            done=[inventory.DoneIn(move_id=moves[0].pk, quantity=PARTIAL_DELIVERED)]
            + [inventory.DoneIn(move_id=move.pk, quantity=move.quantity) for move in moves[1:]],
        )
        _relay()  # the invoice of what was delivered is drafted
        return
    inventory.transfer_validate(actor=keeper, transfer_id=delivery.pk)
    _relay()
    invoice = _post(accountant, order)
    if spec.stage == "paid" and invoice is not None:
        payments.payment_register(
            actor=accountant,
            kind="inbound",
            party_id=invoice.party_id,
            journal_id=bank.pk,
            date=today,
            amount=invoice.amount_residual,
            reference=order.number,
            allocations=[{"invoice_id": invoice.pk}],
        )
        _relay()  # paid, and delivered: done
    if spec.stage == "returned":
        _returns_load(users, order)


def _post(accountant: User, order: SalesOrder) -> Invoice | None:
    """Post the order's draft invoice (drafted by the handler, on delivery or on order)."""
    draft = (
        Invoice.objects.filter(
            company_id=order.company_id,
            kind=InvoiceKind.CUSTOMER_INVOICE,
            reference=order.number,
            state=InvoiceState.DRAFT,
        )
        .order_by("id")
        .first()
    )
    if draft is None:
        return None
    posted = invoicing.invoice_post(actor=accountant, invoice_id=draft.pk)
    _relay()
    return posted


def _returns_load(users: Mapping[str, User], order: SalesOrder) -> None:
    """Two returns of the headsets: one received back (credited by a draft credit note), one
    approved and still on its way."""
    manager, keeper = users["sales_manager"], users["operations"]
    line = SalesOrderLine.objects.filter(order=order, product__sku="HS-USB-DUO").order_by("sequence").first()
    if line is None:
        return
    for (quantity, reason), receive in ((RETURN_RECEIVED, True), (RETURN_AWAITED, False)):
        rma = returns.return_create(
            actor=manager,
            order_id=order.pk,
            lines=[{"order_line_id": line.pk, "quantity": quantity}],
            reason=reason,
        )
        rma = returns.return_approve(actor=manager, return_id=rma.pk)
        if receive and rma.receipt_id is not None:
            inventory.transfer_validate(actor=keeper, transfer_id=rma.receipt_id)
            _relay()  # received: the draft credit note


def _targets_load(company: Company, users: Mapping[str, User], today: dt.date) -> None:
    manager, rep = users["sales_manager"], users["sales"]
    team = Team.objects.filter(company=company, name=TEAM).first()
    this_month = targets.month_start(today)
    last_month = targets.month_start(this_month - dt.timedelta(days=1))
    for month, index in ((last_month, 1), (this_month, 0)):
        if not SalesTarget.objects.filter(company=company, user=rep, month=month).exists():
            targets.target_set(actor=manager, month=month, amount=TARGETS["user"][index], user_id=rep.pk)
        if (
            team is not None
            and not SalesTarget.objects.filter(company=company, team=team, month=month).exists()
        ):
            targets.target_set(actor=manager, month=month, amount=TARGETS["team"][index], team_id=team.pk)
