"""The stock accounts at /api/v1/stock-accounts: which accounts stock moves book to, for the
company (the defaults) and per product category. Those who read the ledger see them; only
finance changes them (`finance.manage_ledger`, else 403). Every write takes an
Idempotency-Key (installed for the whole API)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from kantoor.core.auth import actor_of
from kantoor.core.schemas import Id, Input, unchanged
from kantoor.finance.models import Account
from kantoor.inventory import configuration
from kantoor.inventory.stock_accounts import StockAccountSlot, StockAccountsRow, stock_accounts_overview

router = Router(tags=["inventory"])


class StockAccountRefOut(Schema):
    id: int
    code: str
    name: str


class StockAccountOut(Schema):
    chosen: StockAccountRefOut | None = Field(description="Set on this row; null falls back.")
    effective: StockAccountRefOut | None = Field(
        description="What stock moves of this row book to; null when no account resolves."
    )
    fallback: StockAccountRefOut | None = Field(
        description="What an empty field uses: the company default (categories) or the role's "
        "active account with the lowest code (the company)."
    )
    missing: str = Field(description="Why nothing resolves (empty when an account does).")


class StockAccountsRowOut(Schema):
    category_id: int | None = Field(description="null: the company's defaults.")
    category_name: str | None
    stock_account: StockAccountOut
    received_account: StockAccountOut
    cogs_account: StockAccountOut
    difference_account: StockAccountOut
    production_account: StockAccountOut


class StockAccountsOut(Schema):
    items: list[StockAccountsRowOut] = Field(
        description="The company's defaults first, then every product category by name."
    )


class StockAccountsSetIn(Input):
    """Only the account fields sent change; null makes one fall back."""

    category_id: Id | None = Field(None, description="null or absent: the company's defaults.")
    stock_account_id: Id | None = unchanged(description="An active asset account.")
    received_account_id: Id | None = unchanged(description="Goods received not invoiced.")
    cogs_account_id: Id | None = unchanged(description="Cost of goods sold.")
    difference_account_id: Id | None = unchanged(description="Stock differences (inventory loss/gain).")
    production_account_id: Id | None = unchanged(description="Work in progress.")


def _ref(account: Account | None) -> dict[str, object] | None:
    return None if account is None else {"id": account.pk, "code": account.code, "name": account.name}


def _slot(slot: StockAccountSlot) -> dict[str, object]:
    return {
        "chosen": _ref(slot.chosen),
        "effective": _ref(slot.effective),
        "fallback": _ref(slot.fallback),
        "missing": slot.missing,
    }


def _row(row: StockAccountsRow) -> dict[str, object]:
    return {
        "category_id": row.category_id,
        "category_name": None if row.category is None else row.category.name,
        **{slot.field: _slot(slot) for slot in row.slots},
    }


@router.get("/stock-accounts", response=StockAccountsOut)
def list_stock_accounts(request: HttpRequest) -> dict[str, object]:
    """Per row (the company's defaults, then each category) each account as set, the one
    stock moves book to and the one an empty field falls back to."""
    return {"items": [_row(row) for row in stock_accounts_overview(actor_of(request))]}


@router.put("/stock-accounts", response=StockAccountsRowOut)
def set_stock_accounts(request: HttpRequest, payload: StockAccountsSetIn) -> dict[str, object]:
    """Set the accounts of a category (or, without `category_id`, the company's defaults);
    answers the row as the overview shows it."""
    actor = actor_of(request)
    accounts = payload.model_dump(exclude_unset=True)
    category_id = accounts.pop("category_id", None)
    configuration.stock_accounts_set(actor=actor, category_id=category_id, **accounts)
    row = next(row for row in stock_accounts_overview(actor) if row.category_id == category_id)
    return _row(row)
