from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kantoor.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from kantoor.core import outbox, personal_data, policy, registry
        from kantoor.core.models import Role, Scope
        from kantoor.finance.events import InvoicePaid
        from kantoor.inventory.events import GoodsDelivered, GoodsReceived
        from kantoor.sales import events, handlers, models, quote_handlers, return_handlers

        rep = {
            "sales.view_order",
            "sales.manage_order",
            "sales.view_return",
            "sales.manage_return",
            "sales.view_target",
            "sales.view_terms",
        }
        manager = rep | {
            "sales.approve_discount",
            "sales.override_credit",
            "sales.manage_terms",
            "sales.manage_target",
            "sales.manage_settings",
        }
        policy.register_grants(
            {
                Role.SALES: rep,
                Role.SALES_MANAGER: manager,
                # Operations delivers and takes returns back; finance invoices and sets credit.
                Role.OPERATIONS: {"sales.view_order", "sales.view_return"},
                Role.FINANCE: {
                    "sales.view_order",
                    "sales.view_return",
                    "sales.view_terms",
                    "sales.manage_terms",
                },
                Role.MANAGEMENT: {
                    "sales.view_order",
                    "sales.view_return",
                    "sales.view_target",
                    "sales.view_terms",
                },
            }
        )
        # A sales rep sees the team's quotations and orders (with a team scope) but changes
        # only their own; the sales manager changes all of them.
        policy.register_caps(
            {Role.SALES: {"sales.manage_order": Scope.OWN, "sales.manage_return": Scope.OWN}}
        )

        for label, url_name, permission, order in (
            (_("Quotations and orders"), "web:sales-order-list", "sales.view_order", 40),
            (_("Returns"), "web:sales-return-list", "sales.view_return", 41),
            (_("Sales targets"), "web:sales-target-list", "sales.view_target", 42),
        ):
            registry.nav_register(
                registry.NavItem(
                    section=registry.FRONT_OFFICE,
                    label=label,
                    url_name=url_name,
                    permission=permission,
                    order=order,
                )
            )

        # Free text may name the customer's people; the rest is business data.
        personal_data.register(
            models.SalesOrder,
            personal={"notes", "answered_by_name", "decline_reason", "customer_reference"},
            not_personal={
                f.name
                for f in models.SalesOrder._meta.get_fields()
                if getattr(f, "concrete", False)
                and f.name not in {"notes", "answered_by_name", "decline_reason", "customer_reference"}
            },
        )
        for model in (
            models.SalesOrderLine,
            models.SalesSettings,
            models.CustomerTerms,
            models.QuoteRevision,
            models.SalesInvoiceLine,
            models.ReturnLine,
            models.SalesTarget,
        ):
            personal_data.register(
                model,
                personal=set(),
                not_personal={f.name for f in model._meta.get_fields() if getattr(f, "concrete", False)},
            )
        personal_data.register(
            models.ReturnAuthorisation,
            personal={"reason"},
            not_personal={
                f.name
                for f in models.ReturnAuthorisation._meta.get_fields()
                if getattr(f, "concrete", False) and f.name != "reason"
            },
        )

        outbox.subscribe(events.QuoteSent, quote_handlers.on_quote_sent)
        outbox.subscribe(events.QuoteSent, handlers.on_quote_sent_timeline)
        outbox.subscribe(events.QuoteAccepted, handlers.on_quote_accepted)
        outbox.subscribe(events.QuoteDeclined, handlers.on_quote_declined)
        outbox.subscribe(events.OrderConfirmed, handlers.on_order_confirmed)
        outbox.subscribe(events.OrderDelivered, handlers.on_order_delivered)
        outbox.subscribe(events.OrderPaid, handlers.on_order_paid)
        outbox.subscribe(events.OrderCancelled, handlers.on_order_cancelled)
        outbox.subscribe(GoodsDelivered, handlers.on_goods_delivered)
        outbox.subscribe(InvoicePaid, handlers.on_invoice_paid)
        outbox.subscribe(GoodsReceived, return_handlers.on_return_received)
