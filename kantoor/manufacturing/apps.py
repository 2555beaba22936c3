from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManufacturingConfig(AppConfig):
    name = "kantoor.manufacturing"
    label = "manufacturing"
    verbose_name = _("Manufacturing")

    def ready(self) -> None:
        from kantoor.core import outbox, personal_data, policy, registry
        from kantoor.core.models import Role
        from kantoor.inventory.events import StockBelowMinimum
        from kantoor.manufacturing import handlers, models

        # Operations plans and makes; finance (the cost of what is made) and management read.
        policy.register_grants(
            {
                Role.OPERATIONS: {"manufacturing.view_production", "manufacturing.manage_production"},
                Role.FINANCE: {"manufacturing.view_production"},
                Role.MANAGEMENT: {"manufacturing.view_production"},
            }
        )

        for order, label, url_name in (
            (40, _("Production orders"), "web:production-order-list"),
            (41, _("Bills of materials"), "web:bom-list"),
            (42, _("Work centres"), "web:work-centre-list"),
        ):
            registry.nav_register(
                registry.NavItem(
                    section=registry.BACK_OFFICE,
                    label=label,
                    url_name=url_name,
                    permission="manufacturing.view_production",
                    order=order,
                )
            )

        outbox.subscribe(StockBelowMinimum, handlers.on_stock_below_minimum)

        personal_data.register(
            models.WorkCentre,
            personal=set(),
            not_personal={
                "capacity",
                "code",
                "company",
                "cost_per_hour",
                "id",
                "is_active",
                "name",
                "version",
            },
        )
        personal_data.register(
            models.BillOfMaterials,
            personal=set(),
            not_personal={
                "code",
                "company",
                "created_at",
                "id",
                "is_active",
                "name",
                "product",
                "quantity",
                "uom",
                "version",
            },
        )
        personal_data.register(
            models.BomComponent,
            personal=set(),
            not_personal={"bom", "id", "product", "quantity", "scrap_percent", "sequence", "uom"},
        )
        personal_data.register(
            models.BomByProduct,
            personal=set(),
            not_personal={"bom", "cost_share", "id", "product", "quantity", "sequence", "uom"},
        )
        personal_data.register(
            models.BomOperation,
            personal=set(),
            not_personal={"bom", "hours", "id", "name", "sequence", "work_centre"},
        )
        personal_data.register(
            models.ProductionOrder,
            personal=set(),
            not_personal={
                "bom",
                "company",
                "component_transfer",
                "components_cost",
                "created_at",
                "created_by",
                "done_at",
                "hours_worked",
                "id",
                "number",
                "origin",
                "output_transfers",
                "produced_quantity",
                "product",
                "quantity",
                "scheduled_date",
                "state",
                "uom",
                "version",
                "warehouse",
                "work_cost",
            },
        )
