"""Let a party merge re-point posted lines (the guard triggers now protect every line column
but `party_id`): drop the ledger's triggers and create the current ones."""

from django.db import migrations

from kantoor.finance import triggers


def recreate(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [
        *triggers.drop_statements(vendor),
        *triggers.create_statements(vendor, guarded_columns=triggers.GUARDED_LINE_COLUMNS_V1),
    ]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_ledger_triggers")]

    operations = [migrations.RunPython(recreate, recreate)]
