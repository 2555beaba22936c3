"""The finance configuration services (configuration.py): accounts, journals, taxes, payment
terms and the tax rounding — exact results, an audit row per change, and refusals that
name the field and write nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.forms.models import model_to_dict

from kantoor.core.errors import (
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from kantoor.core.models import AuditEntry
from kantoor.finance import configuration, services
from kantoor.finance.errors import (
    AccountInUseError,
    AccountInvalidError,
    FinanceSettingsInvalidError,
    JournalInvalidError,
    PaymentTermInvalidError,
    TaxInUseError,
    TaxInvalidError,
)
from kantoor.finance.models import (
    Account,
    FinanceSettings,
    Journal,
    PaymentTerm,
    PaymentTermLine,
    Tax,
)
from kantoor.finance.tests.conftest import line as entry_line
from kantoor.finance.tests.invoicing_support import invoice, line, party, tax, term

pytestmark = pytest.mark.django_db

D = Decimal
IBAN = "NL91ABNA0417164300"


@pytest.fixture
def fin(ledger: Any, accountant: Any) -> Any:
    return accountant


def _state() -> list[Any]:
    rows: list[Any] = []
    for model in (Account, Journal, Tax, PaymentTerm, PaymentTermLine, FinanceSettings):
        rows.append([model_to_dict(obj) for obj in model.objects.order_by("pk")])
    rows.append(AuditEntry.objects.count())
    return rows


@contextmanager
def refused(error: type[DomainError], **field_errors: list[str]) -> Iterator[None]:
    """The block raises `error` with exactly these field errors, and writes nothing."""
    before = _state()
    with pytest.raises(error) as caught:
        yield
    if field_errors:
        assert caught.value.field_errors == field_errors
    assert _state() == before


def _audit(action: str) -> dict[str, Any]:
    entry = AuditEntry.objects.filter(action=action).order_by("pk").last()
    assert entry is not None
    return dict(entry.changes)


# ----------------------------------------------------------------------------- accounts


def test_an_account_is_created_with_its_fields_and_audited(fin: Any) -> None:
    account = configuration.account_create(
        actor=fin,
        code=" 1020 ",
        name="Savings",
        account_type="asset",
        role="bank",
        reference_code="BLimBan",
        is_reconcilable=True,
        currency="usd",
    )

    account.refresh_from_db()
    assert (account.code, account.name, account.account_type, account.role) == (
        "1020",
        "Savings",
        "asset",
        "bank",
    )
    assert (account.reference_code, account.is_reconcilable, account.is_active, account.currency) == (
        "BLimBan",
        True,
        True,
        "USD",
    )
    assert _audit("finance.account_create") == {
        "code": "1020",
        "name": "Savings",
        "account_type": "asset",
        "role": "bank",
        "reference_code": "BLimBan",
        "is_reconcilable": True,
        "currency": "USD",
    }


def test_an_account_code_is_unique_per_company_and_bad_fields_are_named(fin: Any) -> None:
    with refused(AccountInvalidError, code=["Account 1000 exists already."]):
        configuration.account_create(actor=fin, code="1000", name="Other bank", account_type="asset")
    with refused(AccountInvalidError):
        configuration.account_create(actor=fin, code="", name="", account_type="nonsense", currency="XYZ")
    with pytest.raises(AccountInvalidError) as caught:
        configuration.account_create(actor=fin, code="12 34", name=" ", account_type="nonsense", role="boss")
    assert sorted(caught.value.field_errors) == ["account_type", "code", "name", "role"]
    with refused(
        AccountInvalidError,
        is_reconcilable=["A receivable or payable account must be reconcilable: invoices are matched on it."],
    ):
        configuration.account_create(
            actor=fin, code="1101", name="Debtors 2", account_type="asset", role="receivable"
        )


def test_the_same_code_in_another_company_is_fine(fin: Any, make_user: Any, other_company: Any) -> None:
    other = make_user("finance", in_company=other_company)
    services.chart_install(actor=other, template="generic")

    account = configuration.account_create(actor=other, code="9999", name="Mine", account_type="expense")
    assert (
        configuration.account_create(actor=fin, code="9999", name="Mine too", account_type="expense").pk
        != account.pk
    )


def test_an_unused_account_changes_freely(fin: Any, acct: Any) -> None:
    account = acct("1150")

    configuration.account_update(
        actor=fin,
        account_id=account.pk,
        code="1160",
        name="Deposits",
        account_type="asset",
        role="",
        reference_code="BVorOvr",
        is_reconcilable=True,
    )

    account.refresh_from_db()
    assert (account.code, account.name, account.reference_code, account.is_reconcilable) == (
        "1160",
        "Deposits",
        "BVorOvr",
        True,
    )
    assert _audit("finance.account_update") == {
        "code": ["1150", "1160"],
        "name": ["Other receivables", "Deposits"],
        "reference_code": ["", "BVorOvr"],
        "is_reconcilable": [False, True],
    }


def test_an_account_with_posted_lines_keeps_its_code_and_type_and_cannot_become_reconcilable(
    fin: Any, acct: Any, posted: Any
) -> None:
    posted("100.00", debit="6100", credit="1150")
    account = acct("6100")

    with refused(AccountInUseError, code=["The account has posted entries; this cannot change any more."]):
        configuration.account_update(actor=fin, account_id=account.pk, code="6101")
    with refused(
        AccountInUseError, account_type=["The account has posted entries; this cannot change any more."]
    ):
        configuration.account_update(actor=fin, account_id=account.pk, account_type="asset")
    with refused(
        AccountInUseError,
        is_reconcilable=["The account has posted entries without open items; it cannot become reconcilable."],
    ):
        configuration.account_update(actor=fin, account_id=account.pk, is_reconcilable=True)

    # its name, role and reference code still change; sending the same code is no change
    configuration.account_update(actor=fin, account_id=account.pk, code="6100", name="Office rent", role="")
    account.refresh_from_db()
    assert (account.code, account.name, account.role) == ("6100", "Office rent", "")


def test_an_account_with_open_items_stays_reconcilable_until_they_are_settled(
    fin: Any, acct: Any, posted: Any, accountant: Any, journal: Any
) -> None:
    customer = party(fin)
    services.entry_post(
        actor=fin,
        entry_id=services.entry_create(
            actor=fin,
            journal_id=journal("GEN").pk,
            date=dt.date(2026, 3, 1),
            lines=[
                entry_line(acct("1100"), debit="50.00", party_id=customer.pk),
                entry_line(acct("4000"), credit="50.00"),
            ],
        ).pk,
    )
    # the receivable role demands reconcilable; a plain reconcilable account shows the open-item rule
    configuration.account_update(actor=fin, account_id=acct("1100").pk, role="")

    with refused(AccountInUseError, is_reconcilable=["The account has open items; settle them first."]):
        configuration.account_update(actor=fin, account_id=acct("1100").pk, is_reconcilable=False)
    with refused(AccountInvalidError):
        configuration.account_update(actor=fin, account_id=acct("2000").pk, is_reconcilable=False)
    with refused(AccountInvalidError, currency=["Cannot be changed."]):
        configuration.account_update(actor=fin, account_id=acct("2000").pk, currency="USD")


def test_archiving_refuses_a_balance_a_journal_default_and_a_tax_account(
    fin: Any, acct: Any, posted: Any
) -> None:
    posted("80.00", debit="6300", credit="1150")

    with refused(AccountInUseError, archived=["The account has a balance of 80.00; it must be zero."]):
        configuration.account_archive(actor=fin, account_id=acct("6300").pk)
    with refused(AccountInUseError, archived=["The account is the default account of journal(s) BNK."]):
        configuration.account_archive(actor=fin, account_id=acct("1000").pk)
    with refused(AccountInUseError, archived=["Taxes I21, I9, IEUD, IEUG, IIMP, IVERL book to the account."]):
        configuration.account_archive(actor=fin, account_id=acct("1300").pk)

    # a zero balance (80 back) archives, and restores
    posted("80.00", debit="1150", credit="6300")
    archived = configuration.account_archive(actor=fin, account_id=acct("6300").pk)
    assert archived.is_active is False
    assert _audit("finance.account_archive") == {"is_active": [True, False]}
    assert (
        configuration.account_archive(actor=fin, account_id=acct("6300").pk, archived=False).is_active is True
    )
    assert _audit("finance.account_restore") == {"is_active": [False, True]}


def test_only_finance_manages_accounts_and_another_company_s_are_not_found(
    fin: Any, acct: Any, make_user: Any, outsider: Any
) -> None:
    manager = make_user("management")
    with refused(PermissionDeniedError):
        configuration.account_create(actor=manager, code="7000", name="X", account_type="expense")
    with refused(PermissionDeniedError):
        configuration.account_update(actor=manager, account_id=acct("6100").pk, name="X")
    with refused(NotFoundError):
        configuration.account_update(actor=outsider, account_id=acct("6100").pk, name="X")
    with refused(NotFoundError):
        configuration.account_archive(actor=fin, account_id=10**9)


# ----------------------------------------------------------------------------- journals


def test_a_journal_is_created_with_its_own_sequence_and_bank_details(fin: Any, acct: Any) -> None:
    journal = configuration.journal_create(
        actor=fin,
        code="BNK2",
        name="Savings",
        kind="bank",
        default_account_id=acct("1000").pk,
        bank_account="nl91 abna 0417 1643 00",
        bank_bic="abnanl2a",
    )

    journal.refresh_from_db()
    assert (journal.code, journal.kind, journal.sequence_code) == ("BNK2", "bank", "journal-bnk2")
    assert (journal.default_account_id, journal.bank_account, journal.bank_bic) == (
        acct("1000").pk,
        IBAN,
        "ABNANL2A",
    )
    assert _audit("finance.journal_create")["sequence_code"] == "journal-bnk2"


def test_journal_refusals_name_their_field(fin: Any, acct: Any) -> None:
    with refused(JournalInvalidError, code=["Journal bnk exists already."]):
        configuration.journal_create(actor=fin, code="bnk", name="Bank", kind="general")
    with refused(
        JournalInvalidError, default_account_id=["A bank or cash journal needs its bank or cash account."]
    ):
        configuration.journal_create(actor=fin, code="CSH2", name="Till", kind="cash")
    with refused(JournalInvalidError, bank_account=["Only a bank journal has a bank account."]):
        configuration.journal_create(actor=fin, code="G2", name="Memo", kind="general", bank_account=IBAN)
    with refused(JournalInvalidError, bank_account=["Not a valid IBAN."], bank_bic=["Not a valid BIC."]):
        configuration.journal_create(
            actor=fin,
            code="B3",
            name="B",
            kind="bank",
            default_account_id=acct("1000").pk,
            bank_account="NL91ABNA0417164301",
            bank_bic="AB",
        )
    with refused(JournalInvalidError):
        configuration.journal_create(actor=fin, code="A B", name="", kind="loans", default_account_id=10**9)


def test_a_journal_changes_its_name_default_account_and_bank_details(
    fin: Any, acct: Any, journal: Any, posted: Any
) -> None:
    posted("10.00", journal_code="GEN")
    general = journal("GEN")

    configuration.journal_update(
        actor=fin, journal_id=general.pk, name="Memorial", default_account_id=acct("1900").pk
    )
    general.refresh_from_db()
    assert (general.name, general.default_account_id, general.sequence_code) == (
        "Memorial",
        acct("1900").pk,
        "journal-gen",
    )
    assert _audit("finance.journal_update") == {
        "name": ["General", "Memorial"],
        "default_account": [None, acct("1900").pk],
    }

    bank = configuration.journal_update(
        actor=fin, journal_id=journal("BNK").pk, bank_account=IBAN, bank_bic="ABNANL2AXXX"
    )
    assert (bank.bank_account, bank.bank_bic) == (IBAN, "ABNANL2AXXX")
    with refused(
        JournalInvalidError, default_account_id=["A bank or cash journal needs its bank or cash account."]
    ):
        configuration.journal_update(actor=fin, journal_id=bank.pk, default_account_id=None)
    with refused(JournalInvalidError, bank_account=["Only a bank journal has a bank account."]):
        configuration.journal_update(actor=fin, journal_id=general.pk, bank_account=IBAN)
    with refused(JournalInvalidError, kind=["Cannot be changed."]):
        configuration.journal_update(actor=fin, journal_id=general.pk, kind="bank")


def test_iban_and_bic_are_judged_as_the_ledger_s_bank_details_service_judges_them(
    fin: Any, journal: Any
) -> None:
    bank = journal("BNK")
    for iban, bic in ((IBAN, "ABNANL2A"), ("GB82 WEST 1234 5698 7654 32", "deutdeff500"), ("", "")):
        services.journal_bank_details_set(actor=fin, journal_id=bank.pk, bank_account=iban, bank_bic=bic)
        bank.refresh_from_db()
        expected = (bank.bank_account, bank.bank_bic)
        assert configuration.bank_details_clean(iban, bic, {}) == expected
    # the last two: schwifty would accept them, the ledger's service does not
    refused_details = (
        ("NL91ABNA0417164301", "ABNANL2"),
        ("XX00", "ABNAXX2A"),
        ("BE68539007547034", "1234NL2A"),
    )
    for iban, bic in refused_details:
        errors: dict[str, list[str]] = {}
        configuration.bank_details_clean(iban, bic, errors)
        with pytest.raises(JournalInvalidError) as caught:
            services.journal_bank_details_set(actor=fin, journal_id=bank.pk, bank_account=iban, bank_bic=bic)
        assert errors == caught.value.field_errors


# ----------------------------------------------------------------------------- taxes


def test_a_tax_is_created_with_its_accounts_and_boxes(fin: Any, acct: Any) -> None:
    created = configuration.tax_create(
        actor=fin,
        code="V13",
        name="VAT 13%",
        scope="sale",
        treatment="other_rate",
        rate="13",
        account_id=acct("2100").pk,
        base_tag="1c-base",
        tax_tag="1c-tax",
    )

    created.refresh_from_db()
    assert (created.code, created.scope, created.treatment, created.rate) == (
        "V13",
        "sale",
        "other_rate",
        D("13"),
    )
    assert (created.account_id, created.reverse_account_id) == (acct("2100").pk, None)
    assert (created.base_tag, created.tax_tag, created.reverse_tag, created.is_active) == (
        "1c-base",
        "1c-tax",
        "",
        True,
    )
    assert _audit("finance.tax_create")["rate"] == "13.0000"


def test_tax_refusals_name_their_field(fin: Any, acct: Any) -> None:
    with refused(TaxInvalidError, code=["Tax v21 exists already."]):
        configuration.tax_create(
            actor=fin,
            code="v21",
            name="x",
            scope="sale",
            treatment="standard",
            rate="21",
            account_id=acct("2100").pk,
        )
    with refused(TaxInvalidError, account_id=["A tax with a rate needs the account it books to."]):
        configuration.tax_create(
            actor=fin, code="V5", name="x", scope="sale", treatment="other_rate", rate="5"
        )
    with refused(TaxInvalidError, rate=["A rate lies from 0 up to 100 (not included)."]):
        configuration.tax_create(
            actor=fin,
            code="V5",
            name="x",
            scope="sale",
            treatment="other_rate",
            rate="100",
            account_id=acct("2100").pk,
        )
    with refused(TaxInvalidError, rate=["At most 4 decimals."]):
        configuration.tax_create(
            actor=fin,
            code="V5",
            name="x",
            scope="sale",
            treatment="other_rate",
            rate="5.00001",
            account_id=acct("2100").pk,
        )
    with refused(TaxInvalidError, rate=["Enter a percentage, e.g. 21."]):
        configuration.tax_create(
            actor=fin,
            code="V5",
            name="x",
            scope="sale",
            treatment="other_rate",
            rate="NaN",
            account_id=acct("2100").pk,
        )
    base_boxes = (
        "1a-base, 1b-base, 1c-base, 1d-base, 1e-base, 2a-base, 3a-base, 3b-base, 3c-base, 4a-base, 4b-base"
    )
    with refused(TaxInvalidError, base_tag=[f"Choose one of: {base_boxes}."]):
        configuration.tax_create(
            actor=fin, code="V5", name="x", scope="sale", treatment="other_rate", rate="0", base_tag="1a-tax"
        )
    with refused(TaxInvalidError, reverse_tag=["A reverse-charge box needs a reverse-charge account."]):
        configuration.tax_create(
            actor=fin,
            code="V5",
            name="x",
            scope="sale",
            treatment="other_rate",
            rate="0",
            reverse_tag="4a-tax",
        )
    with refused(TaxInvalidError, reverse_tag=["Choose the box of the self-assessed VAT."]):
        configuration.tax_create(
            actor=fin,
            code="I5",
            name="x",
            scope="purchase",
            treatment="eu_goods",
            rate="5",
            account_id=acct("1300").pk,
            reverse_account_id=acct("2100").pk,
        )
    with pytest.raises(TaxInvalidError) as caught:
        configuration.tax_create(actor=fin, code="", name="", scope="both", treatment="any", rate=1.5)
    assert sorted(caught.value.field_errors) == ["code", "name", "rate", "scope", "treatment"]


def test_a_tax_s_rate_changes_only_while_no_posted_invoice_uses_it(fin: Any, acct: Any) -> None:
    v9 = tax(fin, "V9")
    old_name = v9.name
    configuration.tax_update(actor=fin, tax_id=v9.pk, rate="9.5", name="Low rate")
    v9.refresh_from_db()
    assert (v9.rate, v9.name) == (D("9.5"), "Low rate")
    assert _audit("finance.tax_update") == {"name": [old_name, "Low rate"], "rate": ["9.0000", "9.5000"]}

    v21 = tax(fin, "V21")
    invoice(fin, party(fin), [line("Work", "1", "100.00", v21.pk)])
    with refused(
        TaxInUseError, rate=["Tax V21 is on posted invoices; its rate cannot change. Add a new tax instead."]
    ):
        configuration.tax_update(actor=fin, tax_id=v21.pk, rate="22")
    # the same rate, its name, account and boxes still change
    configuration.tax_update(
        actor=fin, tax_id=v21.pk, rate="21", name="High", tax_tag="1a-tax", account_id=acct("2110").pk
    )
    v21.refresh_from_db()
    assert (v21.rate, v21.name, v21.account_id) == (D(21), "High", acct("2110").pk)
    with refused(TaxInvalidError, scope=["Cannot be changed."]):
        configuration.tax_update(actor=fin, tax_id=v21.pk, scope="purchase")
    with refused(TaxInvalidError, account_id=["A tax with a rate needs the account it books to."]):
        configuration.tax_update(actor=fin, tax_id=v21.pk, account_id=None)


def test_a_tax_is_archived_and_restored(fin: Any, outsider: Any) -> None:
    v0 = tax(fin, "V0")
    assert configuration.tax_archive(actor=fin, tax_id=v0.pk).is_active is False
    assert _audit("finance.tax_archive") == {"is_active": [True, False]}
    assert configuration.tax_archive(actor=fin, tax_id=v0.pk, archived=False).is_active is True
    # sales (who read taxes) may not change them; another company's are not found
    sales = _sales(fin)
    with refused(PermissionDeniedError):
        configuration.tax_archive(actor=sales, tax_id=v0.pk)
    with refused(NotFoundError):
        configuration.tax_archive(actor=outsider, tax_id=v0.pk)


def _sales(fin: Any) -> Any:
    from kantoor.core.services import user_create

    return user_create(
        actor=None,
        company_id=fin.company_id,
        username="sam",
        password="x-Secret-123",
        email="sam@example.test",
        first_name="Sam",
        last_name="Sales",
        roles={"sales": "company"},
        team_ids=[],
        language="en",
    )


# ----------------------------------------------------------------------------- payment terms


def test_a_payment_term_is_created_with_instalments_adding_up_to_100(fin: Any) -> None:
    created = configuration.payment_term_create(
        actor=fin,
        name="Thirds",
        instalments=[("33.3333", 0, False), ("33.3333", 30, False), ("33.3334", 60, True)],
    )

    assert [(x.sequence, x.percent, x.days, x.end_of_month) for x in created.lines.order_by("sequence")] == [
        (1, D("33.3333"), 0, False),
        (2, D("33.3333"), 30, False),
        (3, D("33.3334"), 60, True),
    ]
    assert _audit("finance.payment_term_create") == {
        "name": "Thirds",
        "instalments": [["33.3333", 0, False], ["33.3333", 30, False], ["33.3334", 60, True]],
    }


def test_payment_term_refusals_name_their_field(fin: Any) -> None:
    with refused(
        PaymentTermInvalidError, instalments=["The instalments add up to 99.9999%; they must add up to 100%."]
    ):
        configuration.payment_term_create(actor=fin, name="Thirds", instalments=[("33.3333", 0, False)] * 3)
    with refused(PaymentTermInvalidError, name=["A payment term “30 DAYS” exists already."]):
        configuration.payment_term_create(actor=fin, name="30 DAYS", instalments=[("100", 30, False)])
    with refused(PaymentTermInvalidError, instalments=["Enter at least one instalment."]):
        configuration.payment_term_create(actor=fin, name="None", instalments=[])
    with refused(
        PaymentTermInvalidError,
        **{
            "instalments.0.percent": ["More than 0 and at most 100."],
            "instalments.1.days": ["Enter a number of days from 0 to 3660."],
            "instalments.2.end_of_month": ["Enter true or false."],
            "instalments.3.percent": ["Enter a percentage, e.g. 50."],
        },
    ):
        configuration.payment_term_create(
            actor=fin,
            name="Bad",
            instalments=[("0", 0, False), ("50", -1, False), ("50", 1, "yes"), (0.5, 1, False)],
        )


def test_a_payment_term_is_renamed_its_instalments_replaced_and_archived(fin: Any) -> None:
    thirty = term(fin, "30 days")

    configuration.payment_term_update(
        actor=fin,
        term_id=thirty.pk,
        name="Half and half",
        instalments=[{"percent": "50", "days": 0}, {"percent": "50", "days": 30, "end_of_month": True}],
    )

    thirty.refresh_from_db()
    assert thirty.name == "Half and half"
    assert [(x.sequence, x.percent, x.days, x.end_of_month) for x in thirty.lines.all()] == [
        (1, D(50), 0, False),
        (2, D(50), 30, True),
    ]
    assert _audit("finance.payment_term_update") == {
        "name": ["30 days", "Half and half"],
        "instalments": [[["100", 30, False]], [["50", 0, False], ["50", 30, True]]],
    }
    with refused(PaymentTermInvalidError, name=["A payment term “14 days” exists already."]):
        configuration.payment_term_update(actor=fin, term_id=thirty.pk, name="14 days")
    assert configuration.payment_term_archive(actor=fin, term_id=thirty.pk).is_active is False
    assert _audit("finance.payment_term_archive") == {"is_active": [True, False]}


# ----------------------------------------------------------------------------- settings


def test_the_tax_rounding_changes_with_the_version_read(fin: Any) -> None:
    settings = configuration.finance_settings_get(fin)
    assert (settings.tax_rounding, settings.version) == ("per_line", 1)

    changed = configuration.finance_settings_update(actor=fin, tax_rounding="per_document", version=1)

    assert (changed.tax_rounding, changed.version) == ("per_document", 2)
    assert _audit("finance.finance_settings_update") == {"tax_rounding": ["per_line", "per_document"]}
    with refused(StaleVersionError):
        configuration.finance_settings_update(actor=fin, tax_rounding="per_line", version=1)
    with refused(
        FinanceSettingsInvalidError,
        tax_rounding=["Choose one of: per_line, per_document, line_even, document_even."],
    ):
        configuration.finance_settings_update(actor=fin, tax_rounding="per_page", version=2)
    sales = _sales(fin)
    with refused(PermissionDeniedError):
        configuration.finance_settings_update(actor=sales, tax_rounding="per_line", version=2)


def test_reading_the_settings_of_a_company_without_them_writes_nothing(make_user: Any) -> None:
    newcomer = make_user("finance")
    before = _state()

    settings = configuration.finance_settings_get(newcomer)

    assert (settings.pk, settings.tax_rounding, settings.version) == (None, "per_line", 1)
    assert _state() == before
    changed = configuration.finance_settings_update(actor=newcomer, tax_rounding="per_document", version=1)
    assert (changed.tax_rounding, changed.version) == ("per_document", 2)
