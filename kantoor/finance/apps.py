from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "kantoor.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from kantoor.core import personal_data, policy, registry
        from kantoor.core.models import Role
        from kantoor.finance import models, setup

        registry.init_step_register(
            registry.InitStep(name="finance", arguments=setup.init_arguments, run=setup.init_run, order=10)
        )

        # Only finance (and administrators, who may do everything) writes the ledger;
        # management reads it.
        policy.register_grants(
            {
                Role.FINANCE: {"finance.view_ledger", "finance.post_entry", "finance.manage_ledger"},
                Role.MANAGEMENT: {"finance.view_ledger"},
            }
        )

        personal_data.register(
            models.Account,
            personal=set(),
            not_personal={
                "id",
                "company",
                "code",
                "name",
                "account_type",
                "role",
                "reference_code",
                "is_reconcilable",
                "is_active",
                "currency",
            },
        )
        personal_data.register(
            models.Journal,
            personal=set(),
            not_personal={"id", "company", "code", "name", "kind", "default_account", "sequence_code"},
        )
        personal_data.register(
            models.FiscalYear,
            personal=set(),
            not_personal={"id", "company", "year", "start_date", "end_date", "is_closed"},
        )
        personal_data.register(
            models.Period,
            personal=set(),
            not_personal={
                "id",
                "company",
                "fiscal_year",
                "number",
                "start_date",
                "end_date",
                "is_closed",
                "version",
            },
        )
        personal_data.register(
            models.FinanceSettings, personal=set(), not_personal={"id", "company", "lock_date", "version"}
        )
        # Free text may name people (a wage entry, an expense claim); it is kept for the
        # statutory retention period, never erased from a posted entry (the chain would break).
        personal_data.register(
            models.JournalEntry,
            personal={"reference", "narration"},
            not_personal={
                "id",
                "company",
                "journal",
                "number",
                "date",
                "state",
                "posted_at",
                "posted_by",
                "reversal_of",
                "version",
                "chain_position",
                "previous_hash",
                "hash",
                "created_by",
                "created_at",
            },
        )
        personal_data.register(
            models.JournalLine,
            personal={"label"},
            not_personal={
                "id",
                "entry",
                "company",
                "account",
                "party",
                "debit",
                "credit",
                "currency",
                "amount_currency",
                "rate",
                "due_date",
                "date",
                "journal",
                "state",
            },
        )
