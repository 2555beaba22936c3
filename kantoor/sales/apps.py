from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kantoor.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from kantoor.core import policy
        from kantoor.core.models import Role, Scope

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
