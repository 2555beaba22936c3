from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "kantoor.purchasing"
    label = "purchasing"
    verbose_name = _("Purchasing")

    def ready(self) -> None:
        from kantoor.core import outbox, personal_data, policy, registry
        from kantoor.core.models import Role
        from kantoor.finance.events import InvoicePosted
        from kantoor.inventory.events import GoodsReceived, StockBelowMinimum
        from kantoor.purchasing import events, handlers, models

        # Operations buys; finance (which bills the orders) and management read them.
        policy.register_grants(
            {
                Role.OPERATIONS: {"purchasing.view_order", "purchasing.manage_order"},
                Role.FINANCE: {"purchasing.view_order"},
                Role.MANAGEMENT: {"purchasing.view_order"},
            }
        )
        registry.nav_register(
            registry.NavItem(
                section=registry.BACK_OFFICE,
                label=_("Purchase orders"),
                url_name="web:purchase-order-list",
                permission="purchasing.view_order",
                order=30,
            )
        )

        personal_data.register(
            models.PurchaseOrder,
            # Free text may name the people the company deals with at the supplier.
            personal={"notes"},
            not_personal={
                "amount_tax",
                "amount_total",
                "amount_untaxed",
                "buyer",
                "company",
                "confirmed_at",
                "created_at",
                "created_by",
                "currency",
                "dropship_customer",
                "expected_date",
                "id",
                "number",
                "order_date",
                "sent_at",
                "state",
                "supplier",
                "updated_at",
                "version",
                "warehouse",
            },
        )
        personal_data.register(
            models.PurchaseOrderLine,
            personal=set(),
            not_personal={
                "amount_untaxed",
                "description",
                "discount",
                "expected_date",
                "id",
                "order",
                "product",
                "quantity",
                "sequence",
                "tax",
                "unit_price",
                "uom",
            },
        )
        personal_data.register(
            models.PurchaseBillLine, personal=set(), not_personal={"id", "invoice", "order_line", "sequence"}
        )

        outbox.subscribe(events.RfqSent, handlers.on_rfq_sent)
        outbox.subscribe(events.PurchaseOrderConfirmed, handlers.on_order_confirmed)
        outbox.subscribe(events.PurchaseOrderCancelled, handlers.on_order_cancelled)
        outbox.subscribe(GoodsReceived, handlers.on_goods_received)
        outbox.subscribe(InvoicePosted, handlers.on_invoice_posted)
        outbox.subscribe(StockBelowMinimum, handlers.on_stock_below_minimum)
