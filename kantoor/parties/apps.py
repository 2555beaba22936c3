from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "kantoor.parties"
    label = "parties"
    verbose_name = _("Parties")

    def ready(self) -> None:
        from kantoor.core import outbox, personal_data, policy, registry
        from kantoor.core.models import Role
        from kantoor.parties import events, handlers, models, selectors

        everyone = set(Role.values) - {Role.IT}
        view: dict[str, set[str]] = {role: {"parties.view_party"} for role in everyone}
        change: dict[str, set[str]] = {
            role: {"parties.change_party"}
            for role in (
                Role.SALES,
                Role.SALES_MANAGER,
                Role.SERVICE,
                Role.MARKETING,
                Role.FINANCE,
                Role.MANAGEMENT,
                Role.HR,
                Role.OPERATIONS,
                Role.LEGAL,
            )
        }
        merge: dict[str, set[str]] = {
            role: {"parties.merge_party"}
            for role in (Role.SALES, Role.SALES_MANAGER, Role.SERVICE, Role.MANAGEMENT, Role.FINANCE)
        }
        for grants in (view, change, merge):
            policy.register_grants(grants)

        outbox.subscribe(events.PartyCreated, handlers.on_party_created)
        outbox.subscribe(events.PartyUpdated, handlers.on_party_updated)
        outbox.subscribe(events.PartyArchived, handlers.on_party_archived)
        outbox.subscribe(events.PartiesMerged, handlers.on_parties_merged)

        registry.nav_register(
            registry.NavItem(
                section=registry.FRONT_OFFICE,
                label=_("Parties"),
                url_name="web:party-list",
                permission="parties.view_party",
                order=10,
            )
        )
        registry.search_register("parties", selectors.party_search_hits)

        personal_data.register(
            models.Party,
            # A person's name and notes are personal; an organisation's too (sole traders).
            personal={"name", "normalized_name", "job_title", "notes", "vat_number", "coc_number"},
            not_personal={
                "id",
                "company",
                "kind",
                "organisation",
                "country",
                "language",
                "tags",
                "owner",
                "team",
                "is_archived",
                "merged_into",
                "version",
                "created_at",
                "updated_at",
            },
        )
        personal_data.register(
            models.PartyRole, personal=set(), not_personal={"id", "party", "role", "since"}
        )
        personal_data.register(models.Tag, personal=set(), not_personal={"id", "company", "name"})
        personal_data.register(
            models.ContactPoint,
            personal={"value", "normalized_value", "label"},
            not_personal={"id", "party", "kind", "is_primary"},
        )
        personal_data.register(
            models.Address,
            personal={"street", "postal_code", "city", "region"},
            not_personal={"id", "party", "kind", "country", "is_primary"},
        )
        personal_data.register(
            models.TimelineEntry,
            personal={"title", "body"},
            not_personal={
                "id",
                "company",
                "party",
                "occurred_at",
                "kind",
                "actor",
                "event_name",
                "event_key",
            },
        )
