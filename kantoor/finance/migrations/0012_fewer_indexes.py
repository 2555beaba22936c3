import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kantoor.core import schema


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_fewer_indexes"),
        ("finance", "0011_report_speed"),
        ("parties", "0004_fewer_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The index only: AlterField would copy the table on SQLite (see kantoor/core/schema.py).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="invoice",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="credit_note_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credit_notes",
                        to="finance.invoice",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="journal",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="finance.journal",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="payment_term",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="finance.paymentterm",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="posted_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="invoiceline",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoiceline",
                    name="credited_line",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credited_by",
                        to="finance.invoiceline",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalentry",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalentry",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="journalentry",
                    name="journal",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="finance.journal",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalentry",
                    name="posted_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="journal",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="finance.journal",
                    ),
                ),
                migrations.AlterField(
                    model_name="openitem",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.company",
                    ),
                ),
            ],
            database_operations=[
                schema.foreign_key_indexes_drop(
                    ("finance", "invoice", "company"),
                    ("finance", "invoice", "created_by"),
                    ("finance", "invoice", "credit_note_of"),
                    ("finance", "invoice", "journal"),
                    ("finance", "invoice", "payment_term"),
                    ("finance", "invoice", "posted_by"),
                    ("finance", "invoiceline", "company"),
                    ("finance", "invoiceline", "credited_line"),
                    ("finance", "journalentry", "company"),
                    ("finance", "journalentry", "created_by"),
                    ("finance", "journalentry", "journal"),
                    ("finance", "journalentry", "posted_by"),
                    ("finance", "journalline", "company"),
                    ("finance", "journalline", "journal"),
                    ("finance", "openitem", "company"),
                )
            ],
        ),
        migrations.RemoveIndex(
            model_name="journalline",
            name="line_party_date",
        ),
        migrations.RemoveIndex(
            model_name="journalline",
            name="line_vat_date",
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("credit_note_of__isnull", False)),
                fields=["credit_note_of"],
                name="invoice_credit_note_of",
            ),
        ),
        migrations.AddIndex(
            model_name="invoiceline",
            index=models.Index(
                condition=models.Q(("credited_line__isnull", False)),
                fields=["credited_line"],
                name="invoice_line_credited",
            ),
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(fields=["company", "party", "date"], name="line_party_date"),
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(
                condition=models.Q(("tax_tag", ""), _negated=True),
                fields=["company", "date"],
                name="line_vat_date",
            ),
        ),
    ]
