"""Production: components consumed from stock, finished goods (and by-products) into stock
at the components' value plus the work, all in one transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kantoor.catalog.models import Tracking
from kantoor.finance.models import AccountRole
from kantoor.inventory import services
from kantoor.inventory.errors import StockUnavailableError, TransferInvalidError
from kantoor.inventory.models import Move, Transfer, TransferState
from kantoor.inventory.tests.conftest import STOCK, balance, on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def components(make_product: Any, receive: Any) -> tuple[Any, Any]:
    plank, screw = make_product("PLANK"), make_product("SCREW")
    receive((plank, "10", "4"), (screw, "100", "0.05"))
    return plank, screw


def consumption(storekeeper: Any, warehouse: Any, plank: Any, screw: Any, tables: int = 2) -> Transfer:
    transfer = services.production_transfer_create(
        actor=storekeeper,
        warehouse_id=warehouse.pk,
        origin="MO-1",
        components=[
            services.MoveIn(product_id=plank.pk, quantity=4 * tables),
            services.MoveIn(product_id=screw.pk, quantity=20 * tables),
        ],
    )
    return services.transfer_confirm(actor=storekeeper, transfer_id=transfer.pk)


def test_finished_goods_carry_the_components_value_and_the_work(
    components: Any, make_product: Any, storekeeper: Any, warehouse: Any, books: Any
) -> None:
    plank, screw = components
    table = make_product("TABLE", tracking=Tracking.LOT)
    transfer = consumption(storekeeper, warehouse, plank, screw)
    assert transfer.state == TransferState.READY
    output = services.production_record(
        actor=storekeeper,
        transfer_id=transfer.pk,
        produced=[services.ProducedIn(product_id=table.pk, quantity="2", lot="T-001")],
        extra_cost="30",
    )
    # 8 planks × 4 + 40 screws × 0.05 = 34, plus 30 of work = 64 for two tables.
    made = Move.objects.get(transfer=output)
    assert (made.quantity, made.unit_cost, made.value) == (Decimal("2"), Decimal("32"), Decimal("64.00"))
    assert made.lot is not None
    assert made.lot.name == "T-001"
    assert on_hand(table) == Decimal("2")
    assert (on_hand(plank), on_hand(screw)) == (Decimal("2"), Decimal("60"))
    assert balance(books, STOCK) == Decimal("45.00") - Decimal("34.00") + Decimal("64.00")
    # Work in progress: components in (34), goods out (64): the 30 of work absorbed.
    assert balance(books, AccountRole.PRODUCTION) == Decimal("-30.00")


def test_by_products_take_their_share_and_partial_consumption_leaves_a_backorder(
    components: Any, make_product: Any, storekeeper: Any, warehouse: Any
) -> None:
    plank, screw = components
    table, offcuts = make_product("TABLE"), make_product("OFFCUT")
    transfer = consumption(storekeeper, warehouse, plank, screw, tables=2)
    moves = {m.product_id: m for m in Move.objects.filter(transfer=transfer)}
    output = services.production_record(
        actor=storekeeper,
        transfer_id=transfer.pk,
        consumed=[
            services.DoneIn(move_id=moves[plank.pk].pk, quantity="4"),
            services.DoneIn(move_id=moves[screw.pk].pk, quantity="20"),
        ],
        produced=[
            services.ProducedIn(product_id=table.pk, quantity="1"),
            services.ProducedIn(product_id=offcuts.pk, quantity="3", cost_share="10"),
        ],
    )
    values = {m.product_id: m.value for m in Move.objects.filter(transfer=output)}
    assert values == {table.pk: Decimal("15.30"), offcuts.pk: Decimal("1.70")}  # 17 split 90/10
    rest = Transfer.objects.get(backorder_of=transfer)
    assert sorted(Move.objects.filter(transfer=rest).values_list("quantity", flat=True)) == [
        Decimal("4"),
        Decimal("20"),
    ]


def test_a_production_without_enough_components_writes_nothing(
    components: Any, make_product: Any, storekeeper: Any, warehouse: Any
) -> None:
    plank, screw = components
    table = make_product("TABLE")
    transfer = consumption(storekeeper, warehouse, plank, screw, tables=3)  # 12 planks, 10 in stock
    moves_before = Move.objects.count()
    with pytest.raises(StockUnavailableError, match="Not enough PLANK"):
        services.production_record(
            actor=storekeeper,
            transfer_id=transfer.pk,
            produced=[services.ProducedIn(product_id=table.pk, quantity="3")],
        )
    assert Move.objects.count() == moves_before
    assert on_hand(table) == Decimal("0")
    with pytest.raises(TransferInvalidError, match="A cost share is a percentage from 0 to 100"):
        services.production_record(
            actor=storekeeper,
            transfer_id=transfer.pk,
            consumed=[],
            produced=[services.ProducedIn(product_id=table.pk, quantity="1", cost_share="120")],
        )
