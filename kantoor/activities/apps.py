from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kantoor.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from kantoor.activities import events, handlers, models, services
        from kantoor.activities.targets import target_register
        from kantoor.core import outbox, personal_data, policy, registry
        from kantoor.core.models import Role
        from kantoor.parties import references

        # Every department plans and logs its work: every role sees and manages the
        # activities within its scope (own, team or company).
        policy.register_grants(
            {role: {"activities.view_activity", "activities.manage_activity"} for role in Role.values}
        )
        for order, label, url_name in (
            (12, _("My activities"), "web:activity-list"),
            (13, _("Calendar"), "web:activity-calendar"),
        ):
            registry.nav_register(
                registry.NavItem(
                    section=registry.FRONT_OFFICE,
                    label=label,
                    url_name=url_name,
                    permission="activities.view_activity",
                    order=order,
                )
            )

        # The records activities may be logged against, with the permission to see each and
        # where it keeps its party (apps may register more from their own ready()).
        known: tuple[tuple[str, str, str], ...] = (
            ("parties.party", "parties.view_party", ""),
            ("sales.salesorder", "sales.view_order", "customer"),
            ("sales.returnauthorisation", "sales.view_return", "order__customer"),
            ("purchasing.purchaseorder", "purchasing.view_order", "supplier"),
            ("finance.invoice", "finance.view_invoice", "party"),
            ("crm.lead", "crm.view_lead", "party"),
            ("crm.opportunity", "crm.view_opportunity", "party"),
        )
        for record, view_action, party_field in known:
            target_register(record, view_action=view_action, party_field=party_field)

        personal_data.register(
            models.Activity,
            # Free text about people: what was said, with whom; the record's label may name a person.
            personal={"subject", "notes", "target_label"},
            not_personal={
                "id",
                "company",
                "kind",
                "state",
                "due_date",
                "starts_at",
                "ends_at",
                "assignee",
                "team",
                "created_by",
                "party",
                "target_type",
                "target_id",
                "reminder_at",
                "reminded_at",
                "done_at",
                "agenda_key",
                "created_at",
                "updated_at",
                "version",
            },
        )
        personal_data.register(
            models.ActivityFeed, personal=set(), not_personal={"id", "user", "token", "created_at"}
        )

        outbox.subscribe(events.ActivityLogged, handlers.on_activity_logged)
        outbox.subscribe(events.ActivityDone, handlers.on_activity_done)
        outbox.subscribe(events.ActivityReminderDue, handlers.on_activity_reminder_due)
        references.register("activities.activity", services.party_references_move)

        # The reminders, every five minutes, run by `kantoor scheduler` (kantoor.activities.schedule).
        from kantoor.activities import schedule  # noqa: F401
