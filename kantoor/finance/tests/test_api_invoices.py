"""Invoices at /api/v1/: taxes and payment terms, drafts created, changed and deleted, posted,
credited, sent and unreconciled. Amounts are decimal strings both ways and exact to the cent;
a refused call changes no row of any table; sales read only their parties' invoices and
write none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kantoor.core.models import OutboxEvent
from kantoor.core.services import exchange_rate_set, team_create
from kantoor.core.tests.api_support import Api, assert_problem, nothing_written
from kantoor.finance import invoicing, payments, services
from kantoor.finance.models import (
    Invoice,
    InvoiceLine,
    Journal,
    JournalEntry,
    JournalLine,
    Match,
    OpenItem,
    Payment,
    PaymentTerm,
    Tax,
)
from kantoor.finance.tests.conftest import YEAR
from kantoor.parties.services import party_create

pytestmark = pytest.mark.django_db

FINANCE_MODELS = (Invoice, InvoiceLine, JournalEntry, JournalLine, OpenItem, Match, Payment)


def _finance_rows() -> list[Any]:
    return [list(model.objects.order_by("pk").values()) for model in FINANCE_MODELS]


@contextmanager
def nothing_changed() -> Iterator[None]:
    """No row of core, parties or finance changed (outbox and audit included)."""
    before = _finance_rows()
    with nothing_written():
        yield
    assert _finance_rows() == before


def _delete(api: Api, path: str) -> Any:
    return api.client.delete(f"/api/v1{path}", headers=api._headers(None, None))


@pytest.fixture
def fiona(api_as: Any, accountant: Any, ledger: Any) -> Api:
    api: Api = api_as(accountant)
    return api


@pytest.fixture
def tax(ledger: Any) -> Callable[[str], Tax]:
    return lambda code: Tax.objects.get(company=ledger, code=code)


@pytest.fixture
def term(ledger: Any) -> Callable[[str], PaymentTerm]:
    return lambda name: PaymentTerm.objects.get(company=ledger, name=name)


@pytest.fixture
def acme(accountant: Any, ledger: Any) -> Any:
    return party_create(
        actor=accountant,
        kind="organisation",
        name="Acme Retail",
        roles=["customer"],
        contact_points=[{"kind": "email", "value": "billing@acme.example", "is_primary": True}],
    )


def _body(party: Any, tax: Callable[[str], Tax], **extra: Any) -> dict[str, Any]:
    """3 × 33.33 at 21%: 99.99 + 21.00 = 120.99."""
    return {
        "kind": "customer_invoice",
        "party_id": party.pk,
        "date": f"{YEAR}-03-15",
        "reference": "PO-17",
        "lines": [
            {
                "description": "Consulting hour",
                "quantity": "3",
                "unit_price": "33.33",
                "tax_id": tax("V21").pk,
            }
        ],
        **extra,
    }


@pytest.fixture
def posted_invoice(accountant: Any, acme: Any, tax: Callable[[str], Tax]) -> Callable[..., Invoice]:
    """posted_invoice(party, on=date, due_date=…) — 3 × 33.33 at 21% (120.99), posted."""

    def make(party: Any = None, *, on: dt.date = dt.date(YEAR, 3, 15), **extra: Any) -> Invoice:
        draft = invoicing.invoice_create(
            actor=accountant,
            kind="customer_invoice",
            party_id=(party or acme).pk,
            date=on,
            lines=[
                {
                    "description": "Consulting hour",
                    "quantity": "3",
                    "unit_price": "33.33",
                    "tax_id": tax("V21").pk,
                }
            ],
            **extra,
        )
        return invoicing.invoice_post(actor=accountant, invoice_id=draft.pk)

    return make


# ----------------------------------------------------------------------------- taxes and terms


def test_taxes_by_scope_and_code(fiona: Api, tax: Callable[[str], Tax], acct: Any) -> None:
    sales = fiona.get("/taxes", {"scope": "sale"}).json()["items"]
    assert [t["code"] for t in sales] == ["V0", "V21", "V9", "VEUD", "VEUG", "VEXP", "VVERL", "VVRIJ"]
    v21 = next(t for t in sales if t["code"] == "V21")
    assert v21 == {
        "id": tax("V21").pk,
        "code": "V21",
        "name": "VAT 21%",
        "scope": "sale",
        "treatment": "standard",
        "rate": "21",
        "account_id": acct("2100").pk,
        "reverse_account_id": None,
        "base_tag": "1a-base",
        "tax_tag": "1a-tax",
        "reverse_tag": "",
        "is_active": True,
    }
    first = fiona.get("/taxes", {"limit": 2}).json()
    second = fiona.get("/taxes", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [t["code"] for t in first["items"] + second["items"]] == ["I0", "I21", "I9", "IEUD"]
    assert fiona.get("/taxes", {"active": "false"}).json()["items"] == []


def test_payment_terms_with_instalments(fiona: Api, term: Callable[[str], PaymentTerm]) -> None:
    terms = fiona.get("/payment-terms").json()["items"]
    assert [t["name"] for t in terms] == [
        "14 days",
        "30 days",
        "30 days end of month",
        "50% now, 50% in 30 days",
        "Immediate",
    ]
    assert terms[3] == {
        "id": term("50% now, 50% in 30 days").pk,
        "name": "50% now, 50% in 30 days",
        "is_active": True,
        "instalments": [
            {"sequence": 1, "percent": "50", "days": 0, "end_of_month": False},
            {"sequence": 2, "percent": "50", "days": 30, "end_of_month": False},
        ],
    }


def test_taxes_and_terms_read_by_invoice_or_ledger_readers_only(
    api_as: Any, ledger: Any, make_user: Any, nobody: Any
) -> None:
    for user in (make_user("sales", scope="own"), make_user("management")):
        api = api_as(user)
        assert len(api.get("/taxes").json()["items"]) == 15
        assert len(api.get("/payment-terms").json()["items"]) == 5
    stranger = api_as(nobody)
    assert stranger.get("/taxes").json()["items"] == []
    assert stranger.get("/payment-terms").json()["items"] == []


# ----------------------------------------------------------------------------- drafts


def test_create_a_draft_with_exact_totals(
    fiona: Api, acme: Any, tax: Callable[[str], Tax], term: Callable[[str], PaymentTerm], acct: Any
) -> None:
    response = fiona.post("/invoices", _body(acme, tax, payment_term_id=term("30 days").pk))
    assert response.status_code == 201, response.content
    body = response.json()
    invoice = Invoice.objects.get()
    line = invoice.lines.get()
    assert body == {
        "id": invoice.pk,
        "kind": "customer_invoice",
        "number": "",
        "state": "draft",
        "payment_state": "not_paid",
        "party_id": acme.pk,
        "party_name": "Acme Retail",
        "date": f"{YEAR}-03-15",
        "due_date": f"{YEAR}-04-14",
        "currency": "EUR",
        "amount_untaxed": "99.99",
        "amount_tax": "21.00",
        "amount_total": "120.99",
        "amount_residual": "120.99",
        "reference": "PO-17",
        "credit_note_of_id": None,
        "entry_id": None,
        "posted_at": None,
        "sent_at": None,
        "created_at": body["created_at"],
        "version": 1,
        "journal_id": invoice.journal_id,
        "payment_term_id": term("30 days").pk,
        "rate": "1",
        "narration": "",
        "entry_number": "",
        "posted_by_id": None,
        "lines": [
            {
                "id": line.pk,
                "sequence": 1,
                "product_code": "",
                "description": "Consulting hour",
                "quantity": "3",
                "unit_price": "33.33",
                "discount": "0",
                "account_id": acct("4000").pk,
                "tax_id": tax("V21").pk,
                "amount_untaxed": "99.99",
                "amount_tax": "21.00",
            }
        ],
    }
    assert (invoice.amount_total, line.amount_untaxed) == (Decimal("120.99"), Decimal("99.99"))
    assert fiona.get(f"/invoices/{invoice.pk}").json() == body


def test_change_a_draft_with_its_version(fiona: Api, acme: Any, tax: Callable[[str], Tax]) -> None:
    invoice = fiona.post("/invoices", _body(acme, tax)).json()
    changed = fiona.patch(
        f"/invoices/{invoice['id']}",
        {
            "version": 1,
            "reference": "PO-18",
            "lines": [
                {
                    "description": "Tulips",
                    "quantity": "10",
                    "unit_price": "1.25",
                    "discount": "10",
                    "tax_id": tax("V9").pk,
                },
                {"description": "Vase", "unit_price": "19.95", "tax_id": tax("V21").pk},
            ],
        },
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    # 10 × 1.25 − 10% = 11.25 (VAT 9%: 1.01); 19.95 (VAT 21%: 4.19) → 31.20 + 5.20 = 36.40
    assert (body["version"], body["reference"]) == (2, "PO-18")
    assert (body["amount_untaxed"], body["amount_tax"], body["amount_total"]) == ("31.20", "5.20", "36.40")
    assert [(li["amount_untaxed"], li["amount_tax"]) for li in body["lines"]] == [
        ("11.25", "1.01"),
        ("19.95", "4.19"),
    ]
    assert InvoiceLine.objects.count() == 2

    with nothing_changed():
        stale = fiona.patch(f"/invoices/{invoice['id']}", {"version": 1, "reference": "late"})
        assert_problem(stale, 409, "stale-version")
        assert_problem(_delete(fiona, f"/invoices/{invoice['id']}?version=1"), 409, "stale-version")
        assert_problem(_delete(fiona, f"/invoices/{invoice['id']}"), 422, "invalid-input")

    assert _delete(fiona, f"/invoices/{invoice['id']}?version=2").status_code == 204
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == (0, 0)
    assert_problem(fiona.get(f"/invoices/{invoice['id']}"), 404, "not-found")


def test_post_books_the_entry_and_numbers_the_invoice(
    fiona: Api, acme: Any, tax: Callable[[str], Tax], acct: Any
) -> None:
    invoice = fiona.post("/invoices", _body(acme, tax)).json()
    with nothing_changed():
        assert_problem(fiona.post(f"/invoices/{invoice['id']}/post", {"version": 2}), 409, "stale-version")
    posted = fiona.post(f"/invoices/{invoice['id']}/post", {"version": 1})
    assert posted.status_code == 200, posted.content
    body = posted.json()
    entry = JournalEntry.objects.get()
    assert body["number"].startswith("INV")
    assert body["number"].endswith("0001")
    assert (body["state"], body["payment_state"], body["version"]) == ("posted", "not_paid", 2)
    assert (body["entry_id"], body["entry_number"]) == (entry.pk, entry.number)
    assert (body["amount_total"], body["amount_residual"], body["due_date"]) == (
        "120.99",
        "120.99",
        f"{YEAR}-03-15",
    )
    lines = {(li.account.code, li.debit, li.credit, li.party_id) for li in entry.lines.all()}
    assert lines == {
        ("1100", Decimal("120.99"), Decimal("0.00"), acme.pk),
        ("4000", Decimal("0.00"), Decimal("99.99"), None),
        ("2100", Decimal("0.00"), Decimal("21.00"), None),
    }
    assert OpenItem.objects.get().residual == Decimal("120.99")
    assert fiona.get(f"/invoices/{invoice['id']}").json() == body

    with nothing_changed():
        refused = fiona.patch(f"/invoices/{invoice['id']}", {"version": 2, "reference": "no"})
        assert_problem(refused, 409, "invoice-state")
        assert_problem(_delete(fiona, f"/invoices/{invoice['id']}?version=2"), 409, "invoice-state")
        assert_problem(fiona.post(f"/invoices/{invoice['id']}/post", {"version": 2}), 409, "invoice-state")


# ----------------------------------------------------------------------------- refusals


def _bad_inputs(
    acme: Any, tax: Callable[[str], Tax], acct: Any
) -> list[tuple[dict[str, Any], str, list[str]]]:
    line = {"description": "Consulting hour", "quantity": "3", "unit_price": "33.33"}
    return [
        # (body changes, problem code, fields named)
        ({"lines": [{**line, "unit_price": "-33.33"}]}, "invoice-invalid", ["lines"]),
        ({"lines": [{**line, "tax_id": 999_999}]}, "invoice-invalid", ["lines[0].tax_id"]),
        ({"lines": [{**line, "account_id": 999_999}]}, "invoice-invalid", ["lines[0].account_id"]),
        ({"lines": [{**line, "tax_id": tax("I21").pk}]}, "invoice-invalid", ["lines[0].tax_id"]),
        ({"currency": "USD"}, "invoice-invalid", ["currency"]),
        ({"currency": "XYZ"}, "invoice-invalid", ["currency"]),
        ({"party_id": 999_999}, "invoice-invalid", ["party_id"]),
        ({"lines": []}, "invoice-invalid", ["lines"]),
        ({"lines": [{**line, "unit_price": 33.33}]}, "invalid-input", ["lines.0.unit_price"]),
        ({"lines": [{**line, "quantity": 3}]}, "invalid-input", ["lines.0.quantity"]),
        ({"lines": [{**line, "unit_price": "33.3333333"}]}, "invalid-input", ["lines.0.unit_price"]),
        ({"lines": [{**line, "discount": "101"}]}, "invoice-invalid", ["lines[0].discount"]),
        ({"lines": [{**line, "colour": "red"}]}, "invalid-input", ["lines.0.colour"]),
        ({"kind": "quote"}, "invalid-input", ["kind"]),
        (
            {"date": "9999-12-31", "payment_term_id": PaymentTerm.objects.get(name="30 days").pk},
            "invoice-invalid",
            ["date"],
        ),
        ({"due_date": f"{YEAR}-03-01"}, "invoice-invalid", ["due_date"]),
        # Two lines that cancel out but do not fit the ledger's amounts.
        (
            {
                "lines": [
                    {**line, "quantity": "1000000", "unit_price": "999999999"},
                    {**line, "quantity": "-1000000", "unit_price": "999999999"},
                ]
            },
            "invoice-invalid",
            ["lines[0].unit_price", "lines[1].unit_price"],
        ),
    ]


def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    fiona: Api, acme: Any, tax: Callable[[str], Tax], acct: Any
) -> None:
    for changes, code, named in _bad_inputs(acme, tax, acct):
        with nothing_changed():
            problem = assert_problem(fiona.post("/invoices", _body(acme, tax, **changes)), 422, code)
        fields = sorted({error["field"] for error in problem.get("errors", [])})
        assert fields == named, (changes, problem)


def test_a_negative_total_is_refused_saying_so(fiona: Api, acme: Any, tax: Callable[[str], Tax]) -> None:
    body = _body(acme, tax, lines=[{"description": "Refund", "unit_price": "-10.00"}])
    with nothing_changed():
        problem = assert_problem(fiona.post("/invoices", body), 422, "invoice-invalid")
    assert "negative" in problem["detail"]
    assert problem["errors"] == [{"field": "lines", "message": "The total cannot be negative."}]


def test_a_zero_total_draft_cannot_be_posted(fiona: Api, acme: Any, tax: Callable[[str], Tax]) -> None:
    draft = fiona.post("/invoices", _body(acme, tax, lines=[{"description": "Free sample"}])).json()
    assert draft["amount_total"] == "0.00"
    with nothing_changed():
        assert_problem(fiona.post(f"/invoices/{draft['id']}/post", {"version": 1}), 422, "invoice-invalid")


def test_a_foreign_currency_invoice_at_the_rate_of_its_date(
    fiona: Api, admin_user: Any, acme: Any, tax: Callable[[str], Tax]
) -> None:
    exchange_rate_set(actor=admin_user, currency="USD", valid_from=dt.date(YEAR, 3, 1), rate=Decimal("1.1"))
    with nothing_changed():
        early = fiona.post("/invoices", _body(acme, tax, currency="USD", date=f"{YEAR}-02-28"))
        assert [e["field"] for e in assert_problem(early, 422, "invoice-invalid")["errors"]] == ["currency"]
    invoice = fiona.post("/invoices", _body(acme, tax, currency="usd")).json()
    assert (invoice["currency"], invoice["rate"], invoice["amount_total"]) == ("USD", "1.1", "120.99")
    posted = fiona.post(f"/invoices/{invoice['id']}/post", {"version": 1}).json()
    entry = JournalEntry.objects.get(pk=posted["entry_id"])
    # 120.99 / 1.1 = 109.99 receivable; 99.99 / 1.1 = 90.90 revenue; 21.00 / 1.1 = 19.09 VAT
    assert sorted((li.account.code, li.debit, li.credit) for li in entry.lines.all()) == [
        ("1100", Decimal("109.99"), Decimal("0.00")),
        ("2100", Decimal("0.00"), Decimal("19.09")),
        ("4000", Decimal("0.00"), Decimal("90.90")),
    ]


# ----------------------------------------------------------------------------- lists


def test_list_newest_first_with_filters(
    fiona: Api, accountant: Any, acme: Any, posted_invoice: Callable[..., Invoice], tax: Callable[[str], Tax]
) -> None:
    other = party_create(actor=accountant, kind="organisation", name="Bakery Bos")
    overdue = posted_invoice(on=dt.date(YEAR, 1, 10))
    not_yet_due = posted_invoice(other, on=dt.date(YEAR, 2, 10), due_date=dt.date(2099, 12, 31))
    draft = fiona.post("/invoices", _body(acme, tax, date=f"{YEAR}-01-20")).json()

    def ids(**params: Any) -> list[int]:
        response = fiona.get("/invoices", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]]

    assert ids() == [not_yet_due.pk, draft["id"], overdue.pk]
    assert ids(state="draft") == [draft["id"]]
    assert ids(state="posted", party_id=acme.pk) == [overdue.pk]
    assert ids(overdue="true") == [overdue.pk]
    assert ids(overdue="false") == [not_yet_due.pk, draft["id"]]
    assert ids(date_from=f"{YEAR}-01-15", date_to=f"{YEAR}-01-31") == [draft["id"]]
    assert ids(payment_state="paid") == []
    assert ids(kind="supplier_bill") == []
    first = fiona.get("/invoices", {"limit": 2, "with_count": "true"}).json()
    assert (len(first["items"]), first["count"]) == (2, 3)
    second = fiona.get("/invoices", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [row["id"] for row in second["items"]] == [overdue.pk]
    assert second["next_cursor"] is None
    assert_problem(fiona.get("/invoices", {"kind": "quote"}), 422, "invalid-input")
    assert_problem(fiona.get("/invoices", {"cursor": "nonsense"}), 422, "invalid-input")
    listed = fiona.get("/invoices", {"limit": 1}).json()["items"][0]
    assert "lines" not in listed
    assert listed["party_name"] == "Bakery Bos"


# ----------------------------------------------------------------------------- credit notes


def test_a_full_credit_note_settles_the_invoice(fiona: Api, posted_invoice: Callable[..., Invoice]) -> None:
    invoice = posted_invoice()
    response = fiona.post(
        f"/invoices/{invoice.pk}/credit-note", {"date": f"{YEAR}-03-20", "reason": "Returned"}
    )
    assert response.status_code == 201, response.content
    note = response.json()
    assert (note["kind"], note["state"], note["credit_note_of_id"]) == (
        "customer_credit_note",
        "draft",
        invoice.pk,
    )
    assert (note["amount_untaxed"], note["amount_tax"], note["amount_total"]) == ("99.99", "21.00", "120.99")
    assert (note["narration"], note["reference"]) == ("Returned", invoice.number)

    posted = fiona.post(f"/invoices/{note['id']}/post", {"version": 1}).json()
    assert posted["number"].startswith("CN")
    assert (posted["payment_state"], posted["amount_residual"]) == ("paid", "0.00")
    credited = fiona.get(f"/invoices/{invoice.pk}").json()
    assert (credited["payment_state"], credited["amount_residual"]) == ("paid", "0.00")

    # Undoing the match makes both due again.
    assert fiona.post(f"/invoices/{invoice.pk}/unreconcile").json() == {"matches_removed": 1}
    reopened = fiona.get(f"/invoices/{invoice.pk}").json()
    assert (reopened["payment_state"], reopened["amount_residual"]) == ("not_paid", "120.99")
    assert fiona.get(f"/invoices/{note['id']}").json()["amount_residual"] == "120.99"
    assert Match.objects.count() == 0


def test_a_partial_credit_note(fiona: Api, posted_invoice: Callable[..., Invoice]) -> None:
    invoice = posted_invoice()
    line = invoice.lines.get()
    note = fiona.post(
        f"/invoices/{invoice.pk}/credit-note",
        {"date": f"{YEAR}-03-20", "lines": [{"line_id": line.pk, "quantity": "1"}]},
    ).json()
    # 1 × 33.33 at 21%: 33.33 + 7.00 = 40.33
    assert (note["amount_untaxed"], note["amount_tax"], note["amount_total"]) == ("33.33", "7.00", "40.33")
    fiona.post(f"/invoices/{note['id']}/post", {"version": 1})
    credited = fiona.get(f"/invoices/{invoice.pk}").json()
    assert (credited["payment_state"], credited["amount_residual"]) == ("partial", "80.66")


def test_credit_note_refusals_write_nothing(
    fiona: Api, acme: Any, tax: Callable[[str], Tax], posted_invoice: Callable[..., Invoice]
) -> None:
    invoice = posted_invoice()
    line = invoice.lines.get()
    draft = fiona.post("/invoices", _body(acme, tax)).json()
    with nothing_changed():
        assert_problem(fiona.post(f"/invoices/{draft['id']}/credit-note", {}), 409, "invoice-state")
        too_many = fiona.post(
            f"/invoices/{invoice.pk}/credit-note", {"lines": [{"line_id": line.pk, "quantity": "4"}]}
        )
        assert [e["field"] for e in assert_problem(too_many, 422, "invoice-invalid")["errors"]] == [
            "lines[0].quantity"
        ]
        unknown = fiona.post(f"/invoices/{invoice.pk}/credit-note", {"lines": [{"line_id": 999_999}]})
        assert [e["field"] for e in assert_problem(unknown, 422, "invoice-invalid")["errors"]] == [
            "lines[0].line_id"
        ]
        assert_problem(fiona.post("/invoices/999999/credit-note", {}), 404, "not-found")


# ----------------------------------------------------------------------------- sending


def test_send_a_posted_invoice(
    fiona: Api, acme: Any, tax: Callable[[str], Tax], posted_invoice: Callable[..., Invoice]
) -> None:
    invoice = posted_invoice()
    response = fiona.post(f"/invoices/{invoice.pk}/send", {"to": ["ap@acme.example"]})
    assert response.status_code == 202, response.content
    assert response.json()["number"] == invoice.number
    event = OutboxEvent.objects.filter(name__icontains="InvoiceSendRequested").order_by("pk").last()
    assert event is not None
    assert event.payload["to"] == ["ap@acme.example"]
    # Without `to`: the party's e-mail address.
    assert fiona.post(f"/invoices/{invoice.pk}/send", {}).status_code == 202

    draft = fiona.post("/invoices", _body(acme, tax)).json()
    with nothing_changed():
        assert_problem(fiona.post(f"/invoices/{draft['id']}/send", {}), 409, "invoice-state")
        bad = fiona.post(f"/invoices/{invoice.pk}/send", {"to": ["not an address"]})
        assert [e["field"] for e in assert_problem(bad, 422, "invoice-invalid")["errors"]] == ["to"]


# ----------------------------------------------------------------------------- permissions


@pytest.fixture
def sally(make_user: Any) -> Any:
    return make_user("sales", scope="own", username="sally")


def test_sales_read_only_their_parties_invoices(
    api_as: Any,
    fiona: Api,
    accountant: Any,
    sally: Any,
    acme: Any,
    tax: Callable[[str], Tax],
    posted_invoice: Callable[..., Invoice],
) -> None:
    hers = party_create(actor=accountant, kind="organisation", name="Sally's Shop", owner=sally.pk)
    her_invoice = posted_invoice(hers)
    other_invoice = posted_invoice()
    her_draft = fiona.post("/invoices", _body(hers, tax)).json()
    api = api_as(sally)

    assert [row["id"] for row in api.get("/invoices").json()["items"]] == [her_draft["id"], her_invoice.pk]
    assert api.get(f"/invoices/{her_invoice.pk}").json()["number"] == her_invoice.number
    assert_problem(api.get(f"/invoices/{other_invoice.pk}"), 404, "not-found")

    with nothing_changed():
        assert_problem(api.post("/invoices", _body(hers, tax)), 403, "permission-denied")
        assert_problem(
            api.post(f"/invoices/{her_draft['id']}/post", {"version": 1}), 403, "permission-denied"
        )
        assert_problem(api.post(f"/invoices/{other_invoice.pk}/credit-note", {}), 404, "not-found")
        assert_problem(api.post(f"/invoices/{her_invoice.pk}/credit-note", {}), 403, "permission-denied")
        assert_problem(
            api.patch(f"/invoices/{her_draft['id']}", {"version": 1, "reference": "x"}),
            403,
            "permission-denied",
        )
        assert_problem(_delete(api, f"/invoices/{her_draft['id']}?version=1"), 403, "permission-denied")
        assert_problem(api.post(f"/invoices/{her_invoice.pk}/send", {}), 403, "permission-denied")
        assert_problem(api.post(f"/invoices/{her_invoice.pk}/unreconcile"), 403, "permission-denied")


def test_sales_in_team_scope_read_their_teams_parties_invoices(
    api_as: Any, admin_user: Any, make_user: Any, accountant: Any, posted_invoice: Callable[..., Invoice]
) -> None:
    team = team_create(actor=admin_user, name="North")
    colleague = make_user("sales", scope="own", team=team)
    teammate = make_user("sales", scope="team", team=team)
    north = party_create(actor=accountant, kind="organisation", name="North Shop", owner=colleague.pk)
    theirs, other = posted_invoice(north), posted_invoice()
    api = api_as(teammate)
    assert [row["id"] for row in api.get("/invoices").json()["items"]] == [theirs.pk]
    assert api.get(f"/invoices/{theirs.pk}").status_code == 200
    assert_problem(api.get(f"/invoices/{other.pk}"), 404, "not-found")


@pytest.mark.parametrize(
    ("who", "reads", "writes"),
    [
        ("finance", 200, 201),
        ("management", 200, 403),
        ("sales", 200, 403),
        ("service", 200, 403),
        ("nobody", 404, 403),
        ("outsider", 404, 404),
    ],
)
def test_permission_matrix(
    api_as: Any,
    make_user: Any,
    outsider: Any,
    nobody: Any,
    acme: Any,
    tax: Callable[[str], Tax],
    posted_invoice: Callable[..., Invoice],
    who: str,
    reads: int,
    writes: int,
) -> None:
    invoice = posted_invoice()
    user = {"nobody": nobody, "outsider": outsider}.get(who) or make_user(who)
    api = api_as(user)
    assert api.get(f"/invoices/{invoice.pk}").status_code == reads
    assert api.post("/invoices", _body(acme, tax)).status_code == writes


def test_anonymous_is_asked_to_sign_in(anonymous_api: Api, posted_invoice: Callable[..., Invoice]) -> None:
    invoice = posted_invoice()
    assert_problem(anonymous_api.get(f"/invoices/{invoice.pk}"), 401, "not-authenticated")
    assert_problem(anonymous_api.get("/taxes"), 401, "not-authenticated")
    assert_problem(
        anonymous_api.post(f"/invoices/{invoice.pk}/post", {"version": 1}), 401, "not-authenticated"
    )


def test_unreconcile_after_a_payment(
    fiona: Api, accountant: Any, acme: Any, posted_invoice: Callable[..., Invoice]
) -> None:
    invoice = posted_invoice()
    bank = Journal.objects.get(company=accountant.company, code="BNK")
    payments.payment_register(
        actor=accountant,
        kind="inbound",
        party_id=acme.pk,
        journal_id=bank.pk,
        date=dt.date(YEAR, 3, 20),
        amount="120.99",
        allocations=[{"invoice_id": invoice.pk}],
    )
    assert fiona.get(f"/invoices/{invoice.pk}").json()["payment_state"] == "paid"
    assert fiona.get("/invoices", {"payment_state": "paid"}).json()["items"][0]["id"] == invoice.pk
    assert fiona.post(f"/invoices/{invoice.pk}/unreconcile").json() == {"matches_removed": 1}
    reopened = fiona.get(f"/invoices/{invoice.pk}").json()
    assert (reopened["payment_state"], reopened["amount_residual"]) == ("not_paid", "120.99")
    assert_problem(fiona.post("/invoices/999999/unreconcile"), 404, "not-found")


def test_the_invoices_list_costs_the_same_for_2_or_8_invoices(
    fiona: Api, posted_invoice: Callable[..., Invoice], acme: Any, tax: Callable[[str], Tax]
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = fiona.get("/invoices", {"limit": 200})
        assert response.status_code == 200
        return len(captured)

    posted_invoice()
    fiona.post("/invoices", _body(acme, tax))
    few = queries()
    for _ in range(3):
        posted_invoice()
        fiona.post("/invoices", _body(acme, tax))
    assert len(fiona.get("/invoices", {"limit": 200}).json()["items"]) == 8
    assert queries() == few


# ----------------------------------------------------------------------------- issue: create and post at once


def test_issue_creates_a_posted_invoice_with_its_entry(
    fiona: Api, acme: Any, tax: Callable[[str], Tax], term: Callable[[str], PaymentTerm], acct: Any
) -> None:
    response = fiona.post("/invoices/issue", _body(acme, tax, payment_term_id=term("30 days").pk))
    assert response.status_code == 201, response.content
    body = response.json()
    invoice = Invoice.objects.get()
    entry = JournalEntry.objects.get()
    line = invoice.lines.get()
    assert body == {
        "id": invoice.pk,
        "kind": "customer_invoice",
        "number": f"INV-{YEAR}-00001",
        "state": "posted",
        "payment_state": "not_paid",
        "party_id": acme.pk,
        "party_name": "Acme Retail",
        "date": f"{YEAR}-03-15",
        "due_date": f"{YEAR}-04-14",
        "currency": "EUR",
        "amount_untaxed": "99.99",
        "amount_tax": "21.00",
        "amount_total": "120.99",
        "amount_residual": "120.99",
        "reference": "PO-17",
        "credit_note_of_id": None,
        "entry_id": entry.pk,
        "posted_at": body["posted_at"],
        "sent_at": None,
        "created_at": body["created_at"],
        "version": 2,
        "journal_id": invoice.journal_id,
        "payment_term_id": term("30 days").pk,
        "rate": "1",
        "narration": "",
        "entry_number": entry.number,
        "posted_by_id": fiona.user.pk,
        "lines": [
            {
                "id": line.pk,
                "sequence": 1,
                "product_code": "",
                "description": "Consulting hour",
                "quantity": "3",
                "unit_price": "33.33",
                "discount": "0",
                "account_id": acct("4000").pk,
                "tax_id": tax("V21").pk,
                "amount_untaxed": "99.99",
                "amount_tax": "21.00",
            }
        ],
    }
    assert body["posted_at"] is not None
    assert entry.state == "posted"
    assert {(li.account.code, li.debit, li.credit, li.party_id) for li in entry.lines.all()} == {
        ("1100", Decimal("120.99"), Decimal("0.00"), acme.pk),
        ("4000", Decimal("0.00"), Decimal("99.99"), None),
        ("2100", Decimal("0.00"), Decimal("21.00"), None),
    }
    assert OpenItem.objects.get().residual == Decimal("120.99")
    assert fiona.get(f"/invoices/{invoice.pk}").json() == body
    assert list(
        OutboxEvent.objects.filter(name="finance.InvoicePosted").values_list("payload__invoice_id", flat=True)
    ) == [invoice.pk]


def test_issue_with_an_idempotency_key_is_issued_once(
    fiona: Api, acme: Any, tax: Callable[[str], Tax]
) -> None:
    first = fiona.post("/invoices/issue", _body(acme, tax), key="issue-po-17")
    assert first.status_code == 201, first.content
    with nothing_changed():
        again = fiona.post("/invoices/issue", _body(acme, tax), key="issue-po-17")
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (201, first.json(), "true")
    assert (Invoice.objects.count(), JournalEntry.objects.count()) == (1, 1)


def test_issue_refuses_bad_input_naming_the_field_and_writes_nothing(
    fiona: Api, acme: Any, tax: Callable[[str], Tax], acct: Any
) -> None:
    for changes, code, named in _bad_inputs(acme, tax, acct):
        with nothing_changed():
            problem = assert_problem(fiona.post("/invoices/issue", _body(acme, tax, **changes)), 422, code)
        fields = sorted({error["field"] for error in problem.get("errors", [])})
        assert fields == named, (changes, problem)


def test_issue_refuses_what_posting_refuses_and_writes_nothing(
    fiona: Api, accountant: Any, acme: Any, tax: Callable[[str], Tax]
) -> None:
    with nothing_changed():
        nothing = fiona.post("/invoices/issue", _body(acme, tax, lines=[{"description": "Free sample"}]))
        problem = assert_problem(nothing, 422, "invoice-invalid")
        assert problem["errors"] == [{"field": "lines", "message": "Nothing to invoice."}]
        no_year = assert_problem(
            fiona.post("/invoices/issue", _body(acme, tax, date=f"{YEAR + 1}-01-15")), 409, "period-locked"
        )
        assert no_year["errors"] == [{"field": "date", "message": "No fiscal year contains this date."}]
    services.lock_date_set(actor=accountant, lock_date=dt.date(YEAR, 3, 31))
    with nothing_changed():
        assert_problem(fiona.post("/invoices/issue", _body(acme, tax)), 409, "period-locked")
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("sales", 403), ("service", 403), ("management", 403), ("nobody", 403), ("outsider", 404)],
)
def test_only_finance_may_issue(
    api_as: Any,
    make_user: Any,
    outsider: Any,
    nobody: Any,
    fiona: Api,
    acme: Any,
    tax: Callable[[str], Tax],
    who: str,
    status: int,
) -> None:
    user = {"nobody": nobody, "outsider": outsider}.get(who) or make_user(who)
    api = api_as(user)
    with nothing_changed():
        code = "permission-denied" if status == 403 else "not-found"
        assert_problem(api.post("/invoices/issue", _body(acme, tax)), status, code)
