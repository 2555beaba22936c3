"""The finance configuration pages through the Django test client: new/edit/archive account
(from the chart of accounts), journals with bank details, taxes, payment terms with their
instalment rows and the tax rounding. Finance only: others get a 403, another company's
records a 404; a refusal shows on the form and writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kantoor.core.models import AuditEntry
from kantoor.finance import services
from kantoor.finance.models import Account, FinanceSettings, Journal, PaymentTerm, Tax

pytestmark = pytest.mark.django_db

IBAN = "NL91ABNA0417164300"


@pytest.fixture
def accountant(make_user: Callable[..., Any]) -> Any:
    return make_user("finance", username="fiona")


@pytest.fixture
def ledger(accountant: Any) -> Any:
    services.chart_install(actor=accountant, template="generic")
    services.fiscal_year_create(actor=accountant, year=2026)
    return accountant.company


@pytest.fixture
def fin(client: Client, accountant: Any, ledger: Any) -> Client:
    client.force_login(accountant)
    return client


def _account(ledger: Any, code: str) -> Account:
    return Account.objects.get(company=ledger, code=code)


def _instalment_rows(*rows: tuple[str, str, bool]) -> dict[str, str]:
    data: dict[str, str] = {}
    for n, (percent, days, end_of_month) in enumerate(rows):
        data[f"instalments-{n}-percent"] = percent
        data[f"instalments-{n}-days"] = days
        if end_of_month:
            data[f"instalments-{n}-end_of_month"] = "on"
    return data


# ----------------------------------------------------------------------------- accounts


def test_the_chart_of_accounts_links_to_new_and_edit_for_finance_only(
    fin: Client, ledger: Any, client: Client, make_user: Any
) -> None:
    page = fin.get(reverse("web:account-list")).content.decode()

    assert reverse("web:account-create") in page
    assert reverse("web:account-edit", args=[_account(ledger, "1000").pk]) in page

    manager = Client()
    manager.force_login(make_user("management"))
    page = manager.get(reverse("web:account-list")).content.decode()
    assert reverse("web:account-create") not in page
    assert manager.get(reverse("web:account-create")).status_code == 403


def test_an_account_is_created_from_the_form(fin: Client, ledger: Any) -> None:
    response = fin.post(
        reverse("web:account-create"),
        {"code": "1020", "name": "Savings", "account_type": "asset", "role": "bank", "is_reconcilable": "on"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("web:account-list")
    account = _account(ledger, "1020")
    assert (account.name, account.account_type, account.role, account.is_reconcilable, account.currency) == (
        "Savings",
        "asset",
        "bank",
        True,
        "",
    )


def test_a_refused_account_shows_the_error_on_its_field_and_writes_nothing(fin: Client, ledger: Any) -> None:
    audit_rows = AuditEntry.objects.count()

    response = fin.post(
        reverse("web:account-create"), {"code": "1000", "name": "Bank 2", "account_type": "asset"}
    )

    assert response.status_code == 422
    assert "Account 1000 exists already." in response.content.decode()
    assert Account.objects.filter(company=ledger, name="Bank 2").count() == 0
    assert AuditEntry.objects.count() == audit_rows


def test_an_account_is_edited_and_keeps_its_code_once_posted(
    fin: Client, ledger: Any, accountant: Any
) -> None:
    rent = _account(ledger, "6100")
    gen = Journal.objects.get(company=ledger, code="GEN")
    entry = services.entry_create(
        actor=accountant,
        journal_id=gen.pk,
        date=dt.date(2026, 3, 1),
        lines=[
            {"account_id": rent.pk, "debit": Decimal("10.00")},
            {"account_id": _account(ledger, "1150").pk, "credit": Decimal("10.00")},
        ],
    )
    services.entry_post(actor=accountant, entry_id=entry.pk)
    url = reverse("web:account-edit", args=[rent.pk])
    assert 'value="6100"' in fin.get(url).content.decode()

    refused = fin.post(url, {"code": "6101", "name": "Rent", "account_type": "expense", "role": "expense"})
    assert refused.status_code == 422
    assert "The account has posted entries; this cannot change any more." in refused.content.decode()

    saved = fin.post(
        url, {"code": "6100", "name": "Office rent", "account_type": "expense", "role": "expense"}
    )
    assert saved.status_code == 302
    rent.refresh_from_db()
    assert (rent.code, rent.name) == ("6100", "Office rent")


def test_an_account_is_archived_and_restored_and_a_refusal_is_a_message(fin: Client, ledger: Any) -> None:
    prepaid = _account(ledger, "1400")
    archive = reverse("web:account-archive", args=[prepaid.pk])

    assert fin.post(archive, {"archived": "1"}).status_code == 302
    prepaid.refresh_from_db()
    assert prepaid.is_active is False
    assert fin.post(archive, {"archived": "0"}).status_code == 302
    prepaid.refresh_from_db()
    assert prepaid.is_active is True

    bank = _account(ledger, "1000")
    refused = fin.post(reverse("web:account-archive", args=[bank.pk]), {"archived": "1"}, follow=True)
    assert "The account is the default account of journal(s) BNK." in refused.content.decode()
    bank.refresh_from_db()
    assert bank.is_active is True


# ----------------------------------------------------------------------------- journals


def test_journals_are_listed_created_and_edited_with_their_bank_details(fin: Client, ledger: Any) -> None:
    assert "BNK" in fin.get(reverse("web:journal-list")).content.decode()

    created = fin.post(
        reverse("web:journal-create"),
        {
            "code": "BNK2",
            "name": "Savings",
            "kind": "bank",
            "default_account_id": str(_account(ledger, "1000").pk),
            "bank_account": "NL91 ABNA 0417 1643 00",
            "bank_bic": "abnanl2a",
        },
    )
    assert created.status_code == 302
    journal = Journal.objects.get(company=ledger, code="BNK2")
    assert (journal.sequence_code, journal.bank_account, journal.bank_bic) == (
        "journal-bnk2",
        IBAN,
        "ABNANL2A",
    )

    url = reverse("web:journal-edit", args=[journal.pk])
    refused = fin.post(
        url,
        {
            "name": "Savings",
            "default_account_id": str(_account(ledger, "1000").pk),
            "bank_account": "NL00ABNA0417164300",
        },
    )
    assert refused.status_code == 422
    assert "Not a valid IBAN." in refused.content.decode()
    saved = fin.post(
        url,
        {"name": "Deposits", "default_account_id": str(_account(ledger, "1010").pk), "bank_account": IBAN},
    )
    assert saved.status_code == 302
    journal.refresh_from_db()
    assert (journal.name, journal.default_account_id, journal.bank_account, journal.bank_bic) == (
        "Deposits",
        _account(ledger, "1010").pk,
        IBAN,
        "",
    )


# ----------------------------------------------------------------------------- taxes


def test_taxes_are_listed_created_edited_and_archived(fin: Client, ledger: Any) -> None:
    assert "V21" in fin.get(reverse("web:tax-list")).content.decode()

    created = fin.post(
        reverse("web:tax-create"),
        {
            "code": "V13",
            "name": "VAT 13%",
            "scope": "sale",
            "treatment": "other_rate",
            "rate": "13",
            "account_id": str(_account(ledger, "2100").pk),
            "base_tag": "1c-base",
            "tax_tag": "1c-tax",
        },
    )
    assert created.status_code == 302
    tax = Tax.objects.get(company=ledger, code="V13")
    assert (tax.rate, tax.account_id, tax.base_tag, tax.tax_tag) == (
        Decimal(13),
        _account(ledger, "2100").pk,
        "1c-base",
        "1c-tax",
    )

    url = reverse("web:tax-edit", args=[tax.pk])
    refused = fin.post(
        url, {"name": "VAT 13%", "rate": "13", "account_id": "", "base_tag": "1c-base", "tax_tag": "1c-tax"}
    )
    assert refused.status_code == 422
    assert "A tax with a rate needs the account it books to." in refused.content.decode()
    saved = fin.post(
        url,
        {
            "name": "VAT 13.5%",
            "rate": "13.5",
            "account_id": str(_account(ledger, "2100").pk),
            "base_tag": "1c-base",
            "tax_tag": "1c-tax",
        },
    )
    assert saved.status_code == 302
    tax.refresh_from_db()
    assert (tax.name, tax.rate) == ("VAT 13.5%", Decimal("13.5"))

    assert fin.post(reverse("web:tax-archive", args=[tax.pk]), {"archived": "1"}).status_code == 302
    tax.refresh_from_db()
    assert tax.is_active is False


# ----------------------------------------------------------------------------- payment terms


def test_a_payment_term_is_created_with_instalment_rows_and_edited(fin: Client, ledger: Any) -> None:
    assert "30 days" in fin.get(reverse("web:payment-term-list")).content.decode()
    form = fin.get(reverse("web:payment-term-create")).content.decode()
    assert form.count('name="instalments-') == 18  # six rows of three fields

    short = fin.post(
        reverse("web:payment-term-create"),
        {"name": "Split", **_instalment_rows(("40", "0", False), ("50", "30", False))},
    )
    assert short.status_code == 422
    assert "The instalments add up to 90%; they must add up to 100%." in short.content.decode()
    assert not PaymentTerm.objects.filter(company=ledger, name="Split").exists()

    created = fin.post(
        reverse("web:payment-term-create"),
        {"name": "Split", **_instalment_rows(("40", "0", False), ("", "", False), ("60", "30", True))},
    )
    assert created.status_code == 302
    term = PaymentTerm.objects.get(company=ledger, name="Split")
    assert [(x.sequence, x.percent, x.days, x.end_of_month) for x in term.lines.all()] == [
        (1, Decimal(40), 0, False),
        (2, Decimal(60), 30, True),
    ]

    url = reverse("web:payment-term-edit", args=[term.pk])
    assert 'value="40"' in fin.get(url).content.decode()
    bad_row = fin.post(url, {"name": "Split", **_instalment_rows(("100", "0", False), ("0", "5", False))})
    assert bad_row.status_code == 422
    assert "More than 0 and at most 100." in bad_row.content.decode()
    saved = fin.post(url, {"name": "Later", **_instalment_rows(("100", "45", False))})
    assert saved.status_code == 302
    term.refresh_from_db()
    assert term.name == "Later"
    assert [(x.percent, x.days) for x in term.lines.all()] == [(Decimal(100), 45)]

    assert fin.post(reverse("web:payment-term-archive", args=[term.pk]), {"archived": "1"}).status_code == 302
    term.refresh_from_db()
    assert term.is_active is False


# ----------------------------------------------------------------------------- settings and access


def test_the_tax_rounding_is_changed_and_a_stale_form_is_refused(fin: Client, ledger: Any) -> None:
    url = reverse("web:finance-settings")
    assert (
        'value="per_line" checked' in fin.get(url).content.decode()
        or "checked" in fin.get(url).content.decode()
    )

    assert fin.post(url, {"tax_rounding": "per_document", "version": "1"}).status_code == 302
    settings = FinanceSettings.objects.get(company=ledger)
    assert (settings.tax_rounding, settings.version) == ("per_document", 2)

    stale = fin.post(url, {"tax_rounding": "per_line", "version": "1"})
    assert stale.status_code == 422
    assert "Someone else changed this in the meantime" in stale.content.decode()
    settings.refresh_from_db()
    assert settings.tax_rounding == "per_document"


def test_the_settings_menu_shows_the_pages_to_finance_only(fin: Client, make_user: Any) -> None:
    page = fin.get(reverse("web:home")).content.decode()
    for name in ("web:journal-list", "web:tax-list", "web:payment-term-list", "web:finance-settings"):
        assert reverse(name) in page

    sales = Client()
    sales.force_login(make_user("sales"))
    page = sales.get(reverse("web:home")).content.decode()
    for name in ("web:journal-list", "web:tax-list", "web:payment-term-list", "web:finance-settings"):
        assert reverse(name) not in page
        assert sales.get(reverse(name)).status_code == 403


def test_another_company_s_records_are_not_found(ledger: Any, make_user: Any, other_company: Any) -> None:
    other = make_user("finance", in_company=other_company)
    services.chart_install(actor=other, template="generic")
    client = Client()
    client.force_login(other)
    tax = Tax.objects.get(company=ledger, code="V21")
    term = PaymentTerm.objects.get(company=ledger, name="30 days")
    journal = Journal.objects.get(company=ledger, code="GEN")
    account = _account(ledger, "1400")

    for url in (
        reverse("web:account-edit", args=[account.pk]),
        reverse("web:journal-edit", args=[journal.pk]),
        reverse("web:tax-edit", args=[tax.pk]),
        reverse("web:payment-term-edit", args=[term.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("web:account-archive", args=[account.pk]), {"archived": "1"}).status_code == 404
    )
    assert client.post(reverse("web:tax-archive", args=[tax.pk]), {"archived": "1"}).status_code == 404
    assert (
        client.post(reverse("web:payment-term-archive", args=[term.pk]), {"archived": "1"}).status_code == 404
    )
    account.refresh_from_db()
    assert account.is_active is True
