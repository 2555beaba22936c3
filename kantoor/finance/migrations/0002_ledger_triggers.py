"""The database's guard of the ledger: immutable posted entries and lines, balanced posting,
no posting into a closed period or on or before the lock date (see kantoor/finance/triggers.py)."""

from django.db import migrations

from kantoor.finance import triggers


def create(apps, schema_editor):
    for statement in triggers.create_statements(
        schema_editor.connection.vendor, guarded_columns=triggers.GUARDED_LINE_COLUMNS_V1
    ):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    for statement in triggers.drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
