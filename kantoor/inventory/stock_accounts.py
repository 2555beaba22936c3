"""What the stock accounts are, for those who read the ledger (`finance.view_ledger`): per
row — the company's defaults, then each product category — each of the five accounts as
set, the account stock moves of that row actually book to, and what an empty field falls
back to; resolved exactly as valuation does (the category's own, else the company default,
else the active account with the role and the lowest code). Writing them is
kantoor.inventory.configuration."""

from __future__ import annotations

from dataclasses import dataclass

from kantoor.catalog.models import ProductCategory
from kantoor.core import policy
from kantoor.core.models import User
from kantoor.finance.models import Account
from kantoor.inventory.configuration import FIELDS
from kantoor.inventory.errors import StockAccountsMissingError
from kantoor.inventory.models import StockAccounts
from kantoor.inventory.valuation import FIELD_ROLE, Accounts

VIEW = "finance.view_ledger"
# No category has id 0: valuation resolves it as a category without a row of its own, that
# is, exactly as the company defaults resolve.
_COMPANY_DEFAULT = 0


@dataclass(frozen=True)
class StockAccountSlot:
    """One of a row's five accounts: `field` (stock_account, received_account, …), the
    account `chosen` on the row (None: it falls back), the `effective` one stock moves book
    to, and the `fallback` an empty field would use (the company default's effective
    account for a category, the role's account for the company). None when nothing
    resolves, `missing` then saying why."""

    field: str
    chosen: Account | None
    effective: Account | None
    fallback: Account | None
    missing: str = ""


@dataclass(frozen=True)
class StockAccountsRow:
    """The company defaults (`category` None) or one product category, with its five slots
    in the order of configuration.FIELDS."""

    category: ProductCategory | None
    slots: tuple[StockAccountSlot, ...]

    @property
    def category_id(self) -> int | None:
        return None if self.category is None else self.category.pk


def stock_accounts_overview(actor: User) -> list[StockAccountsRow]:
    """The company defaults first, then all the company's product categories by name."""
    policy.require(actor, VIEW)
    company_id = policy.actor_company_id(actor)
    categories = list(ProductCategory.objects.filter(company_id=company_id).order_by("name", "id"))
    resolver = Accounts(company_id, {category.pk for category in categories})
    chosen = {row.category_id: row for row in StockAccounts.objects.filter(company_id=company_id)}
    keys: list[int | None] = [None, *(category.pk for category in categories)]
    effective: dict[tuple[int | None, str], int | None] = {}
    missing: dict[str, str] = {}  # per field: nothing resolves when the company default does not
    for key in keys:
        for field in FIELDS:
            try:
                effective[key, field] = resolver.account(_COMPANY_DEFAULT if key is None else key, field)
            except StockAccountsMissingError as exc:
                effective[key, field] = None
                missing[field] = exc.message
    ids = {pk for pk in effective.values() if pk is not None}
    ids |= {getattr(row, f"{field}_id") for row in chosen.values() for field in FIELDS}
    ids |= set(resolver.by_role.values())
    accounts = Account.objects.in_bulk([pk for pk in ids if pk is not None])

    def account(pk: int | None) -> Account | None:
        return None if pk is None else accounts[pk]

    def slots(key: int | None) -> tuple[StockAccountSlot, ...]:
        row = chosen.get(key)
        return tuple(
            StockAccountSlot(
                field=field,
                chosen=account(None if row is None else getattr(row, f"{field}_id")),
                effective=account(effective[key, field]),
                fallback=account(
                    resolver.by_role.get(FIELD_ROLE[field]) if key is None else effective[None, field]
                ),
                missing="" if effective[key, field] is not None else missing[field],
            )
            for field in FIELDS
        )

    return [
        StockAccountsRow(category=None, slots=slots(None)),
        *(StockAccountsRow(category=category, slots=slots(category.pk)) for category in categories),
    ]
