from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "kantoor.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from kantoor.catalog import models, selectors, setup
        from kantoor.core import personal_data, policy, registry
        from kantoor.core.models import Role

        registry.init_step_register(
            registry.InitStep(name="catalog", arguments=setup.init_arguments, run=setup.init_run, order=20)
        )

        # Everyone but IT reads the catalog (sales quote from it, finance invoices it,
        # service looks products up). Operations keeps products, units and supplier prices;
        # management and operations set customer prices. Administrators may do everything.
        everyone = set(Role.values) - {Role.IT}
        policy.register_grants({role: {"catalog.view_product"} for role in everyone})
        policy.register_grants(
            {
                Role.OPERATIONS: {"catalog.manage_product", "catalog.manage_prices"},
                Role.MANAGEMENT: {"catalog.manage_prices"},
            }
        )

        # Product categories, units and price lists are tabs of the products page.
        registry.nav_register(
            registry.NavItem(
                section=registry.BACK_OFFICE,
                label=_("Products"),
                url_name="web:product-list",
                permission="catalog.view_product",
                order=30,
            )
        )
        registry.search_register("catalog", selectors.product_search_hits)

        # Products, units and prices name no person; a price list or supplier price points
        # at a party, whose own record holds what is personal.
        personal_data.register(models.UomCategory, personal=set(), not_personal={"id", "company", "name"})
        personal_data.register(
            models.Uom,
            personal=set(),
            not_personal={"id", "company", "category", "code", "name", "ratio", "rounding", "is_active"},
        )
        personal_data.register(
            models.ProductCategory,
            personal=set(),
            not_personal={
                "id",
                "company",
                "name",
                "parent",
                "costing_method",
                "stock_valuation",
                "is_active",
            },
        )
        personal_data.register(
            models.Product,
            personal=set(),
            not_personal={
                "id",
                "company",
                "sku",
                "name",
                "description",
                "kind",
                "tracking",
                "category",
                "uom",
                "purchase_uom",
                "barcode",
                "list_price",
                "cost",
                "allows_negative_stock",
                "allows_backorder",
                "is_sold",
                "is_purchased",
                "is_active",
                "version",
                "created_at",
                "updated_at",
            },
        )
        personal_data.register(
            models.ProductTranslation,
            personal=set(),
            not_personal={"id", "product", "language", "name", "description"},
        )
        personal_data.register(
            models.PriceList,
            personal=set(),
            not_personal={
                "id",
                "company",
                "name",
                "currency",
                "party",
                "customer_group",
                "priority",
                "valid_from",
                "valid_to",
                "is_active",
                "version",
            },
        )
        personal_data.register(
            models.PriceListItem,
            personal=set(),
            not_personal={
                "id",
                "price_list",
                "product",
                "min_quantity",
                "price",
                "discount",
                "valid_from",
                "valid_to",
            },
        )
        personal_data.register(
            models.SupplierPrice,
            personal=set(),
            not_personal={
                "id",
                "company",
                "product",
                "supplier",
                "supplier_sku",
                "currency",
                "price",
                "min_quantity",
                "lead_time_days",
                "priority",
                "valid_from",
                "valid_to",
            },
        )
