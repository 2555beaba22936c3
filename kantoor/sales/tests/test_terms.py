"""Customer terms and the credit check: the customer's exposure (open receivables plus
confirmed orders not invoiced yet plus the order being confirmed) against their credit
limit, in the company's currency. Orders are made directly (master-data style): the credit
check reads only their header."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.catalog.models import PriceList
from kantoor.core.errors import NotFoundError, PermissionDeniedError, StaleVersionError
from kantoor.core.models import AuditEntry
from kantoor.core.services import exchange_rate_set
from kantoor.finance import invoicing
from kantoor.finance import services as ledger
from kantoor.finance.models import Invoice, PaymentTerm
from kantoor.inventory import services as inventory
from kantoor.parties.services import party_create
from kantoor.sales import terms
from kantoor.sales.errors import CreditLimitExceededError, CustomerTermsInvalidError
from kantoor.sales.models import CustomerTerms, SalesOrder
from kantoor.sales.tests.quote_support import pieces, products, quote_make, v21

__all__ = ["pieces", "products", "quote_make", "v21"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    return make_user("finance", username="fiona")


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("sales_manager", username="noor")


@pytest.fixture
def books(accountant: Any, admin_user: Any) -> Any:
    ledger.chart_install(actor=accountant, template="generic")
    ledger.fiscal_year_create(actor=accountant, year=accountant.company.fiscal_year_of(timezone.localdate()))
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(2000, 1, 1), rate=Decimal("1.25"))
    return accountant.company


@pytest.fixture
def customer(admin_user: Any) -> Any:
    return party_create(actor=admin_user, kind="organisation", name="Klant B.V.", roles=["customer"])


@pytest.fixture
def other_customer(admin_user: Any) -> Any:
    return party_create(actor=admin_user, kind="organisation", name="Andere Klant", roles=["customer"])


@pytest.fixture
def warehouse(books: Any, make_user: Callable[..., Any]) -> Any:
    return inventory.warehouse_create(actor=make_user("operations"), code="WH", name="Main")


@pytest.fixture
def make_order(company: Any, customer: Any, warehouse: Any, salesperson: Any) -> Callable[..., SalesOrder]:
    counter = {"n": 0}

    def make(total: str, *, state: str = "confirmed", currency: str = "EUR", party: Any = None) -> SalesOrder:
        counter["n"] += 1
        return SalesOrder.objects.create(
            company=company,
            number=f"SO{counter['n']:04d}",
            customer=party or customer,
            state=state,
            order_date=timezone.localdate(),
            currency=currency,
            warehouse=warehouse,
            salesperson=salesperson,
            amount_untaxed=Decimal(total),
            amount_total=Decimal(total),
        )

    return make


@pytest.fixture
def invoice(accountant: Any, customer: Any, books: Any) -> Callable[..., Invoice]:
    def make(amount: str, *, currency: str = "", kind: str = "customer_invoice", of: Any = None) -> Invoice:
        if kind == "customer_credit_note":
            note = invoicing.credit_note_create(actor=accountant, invoice_id=of.pk)
            return invoicing.invoice_post(actor=accountant, invoice_id=note.pk)
        draft = invoicing.invoice_create(
            actor=accountant,
            kind=kind,
            party_id=customer.pk,
            date=timezone.localdate(),
            currency=currency,
            lines=[{"description": "Goods", "quantity": 1, "unit_price": amount}],
        )
        return invoicing.invoice_post(actor=accountant, invoice_id=draft.pk)

    return make


def audit_actions(obj: Any) -> list[str]:
    return list(
        AuditEntry.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


# ----------------------------------------------------------------------------- terms


def test_terms_set_creates_then_updates_only_what_is_given(manager: Any, customer: Any, books: Any) -> None:
    term = PaymentTerm.objects.create(company=books, name="Klantspecifiek 45")
    prices = PriceList.objects.create(company=books, name="Wholesale", currency="EUR")

    created = terms.customer_terms_set(
        actor=manager, party_id=customer.pk, credit_limit="5000", payment_term_id=term.pk
    )
    assert (created.credit_limit, created.payment_term_id, created.price_list_id) == (
        Decimal("5000.00"),
        term.pk,
        None,
    )
    assert created.invoicing_policy == ""
    assert created.version == 1

    updated = terms.customer_terms_set(
        actor=manager, party_id=customer.pk, price_list_id=prices.pk, invoicing_policy="order", version=1
    )
    updated.refresh_from_db()
    assert (updated.credit_limit, updated.payment_term_id, updated.price_list_id) == (
        Decimal("5000.00"),
        term.pk,
        prices.pk,
    )
    assert updated.invoicing_policy == "order"
    assert updated.version == 2
    assert audit_actions(updated) == ["sales.terms_create", "sales.terms_update"]
    entry = AuditEntry.objects.filter(action="sales.terms_update").get()
    assert entry.changes == {"price_list": [None, prices.pk], "invoicing_policy": ["", "order"]}
    assert terms.terms_get(books.pk, customer.pk) == updated

    cleared = terms.customer_terms_set(actor=manager, party_id=customer.pk, credit_limit=None)
    assert cleared.credit_limit is None
    assert cleared.version == 3


def test_terms_set_refuses_bad_values_and_changes_nothing(
    manager: Any, customer: Any, books: Any, other_company: Any
) -> None:
    terms.customer_terms_set(actor=manager, party_id=customer.pk, credit_limit="100")
    foreign_term = PaymentTerm.objects.create(company=other_company, name="Theirs")
    foreign_prices = PriceList.objects.create(company=other_company, name="Theirs", currency="GBP")

    with pytest.raises(CustomerTermsInvalidError) as caught:
        terms.customer_terms_set(
            actor=manager,
            party_id=customer.pk,
            credit_limit="-1",
            price_list_id=foreign_prices.pk,
            payment_term_id=foreign_term.pk,
            invoicing_policy="weekly",
        )
    assert set(caught.value.field_errors) == {
        "credit_limit",
        "price_list_id",
        "payment_term_id",
        "invoicing_policy",
    }
    with pytest.raises(CustomerTermsInvalidError):
        terms.customer_terms_set(actor=manager, party_id=customer.pk, credit_limit="1.005")
    with pytest.raises(StaleVersionError):
        terms.customer_terms_set(actor=manager, party_id=customer.pk, credit_limit="5", version=7)

    row = CustomerTerms.objects.get(party=customer)
    assert (row.credit_limit, row.price_list_id, row.payment_term_id, row.invoicing_policy, row.version) == (
        Decimal("100.00"),
        None,
        None,
        "",
        1,
    )
    assert audit_actions(row) == ["sales.terms_create"]


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("anonymous", PermissionDeniedError),
        ("nobody", PermissionDeniedError),
        ("rep", PermissionDeniedError),  # a rep sees the terms but does not set them
        ("outsider", NotFoundError),
        ("manager", None),
        ("accountant", None),
    ],
)
def test_terms_set_permissions(
    who: str, error: Any, request: pytest.FixtureRequest, customer: Any, books: Any
) -> None:
    from django.contrib.auth.models import AnonymousUser

    actor = {
        "anonymous": lambda: AnonymousUser(),
        "nobody": lambda: request.getfixturevalue("nobody"),
        "rep": lambda: request.getfixturevalue("salesperson"),
        "outsider": lambda: request.getfixturevalue("outsider"),
        "manager": lambda: request.getfixturevalue("manager"),
        "accountant": lambda: request.getfixturevalue("accountant"),
    }[who]()
    if error is None:
        assert (
            terms.customer_terms_set(actor=actor, party_id=customer.pk, credit_limit="10").credit_limit == 10
        )
        return
    with pytest.raises(error):
        terms.customer_terms_set(actor=actor, party_id=customer.pk, credit_limit="10")
    assert not CustomerTerms.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="sales.terms").exists()


def test_unknown_party_is_not_found(manager: Any, books: Any) -> None:
    with pytest.raises(NotFoundError):
        terms.customer_terms_set(actor=manager, party_id=999999, credit_limit="1")


# ----------------------------------------------------------------------------- credit check


def test_no_limit_passes_in_one_query(
    manager: Any, make_order: Callable[..., SalesOrder], django_assert_num_queries: Any
) -> None:
    order = make_order("1000000", state="draft")
    with django_assert_num_queries(1):
        assert terms.credit_check(actor=manager, order=order, override=False) is False


def test_exposure_counts_receivables_credit_notes_and_uninvoiced_orders(
    manager: Any,
    customer: Any,
    other_customer: Any,
    make_order: Callable[..., SalesOrder],
    invoice: Callable[..., Invoice],
) -> None:
    # given: invoices of 300 EUR and 250 USD (= 200 EUR at 1.25), a credit note of the 300,
    # a partial one would be odd here — the whole 300 is credited: 200 EUR remains open.
    first = invoice("300")
    invoice("250", currency="USD")
    invoice("0", kind="customer_credit_note", of=first)
    # confirmed orders not invoiced: 100 EUR and 50 USD (= 40 EUR); not counted: a draft,
    # a cancelled and a done order, and another customer's order
    make_order("100")
    make_order("50", currency="USD")
    make_order("999", state="draft")
    make_order("999", state="cancelled")
    make_order("999", state="done")
    make_order("999", party=other_customer)
    assert terms.open_receivables(customer.company_id, customer.pk) == Decimal("200.00")
    assert terms.customer_exposure(customer.company_id, customer.pk) == Decimal("340.00")

    # when the limit is 500, an order of 160 EUR fits exactly (340 + 160 = 500) …
    terms.customer_terms_set(actor=manager, party_id=customer.pk, credit_limit="500")
    fits = make_order("160", state="draft")
    assert terms.credit_check(actor=manager, order=fits, override=False) is False
    # … and one of 200.01 USD (= 160.01 EUR, rounded from 160.008) does not
    over = make_order("200.01", state="sent", currency="USD")
    with pytest.raises(CreditLimitExceededError) as caught:
        terms.credit_check(actor=manager, order=over, override=False)
    assert str(caught.value.message) == (
        "This order takes the customer's exposure to 500.01 EUR, over their credit limit of 500.00 EUR."
    )
    assert caught.value.extra == {"credit_limit": "500.00", "exposure": "500.01", "currency": "EUR"}


def test_the_order_itself_is_counted_once_even_when_already_confirmed(
    manager: Any, customer: Any, make_order: Callable[..., SalesOrder]
) -> None:
    terms.customer_terms_set(actor=manager, party_id=customer.pk, credit_limit="100")
    order = make_order("100", state="confirmed")
    assert terms.credit_check(actor=manager, order=order, override=False) is False


def test_an_invoiced_order_counts_through_its_receivable_only(
    manager: Any,
    customer: Any,
    make_order: Callable[..., SalesOrder],
    invoice: Callable[..., Invoice],
    company: Any,
) -> None:
    from kantoor.catalog.models import Product, ProductCategory, Uom, UomCategory
    from kantoor.sales.models import SalesInvoiceLine, SalesOrderLine

    order = make_order("80")
    units = UomCategory.objects.create(company=company, name="Units")
    pc = Uom.objects.create(company=company, category=units, code="pc", name="Piece", ratio=1, rounding=1)
    category = ProductCategory.objects.create(company=company, name="Goods")
    product = Product.objects.create(
        company=company, sku="W", name="Widget", uom=pc, purchase_uom=pc, category=category
    )
    line = SalesOrderLine.objects.create(
        order=order, product=product, description="Widget", quantity=1, uom=pc, unit_price=80
    )
    bill = invoice("80")
    SalesInvoiceLine.objects.create(order_line=line, invoice=bill, sequence=1)
    assert terms.customer_exposure(customer.company_id, customer.pk) == Decimal("80.00")


def test_override_needs_the_permission_and_is_audited(
    manager: Any, salesperson: Any, customer: Any, make_order: Callable[..., SalesOrder]
) -> None:
    terms.customer_terms_set(actor=manager, party_id=customer.pk, credit_limit="0")
    order = make_order("10.50", state="draft")

    # a rep may not override: refused, nothing written
    with pytest.raises(CreditLimitExceededError):
        terms.credit_check(actor=salesperson, order=order, override=True)
    assert audit_actions(order) == []
    # a manager who does not ask to override is refused too
    with pytest.raises(CreditLimitExceededError):
        terms.credit_check(actor=manager, order=order, override=False)
    assert audit_actions(order) == []

    assert terms.credit_check(actor=manager, order=order, override=True) is True
    entry = AuditEntry.objects.get(action="sales.credit_override")
    assert (entry.actor_id, entry.object_id) == (manager.pk, str(order.pk))
    assert entry.changes == {"credit_limit": "0.00", "exposure": "10.50", "currency": "EUR"}


# ----------------------------------------------------------------------------- with order confirmation


@pytest.fixture
def rep(make_user: Callable[..., Any]) -> Any:
    """A sales rep who also works the warehouse (confirming makes the delivery)."""
    return make_user("sales", "operations", username="sam")


def test_order_confirm_checks_the_credit_limit(
    rep: Any, make_user: Callable[..., Any], customer: Any, quote_make: Callable[..., SalesOrder]
) -> None:
    from kantoor.inventory.models import Transfer
    from kantoor.sales import services

    boss = make_user("sales_manager", "operations", username="bram")
    terms.customer_terms_set(actor=boss, party_id=customer.pk, credit_limit="300")
    order = quote_make(actor=rep)  # 326.70 with VAT
    with pytest.raises(CreditLimitExceededError) as caught:
        services.order_confirm(actor=rep, order_id=order.pk, credit_override=True)
    assert caught.value.extra == {"credit_limit": "300.00", "exposure": "326.70", "currency": "EUR"}
    assert SalesOrder.objects.get(pk=order.pk).state == "draft"
    assert not Transfer.objects.exists()
    assert not AuditEntry.objects.filter(action="sales.credit_override").exists()

    confirmed = services.order_confirm(actor=boss, order_id=order.pk, credit_override=True)
    assert (confirmed.state, confirmed.credit_override_by_id) == ("confirmed", boss.pk)
    assert AuditEntry.objects.get(action="sales.credit_override").changes == {
        "credit_limit": "300.00",
        "exposure": "326.70",
        "currency": "EUR",
    }
    # the confirmed order now counts, uninvoiced, in the exposure
    assert terms.customer_exposure(customer.company_id, customer.pk) == Decimal("326.70")
