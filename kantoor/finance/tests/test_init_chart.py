"""`kantoor init --chart`: the chart of accounts and the current fiscal year at installation."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from kantoor.finance.charts import GENERIC, NL
from kantoor.finance.models import Account, FiscalYear, Journal

pytestmark = pytest.mark.django_db

FLAGS = [
    "--company-name",
    "Molen & Co B.V.",
    "--admin-username",
    "anna",
    "--admin-email",
    "anna@molen.example",
    "--admin-password",
    "Zonnebloem-2026!",
    "--no-input",
    "--skip-migrate",
]


def run_init(*args: str) -> str:
    out = io.StringIO()
    call_command("init", *FLAGS, *args, stdout=out)
    return out.getvalue()


def test_a_dutch_company_gets_the_dutch_chart_by_default():
    output = run_init()
    assert Account.objects.count() == len(NL.accounts)
    assert Journal.objects.filter(code="VK").exists()
    assert FiscalYear.objects.count() == 1
    assert "Installed the Nederland (RGS) chart of accounts and opened fiscal year" in output


def test_the_chart_can_be_chosen_or_left_out():
    run_init("--chart", "generic")
    assert Account.objects.count() == len(GENERIC.accounts)


def test_no_chart():
    run_init("--chart", "none")
    assert not Account.objects.exists()
    assert not FiscalYear.objects.exists()
