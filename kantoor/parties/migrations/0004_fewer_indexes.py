import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kantoor.core import schema


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_fewer_indexes"),
        ("parties", "0003_timeline_actor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The index only: AlterField would copy the table on SQLite (see kantoor/core/schema.py).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="timelineentry",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="timelineentry",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="timelineentry",
                    name="party",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="timeline",
                        to="parties.party",
                    ),
                ),
            ],
            database_operations=[
                schema.foreign_key_indexes_drop(
                    ("parties", "timelineentry", "actor"),
                    ("parties", "timelineentry", "company"),
                    ("parties", "timelineentry", "party"),
                )
            ],
        ),
    ]
