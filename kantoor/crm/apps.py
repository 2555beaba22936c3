from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "kantoor.crm"
    label = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from kantoor.core import outbox, personal_data, policy, registry
        from kantoor.core.models import Role, Scope
        from kantoor.crm import events, handlers, models, selectors
        from kantoor.sales.events import OrderConfirmed

        view = {"crm.view_lead", "crm.view_opportunity", "crm.view_settings"}
        rep = view | {"crm.create_lead", "crm.manage_lead", "crm.manage_opportunity"}
        policy.register_grants(
            {
                Role.SALES: rep,
                # The manager also configures the pipeline, lost reasons, web forms and scoring.
                Role.SALES_MANAGER: rep | {"crm.manage_settings"},
                # Marketing brings leads in (events, campaigns, imports) and follows them up.
                Role.MARKETING: {"crm.view_lead", "crm.create_lead", "crm.view_opportunity"},
                Role.MANAGEMENT: view,
            }
        )
        # A sales rep sees the team's leads and opportunities (with a team scope) but changes
        # only their own; the sales manager changes all of them.
        policy.register_caps(
            {
                Role.SALES: {
                    "crm.create_lead": Scope.OWN,
                    "crm.manage_lead": Scope.OWN,
                    "crm.manage_opportunity": Scope.OWN,
                }
            }
        )

        for section, order, label, url_name, permission in (
            (registry.FRONT_OFFICE, 30, _("Leads"), "web:crm-lead-list", "crm.view_lead"),
            (registry.FRONT_OFFICE, 31, _("Pipeline"), "web:crm-pipeline", "crm.view_opportunity"),
            (
                registry.FRONT_OFFICE,
                32,
                _("Opportunities"),
                "web:crm-opportunity-list",
                "crm.view_opportunity",
            ),
            (registry.FRONT_OFFICE, 33, _("Forecast"), "web:crm-forecast", "crm.view_opportunity"),
            (registry.SETTINGS, 40, _("Pipeline stages"), "web:crm-stage-list", "crm.manage_settings"),
            (registry.SETTINGS, 41, _("Lost reasons"), "web:crm-lost-reason-list", "crm.manage_settings"),
            (registry.SETTINGS, 42, _("Web forms"), "web:crm-web-form-list", "crm.manage_settings"),
            (registry.SETTINGS, 43, _("Lead scoring"), "web:crm-scoring", "crm.manage_settings"),
        ):
            registry.nav_register(
                registry.NavItem(
                    section=section, label=label, url_name=url_name, permission=permission, order=order
                )
            )
        registry.search_register("crm", selectors.crm_search_hits)

        personal_data.register(
            models.Lead,
            personal={"contact_name", "email", "phone", "job_title", "message", "disqualify_reason"},
            not_personal={
                "id",
                "company",
                "state",
                "source",
                "channel",
                "source_detail",
                "organisation_name",
                "country",
                "score",
                "score_details",
                "owner",
                "team",
                "party",
                "opportunity",
                "qualified_at",
                "converted_at",
                "created_by",
                "created_at",
                "updated_at",
                "version",
            },
        )
        personal_data.register(
            models.Opportunity,
            # Free text may name the people the company deals with.
            personal={"notes", "lost_note"},
            not_personal={
                "id",
                "company",
                "name",
                "party",
                "lead",
                "stage",
                "state",
                "probability",
                "expected_revenue",
                "currency",
                "close_date",
                "owner",
                "team",
                "lost_reason",
                "won_at",
                "lost_at",
                "created_by",
                "created_at",
                "updated_at",
                "version",
            },
        )
        personal_data.register(
            models.PipelineStage,
            personal=set(),
            not_personal={"id", "company", "name", "sequence", "probability", "is_active", "version"},
        )
        personal_data.register(
            models.LostReason, personal=set(), not_personal={"id", "company", "name", "is_active"}
        )
        personal_data.register(
            models.WebForm,
            personal=set(),
            not_personal={
                "id",
                "company",
                "name",
                "key",
                "channel",
                "owner",
                "team",
                "is_active",
                "created_at",
            },
        )
        personal_data.register(
            models.ScoringWeight, personal=set(), not_personal={"id", "company", "rule", "points"}
        )

        outbox.subscribe(events.LeadConverted, handlers.on_lead_converted)
        outbox.subscribe(events.OpportunityWon, handlers.on_opportunity_won)
        outbox.subscribe(events.OpportunityLost, handlers.on_opportunity_lost)
        outbox.subscribe(OrderConfirmed, handlers.on_order_confirmed)
