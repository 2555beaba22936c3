"""Which accounts stock moves book to, per product category or for the whole company
(StockAccounts). Finance keeps them (`finance.manage_ledger`): they decide what the
ledger says about stock. An empty field falls back as kantoor.inventory.valuation says."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kantoor.catalog.models import ProductCategory
from kantoor.core import audit, policy
from kantoor.core.models import User
from kantoor.finance.models import Account, AccountType
from kantoor.inventory.errors import StockAccountsMissingError
from kantoor.inventory.models import StockAccounts

MANAGE = "finance.manage_ledger"
FIELDS = ("stock_account", "received_account", "cogs_account", "difference_account", "production_account")
# The stock account holds an asset; the others may be of any type a chart gives them
# (goods received not invoiced is a liability, cost of goods sold an expense).
STOCK_TYPES = (AccountType.ASSET,)


@transaction.atomic
def stock_accounts_set(
    *, actor: User, category_id: int | None = None, **accounts: int | None
) -> StockAccounts:
    """Set the accounts of `category_id`'s stock moves (None: the company's defaults);
    give each as `<field>_id` (stock_account_id, received_account_id, cogs_account_id,
    difference_account_id, production_account_id), None to fall back."""
    policy.require(actor, MANAGE)
    company_id = policy.actor_company_id(actor)
    unknown = sorted(set(accounts) - {f"{field}_id" for field in FIELDS})
    if unknown:
        raise StockAccountsMissingError(
            _("Unknown fields: %s.") % ", ".join(unknown),
            field_errors={n: [_("Unknown field.")] for n in unknown},
        )
    category = None
    if category_id is not None:
        category = ProductCategory.objects.filter(pk=category_id, company_id=company_id).first()
        if category is None:
            raise StockAccountsMissingError(
                _("Unknown product category."), field_errors={"category_id": [_("Unknown product category.")]}
            )
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, account_id in accounts.items():
        if account_id is None:
            clean[name] = None
            continue
        account = Account.objects.filter(pk=account_id, company_id=company_id, is_active=True).first()
        if account is None:
            errors[name] = [_("No such active account.")]
        elif name == "stock_account_id" and account.account_type not in STOCK_TYPES:
            errors[name] = [_("Stock is an asset: choose an asset account.")]
        else:
            clean[name] = account.pk
    if errors:
        raise StockAccountsMissingError(_("Please correct the marked fields."), field_errors=errors)
    row = StockAccounts.objects.select_for_update().filter(company_id=company_id, category=category).first()
    if row is None:
        row = StockAccounts(company_id=company_id, category=category)
    before = {name: getattr(row, name) for name in clean}
    for name, value in clean.items():
        setattr(row, name, value)
    row.save()
    changes = {name: [before[name], value] for name, value in clean.items() if before[name] != value}
    audit.record(actor=actor, obj=row, action="inventory.stock_accounts_set", changes=changes)
    return row
