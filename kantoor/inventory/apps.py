from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "kantoor.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from kantoor.core import personal_data, policy
        from kantoor.core.models import Role
        from kantoor.inventory import models

        # Operations keeps the stock; sales and service see what is available; finance and
        # management see stock and its value (the value also to operations).
        policy.register_grants(
            {
                Role.OPERATIONS: {
                    "inventory.view_stock",
                    "inventory.manage_stock",
                    "inventory.view_valuation",
                },
                Role.SALES: {"inventory.view_stock"},
                Role.SALES_MANAGER: {"inventory.view_stock"},
                Role.SERVICE: {"inventory.view_stock"},
                Role.FINANCE: {"inventory.view_stock", "inventory.view_valuation"},
                Role.MANAGEMENT: {"inventory.view_stock", "inventory.view_valuation"},
            }
        )

        # The storekeeper's pages (kantoor.web.views.inventory): transfers for whoever sees
        # stock (sales follow their deliveries); the storekeeper's tools in the menu of those
        # who keep it (the pages themselves stay readable with inventory.view_stock).
        from kantoor.core import registry as nav_registry

        for order, label, url_name, permission in (
            (40, _("Transfers"), "web:transfer-list", "inventory.view_stock"),
            (41, _("Warehouses"), "web:warehouse-list", "inventory.manage_stock"),
            (42, _("Inventory counts"), "web:count-list", "inventory.manage_stock"),
            (43, _("Scan"), "web:inventory-scan", "inventory.manage_stock"),
        ):
            nav_registry.nav_register(
                nav_registry.NavItem(
                    section=nav_registry.BACK_OFFICE,
                    label=label,
                    url_name=url_name,
                    permission=permission,
                    order=order,
                )
            )

        personal_data.register(
            models.Warehouse,
            personal=set(),
            not_personal={
                "code",
                "company",
                "delivery_steps",
                "id",
                "input_location",
                "is_active",
                "name",
                "output_location",
                "pack_location",
                "receipt_steps",
                "stock_location",
                "version",
                "view_location",
            },
        )
        personal_data.register(
            models.Location,
            personal=set(),
            not_personal={
                "barcode",
                "company",
                "full_name",
                "id",
                "is_active",
                "name",
                "parent",
                "usage",
                "warehouse",
            },
        )
        personal_data.register(
            models.Lot,
            personal=set(),
            not_personal={"company", "created_at", "expiry_date", "id", "name", "product"},
        )
        personal_data.register(
            models.Quant,
            personal=set(),
            not_personal={"company", "id", "location", "lot", "product", "quantity", "reserved_quantity"},
        )
        personal_data.register(
            models.Transfer,
            # Free text may name the people who hand goods over.
            personal={"notes"},
            not_personal={
                "backorder_of",
                "company",
                "created_at",
                "created_by",
                "destination",
                "done_at",
                "id",
                "kind",
                "next_transfer",
                "number",
                "origin",
                "party",
                "return_of",
                "scheduled_date",
                "source",
                "state",
                "version",
                "warehouse",
            },
        )
        personal_data.register(
            models.Move,
            personal=set(),
            not_personal={
                "company",
                "date",
                "destination",
                "done_at",
                "entry",
                "id",
                "lot",
                "origin_line",
                "origin_move",
                "product",
                "quantity",
                "reference",
                "source",
                "state",
                "transfer",
                "unit_cost",
                "value",
                "version",
            },
        )
        personal_data.register(
            models.ValuationLayer,
            personal=set(),
            not_personal={
                "company",
                "date",
                "description",
                "id",
                "move",
                "product",
                "quantity",
                "remaining_quantity",
                "remaining_value",
                "unit_cost",
                "value",
            },
        )
        personal_data.register(
            models.ProductValuation,
            personal=set(),
            not_personal={"company", "id", "product", "quantity", "value"},
        )
        personal_data.register(
            models.StockAccounts,
            personal=set(),
            not_personal={
                "category",
                "cogs_account",
                "company",
                "difference_account",
                "id",
                "production_account",
                "received_account",
                "stock_account",
            },
        )
        personal_data.register(
            models.ReorderRule,
            personal=set(),
            not_personal={
                "company",
                "id",
                "is_active",
                "last_proposed_at",
                "max_quantity",
                "min_quantity",
                "product",
                "route",
                "version",
                "warehouse",
            },
        )
        personal_data.register(
            models.InventoryCount,
            personal=set(),
            not_personal={
                "adjustment",
                "company",
                "created_at",
                "created_by",
                "done_at",
                "id",
                "location",
                "number",
                "scheduled_date",
                "state",
                "version",
            },
        )
        personal_data.register(
            models.InventoryCountLine,
            personal=set(),
            not_personal={
                "count",
                "counted_quantity",
                "expected_quantity",
                "id",
                "location",
                "lot",
                "product",
            },
        )

        # `kantoor ledger verify` checks that the stock value equals the stock accounts' balance.
        from kantoor.core import registry
        from kantoor.inventory.reports import valuation_verify

        registry.verify_check_register("stock-valuation", valuation_verify)
        # The daily reorder check, run by `kantoor scheduler` (kantoor.inventory.schedule).
        from kantoor.inventory import schedule  # noqa: F401

        # The stock reports (kantoor.web.views.inventory_reports).
        for order, label, url_name, permission in (
            (44, _("Stock on hand"), "web:stock-on-hand", "inventory.view_stock"),
            (45, _("Stock valuation"), "web:stock-valuation", "inventory.view_valuation"),
        ):
            registry.nav_register(
                registry.NavItem(
                    section=registry.BACK_OFFICE,
                    label=label,
                    url_name=url_name,
                    permission=permission,
                    order=order,
                )
            )
