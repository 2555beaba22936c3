"""`kantoor ledger verify` also checks the stock: the stock value equals the stock accounts'
balance and each product's valuation the sum of its layers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from kantoor.catalog.models import CostingMethod
from kantoor.inventory.reports import valuation_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(make_product: Any, receive: Any, deliver: Any) -> dict[str, Any]:
    chair = make_product("CHAIR")
    toner = make_product("TONER", costing=CostingMethod.FIFO)
    receive((chair, "10", "25.50"), (toner, "4", "30"))
    deliver((chair, "3"), (toner, "1"))
    return {"chair": chair, "toner": toner}


def _verify() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("ledger", "verify", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def test_untouched_stock_reports_nothing(stocked: Any, company: Any) -> None:
    assert valuation_verify(company.pk) == []
    intact, output = _verify()
    assert intact, output
    assert "intact" in output


def test_a_company_without_stock_is_not_checked(company: Any) -> None:
    assert valuation_verify(company.pk) == []


def test_a_valuation_changed_behind_the_apps_back_is_reported(stocked: Any, company: Any) -> None:
    chair = stocked["chair"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_productvaluation SET value = value + 1 WHERE product_id = %s", [chair.pk]
        )
    assert valuation_verify(company.pk) == [
        "stock value 269.50 differs from the stock accounts' balance 268.50 by -1.00",
        "product CHAIR: valuation 7.0000 = 179.50, its layers add up to 7.0000 = 178.50",
    ]
    intact, output = _verify()
    assert not intact
    assert f"[company {company.pk}] stock-valuation: stock value 269.50 differs" in output
    assert "product CHAIR" in output


def test_the_check_of_one_company(stocked: Any, company: Any, other_company: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_productvaluation SET quantity = quantity - 1")
    out = io.StringIO()
    call_command("ledger", "verify", "--company", str(other_company.pk), stdout=out)
    assert "intact" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("ledger", "verify", "--company", str(company.pk), stdout=io.StringIO())
