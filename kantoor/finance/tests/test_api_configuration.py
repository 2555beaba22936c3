"""The finance configuration at /api/v1/: accounts, journals, taxes and payment terms
(create, change, archive) and the finance settings. Finance writes (2xx), sales and
management are refused (403), another company's records are a 404, and a refused call
changes no row of any table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from kantoor.core.tests.api_support import Api, assert_problem, nothing_written
from kantoor.finance import services
from kantoor.finance.models import Account, FinanceSettings, Journal, PaymentTerm, PaymentTermLine, Tax
from kantoor.finance.tests.invoicing_support import invoice, line, party

pytestmark = pytest.mark.django_db

IBAN = "NL91ABNA0417164300"


def _config_rows() -> list[Any]:
    return [
        list(model.objects.order_by("pk").values())
        for model in (Account, Journal, Tax, PaymentTerm, PaymentTermLine, FinanceSettings)
    ]


@contextmanager
def nothing_changed() -> Iterator[None]:
    before = _config_rows()
    with nothing_written():
        yield
    assert _config_rows() == before


@pytest.fixture
def fiona(api_as: Any, accountant: Any, ledger: Any) -> Api:
    api: Api = api_as(accountant)
    return api


def _id(model: type[Any], ledger: Any, **lookup: Any) -> int:
    return int(model.objects.get(company=ledger, **lookup).pk)


def _errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["field"], error["message"]) for error in body.get("errors", [])]


# ----------------------------------------------------------------------------- accounts


def test_an_account_is_created_changed_archived_and_restored(fiona: Api, ledger: Any) -> None:
    created = fiona.post(
        "/accounts",
        {"code": "1020", "name": "Savings", "account_type": "asset", "role": "bank", "is_reconcilable": True},
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {
        "id": body["id"],
        "code": "1020",
        "name": "Savings",
        "account_type": "asset",
        "role": "bank",
        "reference_code": "",
        "is_reconcilable": True,
        "is_active": True,
        "currency": "",
    }
    changed = fiona.patch(f"/accounts/{body['id']}", {"name": "Deposit account", "reference_code": "BLimBan"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["reference_code"], changed.json()["code"]) == (
        "Deposit account",
        "BLimBan",
        "1020",
    )
    archived = fiona.post(f"/accounts/{body['id']}/archive", {"archived": True})
    assert (archived.status_code, archived.json()["is_active"]) == (200, False)
    restored = fiona.post(f"/accounts/{body['id']}/archive", {"archived": False})
    assert (restored.status_code, restored.json()["is_active"]) == (200, True)


def test_account_refusals_are_problems_naming_the_field(fiona: Api, ledger: Any, posted: Any) -> None:
    posted("25.00", debit="6100", credit="1150")
    rent = _id(Account, ledger, code="6100")

    with nothing_changed():
        duplicate = fiona.post("/accounts", {"code": "1000", "name": "Bank 2", "account_type": "asset"})
        body = assert_problem(duplicate, 422, "account-invalid")
        assert _errors(body) == [("code", "Account 1000 exists already.")]

        in_use = fiona.patch(f"/accounts/{rent}", {"code": "6101"})
        body = assert_problem(in_use, 409, "account-in-use")
        assert _errors(body) == [("code", "The account has posted entries; this cannot change any more.")]

        balance = fiona.post(f"/accounts/{rent}/archive", {"archived": True})
        body = assert_problem(balance, 409, "account-in-use")
        assert _errors(body) == [
            ("archived", "The account has a balance of 25.00; it must be zero."),
            ("archived", "The account is the default account of journal(s) PUR."),
        ]
        assert body["detail"] == "The account has a balance of 25.00; it must be zero."

        assert_problem(fiona.post("/accounts", {"code": "7", "name": "x", "account_type": "loss"}), 422)
        assert_problem(fiona.patch(f"/accounts/{rent}", {"currency": "USD"}), 422)  # not a changeable field
        assert_problem(fiona.patch(f"/accounts/{rent}", {"name": None}), 422)
        assert_problem(fiona.post(f"/accounts/{rent}/archive", {}), 422)


# ----------------------------------------------------------------------------- journals


def test_a_bank_journal_is_created_with_its_iban_and_changed(fiona: Api, ledger: Any) -> None:
    bank_account = _id(Account, ledger, code="1000")

    created = fiona.post(
        "/journals",
        {
            "code": "BNK2",
            "name": "Savings",
            "kind": "bank",
            "default_account_id": bank_account,
            "bank_account": "NL91 ABNA 0417 1643 00",
            "bank_bic": "abnanl2a",
        },
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {
        "id": body["id"],
        "code": "BNK2",
        "name": "Savings",
        "kind": "bank",
        "default_account_id": bank_account,
        "sequence_code": "journal-bnk2",
        "bank_account": IBAN,
        "bank_bic": "ABNANL2A",
    }
    changed = fiona.patch(f"/journals/{body['id']}", {"name": "Deposits", "bank_bic": ""})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["bank_account"], changed.json()["bank_bic"]) == (
        "Deposits",
        IBAN,
        "",
    )
    with nothing_changed():
        bad = fiona.patch(f"/journals/{body['id']}", {"bank_account": "NL91ABNA0417164301"})
        assert _errors(assert_problem(bad, 422, "journal-invalid")) == [("bank_account", "Not a valid IBAN.")]
        general = _id(Journal, ledger, code="GEN")
        bad = fiona.patch(f"/journals/{general}", {"bank_account": IBAN})
        assert _errors(assert_problem(bad, 422, "journal-invalid")) == [
            ("bank_account", "Only a bank journal has a bank account.")
        ]
        assert_problem(fiona.patch(f"/journals/{general}", {"kind": "bank"}), 422)


# ----------------------------------------------------------------------------- taxes


def test_a_tax_is_created_changed_and_archived(fiona: Api, ledger: Any) -> None:
    vat_payable = _id(Account, ledger, code="2100")

    created = fiona.post(
        "/taxes",
        {
            "code": "V13",
            "name": "VAT 13%",
            "scope": "sale",
            "treatment": "other_rate",
            "rate": "13",
            "account_id": vat_payable,
            "base_tag": "1c-base",
            "tax_tag": "1c-tax",
        },
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {
        "id": body["id"],
        "code": "V13",
        "name": "VAT 13%",
        "scope": "sale",
        "treatment": "other_rate",
        "rate": "13",
        "account_id": vat_payable,
        "reverse_account_id": None,
        "base_tag": "1c-base",
        "tax_tag": "1c-tax",
        "reverse_tag": "",
        "is_active": True,
    }
    changed = fiona.patch(f"/taxes/{body['id']}", {"rate": "13.5", "name": "VAT 13.5%"})
    assert (changed.status_code, changed.json()["rate"], changed.json()["name"]) == (200, "13.5", "VAT 13.5%")
    archived = fiona.post(f"/taxes/{body['id']}/archive", {"archived": True})
    assert (archived.status_code, archived.json()["is_active"]) == (200, False)


def test_a_tax_on_a_posted_invoice_keeps_its_rate(fiona: Api, ledger: Any, accountant: Any) -> None:
    v21 = Tax.objects.get(company=ledger, code="V21")
    invoice(accountant, party(accountant), [line("Work", "1", "100.00", v21.pk)])

    with nothing_changed():
        refused = fiona.patch(f"/taxes/{v21.pk}", {"rate": "22"})
        assert _errors(assert_problem(refused, 409, "tax-in-use")) == [
            ("rate", "Tax V21 is on posted invoices; its rate cannot change. Add a new tax instead.")
        ]
        bad_box = fiona.patch(f"/taxes/{v21.pk}", {"base_tag": "9z-base"})
        assert [field for field, _m in _errors(assert_problem(bad_box, 422, "tax-invalid"))] == ["base_tag"]
        assert_problem(fiona.patch(f"/taxes/{v21.pk}", {"rate": 22}), 422)  # a JSON number
        assert_problem(fiona.patch(f"/taxes/{v21.pk}", {"rate": "-1"}), 422)


# ----------------------------------------------------------------------------- payment terms


def test_a_payment_term_is_created_changed_and_archived(fiona: Api, ledger: Any) -> None:
    created = fiona.post(
        "/payment-terms",
        {
            "name": "Thirds",
            "instalments": [{"percent": "40"}, {"percent": "60", "days": 30, "end_of_month": True}],
        },
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {
        "id": body["id"],
        "name": "Thirds",
        "is_active": True,
        "instalments": [
            {"sequence": 1, "percent": "40", "days": 0, "end_of_month": False},
            {"sequence": 2, "percent": "60", "days": 30, "end_of_month": True},
        ],
    }
    changed = fiona.patch(f"/payment-terms/{body['id']}", {"instalments": [{"percent": "100", "days": 45}]})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["instalments"]) == (
        "Thirds",
        [{"sequence": 1, "percent": "100", "days": 45, "end_of_month": False}],
    )
    with nothing_changed():
        short = fiona.patch(f"/payment-terms/{body['id']}", {"instalments": [{"percent": "99.99"}]})
        assert _errors(assert_problem(short, 422, "payment-term-invalid")) == [
            ("instalments", "The instalments add up to 99.99%; they must add up to 100%.")
        ]
        assert_problem(fiona.patch(f"/payment-terms/{body['id']}", {"instalments": []}), 422)
    archived = fiona.post(f"/payment-terms/{body['id']}/archive", {"archived": True})
    assert (archived.status_code, archived.json()["is_active"]) == (200, False)


# ----------------------------------------------------------------------------- settings


def test_the_tax_rounding_is_read_and_changed_with_its_version(fiona: Api, ledger: Any) -> None:
    read = fiona.get("/finance-settings")
    assert read.json() == {"tax_rounding": "per_line", "lock_date": None, "version": 1}

    changed = fiona.patch("/finance-settings", {"tax_rounding": "per_document", "version": 1})

    assert changed.json() == {"tax_rounding": "per_document", "lock_date": None, "version": 2}
    with nothing_changed():
        assert_problem(
            fiona.patch("/finance-settings", {"tax_rounding": "per_line", "version": 1}), 409, "stale-version"
        )
        assert_problem(fiona.patch("/finance-settings", {"tax_rounding": "per_page", "version": 2}), 422)


# ----------------------------------------------------------------------------- permissions


def _writes(ledger: Any) -> list[tuple[str, str, dict[str, Any]]]:
    account = _id(Account, ledger, code="1400")
    journal = _id(Journal, ledger, code="GEN")
    tax = _id(Tax, ledger, code="V0")
    term = _id(PaymentTerm, ledger, name="30 days")
    return [
        ("post", "/accounts", {"code": "7000", "name": "X", "account_type": "expense"}),
        ("patch", f"/accounts/{account}", {"name": "X"}),
        ("post", f"/accounts/{account}/archive", {"archived": True}),
        ("post", "/journals", {"code": "X", "name": "X", "kind": "general"}),
        ("patch", f"/journals/{journal}", {"name": "X"}),
        ("post", "/taxes", {"code": "X", "name": "X", "scope": "sale", "treatment": "zero", "rate": "0"}),
        ("patch", f"/taxes/{tax}", {"name": "X"}),
        ("post", f"/taxes/{tax}/archive", {"archived": True}),
        ("post", "/payment-terms", {"name": "X", "instalments": [{"percent": "100"}]}),
        ("patch", f"/payment-terms/{term}", {"name": "Y", "instalments": [{"percent": "100", "days": 7}]}),
        ("post", f"/payment-terms/{term}/archive", {"archived": True}),
        ("patch", "/finance-settings", {"tax_rounding": "per_document", "version": 1}),
    ]


def test_sales_and_management_may_not_write_the_configuration(
    ledger: Any, api_as: Any, salesperson: Any, manager: Any
) -> None:
    for user in (salesperson, manager):
        api = api_as(user)
        for method, path, body in _writes(ledger):
            with nothing_changed():
                assert_problem(api.send(method, path, body), 403, "permission-denied")
    # reading the settings is for whoever reads invoices or the ledger
    assert api_as(salesperson).get("/finance-settings").status_code == 200


def test_another_company_s_records_are_not_found(
    ledger: Any, api_as: Any, make_user: Any, other_company: Any
) -> None:
    other = make_user("finance", in_company=other_company)
    services.chart_install(actor=other, template="generic")
    api = api_as(other)
    for method, path, body in _writes(ledger):
        if path.count("/") < 2:
            continue  # creating lands in their own company
        with nothing_changed():
            assert_problem(api.send(method, path, body), 404, "not-found")


def test_finance_may_do_every_write(fiona: Api, ledger: Any) -> None:
    for method, path, body in _writes(ledger):
        response = fiona.send(method, path, body)
        assert response.status_code in (200, 201), (method, path, response.content)
