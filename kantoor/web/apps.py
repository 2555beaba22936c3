from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "kantoor.web"
    label = "web"
    verbose_name = _("Web interface")

    def ready(self) -> None:
        from kantoor.core import registry

        registry.nav_register(
            registry.NavItem(
                section=registry.BACK_OFFICE,
                label=_("Reports"),
                url_name="web:report-index",
                permission="finance.view_ledger",
                order=20,
            )
        )
        # Invoices and payments (views/invoices.py, views/payments.py), for whoever reads invoices.
        for order, label, url_name in (
            (1, _("Invoices"), "web:invoice-list"),
            (2, _("Payments"), "web:payment-list"),
        ):
            registry.nav_register(
                registry.NavItem(
                    section=registry.BACK_OFFICE,
                    label=label,
                    url_name=url_name,
                    permission="finance.view_invoice",
                    order=order,
                )
            )
        registry.nav_register(
            registry.NavItem(
                section=registry.SETTINGS,
                label=_("Users"),
                url_name="web:user-list",
                permission="core.manage_users",
                order=10,
            )
        )
        registry.nav_register(
            registry.NavItem(
                section=registry.SETTINGS,
                label=_("Teams"),
                url_name="web:team-list",
                permission="core.manage_teams",
                order=20,
            )
        )
        registry.nav_register(
            registry.NavItem(
                section=registry.SETTINGS,
                label=_("Company"),
                url_name="web:company-edit",
                permission="core.manage_company",
                order=30,
            )
        )
        # The finance configuration (views/finance_settings.py), for whoever manages the ledger.
        for order, label, url_name in (
            (30, _("Journals"), "web:journal-list"),
            (31, _("Taxes"), "web:tax-list"),
            (32, _("Payment terms"), "web:payment-term-list"),
            (33, _("Finance settings"), "web:finance-settings"),
        ):
            registry.nav_register(
                registry.NavItem(
                    section=registry.SETTINGS,
                    label=label,
                    url_name=url_name,
                    permission="finance.manage_ledger",
                    order=order,
                )
            )
