import django.db.models.deletion
from django.db import migrations, models

from kantoor.core import schema


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_company_legal_details"),
    ]

    operations = [
        # The index only: AlterField would copy the table on SQLite (see kantoor/core/schema.py).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="outboxevent",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.company",
                    ),
                ),
            ],
            database_operations=[
                schema.foreign_key_indexes_drop(
                    ("core", "auditentry", "company"), ("core", "outboxevent", "company")
                )
            ],
        ),
    ]
