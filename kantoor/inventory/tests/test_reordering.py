"""Reorder rules and the reorder check: a forecast below the minimum proposes what brings
the product back to its maximum, once a day at most."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from kantoor.catalog.models import ProductKind
from kantoor.core.errors import NotFoundError, PermissionDeniedError
from kantoor.core.models import AuditEntry, OutboxEvent
from kantoor.inventory import services
from kantoor.inventory.models import ReorderRule
from kantoor.inventory.reordering import (
    Proposal,
    ReorderRuleInvalidError,
    reorder_check,
    reorder_rule_delete,
    reorder_rule_set,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair(make_product: Any, receive: Any) -> Any:
    product = make_product("CHAIR")
    receive((product, "3", "10"))
    return product


@pytest.fixture
def rule(storekeeper: Any, warehouse: Any, chair: Any) -> ReorderRule:
    return reorder_rule_set(
        actor=storekeeper, warehouse_id=warehouse.pk, product_id=chair.pk, min_quantity="5", max_quantity="20"
    )


def _proposals() -> list[dict[str, Any]]:
    return [
        {k: v for k, v in row.items() if k != "event_id"}
        for row in OutboxEvent.objects.filter(name="inventory.StockBelowMinimum")
        .order_by("id")
        .values_list("payload", flat=True)
    ]


def test_a_forecast_below_the_minimum_proposes_up_to_the_maximum(
    rule: ReorderRule, company: Any, warehouse: Any, chair: Any
) -> None:
    proposals = reorder_check(company_id=company.pk)
    assert proposals == [
        Proposal(
            rule_id=rule.pk,
            product_id=chair.pk,
            warehouse_id=warehouse.pk,
            forecast=Decimal("3"),
            quantity=Decimal("17"),
            route="buy",
        )
    ]
    assert _proposals() == [
        {
            "company_id": company.pk,
            "rule_id": rule.pk,
            "product_id": chair.pk,
            "warehouse_id": warehouse.pk,
            "quantity": "17",
            "route": "buy",
        }
    ]
    rule.refresh_from_db()
    assert rule.last_proposed_at is not None


def test_no_second_proposal_within_a_day(rule: ReorderRule, company: Any) -> None:
    reorder_check(company_id=company.pk)
    assert reorder_check(company_id=company.pk) == []
    assert len(_proposals()) == 1
    ReorderRule.objects.filter(pk=rule.pk).update(last_proposed_at=timezone.now() - dt.timedelta(hours=25))
    assert [p.quantity for p in reorder_check(company_id=company.pk)] == [Decimal("17")]
    assert len(_proposals()) == 2


def test_incoming_goods_count_and_outgoing_ones_are_taken_off(
    rule: ReorderRule,
    company: Any,
    storekeeper: Any,
    warehouse: Any,
    supplier: Any,
    customer: Any,
    chair: Any,
) -> None:
    services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        party_id=supplier.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="4")],
    )
    assert reorder_check(company_id=company.pk) == []  # 3 + 4 = 7, not below 5
    delivery = services.transfer_create(
        actor=storekeeper,
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="3")],
    )
    services.transfer_confirm(actor=storekeeper, transfer_id=delivery.pk)
    assert [(p.forecast, p.quantity) for p in reorder_check(company_id=company.pk)] == [
        (Decimal("4"), Decimal("16"))
    ]


def test_inactive_rules_and_other_companies_are_left_alone(
    rule: ReorderRule, company: Any, other_company: Any
) -> None:
    assert reorder_check(company_id=other_company.pk) == []
    ReorderRule.objects.filter(pk=rule.pk).update(is_active=False)
    assert reorder_check(company_id=company.pk) == []
    assert _proposals() == []


def test_setting_a_rule_again_changes_it(
    rule: ReorderRule, storekeeper: Any, warehouse: Any, chair: Any
) -> None:
    again = reorder_rule_set(
        actor=storekeeper,
        warehouse_id=warehouse.pk,
        product_id=chair.pk,
        min_quantity="2",
        max_quantity="8",
        route="manufacture",
    )
    assert again.pk == rule.pk
    assert (again.min_quantity, again.max_quantity, again.route, again.version) == (
        Decimal("2"),
        Decimal("8"),
        "manufacture",
        2,
    )
    audit = AuditEntry.objects.filter(action="inventory.reorder_rule_set").order_by("id").last()
    assert audit is not None
    assert audit.changes == {
        "min_quantity": ["5", "2"],
        "max_quantity": ["20", "8"],
        "route": ["buy", "manufacture"],
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_quantity": "10", "max_quantity": "5"}, "max_quantity"),
        ({"min_quantity": "-1"}, "min_quantity"),
        ({"max_quantity": "abc"}, "max_quantity"),
        ({"min_quantity": "1.00001"}, "min_quantity"),
        ({"route": "steal"}, "route"),
        ({"warehouse_id": 999_999}, "warehouse_id"),
        ({"product_id": 999_999}, "product_id"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_written(
    storekeeper: Any, warehouse: Any, chair: Any, changes: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "warehouse_id": warehouse.pk,
        "product_id": chair.pk,
        "min_quantity": "1",
        "max_quantity": "5",
        "route": "buy",
        **changes,
    }
    with pytest.raises(ReorderRuleInvalidError) as raised:
        reorder_rule_set(actor=storekeeper, **values)
    assert list(raised.value.field_errors) == [field]
    assert ReorderRule.objects.count() == 0


def test_a_service_product_has_no_rule(storekeeper: Any, warehouse: Any, make_product: Any) -> None:
    advice = make_product("ADVICE", kind=ProductKind.SERVICE)
    with pytest.raises(ReorderRuleInvalidError):
        reorder_rule_set(
            actor=storekeeper, warehouse_id=warehouse.pk, product_id=advice.pk, min_quantity=1, max_quantity=2
        )
    assert ReorderRule.objects.count() == 0


@pytest.mark.parametrize("role", ["", "sales", "finance"])
def test_only_operations_sets_rules(make_user: Any, warehouse: Any, chair: Any, role: str) -> None:
    actor = make_user(*([role] if role else []))
    with pytest.raises(PermissionDeniedError):
        reorder_rule_set(
            actor=actor, warehouse_id=warehouse.pk, product_id=chair.pk, min_quantity=1, max_quantity=2
        )
    assert ReorderRule.objects.count() == 0


def test_deleting_a_rule(rule: ReorderRule, storekeeper: Any, make_user: Any, other_company: Any) -> None:
    stranger = make_user("operations", in_company=other_company)
    with pytest.raises(NotFoundError):
        reorder_rule_delete(actor=stranger, rule_id=rule.pk)
    reorder_rule_delete(actor=storekeeper, rule_id=rule.pk)
    assert ReorderRule.objects.count() == 0
    assert AuditEntry.objects.filter(action="inventory.reorder_rule_delete").count() == 1


def test_the_command_runs_the_check(rule: ReorderRule, company: Any, chair: Any) -> None:
    out = io.StringIO()
    call_command("stock", "reorder", stdout=out)
    assert f"company {company.pk}: rule {rule.pk} proposes 17 of product {chair.pk} (buy)" in out.getvalue()
    assert "1 proposal(s)" in out.getvalue()
    out = io.StringIO()
    call_command("stock", "reorder", "--company", str(company.pk), stdout=out)
    assert "0 proposal(s)" in out.getvalue()
