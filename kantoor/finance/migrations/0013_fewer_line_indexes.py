import django.db.models.deletion
from django.db import migrations, models

from kantoor.core import schema


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0012_fewer_indexes"),
    ]

    operations = [
        # The index only: AlterField would copy the table on SQLite (see kantoor/core/schema.py).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="invoiceline",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="finance.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoiceline",
                    name="tax",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="finance.tax",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lines",
                        to="finance.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="openitem",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="finance.account",
                    ),
                ),
            ],
            database_operations=[
                schema.foreign_key_indexes_drop(
                    ("finance", "invoiceline", "account"),
                    ("finance", "invoiceline", "tax"),
                    ("finance", "journalline", "account"),
                    ("finance", "openitem", "account"),
                )
            ],
        ),
    ]
