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
        # Sales and service read the invoices and balances of the customers in their scope
        # (own, team or company, per role assignment); only finance writes and pays them.
        policy.register_grants(
            {
                Role.FINANCE: {
                    "finance.view_ledger",
                    "finance.post_entry",
                    "finance.manage_ledger",
                    "finance.view_invoice",
                    "finance.manage_invoice",
                    "finance.manage_payment",
                },
                Role.MANAGEMENT: {"finance.view_ledger", "finance.view_invoice"},
                Role.SALES: {"finance.view_invoice"},
                Role.SALES_MANAGER: {"finance.view_invoice"},
                Role.SERVICE: {"finance.view_invoice"},
            }
        )

        # The ledger's pages (kantoor.web.views.ledger), for whoever may read the ledger.
        for order, label, url_name in (
            (10, _("Journal entries"), "web:entry-list"),
            (11, _("Chart of accounts"), "web:account-list"),
            (12, _("Fiscal years"), "web:fiscal-year-list"),
        ):
            registry.nav_register(
                registry.NavItem(
                    section=registry.BACK_OFFICE,
                    label=label,
                    url_name=url_name,
                    permission="finance.view_ledger",
                    order=order,
                )
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
            not_personal={
                "id",
                "company",
                "code",
                "name",
                "kind",
                "default_account",
                "sequence_code",
                "bank_account",
                "bank_bic",
            },
        )
        personal_data.register(
            models.FiscalYear,
            personal=set(),
            not_personal={
                "id",
                "company",
                "year",
                "start_date",
                "end_date",
                "is_closed",
                "closing_entry",
                "version",
            },
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
            models.FinanceSettings,
            personal=set(),
            not_personal={"id", "company", "lock_date", "tax_rounding", "version"},
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
                "tax_tag",
                "date",
                "journal",
                "state",
            },
        )
        personal_data.register(
            models.Tax,
            personal=set(),
            not_personal={
                "id",
                "company",
                "code",
                "name",
                "scope",
                "treatment",
                "rate",
                "account",
                "reverse_account",
                "base_tag",
                "tax_tag",
                "reverse_tag",
                "is_active",
            },
        )
        personal_data.register(
            models.PaymentTerm, personal=set(), not_personal={"id", "company", "name", "is_active"}
        )
        personal_data.register(
            models.PaymentTermLine,
            personal=set(),
            not_personal={"id", "term", "sequence", "percent", "days", "end_of_month"},
        )
        # An invoice to a person names them through its party; its free texts may too. Kept
        # for the statutory retention period like the entry it is posted as.
        personal_data.register(
            models.Invoice,
            personal={"reference", "narration"},
            not_personal={
                "id",
                "company",
                "kind",
                "party",
                "state",
                "payment_state",
                "number",
                "date",
                "due_date",
                "payment_term",
                "journal",
                "currency",
                "rate",
                "credit_note_of",
                "entry",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "amount_residual",
                "version",
                "created_by",
                "created_at",
                "posted_at",
                "posted_by",
                "sent_at",
            },
        )
        personal_data.register(
            models.InvoiceLine,
            personal={"description"},
            not_personal={
                "id",
                "invoice",
                "company",
                "sequence",
                "product_code",
                "quantity",
                "unit_price",
                "discount",
                "account",
                "tax",
                "amount_untaxed",
                "amount_tax",
                "credited_line",
            },
        )
        personal_data.register(
            models.OpenItem,
            personal=set(),
            not_personal={
                "line",
                "company",
                "entry",
                "account",
                "party",
                "date",
                "due_date",
                "currency",
                "amount",
                "residual",
                "amount_currency",
                "residual_currency",
            },
        )
        personal_data.register(
            models.Payment,
            personal={"reference"},
            not_personal={
                "id",
                "company",
                "kind",
                "party",
                "journal",
                "date",
                "amount",
                "currency",
                "status",
                "entry",
                "reversal",
                "version",
                "created_by",
                "created_at",
            },
        )
        personal_data.register(
            models.Match,
            personal=set(),
            not_personal={
                "id",
                "company",
                "debit_item",
                "credit_item",
                "amount",
                "amount_currency",
                "date",
                "payment",
                "created_by",
                "created_at",
            },
        )

        # E-mailing invoices and the party timeline (kantoor.finance.handlers).
        from kantoor.core import outbox
        from kantoor.finance import events, handlers

        outbox.subscribe(events.InvoiceSendRequested, handlers.on_invoice_send_requested)
        outbox.subscribe(events.InvoicePosted, handlers.on_invoice_posted)
        outbox.subscribe(events.CreditNoteIssued, handlers.on_credit_note_issued)
        outbox.subscribe(events.InvoicePaid, handlers.on_invoice_paid)
        outbox.subscribe(events.PaymentRegistered, handlers.on_payment_registered)
