"""Every writing ledger service, for anonymous, no role, a role without finance rights,
management (reads only), another company, and the allowed finance and admin users."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import OutboxEvent
from kantoor.finance import selectors, services
from kantoor.finance.errors import EntryInvalidError
from kantoor.finance.models import Account, FinanceSettings, FiscalYear, JournalEntry, JournalLine, Period
from kantoor.finance.tests.conftest import YEAR, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(ledger, accountant, admin_user, make_user, outsider, draft, posted):
    return {
        "draft": draft("10.00"),
        "posted": posted("20.00"),
        "period": Period.objects.get(company=ledger, number=3),
        "anonymous": AnonymousUser(),
        "no role": make_user(),
        "sales": make_user("sales"),
        "management": make_user("management"),
        "other company": outsider,
        "finance": accountant,
        "admin": admin_user,
    }


def state():
    return (
        list(JournalEntry.objects.order_by("pk").values()),
        list(JournalLine.objects.order_by("pk").values()),
        list(Period.objects.order_by("pk").values()),
        list(FinanceSettings.objects.order_by("pk").values()),
        FiscalYear.objects.count(),
        Account.objects.count(),
        OutboxEvent.objects.count(),
    )


def _lines(w):
    accounts = Account.objects.filter(company=w["draft"].company)
    return [line(accounts.get(code="6100"), debit="5"), line(accounts.get(code="1000"), credit="5")]


# Calls on one record of the company: who may not see it learns nothing of it (404).
ON_RECORD = {
    "entry_update": lambda a, w: services.entry_update(
        actor=a, entry_id=w["draft"].pk, version=1, narration="x"
    ),
    "entry_delete": lambda a, w: services.entry_delete(actor=a, entry_id=w["draft"].pk, version=1),
    "entry_post": lambda a, w: services.entry_post(actor=a, entry_id=w["draft"].pk, version=1),
    "entry_reverse": lambda a, w: services.entry_reverse(actor=a, entry_id=w["posted"].pk),
    "period_close": lambda a, w: services.period_close(actor=a, period_id=w["period"].pk),
    "period_reopen": lambda a, w: services.period_reopen(actor=a, period_id=w["period"].pk),
}
# Calls on the actor's own company.
ON_COMPANY = {
    "entry_create": lambda a, w: services.entry_create(
        actor=a, journal_id=w["draft"].journal_id, date=dt.date(YEAR, 3, 2), lines=_lines(w)
    ),
    "chart_install": lambda a, w: services.chart_install(actor=a, template="nl"),
    "fiscal_year_create": lambda a, w: services.fiscal_year_create(actor=a, year=YEAR + 1),
    "lock_date_set": lambda a, w: services.lock_date_set(actor=a, lock_date=dt.date(YEAR, 1, 31)),
}


@pytest.mark.parametrize("call", sorted(ON_RECORD))
@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("anonymous", PermissionDeniedError),
        ("no role", NotFoundError),
        ("sales", NotFoundError),
        ("other company", NotFoundError),
        ("management", PermissionDeniedError),
    ],
)
def test_refused_record_writes_change_nothing(world, call, who, refusal):
    before = state()
    with pytest.raises(refusal):
        ON_RECORD[call](world[who], world)
    assert state() == before


@pytest.mark.parametrize("call", sorted(ON_COMPANY))
@pytest.mark.parametrize("who", ["anonymous", "no role", "sales", "management"])
def test_refused_company_writes_change_nothing(world, call, who):
    before = state()
    with pytest.raises(PermissionDeniedError):
        ON_COMPANY[call](world[who], world)
    assert state() == before


def test_another_companys_journal_is_unknown(world):
    before = state()
    with pytest.raises(EntryInvalidError) as refused:
        ON_COMPANY["entry_create"](world["other company"], world)
    assert refused.value.field_errors == {"journal_id": ["Unknown journal."]}
    assert state() == before


@pytest.mark.parametrize("who", ["finance", "admin"])
@pytest.mark.parametrize("call", sorted(set(ON_RECORD) - {"period_reopen"}))
def test_allowed_record_writes(world, call, who):
    before = state()
    ON_RECORD[call](world[who], world)
    assert state() != before


@pytest.mark.parametrize("who", ["finance", "admin"])
def test_allowed_company_writes(world, who):
    entry = ON_COMPANY["entry_create"](world[who], world)
    assert entry.company_id == world["draft"].company_id
    assert ON_COMPANY["fiscal_year_create"](world[who], world).year == YEAR + 1
    assert ON_COMPANY["lock_date_set"](world[who], world).lock_date == dt.date(YEAR, 1, 31)


def test_management_reads_the_ledger_and_others_see_nothing(world):
    assert selectors.entries_visible(world["management"]).count() == 2
    rows = selectors.trial_balance_for_actor(world["management"])
    assert [(row.code, row.balance) for row in rows] == [
        ("1000", Decimal("-20.00")),
        ("6100", Decimal("20.00")),
    ]
    for who in ("no role", "sales", "other company", "anonymous"):
        assert selectors.entries_visible(world[who]).count() == 0
    with pytest.raises(PermissionDeniedError):
        selectors.trial_balance_for_actor(world["sales"])
