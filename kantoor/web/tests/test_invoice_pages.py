"""Invoice and payment pages through the Django test client: the draft form with its lines
and live totals, inline errors, posting, payments (partial, then in full), credit notes,
unreconcile and cancel, the party page's invoices, and who may see and do what."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kantoor.core.models import AuditEntry, NumberSequence, OutboxEvent
from kantoor.finance import invoicing, services
from kantoor.finance.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceState,
    Journal,
    JournalEntry,
    JournalLine,
    Match,
    Payment,
    PaymentState,
    PaymentStatus,
    PaymentTerm,
    Tax,
)

pytestmark = pytest.mark.django_db

YEAR = 2026
ON = f"{YEAR}-03-10"


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    user = make_user("finance", username="fiona")
    services.chart_install(actor=user, template="generic")
    services.fiscal_year_create(actor=user, year=YEAR)
    return user


@pytest.fixture
def seller(make_user: Callable[..., Any]) -> Any:
    """A salesperson who reads only the invoices of the parties she owns."""
    return make_user("sales", scope="own", username="sam")


@pytest.fixture
def customer(accountant: Any, seller: Any, make_party: Any) -> Any:
    return make_party(seller, "Acme Trading", roles=["customer"])


@pytest.fixture
def other_customer(accountant: Any, make_party: Any) -> Any:
    return make_party(accountant, "Globex Corporation", roles=["customer"])


def tax(code: str) -> Tax:
    return Tax.objects.get(code=code)


def invoice_form(party: Any, lines: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "customer_invoice",
        "party": party.pk if party else "",
        "date": ON,
        "payment_term_id": "",
        "due_date": "",
        "currency": "",
        "reference": "",
        "narration": "",
        **header,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for index, row in enumerate(lines):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = value
    return data


def two_lines() -> list[dict[str, Any]]:
    """3 × 80.00 at 21% and 1 × 45.50 less 10% at 9%: 280.95 + 54.09 VAT = 335.04."""
    return [
        {"description": "Consulting", "quantity": "3", "unit_price": "80.00", "discount": "0",
         "account_id": "", "tax_id": tax("V21").pk},
        {"description": "Travel", "quantity": "1", "unit_price": "45.50", "discount": "10",
         "account_id": "", "tax_id": tax("V9").pk},
    ]  # fmt: skip


def line_rows(html: str) -> list[str]:
    return re.findall(r'<tr class="line-row">.*?</tr>', html, flags=re.DOTALL)


def state() -> tuple[Any, ...]:
    return (
        list(Invoice.objects.order_by("pk").values()),
        list(InvoiceLine.objects.order_by("pk").values()),
        list(Payment.objects.order_by("pk").values()),
        list(Match.objects.order_by("pk").values()),
    )


@pytest.fixture
def draft(accountant: Any, customer: Any) -> Invoice:
    return invoicing.invoice_create(
        actor=accountant,
        kind=InvoiceKind.CUSTOMER_INVOICE,
        party_id=customer.pk,
        date=dt.date(YEAR, 3, 10),
        lines=[
            {"description": "Consulting", "quantity": 3, "unit_price": "80.00", "tax_id": tax("V21").pk},
            {"description": "Travel", "unit_price": "45.50", "discount": 10, "tax_id": tax("V9").pk},
        ],
    )


@pytest.fixture
def posted(accountant: Any, draft: Invoice) -> Invoice:
    return invoicing.invoice_post(actor=accountant, invoice_id=draft.pk)


def bank() -> Journal:
    return Journal.objects.get(code="BNK")


def payment_form(
    amount: str, *, journal: Journal | None = None, pay: Sequence[Invoice] = (), **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "inbound",
        "journal_id": (journal or bank()).pk,
        "date": f"{YEAR}-03-20",
        "amount": amount,
        "reference": "",
        **extra,
    }
    for invoice in pay:
        data[f"invoice-{invoice.pk}-pay"] = "on"
    return data


# ---- the draft form ---------------------------------------------------------------------


def test_a_finance_user_creates_a_draft_with_two_lines_and_sees_exact_totals(
    client: Any, accountant: Any, customer: Any
) -> None:
    client.force_login(accountant)
    page = client.get(reverse("web:invoice-create") + f"?kind=customer_invoice&party={customer.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Trading" in html  # the chosen party in the picker
    assert len(line_rows(html)) == 1

    response = client.post(
        reverse("web:invoice-create"), invoice_form(customer, two_lines(), reference="PO-7")
    )

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:invoice-detail", args=[invoice.pk])
    assert (invoice.kind, invoice.state, invoice.party_id, invoice.reference) == (
        "customer_invoice", "draft", customer.pk, "PO-7"
    )  # fmt: skip
    assert (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total) == (
        Decimal("280.95"), Decimal("54.09"), Decimal("335.04")
    )  # fmt: skip
    assert list(invoice.lines.values_list("description", "amount_untaxed", "amount_tax")) == [
        ("Consulting", Decimal("240.00"), Decimal("50.40")),
        ("Travel", Decimal("40.95"), Decimal("3.69")),
    ]
    detail = client.get(response["Location"]).content.decode()
    assert re.search(r'id="amount-untaxed">280\.95<', detail)
    assert re.search(r'id="amount-tax">54\.09<', detail)
    assert re.search(r'id="amount-total">335\.04 EUR<', detail)
    for name in ("invoice-edit", "invoice-post", "invoice-delete"):
        assert reverse(f"web:{name}", args=[invoice.pk]) in detail
    assert "Register payment" not in detail


def test_the_live_totals_are_computed_from_the_typed_lines(
    client: Any, accountant: Any, customer: Any
) -> None:
    client.force_login(accountant)
    lines = [*two_lines(), {"description": "", "quantity": "1", "unit_price": "", "discount": "0"}]
    data = invoice_form(customer, lines)
    response = client.get(reverse("web:invoice-totals"), data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="total-untaxed">280\.95<', html)
    assert re.search(r'id="total-tax">54\.09<', html)
    assert re.search(r'id="total-total">335\.04 EUR<', html)
    assert "<html" not in html  # only the fragment
    assert Invoice.objects.count() == 0


def test_add_line_returns_one_more_row_with_the_sales_taxes(client: Any, accountant: Any) -> None:
    client.force_login(accountant)
    response = client.get(
        reverse("web:invoice-line-row"), {"kind": "customer_invoice", "lines-TOTAL_FORMS": "2"}
    )
    html = response.content.decode()
    assert len(line_rows(html)) == 1
    assert 'name="lines-2-description"' in html
    assert 'name="lines-TOTAL_FORMS" value="3"' in html
    assert "V21" in html
    assert "I21" not in html
    bill_row = client.get(
        reverse("web:invoice-line-row"), {"kind": "supplier_bill", "lines-TOTAL_FORMS": "0"}
    )
    assert "I21" in bill_row.content.decode()
    assert "V21 " not in bill_row.content.decode()


def test_bad_lines_show_their_errors_inline_and_nothing_is_written(
    client: Any, accountant: Any, customer: Any
) -> None:
    client.force_login(accountant)
    lines = two_lines()
    lines[0]["description"] = ""  # a price without a description
    lines[1]["discount"] = "150"
    before = state()

    response = client.post(reverse("web:invoice-create"), invoice_form(customer, lines))

    assert response.status_code == 422
    rows = line_rows(response.content.decode())
    assert "Describe what is invoiced." in rows[0]
    assert "At most 100." not in rows[0]
    assert "At most 100." in rows[1]
    assert "Describe what is invoiced." not in rows[1]
    assert 'name="lines-1-discount" value="150"' in rows[1]  # the input is kept
    assert "Please correct the marked fields." in response.content.decode()
    assert state() == before


def test_a_missing_party_and_a_bad_date_are_shown_on_their_fields(
    client: Any, accountant: Any, customer: Any
) -> None:
    client.force_login(accountant)
    before = state()
    response = client.post(reverse("web:invoice-create"), invoice_form(None, two_lines()))
    assert response.status_code == 422
    assert re.search(r'id="id_party_error">Unknown party\.<', response.content.decode())
    response = client.post(reverse("web:invoice-create"), invoice_form(customer, two_lines(), date="10-03-x"))
    assert response.status_code == 422
    assert 'id="id_date_error"' in response.content.decode()
    assert state() == before


def test_editing_a_draft_replaces_its_lines_and_a_payment_term_sets_the_due_date(
    client: Any, accountant: Any, draft: Invoice, customer: Any
) -> None:
    client.force_login(accountant)
    page = client.get(reverse("web:invoice-edit", args=[draft.pk])).content.decode()
    assert len(line_rows(page)) == 2
    assert 'value="Consulting"' in page
    term = PaymentTerm.objects.get(name="30 days")
    data = invoice_form(customer, two_lines()[:1], payment_term_id=term.pk, version=draft.version)
    data["lines-INITIAL_FORMS"] = "0"

    response = client.post(reverse("web:invoice-edit", args=[draft.pk]), data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.amount_total, draft.due_date, draft.lines.count()) == (
        Decimal("290.40"), dt.date(YEAR, 4, 9), 1
    )  # fmt: skip


def test_deleting_a_draft(client: Any, accountant: Any, draft: Invoice) -> None:
    client.force_login(accountant)
    response = client.post(reverse("web:invoice-delete", args=[draft.pk]), {"version": draft.version})
    assert response.status_code == 302
    assert not Invoice.objects.exists()


# ---- post, pay, credit ------------------------------------------------------------------


def test_posting_then_paying_in_part_and_in_full(client: Any, accountant: Any, draft: Invoice) -> None:
    client.force_login(accountant)
    response = client.post(reverse("web:invoice-post", args=[draft.pk]), {"version": draft.version})
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.state == InvoiceState.POSTED
    assert invoice.number.startswith("INV")
    detail = client.get(reverse("web:invoice-detail", args=[invoice.pk])).content.decode()
    assert invoice.number in detail
    assert re.search(r'id="amount-due">335\.04 EUR<', detail)
    assert reverse("web:entry-detail", args=[invoice.entry_id]) in detail
    assert "Register payment" in detail
    assert "Credit note" in detail
    assert "Send by e-mail" in detail
    assert reverse("web:invoice-edit", args=[invoice.pk]) not in detail

    # the payment form from the invoice proposes what is due, through the bank
    url = reverse("web:payment-register") + f"?invoice={invoice.pk}"
    form = client.get(url).content.decode()
    assert 'name="amount" value="335.04"' in form
    assert f'name="invoice-{invoice.pk}-pay"' in form

    response = client.post(url, payment_form("100.00", pay=[invoice]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:invoice-detail", args=[invoice.pk])
    invoice.refresh_from_db()
    assert (invoice.payment_state, invoice.amount_residual) == (PaymentState.PARTIAL, Decimal("235.04"))
    detail = client.get(response["Location"]).content.decode()
    assert "Partially paid" in detail
    assert re.search(r'id="amount-due">235\.04 EUR<', detail)

    response = client.post(url, payment_form("235.04", pay=[invoice]))
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.payment_state, invoice.amount_residual) == (PaymentState.PAID, Decimal("0"))
    detail = client.get(response["Location"]).content.decode()
    assert '<span class="badge paid">Paid</span>' in detail
    assert "Register payment" not in detail
    assert [str(p.amount) for p in Payment.objects.order_by("pk")] == ["100.000000", "235.040000"]
    for payment in Payment.objects.all():
        assert reverse("web:payment-detail", args=[payment.pk]) in detail


def test_a_payment_for_a_party_settles_several_invoices(
    client: Any, accountant: Any, customer: Any, posted: Invoice
) -> None:
    second = invoicing.invoice_post(
        actor=accountant,
        invoice_id=invoicing.invoice_create(
            actor=accountant,
            kind="customer_invoice",
            party_id=customer.pk,
            date=dt.date(YEAR, 3, 12),
            lines=[{"description": "Support", "unit_price": "50.00"}],
        ).pk,
    )
    client.force_login(accountant)
    url = reverse("web:payment-register")
    # the open documents of the chosen party, as the HTMX fragment
    fragment = client.get(
        url,
        {"party": customer.pk, "kind": "inbound"},
        headers={"HX-Request": "true", "HX-Target": "allocations"},
    )
    html = fragment.content.decode()
    assert posted.number in html
    assert second.number in html
    assert "<html" not in html

    response = client.post(url, payment_form("400.00", party=customer.pk, pay=[posted, second]))

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert response["Location"] == reverse("web:payment-detail", args=[payment.pk])
    posted.refresh_from_db()
    second.refresh_from_db()
    assert (posted.payment_state, second.payment_state) == ("paid", "paid")
    detail = client.get(response["Location"]).content.decode()
    assert posted.number in detail
    assert second.number in detail
    assert "14.96 EUR is not allocated" in detail  # 400.00 − 335.04 − 50.00


def test_an_allocation_above_what_is_due_is_shown_on_its_row(
    client: Any, accountant: Any, customer: Any, posted: Invoice
) -> None:
    client.force_login(accountant)
    before = state()
    data = payment_form("500.00", party=customer.pk, pay=[posted])
    data[f"invoice-{posted.pk}-amount"] = "400.00"
    response = client.post(reverse("web:payment-register"), data)
    assert response.status_code == 422
    assert "More than is due on" in response.content.decode()
    assert state() == before


def test_a_credit_note_for_part_of_an_invoice(client: Any, accountant: Any, posted: Invoice) -> None:
    client.force_login(accountant)
    url = reverse("web:invoice-credit-note", args=[posted.pk])
    lines = list(posted.lines.order_by("sequence"))
    page = client.get(url).content.decode()
    assert "Consulting" in page
    assert "Travel" in page

    # too much of the first line: refused on its row, nothing written
    before = state()
    too_much = {"date": f"{YEAR}-03-25", "narration": "Returned", f"line-{lines[0].pk}-include": "on",
                f"line-{lines[0].pk}-quantity": "4"}  # fmt: skip
    response = client.post(url, too_much)
    assert response.status_code == 422
    assert "At most the invoiced quantity (3)." in response.content.decode()
    assert state() == before

    response = client.post(url, {**too_much, f"line-{lines[0].pk}-quantity": "1"})

    note = Invoice.objects.get(kind=InvoiceKind.CUSTOMER_CREDIT_NOTE)
    assert response["Location"] == reverse("web:invoice-detail", args=[note.pk])
    assert (note.state, note.amount_total, note.credit_note_of_id) == ("draft", Decimal("96.80"), posted.pk)
    client.post(reverse("web:invoice-post", args=[note.pk]), {"version": note.version})
    posted.refresh_from_db()
    assert (posted.payment_state, posted.amount_residual) == ("partial", Decimal("238.24"))
    detail = client.get(reverse("web:invoice-detail", args=[posted.pk])).content.decode()
    note.refresh_from_db()
    assert note.number in detail  # listed as a credit note and as a match
    assert (
        "Credit note"
        in client.get(reverse("web:invoice-list") + "?kind=customer_credit_note").content.decode()
    )


def test_unreconcile_and_cancel_reopen_the_invoice(client: Any, accountant: Any, posted: Invoice) -> None:
    client.force_login(accountant)
    url = reverse("web:payment-register") + f"?invoice={posted.pk}"
    client.post(url, payment_form("335.04", pay=[posted]))
    posted.refresh_from_db()
    assert posted.payment_state == "paid"

    response = client.post(reverse("web:invoice-unreconcile", args=[posted.pk]))
    assert response.status_code == 302
    posted.refresh_from_db()
    assert (posted.payment_state, posted.amount_residual) == ("not_paid", Decimal("335.04"))

    payment = Payment.objects.get()
    client.post(url, payment_form("335.04", pay=[posted]))
    second = Payment.objects.exclude(pk=payment.pk).get()
    response = client.post(
        reverse("web:payment-cancel", args=[second.pk]), {"version": second.version, "date": f"{YEAR}-03-21"}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    posted.refresh_from_db()
    assert second.status == PaymentStatus.CANCELLED
    assert (posted.payment_state, posted.amount_residual) == ("not_paid", Decimal("335.04"))
    page = client.get(reverse("web:payment-detail", args=[second.pk])).content.decode()
    assert "Cancelled" in page
    assert "Cancel payment" not in page
    listing = client.get(reverse("web:payment-list")).content.decode()
    assert payment.entry.number in listing
    assert second.entry.number in listing


def test_send_by_email_without_an_address_is_refused_with_a_message(
    client: Any, accountant: Any, posted: Invoice
) -> None:
    client.force_login(accountant)
    response = client.post(reverse("web:invoice-send", args=[posted.pk]), {"to": ""}, follow=True)
    assert "The party has no e-mail address; give one." in response.content.decode()
    response = client.post(reverse("web:invoice-send", args=[posted.pk]), {"to": "ap@acme.test"}, follow=True)
    assert "will be sent by e-mail" in response.content.decode()


# ---- list and party page ----------------------------------------------------------------


def test_the_list_has_tabs_filters_and_totals(
    client: Any, accountant: Any, posted: Invoice, other_customer: Any, django_assert_max_num_queries: Any
) -> None:
    open_draft = invoicing.invoice_create(
        actor=accountant,
        kind="customer_invoice",
        party_id=other_customer.pk,
        date=dt.date(YEAR, 3, 1),
        lines=[{"description": "Setup", "unit_price": "10.00"}],
    )
    client.force_login(accountant)
    url = reverse("web:invoice-list")
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    assert posted.number in html
    assert f"Draft #{open_draft.pk}" in html
    assert "335.04" in html
    assert "2 documents" in html
    assert posted.number in client.get(url, {"state": "posted"}).content.decode()
    assert f"Draft #{open_draft.pk}" not in client.get(url, {"state": "posted"}).content.decode()
    by_party = client.get(url, {"party": other_customer.pk}).content.decode()
    assert posted.number not in by_party
    assert f"Draft #{open_draft.pk}" in by_party
    # due on the invoice date (no payment term): overdue from the next day on
    overdue = client.get(url, {"overdue": "1"}).content.decode()
    assert (posted.number in overdue) == (timezone.localdate() > posted.date)
    assert "No documents match" in client.get(url, {"kind": "supplier_bill"}).content.decode()
    fragment = client.get(
        url, {"q": "Globex"}, headers={"HX-Request": "true", "HX-Target": "invoice-results"}
    )
    assert "<html" not in fragment.content.decode()
    assert f"Draft #{open_draft.pk}" in fragment.content.decode()


def test_the_party_page_lists_its_invoices(
    client: Any, accountant: Any, customer: Any, posted: Invoice
) -> None:
    client.force_login(accountant)
    html = client.get(reverse("web:party-detail", args=[customer.pk])).content.decode()
    assert 'id="party-invoices"' in html
    assert posted.number in html
    assert "335.04" in html
    assert f"{reverse('web:invoice-list')}?party={customer.pk}" in html


# ---- permissions ------------------------------------------------------------------------


def test_invoices_and_payments_show_in_the_navigation_of_who_reads_invoices(
    client: Any, accountant: Any, seller: Any, nobody: Any
) -> None:
    for user in (accountant, seller):
        client.force_login(user)
        html = client.get(reverse("web:home")).content.decode()
        assert f'href="{reverse("web:invoice-list")}"' in html
        assert f'href="{reverse("web:payment-list")}"' in html
    client.force_login(nobody)
    assert reverse("web:invoice-list") not in client.get(reverse("web:home")).content.decode()
    assert client.get(reverse("web:invoice-list")).status_code == 403


def test_a_salesperson_sees_only_her_own_parties_invoices_and_no_write_buttons(
    client: Any, accountant: Any, seller: Any, customer: Any, other_customer: Any, posted: Invoice
) -> None:
    foreign = invoicing.invoice_post(
        actor=accountant,
        invoice_id=invoicing.invoice_create(
            actor=accountant,
            kind="customer_invoice",
            party_id=other_customer.pk,
            date=dt.date(YEAR, 3, 11),
            lines=[{"description": "Other", "unit_price": "70.00"}],
        ).pk,
    )
    client.force_login(seller)
    listing = client.get(reverse("web:invoice-list")).content.decode()
    assert posted.number in listing
    assert foreign.number not in listing
    assert "New invoice" not in listing
    detail = client.get(reverse("web:invoice-detail", args=[posted.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    for text in ("Register payment", "Credit note", "Send by e-mail", "Unreconcile", "Edit"):
        assert text not in html
    assert reverse("web:entry-detail", args=[posted.entry_id]) not in html  # she cannot read the ledger
    party_page = client.get(reverse("web:party-detail", args=[customer.pk])).content.decode()
    assert posted.number in party_page

    # another party's invoice does not exist for her; writes are refused before anything is read
    assert client.get(reverse("web:invoice-detail", args=[foreign.pk])).status_code == 404
    before = state()
    assert client.get(reverse("web:invoice-create")).status_code == 403
    assert client.post(reverse("web:invoice-post", args=[posted.pk])).status_code == 403
    assert client.post(reverse("web:invoice-unreconcile", args=[posted.pk])).status_code == 403
    assert client.get(reverse("web:invoice-credit-note", args=[posted.pk])).status_code == 403
    assert client.get(reverse("web:payment-register") + f"?invoice={posted.pk}").status_code == 403
    assert (
        client.post(reverse("web:payment-register"), payment_form("1.00", party=customer.pk)).status_code
        == 403
    )
    assert state() == before


def test_another_companys_user_gets_404(
    client: Any, make_user: Any, other_company: Any, posted: Invoice
) -> None:
    outsider = make_user("finance", in_company=other_company, username="otto")
    client.force_login(outsider)
    assert client.get(reverse("web:invoice-detail", args=[posted.pk])).status_code == 404
    before = state()
    assert client.post(reverse("web:invoice-unreconcile", args=[posted.pk])).status_code == 404
    assert client.get(reverse("web:invoice-edit", args=[posted.pk])).status_code == 404
    assert state() == before


def test_anonymous_visitors_are_sent_to_log_in(client: Any) -> None:
    for name in ("invoice-list", "payment-list", "invoice-create", "payment-register"):
        response = client.get(reverse(f"web:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_a_salesperson_reads_only_her_parties_payments_and_may_not_cancel(
    client: Any, accountant: Any, seller: Any, other_customer: Any, posted: Invoice
) -> None:
    client.force_login(accountant)
    client.post(
        reverse("web:payment-register") + f"?invoice={posted.pk}", payment_form("10.00", pay=[posted])
    )
    client.post(reverse("web:payment-register"), payment_form("20.00", party=other_customer.pk), follow=True)
    mine, foreign = Payment.objects.order_by("pk")
    client.force_login(seller)
    listing = client.get(reverse("web:payment-list")).content.decode()
    assert mine.entry.number in listing
    assert foreign.entry.number not in listing
    assert "Register payment" not in listing
    html = client.get(reverse("web:payment-detail", args=[mine.pk])).content.decode()
    assert posted.number in html
    assert "Cancel payment" not in html
    assert "Unreconcile" not in html
    assert client.get(reverse("web:payment-detail", args=[foreign.pk])).status_code == 404
    before = state()
    assert client.post(reverse("web:payment-cancel", args=[mine.pk])).status_code == 403
    assert client.post(reverse("web:payment-unreconcile", args=[mine.pk])).status_code == 403
    assert state() == before


def test_the_detail_pages_read_in_a_few_queries(
    client: Any, accountant: Any, posted: Invoice, django_assert_max_num_queries: Any
) -> None:
    client.force_login(accountant)
    client.post(
        reverse("web:payment-register") + f"?invoice={posted.pk}", payment_form("10.00", pay=[posted])
    )
    payment = Payment.objects.get()
    with django_assert_max_num_queries(16):
        assert client.get(reverse("web:invoice-detail", args=[posted.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:payment-detail", args=[payment.pk])).status_code == 200


# ---- "Save and post": create and post at once ----------------------------------------------


def everything() -> tuple[Any, ...]:
    """state() with the ledger, the audit trail and the outbox: what posting also writes."""
    return (
        state(),
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
        list(NumberSequence.objects.order_by("pk").values_list("code", "next_number")),
    )


def test_save_and_post_issues_the_invoice_and_shows_it_posted(
    client: Any, accountant: Any, customer: Any
) -> None:
    client.force_login(accountant)
    form = client.get(reverse("web:invoice-create") + "?kind=customer_invoice").content.decode()
    assert re.search(r'<button type="submit" name="post" value="1"[^>]*>Save and post</button>', form)
    assert "Save draft" in form

    response = client.post(
        reverse("web:invoice-create"), {**invoice_form(customer, two_lines(), reference="PO-8"), "post": "1"}
    )

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:invoice-detail", args=[invoice.pk])
    assert (invoice.state, invoice.number, invoice.payment_state, invoice.reference) == (
        InvoiceState.POSTED, f"INV-{YEAR}-00001", PaymentState.NOT_PAID, "PO-8"
    )  # fmt: skip
    assert (invoice.amount_total, invoice.amount_residual) == (Decimal("335.04"), Decimal("335.04"))
    assert invoice.entry is not None
    assert invoice.entry.state == "posted"
    detail = client.get(response["Location"]).content.decode()
    assert f"INV-{YEAR}-00001 was posted." in detail
    assert re.search(r'id="amount-total">335\.04 EUR<', detail)
    assert reverse("web:invoice-post", args=[invoice.pk]) not in detail
    assert reverse("web:invoice-edit", args=[invoice.pk]) not in detail


def test_save_and_post_refused_by_posting_keeps_the_form_with_the_error_and_writes_nothing(
    client: Any, accountant: Any, customer: Any
) -> None:
    client.force_login(accountant)
    services.lock_date_set(actor=accountant, lock_date=dt.date(YEAR, 3, 31))
    before = everything()

    response = client.post(
        reverse("web:invoice-create"), {**invoice_form(customer, two_lines(), reference="PO-9"), "post": "1"}
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert re.search(r'id="id_date_error">On or before the lock date\.<', html)
    assert f"{ON} is on or before the lock date {YEAR}-03-31." in html
    assert 'name="reference"' in html
    assert 'value="PO-9"' in html  # the input is kept
    assert len(line_rows(html)) == 2
    assert everything() == before
    assert not Invoice.objects.exists()


def test_save_and_post_of_nothing_and_of_bad_lines_show_their_errors_and_write_nothing(
    client: Any, accountant: Any, customer: Any
) -> None:
    client.force_login(accountant)
    before = everything()
    free = [{"description": "Free sample", "quantity": "1", "unit_price": "0", "discount": "0"}]
    response = client.post(reverse("web:invoice-create"), {**invoice_form(customer, free), "post": "1"})
    assert response.status_code == 422
    assert "Nothing to invoice." in response.content.decode()

    lines = two_lines()
    lines[1]["discount"] = "150"
    response = client.post(reverse("web:invoice-create"), {**invoice_form(customer, lines), "post": "1"})
    assert response.status_code == 422
    rows = line_rows(response.content.decode())
    assert "At most 100." in rows[1]
    assert "At most 100." not in rows[0]
    assert everything() == before


def test_save_and_post_is_only_on_the_new_invoice_form_of_finance(
    client: Any, accountant: Any, seller: Any, customer: Any, draft: Invoice
) -> None:
    client.force_login(accountant)
    edit = client.get(reverse("web:invoice-edit", args=[draft.pk])).content.decode()
    assert "Save and post" not in edit
    client.force_login(seller)
    before = everything()
    assert client.get(reverse("web:invoice-create")).status_code == 403
    response = client.post(
        reverse("web:invoice-create"), {**invoice_form(customer, two_lines()), "post": "1"}
    )
    assert response.status_code == 403
    assert everything() == before
