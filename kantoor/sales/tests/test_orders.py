"""Sales orders: pricing and totals, versions, discount approval, confirmation with its
delivery and its stock and credit checks, invoicing by policy, paid and done, cancel and
the rep's and manager's rights. Documents are built through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kantoor.catalog.models import CostingMethod, PriceList, Product, ProductCategory, ProductKind, Uom
from kantoor.core.errors import NotFoundError, PermissionDeniedError, StaleVersionError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.core.outbox import run_pending_events
from kantoor.core.services import team_create
from kantoor.finance import invoicing, payments
from kantoor.finance import services as ledger
from kantoor.finance.models import Invoice, InvoiceKind, InvoiceState, JournalKind, PaymentKind, Tax
from kantoor.inventory import services as inventory
from kantoor.inventory.models import Move, MoveState, Transfer, TransferState, Warehouse
from kantoor.parties.models import TimelineEntry
from kantoor.sales import services, terms
from kantoor.sales.errors import (
    CreditLimitExceededError,
    DiscountApprovalRequiredError,
    OutOfStockError,
    SalesOrderInvalidError,
    SalesOrderStateError,
)
from kantoor.sales.models import (
    InvoicingPolicy,
    OrderState,
    QuoteRevision,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderLine,
)
from kantoor.sales.selectors import order_lines_status
from kantoor.sales.tests.quote_support import books, customer, pieces, rep, sales_manager, v21, warehouse

__all__ = ["books", "customer", "pieces", "rep", "sales_manager", "v21", "warehouse"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(make_user: Callable[..., Any]) -> Any:
    return make_user("operations", username="olga")


@pytest.fixture
def accountant(company: Any, books: Any) -> Any:
    from kantoor.core.models import User

    return User.objects.get(company=company, role_assignments__role="finance")  # made with the books


@pytest.fixture
def goods(company: Any, pieces: Uom, books: Any) -> dict[str, Product]:
    category = ProductCategory.objects.create(
        company=company, name="Furniture", costing_method=CostingMethod.AVERAGE
    )

    def make(sku: str, price: str, cost: str, **extra: Any) -> Product:
        return Product.objects.create(
            company=company,
            sku=sku,
            name=sku.title(),
            category=category,
            uom=pieces,
            purchase_uom=pieces,
            list_price=Decimal(price),
            cost=Decimal(cost),
            kind=ProductKind.STOCKABLE,
            **extra,
        )

    return {
        "chair": make("CHAIR", "80", "50"),
        "desk": make("DESK", "250", "150", allows_backorder=False),
        "setup": Product.objects.create(
            company=company,
            sku="SETUP",
            name="Setup",
            category=category,
            uom=pieces,
            purchase_uom=pieces,
            list_price=Decimal("40"),
            kind=ProductKind.SERVICE,
        ),
    }


@pytest.fixture
def stocked(goods: dict[str, Product], warehouse: Warehouse, keeper: Any) -> dict[str, Product]:
    """10 chairs and 2 desks in the warehouse."""
    inventory.transfer_record(
        actor=keeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        lines=[
            inventory.MoveIn(product_id=goods["chair"].pk, quantity=10, unit_cost="50"),
            inventory.MoveIn(product_id=goods["desk"].pk, quantity=2, unit_cost="150"),
        ],
    )
    return goods


@pytest.fixture
def defaults(sales_manager: Any, v21: Tax, warehouse: Warehouse) -> None:
    services.sales_settings_update(actor=sales_manager, default_tax_id=v21.pk, warehouse_id=warehouse.pk)


def _quote(actor: Any, customer: Any, lines: list[dict[str, Any]], **header: Any) -> SalesOrder:
    return services.quotation_create(actor=actor, customer_id=customer.pk, lines=lines, **header)


def _fresh(order: SalesOrder) -> SalesOrder:
    return SalesOrder.objects.get(pk=order.pk)


# ----------------------------------------------------------------------------- quotations


def test_a_quotation_takes_list_prices_the_default_tax_and_leaves_optional_lines_out(
    rep: Any, customer: Any, goods: dict[str, Product], defaults: None
) -> None:
    order = _quote(
        rep,
        customer,
        [
            {"product_id": goods["chair"].pk, "quantity": 4, "discount": "5"},
            {"product_id": goods["setup"].pk, "quantity": 1},
            {"product_id": goods["desk"].pk, "quantity": 1, "is_optional": True},
        ],
    )
    order = _fresh(order)
    assert order.number.startswith("SO-")
    assert (order.state, order.revision, order.salesperson_id) == (OrderState.DRAFT, 1, rep.pk)
    lines = list(SalesOrderLine.objects.filter(order=order).order_by("sequence"))
    assert [(line.unit_price, line.amount_untaxed, line.tax.code) for line in lines] == [
        (Decimal("80.000000"), Decimal("304.00"), "V21"),
        (Decimal("40.000000"), Decimal("40.00"), "V21"),
        (Decimal("250.000000"), Decimal("250.00"), "V21"),
    ]
    # 4 × 80 − 5 % = 304 and 40 of setup; the optional desk is offered, not counted.
    assert (order.amount_untaxed, order.amount_tax, order.amount_total) == (
        Decimal("344.00"),
        Decimal("72.24"),
        Decimal("416.24"),
    )
    # Margin: 344 − 4 × 50 (chairs) − 0 (the service costs nothing) = 144.
    assert order.amount_margin == Decimal("144.00")
    assert order.valid_until == order.order_date + dt.timedelta(days=30)


def test_a_customer_price_list_prices_the_quotation(
    company: Any, rep: Any, customer: Any, goods: dict[str, Product], defaults: None
) -> None:
    plist = PriceList.objects.create(company=company, name="Dealers", currency="EUR", party=customer)
    plist.items.create(product=goods["chair"], min_quantity=Decimal(1), price=Decimal("70"))
    plist.items.create(product=goods["chair"], min_quantity=Decimal(10), price=Decimal("65"))
    order = _quote(rep, customer, [{"product_id": goods["chair"].pk, "quantity": 12}])
    assert SalesOrderLine.objects.get(order=order).unit_price == Decimal("65")


def test_a_price_list_in_a_currency_without_rate_is_refused_and_nothing_is_written(
    company: Any, rep: Any, customer: Any, goods: dict[str, Product], defaults: None
) -> None:
    plist = PriceList.objects.create(company=company, name="US dealers", currency="USD")
    with pytest.raises(SalesOrderInvalidError) as refused:
        _quote(rep, customer, [{"product_id": goods["chair"].pk, "quantity": 1}], price_list_id=plist.pk)
    assert "currency" in refused.value.field_errors
    assert SalesOrder.objects.count() == 0


def test_bad_lines_are_named_and_nothing_is_written(
    rep: Any, customer: Any, goods: dict[str, Product], defaults: None
) -> None:
    with pytest.raises(SalesOrderInvalidError) as refused:
        _quote(
            rep,
            customer,
            [
                {"product_id": goods["chair"].pk, "quantity": "0"},
                {"product_id": 999_999, "quantity": 1},
                {"product_id": goods["desk"].pk, "quantity": 1, "discount": "120"},
            ],
        )
    assert set(refused.value.field_errors) == {
        "lines[0].quantity",
        "lines[1].product_id",
        "lines[2].discount",
    }
    assert SalesOrder.objects.count() == 0
    assert SalesOrderLine.objects.count() == 0


def test_changing_a_sent_quotation_keeps_the_sent_version(
    rep: Any, customer: Any, goods: dict[str, Product], defaults: None
) -> None:
    order = _quote(rep, customer, [{"product_id": goods["chair"].pk, "quantity": 2}])
    order = services.quotation_send(actor=rep, order_id=order.pk, to=())
    order = services.quotation_update(
        actor=rep,
        order_id=order.pk,
        version=order.version,
        lines=[{"product_id": goods["chair"].pk, "quantity": 3}],
    )
    order = _fresh(order)
    assert (order.state, order.revision, order.amount_untaxed) == (OrderState.DRAFT, 2, Decimal("240.00"))
    kept = QuoteRevision.objects.get(order=order)
    assert (kept.revision, kept.snapshot["amount_untaxed"], kept.snapshot["lines"][0]["quantity"]) == (
        1,
        "160.00",
        "2.0000",
    )
    with pytest.raises(StaleVersionError):
        services.quotation_update(actor=rep, order_id=order.pk, version=1, notes="late")


def test_a_discount_above_the_reps_allowance_waits_for_a_manager(
    rep: Any, sales_manager: Any, customer: Any, goods: dict[str, Product], defaults: None
) -> None:
    order = _quote(rep, customer, [{"product_id": goods["chair"].pk, "quantity": 1, "discount": "25"}])
    events_before = OutboxEvent.objects.count()
    with pytest.raises(DiscountApprovalRequiredError):
        services.quotation_send(actor=rep, order_id=order.pk, to=())
    assert (_fresh(order).state, _fresh(order).version) == (OrderState.DRAFT, order.version)
    assert OutboxEvent.objects.count() == events_before
    with pytest.raises(PermissionDeniedError):
        services.quotation_discount_approve(actor=rep, order_id=order.pk)
    services.quotation_discount_approve(actor=sales_manager, order_id=order.pk)
    sent = services.quotation_send(actor=rep, order_id=order.pk, to=())
    assert (sent.state, _fresh(order).discount_approved_by_id) == (OrderState.SENT, sales_manager.pk)
    assert AuditEntry.objects.filter(action="sales.discount_approve", object_id=str(order.pk)).count() == 1


def test_a_rep_sees_the_teams_quotations_but_changes_only_their_own(
    company: Any, make_user: Callable[..., Any], customer: Any, goods: dict[str, Product], defaults: None
) -> None:
    admin = make_user("admin", username="ada")
    team = team_create(actor=admin, name="North")
    rep_a = make_user("sales", scope="team", team=team, username="anna")
    rep_b = make_user("sales", scope="team", team=team, username="bert")
    outsider = make_user("sales", scope="team", username="carl")
    order = _quote(rep_a, customer, [{"product_id": goods["chair"].pk, "quantity": 1}])
    from kantoor.sales.selectors import order_get_for_actor

    assert order_get_for_actor(rep_b, order.pk).pk == order.pk
    with pytest.raises(PermissionDeniedError):
        services.quotation_update(actor=rep_b, order_id=order.pk, notes="mine now")
    with pytest.raises(NotFoundError):
        services.quotation_update(actor=outsider, order_id=order.pk, notes="mine now")
    assert _fresh(order).notes == ""


def test_another_companys_order_is_not_found(
    other_company: Any,
    make_user: Callable[..., Any],
    rep: Any,
    customer: Any,
    goods: dict[str, Product],
    defaults: None,
) -> None:
    order = _quote(rep, customer, [{"product_id": goods["chair"].pk, "quantity": 1}])
    stranger = make_user("sales_manager", in_company=other_company, username="zed")
    with pytest.raises(NotFoundError):
        services.order_confirm(actor=stranger, order_id=order.pk)


# ----------------------------------------------------------------------------- confirmation


def test_confirming_makes_the_delivery_and_reserves_the_stock(
    rep: Any, customer: Any, stocked: dict[str, Product], defaults: None
) -> None:
    order = _quote(
        rep,
        customer,
        [
            {"product_id": stocked["chair"].pk, "quantity": 4},
            {"product_id": stocked["setup"].pk, "quantity": 1},
        ],
    )
    order = services.order_confirm(actor=rep, order_id=order.pk)
    assert _fresh(order).state == OrderState.CONFIRMED
    delivery = Transfer.objects.get(origin=order.number)
    assert (delivery.kind, delivery.state, delivery.party_id) == (
        "delivery",
        TransferState.READY,
        customer.pk,
    )
    chair_line = SalesOrderLine.objects.get(order=order, product=stocked["chair"])
    moves = list(Move.objects.filter(transfer=delivery).values_list("product_id", "quantity", "origin_line"))
    assert moves == [(stocked["chair"].pk, Decimal("4.0000"), f"sales.orderline:{chair_line.pk}")]
    assert OutboxEvent.objects.filter(name="sales.OrderConfirmed").count() == 1


def test_a_product_not_sold_on_backorder_needs_stock_and_nothing_is_written(
    rep: Any, customer: Any, stocked: dict[str, Product], defaults: None
) -> None:
    first = _quote(rep, customer, [{"product_id": stocked["desk"].pk, "quantity": 2}])
    services.order_confirm(actor=rep, order_id=first.pk)
    second = _quote(rep, customer, [{"product_id": stocked["desk"].pk, "quantity": 1}])
    transfers, events = Transfer.objects.count(), OutboxEvent.objects.count()
    with pytest.raises(OutOfStockError) as refused:
        services.order_confirm(actor=rep, order_id=second.pk)
    assert "DESK: 1 wanted, 0 available" in refused.value.message
    assert (_fresh(second).state, Transfer.objects.count(), OutboxEvent.objects.count()) == (
        OrderState.DRAFT,
        transfers,
        events,
    )
    # Chairs may be sold on backorder: more than the 10 in stock is confirmed.
    third = _quote(rep, customer, [{"product_id": stocked["chair"].pk, "quantity": 15}])
    assert services.order_confirm(actor=rep, order_id=third.pk).state == OrderState.CONFIRMED


def test_the_credit_limit_refuses_and_a_manager_overrides(
    rep: Any, sales_manager: Any, customer: Any, stocked: dict[str, Product], defaults: None
) -> None:
    terms.customer_terms_set(actor=sales_manager, party_id=customer.pk, credit_limit="500")
    order = _quote(rep, customer, [{"product_id": stocked["chair"].pk, "quantity": 6}])  # 580.80 incl. VAT
    with pytest.raises(CreditLimitExceededError):
        services.order_confirm(actor=rep, order_id=order.pk)
    assert (_fresh(order).state, Transfer.objects.filter(origin=order.number).count()) == (
        OrderState.DRAFT,
        0,
    )
    with pytest.raises(CreditLimitExceededError):  # a rep's override is no override
        services.order_confirm(actor=rep, order_id=order.pk, credit_override=True)
    services.order_confirm(actor=sales_manager, order_id=order.pk, credit_override=True)
    confirmed = _fresh(order)
    assert (confirmed.state, confirmed.credit_override_by_id) == (OrderState.CONFIRMED, sales_manager.pk)


# ----------------------------------------------------------------------------- order to cash


def test_partial_deliveries_make_an_invoice_each_and_payment_marks_the_order_paid_and_done(
    company: Any,
    rep: Any,
    keeper: Any,
    accountant: Any,
    customer: Any,
    stocked: dict[str, Product],
    defaults: None,
) -> None:
    order = _quote(rep, customer, [{"product_id": stocked["chair"].pk, "quantity": 6}])
    order = services.order_confirm(actor=rep, order_id=order.pk)
    run_pending_events()
    delivery = Transfer.objects.get(origin=order.number)
    move = Move.objects.get(transfer=delivery)
    inventory.transfer_validate(
        actor=keeper, transfer_id=delivery.pk, done=[inventory.DoneIn(move_id=move.pk, quantity=4)]
    )
    run_pending_events()
    first = Invoice.objects.get(reference=order.number)
    assert (first.state, first.kind, first.amount_untaxed) == (
        InvoiceState.DRAFT,
        InvoiceKind.CUSTOMER_INVOICE,
        Decimal("320"),
    )
    [status] = order_lines_status(_fresh(order))
    assert (status.delivered, status.invoiced.quantity) == (Decimal(4), Decimal(4))
    assert not OutboxEvent.objects.filter(name="sales.OrderDelivered").exists()

    backorder = Transfer.objects.get(origin=order.number, state=TransferState.READY)
    inventory.transfer_validate(actor=keeper, transfer_id=backorder.pk)
    run_pending_events()
    second = Invoice.objects.filter(reference=order.number).exclude(pk=first.pk).get()
    assert second.amount_untaxed == Decimal("160")
    assert OutboxEvent.objects.filter(name="sales.OrderDelivered").count() == 1

    bank = ledger.journal_for(company_id=company.pk, kind=JournalKind.BANK)
    for invoice in (first, second):
        posted = invoicing.invoice_post(actor=accountant, invoice_id=invoice.pk)
        run_pending_events()
        assert _fresh(order).paid_at is None
        payments.payment_register(
            actor=accountant,
            kind=PaymentKind.INBOUND,
            party_id=customer.pk,
            journal_id=bank.pk,
            date=timezone.localdate(),
            amount=posted.amount_total,
            allocations=[{"invoice_id": posted.pk}],
        )
        run_pending_events()
    done = _fresh(order)
    assert (done.state, done.paid_at is not None) == (OrderState.DONE, True)
    assert OutboxEvent.objects.filter(name="sales.OrderPaid").count() == 1
    kinds = list(TimelineEntry.objects.filter(party=customer).values_list("kind", flat=True))
    for kind in (
        "sales.order_confirmed",
        "sales.goods_delivered",
        "sales.order_delivered",
        "sales.order_paid",
    ):
        assert kind in kinds


def test_an_order_invoiced_on_order_gets_its_invoice_at_confirmation(
    rep: Any, customer: Any, stocked: dict[str, Product], defaults: None
) -> None:
    order = _quote(
        rep,
        customer,
        [{"product_id": stocked["chair"].pk, "quantity": 2}],
        invoicing_policy=InvoicingPolicy.ORDER,
    )
    services.order_confirm(actor=rep, order_id=order.pk)
    run_pending_events()
    invoice = Invoice.objects.get(reference=order.number)
    assert (invoice.amount_untaxed, invoice.amount_total) == (Decimal("160"), Decimal("193.6"))
    assert SalesInvoiceLine.objects.filter(invoice=invoice).count() == 1
    with pytest.raises(Exception) as nothing:
        services.invoice_create_from_order(actor=invoice.created_by, order_id=order.pk)
    assert "invoiced already" in str(nothing.value)


def test_cancelling_an_order_cancels_its_delivery_and_is_refused_once_delivered(
    rep: Any, keeper: Any, customer: Any, stocked: dict[str, Product], defaults: None
) -> None:
    order = _quote(rep, customer, [{"product_id": stocked["chair"].pk, "quantity": 2}])
    services.order_confirm(actor=rep, order_id=order.pk)
    services.order_cancel(actor=rep, order_id=order.pk)
    assert Transfer.objects.get(origin=order.number).state == TransferState.CANCELLED
    assert _fresh(order).state == OrderState.CANCELLED

    other = _quote(rep, customer, [{"product_id": stocked["chair"].pk, "quantity": 1}])
    services.order_confirm(actor=rep, order_id=other.pk)
    inventory.transfer_validate(actor=keeper, transfer_id=Transfer.objects.get(origin=other.number).pk)
    with pytest.raises(SalesOrderStateError):
        services.order_cancel(actor=rep, order_id=other.pk)
    assert _fresh(other).state == OrderState.CONFIRMED
    assert Move.objects.filter(transfer__origin=other.number, state=MoveState.DONE).count() == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=50),
            st.decimals(min_value=0, max_value=10, places=2),  # within the rep's allowance
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_totals_are_the_counted_lines_and_their_tax_and_the_invoice_agrees(
    rep: Any, customer: Any, goods: dict[str, Product], defaults: None, lines: list[tuple[int, Decimal, bool]]
) -> None:
    given_lines = [
        {
            "product_id": goods["chair"].pk,
            "quantity": quantity,
            "discount": str(discount),
            "is_optional": optional,
        }
        for quantity, discount, optional in lines
    ]
    if all(optional for _q, _d, optional in lines):
        given_lines[0]["is_optional"] = False
    order = _fresh(_quote(rep, customer, given_lines, invoicing_policy=InvoicingPolicy.ORDER))
    counted = [line for line in SalesOrderLine.objects.filter(order=order) if not line.is_optional]
    assert order.amount_untaxed == sum((line.amount_untaxed for line in counted), Decimal(0))
    assert order.amount_total == order.amount_untaxed + order.amount_tax
    services.order_confirm(actor=rep, order_id=order.pk)
    run_pending_events()
    invoice = Invoice.objects.get(reference=order.number)
    assert (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total) == (
        order.amount_untaxed,
        order.amount_tax,
        order.amount_total,
    )
