"""Stock reports: on hand (reserved and available), the forecast, and the valuation beside
the stock accounts, with exact figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kantoor.catalog.models import CostingMethod
from kantoor.core.errors import PermissionDeniedError
from kantoor.core.tests.api_support import api_as, assert_problem
from kantoor.inventory import reports, services
from kantoor.inventory.reports import StockReportFilterError

pytestmark = pytest.mark.django_db
__all__ = ["api_as"]  # fixtures


@pytest.fixture
def stocked(
    storekeeper: Any,
    warehouse: Any,
    supplier: Any,
    customer: Any,
    make_product: Any,
    receive: Any,
    deliver: Any,
) -> dict[str, Any]:
    """CHAIR: 10 received at 25.50, 3 of them moved to a shelf, 4 promised to a confirmed
    delivery, 6 more on a draft receipt; 5 at 20 in a second warehouse. TONER (FIFO): 2 at
    30 and 2 at 40 received, 3 delivered (1 left, worth 40)."""
    chair = make_product("CHAIR")
    toner = make_product("TONER", costing=CostingMethod.FIFO)
    shelf = services.location_create(actor=storekeeper, parent_id=warehouse.stock_location_id, name="Shelf 1")
    receive((chair, "10", "25.50"), (toner, "2", "30"))
    receive((toner, "2", "40"))
    internal = services.transfer_create(
        actor=storekeeper,
        kind="internal",
        source_id=warehouse.stock_location_id,
        destination_id=shelf.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="3")],
    )
    services.transfer_confirm(actor=storekeeper, transfer_id=internal.pk)
    services.transfer_validate(actor=storekeeper, transfer_id=internal.pk)
    deliver((toner, "3"))
    promised = services.transfer_create(
        actor=storekeeper,
        kind="delivery",
        warehouse_id=warehouse.pk,
        party_id=customer.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="4")],
    )
    services.transfer_confirm(actor=storekeeper, transfer_id=promised.pk)
    services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=warehouse.pk,
        party_id=supplier.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="6", unit_cost="25")],
    )
    second = services.warehouse_create(actor=storekeeper, code="W2", name="Second warehouse")
    receipt = services.transfer_create(
        actor=storekeeper,
        kind="receipt",
        warehouse_id=second.pk,
        party_id=supplier.pk,
        lines=[services.MoveIn(product_id=chair.pk, quantity="5", unit_cost="20")],
    )
    services.transfer_validate(actor=storekeeper, transfer_id=receipt.pk)
    return {"chair": chair, "toner": toner, "shelf": shelf, "second": second}


def _figures(report: reports.OnHandReport) -> list[tuple[Any, ...]]:
    return [(row.sku, row.location, row.on_hand, row.reserved, row.available) for row in report.rows]


def test_on_hand_per_product_counts_every_own_location(stocked: Any, storekeeper: Any) -> None:
    report = reports.on_hand(actor=storekeeper)
    assert _figures(report) == [
        ("CHAIR", "", Decimal("15"), Decimal("4"), Decimal("11")),
        ("TONER", "", Decimal("1"), Decimal("0"), Decimal("1")),
    ]
    assert (report.count, report.pages, report.has_next) == (2, 1, False)


def test_on_hand_per_location_in_one_warehouse(stocked: Any, storekeeper: Any, warehouse: Any) -> None:
    report = reports.on_hand(actor=storekeeper, warehouse_id=warehouse.pk, by_location=True)
    assert _figures(report) == [
        ("CHAIR", "WH/Stock", Decimal("7"), Decimal("4"), Decimal("3")),
        ("CHAIR", "WH/Stock/Shelf 1", Decimal("3"), Decimal("0"), Decimal("3")),
        ("TONER", "WH/Stock", Decimal("1"), Decimal("0"), Decimal("1")),
    ]


def test_on_hand_at_a_location_and_by_search(stocked: Any, storekeeper: Any) -> None:
    shelf = reports.on_hand(actor=storekeeper, location_id=stocked["shelf"].pk)
    assert _figures(shelf) == [("CHAIR", "", Decimal("3"), Decimal("0"), Decimal("3"))]
    found = reports.on_hand(actor=storekeeper, search="ton")
    assert _figures(found) == [("TONER", "", Decimal("1"), Decimal("0"), Decimal("1"))]
    one = reports.on_hand(
        actor=storekeeper, product_id=stocked["chair"].pk, warehouse_id=stocked["second"].pk
    )
    assert _figures(one) == [("CHAIR", "", Decimal("5"), Decimal("0"), Decimal("5"))]


def test_on_hand_pages(stocked: Any, storekeeper: Any) -> None:
    first = reports.on_hand(actor=storekeeper, page_size=1)
    second = reports.on_hand(actor=storekeeper, page_size=1, page=2)
    assert [row.sku for row in first.rows] == ["CHAIR"]
    assert [row.sku for row in second.rows] == ["TONER"]
    assert (first.count, first.pages, first.has_next, second.has_next) == (2, 2, True, False)


def test_on_hand_refuses_other_companies_places_and_bad_pages(
    stocked: Any, storekeeper: Any, outsider: Any, make_user: Any, other_company: Any
) -> None:
    stranger = make_user("operations", in_company=other_company)
    with pytest.raises(StockReportFilterError):
        reports.on_hand(actor=stranger, location_id=stocked["shelf"].pk)
    assert reports.on_hand(actor=stranger).rows == []
    with pytest.raises(StockReportFilterError):
        reports.on_hand(actor=storekeeper, page=0)
    with pytest.raises(StockReportFilterError):
        reports.on_hand(actor=storekeeper, warehouse_id=999_999)


@pytest.mark.parametrize(
    ("role", "allowed"), [("", False), ("sales", True), ("finance", True), ("operations", True)]
)
def test_on_hand_permission(stocked: Any, make_user: Any, role: str, allowed: bool) -> None:
    actor = make_user(*([role] if role else []))
    if allowed:
        assert reports.on_hand(actor=actor).count == 2
    else:
        with pytest.raises(PermissionDeniedError):
            reports.on_hand(actor=actor)


def test_forecast_adds_what_comes_in_and_takes_what_goes_out(
    stocked: Any, warehouse: Any, company: Any
) -> None:
    chair, toner = stocked["chair"], stocked["toner"]
    result = reports.forecast(
        company_id=company.pk, product_ids=[chair.pk, toner.pk], warehouse_id=warehouse.pk
    )
    assert result[chair.pk] == reports.Forecast(
        on_hand=Decimal("10"), incoming=Decimal("6"), outgoing=Decimal("4")
    )
    assert result[chair.pk].forecast == Decimal("12")
    assert result[toner.pk].forecast == Decimal("1")
    elsewhere = reports.forecast(
        company_id=company.pk, product_ids=[chair.pk], warehouse_id=stocked["second"].pk
    )
    assert elsewhere[chair.pk].forecast == Decimal("5")


def test_valuation_now_beside_the_stock_accounts(stocked: Any, accountant: Any) -> None:
    report = reports.valuation(actor=accountant)
    assert [(r.sku, r.quantity, r.value, r.unit_cost) for r in report.rows] == [
        ("CHAIR", Decimal("15"), Decimal("355.00"), Decimal("23.6667")),
        ("TONER", Decimal("1"), Decimal("40.00"), Decimal("40.0000")),
    ]
    assert (report.total_value, report.company_value, report.ledger_balance) == (
        Decimal("395.00"),
        Decimal("395.00"),
        Decimal("395.00"),
    )
    assert report.difference == Decimal("0")
    assert report.currency == "EUR"


def test_valuation_of_a_category_and_at_a_past_date(stocked: Any, accountant: Any) -> None:
    fifo = reports.valuation(actor=accountant, category_id=stocked["toner"].category_id)
    assert [(r.sku, r.value) for r in fifo.rows] == [("TONER", Decimal("40.00"))]
    assert (fifo.total_value, fifo.company_value, fifo.ledger_balance) == (
        Decimal("40.00"),
        Decimal("395.00"),
        Decimal("395.00"),
    )
    today = timezone.localdate()
    assert [(r.sku, r.value) for r in reports.valuation(actor=accountant, at=today).rows] == [
        ("CHAIR", Decimal("355.00")),
        ("TONER", Decimal("40.00")),
    ]
    before = reports.valuation(actor=accountant, at=today - dt.timedelta(days=1))
    assert (before.rows, before.total_value, before.ledger_balance) == ([], Decimal("0"), Decimal("0"))


@pytest.mark.parametrize(
    ("role", "allowed"), [("", False), ("sales", False), ("finance", True), ("operations", True)]
)
def test_valuation_permission(stocked: Any, make_user: Any, role: str, allowed: bool) -> None:
    actor = make_user(*([role] if role else []))
    if allowed:
        assert reports.valuation(actor=actor).total_value == Decimal("395.00")
    else:
        with pytest.raises(PermissionDeniedError):
            reports.valuation(actor=actor)


def test_reports_take_a_fixed_number_of_queries(
    stocked: Any, storekeeper: Any, accountant: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(6):
        reports.on_hand(actor=storekeeper, by_location=True, search="c")
    with django_assert_max_num_queries(8):
        reports.valuation(actor=accountant)


def test_the_api_endpoints_answer_decimal_strings(
    stocked: Any, storekeeper: Any, accountant: Any, rf: Any
) -> None:
    from kantoor.inventory import api_reports

    request = rf.get("/")
    request.auth = storekeeper
    filters = api_reports.OnHandFilters.model_validate({"by_location": True, "search": "chair"})
    on_hand = api_reports.OnHandOut.model_validate(
        api_reports.get_stock_on_hand(request, filters)
    ).model_dump()
    assert (on_hand["count"], on_hand["pages"]) == (3, 1)
    assert on_hand["rows"][0] == {
        "product_id": stocked["chair"].pk,
        "sku": "CHAIR",
        "name": "Product CHAIR",
        "uom": "pc",
        "location_id": on_hand["rows"][0]["location_id"],
        "location": "W2/Stock",
        "lot_id": None,
        "lot": "",
        "on_hand": "5.0000",
        "reserved": "0.0000",
        "available": "5.0000",
    }
    request.auth = accountant
    body = api_reports.ValuationOut.model_validate(
        api_reports.get_stock_valuation(request, api_reports.ValuationFilters.model_validate({}))
    ).model_dump()
    assert [(r["sku"], r["quantity"], r["value"], r["unit_cost"]) for r in body["rows"]] == [
        ("CHAIR", "15.0000", "355.00", "23.6667"),
        ("TONER", "1.0000", "40.00", "40.0000"),
    ]
    assert (body["total_value"], body["ledger_balance"], body["difference"]) == ("395.00", "395.00", "0.00")


def test_the_stock_report_endpoints_over_http(
    stocked: Any, storekeeper: Any, salesperson: Any, api_as: Any
) -> None:
    otto = api_as(storekeeper)
    body = otto.get("/inventory/stock/on-hand", {"search": "toner"}).json()
    assert [(r["sku"], r["on_hand"], r["available"]) for r in body["rows"]] == [("TONER", "1.0000", "1.0000")]
    assert body["count"] == 1
    value = otto.get("/inventory/stock/valuation").json()
    assert (value["total_value"], value["ledger_balance"]) == ("395.00", "395.00")
    assert_problem(otto.get("/inventory/stock/on-hand", {"warehouse_id": 999_999}), 422)
    assert_problem(api_as(salesperson).get("/inventory/stock/valuation"), 403)
