"""Payments and open items at /api/v1/: money received or sent and matched with invoices,
an overpayment left open and matched by hand, unreconciled and cancelled. Amounts are
decimal strings both ways and exact to the cent; a refused call changes no row of any
table; sales read only their parties' payments and write none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kantoor.core.tests.api_support import Api, assert_problem
from kantoor.finance import invoicing
from kantoor.finance.models import Invoice, Journal, JournalEntry, Match, OpenItem, Payment, Tax
from kantoor.finance.tests.conftest import YEAR
from kantoor.finance.tests.test_api_invoices import nothing_changed
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiona(api_as: Any, accountant: Any, ledger: Any) -> Api:
    api: Api = api_as(accountant)
    return api


@pytest.fixture
def acme(accountant: Any, ledger: Any) -> Any:
    return party_create(actor=accountant, kind="organisation", name="Acme Retail", roles=["customer"])


@pytest.fixture
def bank(ledger: Any) -> Journal:
    return Journal.objects.get(company=ledger, code="BNK")


@pytest.fixture
def invoice(accountant: Any, acme: Any, ledger: Any) -> Callable[..., Invoice]:
    """invoice(party, quantity=3, post=True, kind=…) — quantity × 33.33 at 21% (3: 120.99)."""

    def make(
        party: Any = None,
        *,
        quantity: str = "3",
        post: bool = True,
        kind: str = "customer_invoice",
        on: dt.date = dt.date(YEAR, 3, 15),
    ) -> Invoice:
        code = "V21" if kind.startswith("customer") else "I21"
        draft = invoicing.invoice_create(
            actor=accountant,
            kind=kind,
            party_id=(party or acme).pk,
            date=on,
            lines=[
                {
                    "description": "Consulting hour",
                    "quantity": quantity,
                    "unit_price": "33.33",
                    "tax_id": Tax.objects.get(company=ledger, code=code).pk,
                }
            ],
        )
        return invoicing.invoice_post(actor=accountant, invoice_id=draft.pk) if post else draft

    return make


def _payment(
    party: Any, bank: Journal, amount: Any, *allocations: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "kind": "inbound",
        "party_id": party.pk,
        "journal_id": bank.pk,
        "date": f"{YEAR}-03-20",
        "amount": amount,
        "reference": "Bank 0042",
        "allocations": list(allocations),
        **extra,
    }


def test_a_payment_pays_an_invoice_in_full(
    fiona: Api, acme: Any, bank: Journal, invoice: Callable[..., Invoice], acct: Any
) -> None:
    paid = invoice()
    response = fiona.post("/payments", _payment(acme, bank, "120.99", {"invoice_id": paid.pk}))
    assert response.status_code == 201, response.content
    body = response.json()
    payment = Payment.objects.get()
    match = Match.objects.get()
    assert body == {
        "id": payment.pk,
        "kind": "inbound",
        "status": "posted",
        "party_id": acme.pk,
        "party_name": "Acme Retail",
        "journal_id": bank.pk,
        "date": f"{YEAR}-03-20",
        "amount": "120.99",
        "currency": "EUR",
        "reference": "Bank 0042",
        "entry_id": payment.entry_id,
        "entry_number": payment.entry.number,
        "reversal_id": None,
        "created_at": body["created_at"],
        "version": 1,
        "matches": [
            {
                "id": match.pk,
                "date": f"{YEAR}-03-20",
                "amount": "120.99",
                "invoice_id": paid.pk,
                "invoice_number": paid.number,
                "entry_id": paid.entry_id,
                "entry_number": JournalEntry.objects.get(invoice=paid).number,
            }
        ],
        "amount_open": "0.00",
    }
    assert fiona.get(f"/payments/{payment.pk}").json() == body
    assert sorted((li.account.code, li.debit, li.credit) for li in payment.entry.lines.all()) == [
        ("1000", Decimal("120.99"), Decimal("0.00")),
        ("1100", Decimal("0.00"), Decimal("120.99")),
    ]
    settled = fiona.get(f"/invoices/{paid.pk}").json()
    assert (settled["payment_state"], settled["amount_residual"]) == ("paid", "0.00")


def test_a_partial_payment_and_an_overpayment_left_open(
    fiona: Api, acme: Any, bank: Journal, invoice: Callable[..., Invoice]
) -> None:
    first, second = invoice(), invoice(quantity="1")  # 120.99 and 40.33
    partial = fiona.post(
        "/payments", _payment(acme, bank, "20.99", {"invoice_id": first.pk, "amount": "20.99"})
    )
    assert partial.status_code == 201, partial.content
    assert partial.json()["amount_open"] == "0.00"
    state = fiona.get(f"/invoices/{first.pk}").json()
    assert (state["payment_state"], state["amount_residual"]) == ("partial", "100.00")

    # 200.00 pays the rest of the first (100.00) and the second (40.33); 59.67 stays open.
    over = fiona.post(
        "/payments", _payment(acme, bank, "200.00", {"invoice_id": first.pk}, {"invoice_id": second.pk})
    ).json()
    assert [(m["invoice_number"], m["amount"]) for m in over["matches"]] == [
        (first.number, "100.00"),
        (second.number, "40.33"),
    ]
    assert over["amount_open"] == "59.67"
    assert [fiona.get(f"/invoices/{i.pk}").json()["payment_state"] for i in (first, second)] == [
        "paid",
        "paid",
    ]

    items = fiona.get("/open-items", {"party_id": acme.pk, "open": "true"}).json()["items"]
    assert [(i["amount"], i["residual"], i["invoice_id"], i["entry_number"]) for i in items] == [
        ("-200.00", "-59.67", None, JournalEntry.objects.get(payment__pk=over["id"]).number)
    ]
    settled = fiona.get("/open-items", {"party_id": acme.pk, "open": "false"}).json()["items"]
    assert sorted(i["amount"] for i in settled) == ["-20.99", "120.99", "40.33"]
    assert fiona.get("/open-items", {"account_role": "payable"}).json()["items"] == []


def test_a_customers_open_credit_refunded_and_a_payment_in_dollars(
    fiona: Api, acme: Any, bank: Journal, invoice: Callable[..., Invoice]
) -> None:
    invoice(quantity="1")  # 40.33, paid with 100.00: 59.67 open credit
    over = fiona.post("/payments", _payment(acme, bank, "100.00", {"invoice_id": Invoice.objects.get().pk}))
    assert over.json()["amount_open"] == "59.67"
    refund = fiona.post("/payments", _payment(acme, bank, "59.67", kind="outbound", counterpart="receivable"))
    assert refund.status_code == 201, refund.content
    assert fiona.get("/open-items", {"party_id": acme.pk, "open": "true"}).json()["items"] == []
    # an unknown counterpart is refused by the schema; without a rate, a currency is refused
    assert fiona.post("/payments", _payment(acme, bank, "1.00", counterpart="stock")).status_code == 422
    no_rate = fiona.post("/payments", _payment(acme, bank, "1.00", currency="USD"))
    assert (no_rate.status_code, [e["field"] for e in no_rate.json()["errors"]]) == (422, ["currency"])


def test_an_open_credit_matched_by_hand(
    fiona: Api, accountant: Any, acme: Any, bank: Journal, invoice: Callable[..., Invoice]
) -> None:
    credit = fiona.post("/payments", _payment(acme, bank, "50.00")).json()
    assert (credit["matches"], credit["amount_open"]) == ([], "50.00")
    due = invoice()
    items = {i["amount"]: i["id"] for i in fiona.get("/open-items", {"open": "true"}).json()["items"]}
    assert set(items) == {"-50.00", "120.99"}

    other = party_create(actor=accountant, kind="organisation", name="Bakery Bos")
    foreign = invoice(other)
    foreign_item = OpenItem.objects.get(entry_id=foreign.entry_id)
    with nothing_changed():
        mixed = fiona.post("/open-items/reconcile", {"item_ids": [items["-50.00"], foreign_item.pk]})
        assert_problem(mixed, 422, "payment-invalid")
        assert_problem(fiona.post("/open-items/reconcile", {"item_ids": [items["-50.00"], 999_999]}), 404)
        assert_problem(
            fiona.post("/open-items/reconcile", {"item_ids": [items["-50.00"]]}), 422, "invalid-input"
        )

    response = fiona.post("/open-items/reconcile", {"item_ids": list(items.values())})
    assert response.status_code == 200, response.content
    assert response.json() == {"amount": "50.00"}
    state = fiona.get(f"/invoices/{due.pk}").json()
    assert (state["payment_state"], state["amount_residual"]) == ("partial", "70.99")
    assert fiona.get(f"/payments/{credit['id']}").json()["amount_open"] == "0.00"


def test_bad_payments_are_refused_naming_the_field_and_write_nothing(
    fiona: Api, acme: Any, bank: Journal, invoice: Callable[..., Invoice], ledger: Any
) -> None:
    due = invoice()
    draft = invoice(post=False)
    bill = invoice(kind="supplier_bill")
    general = Journal.objects.get(company=ledger, code="GEN")
    cases: list[tuple[dict[str, Any], str, list[str]]] = [
        (
            _payment(acme, bank, "200.00", {"invoice_id": due.pk, "amount": "121.00"}),
            "payment-invalid",
            ["allocations[0].amount"],
        ),
        (
            _payment(acme, bank, "120.99", {"invoice_id": draft.pk}),
            "payment-invalid",
            ["allocations[0].invoice_id"],
        ),
        (
            _payment(acme, bank, "120.99", {"invoice_id": bill.pk}),
            "payment-invalid",
            ["allocations[0].invoice_id"],
        ),
        (
            _payment(acme, bank, "120.99", {"invoice_id": 999_999}),
            "payment-invalid",
            ["allocations[0].invoice_id"],
        ),
        (
            _payment(acme, bank, "10.00", {"invoice_id": due.pk, "amount": "20.00"}),
            "payment-invalid",
            ["amount"],
        ),
        (_payment(acme, bank, 120.99), "invalid-input", ["amount"]),
        (
            _payment(acme, bank, "120.99", {"invoice_id": due.pk, "amount": 10}),
            "invalid-input",
            ["allocations.0.amount"],
        ),
        (_payment(acme, bank, "10.001"), "payment-invalid", ["amount"]),
        (_payment(acme, bank, "0"), "payment-invalid", ["amount"]),
        (_payment(acme, bank, "-5.00"), "invalid-input", ["amount"]),
        (_payment(acme, general, "10.00"), "payment-invalid", ["journal_id"]),
        (_payment(acme, bank, "10.00", party_id=999_999), "payment-invalid", ["party_id"]),
        (_payment(acme, bank, "10.00", kind="sideways"), "invalid-input", ["kind"]),
        (_payment(acme, bank, "10.00", date=f"{YEAR + 5}-01-01"), "period-locked", ["date"]),
    ]
    for body, code, named in cases:
        with nothing_changed():
            response = fiona.post("/payments", body)
            problem = assert_problem(response, 409 if code == "period-locked" else 422, code)
        assert sorted({e["field"] for e in problem.get("errors", [])}) == named, (body, problem)


def test_cancel_a_payment_makes_the_invoice_due_again(
    fiona: Api, acme: Any, bank: Journal, invoice: Callable[..., Invoice]
) -> None:
    due = invoice()
    payment = fiona.post("/payments", _payment(acme, bank, "120.99", {"invoice_id": due.pk})).json()
    with nothing_changed():
        assert_problem(fiona.post(f"/payments/{payment['id']}/cancel", {"version": 2}), 409, "stale-version")
    response = fiona.post(f"/payments/{payment['id']}/cancel", {"version": 1, "date": f"{YEAR}-03-25"})
    assert response.status_code == 200, response.content
    cancelled = response.json()
    reversal = JournalEntry.objects.get(pk=cancelled["reversal_id"])
    assert (cancelled["status"], cancelled["version"], reversal.date) == (
        "cancelled",
        2,
        dt.date(YEAR, 3, 25),
    )
    # What remains matched is the payment with its own reversal.
    assert [(m["invoice_id"], m["entry_id"], m["amount"]) for m in cancelled["matches"]] == [
        (None, reversal.pk, "120.99")
    ]
    state = fiona.get(f"/invoices/{due.pk}").json()
    assert (state["payment_state"], state["amount_residual"]) == ("not_paid", "120.99")
    assert [p["status"] for p in fiona.get("/payments", {"status": "cancelled"}).json()["items"]] == [
        "cancelled"
    ]
    with nothing_changed():
        assert_problem(fiona.post(f"/payments/{payment['id']}/cancel", {"version": 2}), 409, "payment-state")
        assert_problem(fiona.post("/payments/999999/cancel", {"version": 1}), 404, "not-found")


def test_unreconcile_a_payment_leaves_it_open(
    fiona: Api, acme: Any, bank: Journal, invoice: Callable[..., Invoice]
) -> None:
    due = invoice()
    payment = fiona.post("/payments", _payment(acme, bank, "120.99", {"invoice_id": due.pk})).json()
    assert fiona.post(f"/payments/{payment['id']}/unreconcile").json() == {"matches_removed": 1}
    again = fiona.get(f"/payments/{payment['id']}").json()
    assert (again["status"], again["matches"], again["amount_open"]) == ("posted", [], "120.99")
    assert fiona.get(f"/invoices/{due.pk}").json()["payment_state"] == "not_paid"
    assert fiona.post(f"/payments/{payment['id']}/unreconcile").json() == {"matches_removed": 0}


def test_a_supplier_bill_paid_by_an_outbound_payment(
    fiona: Api, accountant: Any, bank: Journal, invoice: Callable[..., Invoice]
) -> None:
    supplier = party_create(actor=accountant, kind="organisation", name="Paper Mill", roles=["supplier"])
    bill = invoice(supplier, kind="supplier_bill")
    body = _payment(supplier, bank, "120.99", {"invoice_id": bill.pk}, kind="outbound")
    payment = fiona.post("/payments", body).json()
    assert [(m["invoice_number"], m["amount"]) for m in payment["matches"]] == [(bill.number, "120.99")]
    assert fiona.get(f"/invoices/{bill.pk}").json()["payment_state"] == "paid"
    items = fiona.get("/open-items", {"account_role": "payable"}).json()["items"]
    assert sorted((i["amount"], i["residual"]) for i in items) == [("-120.99", "0.00"), ("120.99", "0.00")]


def test_list_payments_newest_first_with_filters(
    fiona: Api, accountant: Any, acme: Any, bank: Journal
) -> None:
    other = party_create(actor=accountant, kind="organisation", name="Bakery Bos")
    march = fiona.post("/payments", _payment(acme, bank, "10.00")).json()
    april = fiona.post("/payments", _payment(other, bank, "20.00", date=f"{YEAR}-04-01")).json()
    sent = fiona.post("/payments", _payment(acme, bank, "5.00", kind="outbound", date=f"{YEAR}-02-01")).json()

    def ids(**params: Any) -> list[int]:
        response = fiona.get("/payments", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]]

    assert ids() == [april["id"], march["id"], sent["id"]]
    assert ids(kind="outbound") == [sent["id"]]
    assert ids(party_id=acme.pk) == [march["id"], sent["id"]]
    assert ids(date_from=f"{YEAR}-03-01", date_to=f"{YEAR}-03-31") == [march["id"]]
    first = fiona.get("/payments", {"limit": 2}).json()
    assert [
        row["id"] for row in fiona.get("/payments", {"cursor": first["next_cursor"]}).json()["items"]
    ] == [sent["id"]]
    assert "matches" not in first["items"][0]


# ----------------------------------------------------------------------------- permissions


def test_sales_read_only_their_parties_payments_and_write_none(
    api_as: Any,
    fiona: Api,
    accountant: Any,
    make_user: Any,
    acme: Any,
    bank: Journal,
    invoice: Callable[..., Invoice],
) -> None:
    sally = make_user("sales", scope="own", username="sally")
    hers = party_create(actor=accountant, kind="organisation", name="Sally's Shop", owner=sally.pk)
    her_invoice = invoice(hers)
    her_payment = fiona.post(
        "/payments", _payment(hers, bank, "100.00", {"invoice_id": her_invoice.pk})
    ).json()
    other = fiona.post("/payments", _payment(acme, bank, "10.00")).json()
    api = api_as(sally)

    assert [p["id"] for p in api.get("/payments").json()["items"]] == [her_payment["id"]]
    assert (
        api.get(f"/payments/{her_payment['id']}").json()["matches"][0]["invoice_number"] == her_invoice.number
    )
    assert_problem(api.get(f"/payments/{other['id']}"), 404, "not-found")
    assert {i["party_id"] for i in api.get("/open-items").json()["items"]} == {hers.pk}

    item_ids = list(OpenItem.objects.filter(party=hers).values_list("pk", flat=True))
    with nothing_changed():
        assert_problem(api.post("/payments", _payment(hers, bank, "1.00")), 403, "permission-denied")
        assert_problem(
            api.post(f"/payments/{her_payment['id']}/cancel", {"version": 1}), 403, "permission-denied"
        )
        assert_problem(api.post(f"/payments/{other['id']}/cancel", {"version": 1}), 404, "not-found")
        assert_problem(api.post(f"/payments/{her_payment['id']}/unreconcile"), 403, "permission-denied")
        assert_problem(api.post("/open-items/reconcile", {"item_ids": item_ids}), 403, "permission-denied")


@pytest.mark.parametrize(
    ("who", "reads", "writes"),
    [
        ("finance", 200, 201),
        ("management", 200, 403),
        ("service", 200, 403),
        ("nobody", 404, 403),
        ("outsider", 404, 422),
    ],
)
def test_permission_matrix(
    api_as: Any,
    fiona: Api,
    make_user: Any,
    nobody: Any,
    outsider: Any,
    acme: Any,
    bank: Journal,
    who: str,
    reads: int,
    writes: int,
) -> None:
    payment = fiona.post("/payments", _payment(acme, bank, "10.00")).json()
    user = {"nobody": nobody, "outsider": outsider}.get(who) or make_user(who)
    api = api_as(user)
    assert api.get(f"/payments/{payment['id']}").status_code == reads
    assert len(api.get("/open-items").json()["items"]) == (1 if reads == 200 else 0)
    assert api.post("/payments", _payment(acme, bank, "1.00")).status_code == writes


def test_anonymous_is_asked_to_sign_in(anonymous_api: Api) -> None:
    assert_problem(anonymous_api.get("/payments"), 401, "not-authenticated")
    assert_problem(anonymous_api.get("/open-items"), 401, "not-authenticated")
    assert_problem(
        anonymous_api.post("/open-items/reconcile", {"item_ids": [1, 2]}), 401, "not-authenticated"
    )


def test_the_payments_and_open_items_lists_cost_the_same_for_1_or_5(
    fiona: Api, acme: Any, bank: Journal, invoice: Callable[..., Invoice]
) -> None:
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = fiona.get(path, {"limit": 200})
        assert response.status_code == 200
        return len(captured)

    fiona.post("/payments", _payment(acme, bank, "10.00", {"invoice_id": invoice().pk}))
    few = (queries("/payments"), queries("/open-items"))
    for _ in range(4):
        fiona.post("/payments", _payment(acme, bank, "10.00", {"invoice_id": invoice().pk}))
    assert len(fiona.get("/open-items", {"limit": 200}).json()["items"]) == 10
    assert (queries("/payments"), queries("/open-items")) == few


def test_a_retried_registration_with_its_idempotency_key_pays_once(
    fiona: Api, acme: Any, bank: Journal, invoice: Callable[..., Invoice]
) -> None:
    due = invoice()
    body = _payment(acme, bank, "120.99", {"invoice_id": due.pk})
    first = fiona.post("/payments", body, key="pay-acme-0042")
    again = fiona.post("/payments", body, key="pay-acme-0042")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert (Payment.objects.count(), Match.objects.count()) == (1, 1)
